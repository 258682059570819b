package tests

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, PoolAppears) }

var PoolAppears = conformance.ConformanceTest{
	ShortName:   "PoolAppears",
	Description: "A model before its pool: no route and PoolNotFound; once the pool is created, traffic flows.",
	Manifests:   []string{"pool_appears.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		s.WaitForCondition(t, ns, "early", translate.ConditionResolvedRefs, metav1.ConditionFalse, translate.ReasonPoolNotFound)
		s.WaitForAbsent(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("early")}})
		s.ExpectNotRouted(t, "pa-early")
		s.Deploy(t, ns, latePool)
		s.ApplyManifest(t, ns, "pool_appears_pool.yaml")
		s.WaitForCondition(t, ns, "early", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		s.ExpectRouted(t, ns, "pa-early", conformance.Routed{Backend: "late-pool-"})
	},
}
