package tests

import (
	"context"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, RewriteInput) }

var RewriteInput = conformance.ConformanceTest{
	ShortName: "RewriteInput",
	Description: "InferenceModelRewrites as the input, in both groups: a 50/50 split (llm-d.ai) and an alias (inference.networking.x-k8s.io) " +
		"are served as their targets, both targets are picked, and the client's own rewrite headers change nothing.",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "rewrite_input.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		pool := alphaPool
		pool.Models = []string{"rw-base", "rw-lora-a", "rw-lora-b"}
		s.Deploy(t, ns, pool)
		s.Deploy(t, ns, betaPool)
		for _, rw := range []struct{ group, name string }{{translate.GroupLLMD, "rw-split"}, {translate.GroupInferenceAlpha, "rw-alias"}} {
			waitRewriteProgrammed(t, s, ns, rw.group, rw.name)
		}
		var hostile []option.RequestOption
		for _, h := range []string{"X-Gateway-Model-Name-Rewrite", "x-llm-d-model-name-rewrite"} {
			hostile = append(hostile, option.WithHeader(h, "rw-base"))
		}
		s.ExpectTargetsOnly(t, "rw-model", []string{"rw-lora-a", "rw-lora-b"}, nil, hostile...)
		s.ExpectSplit(t, "rw-model", map[string]float64{"rw-lora-a": 0.5, "rw-lora-b": 0.5})
		s.ExpectTargetsOnly(t, "rw-alias", []string{"rw-base"}, nil)
	},
}

// pollEvery is how often waitRewriteProgrammed reads the rewrite.
const pollEvery = 200 * time.Millisecond

// waitRewriteProgrammed waits until the rewrite of group is Programmed for
// its current generation.
func waitRewriteProgrammed(t *testing.T, s *conformance.Suite, ns, group, name string) {
	t.Helper()
	var last *metav1.Condition
	err := wait.PollUntilContextTimeout(context.Background(), pollEvery, s.TimeoutConfig.MaxTimeToConsistency, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: group, Version: "v1alpha2", Kind: translate.KindInferenceModelRewrite})
		if err := s.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
			return false, nil
		}
		raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		var conditions []metav1.Condition
		for _, c := range raw {
			m, _ := c.(map[string]any)
			status, _ := m["status"].(string)
			typ, _ := m["type"].(string)
			reason, _ := m["reason"].(string)
			message, _ := m["message"].(string)
			gen, _ := m["observedGeneration"].(int64)
			conditions = append(conditions, metav1.Condition{Type: typ, Status: metav1.ConditionStatus(status), ObservedGeneration: gen,
				Reason: reason, Message: message})
		}
		last = meta.FindStatusCondition(conditions, translate.ConditionProgrammed)
		return last != nil && last.Status == metav1.ConditionTrue && last.ObservedGeneration == u.GetGeneration(), nil
	})
	if err != nil {
		t.Fatalf("InferenceModelRewrite %s/%s (%s): not Programmed, last seen %+v: %v", ns, name, group, last, err)
	}
}
