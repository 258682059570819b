package tests

import (
	"testing"

	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, CriticalityHeader) }

var CriticalityHeader = conformance.ConformanceTest{
	ShortName:   "CriticalityHeader",
	Description: "With --criticality-header, the backend receives the model's criticality, Standard when unset.",
	Features:    []features.FeatureName{conformance.SupportCriticalityHeader},
	Manifests:   []string{"pools.yaml", "criticality_header.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "critical", "unset")
		s.ExpectRouted(t, ns, "cr-critical", conformance.Routed{Backend: "alpha-pool-", Headers: map[string]string{s.CriticalityHeader: "Critical"}})
		s.ExpectRouted(t, ns, "cr-unset", conformance.Routed{Backend: "alpha-pool-", Headers: map[string]string{s.CriticalityHeader: "Standard"}})
	},
}
