package controllers_test

// Hostile input: what the API server lets through (and what it does not),
// the controller and render must turn into a clear condition or error,
// without a panic, and without a write outside the model's namespace.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/render"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// checkHealthy fails the test when the manager stopped or a reconcile
// panicked.
func checkHealthy(t *testing.T, m *harness.Manager) {
	t.Helper()
	if err := m.Running(); err != nil {
		t.Error(err)
	}
	if panics := m.Panics(); len(panics) != 0 {
		t.Errorf("reconciles panicked:\n%s", strings.Join(panics, "\n"))
	}
}

// writesOutside returns the manager's writes whose path is not in namespace
// ns.
func writesOutside(m *harness.Manager, ns string) []string {
	var out []string
	for _, w := range m.Requests.Writes() {
		if !strings.Contains(w, "/namespaces/"+ns+"/") {
			out = append(out, w)
		}
	}
	return out
}

// manifest is obj as a file holds it: apiVersion and kind set, no status.
func manifest(t *testing.T, obj client.Object) map[string]any {
	t.Helper()
	var u map[string]any
	if un, ok := obj.(*unstructured.Unstructured); ok {
		u = runtime.DeepCopyJSON(un.Object)
	} else {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			t.Fatal(err)
		}
		if u, err = runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err != nil {
			t.Fatal(err)
		}
		u["apiVersion"], u["kind"] = gvk.GroupVersion().String(), gvk.Kind
	}
	delete(u, "status")
	if md, ok := u["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return u
}

// renderObjects runs render's loading and translate over objs written to a
// file, as `modelroute render -f` would.
func renderObjects(t *testing.T, cfg translate.Config, objs ...client.Object) (translate.Output, error) {
	t.Helper()
	var buf bytes.Buffer
	for _, obj := range objs {
		b, err := json.Marshal(manifest(t, obj))
		if err != nil {
			t.Fatal(err)
		}
		// JSON, with every non-ASCII character escaped: YAML, which render
		// reads, takes a raw U+0085 (NEL), U+2028 or U+2029 for a line
		// break and folds it into a space, even in a quoted string.
		buf.WriteString("---\n")
		for _, r := range string(b) {
			switch {
			case r < 0x7f:
				buf.WriteRune(r)
			case r <= 0xffff:
				fmt.Fprintf(&buf, `\u%04x`, r)
			default:
				fmt.Fprintf(&buf, `\U%08x`, r)
			}
		}
		buf.WriteString("\n")
	}
	file := filepath.Join(t.TempDir(), "input.yaml")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := render.Load([]string{file}, nil, "default")
	if err != nil {
		var inputErr *render.InputError
		if !errors.As(err, &inputErr) {
			t.Fatalf("render.Load returned %T %v; want an *InputError", err, err)
		}
		return translate.Output{}, err
	}
	return translatorFor(t, cfg).Translate(in), nil
}

// hostileCase is one nasty InferenceModel.
type hostileCase struct {
	name string
	// model is created after the shared pools.
	model client.Object
	// rejected: the API server refuses the model (422) with a message
	// holding every one of these.
	rejected []string
	// want are the model's conditions at generation gen: on the API
	// server (when it takes the model) and from render.
	want func(gen int64) []metav1.Condition
	// renderErr: render refuses the input with an InputError holding this.
	renderErr string
	routed    bool
	// check looks further at a routed model's live route.
	check func(t *testing.T, route *gatewayv1.HTTPRoute)
}

func invalid(gen int64, reason, format string, args ...any) metav1.Condition {
	return condition(translate.ConditionAccepted, metav1.ConditionFalse, reason, gen, format, args...)
}

// hostileInput is the pools every hostile case may use, in namespace ns:
// pool-a; a 253-character one; and "shared", which exists in namespace
// other only; and the cases.
func hostileInput(ns, other string) (pools []client.Object, cases []hostileCase) {
	name253 := strings.Repeat("n", 252) + "1"
	pool253 := strings.Repeat("p", 253)
	longPool := alphaPool(ns, pool253)
	longPool.Spec.Selector = map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": "long-pool"}
	longPool.Spec.ExtensionRef.Name = "long-pool-epp"
	pools = []client.Object{alphaPool(ns, "pool-a"), longPool, alphaPool(other, "shared")}

	modelOf := func(name, modelName string, targets ...v1alpha2.TargetModel) *v1alpha2.InferenceModel {
		return newModel(ns, name, modelName, "pool-a", targets...)
	}
	targets := func(n int, name func(i int) string, weight int32) []v1alpha2.TargetModel {
		var out []v1alpha2.TargetModel
		for i := range n {
			out = append(out, weighted(name(i), weight))
		}
		return out
	}
	routedOn := func(pool, modelName, model string) func(int64) []metav1.Condition {
		return func(gen int64) []metav1.Condition {
			return []metav1.Condition{resolved(gen, pool, alphaGroup), accepted(gen, modelName), pending(gen, model, 1)}
		}
	}
	refused := func(reason, format string, args ...any) func(int64) []metav1.Condition {
		return func(gen int64) []metav1.Condition {
			return []metav1.Condition{resolved(gen, "pool-a", alphaGroup), invalid(gen, reason, format, args...)}
		}
	}
	weights := func(want ...int32) func(*testing.T, *gatewayv1.HTTPRoute) {
		return func(t *testing.T, r *gatewayv1.HTTPRoute) {
			if got := backendWeights(r); !slices.Equal(got, want) {
				t.Errorf("route %s weights %v; want %v", r.Name, got, want)
			}
		}
	}
	emoji256 := strings.Repeat("🦙", 256)
	poolRefNamespace := poolRefNamespaceModel(ns, other)
	crossNamespace := newModel(ns, "cross-namespace", "cross-namespace", "shared")
	unsupportedKind := modelOf("unsupported-kind", "unsupported-kind")
	// The group spelled out: render reports a poolRef's group as written,
	// the API server defaults it.
	unsupportedKind.Spec.PoolRef.Group, unsupportedKind.Spec.PoolRef.Kind = alphaGroup, "Service"
	tooLongPoolRef := newModel(ns, "pool-ref-254", "pool-ref-254", pool253+"p")
	elevenTargets := modelOf("eleven-targets", "eleven-targets", targets(11, func(i int) string { return fmt.Sprint("t", i) }, 1)...)
	weightZero := modelOf("weight-zero", "weight-zero", weighted("a", 0), weighted("b", 1))
	weightOver := modelOf("weight-over", "weight-over", weighted("a", 1000001))
	limits := newModel(ns, name253, strings.Repeat("l", 256), pool253,
		targets(10, func(i int) string { return fmt.Sprintf("%0253d", i) }, 1000000)...)

	cases = []hostileCase{
		{
			// The CRD only has maxLength: the API server takes CR and LF.
			name: "CR LF in modelName", model: modelOf("crlf", "chat\r\nX-Injected: 1"),
			want: refused(translate.ReasonInvalidModelName, "spec.modelName contains the control character U+000D, not allowed in an HTTP header value"),
		},
		{
			name: "LF in modelName", model: modelOf("lf", "chat\nX-Injected: 1"),
			want: refused(translate.ReasonInvalidModelName, "spec.modelName contains the control character U+000A, not allowed in an HTTP header value"),
		},
		{
			name: "NUL in modelName", model: modelOf("nul", "chat\x00"),
			want: refused(translate.ReasonInvalidModelName, "spec.modelName contains the control character U+0000, not allowed in an HTTP header value"),
		},
		{
			name: "NEL in modelName", model: modelOf("nel", "chat\u0085next"),
			want: refused(translate.ReasonInvalidModelName, "spec.modelName contains the control character U+0085, not allowed in an HTTP header value"),
		},
		{
			name: "surrounding whitespace in modelName", model: modelOf("padded", " chat\t"),
			want: refused(translate.ReasonInvalidModelName, "spec.modelName has leading or trailing whitespace, which HTTP strips from header values"),
		},
		{
			name: "CR LF in a target name", model: modelOf("crlf-target", "crlf-target", weighted("ok", 1), weighted("bad\r\nX-Injected: 1", 1)),
			want: refused(translate.ReasonInvalidTargetModels, "spec.targetModels[1].name contains the control character U+000D, not allowed in an HTTP header value"),
		},
		{
			name: "modelName of 256 characters", model: modelOf("model-name-256", strings.Repeat("m", 256)),
			want: routedOn("pool-a", strings.Repeat("m", 256), "model-name-256"), routed: true,
		},
		{
			name: "modelName of 257 characters", model: modelOf("model-name-257", strings.Repeat("m", 257)),
			rejected: []string{"spec.modelName", "Too long", "256"},
			want:     refused(translate.ReasonInvalidModelName, "spec.modelName must be 1 to 256 characters, not 257"),
		},
		{
			// 1,024 bytes: the limit counts characters.
			name: "modelName of 256 four-byte characters", model: modelOf("model-name-256-emoji", emoji256),
			want: func(gen int64) []metav1.Condition {
				// Condition messages are capped at 1,024 bytes.
				conds := routedOn("pool-a", emoji256, "model-name-256-emoji")(gen)
				conds[1].Message = translate.Truncate(conds[1].Message, translate.MaxConditionMessage)
				return conds
			},
			routed: true,
		},
		{
			name: "modelName of 257 four-byte characters", model: modelOf("model-name-257-emoji", emoji256+"🦙"),
			rejected: []string{"spec.modelName", "Too long", "256"},
			want:     refused(translate.ReasonInvalidModelName, "spec.modelName must be 1 to 256 characters, not 257"),
		},
		{
			name: "target names of 253 characters", model: modelOf("target-253", "target-253", weighted(strings.Repeat("a", 253), 1), weighted(strings.Repeat("b", 253), 1)),
			want: routedOn("pool-a", "target-253", "target-253"), routed: true,
			check: func(t *testing.T, r *gatewayv1.HTTPRoute) {
				if v := r.Spec.Rules[0].BackendRefs[1].Filters[0].RequestHeaderModifier.Set[0].Value; v != strings.Repeat("b", 253) {
					t.Errorf("second backendRef sets the target to %q", v)
				}
			},
		},
		{
			name: "target name of 254 characters", model: modelOf("target-254", "target-254", weighted(strings.Repeat("a", 254), 1)),
			rejected: []string{"spec.targetModels[0].name", "Too long", "253"},
			want:     refused(translate.ReasonInvalidTargetModels, "spec.targetModels[0].name must be 1 to 253 characters, not 254"),
		},
		{
			// The route name is cut and hashed; the pool name is used as is.
			name: "every name at its limit, 10 targets at weight 1,000,000", model: limits,
			want: routedOn(pool253, strings.Repeat("l", 256), name253), routed: true,
			check: func(t *testing.T, r *gatewayv1.HTTPRoute) {
				weights(slices.Repeat([]int32{1000000}, 10)...)(t, r)
				if len(r.Name) > 253 || len(r.Labels["modelroute.dev/inference-model"]) > 63 {
					t.Errorf("route name %q or its label is too long", r.Name)
				}
			},
		},
		{
			name: "object name of 254 characters", model: modelOf(name253+"4", "long-object-name"),
			rejected:  []string{"metadata.name", "must be no more than 253 characters"},
			renderErr: "must be no more than 253 characters",
		},
		{
			name: "poolRef name of 254 characters", model: tooLongPoolRef,
			rejected: []string{"spec.poolRef.name", "Too long", "253"},
			want: func(gen int64) []metav1.Condition {
				return []metav1.Condition{accepted(gen, "pool-ref-254"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", gen,
					`InferencePool %q (group inference.networking.x-k8s.io) not found in namespace %q`, pool253+"p", ns)}
			},
		},
		{
			name: "unicode names", model: modelOf("unicode", "模型/聊天 v1 🦙", weighted("适配器-α", 3), weighted("adapter-β", 1)),
			want: routedOn("pool-a", "模型/聊天 v1 🦙", "unicode"), routed: true,
			check: func(t *testing.T, r *gatewayv1.HTTPRoute) {
				if v := r.Spec.Rules[0].Matches[0].Headers[0].Value; v != "模型/聊天 v1 🦙" {
					t.Errorf("route matches %q", v)
				}
			},
		},
		{
			// Invisible characters make two different names look alike; the
			// CRD takes them.
			name: "a bidi override in a modelName", model: modelOf("bidi", "chat\u202egpt"),
			want: refused(translate.ReasonInvalidModelName, "spec.modelName contains the invisible format character U+202E"),
		},
		{
			name: "a zero-width joiner in a target name", model: modelOf("zero-width", "zero-width", weighted("adapter-β\u200d", 1)),
			want: refused(translate.ReasonInvalidTargetModels, "spec.targetModels[0].name contains the invisible format character U+200D"),
		},
		{
			name: "10 targets at weight 1,000,000", model: modelOf("ten-max-weights", "ten-max-weights", targets(10, func(i int) string { return fmt.Sprint("adapter-", i) }, 1000000)...),
			want: routedOn("pool-a", "ten-max-weights", "ten-max-weights"), routed: true,
			check: weights(slices.Repeat([]int32{1000000}, 10)...),
		},
		{
			name: "11 targets", model: elevenTargets,
			rejected: []string{"spec.targetModels", "must have at most 10 items"},
			want:     refused(translate.ReasonInvalidTargetModels, "spec.targetModels has 11 entries; at most 10 are allowed"),
		},
		{
			name: "weight 0", model: weightZero,
			rejected: []string{"spec.targetModels[0].weight", "should be greater than or equal to 1"},
			want:     refused(translate.ReasonInvalidTargetModels, "spec.targetModels[0].weight must be 1 to 1000000, not 0"),
		},
		{
			name: "weight 1,000,001", model: weightOver,
			rejected: []string{"spec.targetModels[0].weight", "should be less than or equal to 1000000"},
			want:     refused(translate.ReasonInvalidTargetModels, "spec.targetModels[0].weight must be 1 to 1000000, not 1000001"),
		},
		{
			// References never cross namespaces: the pool of that name in
			// the other namespace, which the manager sees, is not used.
			name: "pool of that name in another namespace only", model: crossNamespace,
			want: func(gen int64) []metav1.Condition {
				return []metav1.Condition{accepted(gen, "cross-namespace"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", gen,
					`InferencePool "shared" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)}
			},
		},
		{
			// poolRef has no namespace field: the API server drops it (it
			// refuses it under strict field validation, see below) and
			// render refuses the file.
			name: "poolRef with a namespace field", model: poolRefNamespace,
			want: func(gen int64) []metav1.Condition {
				return []metav1.Condition{accepted(gen, "poolref-namespace"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", gen,
					`InferencePool "shared" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)}
			},
			renderErr: `unknown field "spec.poolRef.namespace"`,
		},
		{
			name: "poolRef to another kind", model: unsupportedKind,
			want: func(gen int64) []metav1.Condition {
				return []metav1.Condition{accepted(gen, "unsupported-kind"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "InvalidKind", gen,
					`poolRef kind "Service" of group "inference.networking.x-k8s.io" is not supported: it must be an InferencePool of group inference.networking.x-k8s.io or inference.networking.k8s.io`)}
			},
		},
	}
	return pools, cases
}

// poolRefNamespaceModel is a model whose poolRef has a namespace field,
// which the schema does not know.
func poolRefNamespaceModel(ns, other string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "inference.networking.x-k8s.io/v1alpha2", "kind": "InferenceModel",
		"metadata": map[string]any{"namespace": ns, "name": "poolref-namespace"},
		"spec":     map[string]any{"modelName": "poolref-namespace", "poolRef": map[string]any{"name": "shared", "namespace": other}},
	}}
}

// TestHostileInput runs a table of nasty InferenceModels through the real API
// server and a manager, and through render, in both backend modes. Each ends
// in a clear condition, a rejection by the API server (and then a condition
// or an input error from render, which reads files no API server checked),
// never a panic; the manager, which sees a second namespace too, writes only
// in the models' namespace and nothing the API server refuses.
func TestHostileInput(t *testing.T) {
	for _, backend := range []translate.BackendMode{translate.BackendInferencePool, translate.BackendService} {
		t.Run(string(backend), func(t *testing.T) {
			ns, other := newNamespace(t), newNamespace(t)
			cfg := testConfig()
			cfg.Backend = backend
			pools, cases := hostileInput(ns, other)
			create(t, pools...)
			m := harness.StartManager(t, harness.ManagerOptions{RestConfig: cluster.Config, Namespaces: []string{ns, other}, Config: cfg})
			// Every model first, so that the controller works on them all at
			// once; then each case checks its own.
			// render reads the models as a file holds them, before the API
			// server gives them a generation and a uid.
			asWritten := map[string]client.Object{}
			created := map[string]error{}
			for _, tc := range cases {
				asWritten[tc.name] = tc.model.DeepCopyObject().(client.Object)
				created[tc.name] = k8s.Create(testContext(t), tc.model)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					checkRendered(t, cfg, pools, ns, tc, asWritten[tc.name])
					checkAdmitted(t, ns, cfg, pools, tc, created[tc.name])
				})
			}
			t.Run("Event notes cut to the API limit", func(t *testing.T) {
				// The Event of a transition quotes the modelName: for 256
				// four-byte characters its note is cut to 1,024 bytes.
				harness.Eventually(t, func() error {
					model := mustGet(t, &v1alpha2.InferenceModel{}, ns, "model-name-256-emoji")
					events, err := findEvents(ns, model, "Accepted")
					if err != nil || len(events) == 0 {
						return fmt.Errorf("no Accepted Event about model-name-256-emoji (%v)", err)
					}
					if note := events[0].Note; len(note) > 1024 || !strings.HasSuffix(note, "…") || !strings.HasPrefix(note, `Accepted=True: modelName "🦙`) {
						return fmt.Errorf("Event note of %d bytes: %q", len(note), note)
					}
					return nil
				})
			})
			t.Run("nothing in the other namespace", func(t *testing.T) {
				routed := 0
				for _, tc := range cases {
					if tc.routed {
						routed++
					}
				}
				harness.Consistently(t, 2*time.Second, func() error {
					if n := len(liveList(t, ns, "gateway.networking.k8s.io/v1", "HTTPRoute")); n != routed {
						return fmt.Errorf("%d routes in %s; want %d", n, ns, routed)
					}
					if n := len(liveList(t, other, "gateway.networking.k8s.io/v1", "HTTPRoute")); n != 0 {
						return fmt.Errorf("%d routes in the other namespace", n)
					}
					if services, err := managedServices(other); err != nil || len(services) != 0 {
						return fmt.Errorf("shadow Services in the other namespace: %v (%v)", services, err)
					}
					return m.Running()
				})
				if backend == translate.BackendService {
					services, err := managedServices(ns)
					if err != nil || len(services) != 2 {
						t.Fatalf("shadow Services %v (%v); want those of pool-a and the 253-character pool", services, err)
					}
				}
			})
			t.Run("pool deleted under its model", func(t *testing.T) {
				// Its route goes, the model says why.
				doomed := alphaPool(ns, "doomed")
				create(t, doomed, newModel(ns, "orphan", "orphan", "doomed"))
				harness.Eventually(t, hasConditions(ns, "orphan", resolved(1, "doomed", alphaGroup), accepted(1, "orphan"), pending(1, "orphan", 1)))
				harness.Eventually(t, hasTranslatedRoute(t, ns, "orphan", cfg))
				remove(t, doomed)
				harness.Eventually(t, hasConditions(ns, "orphan", accepted(1, "orphan"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
					`InferencePool "doomed" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)))
				harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "orphan-modelroute"))
				if backend == translate.BackendService {
					harness.Eventually(t, absent(&corev1.Service{}, ns, translate.ServiceName(alphaGroup, "doomed")))
				}
			})
			t.Run("no write outside the namespace, none invalid", func(t *testing.T) {
				checkHealthy(t, m)
				if outside := writesOutside(m, ns); len(outside) != 0 {
					t.Errorf("writes outside namespace %s:\n%s", ns, strings.Join(outside, "\n"))
				}
				if rejected := m.Requests.Rejected(); len(rejected) != 0 {
					t.Errorf("writes the API server refused as invalid:\n%s", strings.Join(rejected, "\n"))
				}
				if len(m.Requests.Writes()) == 0 {
					t.Errorf("the manager wrote nothing at all")
				}
			})
		})
	}
}

// TestPoolRefNamespaceUnderStrictValidation: strict field validation
// refuses a poolRef with a namespace field outright (the API server's
// default drops the field; see the hostile case).
func TestPoolRefNamespaceUnderStrictValidation(t *testing.T) {
	ns := newNamespace(t)
	err := k8s.Create(testContext(t), poolRefNamespaceModel(ns, "elsewhere"), client.FieldValidation("Strict"))
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.poolRef.namespace"`) {
		t.Fatalf("creating a model with poolRef.namespace under strict field validation: %v; want 400 unknown field", err)
	}
}

// checkRendered checks what render says of the case's model as written,
// with the pools.
func checkRendered(t *testing.T, cfg translate.Config, pools []client.Object, ns string, tc hostileCase, model client.Object) {
	t.Helper()
	out, err := renderObjects(t, cfg, append(slices.Clone(pools), model)...)
	switch {
	case tc.renderErr != "":
		if err == nil || !strings.Contains(err.Error(), tc.renderErr) {
			t.Errorf("render returned %v; want an input error with %q", err, tc.renderErr)
		}
		return
	case err != nil:
		t.Fatalf("render: %v", err)
	}
	res, ok := resultFor(out, ns, model.GetName())
	if !ok {
		t.Fatalf("render has no result for the model")
	}
	if diff := cmp.Diff(tc.want(0), withoutHealth(res.Conditions), conditionOpts); diff != "" {
		t.Errorf("render's conditions (-want +got):\n%s", diff)
	}
	if (res.Route != nil) != tc.routed {
		t.Errorf("render gives a route: %v; want %v", res.Route != nil, tc.routed)
	}
}

// checkAdmitted checks what the API server did with the case (createErr is
// its answer to the create) and, when it took the model, what the
// controller made of it.
func checkAdmitted(t *testing.T, ns string, cfg translate.Config, pools []client.Object, tc hostileCase, createErr error) {
	t.Helper()
	if tc.rejected != nil {
		if !apierrors.IsInvalid(createErr) {
			t.Fatalf("the API server answered %v; want 422 Invalid", createErr)
		}
		for _, part := range tc.rejected {
			if !strings.Contains(createErr.Error(), part) {
				t.Errorf("the API server's rejection %q does not mention %q", createErr, part)
			}
		}
		return
	}
	if createErr != nil {
		t.Fatalf("the API server refused the model: %v", createErr)
	}
	name := tc.model.GetName()
	harness.Eventually(t, hasConditions(ns, name, tc.want(1)...))
	if !tc.routed {
		return
	}
	harness.Eventually(t, hasTranslatedRoute(t, ns, name, cfg))
	out, err := renderObjects(t, cfg, append(slices.Clone(pools), tc.model)...)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	res, ok := resultFor(out, ns, name)
	if !ok || res.Route == nil {
		t.Fatalf("render gives the model no route")
	}
	route := mustGet(t, &gatewayv1.HTTPRoute{}, ns, translate.RouteName(name))
	if diff := cmp.Diff(res.Route.Spec, route.Spec, routeOpts); diff != "" {
		t.Errorf("render's route differs from the live one (-render +live):\n%s", diff)
	}
	if tc.check != nil {
		tc.check(t, route)
	}
}

func resultFor(out translate.Output, ns, name string) (translate.ModelResult, bool) {
	for _, res := range out.Models {
		if res.Namespace == ns && res.Name == name {
			return res, true
		}
	}
	return translate.ModelResult{}, false
}

// Without the InferencePool CRDs (a cluster with only the InferenceModel
// and Gateway API CRDs), the controller starts, and models say that their
// pool cannot be found because its CRD is not installed.
func TestInferencePoolCRDsAbsent(t *testing.T) {
	crds, err := controlplane.CRDPaths()
	if err != nil {
		t.Fatal(err)
	}
	bases := filepath.Join(controlplane.RepoRoot(), "config", "crd", "bases")
	crds = slices.DeleteFunc(crds, func(p string) bool { return p == bases })
	crds = append(crds, filepath.Join(bases, "inference.networking.x-k8s.io_inferencemodels.yaml"))
	bare, err := controlplane.Start(controlplane.Options{CRDs: crds})
	if err != nil {
		t.Fatalf("starting a control plane without the InferencePool CRDs: %v", err)
	}
	t.Cleanup(func() {
		if err := bare.Stop(); err != nil {
			t.Errorf("stopping the second control plane: %v", err)
		}
	})
	c, err := client.New(bare.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "no-pools"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, alphaPool(ns.Name, "pool-a")); err == nil || !strings.Contains(err.Error(), "no matches for kind") {
		t.Fatalf("creating an InferencePool: %v; want no CRD for it", err)
	}
	alpha := newModel(ns.Name, "alpha", "alpha", "pool-a")
	v1 := newModel(ns.Name, "v1", "v1", "pool-b")
	v1.Spec.PoolRef.Group = v1Group
	for _, obj := range []client.Object{alpha, v1} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig()
	for _, backend := range []translate.BackendMode{translate.BackendInferencePool, translate.BackendService} {
		t.Run(string(backend), func(t *testing.T) {
			cfg.Backend = backend
			m := harness.StartManager(t, harness.ManagerOptions{RestConfig: bare.Config, Namespaces: []string{ns.Name}, Config: cfg})
			for _, tc := range []struct{ model, pool, group string }{{"alpha", "pool-a", alphaGroup}, {"v1", "pool-b", v1Group}} {
				notInstalled := condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
					`InferencePool %q (group %s) cannot be read: the InferencePool CRD (group %s) is not installed (restart modelroute once it is)`,
					tc.pool, tc.group, tc.group)
				harness.Eventually(t, func() error {
					got := &v1alpha2.InferenceModel{}
					if err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: tc.model}, got); err != nil {
						return err
					}
					if diff := cmp.Diff([]metav1.Condition{notInstalled, accepted(1, tc.model)}, withoutHealth(got.Status.Conditions), conditionOpts); diff != "" {
						return fmt.Errorf("InferenceModel %s conditions (-want +got):\n%s", tc.model, diff)
					}
					return nil
				})
			}
			harness.Consistently(t, 2*time.Second, func() error {
				var routes gatewayv1.HTTPRouteList
				if err := c.List(ctx, &routes, client.InNamespace(ns.Name)); err != nil || len(routes.Items) != 0 {
					return fmt.Errorf("%d routes (%v); want none", len(routes.Items), err)
				}
				return m.Running()
			})
			if outside := writesOutside(m, ns.Name); len(outside) != 0 {
				t.Errorf("writes outside namespace %s:\n%s", ns.Name, strings.Join(outside, "\n"))
			}
			if rejected := m.Requests.Rejected(); len(rejected) != 0 {
				t.Errorf("writes the API server refused as invalid:\n%s", strings.Join(rejected, "\n"))
			}
			checkHealthy(t, m)
		})
	}
	// A CRD of the v1 group that serves another version only (an older
	// release, say): modelroute does not read it, and says which it serves.
	t.Run("another version served", func(t *testing.T) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		data, err := os.ReadFile(filepath.Join(controlplane.RepoRoot(), "config", "crd", "bases", "inference.networking.k8s.io_inferencepools.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, crd); err != nil {
			t.Fatal(err)
		}
		crd.Spec.Versions = crd.Spec.Versions[:1]
		crd.Spec.Versions[0].Name = "v1beta9"
		crdScheme := runtime.NewScheme()
		if err := apiextensionsv1.AddToScheme(crdScheme); err != nil {
			t.Fatal(err)
		}
		crds, err := client.New(bare.Config, client.Options{Scheme: crdScheme})
		if err != nil {
			t.Fatal(err)
		}
		if err := crds.Create(ctx, crd); err != nil {
			t.Fatal(err)
		}
		harness.Eventually(t, func() error {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := crds.Get(ctx, client.ObjectKeyFromObject(crd), got); err != nil {
				return err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return errors.New("the CRD is not established")
		})
		cfg.Backend = translate.BackendInferencePool
		harness.StartManager(t, harness.ManagerOptions{RestConfig: bare.Config, Namespaces: []string{ns.Name}, Config: cfg})
		harness.Eventually(t, hasConditionsIn(c, ns.Name, "v1", condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
			`InferencePool "pool-b" (group %s) cannot be read: the InferencePool CRD of group %s serves v1beta9, not v1, the version modelroute reads (restart modelroute once it is)`,
			v1Group, v1Group), accepted(1, "v1")))
	})
}

// hasConditionsIn is hasConditions through client c.
func hasConditionsIn(c client.Client, ns, name string, want ...metav1.Condition) func() error {
	return func() error {
		got := &v1alpha2.InferenceModel{}
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, got); err != nil {
			return err
		}
		if diff := cmp.Diff(want, withoutHealth(got.Status.Conditions), conditionOpts); diff != "" {
			return fmt.Errorf("InferenceModel %s conditions (-want +got):\n%s", name, diff)
		}
		return nil
	}
}
