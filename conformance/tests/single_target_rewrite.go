package tests

import (
	"testing"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, SingleTargetRewrite) }

var SingleTargetRewrite = conformance.ConformanceTest{
	ShortName:   "SingleTargetRewrite",
	Description: "A model with one target different from its name: the backend receives the rewrite header with the target's name; a target equal to the name adds no header.",
	Manifests:   []string{"pools.yaml", "single_target_rewrite.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "alias", "itself")
		s.ExpectRouted(t, ns, "st-alias", "alpha-pool-", map[string]string{s.RewriteHeader: "st-real-model"})
		s.ExpectRouted(t, ns, "st-itself", "alpha-pool-", nil, s.RewriteHeader)
	},
}
