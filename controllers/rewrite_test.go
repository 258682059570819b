package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/gitopshealth"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// rewriteRule matches models and rewrites them to targets "name=weight".
func rewriteRule(models []string, targets ...string) v1alpha2.InferenceModelRewriteRule {
	var r v1alpha2.InferenceModelRewriteRule
	for _, m := range models {
		r.Matches = append(r.Matches, v1alpha2.Match{Model: v1alpha2.ModelMatch{Value: m}})
	}
	for _, t := range targets {
		name, weight, _ := strings.Cut(t, "=")
		rt := v1alpha2.TargetModelRewrite{ModelRewrite: name}
		if weight != "" {
			var w int32
			_, _ = fmt.Sscan(weight, &w)
			rt.Weight = ptr.To(w)
		}
		r.Targets = append(r.Targets, rt)
	}
	return r
}

// hasRewriteConditions waits for want (reason and status per type, all of
// the current generation) on a rewrite of either group.
func hasRewriteConditions(obj client.Object, want map[string]string) func() error {
	return func() error {
		if err := get(obj, obj.GetNamespace(), obj.GetName()); err != nil {
			return err
		}
		var conditions []metav1.Condition
		switch o := obj.(type) {
		case *llmdv1alpha2.InferenceModelRewrite:
			conditions = o.Status.Conditions
		case *v1alpha2.InferenceModelRewrite:
			conditions = o.Status.Conditions
		}
		got := map[string]string{}
		for _, c := range conditions {
			if c.ObservedGeneration == obj.GetGeneration() {
				got[c.Type] = string(c.Status) + " " + c.Reason
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("%s conditions (-want +got):\n%s", obj.GetName(), diff)
		}
		return nil
	}
}

// nextSecond waits until the wall clock is in a later second than now:
// creationTimestamps have one-second resolution, and the tests need one
// object older than another.
func nextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now) + 10*time.Millisecond)
}

// TestRewriteRouted: an llm-d.ai InferenceModelRewrite gets a route it
// controls (inferencepool mode: its model to the pool, unsplit, the
// rewrite header removed, so that the endpoint picker splits from the
// rewrite), and status that follows the Gateway's verdict, which GitOps
// tools read as for a model.
func TestRewriteRouted(t *testing.T) {
	ns := newNamespace(t)
	rw := &llmdv1alpha2.InferenceModelRewrite{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "support"},
		Spec: v1alpha2.InferenceModelRewriteSpec{
			PoolRef: v1alpha2.SuccessorPoolReference{Name: "pool-v1"},
			Rules:   []v1alpha2.InferenceModelRewriteRule{rewriteRule([]string{"support-assistant"}, "lora-v1=90", "lora-v2=10")},
		},
	}
	create(t, v1Pool(ns, "pool-v1"), rw)
	startManager(t, ns, testConfig())

	harness.Eventually(t, func() error {
		route, err := getRoute(ns, "support")
		if err != nil {
			return err
		}
		owner := metav1.GetControllerOf(route)
		if owner == nil || owner.Kind != "InferenceModelRewrite" || owner.APIVersion != "llm-d.ai/v1alpha2" || owner.UID != mustGet(t, rw, ns, "support").UID {
			return fmt.Errorf("route controlled by %+v", owner)
		}
		rules := route.Spec.Rules
		if len(rules) != 1 || len(rules[0].BackendRefs) != 1 || string(rules[0].BackendRefs[0].Name) != "pool-v1" ||
			string(*rules[0].BackendRefs[0].Kind) != "InferencePool" || rules[0].Matches[0].Headers[0].Value != "support-assistant" {
			return fmt.Errorf("route rules %+v", rules)
		}
		if remove := rules[0].Filters[0].RequestHeaderModifier.Remove; !cmp.Equal(remove, []string{"X-Gateway-Model-Name-Rewrite", "x-llm-d-model-name-rewrite"}) {
			return fmt.Errorf("the rule removes %v", remove)
		}
		return nil
	})
	harness.Eventually(t, hasRewriteConditions(rw, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True Accepted", "Programmed": "Unknown Pending",
		"Ready": "Unknown Pending", "Reconciling": "True Pending",
	}))
	if diff := cmp.Diff(health{status.InProgressStatus, status.InProgressStatus, "Progressing"}, healthOf(t, rw, gitopshealth.Targets[2])); diff != "" {
		t.Errorf("health of the rewrite awaiting its Gateway (-want +got):\n%s", diff)
	}
	setRouteStatus(t, ns, "support", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasRewriteConditions(rw, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True Accepted", "Programmed": "True Programmed", "Ready": "True Ready",
	}))
	if diff := cmp.Diff(health{status.CurrentStatus, status.CurrentStatus, "Healthy"}, healthOf(t, rw, gitopshealth.Targets[2])); diff != "" {
		t.Errorf("health of the routed rewrite (-want +got):\n%s", diff)
	}
}

// TestRewriteAndModelShareNames: a model name an older model holds is not
// the younger rewrite's (PartiallyAccepted, the rest routed), and a route
// name an older model holds stays the model's: the rewrite gets
// RouteConflict and leaves the model's route alone. Once the model is
// deleted (and the garbage collector takes its route), the rewrite gets
// the route.
func TestRewriteAndModelShareNames(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"), newModel(ns, "chat", "chat", "pool-a"))
	m := startManager(t, ns, testConfig())
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", testConfig()))
	modelRoute, err := getRoute(ns, "chat")
	if err != nil {
		t.Fatal(err)
	}
	nextSecond()

	partial := &v1alpha2.InferenceModelRewrite{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "partial"},
		Spec: v1alpha2.InferenceModelRewriteSpec{
			PoolRef: v1alpha2.SuccessorPoolReference{Group: v1alpha2.Group(translate.GroupInferenceAlpha), Name: "pool-a"},
			Rules:   []v1alpha2.InferenceModelRewriteRule{rewriteRule([]string{"chat", "summarize"}, "base")},
		},
	}
	sameName := &llmdv1alpha2.InferenceModelRewrite{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat"},
		Spec: v1alpha2.InferenceModelRewriteSpec{
			PoolRef: v1alpha2.SuccessorPoolReference{Group: v1alpha2.Group(translate.GroupInferenceAlpha), Name: "pool-a"},
			Rules:   []v1alpha2.InferenceModelRewriteRule{rewriteRule([]string{"translate"}, "base")},
		},
	}
	create(t, partial, sameName)
	harness.Eventually(t, hasRewriteConditions(partial, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True PartiallyAccepted", "Programmed": "Unknown Pending",
		"Ready": "Unknown Pending", "Reconciling": "True Pending",
	}))
	got := mustGet(t, partial, ns, "partial")
	if c := meta.FindStatusCondition(got.Status.Conditions, "Accepted"); !strings.Contains(c.Message, `model "chat" of rules[0] is served by InferenceModel "chat"`) {
		t.Errorf("Accepted: %s", c.Message)
	}
	harness.Eventually(t, func() error {
		route, err := getRoute(ns, "partial")
		if err != nil {
			return err
		}
		if n := len(route.Spec.Rules[0].Matches); n != 1 || route.Spec.Rules[0].Matches[0].Headers[0].Value != "summarize" {
			return fmt.Errorf("the rewrite's route matches %+v; want summarize only", route.Spec.Rules[0].Matches)
		}
		return nil
	})
	harness.Eventually(t, hasRewriteConditions(sameName, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True Accepted", "Programmed": "False RouteConflict",
		"Ready": "False RouteConflict", "Stalled": "True RouteConflict",
	}))
	if diff := cmp.Diff(health{status.FailedStatus, status.FailedStatus, "Degraded"}, healthOf(t, sameName, gitopshealth.Targets[2])); diff != "" {
		t.Errorf("health of the rewrite whose route name is taken (-want +got):\n%s", diff)
	}
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
	// The model's route is untouched: same UID, same owner, no write.
	if r := mustGet(t, &gatewayv1.HTTPRoute{}, ns, translate.RouteName("chat")); r.UID != modelRoute.UID || r.ResourceVersion != modelRoute.ResourceVersion {
		t.Errorf("the model's route changed: uid %s→%s, resourceVersion %s→%s", modelRoute.UID, r.UID, modelRoute.ResourceVersion, r.ResourceVersion)
	}
	if deletes := harness.Matching(m.Requests.Writes(), "DELETE", "/httproutes/"); len(deletes) != 0 {
		t.Errorf("route deletes: %q", deletes)
	}

	if err := k8s.Delete(context.Background(), newModel(ns, "chat", "chat", "pool-a")); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, func() error {
		route, err := getRoute(ns, "chat")
		if err != nil {
			return err
		}
		if owner := metav1.GetControllerOf(route); owner == nil || owner.Kind != "InferenceModelRewrite" {
			return fmt.Errorf("route chat-modelroute controlled by %+v", owner)
		}
		return nil
	})
}

// TestMigrationTakesOverRoutes switches a live model to the rewrite
// `modelroute migrate` writes for it, as docs/migration.md says: apply the
// rewrite (the older model keeps its name and route meanwhile), then
// delete the model with --cascade=orphan. The rewrite adopts the orphaned
// route with one write, of metadata only: same UID, same generation, same
// spec, so the Gateway's verdict holds and the rewrite is Programmed at
// once. That holds for a split in service mode, and for a model without
// one in inferencepool mode (where a split moves to the endpoint picker).
func TestMigrationTakesOverRoutes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     translate.Config
		targets []v1alpha2.TargetModel
	}{
		{name: "service mode, a split", cfg: serviceConfig(), targets: []v1alpha2.TargetModel{weighted("chat-v1", 3), weighted("chat-v2", 1)}},
		{name: "inferencepool mode, no targets", cfg: testConfig()},
	} {
		t.Run(tc.name, func(t *testing.T) { migrationTakesOverRoute(t, tc.cfg, tc.targets) })
	}
}

func migrationTakesOverRoute(t *testing.T, cfg translate.Config, targets []v1alpha2.TargetModel) {
	ns := newNamespace(t)
	model := newModel(ns, "chat", "chat", "pool-a", targets...)
	create(t, alphaPool(ns, "pool-a"), model)
	m := startManager(t, ns, cfg)
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))
	before, err := getRoute(ns, "chat")
	if err != nil {
		t.Fatal(err)
	}
	nextSecond()

	migration := translate.Migrate([]v1alpha2.InferenceModel{*mustGet(t, &v1alpha2.InferenceModel{}, ns, "chat")}, translate.GroupLLMD)
	if len(migration.Notes) != 0 || len(migration.Rewrites) != 1 {
		t.Fatalf("migration: %+v", migration)
	}
	m0 := migration.Rewrites[0]
	rw := &llmdv1alpha2.InferenceModelRewrite{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: m0.Name}, Spec: m0.Spec}
	create(t, rw)
	// The model is older: it keeps the name and the route.
	harness.Eventually(t, hasRewriteConditions(rw, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "False NoRoutableRules", "Ready": "False NoRoutableRules", "Stalled": "True NoRoutableRules",
	}))
	routeWrites := func() []string { return harness.Matching(m.Requests.Writes(), "/httproutes") }
	writesBefore := len(routeWrites())

	if err := k8s.Delete(context.Background(), model, client.PropagationPolicy(metav1.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, hasRewriteConditions(rw, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True Accepted", "Programmed": "True Programmed", "Ready": "True Ready",
	}))
	after, err := getRoute(ns, "chat")
	if err != nil {
		t.Fatal(err)
	}
	if after.UID != before.UID || after.Generation != before.Generation {
		t.Errorf("route uid %s→%s, generation %d→%d; want the same route, its spec unchanged", before.UID, after.UID, before.Generation, after.Generation)
	}
	if diff := cmp.Diff(before.Spec, after.Spec); diff != "" {
		t.Errorf("route spec (-model's +rewrite's):\n%s", diff)
	}
	if owner := metav1.GetControllerOf(after); owner == nil || owner.Kind != "InferenceModelRewrite" || owner.UID != mustGet(t, rw, ns, "chat").UID {
		t.Errorf("route controlled by %+v", owner)
	}
	if writes := routeWrites()[writesBefore:]; len(writes) != 1 || !strings.HasPrefix(writes[0], "PATCH ") {
		t.Errorf("route writes during the switch: %q; want the one adopting apply", writes)
	}
}

// serviceConfig is testConfig in service mode.
func serviceConfig() translate.Config {
	cfg := testConfig()
	cfg.Backend = translate.BackendService
	return cfg
}
