package tests

import (
	"testing"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, ModelHeaderRouting) }

var ModelHeaderRouting = conformance.ConformanceTest{
	ShortName:   "ModelHeaderRouting",
	Description: "Two pools, three models: each request reaches only servers of its model's pool; an unknown model name is not routed.",
	Manifests:   []string{"pools.yaml", "model_header_routing.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "alpha-one", "alpha-two", "beta-one")
		s.ExpectRouted(t, ns, "hr-alpha-one", conformance.Routed{Backend: "alpha-pool-"})
		s.ExpectRouted(t, ns, "hr-alpha-two", conformance.Routed{Backend: "alpha-pool-"})
		s.ExpectRouted(t, ns, "hr-beta-one", conformance.Routed{Backend: "beta-pool-"})
		s.ExpectNotRouted(t, "hr-no-such-model")
	},
}
