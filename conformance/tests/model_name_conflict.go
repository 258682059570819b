package tests

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, ModelNameConflict) }

var ModelNameConflict = conformance.ConformanceTest{
	ShortName:   "ModelNameConflict",
	Description: "Two models of one pool with one modelName: the younger gets no traffic and ModelNameInUse; once the older is deleted, traffic flows the younger one's way.",
	Manifests:   []string{"pools.yaml", "model_name_conflict.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "first")
		s.WaitForCondition(t, ns, "second", translate.ConditionAccepted, metav1.ConditionFalse, translate.ReasonModelNameInUse)
		s.ExpectRouted(t, ns, "mc-shared", conformance.Routed{Backend: "alpha-pool-"})
		s.DeleteModel(t, ns, "first")
		s.WaitForCondition(t, ns, "second", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		s.ExpectRouted(t, ns, "mc-shared", conformance.Routed{Backend: "alpha-pool-", Served: "mc-second-target"})
	},
}
