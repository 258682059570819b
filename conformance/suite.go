// Package conformance proves on a real Gateway that the routes modelroute
// generates carry model traffic correctly. It is declared in the style of
// the Gateway API conformance suite and reuses its utilities: each test is a
// value with a short name, a description, the features it needs and its
// manifests; HTTP assertions go through the upstream round tripper and
// compare the request as the backend saw it; the report is an upstream
// ConformanceReport plus one line per test.
//
// The tests themselves are in package conformance/tests, one per file. The
// suite runs against any cluster where modelroute runs (see
// docs/conformance.md), or on the local stack of package
// internal/localstack: a local control
// plane, modelroute in-process and Traefik, which is what `make test` does.
package conformance

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/conformance/utils/config"
	"sigs.k8s.io/gateway-api/conformance/utils/roundtripper"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/translate"
)

// Features of our own, next to the Gateway API ones.
const (
	// SupportInferencePoolBackend: the Gateway routes to InferencePool
	// backendRefs. Needed by every test when modelroute runs in
	// inferencepool mode.
	SupportInferencePoolBackend features.FeatureName = "modelroute.dev/InferencePoolBackend"
	// SupportCriticalityHeader: modelroute runs with --criticality-header.
	SupportCriticalityHeader features.FeatureName = "modelroute.dev/CriticalityHeader"
	// SupportRestrictedListener: the Gateway has a listener that takes
	// routes from labelled namespaces only (Suite.RestrictedListener).
	SupportRestrictedListener features.FeatureName = "modelroute.dev/RestrictedListener"
	// SupportStreamingModelServers: the model servers Backends deploy
	// stream server-sent events, as vLLM does (the local stack's
	// stand-ins do; the Gateway API echo server does not).
	SupportStreamingModelServers features.FeatureName = "modelroute.dev/StreamingModelServers"
)

// RestrictedListener is a listener of the Gateway under test whose
// allowedRoutes admit routes only from namespaces labelled Label, for
// requests to Hostname.
type RestrictedListener struct {
	Section  string
	Hostname string
	// Label is the one label (key and value) a namespace needs.
	Label map[string]string
}

// ConformanceTest is one test of the suite.
type ConformanceTest struct {
	ShortName   string
	Description string
	// Features the Gateway (or modelroute's configuration) must support;
	// the test is skipped, with the reason in the report, otherwise.
	Features []features.FeatureName
	// Manifests are files of Suite.ManifestFS, applied into the test's
	// namespace before Test runs; "{{GATEWAY}}" becomes the Gateway's
	// NAMESPACE/NAME.
	Manifests []string
	Test      func(t *testing.T, s *Suite, ns string)
}

// Suite is where the tests run and what they may assume.
type Suite struct {
	Client client.Client
	// Gateway the generated routes attach to (through the parent-refs
	// annotation the manifests carry), and the address of its HTTP
	// listener.
	Gateway        types.NamespacedName
	GatewayAddress string
	// OpenAIBaseURL is the body-based router in front of the Gateway
	// (http://HOST:PORT/v1): where the suite's OpenAI client sends its
	// requests, with no routing header, as users' clients do.
	OpenAIBaseURL string
	// How modelroute runs in the cluster.
	Backend           translate.BackendMode
	ModelHeader       string
	RewriteHeader     string
	CriticalityHeader string
	// RewriteHeaderAliases are modelroute's --rewrite-header-alias: every
	// route removes them.
	RewriteHeaderAliases []string
	// RestrictedListener, with feature SupportRestrictedListener.
	RestrictedListener RestrictedListener
	// SupportedFeatures of the Gateway, plus ours.
	SupportedFeatures sets.Set[features.FeatureName]
	// Backends starts echo model servers for a pool.
	Backends Backends
	// ManifestFS holds the tests' manifests (package tests' Manifests).
	ManifestFS fs.FS
	// Implementation names the Gateway API implementation in the report.
	Implementation confv1.Implementation
	// Mode names the kind of run in the report ("embedded", "cluster").
	Mode string

	TimeoutConfig config.TimeoutConfig
	RoundTripper  roundtripper.RoundTripper
}

// Pool describes the model servers behind one InferencePool of a test's
// manifests.
type Pool struct {
	Group      string // InferencePool API group
	Name       string
	Selector   map[string]string
	TargetPort int32
	Replicas   int
	// Models are the names the servers serve, as vLLM serves a base model
	// and LoRA adapters; any other name gets 404. Suite.Deploy fills in,
	// when empty, what the pool's InferenceModels need (ServedNames).
	Models []string
}

// Backends starts model servers for pools. The servers answer as pods
// named "<pool>-<n>" (or with that prefix) in namespace ns, and go away
// when scope ends.
type Backends interface {
	Deploy(ctx context.Context, scope Scope, ns string, pool Pool) error
}

// Scope is what deployed backends need of their caller: a place to register
// their teardown and to report. *testing.T is one; `make demo` has its own.
type Scope interface {
	Cleanup(func())
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// DefaultTimeoutConfig is the upstream one with the waits our tests need.
func DefaultTimeoutConfig() config.TimeoutConfig {
	cfg := config.DefaultTimeoutConfig()
	cfg.MaxTimeToConsistency = 60 * time.Second
	cfg.RequestTimeout = 10 * time.Second
	cfg.RequiredConsecutiveSuccesses = 3
	return cfg
}
