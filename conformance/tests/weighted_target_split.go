package tests

import (
	"testing"

	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, WeightedTargetSplit) }

var WeightedTargetSplit = conformance.ConformanceTest{
	ShortName: "WeightedTargetSplit",
	Description: "Targets weighted 70/20/10: the share of requests served as each target (the reply's model) " +
		"is within statistical tolerance of its weight.",
	// Every target is in the same pool, so only the per-backend rewrite
	// header tells which backendRef a request went through.
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "weighted_target_split.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "split")
		s.ExpectTargetsOnly(t, "ws-split", []string{"ws-lora-a", "ws-lora-b", "ws-lora-c"}, nil)
		s.ExpectSplit(t, "ws-split", map[string]float64{"ws-lora-a": 0.7, "ws-lora-b": 0.2, "ws-lora-c": 0.1})
	},
}
