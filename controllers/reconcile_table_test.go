package controllers

// The reconcile tables: the model reconciler driven against
// controller-runtime's fake client, with the production field indexes,
// one reconcile per row. A row reads "objects in → writes, Events, status
// out", with API errors injected by verb and kind. It runs in well under a
// second and without a control plane; the integration tests prove the
// same against a real API server.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// Fixtures of the tables: namespace "team", alpha pool "pool", Gateway
// gw/main of class "c", whose controller is tableController.
const (
	tableNS         = "team"
	tableController = "example.com/gateway"
)

func tableConfig() translate.Config {
	cfg := translate.DefaultConfig()
	ref, err := translate.ParseParentRef("gw/main")
	if err != nil {
		panic(err)
	}
	cfg.ParentRefs = []gatewayv1.ParentReference{ref}
	return cfg
}

func tableGateway(name, class string) *gatewayv1.Gateway {
	return &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gw", Name: name},
		Spec:       gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(class)},
	}
}

func tableClass() *gatewayv1.GatewayClass {
	return &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "c"},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: tableController},
	}
}

func tablePool(ns string) *v1alpha2.InferencePool {
	return &v1alpha2.InferencePool{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pool", UID: types.UID("uid-pool-" + ns)},
		Spec: v1alpha2.InferencePoolSpec{
			Selector: map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": "vllm"}, TargetPortNumber: 8000,
			EndpointPickerConfig: v1alpha2.EndpointPickerConfig{ExtensionRef: &v1alpha2.Extension{ExtensionReference: v1alpha2.ExtensionReference{Name: "epp"}}},
		},
	}
}

// tableModel is model name in ns with modelName, created at minute age
// of the table's clock, as changed by opts.
func tableModel(ns, name, modelName string, age int, opts ...func(*v1alpha2.InferenceModel)) *v1alpha2.InferenceModel {
	m := &v1alpha2.InferenceModel{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name), Generation: 1,
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, age, 0, 0, time.UTC)),
		},
		Spec: v1alpha2.InferenceModelSpec{ModelName: modelName, PoolRef: v1alpha2.PoolObjectReference{Name: "pool"}},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

func annotated(key, value string) func(*v1alpha2.InferenceModel) {
	return func(m *v1alpha2.InferenceModel) { metav1.SetMetaDataAnnotation(&m.ObjectMeta, key, value) }
}

func withCriticality(c v1alpha2.Criticality) func(*v1alpha2.InferenceModel) {
	return func(m *v1alpha2.InferenceModel) { m.Spec.Criticality = &c }
}

func withTargets(names ...string) func(*v1alpha2.InferenceModel) {
	return func(m *v1alpha2.InferenceModel) {
		for _, n := range names {
			m.Spec.TargetModels = append(m.Spec.TargetModels, v1alpha2.TargetModel{Name: n, Weight: ptr.To[int32](1)})
		}
	}
}

func withConditions(cs ...metav1.Condition) func(*v1alpha2.InferenceModel) {
	return func(m *v1alpha2.InferenceModel) { m.Status.Conditions = cs }
}

// liveRoute is what translate gives model in the table's configuration,
// as the API server would hold it: generation 1, changed by opts.
func liveRoute(t *testing.T, objs []client.Object, model *v1alpha2.InferenceModel, opts ...func(*gatewayv1.HTTPRoute)) *gatewayv1.HTTPRoute {
	t.Helper()
	in := translate.Input{Models: []v1alpha2.InferenceModel{*model}}
	for _, o := range objs {
		if p, ok := o.(*v1alpha2.InferencePool); ok {
			in.AlphaPools = append(in.AlphaPools, *p)
		}
	}
	tr, err := translate.NewTranslator(tableConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, _ := resultOf(tr.Translate(in), model)
	if res.Route == nil {
		t.Fatalf("translate gives %s no route", model.Name)
	}
	route := res.Route.DeepCopy()
	route.Generation = 1
	for _, o := range opts {
		o(route)
	}
	return route
}

// acceptedBy is the status a Gateway's controller writes of a route's
// generation gen on parent gw/main.
func acceptedBy(controller string, accepted metav1.ConditionStatus, gen int64) func(*gatewayv1.HTTPRoute) {
	return func(r *gatewayv1.HTTPRoute) {
		ref, _ := translate.ParseParentRef("gw/main")
		r.Status.Parents = append(r.Status.Parents, gatewayv1.RouteParentStatus{
			ParentRef: ref, ControllerName: gatewayv1.GatewayController(controller),
			Conditions: []metav1.Condition{
				{Type: "Accepted", Status: accepted, Reason: "Reason", Message: "verdict", ObservedGeneration: gen},
				{Type: "ResolvedRefs", Status: metav1.ConditionTrue, Reason: "ResolvedRefs", ObservedGeneration: gen},
			},
		})
	}
}

// recordedEvents is an events.EventRecorder that keeps "Type Reason
// Kind/Name: note".
type recordedEvents struct {
	mu     sync.Mutex
	events []string
}

func (r *recordedEvents) Eventf(regarding runtime.Object, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := regarding.(client.Object)
	r.events = append(r.events, fmt.Sprintf("%s %s %s: %s", eventtype, reason, o.GetName(), fmt.Sprintf(note, args...)))
}

// tableRow is one reconcile: the cluster's objects (in the cache and the
// API server alike), the API errors by "verb Kind", the model reconciled,
// and what must come out.
type tableRow struct {
	name    string
	cfg     func(*translate.Config)
	objects func(t *testing.T) []client.Object
	faults  map[string]error
	model   string // default "chat"
	// writes are "verb Kind namespace/name" in order (status patches as
	// "patch InferenceModel/status ns/name").
	writes []string
	// events are "Type Reason" prefixes, in order.
	events []string
	// status is each condition as "Type=Status/Reason", in the order
	// written; messages holds substrings of the messages by type.
	status   []string
	messages map[string]string
	// err is a substring of the reconcile's error; "" for none.
	err string
	// check looks at the fake cluster afterwards.
	check func(t *testing.T, c client.Client)
}

func runTable(t *testing.T, rows []tableRow) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			scheme, err := NewScheme()
			if err != nil {
				t.Fatal(err)
			}
			cfg := tableConfig()
			if row.cfg != nil {
				row.cfg(&cfg)
			}
			translator, err := translate.NewTranslator(cfg)
			if err != nil {
				t.Fatal(err)
			}
			builder := fake.NewClientBuilder().WithScheme(scheme).WithObjects(row.objects(t)...).
				WithStatusSubresource(&v1alpha2.InferenceModel{}, &gatewayv1.HTTPRoute{})
			if err := RegisterIndexes(context.Background(), fakeIndexer{builder}, cfg); err != nil {
				t.Fatal(err)
			}
			var writes []string
			record := func(verb string, obj runtime.Object) error {
				gvk, err := apiutil.GVKForObject(obj, scheme)
				if err != nil {
					return err
				}
				o := obj.(client.Object)
				writes = append(writes, fmt.Sprintf("%s %s %s/%s", verb, gvk.Kind, o.GetNamespace(), o.GetName()))
				if ferr := row.faults[verb+" "+gvk.Kind]; ferr != nil {
					return ferr
				}
				return nil
			}
			c := builder.WithInterceptorFuncs(interceptor.Funcs{
				Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
					if err := record("create", obj); err != nil {
						return err
					}
					return c.Create(ctx, obj, opts...)
				},
				Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
					applied, err := appliedObject(obj)
					if err != nil {
						return err
					}
					if err := record("apply", applied); err != nil {
						return err
					}
					return c.Apply(ctx, obj, opts...)
				},
				Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
					if err := record("patch", obj); err != nil {
						return err
					}
					return c.Patch(ctx, obj, patch, opts...)
				},
				Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
					if err := record("delete", obj); err != nil {
						return err
					}
					return c.Delete(ctx, obj, opts...)
				},
				SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
					if err := record("patch/"+sub, obj); err != nil {
						return err
					}
					return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
				},
			}).Build()
			// The controller's cache holds only modelroute's routes and
			// Services (CacheOptions); its reads past the cache see all.
			cached := interceptor.NewClient(c, interceptor.Funcs{
				Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
					if err := c.Get(ctx, key, obj, opts...); err != nil {
						return err
					}
					if labelSelected(obj) && !managed(obj) {
						gvk, _ := apiutil.GVKForObject(obj, scheme)
						return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}, key.Name)
					}
					return nil
				},
				List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
					if err := c.List(ctx, list, opts...); err != nil {
						return err
					}
					items, err := meta.ExtractList(list)
					if err != nil {
						return err
					}
					return meta.SetList(list, slices.DeleteFunc(items, func(o runtime.Object) bool {
						obj := o.(client.Object)
						return labelSelected(obj) && !managed(obj)
					}))
				},
			})
			events := &recordedEvents{}
			models, _ := newReconcilers(cached, c, events, translator, NewConditionMetrics(), nil, nil)
			name := cmpOr(row.model, "chat")
			_, err = models.Reconcile(ctrl.LoggerInto(context.Background(), ctrl.Log), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: tableNS, Name: name}})
			switch {
			case row.err == "" && err != nil:
				t.Errorf("Reconcile: %v", err)
			case row.err != "" && (err == nil || !strings.Contains(err.Error(), row.err)):
				t.Errorf("Reconcile error %v; want one with %q", err, row.err)
			}
			// The status patch's verb says what it writes.
			for i, w := range writes {
				writes[i] = strings.Replace(w, "patch/status InferenceModel", "patch InferenceModel/status", 1)
			}
			if diff := cmp.Diff(row.writes, writes, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if len(events.events) != len(row.events) {
				t.Errorf("Events %q; want %d like %q", events.events, len(row.events), row.events)
			} else {
				for i, prefix := range row.events {
					if !strings.HasPrefix(events.events[i], prefix) {
						t.Errorf("Event %q; want it to start with %q", events.events[i], prefix)
					}
				}
			}
			model := &v1alpha2.InferenceModel{}
			if err := c.Get(context.Background(), types.NamespacedName{Namespace: tableNS, Name: name}, model); err != nil {
				t.Fatal(err)
			}
			var status []string
			for _, cond := range model.Status.Conditions {
				status = append(status, fmt.Sprintf("%s=%s/%s", cond.Type, cond.Status, cond.Reason))
				if want, ok := row.messages[cond.Type]; ok && !strings.Contains(cond.Message, want) {
					t.Errorf("%s message %q; want it to hold %q", cond.Type, cond.Message, want)
				}
			}
			if diff := cmp.Diff(row.status, status, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if row.check != nil {
				row.check(t, c)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// appliedObject is the object an apply configuration holds, for the
// record.
func appliedObject(ac runtime.ApplyConfiguration) (client.Object, error) {
	data, err := json.Marshal(ac)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	return u, json.Unmarshal(data, u)
}

// labelSelected reports whether obj's kind is cached by label only.
func labelSelected(obj client.Object) bool {
	switch obj.(type) {
	case *gatewayv1.HTTPRoute, *corev1.Service:
		return true
	}
	return false
}

// fakeIndexer registers the production indexes with a fake client builder.
type fakeIndexer struct{ b *fake.ClientBuilder }

func (f fakeIndexer) IndexField(_ context.Context, obj client.Object, field string, fn client.IndexerFunc) error {
	f.b.WithIndex(obj, field, fn)
	return nil
}

// Conditions as the rows spell them.
const (
	resolvedOK   = "ResolvedRefs=True/ResolvedRefs"
	acceptedOK   = "Accepted=True/Accepted"
	pendingGW    = "Programmed=Unknown/Pending"
	readyPending = "Ready=Unknown/Pending"
	reconciling  = "Reconciling=True/Pending"
	programmedOK = "Programmed=True/Programmed"
	readyOK      = "Ready=True/Ready"
)

// the model's status patch and the Event of its first status.
var firstStatus = []string{"patch InferenceModel/status team/chat"}

func TestReconcileTable(t *testing.T) {
	base := func(t *testing.T, more ...client.Object) []client.Object {
		return append([]client.Object{tablePool(tableNS), tableGateway("main", "c"), tableClass()}, more...)
	}
	chat := func(opts ...func(*v1alpha2.InferenceModel)) *v1alpha2.InferenceModel {
		return tableModel(tableNS, "chat", "chat", 10, opts...)
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: gatewayv1.GroupName, Resource: "httproutes"}, "chat-modelroute",
		errors.New("cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on"))
	quota := apierrors.NewForbidden(schema.GroupResource{Group: gatewayv1.GroupName, Resource: "httproutes"}, "chat-modelroute",
		errors.New("exceeded quota: routes, requested: count/httproutes.gateway.networking.k8s.io=1, used: 10, limited: 10"))
	webhook := apierrors.NewInvalid(schema.GroupKind{Group: gatewayv1.GroupName, Kind: "HTTPRoute"}, "chat-modelroute", nil)
	terminating := apierrors.NewForbidden(schema.GroupResource{Group: gatewayv1.GroupName, Resource: "httproutes"}, "chat-modelroute",
		fmt.Errorf("unable to create new content in namespace %s because it is being terminated", tableNS))
	conflict := apierrors.NewConflict(schema.GroupResource{Group: gatewayv1.GroupName, Resource: "httproutes"}, "chat-modelroute",
		errors.New("the UID in the precondition does not match"))
	refused := func(name string, fault error, message string) tableRow {
		return tableRow{
			name:    name,
			objects: func(t *testing.T) []client.Object { return base(t, chat()) },
			faults:  map[string]error{"create HTTPRoute": fault},
			writes:  []string{"create HTTPRoute team/chat-modelroute", "patch InferenceModel/status team/chat"},
			events:  []string{"Warning RouteWriteFailed chat: Programmed=False", "Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, "Programmed=False/RouteWriteFailed", "Ready=False/RouteWriteFailed",
				"Stalled=True/RouteWriteFailed"},
			messages: map[string]string{"Programmed": message},
			err:      message,
		}
	}
	runTable(t, []tableRow{
		// (3) Clients cannot pick the target.
		{
			name:    "a new model: its route removes the rewrite header and its alias",
			objects: func(t *testing.T) []client.Object { return base(t, chat()) },
			writes:  append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events:  []string{"Normal Accepted"},
			status:  []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
			check: func(t *testing.T, c client.Client) {
				route := &gatewayv1.HTTPRoute{}
				if err := c.Get(context.Background(), types.NamespacedName{Namespace: tableNS, Name: "chat-modelroute"}, route); err != nil {
					t.Fatal(err)
				}
				want := []string{"X-Gateway-Model-Name-Rewrite", "x-llm-d-model-name-rewrite"}
				if f := route.Spec.Rules[0].Filters; len(f) != 1 || !slices.Equal(f[0].RequestHeaderModifier.Remove, want) {
					t.Errorf("rule filters %+v; want one removing %v", f, want)
				}
			},
		},

		// --epp-api: the rewrite and objective first, then the route.
		{
			name:    "--epp-api: the model's rewrite and objective are written before its route",
			cfg:     func(c *translate.Config) { c.EPPAPI = translate.GroupLLMD },
			objects: func(t *testing.T) []client.Object { return base(t, chat(withCriticality(v1alpha2.Critical))) },
			writes: append([]string{
				"apply InferenceModelRewrite team/chat-modelroute", "apply InferenceObjective team/chat-modelroute",
				"create HTTPRoute team/chat-modelroute",
			}, firstStatus...),
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},
		{
			name:    "--epp-api: a refused rewrite is RouteWriteFailed, and the route waits for it",
			cfg:     func(c *translate.Config) { c.EPPAPI = translate.GroupLLMD },
			objects: func(t *testing.T) []client.Object { return base(t, chat()) },
			faults: map[string]error{"apply InferenceModelRewrite": apierrors.NewForbidden(
				schema.GroupResource{Group: translate.GroupLLMD, Resource: "inferencemodelrewrites"}, "chat-modelroute", errors.New("no rights"))},
			writes: []string{"apply InferenceModelRewrite team/chat-modelroute", "patch InferenceModel/status team/chat"},
			events: []string{"Warning RouteWriteFailed chat: Programmed=False", "Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, "Programmed=False/RouteWriteFailed", "Ready=False/RouteWriteFailed",
				"Stalled=True/RouteWriteFailed"},
			messages: map[string]string{"Programmed": "InferenceModelRewrite team/chat-modelroute"},
			err:      "no rights",
		},

		// (4) A failed write is a condition, an Event and a retry.
		refused("a create refused for lack of rights (OpenShift's owner-reference admission)", forbidden, "cannot set blockOwnerDeletion"),
		refused("a create refused by a quota", quota, "exceeded quota"),
		refused("a create refused by an admission webhook", webhook, "is invalid"),
		refused("a create refused in a terminating namespace", terminating, "is being terminated"),
		{
			name:    "a conflict is the cache behind: retried, no RouteWriteFailed",
			objects: func(t *testing.T) []client.Object { return base(t, chat()) },
			faults:  map[string]error{"create HTTPRoute": conflict},
			writes:  append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events:  []string{"Normal Accepted"},
			status:  []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
			err:     "the UID in the precondition does not match",
		},
		{
			name: "an edit whose apply is refused does not keep the True of the previous generation",
			objects: func(t *testing.T) []client.Object {
				old := chat()
				objs := base(t)
				route := liveRoute(t, objs, old, acceptedBy(tableController, metav1.ConditionTrue, 1))
				edited := chat(withTargets("lora-v2"), withConditions(
					metav1.Condition{Type: "Programmed", Status: "True", Reason: "Programmed", ObservedGeneration: 1, LastTransitionTime: metav1.Now()}))
				edited.Generation = 2
				return append(objs, edited, route)
			},
			faults: map[string]error{"apply HTTPRoute": quota},
			writes: []string{"apply HTTPRoute team/chat-modelroute", "patch InferenceModel/status team/chat"},
			events: []string{"Warning RouteWriteFailed", "Normal Accepted"},
			status: []string{"Programmed=False/RouteWriteFailed", resolvedOK, acceptedOK, "Ready=False/RouteWriteFailed", "Stalled=True/RouteWriteFailed"},
			err:    "exceeded quota",
		},

		// (5) Shadowing follows what the Gateway serves.
		{
			name: "an older copy in another namespace whose route the Gateway rejects shadows no one",
			objects: func(t *testing.T) []client.Object {
				dev := tableModel("dev", "dev-copy", "chat", 1)
				objs := base(t, tablePool("dev"))
				rejected := liveRoute(t, objs, dev, acceptedBy(tableController, metav1.ConditionFalse, 1))
				return append(objs, dev, rejected, chat())
			},
			writes: append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},
		{
			name: "an older copy whose route the Gateway accepted shadows",
			objects: func(t *testing.T) []client.Object {
				dev := tableModel("dev", "dev-copy", "chat", 1)
				objs := base(t, tablePool("dev"))
				return append(objs, dev, liveRoute(t, objs, dev, acceptedBy(tableController, metav1.ConditionTrue, 1)), chat())
			},
			writes:   firstStatus,
			events:   []string{"Warning RouteShadowed", "Normal Accepted"},
			status:   []string{resolvedOK, acceptedOK, "Programmed=False/RouteShadowed", "Ready=False/RouteShadowed", "Stalled=True/RouteShadowed"},
			messages: map[string]string{"Programmed": "dev/dev-copy"},
		},
		{
			name: "another implementation's rejection of the older copy is not the Gateway's: it shadows",
			objects: func(t *testing.T) []client.Object {
				dev := tableModel("dev", "dev-copy", "chat", 1)
				objs := base(t, tablePool("dev"))
				return append(objs, dev, liveRoute(t, objs, dev, acceptedBy("example.com/other", metav1.ConditionFalse, 1)), chat())
			},
			writes: firstStatus,
			events: []string{"Warning RouteShadowed", "Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, "Programmed=False/RouteShadowed", "Ready=False/RouteShadowed", "Stalled=True/RouteShadowed"},
		},
		{
			name: "a more specific hostname coexists with an older catch-all",
			objects: func(t *testing.T) []client.Object {
				dev := tableModel("dev", "dev-copy", "chat", 1)
				return base(t, tablePool("dev"), dev, chat(annotated(translate.AnnotationHostnames, "chat.example.com")))
			},
			writes: append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},

		// (6) Programmed means what it says.
		{
			name: "Accepted=Unknown is pending, not a rejection",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				return append(objs, chat(), liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionUnknown, 1)))
			},
			writes: firstStatus,
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},
		{
			name: "only the class's controller is the verdict",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				return append(objs, chat(), liveRoute(t, objs, chat(), acceptedBy("example.com/other", metav1.ConditionTrue, 1)))
			},
			writes: firstStatus,
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},
		{
			name: "accepted by the class's controller: Programmed and Ready",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				return append(objs, chat(), liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionTrue, 1)))
			},
			writes: firstStatus,
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, programmedOK, readyOK},
		},
		{
			name: "a stale rejection is skipped",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				route := liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionFalse, 1))
				route.Generation = 2
				return append(objs, chat(), route)
			},
			writes: firstStatus,
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},
		{
			name:    "a parent Gateway that does not exist",
			objects: func(t *testing.T) []client.Object { return []client.Object{tablePool(tableNS), chat()} },
			writes:  append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events:  []string{"Warning GatewayNotFound", "Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, "Programmed=False/GatewayNotFound", "Ready=False/GatewayNotFound",
				"Reconciling=True/GatewayNotFound"},
			messages: map[string]string{"Programmed": "Gateway gw/main, a parent of HTTPRoute \"chat-modelroute\", does not exist"},
		},
		{
			name: "a field of another manager in the live spec is not drift: no apply, still Programmed",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				route := liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionTrue, 1))
				route.Spec.UseDefaultGateways = gatewayv1.GatewayDefaultScopeAll
				return append(objs, chat(), route)
			},
			writes: firstStatus,
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, programmedOK, readyOK},
		},
		{
			name: "a label repaired: the apply's answer carries the verdict, still Programmed",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				route := liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionTrue, 1))
				delete(route.Labels, translate.LabelInferenceModel)
				return append(objs, chat(), route)
			},
			writes: []string{"apply HTTPRoute team/chat-modelroute", "patch InferenceModel/status team/chat"},
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, programmedOK, readyOK},
		},

		// (7) Stalled only when a person must act.
		{
			name: "no pool yet: Reconciling, not Stalled",
			objects: func(t *testing.T) []client.Object {
				return []client.Object{tableGateway("main", "c"), tableClass(), chat()}
			},
			writes: firstStatus,
			events: []string{"Warning PoolNotFound", "Normal Accepted"},
			status: []string{"ResolvedRefs=False/PoolNotFound", acceptedOK, "Ready=False/PoolNotFound", "Reconciling=True/PoolNotFound"},
		},
		{
			name: "re-created under the same name: the old route is deleted (UID precondition), not a RouteConflict",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				old := liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionTrue, 1))
				old.OwnerReferences[0].UID = "uid-of-the-deleted-chat"
				return append(objs, chat(), old)
			},
			writes:   append([]string{"delete HTTPRoute team/chat-modelroute"}, firstStatus...),
			events:   []string{"Normal Accepted"},
			status:   []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
			messages: map[string]string{"Programmed": "belongs to a deleted InferenceModel of the same name"},
			check: func(t *testing.T, c client.Client) {
				err := c.Get(context.Background(), types.NamespacedName{Namespace: tableNS, Name: "chat-modelroute"}, &gatewayv1.HTTPRoute{})
				if !apierrors.IsNotFound(err) {
					t.Errorf("the old route: %v; want it deleted", err)
				}
			},
		},
		{
			name: "an unlabelled object naming the model as controller is not deleted",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				other := liveRoute(t, objs, chat())
				other.Name, other.Labels = "chat-by-hand", nil
				return append(objs, chat(annotated(translate.AnnotationParentRefs, "gw/main")), other)
			},
			writes: append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},
		{
			name: "a stray labelled route of the model under another name is pruned",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				stray := liveRoute(t, objs, chat())
				stray.Name = "chat-older-naming"
				return append(objs, chat(), stray)
			},
			writes: append([]string{"create HTTPRoute team/chat-modelroute", "delete HTTPRoute team/chat-older-naming"}, firstStatus...),
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
		},

		{
			name: "a foreign route holds the name: the create is refused, nothing else written",
			objects: func(t *testing.T) []client.Object {
				foreign := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: tableNS, Name: "chat-modelroute",
					Labels: map[string]string{"team": "someone-else"}}}
				return base(t, chat(), foreign)
			},
			writes:   append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events:   []string{"Warning RouteConflict", "Normal Accepted"},
			status:   []string{resolvedOK, acceptedOK, "Programmed=False/RouteConflict", "Ready=False/RouteConflict", "Stalled=True/RouteConflict"},
			messages: map[string]string{"Programmed": "not controlled by this InferenceModel"},
			check: func(t *testing.T, c client.Client) {
				route := &gatewayv1.HTTPRoute{}
				if err := c.Get(context.Background(), types.NamespacedName{Namespace: tableNS, Name: "chat-modelroute"}, route); err != nil {
					t.Fatal(err)
				}
				if len(route.Spec.Rules) != 0 || len(route.OwnerReferences) != 0 {
					t.Errorf("the foreign route was written: %+v", route)
				}
			},
		},

		// (9) Input and bookkeeping edges.
		{
			name:     "a bidi override in the modelName: invalid",
			objects:  func(t *testing.T) []client.Object { return base(t, tableModel(tableNS, "chat", "chat\u202egpt", 10)) },
			writes:   firstStatus,
			events:   []string{"Warning InvalidModelName", "Normal ResolvedRefs"},
			status:   []string{resolvedOK, "Accepted=False/InvalidModelName", "Ready=False/InvalidModelName", "Stalled=True/InvalidModelName"},
			messages: map[string]string{"Accepted": "U+202E"},
		},
		{
			name: "a 40 KiB annotation: every message capped, the status written",
			objects: func(t *testing.T) []client.Object {
				return base(t, chat(annotated(translate.AnnotationParentRefs, strings.Repeat("g", 40<<10))))
			},
			writes: firstStatus,
			events: []string{"Warning InvalidParentRefs", "Normal ResolvedRefs"},
			status: []string{resolvedOK, "Accepted=False/InvalidParentRefs", "Ready=False/InvalidParentRefs", "Stalled=True/InvalidParentRefs"},
			check: func(t *testing.T, c client.Client) {
				m := &v1alpha2.InferenceModel{}
				if err := c.Get(context.Background(), types.NamespacedName{Namespace: tableNS, Name: "chat"}, m); err != nil {
					t.Fatal(err)
				}
				for _, cond := range m.Status.Conditions {
					if len(cond.Message) > translate.MaxConditionMessage {
						t.Errorf("%s message of %d bytes", cond.Type, len(cond.Message))
					}
				}
			},
		},
		{
			name: "a spec-digest annotation on a live route does not hide an edit",
			objects: func(t *testing.T) []client.Object {
				objs := base(t)
				desired := liveRoute(t, objs, chat())
				manifest, err := translate.Manifest(desired)
				if err != nil {
					t.Fatal(err)
				}
				edited := liveRoute(t, objs, chat(), acceptedBy(tableController, metav1.ConditionTrue, 1))
				edited.Spec.Rules[0].BackendRefs[0].Weight = ptr.To[int32](999)
				metav1.SetMetaDataAnnotation(&edited.ObjectMeta, translate.AnnotationSpecDigest, translate.SpecDigest(manifest))
				return append(objs, chat(), edited)
			},
			writes: []string{"apply HTTPRoute team/chat-modelroute", "patch InferenceModel/status team/chat"},
			events: []string{"Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, programmedOK, readyOK},
		},
		{
			name: "two models whose cut route names collide: the older keeps the name, as in render",
			objects: func(t *testing.T) []client.Object {
				long := strings.Repeat("m", 300)
				route := translate.RouteName(long)
				plain := strings.TrimSuffix(route, "-modelroute")
				return base(t, tableModel(tableNS, long, "other-name", 1), tableModel(tableNS, plain, "chat", 10))
			},
			model:    strings.TrimSuffix(translate.RouteName(strings.Repeat("m", 300)), "-modelroute"),
			writes:   []string{"patch InferenceModel/status team/" + strings.TrimSuffix(translate.RouteName(strings.Repeat("m", 300)), "-modelroute")},
			events:   []string{"Warning RouteConflict", "Normal Accepted"},
			status:   []string{resolvedOK, acceptedOK, "Programmed=False/RouteConflict", "Ready=False/RouteConflict", "Stalled=True/RouteConflict"},
			messages: map[string]string{"Programmed": "already taken by InferenceModel \"" + strings.Repeat("m", 300) + "\""},
		},
		{
			name: "other controllers' conditions leave too little room: the most important kept, an Event says so",
			objects: func(t *testing.T) []client.Object {
				var foreign []metav1.Condition
				for i := range 5 {
					foreign = append(foreign, metav1.Condition{Type: fmt.Sprintf("Other%d", i), Status: "True", Reason: "X", LastTransitionTime: metav1.Now()})
				}
				return base(t, chat(withConditions(foreign...)))
			},
			writes: append([]string{"create HTTPRoute team/chat-modelroute"}, firstStatus...),
			events: []string{"Normal Accepted", "Warning TooManyConditions"},
			status: []string{"Other0=True/X", "Other1=True/X", "Other2=True/X", "Other3=True/X", "Other4=True/X", acceptedOK, pendingGW, readyPending},
		},
	})
}

// TestServiceTable: in service mode, what the model reconciler says of its
// pool's shadow Service.
func TestServiceTable(t *testing.T) {
	service := translate.ServiceName(translate.GroupInferenceAlpha, "pool")
	objs := func(t *testing.T, verdict func(*gatewayv1.HTTPRoute)) []client.Object {
		out := []client.Object{tablePool(tableNS), tableGateway("main", "c"), tableClass(), tableModel(tableNS, "chat", "chat", 1)}
		cfg := tableConfig()
		cfg.Backend = translate.BackendService
		tr, err := translate.NewTranslator(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := resultOf(tr.Translate(translate.Input{Models: []v1alpha2.InferenceModel{*tableModel(tableNS, "chat", "chat", 1)},
			AlphaPools: []v1alpha2.InferencePool{*tablePool(tableNS)}}), tableModel(tableNS, "chat", "chat", 1))
		route := res.Route.DeepCopy()
		route.Generation = 1
		verdict(route)
		return append(out, route)
	}
	unresolved := func(r *gatewayv1.HTTPRoute) {
		acceptedBy(tableController, metav1.ConditionTrue, 1)(r)
		r.Status.Parents[0].Conditions[1] = metav1.Condition{Type: "ResolvedRefs", Status: "False", Reason: "BackendNotFound", ObservedGeneration: 1}
	}
	serviceMode := func(c *translate.Config) { c.Backend = translate.BackendService }
	runTable(t, []tableRow{
		{
			name:     "the shadow Service not there yet: the Gateway's BackendNotFound is awaited",
			cfg:      serviceMode,
			objects:  func(t *testing.T) []client.Object { return objs(t, unresolved) },
			writes:   firstStatus,
			events:   []string{"Normal Accepted"},
			status:   []string{resolvedOK, acceptedOK, pendingGW, readyPending, reconciling},
			messages: map[string]string{"Programmed": "the shadow Service of its InferencePool is not there yet"},
		},
		{
			name: "the shadow Service there and still BackendNotFound: rejected",
			cfg:  serviceMode,
			objects: func(t *testing.T) []client.Object {
				svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: tableNS, Name: service,
					Labels: map[string]string{translate.LabelManagedBy: translate.ManagedByValue}}}
				return append(objs(t, unresolved), svc)
			},
			writes: firstStatus,
			events: []string{"Warning RouteNotAccepted", "Normal Accepted"},
			status: []string{resolvedOK, acceptedOK, "Programmed=False/RouteNotAccepted", "Ready=False/RouteNotAccepted", "Stalled=True/RouteNotAccepted"},
		},
	})
}

// TestResyncReachesOwnEchoes: the echo of our own status write is
// filtered, but a resync hands the same version over again, and that
// passes, so that the resync reaches every model.
func TestResyncReachesOwnEchoes(t *testing.T) {
	writes := &ownWrites{}
	model := tableModel(tableNS, "chat", "chat", 1)
	model.ResourceVersion = "7"
	writes.wrote(model, "6")
	p := writes.notEcho()
	before := model.DeepCopy()
	before.ResourceVersion = "6"
	if p.Update(event.UpdateEvent{ObjectOld: before, ObjectNew: model}) {
		t.Error("the echo of our own status write passed")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: model, ObjectNew: model.DeepCopy()}) {
		t.Error("the resync of a model whose last event was our own write was dropped")
	}
}
