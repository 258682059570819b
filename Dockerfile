# Multi-stage build of a static modelroute binary on a minimal non-root image,
# for those with Docker. `make image` builds the equivalent multi-platform
# image without a daemon (docs/install.md): same binary flags, user,
# entrypoint, command and labels, but on an empty base instead of distroless.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# Every directory with a package cmd/modelroute imports
# (go list -deps ./cmd/modelroute).
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY translate/ translate/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/modelroute ./cmd/modelroute

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="modelroute" \
      org.opencontainers.image.description="Kubernetes controller that turns InferenceModels into Gateway API HTTPRoutes" \
      org.opencontainers.image.source="https://github.com/modelroute/modelroute" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build --chown=65532:65532 /out/modelroute /modelroute
USER 65532:65532
ENTRYPOINT ["/modelroute"]
CMD ["controller"]
