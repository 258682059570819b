package tests

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, WeightEditedUnderTraffic) }

var WeightEditedUnderTraffic = conformance.ConformanceTest{
	ShortName: "WeightEditedUnderTraffic",
	Description: "Weights edited from 90/10 to 20/80 while requests flow: once the model is Programmed for the new " +
		"generation the new split is seen, and no request fails or reaches another target meanwhile.",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "weight_edited_under_traffic.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "edited")
		s.ExpectTargetsOnly(t, "we-model", []string{"we-lora-v1", "we-lora-v2"}, nil)
		s.ExpectSplit(t, "we-model", map[string]float64{"we-lora-v1": 0.9, "we-lora-v2": 0.1})

		traffic := s.StartTraffic("we-model", "we-lora-v1", "we-lora-v2")
		s.UpdateModel(t, ns, "edited", func(m *v1alpha2.InferenceModel) {
			m.Spec.TargetModels = []v1alpha2.TargetModel{
				{Name: "we-lora-v1", Weight: ptr.To[int32](20)}, {Name: "we-lora-v2", Weight: ptr.To[int32](80)},
			}
		})
		s.WaitForCondition(t, ns, "edited", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		s.ExpectSplitEventually(t, "we-model", map[string]float64{"we-lora-v1": 0.2, "we-lora-v2": 0.8})
		sent, failures := traffic.Stop()
		if len(failures) > 0 {
			t.Errorf("%d of %d requests sent during the edit failed; the first: %v", len(failures), sent, failures[0])
		}
		t.Logf("%d requests sent during the edit, each answered for one of the model's targets", sent)
	},
}
