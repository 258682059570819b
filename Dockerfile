# Multi-stage build of a static modelroute binary on a minimal non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY translate/ translate/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/modelroute ./cmd/modelroute

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/modelroute /modelroute
USER 65532:65532
ENTRYPOINT ["/modelroute"]
CMD ["controller"]
