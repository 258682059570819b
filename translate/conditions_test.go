package translate_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// Checks

func TestTranslateChecks(t *testing.T) {
	accepted := func(name, modelName string, opts ...modelOpt) translateCase {
		return translateCase{
			name: "accepted: " + name,
			in:   input(model("m1", modelName, opts...), alphaPool("pool")),
		}
	}
	// rejectedCase: a model on an existing pool with Accepted=False.
	rejectedCase := func(name, reason string, m v1alpha2.InferenceModel, msg ...string) translateCase {
		return translateCase{
			name: name,
			in:   input(m, alphaPool("pool")),
			want: []wantModel{unrouted(m.Name, resolvedOK("pool"), rejected(reason, msg...))},
		}
	}
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	var refs33, refs32, hosts17, hosts16 []string
	for i := range 33 {
		refs33 = append(refs33, fmt.Sprintf("gw/g%02d", i))
		hosts17 = append(hosts17, fmt.Sprintf("h%02d.example.com", i))
	}
	refs32, hosts16 = refs33[:32], hosts17[:16]
	hosts17 = hosts17[:17]

	cases := []translateCase{
		// (1) poolRef group/kind
		{
			name: "InvalidKind: foreign group",
			in:   input(model("m1", "llama", poolRefGroup("foo.example.com")), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "foo.example.com"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind: kind Service",
			in:   input(model("m1", "llama", poolRefKind("Service")), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "Service"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind: kind case matters",
			in:   input(model("m1", "llama", poolRefKind("inferencepool")), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "inferencepool"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind: core group with v1 kind",
			in:   input(model("m1", "llama", poolRefGroup("core"), poolRefKind("InferencePool")), v1Pool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "core"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind and invalid spec: both reported, generation observed",
			in:   input(model("m1", "", poolRefKind("Service"), generation(4)), alphaPool("pool")),
			want: []wantModel{unrouted("m1", withObservedGeneration(4,
				unresolved("InvalidKind", "Service"),
				rejected("InvalidModelName", "spec.modelName"))...)},
		},
		// (2) pool existence
		{
			name: "PoolNotFound: no pool",
			in:   input(model("m1", "llama", onPool("missing"))),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"missing"`, `"ns"`), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound: pool in another namespace",
			in:   input(model("m1", "llama"), alphaPool("pool", poolInNamespace("elsewhere"))),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"pool"`, `"ns"`), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound: only a v1 pool of that name, default group is x-k8s.io",
			in:   input(model("m1", "llama"), v1Pool("pool")),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"pool"`, alphaGroup), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound: v1 group but only an alpha pool of that name",
			in:   input(model("m1", "llama", poolRefGroup(v1Group)), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"pool"`, v1Group), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound with invalid spec, generation observed",
			in:   input(model("m1", "llama", onPool("missing"), criticality("Urgent"), generation(9))),
			want: []wantModel{unrouted("m1", withObservedGeneration(9,
				unresolved("PoolNotFound", `"missing"`),
				rejected("InvalidCriticality", "spec.criticality", "Urgent"))...)},
		},
		{
			name: "resolved but rejected: no Programmed, generation observed everywhere",
			in:   input(model("m1", "llama", targets(weightedTarget("a", 0)), generation(12)), alphaPool("pool")),
			want: []wantModel{unrouted("m1", withObservedGeneration(12,
				resolvedOK("pool"),
				rejected("InvalidTargetModels", "spec.targetModels[0].weight"))...)},
		},
		// (3) spec: modelName
		rejectedCase("InvalidModelName: empty", "InvalidModelName", model("m1", ""), "spec.modelName"),
		rejectedCase("InvalidModelName: 257 characters", "InvalidModelName", model("m1", long(257, "x")), "spec.modelName", "257"),
		rejectedCase("InvalidModelName: 257 multibyte characters", "InvalidModelName", model("m1", long(257, "é")), "spec.modelName"),
		rejectedCase("InvalidModelName: LF", "InvalidModelName", model("m1", "llama\nX-Evil: 1"), "spec.modelName"),
		rejectedCase("InvalidModelName: CR", "InvalidModelName", model("m1", "llama\r"), "spec.modelName"),
		rejectedCase("InvalidModelName: CRLF inside", "InvalidModelName", model("m1", "a\r\nb"), "spec.modelName"),
		rejectedCase("InvalidModelName: tab inside", "InvalidModelName", model("m1", "a\tb"), "spec.modelName"),
		rejectedCase("InvalidModelName: NUL", "InvalidModelName", model("m1", "a\x00b"), "spec.modelName"),
		rejectedCase("InvalidModelName: DEL", "InvalidModelName", model("m1", "a\x7fb"), "spec.modelName"),
		rejectedCase("InvalidModelName: C1 control", "InvalidModelName", model("m1", "a\u0085b"), "spec.modelName"),
		rejectedCase("InvalidModelName: leading space", "InvalidModelName", model("m1", " llama"), "spec.modelName"),
		rejectedCase("InvalidModelName: trailing space", "InvalidModelName", model("m1", "llama "), "spec.modelName"),
		// Invisible format characters make two different names look alike.
		rejectedCase("InvalidModelName: right-to-left override", "InvalidModelName", model("m1", "llama\u202E3"), "spec.modelName", "U+202E"),
		rejectedCase("InvalidModelName: zero-width space", "InvalidModelName", model("m1", "lla\u200Bma"), "spec.modelName", "U+200B"),
		rejectedCase("InvalidModelName: zero-width joiner", "InvalidModelName", model("m1", "llama\u200D"), "spec.modelName", "U+200D"),
		rejectedCase("InvalidModelName: byte order mark", "InvalidModelName", model("m1", "\uFEFFllama"), "spec.modelName", "U+FEFF"),
		rejectedCase("InvalidTargetModels: a bidi isolate in a target", "InvalidTargetModels",
			model("m1", "llama", targets(target("lora\u2066v2"))), "spec.targetModels[0].name", "U+2066"),
		{
			// A 40 KiB annotation item used to make every status patch
			// invalid: the message quotes it.
			name: "InvalidParentRefs: a 40 KiB item, the message capped",
			in:   input(model("m1", "llama", parentRefsAnnotation(long(40<<10, "g"))), alphaPool("pool")),
			want: []wantModel{unrouted("m1", resolvedOK("pool"), rejected("InvalidParentRefs", "modelroute.dev/parent-refs", "…"))},
		},
		rejectedCase("InvalidModelName: only spaces", "InvalidModelName", model("m1", "   "), "spec.modelName"),
		rejectedCase("InvalidModelName: trailing tab", "InvalidModelName", model("m1", "llama\t"), "spec.modelName"),
		rejectedCase("InvalidModelName: invalid UTF-8", "InvalidModelName", model("m1", "llama\xff"), "spec.modelName"),
		rejectedCase("InvalidModelName: generation observed", "InvalidModelName", model("m1", "", generation(2)), "spec.modelName"),
		// criticality
		rejectedCase("InvalidCriticality: unknown value", "InvalidCriticality", model("m1", "llama", criticality("Urgent")), "spec.criticality", "Urgent"),
		rejectedCase("InvalidCriticality: wrong case", "InvalidCriticality", model("m1", "llama", criticality("critical")), "spec.criticality"),
		rejectedCase("InvalidCriticality: empty string", "InvalidCriticality", model("m1", "llama", criticality("")), "spec.criticality"),
		// targets
		rejectedCase("InvalidTargetModels: 11 targets", "InvalidTargetModels", model("m1", "llama", numberedTargets(11)), "spec.targetModels", "11"),
		rejectedCase("InvalidTargetModels: weights on some only", "InvalidTargetModels",
			model("m1", "llama", targets(weightedTarget("a", 1), target("b"))), "spec.targetModels", "weight"),
		rejectedCase("InvalidTargetModels: weights on some only (first unset)", "InvalidTargetModels",
			model("m1", "llama", targets(target("a"), weightedTarget("b", 1), weightedTarget("c", 2))), "spec.targetModels", "weight"),
		rejectedCase("InvalidTargetModels: weight 0", "InvalidTargetModels",
			model("m1", "llama", targets(weightedTarget("a", 1), weightedTarget("b", 0))), "spec.targetModels[1].weight"),
		rejectedCase("InvalidTargetModels: negative weight", "InvalidTargetModels",
			model("m1", "llama", targets(weightedTarget("a", -5), weightedTarget("b", 1))), "spec.targetModels[0].weight"),
		rejectedCase("InvalidTargetModels: weight over 1000000", "InvalidTargetModels",
			model("m1", "llama", targets(weightedTarget("a", 1), weightedTarget("b", 2), weightedTarget("c", 1000001))), "spec.targetModels[2].weight"),
		rejectedCase("InvalidTargetModels: empty name", "InvalidTargetModels",
			model("m1", "llama", targets(target("a"), target("b"), target(""))), "spec.targetModels[2].name"),
		rejectedCase("InvalidTargetModels: 254-character name", "InvalidTargetModels",
			model("m1", "llama", targets(target(long(254, "t")))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: LF in name", "InvalidTargetModels",
			model("m1", "llama", targets(target("a"), target("b\nc"))), "spec.targetModels[1].name"),
		rejectedCase("InvalidTargetModels: CR in name", "InvalidTargetModels",
			model("m1", "llama", targets(target("b\r"))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: leading space in name", "InvalidTargetModels",
			model("m1", "llama", targets(target(" b"))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: trailing space in name", "InvalidTargetModels",
			model("m1", "llama", targets(target("b "))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: control character in name", "InvalidTargetModels",
			model("m1", "llama", targets(target("b\x01"))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: invalid UTF-8 name", "InvalidTargetModels",
			model("m1", "llama", targets(target("b\xc3"))), "spec.targetModels[0].name"),
		// annotations
		rejectedCase("InvalidParentRefs: model annotation not NAMESPACE/NAME", "InvalidParentRefs",
			model("m1", "llama", parentRefsAnnotation("gw")), "modelroute.dev/parent-refs", "InferenceModel"),
		rejectedCase("InvalidParentRefs: one bad ref among good ones", "InvalidParentRefs",
			model("m1", "llama", parentRefsAnnotation("gw/a, gw/Bad")), "modelroute.dev/parent-refs", "gw/Bad"),
		rejectedCase("InvalidParentRefs: too many parts", "InvalidParentRefs",
			model("m1", "llama", parentRefsAnnotation("a/b/c/d")), "modelroute.dev/parent-refs"),
		{
			name: "InvalidParentRefs: pool annotation, message names the pool",
			in:   input(model("m1", "llama"), alphaPool("pool", poolParentRefsAnnotation("gw/"))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("InvalidParentRefs", "modelroute.dev/parent-refs", `InferencePool "pool"`))},
		},
		rejectedCase("InvalidHostnames: upper case", "InvalidHostnames",
			model("m1", "llama", hostnamesAnnotation("Example.com")), "modelroute.dev/hostnames", "InferenceModel", "Example.com"),
		rejectedCase("InvalidHostnames: bare wildcard", "InvalidHostnames",
			model("m1", "llama", hostnamesAnnotation("a.example.com,*")), "modelroute.dev/hostnames"),
		rejectedCase("InvalidHostnames: underscore", "InvalidHostnames",
			model("m1", "llama", hostnamesAnnotation("a_b.example.com")), "modelroute.dev/hostnames"),
		{
			name: "InvalidHostnames: pool annotation, message names the pool",
			in:   input(model("m1", "llama"), alphaPool("pool", poolHostnamesAnnotation("-bad.example.com"))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("InvalidHostnames", "modelroute.dev/hostnames", `InferencePool "pool"`))},
		},
		rejectedCase("TooManyParentRefs: 33", "TooManyParentRefs",
			model("m1", "llama", parentRefsAnnotation(strings.Join(refs33, ","))), "33", "32", "modelroute.dev/parent-refs"),
		{
			name: "TooManyParentRefs: pool annotation with 33",
			in:   input(model("m1", "llama"), alphaPool("pool", poolParentRefsAnnotation(strings.Join(refs33, ",")))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("TooManyParentRefs", "33", `InferencePool "pool"`))},
		},
		rejectedCase("TooManyHostnames: 17", "TooManyHostnames",
			model("m1", "llama", hostnamesAnnotation(strings.Join(hosts17, ","))), "17", "16", "modelroute.dev/hostnames"),
		{
			name: "TooManyHostnames: pool annotation with 17",
			in:   input(model("m1", "llama"), alphaPool("pool", poolHostnamesAnnotation(strings.Join(hosts17, ",")))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("TooManyHostnames", "17", `InferencePool "pool"`))},
		},
	}
	// The InvalidModelName generation case observes generation 2.
	for i := range cases {
		if cases[i].name == "InvalidModelName: generation observed" {
			cases[i].want[0].conds = withObservedGeneration(2, cases[i].want[0].conds...)
		}
	}

	// Valid edge cases: accepted and routed.
	valid := []translateCase{
		accepted("256-character modelName", long(256, "x")),
		accepted("256 multibyte characters", long(256, "é")),
		accepted("inner spaces and punctuation", "my model/v1:latest@2024"),
		accepted("non-ASCII", "模型-v1"),
		accepted("Critical", "llama", criticality("Critical")),
		accepted("Standard", "llama", criticality("Standard")),
		accepted("Sheddable", "llama", criticality("Sheddable")),
		accepted("weights 1 and 1000000", "llama", targets(weightedTarget("a", 1), weightedTarget("b", 1000000))),
		accepted("253-character target name", "llama", targets(target(long(253, "t")))),
		accepted("10 targets", "llama", numberedTargets(10)),
		accepted("32 parent refs", "llama", parentRefsAnnotation(strings.Join(refs32, ","))),
		accepted("33 parent refs with a duplicate", "llama", parentRefsAnnotation(strings.Join(append(slices.Clone(refs32), refs32[0]), ","))),
		accepted("33 parent refs with a section of a listed Gateway", "llama",
			parentRefsAnnotation(strings.Join(append(slices.Clone(refs32), refs32[5]+"/http"), ","))),
		accepted("16 hostnames", "llama", hostnamesAnnotation(strings.Join(hosts16, ","))),
		accepted("17 hostnames with a duplicate", "llama", hostnamesAnnotation(strings.Join(append(slices.Clone(hosts16), hosts16[3]), ","))),
	}
	for i := range valid {
		m := valid[i].in.Models[0]
		valid[i].want = []wantModel{{testNS, "m1",
			[]metav1.Condition{resolvedOK("pool"), acceptedOK(m.Spec.ModelName), programmedPending("m1-modelroute")}, nil}}
	}
	runCases(t, cases)
	// For the valid cases only the conditions and the shape of the route
	// matter; the full route is asserted elsewhere.
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			got, err := translateWith(tc.in, config())
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Models) != 1 {
				t.Fatalf("got %d models, want 1", len(got.Models))
			}
			checkConditions(t, "m1", withHealth(tc.want[0].conds), got.Models[0].Conditions)
			r := got.Models[0].Route
			if r == nil {
				t.Fatal("no route")
			}
			m := tc.in.Models[0]
			if diff := cmp.Diff(prefixAndHeaderMatch("/", modelHeader, m.Spec.ModelName), r.Spec.Rules[0].Matches[0]); diff != "" {
				t.Errorf("match (-want +got):\n%s", diff)
			}
			wantBackends := max(1, len(m.Spec.TargetModels))
			if got := len(r.Spec.Rules[0].BackendRefs); got != wantBackends {
				t.Errorf("got %d backendRefs, want %d", got, wantBackends)
			}
		})
	}
}

func TestTranslatePoolAppears(t *testing.T) {
	m := model("m1", "llama", onPool("late"))
	runCases(t, []translateCase{
		{
			name: "before: PoolNotFound, no route",
			in:   input(m),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"late"`), acceptedOK("llama"))},
		},
		{
			name: "after: resolved and routed",
			in:   input(m, alphaPool("late")),
			want: []wantModel{routedOnPool(testNS, "m1", "late", "llama", wantRoute("m1", "llama",
				routeBackendRefs(poolBackendRef(alphaGroup, "late", 1))))},
		},
	})
}

func TestModelResultCondition(t *testing.T) {
	r := translate.ModelResult{Conditions: []metav1.Condition{
		{Type: "ResolvedRefs", Reason: "a"}, {Type: "Accepted", Reason: "b"},
	}}
	if c := r.Condition("Accepted"); c == nil || c.Reason != "b" {
		t.Errorf("Condition(Accepted) = %v, want reason b", c)
	}
	if c := r.Condition("Programmed"); c != nil {
		t.Errorf("Condition(Programmed) = %v, want nil", c)
	}
}

// ---------------------------------------------------------------------------
// MergeConditions

func TestMergeConditions(t *testing.T) {
	old := metav1.NewTime(time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	c := func(typ string, status metav1.ConditionStatus, reason, msg string, gen int64, at metav1.Time) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen, LastTransitionTime: at}
	}
	crdDefault := c("Ready", metav1.ConditionUnknown, "Pending", "Waiting for controller", 0,
		metav1.NewTime(time.Unix(0, 0).UTC()))
	T, F, U := metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown

	tests := []struct {
		name               string
		existing, computed []metav1.Condition
		want               []metav1.Condition
	}{
		{
			name:     "nothing existing: all computed stamped with now",
			computed: []metav1.Condition{c("ResolvedRefs", T, "ResolvedRefs", "r", 1, metav1.Time{}), c("Accepted", T, "Accepted", "a", 1, metav1.Time{})},
			want:     []metav1.Condition{c("ResolvedRefs", T, "ResolvedRefs", "r", 1, now), c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name:     "CRD default Ready/Pending dropped",
			existing: []metav1.Condition{crdDefault},
			computed: []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name:     "CRD default dropped even with nothing computed",
			existing: []metav1.Condition{crdDefault},
			want:     []metav1.Condition{},
		},
		{
			name:     "Ready is modelroute's: an earlier one not computed is removed",
			existing: []metav1.Condition{c("Ready", T, "AllGood", "x", 2, old)},
			computed: []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name:     "our own Ready/Pending is not the CRD default: its lastTransitionTime stays",
			existing: []metav1.Condition{c("Ready", U, "Pending", "waiting", 1, old)},
			computed: []metav1.Condition{c("Ready", U, "Pending", "still waiting", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Ready", U, "Pending", "still waiting", 1, old)},
		},
		{
			name:     "the CRD default replaced by our Ready gets a real lastTransitionTime",
			existing: []metav1.Condition{crdDefault},
			computed: []metav1.Condition{c("Ready", U, "Pending", "waiting", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Ready", U, "Pending", "waiting", 1, now)},
		},
		{
			name: "owned types absent from computed removed, foreign kept untouched",
			existing: []metav1.Condition{
				c("ResolvedRefs", T, "ResolvedRefs", "r", 1, old),
				c("Custom", F, "Whatever", "keep me", 3, old),
				c("Accepted", T, "Accepted", "a", 1, old),
				c("Programmed", U, "Pending", "p", 1, old),
			},
			computed: []metav1.Condition{
				c("ResolvedRefs", T, "ResolvedRefs", "r", 2, metav1.Time{}),
				c("Accepted", F, "InvalidModelName", "bad", 2, metav1.Time{}),
			},
			want: []metav1.Condition{
				c("ResolvedRefs", T, "ResolvedRefs", "r", 2, old),
				c("Custom", F, "Whatever", "keep me", 3, old),
				c("Accepted", F, "InvalidModelName", "bad", 2, now),
			},
		},
		{
			name:     "empty computed removes every owned type",
			existing: []metav1.Condition{c("ResolvedRefs", T, "ResolvedRefs", "r", 1, old), c("Accepted", T, "Accepted", "a", 1, old), c("Programmed", T, "Programmed", "p", 1, old), c("Custom", T, "X", "x", 1, old)},
			want:     []metav1.Condition{c("Custom", T, "X", "x", 1, old)},
		},
		{
			name:     "same status: lastTransitionTime kept, reason, message and generation updated",
			existing: []metav1.Condition{c("Programmed", F, "NoParentRefs", "old message", 1, old)},
			computed: []metav1.Condition{c("Programmed", F, "RouteShadowed", "new message", 5, metav1.Time{})},
			want:     []metav1.Condition{c("Programmed", F, "RouteShadowed", "new message", 5, old)},
		},
		{
			name:     "status change: lastTransitionTime set to now",
			existing: []metav1.Condition{c("Programmed", U, "Pending", "p", 1, old)},
			computed: []metav1.Condition{c("Programmed", F, "NoParentRefs", "n", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Programmed", F, "NoParentRefs", "n", 1, now)},
		},
		{
			name:     "a lastTransitionTime on computed is ignored in favour of now",
			computed: []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, old)},
			want:     []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name: "new owned types appended after existing ones in computed order",
			existing: []metav1.Condition{
				c("Custom", T, "X", "x", 1, old),
				c("Accepted", T, "Accepted", "a", 1, old),
				crdDefault,
			},
			computed: []metav1.Condition{
				c("ResolvedRefs", F, "PoolNotFound", "r", 1, metav1.Time{}),
				c("Accepted", T, "Accepted", "a", 1, metav1.Time{}),
				c("Programmed", U, "Pending", "p", 1, metav1.Time{}),
			},
			want: []metav1.Condition{
				c("Custom", T, "X", "x", 1, old),
				c("Accepted", T, "Accepted", "a", 1, old),
				c("ResolvedRefs", F, "PoolNotFound", "r", 1, now),
				c("Programmed", U, "Pending", "p", 1, now),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existingBefore := slices.Clone(tt.existing)
			computedBefore := slices.Clone(tt.computed)
			got, left := translate.MergeConditions(tt.existing, tt.computed, now)
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("MergeConditions (-want +got):\n%s", diff)
			}
			if len(left) > 0 {
				t.Errorf("MergeConditions left out %v", left)
			}
			if diff := cmp.Diff(existingBefore, tt.existing, equateEmpty); diff != "" {
				t.Errorf("MergeConditions modified existing (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(computedBefore, tt.computed, equateEmpty); diff != "" {
				t.Errorf("MergeConditions modified computed (-before +after):\n%s", diff)
			}
		})
	}
}

// MergeConditions of Translate's own output twice in a row is stable.
func TestMergeConditionsIdempotent(t *testing.T) {
	out, err := translateWith(input(model("m1", "llama"), alphaPool("pool")), config())
	if err != nil {
		t.Fatal(err)
	}
	t1 := metav1.NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	t2 := metav1.NewTime(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	first, _ := translate.MergeConditions(nil, out.Models[0].Conditions, t1)
	second, _ := translate.MergeConditions(first, out.Models[0].Conditions, t2)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second merge changed conditions (-want +got):\n%s", diff)
	}
}

// The schema allows 8 conditions: when other controllers' conditions leave
// too little room, the most important of modelroute's are kept, in place,
// and the others named.
func TestMergeConditionsLimit(t *testing.T) {
	now := metav1.NewTime(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	c := func(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: typ, ObservedGeneration: 1, LastTransitionTime: now}
	}
	foreign := func(n int) []metav1.Condition {
		var out []metav1.Condition
		for i := range n {
			out = append(out, c(fmt.Sprintf("Other%d", i), metav1.ConditionTrue, "X"))
		}
		return out
	}
	ours := []metav1.Condition{
		c("ResolvedRefs", "True", "ResolvedRefs"), c("Accepted", "True", "Accepted"), c("Programmed", "Unknown", "Pending"),
		c("Ready", "Unknown", "Pending"), c("Reconciling", "True", "Pending"),
	}
	for _, tc := range []struct {
		name     string
		existing []metav1.Condition
		want     []string
		left     []string
	}{
		{"three foreign: all fit", foreign(3),
			[]string{"Other0", "Other1", "Other2", "ResolvedRefs", "Accepted", "Programmed", "Ready", "Reconciling"}, nil},
		{"five foreign: Ready, Accepted and Programmed fit", foreign(5),
			[]string{"Other0", "Other1", "Other2", "Other3", "Other4", "Accepted", "Programmed", "Ready"}, []string{"ResolvedRefs", "Reconciling"}},
		{"seven foreign: only Ready", foreign(7),
			[]string{"Other0", "Other1", "Other2", "Other3", "Other4", "Other5", "Other6", "Ready"},
			[]string{"Accepted", "Programmed", "ResolvedRefs", "Reconciling"}},
		{"eight foreign: none", foreign(8),
			[]string{"Other0", "Other1", "Other2", "Other3", "Other4", "Other5", "Other6", "Other7"},
			[]string{"Ready", "Accepted", "Programmed", "ResolvedRefs", "Reconciling"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, left := translate.MergeConditions(tc.existing, ours, now)
			var types []string
			for _, g := range got {
				types = append(types, g.Type)
			}
			if diff := cmp.Diff(tc.want, types); diff != "" {
				t.Errorf("types (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.left, left); diff != "" {
				t.Errorf("left out (-want +got):\n%s", diff)
			}
		})
	}
}
