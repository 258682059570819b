package tests

import (
	"testing"

	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, PerTargetRewrite) }

var PerTargetRewrite = conformance.ConformanceTest{
	ShortName:   "PerTargetRewrite",
	Description: "A model with two targets: each request is served as the target it was picked for, and both targets are picked.",
	Features:    []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests:   []string{"pools.yaml", "per_target_rewrite.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "per-target")
		s.ExpectTargetsOnly(t, "pt-model", []string{"pt-lora-v1", "pt-lora-v2"}, nil)
		s.ExpectSplit(t, "pt-model", map[string]float64{"pt-lora-v1": 0.5, "pt-lora-v2": 0.5})
	},
}
