package controllers_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/render"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

const (
	alphaGroup = "inference.networking.x-k8s.io"
	v1Group    = "inference.networking.k8s.io"
)

// Case 1: a pool and a model give the model its route, with the literal
// spec below, and the model its conditions — without the CRD's default
// Ready condition, which the API server adds whenever a status is written
// without conditions.
func TestCreatePoolAndModel(t *testing.T) {
	ctx := testContext(t)
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"))
	model := newModel(ns, "chat", "meta/llama-3", "pool-a", weighted("lora-a", 90), weighted("lora-b", 10))
	create(t, model)

	// What the API server does with the CRD's default condition: a create
	// cannot set status (status subresource), so a new model has none...
	created, err := getModel(ns, "chat")
	if err != nil {
		t.Fatal(err)
	}
	if len(created.Status.Conditions) != 0 {
		t.Fatalf("a new model has status.conditions %v; want none", created.Status.Conditions)
	}
	// ...but any status written without conditions is defaulted to
	// Ready/Pending, as another client might do before modelroute runs.
	created.Status = v1alpha2.InferenceModelStatus{}
	if err := k8s.Status().Update(ctx, created); err != nil {
		t.Fatal(err)
	}
	defaulted := []metav1.Condition{{
		Type: "Ready", Status: metav1.ConditionUnknown, Reason: "Pending", Message: "Waiting for controller",
		LastTransitionTime: metav1.Unix(0, 0),
	}}
	if diff := cmp.Diff(defaulted, mustGet(t, &v1alpha2.InferenceModel{}, ns, "chat").Status.Conditions); diff != "" {
		t.Fatalf("the API server's default status.conditions (-want +got):\n%s", diff)
	}

	startManager(t, ns, testConfig())

	harness.Eventually(t, hasConditions(ns, "chat",
		resolved(1, "pool-a", alphaGroup),
		accepted(1, "meta/llama-3"),
		pending(1, "chat", 1),
	))
	rewrite := func(target string) []gatewayv1.HTTPRouteFilter {
		return []gatewayv1.HTTPRouteFilter{{
			Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
			RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{
				{Name: "X-Gateway-Model-Name-Rewrite", Value: target},
			}},
		}}
	}
	poolBackend := gatewayv1.BackendObjectReference{
		Group: ptr.To(gatewayv1.Group(alphaGroup)),
		Kind:  ptr.To(gatewayv1.Kind("InferencePool")),
		Name:  "pool-a",
	}
	want := gatewayv1.HTTPRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{gatewayRef()}},
		Rules: []gatewayv1.HTTPRouteRule{{
			Matches: []gatewayv1.HTTPRouteMatch{{
				Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/")},
				Headers: []gatewayv1.HTTPHeaderMatch{{
					Type: ptr.To(gatewayv1.HeaderMatchExact), Name: "X-Gateway-Model-Name", Value: "meta/llama-3",
				}},
			}},
			// The backendRefs set the rewrite header; the alias llm-d's
			// router reads first never passes as the client sent it.
			Filters: []gatewayv1.HTTPRouteFilter{{
				Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
				RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Remove: []string{"x-llm-d-model-name-rewrite"}},
			}},
			BackendRefs: []gatewayv1.HTTPBackendRef{
				{BackendRef: gatewayv1.BackendRef{BackendObjectReference: poolBackend, Weight: ptr.To[int32](90)}, Filters: rewrite("lora-a")},
				{BackendRef: gatewayv1.BackendRef{BackendObjectReference: poolBackend, Weight: ptr.To[int32](10)}, Filters: rewrite("lora-b")},
			},
		}},
	}
	harness.Eventually(t, hasRoute(ns, "chat", want))
	if diff := cmp.Diff(want, translatedRoute(t, ns, "chat", testConfig()).Spec, routeOpts); diff != "" {
		t.Errorf("translate's route spec differs from the literal one (-want +got):\n%s", diff)
	}
	route, err := getRoute(ns, "chat")
	if err != nil {
		t.Fatal(err)
	}
	if route.Name != "chat-modelroute" || route.Namespace != ns {
		t.Errorf("route is %s/%s; want %s/chat-modelroute", route.Namespace, route.Name, ns)
	}
}

// Case 2: the model's Programmed condition follows the Gateway's verdict
// on the route's current generation, and only on it.
func TestProgrammedFollowsGatewayVerdict(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"), newModel(ns, "chat", "chat", "pool-a", weighted("v1", 50), weighted("v2", 50)))
	startManager(t, ns, testConfig())
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))

	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))

	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionFalse, "NotAllowedByListeners", "xyz", gen)
	})
	rejected := condition(translate.ConditionProgrammed, metav1.ConditionFalse, "RouteNotAccepted", 1,
		`Gateway gateway-system/inference-gateway did not accept HTTPRoute "chat-modelroute": Accepted=False NotAllowedByListeners: xyz`)
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), rejected))

	// A verdict about an older generation of the route is no verdict.
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen-1)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
	harness.Consistently(t, 2*time.Second, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))

	// Accepted on generation 1, then the model changes: the route goes to
	// generation 2 and the verdict on generation 1 no longer counts.
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))
	update(t, &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat"}}, func(m *v1alpha2.InferenceModel) {
		m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("v1", 10), weighted("v2", 90)}
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(2, "pool-a", alphaGroup), accepted(2, "chat"), pending(2, "chat", 2)))
	harness.Consistently(t, 2*time.Second, hasConditions(ns, "chat", resolved(2, "pool-a", alphaGroup), accepted(2, "chat"), pending(2, "chat", 2)))
	route := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")
	if route.Generation != 2 || route.Status.Parents[0].Conditions[0].ObservedGeneration != 1 {
		t.Fatalf("route generation %d with a verdict on generation %d; want 2 and 1",
			route.Generation, route.Status.Parents[0].Conditions[0].ObservedGeneration)
	}
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(2, "pool-a", alphaGroup), accepted(2, "chat"), programmed(2, "chat")))
}

// Case 3: two models of one pool with one modelName: the older is routed;
// when it goes, the younger takes over with no other change.
func TestModelNameGoesToTheOlderModel(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"))
	m := startManager(t, ns, testConfig())
	// Names sort the other way round, so only the creation time can make
	// "zz-older" the winner.
	older := newModel(ns, "zz-older", "shared", "pool-a")
	create(t, older)
	time.Sleep(1100 * time.Millisecond) // creationTimestamp has second precision
	younger := newModel(ns, "aa-younger", "shared", "pool-a", weighted("adapter", 1))
	create(t, younger)
	if !older.CreationTimestamp.Before(&younger.CreationTimestamp) {
		t.Fatalf("creation timestamps %s and %s: want the first one older", older.CreationTimestamp, younger.CreationTimestamp)
	}

	harness.Eventually(t, hasConditions(ns, "zz-older", resolved(1, "pool-a", alphaGroup), accepted(1, "shared"), pending(1, "zz-older", 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "zz-older", testConfig()))
	inUse := condition(translate.ConditionAccepted, metav1.ConditionFalse, "ModelNameInUse", 1,
		`modelName "shared" is already served from InferencePool "pool-a" by InferenceModel "zz-older", which is older`)
	harness.Eventually(t, hasConditions(ns, "aa-younger", resolved(1, "pool-a", alphaGroup), inUse))
	if err := absent(&gatewayv1.HTTPRoute{}, ns, "aa-younger-modelroute")(); err != nil {
		t.Fatal(err)
	}
	// Only the older model's route was created (recorded once its response
	// arrived, which may be after the route is seen).
	harness.Eventually(t, oneRequest(m, "POST", "/httproutes", "201 Created"))

	remove(t, older)
	harness.Eventually(t, hasConditions(ns, "aa-younger", resolved(1, "pool-a", alphaGroup), accepted(1, "shared"), pending(1, "aa-younger", 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "aa-younger", testConfig()))
	harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "zz-older-modelroute"))
}

// Case 4: a model created before its pool waits for it.
func TestModelBeforeItsPool(t *testing.T) {
	ns := newNamespace(t)
	startManager(t, ns, testConfig())
	create(t, newModel(ns, "chat", "chat", "pool-a"))
	notFound := condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
		`InferencePool "pool-a" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)
	harness.Eventually(t, hasConditions(ns, "chat", notFound, accepted(1, "chat")))
	harness.Consistently(t, time.Second, absent(&gatewayv1.HTTPRoute{}, ns, "chat-modelroute"))

	create(t, alphaPool(ns, "pool-a"))
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", testConfig()))
}

// Case 5: the route follows the model in place, and hand edits and
// deletions of the route are repaired.
func TestRouteFollowsModelAndIsRepaired(t *testing.T) {
	ns := newNamespace(t)
	cfg := testConfig()
	// Created with hostnames from an annotation.
	model := newModel(ns, "chat", "chat", "pool-a", weighted("v1", 50), weighted("v2", 50))
	model.Annotations = map[string]string{translate.AnnotationHostnames: "chat.example.com"}
	create(t, alphaPool(ns, "pool-a"), model)
	startManager(t, ns, cfg)
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	first, err := getRoute(ns, "chat")
	if err != nil {
		t.Fatal(err)
	}
	sameRoute := func() error {
		r, err := getRoute(ns, "chat")
		if err == nil && r.UID != first.UID {
			t.Fatalf("route was replaced (uid %s, then %s); want it updated in place", first.UID, r.UID)
		}
		return err
	}

	if !slices.Equal(first.Spec.Hostnames, []gatewayv1.Hostname{"chat.example.com"}) {
		t.Fatalf("route hostnames %v; want [chat.example.com]", first.Spec.Hostnames)
	}

	// New targets and weights.
	update(t, model, func(m *v1alpha2.InferenceModel) {
		m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("v1", 20), weighted("v2", 70), weighted("v3", 10)}
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(2, "pool-a", alphaGroup), accepted(2, "chat"), pending(2, "chat", 2)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	if err := sameRoute(); err != nil {
		t.Fatal(err)
	}
	if weights := backendWeights(mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")); !slices.Equal(weights, []int32{20, 70, 10}) {
		t.Fatalf("route weights %v; want [20 70 10]", weights)
	}

	// The annotation removed: the hostnames the route was created with go.
	update(t, model, func(m *v1alpha2.InferenceModel) { m.Annotations = nil })
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	if r := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute"); len(r.Spec.Hostnames) != 0 {
		t.Fatalf("route hostnames %v after the annotation was removed; want none", r.Spec.Hostnames)
	}
	if err := sameRoute(); err != nil {
		t.Fatal(err)
	}

	// A weight changed by hand is restored.
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat-modelroute"}}
	update(t, route, func(r *gatewayv1.HTTPRoute) { r.Spec.Rules[0].BackendRefs[0].Weight = ptr.To[int32](999) })
	edited := route.ResourceVersion
	harness.Eventually(t, func() error {
		r, err := getRoute(ns, "chat")
		if err == nil && r.ResourceVersion == edited {
			return fmt.Errorf("route still at the edited resourceVersion %s", edited)
		}
		return err
	})
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))

	// A field added by hand is removed.
	update(t, route, func(r *gatewayv1.HTTPRoute) { r.Spec.Hostnames = []gatewayv1.Hostname{"hijack.example.com"} })
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	if err := sameRoute(); err != nil {
		t.Fatal(err)
	}

	// A deleted route is recreated.
	remove(t, route)
	harness.Eventually(t, func() error {
		r, err := getRoute(ns, "chat")
		if err == nil && r.UID == first.UID {
			return fmt.Errorf("route %s not deleted yet", r.UID)
		}
		return err
	})
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	harness.Eventually(t, hasConditions(ns, "chat", resolved(2, "pool-a", alphaGroup), accepted(2, "chat"), pending(2, "chat", 1)))
}

func backendWeights(r *gatewayv1.HTTPRoute) []int32 {
	var out []int32
	for _, rule := range r.Spec.Rules {
		for _, b := range rule.BackendRefs {
			out = append(out, ptr.Deref(b.Weight, -1))
		}
	}
	return out
}

// Case 6: a route with the generated name that modelroute does not control
// is never touched; the model says why it has no route.
func TestForeignRouteIsLeftUntouched(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"))
	foreign := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: "chat-modelroute",
			Labels:      map[string]string{"team": "someone-else"},
			Annotations: map[string]string{"note": "hands off"},
		},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "other-gateway"}}},
			Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
				BackendObjectReference: gatewayv1.BackendObjectReference{Name: "legacy", Port: ptr.To[int32](80)},
			}}}}},
		},
	}
	create(t, foreign)
	before := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")

	m := startManager(t, ns, testConfig())
	model := newModel(ns, "chat", "chat", "pool-a")
	create(t, model)
	conflict := condition(translate.ConditionProgrammed, metav1.ConditionFalse, "RouteConflict", 1,
		`HTTPRoute "chat-modelroute" already exists and is not controlled by this InferenceModel; modelroute leaves it untouched: delete or rename it`)
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), conflict))
	harness.Eventually(t, func() error {
		events, err := findEvents(ns, model, "RouteConflict")
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Type == corev1.EventTypeWarning && e.Action == "UpdateStatus" &&
				e.Regarding.Kind == "InferenceModel" && e.Regarding.Name == "chat" &&
				e.Note == "Programmed=False: "+conflict.Message {
				return nil
			}
		}
		return fmt.Errorf("no Warning RouteConflict Event about the model; found %+v", events)
	})

	// Give the controller time to do what it should not.
	time.Sleep(2 * time.Second)
	after := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")
	type snapshot struct {
		ResourceVersion string
		Labels          map[string]string
		Annotations     map[string]string
		OwnerReferences []metav1.OwnerReference
		ManagedFields   []metav1.ManagedFieldsEntry
		Spec            gatewayv1.HTTPRouteSpec
		Status          gatewayv1.HTTPRouteStatus
	}
	snap := func(r *gatewayv1.HTTPRoute) snapshot {
		return snapshot{r.ResourceVersion, r.Labels, r.Annotations, r.OwnerReferences, r.ManagedFields, r.Spec, r.Status}
	}
	if diff := cmp.Diff(snap(before), snap(after)); diff != "" {
		t.Fatalf("the foreign route changed (-before +after):\n%s", diff)
	}
	// The foreign route is not cached (only modelroute's are): the
	// controller learns of it by a create the API server refuses, and
	// writes nothing else to routes.
	for _, w := range harness.Matching(m.Requests.Writes(), "/httproutes") {
		if !strings.HasPrefix(w, "POST ") || !strings.HasSuffix(w, "409 Conflict") && !strings.HasSuffix(w, harness.InFlight) {
			t.Fatalf("the controller wrote a route: %q", w)
		}
	}

	// Once the foreign route is gone, the model gets its own: modelroute
	// does not cache foreign routes, and looks again every 10 seconds.
	remove(t, after)
	harness.EventuallyWithin(t, time.Minute, harness.DefaultInterval, hasTranslatedRoute(t, ns, "chat", testConfig()))
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
}

// Case 7: a deleted model's route is removed by kube-controller-manager's
// garbage collector through the ownerReference, not by modelroute.
func TestRouteIsGarbageCollected(t *testing.T) {
	ns := newNamespace(t)
	create(t, alphaPool(ns, "pool-a"), newModel(ns, "running", "running", "pool-a"), newModel(ns, "stopped", "stopped", "pool-a"))
	m := startManager(t, ns, testConfig())
	harness.Eventually(t, hasTranslatedRoute(t, ns, "running", testConfig()))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "stopped", testConfig()))

	// With the manager running: the route goes, and not by its hand.
	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "running"))
	harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "running-modelroute"))
	// A DELETE of its own would be recorded once answered: give it time.
	harness.Consistently(t, time.Second, func() error {
		if deletes := harness.Matching(m.Requests.Writes(), "DELETE"); len(deletes) != 0 {
			return fmt.Errorf("the controller deleted: %q", deletes)
		}
		return nil
	})

	// With the manager stopped: only the garbage collector is left to act.
	m.Stop()
	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "stopped"))
	harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "stopped-modelroute"))
}

// Case 8: in service mode every pool a routed model references gets one
// headless shadow Service, owned by the pool, which the routes point at,
// and which goes with the pool's last model.
func TestServiceBackend(t *testing.T) {
	ns := newNamespace(t)
	cfg := testConfig()
	cfg.Backend = translate.BackendService
	poolB := v1Pool(ns, "pool-b")
	poolB.Spec.Selector.MatchLabels["tier"] = "gpu"
	create(t, alphaPool(ns, "pool-a"), poolB, alphaPool(ns, "pool-unused"),
		newModel(ns, "chat", "chat", "pool-a"),
		newModel(ns, "chat-beta", "chat-beta", "pool-a", weighted("beta-1", 1), weighted("beta-2", 3)))
	embed := newModel(ns, "embed", "embed", "pool-b")
	embed.Spec.PoolRef.Group = v1Group
	create(t, embed)
	m := startManager(t, ns, cfg)

	poolA := mustGet(t, &v1alpha2.InferencePool{}, ns, "pool-a")
	poolB = mustGet(t, &inferencev1.InferencePool{}, ns, "pool-b")
	serviceA := translate.ServiceName(alphaGroup, "pool-a")
	serviceB := translate.ServiceName(v1Group, "pool-b")
	wantService := func(name, pool string, owner metav1.OwnerReference, selector map[string]string, port int32, appProtocol *string) corev1.Service {
		return corev1.Service{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: name,
				Labels: map[string]string{
					"app.kubernetes.io/managed-by":  "modelroute",
					"modelroute.dev/inference-pool": pool,
				},
				OwnerReferences: []metav1.OwnerReference{owner},
			},
			Spec: corev1.ServiceSpec{
				Type:            corev1.ServiceTypeClusterIP,
				ClusterIP:       corev1.ClusterIPNone,
				Selector:        selector,
				SessionAffinity: corev1.ServiceAffinityNone,
				Ports: []corev1.ServicePort{{
					Name: "http", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port), AppProtocol: appProtocol,
				}},
				// Filled in by the API server.
				ClusterIPs:            []string{corev1.ClusterIPNone},
				IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
				IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicySingleStack),
				InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
			},
		}
	}
	ownerA := controllerRef("inference.networking.x-k8s.io/v1alpha2", "InferencePool", "pool-a", poolA.UID)
	ownerB := controllerRef("inference.networking.k8s.io/v1", "InferencePool", "pool-b", poolB.UID)
	hasServices := func(want ...corev1.Service) func() error {
		return func() error {
			got, err := managedServices(ns)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(metav1.ObjectMeta{},
				"UID", "ResourceVersion", "Generation", "CreationTimestamp", "ManagedFields")); diff != "" {
				return fmt.Errorf("shadow Services (-want +got):\n%s", diff)
			}
			return nil
		}
	}
	// The v1 pool's appProtocol defaults to http and is carried over.
	harness.Eventually(t, hasServices(
		wantService(serviceA, "pool-a", ownerA, map[string]string{"app": "pool-a"}, 8000, nil),
		wantService(serviceB, "pool-b", ownerB, map[string]string{"app": "pool-b", "tier": "gpu"}, 9000, ptr.To("http")),
	))
	for _, m := range []string{"chat", "chat-beta", "embed"} {
		harness.Eventually(t, hasTranslatedRoute(t, ns, m, cfg))
	}
	route := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")
	wantBackend := gatewayv1.BackendObjectReference{
		Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")),
		Name: gatewayv1.ObjectName(serviceA), Port: ptr.To[int32](8000),
	}
	if diff := cmp.Diff(wantBackend, route.Spec.Rules[0].BackendRefs[0].BackendObjectReference); diff != "" {
		t.Fatalf("backendRef of %s (-want +got):\n%s", route.Name, diff)
	}

	// The pool changes its selector and port: the Service follows exactly.
	update(t, &inferencev1.InferencePool{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pool-b"}}, func(p *inferencev1.InferencePool) {
		delete(p.Spec.Selector.MatchLabels, "tier")
		p.Spec.TargetPorts = []inferencev1.Port{{Number: 9001}}
	})
	harness.Eventually(t, hasServices(
		wantService(serviceA, "pool-a", ownerA, map[string]string{"app": "pool-a"}, 8000, nil),
		wantService(serviceB, "pool-b", ownerB, map[string]string{"app": "pool-b"}, 9001, ptr.To("http")),
	))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "embed", cfg))

	// pool-a keeps its Service while one of its models is left.
	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "chat"))
	harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "chat-modelroute"))
	harness.Consistently(t, 2*time.Second, hasServices(
		wantService(serviceA, "pool-a", ownerA, map[string]string{"app": "pool-a"}, 8000, nil),
		wantService(serviceB, "pool-b", ownerB, map[string]string{"app": "pool-b"}, 9001, ptr.To("http")),
	))
	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "chat-beta"))
	harness.Eventually(t, hasServices(
		wantService(serviceB, "pool-b", ownerB, map[string]string{"app": "pool-b"}, 9001, ptr.To("http")),
	))
	// By modelroute: the pool, the Service's owner, is still there.
	harness.Eventually(t, oneRequest(m, "DELETE", "/services/"+serviceA, "200 OK"))

	// The last model of pool-b moves to pool-a: the Services follow it.
	update(t, &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "embed"}}, func(m *v1alpha2.InferenceModel) {
		m.Spec.PoolRef = v1alpha2.PoolObjectReference{Group: alphaGroup, Kind: "InferencePool", Name: "pool-a"}
	})
	harness.Eventually(t, hasServices(
		wantService(serviceA, "pool-a", ownerA, map[string]string{"app": "pool-a"}, 8000, nil),
	))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "embed", cfg))
	if name := mustGet(t, &gatewayv1.HTTPRoute{}, ns, "embed-modelroute").Spec.Rules[0].BackendRefs[0].Name; name != gatewayv1.ObjectName(serviceA) {
		t.Fatalf("embed-modelroute points at %s; want %s", name, serviceA)
	}
}

// Case 9: a new controller instance over a converged cluster writes
// nothing at all — no route, Service, status or Event.
func TestRestartWritesNothing(t *testing.T) {
	ns := newNamespace(t)
	cfg := testConfig()
	cfg.Backend = translate.BackendService
	embed := newModel(ns, "embed", "embed", "pool-b")
	embed.Spec.PoolRef.Group = v1Group
	hidden := newModel(ns, "hidden", "hidden", "pool-a")
	hidden.Annotations = map[string]string{translate.AnnotationParentRefs: ""}
	create(t, alphaPool(ns, "pool-a"), v1Pool(ns, "pool-b"),
		newModel(ns, "chat", "chat", "pool-a", weighted("v1", 80), weighted("v2", 20)),
		newModel(ns, "chat-dup", "chat", "pool-a"), // younger, or same second and later by name
		newModel(ns, "alias", "alias", "pool-a", v1alpha2.TargetModel{Name: "base-model"}),
		newModel(ns, "lost", "lost", "pool-missing"),
		embed, hidden)
	converged := []func() error{
		hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")),
		hasConditions(ns, "chat-dup", resolved(1, "pool-a", alphaGroup), condition(translate.ConditionAccepted, metav1.ConditionFalse, "ModelNameInUse", 1,
			`modelName "chat" is already served from InferencePool "pool-a" by InferenceModel "chat", which is older`)),
		hasConditions(ns, "alias", resolved(1, "pool-a", alphaGroup), accepted(1, "alias"), pending(1, "alias", 1)),
		hasConditions(ns, "lost", accepted(1, "lost"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
			`InferencePool "pool-missing" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)),
		hasConditions(ns, "embed", resolved(1, "pool-b", v1Group), accepted(1, "embed"), pending(1, "embed", 1)),
		hasConditions(ns, "hidden", resolved(1, "pool-a", alphaGroup), accepted(1, "hidden"), condition(translate.ConditionProgrammed, metav1.ConditionFalse, "NoParentRefs", 1,
			`no parent Gateway is configured (flag --parent-ref or annotation modelroute.dev/parent-refs): HTTPRoute "hidden-modelroute" attaches nowhere`)),
		func() error {
			services, err := managedServices(ns)
			if err == nil && len(services) != 2 {
				return fmt.Errorf("%d shadow Services; want 2", len(services))
			}
			return err
		},
	}
	for _, name := range []string{"chat", "alias", "embed", "hidden"} {
		converged = append(converged, hasTranslatedRoute(t, ns, name, cfg))
	}

	first := startManager(t, ns, cfg)
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	for _, check := range converged {
		harness.Eventually(t, check)
	}
	first.Stop()
	before := resourceVersions(t, ns)

	models, pools := 6, map[string]float64{alphaGroup: 1, v1Group: 1} // pool-a, pool-b
	baseModels, err := reconcileCount("inferencemodel")
	if err != nil {
		t.Fatal(err)
	}
	basePools := map[string]float64{}
	for group := range pools {
		if basePools[group], err = reconcileCount("shadowservice-" + group); err != nil {
			t.Fatal(err)
		}
	}
	second := startManager(t, ns, cfg)
	// Wait until the new instance has reconciled every model (its condition
	// metrics hold each one: they are recorded on every reconcile) and every
	// pool, then give it time to write anything it would.
	harness.Eventually(t, func() error {
		seen, err := modelsSeen(second.Metrics)
		if err != nil || seen != models {
			return fmt.Errorf("the new manager reconciled %d of %d models (%v)", seen, models, err)
		}
		n, err := reconcileCount("inferencemodel")
		if err != nil || n-baseModels < float64(models) {
			return fmt.Errorf("%v model reconciles; want at least %d (%v)", n-baseModels, models, err)
		}
		for group, want := range pools {
			n, err := reconcileCount("shadowservice-" + group)
			if err != nil || n-basePools[group] < want {
				return fmt.Errorf("%v reconciles of %s pools; want at least %v (%v)", n-basePools[group], group, want, err)
			}
		}
		return nil
	})
	time.Sleep(5 * time.Second)
	if writes := second.Requests.Writes(); len(writes) != 0 {
		t.Fatalf("the restarted controller wrote %d times over a converged cluster:\n%s", len(writes), strings.Join(writes, "\n"))
	}
	if diff := cmp.Diff(before, resourceVersions(t, ns)); diff != "" {
		t.Fatalf("objects changed across the restart (-before +after):\n%s", diff)
	}
	for _, check := range converged {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
}

// resourceVersions maps every model, pool, route and Service of ns to its
// resourceVersion.
func resourceVersions(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, kind := range []struct{ apiVersion, kind string }{
		{"inference.networking.x-k8s.io/v1alpha2", "InferenceModel"},
		{"inference.networking.x-k8s.io/v1alpha2", "InferencePool"},
		{"inference.networking.k8s.io/v1", "InferencePool"},
		{"gateway.networking.k8s.io/v1", "HTTPRoute"},
		{"v1", "Service"},
	} {
		for _, obj := range liveList(t, ns, kind.apiVersion, kind.kind) {
			out[kind.apiVersion+" "+kind.kind+" "+obj.GetName()] = obj.GetResourceVersion()
		}
	}
	return out
}

// Case 10: the real API server accepts every object modelroute generates,
// at the limits, and render, given the live objects, prints exactly the
// routes the controller applied.
func TestGeneratedObjectsAreValidAndMatchRender(t *testing.T) {
	ns := newNamespace(t)
	cfg := translate.DefaultConfig()
	cfg.CriticalityHeader = "X-Gateway-Criticality"
	cfg.PathPrefixes = []string{"/", "/v1/", "/openai/v1/"}
	cfg.Hostnames = []gatewayv1.Hostname{"llm.example.com", "*.models.example.com"}
	for _, s := range []string{"gateway-system/inference-gateway", "gateway-system/internal/https"} {
		ref, err := translate.ParseParentRef(s)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ParentRefs = append(cfg.ParentRefs, ref)
	}
	var targets []v1alpha2.TargetModel
	for i := range 10 {
		targets = append(targets, weighted(fmt.Sprintf("adapter-%d", i), 1000000))
	}
	big := newModel(ns, "big", "meta-llama/Llama-3.1-70B-Instruct", "pool-a", targets...)
	big.Spec.Criticality = ptr.To(v1alpha2.Critical)
	alias := newModel(ns, "alias", "coder", "pool-b", v1alpha2.TargetModel{Name: "Qwen/Qwen2.5-Coder-7B-Instruct"})
	alias.Spec.PoolRef.Group = v1Group
	alias.Spec.Criticality = ptr.To(v1alpha2.Sheddable)
	edge := newModel(ns, "edge", "edge", "pool-a")
	edge.Annotations = map[string]string{
		// The whole Gateway absorbs its section.
		translate.AnnotationParentRefs: "gateway-system/edge/https, gateway-system/edge, other/gw",
		translate.AnnotationHostnames:  "b.example.com,a.example.com",
	}
	create(t, alphaPool(ns, "pool-a"), v1Pool(ns, "pool-b"), big, alias, edge, newModel(ns, "plain", "plain", "pool-a"))
	m := startManager(t, ns, cfg)

	names := []string{"alias", "big", "edge", "plain"}
	for _, name := range names {
		harness.Eventually(t, hasTranslatedRoute(t, ns, name, cfg))
	}
	if weights := backendWeights(mustGet(t, &gatewayv1.HTTPRoute{}, ns, "big-modelroute")); len(weights) != 10 || slices.ContainsFunc(weights, func(w int32) bool { return w != 1000000 }) {
		t.Fatalf("big-modelroute weights %v; want 10 times 1000000", weights)
	}
	harness.Eventually(t, func() error {
		if created := harness.Matching(m.Requests.Writes(), "POST", "/httproutes", "201 Created"); len(created) != len(names) {
			return fmt.Errorf("route creations %q; want %d", created, len(names))
		}
		return nil
	})
	if rejected := m.Requests.Rejected(); len(rejected) != 0 {
		t.Fatalf("the API server rejected writes as invalid: %q", rejected)
	}

	// render, given the live models and pools as `kubectl get -o yaml`
	// prints them (with uids, so with ownerReferences).
	var items []any
	for _, kind := range []struct{ apiVersion, kind string }{
		{"inference.networking.x-k8s.io/v1alpha2", "InferenceModel"},
		{"inference.networking.x-k8s.io/v1alpha2", "InferencePool"},
		{"inference.networking.k8s.io/v1", "InferencePool"},
	} {
		for _, obj := range liveList(t, ns, kind.apiVersion, kind.kind) {
			items = append(items, obj.Object)
		}
	}
	doc, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "live.yaml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := render.Load([]string{file}, nil, "default")
	if err != nil {
		t.Fatalf("render.Load: %v", err)
	}
	out := translatorFor(t, cfg).Translate(in)
	stream, err := render.ObjectStream(out)
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]any{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			t.Fatal(err)
		}
		if obj == nil {
			continue
		}
		md, _ := obj["metadata"].(map[string]any)
		rendered[fmt.Sprint(obj["kind"], " ", md["name"])] = obj
	}
	live := map[string]any{}
	for _, route := range liveList(t, ns, "gateway.networking.k8s.io/v1", "HTTPRoute") {
		live["HTTPRoute "+route.GetName()] = map[string]any{
			"apiVersion": route.GetAPIVersion(),
			"kind":       route.GetKind(),
			"metadata": map[string]any{
				"name":            route.GetName(),
				"namespace":       route.GetNamespace(),
				"labels":          route.Object["metadata"].(map[string]any)["labels"],
				"ownerReferences": route.Object["metadata"].(map[string]any)["ownerReferences"],
			},
			"spec": route.Object["spec"],
		}
	}
	if len(live) != len(names) {
		t.Fatalf("%d live routes; want %d", len(live), len(names))
	}
	if diff := cmp.Diff(normalized(t, live), normalized(t, rendered)); diff != "" {
		t.Fatalf("render's output differs from the live routes (-live +render):\n%s", diff)
	}
}

// The v1 InferencePool group: its models are routed to it, its annotations
// apply, its changes are watched.
func TestV1InferencePool(t *testing.T) {
	ns := newNamespace(t)
	pool := v1Pool(ns, "llama")
	pool.Annotations = map[string]string{translate.AnnotationParentRefs: "gateway-system/v1-gateway"}
	model := newModel(ns, "chat", "chat", "llama")
	model.Spec.PoolRef.Group = v1Group
	create(t, pool, model)
	startManager(t, ns, testConfig())

	waiting := func(gateway string) metav1.Condition {
		return condition(translate.ConditionProgrammed, metav1.ConditionUnknown, "Pending", 1,
			`waiting for Gateway gateway-system/%s to accept HTTPRoute "chat-modelroute"`, gateway)
	}
	spec := func(gateway string) gatewayv1.HTTPRouteSpec {
		return gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Group:     ptr.To(gatewayv1.Group("gateway.networking.k8s.io")),
				Kind:      ptr.To(gatewayv1.Kind("Gateway")),
				Namespace: ptr.To(gatewayv1.Namespace("gateway-system")),
				Name:      gatewayv1.ObjectName(gateway),
			}}},
			Rules: []gatewayv1.HTTPRouteRule{{
				Matches: []gatewayv1.HTTPRouteMatch{{
					Path:    &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/")},
					Headers: []gatewayv1.HTTPHeaderMatch{{Type: ptr.To(gatewayv1.HeaderMatchExact), Name: "X-Gateway-Model-Name", Value: "chat"}},
				}},
				// The only target is the model itself: no rewrite, and no
				// client's either.
				Filters: []gatewayv1.HTTPRouteFilter{{
					Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
					RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{
						Remove: []string{"X-Gateway-Model-Name-Rewrite", "x-llm-d-model-name-rewrite"},
					},
				}},
				BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{
						Group: ptr.To(gatewayv1.Group(v1Group)), Kind: ptr.To(gatewayv1.Kind("InferencePool")), Name: "llama",
					},
					Weight: ptr.To[int32](1),
				}}},
			}},
		}
	}
	harness.Eventually(t, hasRoute(ns, "chat", spec("v1-gateway")))
	harness.Eventually(t, func() error {
		return hasConditions(ns, "chat", resolved(1, "llama", v1Group), accepted(1, "chat"), waiting("v1-gateway"))()
	})

	update(t, &inferencev1.InferencePool{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "llama"}}, func(p *inferencev1.InferencePool) {
		p.Annotations[translate.AnnotationParentRefs] = "gateway-system/other-gateway"
	})
	harness.Eventually(t, hasRoute(ns, "chat", spec("other-gateway")))
	harness.Eventually(t, func() error {
		return hasConditions(ns, "chat", resolved(1, "llama", v1Group), accepted(1, "chat"), waiting("other-gateway"))()
	})

	// The pool goes: no route any more (the model still exists, so this is
	// modelroute's deletion, not the garbage collector's).
	remove(t, mustGet(t, &inferencev1.InferencePool{}, ns, "llama"))
	harness.Eventually(t, hasConditions(ns, "chat", accepted(1, "chat"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
		`InferencePool "llama" (group inference.networking.k8s.io) not found in namespace %q`, ns)))
	harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "chat-modelroute"))
}

// A poolRef to anything but an InferencePool of a supported group does not
// resolve, even when a pool of that name exists.
func TestUnsupportedPoolKind(t *testing.T) {
	ns := newNamespace(t)
	byKind := newModel(ns, "by-kind", "by-kind", "pool-a")
	byKind.Spec.PoolRef.Kind = "Service"
	byGroup := newModel(ns, "by-group", "by-group", "pool-a")
	byGroup.Spec.PoolRef.Group = "example.com"
	create(t, alphaPool(ns, "pool-a"), byKind, byGroup)
	m := startManager(t, ns, testConfig())

	harness.Eventually(t, hasConditions(ns, "by-kind", accepted(1, "by-kind"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "InvalidKind", 1,
		`poolRef kind "Service" of group "inference.networking.x-k8s.io" is not supported: it must be an InferencePool of group inference.networking.x-k8s.io or inference.networking.k8s.io`)))
	harness.Eventually(t, hasConditions(ns, "by-group", accepted(1, "by-group"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "InvalidKind", 1,
		`poolRef kind "InferencePool" of group "example.com" is not supported: it must be an InferencePool of group inference.networking.x-k8s.io or inference.networking.k8s.io`)))
	if routes := harness.Matching(m.Requests.Writes(), "/httproutes"); len(routes) != 0 {
		t.Fatalf("route writes for unresolved models: %q", routes)
	}

	update(t, &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-kind"}}, func(m *v1alpha2.InferenceModel) {
		m.Spec.PoolRef.Kind = "InferencePool"
	})
	harness.Eventually(t, hasConditions(ns, "by-kind", resolved(2, "pool-a", alphaGroup), accepted(2, "by-kind"), pending(2, "by-kind", 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "by-kind", testConfig()))
}
