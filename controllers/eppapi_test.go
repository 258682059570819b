package controllers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// eppAPIConfig is testConfig with --epp-api=auto, which picks llm-d.ai:
// the test control plane serves the successors in both groups.
func eppAPIConfig() translate.Config {
	cfg := testConfig()
	cfg.EPPAPI = "auto"
	return cfg
}

// hasEPPRewrite waits for the model's own llm-d.ai InferenceModelRewrite:
// controlled by the model, with the rule want.
func hasEPPRewrite(ns, model string, want v1alpha2.InferenceModelRewriteRule) func() error {
	return func() error {
		m, err := getModel(ns, model)
		if err != nil {
			return err
		}
		rw := &llmdv1alpha2.InferenceModelRewrite{}
		if err := get(rw, ns, translate.RouteName(model)); err != nil {
			return err
		}
		if ref := metav1.GetControllerOf(rw); ref == nil || ref.UID != m.UID || ref.Kind != "InferenceModel" {
			return fmt.Errorf("the rewrite's controller is %+v", ref)
		}
		if diff := cmp.Diff([]v1alpha2.InferenceModelRewriteRule{want}, rw.Spec.Rules); diff != "" {
			return fmt.Errorf("the rewrite's rules (-want +got):\n%s", diff)
		}
		return nil
	}
}

func exactMatch(model string) []v1alpha2.Match {
	return []v1alpha2.Match{{Model: v1alpha2.ModelMatch{Type: ptr.To(v1alpha2.MatchExact), Value: model}}}
}

// TestEPPAPI: with --epp-api a model gets an InferenceModelRewrite (its
// targets and weights) and, with a criticality, an InferenceObjective, both
// owned by it in the llm-d.ai group; its route sends it to the pool
// unsplit and names the objective. Hand edits are undone, a dropped
// criticality drops the objective, the model's own rewrite gets no route or
// status of its own, and the garbage collector takes both with the model.
func TestEPPAPI(t *testing.T) {
	ns := newNamespace(t)
	model := newModel(ns, "chat", "llama", "pool-a", weighted("llama-v1", 90), weighted("llama-v2", 10))
	model.Spec.Criticality = ptr.To(v1alpha2.Critical)
	create(t, alphaPool(ns, "pool-a"), model)
	m := startManager(t, ns, eppAPIConfig())

	resolvedCfg := testConfig()
	resolvedCfg.EPPAPI = translate.GroupLLMD
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", resolvedCfg))
	route := mustGet(t, &gatewayv1.HTTPRoute{}, ns, translate.RouteName("chat"))
	rule := route.Spec.Rules[0]
	if n := len(rule.BackendRefs); n != 1 || len(rule.BackendRefs[0].Filters) != 0 || string(rule.BackendRefs[0].Name) != "pool-a" {
		t.Errorf("backendRefs %+v; want the pool, unsplit, without filters", rule.BackendRefs)
	}
	wantFilter := &gatewayv1.HTTPHeaderFilter{
		Set:    []gatewayv1.HTTPHeader{{Name: "x-llm-d-inference-objective", Value: "chat-modelroute"}},
		Remove: []string{"X-Gateway-Model-Name-Rewrite", "x-gateway-inference-objective", "x-llm-d-model-name-rewrite"},
	}
	if diff := cmp.Diff(wantFilter, rule.Filters[0].RequestHeaderModifier); diff != "" {
		t.Errorf("the rule's header filter (-want +got):\n%s", diff)
	}
	split := v1alpha2.InferenceModelRewriteRule{Matches: exactMatch("llama"), Targets: []v1alpha2.TargetModelRewrite{
		{ModelRewrite: "llama-v1", Weight: ptr.To(int32(90))}, {ModelRewrite: "llama-v2", Weight: ptr.To(int32(10))},
	}}
	harness.Eventually(t, hasEPPRewrite(ns, "chat", split))
	objective := mustGet(t, &llmdv1alpha2.InferenceObjective{}, ns, "chat-modelroute")
	if p := ptr.Deref(objective.Spec.Priority, -99); p != 1 || objective.Spec.PoolRef.Name != "pool-a" || string(objective.Spec.PoolRef.Group) != alphaGroup {
		t.Errorf("objective spec %+v; want priority 1 on pool-a of %s", objective.Spec, alphaGroup)
	}
	if ref := metav1.GetControllerOf(objective); ref == nil || ref.Name != "chat" || ref.Kind != "InferenceModel" {
		t.Errorf("the objective's controller is %+v", ref)
	}
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "llama"), pending(1, "chat", 1)))

	// Output, not input: no route of its own, and no status from
	// modelroute's rewrite reconciler.
	if err := absent(&gatewayv1.HTTPRoute{}, ns, translate.RouteName("chat-modelroute"))(); err != nil {
		t.Error(err)
	}
	if rw := mustGet(t, &llmdv1alpha2.InferenceModelRewrite{}, ns, "chat-modelroute"); len(rw.Status.Conditions) > 0 && rw.Status.Conditions[0].Reason != "Pending" {
		t.Errorf("the model's rewrite got conditions %+v", rw.Status.Conditions)
	}

	// A hand edit of the rewrite is drift, undone.
	update(t, &llmdv1alpha2.InferenceModelRewrite{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat-modelroute"}}, func(rw *llmdv1alpha2.InferenceModelRewrite) {
		rw.Spec.Rules[0].Targets = []v1alpha2.TargetModelRewrite{{ModelRewrite: "llama-v2"}}
	})
	harness.Eventually(t, hasEPPRewrite(ns, "chat", split))

	// Without a criticality the objective goes, and no client names one.
	update(t, model, func(m *v1alpha2.InferenceModel) { m.Spec.Criticality = nil })
	harness.Eventually(t, absent(&llmdv1alpha2.InferenceObjective{}, ns, "chat-modelroute"))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", resolvedCfg))
	harness.Eventually(t, hasEPPRewrite(ns, "chat", split))

	if denied := m.Requests.Denied(); len(denied) != 0 {
		t.Errorf("requests denied: %q", denied)
	}
	// The garbage collector takes the rewrite with the model.
	if err := k8s.Delete(context.Background(), model); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, absent(&llmdv1alpha2.InferenceModelRewrite{}, ns, "chat-modelroute"))
}
