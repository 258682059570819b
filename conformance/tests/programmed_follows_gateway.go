package tests

import (
	"testing"

	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, ProgrammedFollowsGateway) }

var ProgrammedFollowsGateway = conformance.ConformanceTest{
	ShortName:   "ProgrammedFollowsGateway",
	Description: "Programmed=True once the Gateway accepted the route; a parentRef to a listener the Gateway lacks gives Programmed=False with the Gateway's reason.",
	Manifests:   []string{"pools.yaml", "programmed_follows_gateway.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "attached")
		s.ExpectRouted(t, ns, "pg-attached", conformance.Routed{Backend: "alpha-pool-"})
		c := s.WaitForCondition(t, ns, "bad-section", translate.ConditionProgrammed, metav1.ConditionFalse, translate.ReasonRouteNotAccepted)
		if !strings.Contains(c.Message, "Accepted=False") || !strings.Contains(c.Message, s.Gateway.String()+"/no-such-listener") {
			t.Errorf("Programmed message %q: want the Gateway's Accepted=False verdict on %s/no-such-listener", c.Message, s.Gateway)
		}
		s.ExpectNotRouted(t, "pg-bad-section")
	},
}
