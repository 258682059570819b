package tests

import (
	"slices"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, ClientTargetHeaders) }

// clientPicked is the target a hostile client asks for; no server serves
// it, so a request that reaches a server with it fails.
const clientPicked = "client-picked-model"

var ClientTargetHeaders = conformance.ConformanceTest{
	ShortName: "ClientTargetHeaders",
	Description: "A client sends the rewrite header and its aliases itself: no server acts on the client's value, " +
		"whether the model has no target, one, or a split; through the router (which removes them) and straight " +
		"to the Gateway, as llm-d's payload processor forwards them on Envoy (the routes remove or set them).",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "client_target_headers.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "plain", "alias", "split")
		targetHeaders := append([]string{s.RewriteHeader}, s.RewriteHeaderAliases...)
		var hostile []option.RequestOption
		for _, h := range targetHeaders {
			hostile = append(hostile, option.WithHeader(h, clientPicked))
		}
		for _, path := range []struct {
			name   string
			direct bool
		}{{"through the router", false}, {"straight to the Gateway", true}} {
			opts := func(modelName string) []option.RequestOption {
				if !path.direct {
					return hostile
				}
				return append(slices.Clone(hostile), s.BypassRouter(modelName)...)
			}
			t.Run(path.name, func(t *testing.T) {
				t.Run("no targets", func(t *testing.T) {
					s.ExpectRouted(t, ns, "ch-plain", conformance.Routed{Backend: "alpha-pool-", Absent: targetHeaders}, opts("ch-plain")...)
				})
				t.Run("one target", func(t *testing.T) {
					s.ExpectRouted(t, ns, "ch-alias", conformance.Routed{Backend: "alpha-pool-", Served: "ch-real-model", Absent: s.RewriteHeaderAliases}, opts("ch-alias")...)
				})
				t.Run("a split", func(t *testing.T) {
					s.ExpectTargetsOnly(t, "ch-split", []string{"ch-lora-a", "ch-lora-b"}, s.RewriteHeaderAliases, opts("ch-split")...)
				})
			})
		}
	},
}
