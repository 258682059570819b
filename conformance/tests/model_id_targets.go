package tests

import (
	"maps"
	"slices"
	"testing"

	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, ModelIDTargets) }

var ModelIDTargets = conformance.ConformanceTest{
	ShortName: "ModelIDTargets",
	Description: "Four targets named as vLLM serves models and LoRA adapters (org/model, name:v2), weighted 55/25/12/8: " +
		"each request is served as its target's name, unchanged, in its weight's share.",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "model_id_targets.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "model-ids")
		weights := map[string]float64{
			"meta-llama/Llama-3.1-8B-Instruct": 0.55, "acme/support-lora": 0.25, "support-lora:v2": 0.12, "support-lora:v3-rc.1": 0.08,
		}
		s.ExpectTargetsOnly(t, "mi-llama", slices.Sorted(maps.Keys(weights)), nil)
		s.ExpectSplit(t, "mi-llama", weights)
	},
}
