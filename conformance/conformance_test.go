package conformance_test

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/conformance/utils/roundtripper"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/conformance/tests"
	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/localstack"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/translate"
)

// Flags for a run against a real cluster (go test ./conformance -args ...).
// Without --kubeconfig (registered by controller-runtime, which this test
// links) the suite runs on the embedded stack.
var (
	gatewayFlag       = flag.String("gateway", "", "NAMESPACE/NAME of the Gateway the test routes attach to")
	address           = flag.String("address", "", "HOST:PORT where the Gateway's HTTP listener receives traffic")
	routerURL         = flag.String("openai-base-url", "", "the body-based router in front of the Gateway, http://HOST:PORT/v1; empty: the suite runs one in-process, in front of --address")
	backendMode       = flag.String("backend", "service", "the backend mode modelroute runs with: service or inferencepool")
	supportedFeatures = flag.String("supported-features", "", "comma-separated features of the Gateway; empty: read GatewayClass.status.supportedFeatures")
	modelHeader       = flag.String("model-header", translate.DefaultModelHeader, "modelroute's --model-header")
	rewriteHeader     = flag.String("rewrite-header", translate.DefaultRewriteHeader, "modelroute's --rewrite-header")
	criticalityHeader = flag.String("criticality-header", "", "modelroute's --criticality-header; empty skips CriticalityHeader")
	rewriteAliases    = flag.String("rewrite-header-aliases", translate.DefaultRewriteHeaderAlias, "modelroute's --rewrite-header-alias values, comma-separated")
	restricted        = flag.String("restricted-listener", "", "SECTION,HOSTNAME,KEY=VALUE: a listener of the Gateway taking routes only from namespaces labelled KEY=VALUE, for HOSTNAME; empty skips RejectedRouteShadowsNoOne")
	echoImage         = flag.String("echo-image", conformance.DefaultEchoImage, "image of the echo model servers deployed in the cluster")
	implementation    = flag.String("implementation", "", "ORGANIZATION/PROJECT@VERSION of the Gateway API implementation, for the report")
	reportOutput      = flag.String("report-output", "", "where to write the report (YAML); default for the embedded stack: bin/conformance-report.yaml")
)

func TestConformance(t *testing.T) {
	var s *conformance.Suite
	report := *reportOutput
	if kubeconfig() == "" {
		var log io.Writer
		if os.Getenv("MODELROUTE_TEST_LOG") != "" {
			log = os.Stderr
		}
		env, err := localstack.Start(context.Background(), localstack.Options{Log: log})
		if err != nil {
			t.Fatalf("starting the embedded stack: %v", err)
		}
		t.Cleanup(func() {
			if err := env.Stop(); err != nil {
				t.Errorf("stopping the embedded stack: %v", err)
			}
		})
		s = env.Suite
		if report == "" {
			report = filepath.Join(controlplane.RepoRoot(), "bin", "conformance-report.yaml")
		}
	} else {
		s = clusterSuite(t)
	}
	if s.OpenAIBaseURL == "" {
		router, err := localstack.StartRouter(context.Background(), localstack.RouterOptions{
			Config: clusterConfig(t), Gateway: s.Gateway, GatewayAddress: s.GatewayAddress,
			ModelHeader: s.ModelHeader, RewriteHeader: s.RewriteHeader, RewriteHeaderAliases: s.RewriteHeaderAliases,
			Log: logr.Discard(),
		})
		if err != nil {
			t.Fatalf("starting a router in front of %s: %v", s.GatewayAddress, err)
		}
		t.Cleanup(func() { _ = router.Stop() })
		s.OpenAIBaseURL = router.BaseURL
	}
	s.ManifestFS = tests.Manifests
	result := conformance.Run(t, s, tests.ConformanceTests)
	if report != "" {
		if err := os.MkdirAll(filepath.Dir(report), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := conformance.WriteReport(report, result); err != nil {
			t.Fatalf("writing the report: %v", err)
		}
		t.Logf("report written to %s", report)
	}
}

func clusterConfig(t *testing.T) *rest.Config {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func clusterSuite(t *testing.T) *conformance.Suite {
	cfg := clusterConfig(t)
	scheme, err := controllers.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns, name, ok := strings.Cut(*gatewayFlag, "/")
	if !ok || *address == "" {
		t.Fatal("--gateway NAMESPACE/NAME and --address HOST:PORT are required with --kubeconfig")
	}
	gw := types.NamespacedName{Namespace: ns, Name: name}
	supported := sets.New[features.FeatureName]()
	if *supportedFeatures != "" {
		for _, f := range strings.Split(*supportedFeatures, ",") {
			supported.Insert(features.FeatureName(strings.TrimSpace(f)))
		}
	} else {
		supported = gatewayClassFeatures(t, c, gw)
	}
	if *criticalityHeader != "" {
		supported.Insert(conformance.SupportCriticalityHeader)
	}
	var listener conformance.RestrictedListener
	if *restricted != "" {
		parts := strings.Split(*restricted, ",")
		key, value, ok := strings.Cut(parts[len(parts)-1], "=")
		if len(parts) != 3 || !ok {
			t.Fatalf("--restricted-listener %q: want SECTION,HOSTNAME,KEY=VALUE", *restricted)
		}
		listener = conformance.RestrictedListener{Section: parts[0], Hostname: parts[1], Label: map[string]string{key: value}}
		supported.Insert(conformance.SupportRestrictedListener)
	}
	var aliases []string
	for _, a := range strings.Split(*rewriteAliases, ",") {
		if a = strings.TrimSpace(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	timeouts := conformance.DefaultTimeoutConfig()
	impl := confv1.Implementation{Contact: []string{}}
	if org, rest, ok := strings.Cut(*implementation, "/"); ok {
		impl.Organization = org
		impl.Project, impl.Version, _ = strings.Cut(rest, "@")
	}
	return &conformance.Suite{
		Client: c, Gateway: gw, GatewayAddress: *address, OpenAIBaseURL: *routerURL,
		Backend:     translate.BackendMode(*backendMode),
		ModelHeader: *modelHeader, RewriteHeader: *rewriteHeader, CriticalityHeader: *criticalityHeader,
		RewriteHeaderAliases: aliases, RestrictedListener: listener,
		SupportedFeatures: supported,
		Backends:          conformance.ClusterBackends{Client: c, Image: *echoImage},
		Implementation:    impl,
		Mode:              "cluster",
		TimeoutConfig:     timeouts,
		RoundTripper:      &roundtripper.DefaultRoundTripper{TimeoutConfig: timeouts},
	}
}

// gatewayClassFeatures reads the supported features the implementation
// publishes on the Gateway's GatewayClass.
func gatewayClassFeatures(t *testing.T, c client.Client, gw types.NamespacedName) sets.Set[features.FeatureName] {
	ctx := context.Background()
	gateway := &gatewayv1.Gateway{}
	if err := c.Get(ctx, gw, gateway); err != nil {
		t.Fatalf("Gateway %s: %v", gw, err)
	}
	class := &gatewayv1.GatewayClass{}
	if err := c.Get(ctx, types.NamespacedName{Name: string(gateway.Spec.GatewayClassName)}, class); err != nil {
		t.Fatalf("GatewayClass %s: %v", gateway.Spec.GatewayClassName, err)
	}
	out := sets.New[features.FeatureName]()
	for _, f := range class.Status.SupportedFeatures {
		out.Insert(features.FeatureName(f.Name))
	}
	return out
}

// kubeconfig is the --kubeconfig flag controller-runtime registers.
func kubeconfig() string {
	if f := flag.Lookup("kubeconfig"); f != nil {
		return f.Value.String()
	}
	return ""
}
