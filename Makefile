# modelroute — run `make help` for the targets.

GO            ?= go
CONTROLLER_GEN = $(GO) tool controller-gen
BIN           ?= bin
# Each fuzz target's budget, as a count of runs ("50000x"): a duration
# ("60s") meets a race in Go 1.26's fuzz coordinator that fails a run with a
# bare "context deadline exceeded" when the time is up on a busy machine
# (golang/go#75804, fixed in Go 1.27).
FUZZTIME      ?= 50000x
# Manifests `make demo` applies (any directory of InferenceModels and InferencePools).
SAMPLES       ?= config/samples
# Minimizing each new interesting input may take this long (go's default is
# 60s, which would leave a short FUZZTIME no time to fuzz).
FUZZMINIMIZETIME ?= 5s

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: ## Generate deepcopy code for api/ with controller-gen.
	$(CONTROLLER_GEN) object paths=./api/...

.PHONY: manifests
manifests: ## Generate the CRDs (config/crd/bases) and RBAC (config/rbac/role.yaml, config/components/service-backend/role.yaml, config/components/epp-api/role.yaml, config/router/role.yaml) with controller-gen.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	@# One run per output file: paths=./controllers is not recursive, so the
	@# service-mode markers of controllers/servicebackend go to their component.
	$(CONTROLLER_GEN) rbac:roleName=modelroute paths=./controllers output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) rbac:roleName=modelroute-service-backend paths=./controllers/servicebackend output:rbac:artifacts:config=config/components/service-backend
	$(CONTROLLER_GEN) rbac:roleName=modelroute-epp-api paths=./controllers/eppapi output:rbac:artifacts:config=config/components/epp-api
	$(CONTROLLER_GEN) rbac:roleName=modelroute-router paths=./internal/modelproxy output:rbac:artifacts:config=config/router

# Everything `make generate manifests` writes.
GENERATED = api/*/zz_generated.deepcopy.go api/*/*/zz_generated.deepcopy.go config/crd/bases config/rbac/role.yaml config/components/service-backend/role.yaml config/components/epp-api/role.yaml config/router/role.yaml

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when generated files differ from the committed ones.
	@git diff --exit-code -- $(GENERATED) || { echo "generated files are stale: run 'make generate manifests' and commit"; exit 1; }
	@# git diff does not see a generated file that was never added.
	@test -z "$$(git ls-files --others --exclude-standard -- $(GENERATED))" || { echo "generated files not in git:"; git ls-files --others --exclude-standard -- $(GENERATED); exit 1; }

.PHONY: fmt
fmt: ## Format the code.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Vet the code.
	$(GO) vet ./...

.PHONY: controlplane
controlplane: ## Build (or reuse) the pinned etcd, kube-apiserver and kube-controller-manager.
	@bash tools/controlplane/build.sh >/dev/null

.PHONY: traefik
traefik: ## Build (or reuse) the pinned Traefik, the Gateway of the embedded conformance stack.
	@bash tools/traefik/build.sh >/dev/null

# The official OpenAI Node.js SDK that TestDemo points at the demo (from
# the npm registry, as package-lock.json pins it); skipped without npm.
NPM ?= $(shell command -v npm 2>/dev/null)
OPENAI_NODE = test/openai-node/node_modules/.package-lock.json

$(OPENAI_NODE): test/openai-node/package.json test/openai-node/package-lock.json
	cd test/openai-node && $(NPM) ci --no-audit --no-fund

.PHONY: test
test: vet controlplane traefik $(if $(NPM),$(OPENAI_NODE)) ## Run every test: unit, golden, and integration on the local control plane (and, with npm, the OpenAI Node.js SDK against the demo).
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@# -timeout: package controllers runs about 4 min, and its chaos tests build the
	@# modelroute binary first; with other builds on the 2 cores that build once took
	@# the rest of go test's default 10 min per package.
	KUBEBUILDER_ASSETS="$$(bash tools/controlplane/build.sh 2>/dev/null)" $(GO) test -count=1 -timeout 20m ./...
	@# The benchmarks build only with their tag: compile them, and test the scale report.
	$(GO) test -count=1 -tags bench -run '^TestReportTemplate$$' ./test/scale/
	$(GO) vet -tags bench ./test/proxybench/

.PHONY: chaos
chaos: controlplane ## Only the fault-injection tests of controllers/ (also part of `make test`), verbose; COUNT=3 runs them 3 times.
	KUBEBUILDER_ASSETS="$$(bash tools/controlplane/build.sh 2>/dev/null)" $(GO) test -count=$(or $(COUNT),1) -v -timeout 30m -run '^TestChaos$$' ./controllers/

.PHONY: fuzz
fuzz: ## Fuzz translate, render's input decoding and its YAML writer, and the OpenAI body reader, each for FUZZTIME runs (default 50000x); a crasher lands in testdata/fuzz.
	$(GO) test -run '^$$' -fuzz '^FuzzTranslate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./translate/
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./internal/render/
	$(GO) test -run '^$$' -fuzz '^FuzzYAMLWriter$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./internal/render/
	$(GO) test -run '^$$' -fuzz '^FuzzReadJSON$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./internal/openaibody/

.PHONY: bench-translate
bench-translate: ## Benchmark translate (one 10-target model) and render (10,000 models: in-process, and the binary's wall time and peak RSS).
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./translate/ ./internal/render/

.PHONY: bench
bench: controlplane ## Scale benchmark of the controller (1,000/10,000/50,000 models, unthrottled and throttled) on the local control plane; writes docs/benchmarks.md (BENCH_ARGS='-sizes 1000' etc.).
	$(GO) test -tags bench -count=1 -timeout 3h -v -run '^TestScale$$' ./test/scale/ -args $(BENCH_ARGS)

.PHONY: bench-foreign
bench-foreign: controlplane ## The controller's memory at 1,000 models without and with 50,000 foreign HTTPRoutes in the cluster; writes its block of docs/benchmarks.md (BENCH_ARGS='-foreign-routes 10000' etc.).
	$(GO) test -tags bench -count=1 -timeout 1h -v -run '^TestForeignRoutes$$' ./test/scale/ -args $(BENCH_ARGS)

.PHONY: bench-proxy
bench-proxy: ## The body-based router and the target-rewrite sidecar against a plain httputil.ReverseProxy and no proxy: latency, throughput, first event, memory; writes its block of docs/benchmarks.md (BENCH_ARGS='-latency-requests 1000' etc.).
	$(GO) test -tags bench -count=1 -timeout 30m -v -run '^TestProxyBench$$' ./test/proxybench/ -args $(BENCH_ARGS)

##@ Build and run

.PHONY: build
build: ## Build bin/modelroute.
	$(GO) build -trimpath -o $(BIN)/modelroute ./cmd/modelroute

# Release: VERSION is linked into the binary and labels the image; the image
# and install.yaml are reproducible from a commit (created = commit time).
VERSION           ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION          ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
PLATFORMS         ?= linux/amd64 linux/arm64
IMAGE             ?= modelroute:$(VERSION)
# The install variant: MODE=inferencepool or service, NAMESPACE= (every
# namespace) or the one to watch. Plain assignments, not ?=, so that a
# NAMESPACE or MODE in the environment (common in CI and in pods) cannot
# pick the variant; set them on the command line.
MODE               = inferencepool
NAMESPACE          =
# EPP_API=1 adds config/components/epp-api (inferencepool mode only).
EPP_API            =
# The Gateway the body-based router (bin/router.yaml) forwards to: its data
# plane's Service, which no convention names, and the Gateway object.
ROUTER_GATEWAY_URL =
ROUTER_GATEWAY_REF = gateway-system/inference-gateway

.PHONY: image
image: ## OCI image (linux/amd64, linux/arm64) without Docker: static binaries in bin/linux/*/, OCI layout in bin/image/ (docs/install.md).
	version='$(VERSION)'; set -e; \
	for p in $(PLATFORMS); do \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags "-s -w -X main.version=$$version" -o $(BIN)/$$p/modelroute ./cmd/modelroute; \
	done; \
	$(GO) run ./cmd/release image -o $(BIN)/image -version "$$version" -revision '$(REVISION)' -created '$(SOURCE_DATE_EPOCH)' \
	  $(foreach p,$(PLATFORMS),-binary $(p)=$(BIN)/$(p)/modelroute)

.PHONY: release-manifests
release-manifests: ## Write bin/crds.yaml (config/crd), bin/install.yaml (config/default) and, with ROUTER_GATEWAY_URL, bin/router.yaml (config/router); IMAGE=registry/modelroute:tag (default modelroute:VERSION), MODE=service, EPP_API=1, NAMESPACE=ns, ROUTER_GATEWAY_REF=ns/name.
	$(GO) run ./cmd/release crds -config config/crd -o $(BIN)/crds.yaml
	$(GO) run ./cmd/release manifests -config config/default -image '$(IMAGE)' -mode '$(MODE)' $(if $(EPP_API),-epp-api) -namespace '$(NAMESPACE)' -o $(BIN)/install.yaml
	@if [ -n '$(ROUTER_GATEWAY_URL)' ]; then \
	  $(GO) run ./cmd/release router -config config/router -image '$(IMAGE)' -gateway '$(ROUTER_GATEWAY_URL)' -gateway-ref '$(ROUTER_GATEWAY_REF)' -o $(BIN)/router.yaml; \
	else \
	  echo "not writing $(BIN)/router.yaml (the body-based router): set ROUTER_GATEWAY_URL=http://SERVICE.NAMESPACE.svc:PORT, your Gateway's data plane, and ROUTER_GATEWAY_REF=NAMESPACE/NAME (default $(ROUTER_GATEWAY_REF))"; \
	fi

.PHONY: run
run: build controlplane ## Local control plane + controller + config/samples; prints routes and conditions, runs until Ctrl-C (ARGS: controller flags).
	$(GO) run ./cmd/devcluster -modelroute $(BIN)/modelroute -samples config/samples $(RUN_FLAGS) -- $(ARGS)

.PHONY: demo
demo: controlplane traefik ## The whole local stack (control plane, modelroute, Traefik, the body-based router, model servers) with config/samples; prints OPENAI_BASE_URL=… and serves until Ctrl-C.
	$(GO) run ./cmd/devcluster -demo -samples $(SAMPLES) $(RUN_FLAGS) -- $(ARGS)

.PHONY: conformance
conformance: controlplane traefik ## The conformance suite on the embedded stack; report in bin/conformance-report.yaml.
	$(GO) test -count=1 -v -run TestConformance ./conformance/

.PHONY: render
render: ## Render config/samples/ (exit code 1 is expected: the samples include broken models).
	@$(GO) run ./cmd/modelroute render -f config/samples/; code=$$?; \
	  echo "# modelroute render exited $$code (0: all models routable, 1: some are not, see the lines above, 2: bad input)" >&2
