// Package tests holds modelroute's conformance tests, one per file with its
// manifest beside it (<test>.yaml; pools.yaml is shared), in the style of
// the Gateway API conformance suite. Each file registers its test in
// ConformanceTests.
package tests

import (
	"embed"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

// ConformanceTests is the suite, in file name order.
var ConformanceTests []conformance.ConformanceTest

// Manifests are the tests' manifests; "{{GATEWAY}}" in them becomes the
// Gateway's NAMESPACE/NAME.
//
//go:embed *.yaml
var Manifests embed.FS

// The pools of pools.yaml and pool_appears_pool.yaml.
var (
	alphaPool = conformance.Pool{Group: translate.GroupInferenceAlpha, Name: "alpha-pool",
		Selector: map[string]string{"app": "alpha-pool"}, TargetPort: 18080, Replicas: 2}
	betaPool = conformance.Pool{Group: translate.GroupInferenceV1, Name: "beta-pool",
		Selector: map[string]string{"app": "beta-pool"}, TargetPort: 18080, Replicas: 2}
	latePool = conformance.Pool{Group: translate.GroupInferenceAlpha, Name: "late-pool",
		Selector: map[string]string{"app": "late-pool"}, TargetPort: 18080, Replicas: 1}
)

// deployPools starts the servers of the standard pools and waits until each
// of the models is Programmed.
func deployPools(t *testing.T, s *conformance.Suite, ns string, models ...string) {
	t.Helper()
	s.Deploy(t, ns, alphaPool)
	s.Deploy(t, ns, betaPool)
	for _, m := range models {
		s.WaitForCondition(t, ns, m, translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
	}
}
