package tests

import (
	"testing"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, SingleTargetRewrite) }

var SingleTargetRewrite = conformance.ConformanceTest{
	ShortName:   "SingleTargetRewrite",
	Description: "A model with one target different from its name: the server serves the target (a server that does not serve the public name answers 404 otherwise); a target equal to the name is served as it.",
	Manifests:   []string{"pools.yaml", "single_target_rewrite.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "alias", "itself")
		s.ExpectRouted(t, ns, "st-alias", conformance.Routed{Backend: "alpha-pool-", Served: "st-real-model"})
		s.ExpectRouted(t, ns, "st-itself", conformance.Routed{Backend: "alpha-pool-"})
	},
}
