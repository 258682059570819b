package tests

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, ModelDeleted) }

var ModelDeleted = conformance.ConformanceTest{
	ShortName:   "ModelDeleted",
	Description: "A deleted model's route is garbage-collected and its name is no longer routed.",
	Manifests:   []string{"pools.yaml", "model_deleted.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "doomed")
		s.ExpectRouted(t, ns, "md-doomed", conformance.Routed{Backend: "alpha-pool-"})
		s.DeleteModel(t, ns, "doomed")
		s.WaitForAbsent(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("doomed")}})
		s.ExpectNotRouted(t, "md-doomed")
	},
}
