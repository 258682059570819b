package controllers_test

// A write the API server refuses (RBAC, a quota, an admission webhook or
// policy, validation, a terminating namespace) is a condition, an Event
// and a retry with backoff — never silence, never a stale True.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// refusedWrite is the Programmed condition of a model whose route's write
// the test's admission policy refuses.
func refusedWrite(generation int64, model, verb string) func() error {
	return func() error {
		m, err := getModel(modelNamespace(model))
		if err != nil {
			return err
		}
		return hasRefusal(m, generation, translate.ReasonRouteWriteFailed,
			fmt.Sprintf("writing HTTPRoute %q failed (retrying with backoff): %s", translate.RouteName(m.Name), verb))
	}
}

// modelNamespace splits "ns/name".
func modelNamespace(key string) (string, string) {
	ns, name, _ := strings.Cut(key, "/")
	return ns, name
}

// hasRefusal checks that m's Programmed, Ready and Stalled say that a
// write was refused, for generation, with a message that starts with
// prefix and names the policy.
func hasRefusal(m *v1alpha2.InferenceModel, generation int64, reason, prefix string) error {
	for _, c := range []struct {
		t      string
		status metav1.ConditionStatus
	}{
		{translate.ConditionProgrammed, metav1.ConditionFalse},
		{translate.ConditionReady, metav1.ConditionFalse},
		{translate.ConditionStalled, metav1.ConditionTrue},
	} {
		got := meta.FindStatusCondition(m.Status.Conditions, c.t)
		switch {
		case got == nil:
			return fmt.Errorf("no %s condition: %v", c.t, m.Status.Conditions)
		case got.Status != c.status || got.Reason != reason || got.ObservedGeneration != generation:
			return fmt.Errorf("%s is %s/%s of generation %d; want %s/%s of %d", c.t, got.Status, got.Reason, got.ObservedGeneration, c.status, reason, generation)
		case !strings.HasPrefix(got.Message, prefix) || !strings.Contains(got.Message, "refused by the test's admission policy"):
			return fmt.Errorf("%s message %q; want it to start with %q and quote the policy", c.t, got.Message, prefix)
		}
	}
	return nil
}

// warned waits for a Warning Event of reason about obj whose note holds
// contains.
func warned(t *testing.T, obj client.Object, reason, contains string) {
	t.Helper()
	harness.Eventually(t, func() error {
		list, err := findEvents(obj.GetNamespace(), obj, reason)
		if err != nil {
			return err
		}
		var notes []string
		for _, e := range list {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Note, contains) {
				return nil
			}
			notes = append(notes, e.Note)
		}
		return fmt.Errorf("no Warning %s Event about %s holding %q; found %q", reason, obj.GetName(), contains, notes)
	})
}

// TestRouteWriteRefused: a new model whose route's create is refused gets
// RouteWriteFailed at once (it used to get no conditions at all), a
// Warning Event, and retries; once the policy is lifted, its route is
// created. An edited model whose route's update is refused never keeps
// the True of its previous generation.
func TestRouteWriteRefused(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"))
	lift := denyCreate(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("chat")}})
	m := startManager(t, ns, testConfig())
	model := newModel(ns, "chat", "chat", "pool-a")
	create(t, model)

	harness.Eventually(t, refusedWrite(1, ns+"/chat", "creating HTTPRoute "+ns+"/chat-modelroute"))
	warned(t, model, translate.ReasonRouteWriteFailed, "refused by the test's admission policy")
	creates := func() int { return len(harness.Matching(m.Requests.Writes(), "POST", "/httproutes")) }
	// Retried, with backoff.
	harness.Eventually(t, func() error {
		if n := creates(); n < 3 {
			return fmt.Errorf("%d creates tried", n)
		}
		return nil
	})

	lift()
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", testConfig()))
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))

	// An edit whose route update is refused: not the previous True.
	denyUpdate(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("chat")}})
	update(t, model, func(m *v1alpha2.InferenceModel) { m.Spec.TargetModels = []v1alpha2.TargetModel{{Name: "chat-v2"}} })
	harness.Eventually(t, refusedWrite(2, ns+"/chat", "applying HTTPRoute "+ns+"/chat-modelroute"))
}

// TestServiceWriteRefused: in service mode, a pool's shadow Service whose
// create is refused makes every model and rewrite of the pool say so, with
// a Warning Event on the pool; lifted, the Service is created and they
// wait for the Gateway again.
func TestServiceWriteRefused(t *testing.T) {
	ns := newNamespace(t)
	service := translate.ServiceName(alphaGroup, "pool-a")
	lift := denyCreate(t, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: service},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 8000}}},
	})
	pool := alphaPool(ns, "pool-a")
	rw := &llmdv1alpha2.InferenceModelRewrite{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c"},
		Spec: v1alpha2.InferenceModelRewriteSpec{
			PoolRef: v1alpha2.SuccessorPoolReference{Group: alphaGroup, Name: "pool-a"},
			Rules:   []v1alpha2.InferenceModelRewriteRule{rewriteRule([]string{"c"}, "c-v1")},
		},
	}
	create(t, pool, newModel(ns, "a", "a", "pool-a"), newModel(ns, "b", "b", "pool-a"), rw)
	cfg := testConfig()
	cfg.Backend = translate.BackendService
	startManager(t, ns, cfg)
	for _, name := range []string{"a", "b"} {
		harness.Eventually(t, func() error {
			m, err := getModel(ns, name)
			if err != nil {
				return err
			}
			return hasRefusal(m, 1, translate.ReasonServiceWriteFailed,
				"writing the shadow Service of its InferencePool failed (retrying with backoff): ")
		})
	}
	harness.Eventually(t, hasRewriteConditions(rw, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True Accepted", "Programmed": "False ServiceWriteFailed",
		"Ready": "False ServiceWriteFailed", "Stalled": "True ServiceWriteFailed",
	}))
	warned(t, pool, translate.ReasonServiceWriteFailed, "refused by the test's admission policy")

	lift()
	harness.Eventually(t, func() error { return get(&corev1.Service{}, ns, service) })
	for _, name := range []string{"a", "b"} {
		harness.Eventually(t, hasConditions(ns, name, resolved(1, "pool-a", alphaGroup), accepted(1, name), pending(1, name, 1)))
	}
	harness.Eventually(t, hasRewriteConditions(rw, map[string]string{
		"ResolvedRefs": "True ResolvedRefs", "Accepted": "True Accepted", "Programmed": "Unknown Pending",
		"Ready": "Unknown Pending", "Reconciling": "True Pending",
	}))
}

// TestLabelRepairKeepsProgrammed: a route whose managed-by label someone
// removed leaves the cache (it holds modelroute's routes only), is found
// past it, and gets its label back; its model stays Programmed throughout:
// the repair changes no spec, so the Gateway's verdict on the route's
// generation, as the write's response carries it, still holds.
func TestLabelRepairKeepsProgrammed(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"), newModel(ns, "chat", "chat", "pool-a"))
	m := startManager(t, ns, testConfig())
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", testConfig()))
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))
	statusWrites := func() int {
		return len(harness.Matching(m.Requests.Writes(), "/inferencemodels/chat/status"))
	}
	before := statusWrites()

	// As `kubectl label httproute chat-modelroute app.kubernetes.io/managed-by-` does.
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat-modelroute"}}
	unlabel := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"`+translate.LabelManagedBy+`":null}}}`))
	if err := k8s.Patch(context.Background(), route, unlabel); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, func() error {
		r := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")
		if r.Labels[translate.LabelManagedBy] != translate.ManagedByValue {
			return errors.New("the managed-by label is not back")
		}
		return nil
	})
	if r := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute"); r.Generation != 1 {
		t.Errorf("the route is at generation %d; want 1: the repair changed no spec", r.Generation)
	}
	harness.Consistently(t, 2*time.Second, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))
	if after := statusWrites(); after != before {
		t.Errorf("the label repair wrote the model's status %d times; want none (True stays True)", after-before)
	}
}

// TestRecreatedModelReplacesItsRoute: a model deleted and created again
// under the same name finds the route of its predecessor, which the
// garbage collector has yet to remove (a finalizer holds it here): that is
// no RouteConflict and needs no person. The model waits (Reconciling),
// modelroute deletes the old route with a UID precondition, and creates
// the new one once it is gone.
func TestRecreatedModelReplacesItsRoute(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"), newModel(ns, "chat", "chat", "pool-a"))
	startManager(t, ns, testConfig())
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", testConfig()))
	const hold = "modelroute.test/hold"
	old := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat-modelroute"}}
	update(t, old, func(r *gatewayv1.HTTPRoute) { r.Finalizers = append(r.Finalizers, hold) })
	oldUID := old.UID

	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "chat"))
	harness.Eventually(t, absent(&v1alpha2.InferenceModel{}, ns, "chat"))
	create(t, newModel(ns, "chat", "chat", "pool-a"))
	harness.Eventually(t, func() error {
		m, err := getModel(ns, "chat")
		if err != nil {
			return err
		}
		p, r := meta.FindStatusCondition(m.Status.Conditions, translate.ConditionProgrammed), meta.FindStatusCondition(m.Status.Conditions, translate.ConditionReconciling)
		if p == nil || p.Status != metav1.ConditionUnknown || !strings.Contains(p.Message, "belongs to a deleted InferenceModel of the same name") ||
			r == nil || r.Status != metav1.ConditionTrue || meta.FindStatusCondition(m.Status.Conditions, translate.ConditionStalled) != nil {
			return fmt.Errorf("conditions %v; want Programmed Unknown for the old route, Reconciling, not Stalled", m.Status.Conditions)
		}
		return nil
	})
	if r := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute"); r.UID != oldUID || r.DeletionTimestamp == nil {
		t.Fatalf("the old route: uid %s, deletionTimestamp %v; want %s, being deleted", r.UID, r.DeletionTimestamp, oldUID)
	}

	update(t, old, func(r *gatewayv1.HTTPRoute) { r.Finalizers = nil })
	harness.Eventually(t, func() error {
		r := &gatewayv1.HTTPRoute{}
		if err := get(r, ns, "chat-modelroute"); err != nil {
			return err
		}
		m, err := getModel(ns, "chat")
		if err != nil {
			return err
		}
		if !metav1.IsControlledBy(r, m) {
			return fmt.Errorf("the route is controlled by %v; want the new model %s", r.OwnerReferences, m.UID)
		}
		return nil
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
}
