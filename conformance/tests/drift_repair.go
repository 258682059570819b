package tests

import (
	"testing"

	"context"

	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, DriftRepair) }

var DriftRepair = conformance.ConformanceTest{
	ShortName:   "DriftRepair",
	Description: "The generated route deleted, or edited by hand, is restored and traffic flows again.",
	Manifests:   []string{"pools.yaml", "drift_repair.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "drifting")
		s.ExpectRouted(t, ns, "dr-drifting", conformance.Routed{Backend: "alpha-pool-"})
		key := types.NamespacedName{Namespace: ns, Name: translate.RouteName("drifting")}
		ctx := context.Background()

		route := &gatewayv1.HTTPRoute{}
		if err := s.Client.Get(ctx, key, route); err != nil {
			t.Fatal(err)
		}
		route.Spec.Rules[0].Matches[0].Headers[0].Value = "dr-hijacked"
		if err := s.Client.Update(ctx, route); err != nil {
			t.Fatalf("editing the route: %v", err)
		}
		s.ExpectRouted(t, ns, "dr-drifting", conformance.Routed{Backend: "alpha-pool-"})

		if err := s.Client.Delete(ctx, route); err != nil {
			t.Fatalf("deleting the route: %v", err)
		}
		s.ExpectRouted(t, ns, "dr-drifting", conformance.Routed{Backend: "alpha-pool-"})
		s.ExpectNotRouted(t, "dr-hijacked")
	},
}
