package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

const (
	gatewayNamespace = "gateway-system"
	gatewayName      = "inference-gateway"
	// gatewayController is the controllerName the tests write route status as.
	gatewayController = "example.com/gateway"
)

// testConfig is the default translation with one parent Gateway.
func testConfig() translate.Config {
	cfg := translate.DefaultConfig()
	ref, err := translate.ParseParentRef(gatewayNamespace + "/" + gatewayName)
	if err != nil {
		panic(err)
	}
	cfg.ParentRefs = []gatewayv1.ParentReference{ref}
	return cfg
}

// gatewayRef is the parentRef testConfig gives every route, spelled out.
func gatewayRef() gatewayv1.ParentReference {
	return gatewayv1.ParentReference{
		Group:     ptr.To(gatewayv1.Group("gateway.networking.k8s.io")),
		Kind:      ptr.To(gatewayv1.Kind("Gateway")),
		Namespace: ptr.To(gatewayv1.Namespace(gatewayNamespace)),
		Name:      gatewayName,
	}
}

func alphaPool(ns, name string) *v1alpha2.InferencePool {
	return &v1alpha2.InferencePool{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha2.InferencePoolSpec{
			Selector:         map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": v1alpha2.LabelValue(name)},
			TargetPortNumber: 8000,
			EndpointPickerConfig: v1alpha2.EndpointPickerConfig{ExtensionRef: &v1alpha2.Extension{
				ExtensionReference: v1alpha2.ExtensionReference{Name: v1alpha2.ObjectName(name + "-epp")},
			}},
		},
	}
}

func v1Pool(ns, name string) *inferencev1.InferencePool {
	return &inferencev1.InferencePool{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: inferencev1.InferencePoolSpec{
			Selector:          inferencev1.LabelSelector{MatchLabels: map[inferencev1.LabelKey]inferencev1.LabelValue{"app": inferencev1.LabelValue(name)}},
			TargetPorts:       []inferencev1.Port{{Number: 9000}},
			EndpointPickerRef: &inferencev1.EndpointPickerRef{Name: inferencev1.ObjectName(name + "-epp"), Port: &inferencev1.Port{Number: 9002}},
		},
	}
}

// newModel is a model of the alpha pool called pool.
func newModel(ns, name, modelName, pool string, targets ...v1alpha2.TargetModel) *v1alpha2.InferenceModel {
	return &v1alpha2.InferenceModel{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha2.InferenceModelSpec{
			ModelName:    modelName,
			PoolRef:      v1alpha2.PoolObjectReference{Name: v1alpha2.ObjectName(pool)},
			TargetModels: targets,
		},
	}
}

func weighted(name string, weight int32) v1alpha2.TargetModel {
	return v1alpha2.TargetModel{Name: name, Weight: ptr.To(weight)}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := k8s.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

func remove(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Delete(context.Background(), obj); err != nil {
		t.Fatalf("deleting %T %s: %v", obj, obj.GetName(), err)
	}
}

// update re-reads obj and applies change to it until the write does not
// conflict (the controller may write the same object meanwhile).
func update[T client.Object](t *testing.T, obj T, change func(T)) {
	t.Helper()
	harness.Eventually(t, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		change(obj)
		return k8s.Update(context.Background(), obj)
	})
}

func get(obj client.Object, ns, name string) error {
	return k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj)
}

func getModel(ns, name string) (*v1alpha2.InferenceModel, error) {
	m := &v1alpha2.InferenceModel{}
	return m, get(m, ns, name)
}

func getRoute(ns, model string) (*gatewayv1.HTTPRoute, error) {
	r := &gatewayv1.HTTPRoute{}
	return r, get(r, ns, translate.RouteName(model))
}

// mustGet fetches an object the test needs to exist now.
func mustGet[T client.Object](t *testing.T, obj T, ns, name string) T {
	t.Helper()
	if err := get(obj, ns, name); err != nil {
		t.Fatalf("getting %T %s/%s: %v", obj, ns, name, err)
	}
	return obj
}

// absent checks that obj ns/name does not exist.
func absent(obj client.Object, ns, name string) func() error {
	return func() error {
		err := get(obj, ns, name)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		}
		return fmt.Errorf("%T %s/%s still exists (uid %s)", obj, ns, name, obj.GetUID())
	}
}

// conditionOpts compare conditions regardless of their order and of
// lastTransitionTime, which only the clock decides.
var conditionOpts = cmp.Options{
	cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime"),
	cmpopts.SortSlices(func(a, b metav1.Condition) bool { return a.Type < b.Type }),
	cmpopts.EquateEmpty(),
}

// hasConditions checks that the model has exactly these conditions, but
// for Ready, Reconciling and Stalled, which only sum them up
// (health_test.go checks those).
func hasConditions(ns, name string, want ...metav1.Condition) func() error {
	return func() error {
		m, err := getModel(ns, name)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, withoutHealth(m.Status.Conditions), conditionOpts); diff != "" {
			return fmt.Errorf("InferenceModel %s/%s status.conditions (-want +got):\n%s", ns, name, diff)
		}
		return nil
	}
}

// withoutHealth is conditions but Ready, Reconciling and Stalled.
func withoutHealth(conditions []metav1.Condition) []metav1.Condition {
	return slices.DeleteFunc(slices.Clone(conditions), func(c metav1.Condition) bool {
		return c.Type == translate.ConditionReady || c.Type == translate.ConditionReconciling || c.Type == translate.ConditionStalled
	})
}

func condition(t string, status metav1.ConditionStatus, reason string, generation int64, message string, args ...any) metav1.Condition {
	return metav1.Condition{Type: t, Status: status, Reason: reason, ObservedGeneration: generation, Message: fmt.Sprintf(message, args...)}
}

func resolved(generation int64, pool, group string) metav1.Condition {
	return condition(translate.ConditionResolvedRefs, metav1.ConditionTrue, "ResolvedRefs", generation,
		"poolRef resolves to InferencePool %q (group %s)", pool, group)
}

func accepted(generation int64, modelName string) metav1.Condition {
	return condition(translate.ConditionAccepted, metav1.ConditionTrue, "Accepted", generation,
		"modelName %q is valid and unique in its pool", modelName)
}

// pending is Programmed=Unknown while the Gateway has given no verdict on
// the route's current generation (routeGeneration is kept by the callers to
// say which generation that is; the message does not name it, so that it
// stays the same from the write of the route to the first read).
func pending(generation int64, model string, routeGeneration int64) metav1.Condition {
	_ = routeGeneration
	return condition(translate.ConditionProgrammed, metav1.ConditionUnknown, "Pending", generation,
		"waiting for Gateway %s/%s to accept HTTPRoute %q",
		gatewayNamespace, gatewayName, translate.RouteName(model))
}

func programmed(generation int64, model string) metav1.Condition {
	return condition(translate.ConditionProgrammed, metav1.ConditionTrue, "Programmed", generation,
		"HTTPRoute %q is accepted by every parent Gateway", translate.RouteName(model))
}

// routeOpts compare typed route specs; nil and empty lists are the same
// once serialized.
var routeOpts = cmp.Options{cmpopts.EquateEmpty()}

// controllerRef is the ownerReference the generated objects carry.
func controllerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
}

// hasRoute checks that the model's route exists with exactly this spec,
// modelroute's labels and a controller reference to the model.
func hasRoute(ns, model string, want gatewayv1.HTTPRouteSpec) func() error {
	return func() error {
		m, err := getModel(ns, model)
		if err != nil {
			return err
		}
		r, err := getRoute(ns, model)
		if err != nil {
			return err
		}
		got := routeMeta{Labels: r.Labels, OwnerReferences: r.OwnerReferences}
		wantMeta := routeMeta{
			Labels: map[string]string{
				"app.kubernetes.io/managed-by":   "modelroute",
				"modelroute.dev/inference-model": translate.LabelValue(model),
			},
			OwnerReferences: []metav1.OwnerReference{controllerRef("inference.networking.x-k8s.io/v1alpha2", "InferenceModel", model, m.UID)},
		}
		if diff := cmp.Diff(wantMeta, got); diff != "" {
			return fmt.Errorf("HTTPRoute %s metadata (-want +got):\n%s", r.Name, diff)
		}
		if diff := cmp.Diff(want, r.Spec, routeOpts); diff != "" {
			return fmt.Errorf("HTTPRoute %s spec (-want +got):\n%s", r.Name, diff)
		}
		return nil
	}
}

type routeMeta struct {
	Labels          map[string]string
	OwnerReferences []metav1.OwnerReference
}

// translated runs translate.Translate over the live models and pools of ns,
// as the controller should have.
func translated(t *testing.T, ns string, cfg translate.Config) translate.Output {
	t.Helper()
	ctx := context.Background()
	var models v1alpha2.InferenceModelList
	var alpha v1alpha2.InferencePoolList
	var v1 inferencev1.InferencePoolList
	for _, list := range []client.ObjectList{&models, &alpha, &v1} {
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatalf("listing: %v", err)
		}
	}
	return translatorFor(t, cfg).Translate(translate.Input{Models: models.Items, AlphaPools: alpha.Items, V1Pools: v1.Items})
}

// translatorFor validates cfg, as the controller does at its start.
func translatorFor(t testing.TB, cfg translate.Config) *translate.Translator {
	t.Helper()
	tr, err := translate.NewTranslator(cfg)
	if err != nil {
		t.Fatalf("translation config: %v", err)
	}
	return tr
}

// translatedRoute is the route translate gives the live model ns/name.
func translatedRoute(t *testing.T, ns, name string, cfg translate.Config) *gatewayv1.HTTPRoute {
	t.Helper()
	for _, res := range translated(t, ns, cfg).Models {
		if res.Namespace == ns && res.Name == name {
			if res.Route == nil {
				t.Fatalf("translate gives InferenceModel %s/%s no route: %v", ns, name, res.Conditions)
			}
			return res.Route
		}
	}
	t.Fatalf("translate has no result for InferenceModel %s/%s", ns, name)
	return nil
}

// hasTranslatedRoute checks that the model's route is the one translate
// gives the live objects.
func hasTranslatedRoute(t *testing.T, ns, model string, cfg translate.Config) func() error {
	return func() error {
		return hasRoute(ns, model, translatedRoute(t, ns, model, cfg).Spec)()
	}
}

// setRouteStatus plays the Gateway: it writes the route's status.parents
// for the gateway parent with these conditions.
func setRouteStatus(t *testing.T, ns, model string, conditions func(generation int64) []metav1.Condition) {
	t.Helper()
	setParentStatus(t, ns, model, gatewayRef(), conditions)
}

// setParentStatus is setRouteStatus for the parent ref.
func setParentStatus(t *testing.T, ns, model string, ref gatewayv1.ParentReference, conditions func(generation int64) []metav1.Condition) {
	t.Helper()
	harness.Eventually(t, func() error {
		r, err := getRoute(ns, model)
		if err != nil {
			return err
		}
		now := metav1.NewTime(time.Now().Truncate(time.Second))
		conds := conditions(r.Generation)
		for i := range conds {
			conds[i].LastTransitionTime = now
		}
		r.Status.Parents = []gatewayv1.RouteParentStatus{{
			ParentRef:      ref,
			ControllerName: gatewayController,
			Conditions:     conds,
		}}
		return k8s.Status().Update(context.Background(), r)
	})
}

// verdict is what a Gateway says about a route: Accepted and ResolvedRefs.
func verdict(accepted metav1.ConditionStatus, reason, message string, generation int64) []metav1.Condition {
	return []metav1.Condition{
		{Type: "Accepted", Status: accepted, Reason: reason, Message: message, ObservedGeneration: generation},
		{Type: "ResolvedRefs", Status: metav1.ConditionTrue, Reason: "ResolvedRefs", Message: "resolved", ObservedGeneration: generation},
	}
}

// findEvent returns the events.k8s.io/v1 Events of ns about regarding with
// this reason.
func findEvents(ns string, regarding client.Object, reason string) ([]eventsv1.Event, error) {
	var events eventsv1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []eventsv1.Event
	for _, e := range events.Items {
		if e.Regarding.UID == regarding.GetUID() && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out, nil
}

// managedServices lists the Services modelroute made in ns.
func managedServices(ns string) ([]corev1.Service, error) {
	var list corev1.ServiceList
	err := k8s.List(context.Background(), &list, client.InNamespace(ns),
		client.MatchingLabels{"app.kubernetes.io/managed-by": "modelroute"})
	slices.SortFunc(list.Items, func(a, b corev1.Service) int { return strings.Compare(a.Name, b.Name) })
	return list.Items, err
}

// normalized round-trips v through JSON, so that maps decoded by different
// means (int64 or float64 numbers) compare equal.
func normalized(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// liveList reads every object of a kind in ns as unstructured, with
// apiVersion and kind, as `kubectl get -o yaml` prints them.
func liveList(t *testing.T, ns, apiVersion, kind string) []unstructured.Unstructured {
	t.Helper()
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion(apiVersion)
	list.SetKind(kind + "List")
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatalf("listing %s: %v", kind, err)
	}
	return list.Items
}

// oneRequest checks that the manager sent exactly one request matching
// parts, as its request log records it.
func oneRequest(m *harness.Manager, parts ...string) func() error {
	return func() error {
		if got := harness.Matching(m.Requests.Writes(), parts...); len(got) != 1 {
			return fmt.Errorf("requests %q: %q; want one", parts, got)
		}
		return nil
	}
}
