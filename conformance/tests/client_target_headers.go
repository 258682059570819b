package tests

import (
	"testing"

	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, ClientTargetHeaders) }

// clientPicked is the target a hostile client asks for.
const clientPicked = "client-picked-model"

var ClientTargetHeaders = conformance.ConformanceTest{
	ShortName: "ClientTargetHeaders",
	Description: "A client sends the rewrite header and its aliases itself: the server never sees the client's value, " +
		"whether the model has no target, one, or a split.",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "client_target_headers.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "plain", "alias", "split")
		client := map[string]string{s.RewriteHeader: clientPicked}
		for _, alias := range s.RewriteHeaderAliases {
			client[alias] = clientPicked
		}
		request := func(modelName string) conformance.Request {
			return conformance.WithHeaders(s.ModelRequest(modelName), client)
		}
		t.Run("no targets", func(t *testing.T) {
			s.ExpectRequestRouted(t, ns, request("ch-plain"), "alpha-pool-", nil, append([]string{s.RewriteHeader}, s.RewriteHeaderAliases...)...)
		})
		t.Run("one target", func(t *testing.T) {
			s.ExpectRequestRouted(t, ns, request("ch-alias"), "alpha-pool-", map[string]string{s.RewriteHeader: "ch-real-model"}, s.RewriteHeaderAliases...)
		})
		t.Run("a split", func(t *testing.T) {
			s.ExpectTargetsOnly(t, "ch-split", client, []string{"ch-lora-a", "ch-lora-b"}, s.RewriteHeaderAliases...)
		})
	},
}
