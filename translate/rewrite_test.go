package translate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

const llmdGroup = "llm-d.ai"

type rewriteOpt func(*v1alpha2.InferenceModelRewrite)

// rewrite is an InferenceModelRewrite of group in "ns", generation 1, UID
// "uid-<name>", created at `created`, on alpha pool "pool", with rules.
func rewrite(group, name string, rules []v1alpha2.InferenceModelRewriteRule, opts ...rewriteOpt) v1alpha2.InferenceModelRewrite {
	rw := v1alpha2.InferenceModelRewrite{
		TypeMeta: metav1.TypeMeta{APIVersion: group + "/v1alpha2", Kind: "InferenceModelRewrite"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testNS, Name: name, UID: types.UID("uid-" + name), Generation: 1,
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: v1alpha2.InferenceModelRewriteSpec{
			PoolRef: v1alpha2.SuccessorPoolReference{Group: alphaGroup, Name: "pool"},
			Rules:   rules,
		},
	}
	for _, o := range opts {
		o(&rw)
	}
	return rw
}

func rewriteCreatedAfter(d time.Duration) rewriteOpt {
	return func(rw *v1alpha2.InferenceModelRewrite) { rw.CreationTimestamp = metav1.NewTime(created.Add(d)) }
}

// rule matches models (none: a catch-all) and rewrites to targets, each
// "name" or "name=weight".
func rule(models []string, targets ...string) v1alpha2.InferenceModelRewriteRule {
	var r v1alpha2.InferenceModelRewriteRule
	for _, m := range models {
		r.Matches = append(r.Matches, v1alpha2.Match{Model: v1alpha2.ModelMatch{Value: m}})
	}
	for _, t := range targets {
		name, weight, weighted := strings.Cut(t, "=")
		rt := v1alpha2.TargetModelRewrite{ModelRewrite: name}
		if weighted {
			var w int32
			for _, c := range weight {
				w = w*10 + int32(c-'0')
			}
			rt.Weight = ptr.To(w)
		}
		r.Targets = append(r.Targets, rt)
	}
	return r
}

func models(names ...string) []string { return names }

// rewriteRoute is the route of rewrite `name` of group with rules.
func rewriteRoute(group, name string, rules ...gatewayv1.HTTPRouteRule) *gatewayv1.HTTPRoute {
	return &gatewayv1.HTTPRoute{
		TypeMeta: metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-modelroute", Namespace: testNS,
			Labels: map[string]string{
				"app.kubernetes.io/managed-by":           "modelroute",
				"modelroute.dev/inference-model-rewrite": name,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: group + "/v1alpha2", Kind: "InferenceModelRewrite", Name: name,
				UID: types.UID("uid-" + name), Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{gatewayRef("gw", "main", "")}},
			Rules:           rules,
		},
	}
}

func routeRule(modelNames []string, filter *gatewayv1.HTTPRouteFilter, backends ...gatewayv1.HTTPBackendRef) gatewayv1.HTTPRouteRule {
	r := gatewayv1.HTTPRouteRule{BackendRefs: backends}
	for _, m := range modelNames {
		r.Matches = append(r.Matches, prefixAndHeaderMatch("/", modelHeader, m))
	}
	if filter != nil {
		r.Filters = []gatewayv1.HTTPRouteFilter{*filter}
	}
	return r
}

// wantRewrite is a rewrite's expected route and the reason and message
// parts of its Accepted condition.
type wantRewrite struct {
	group, name string
	route       *gatewayv1.HTTPRoute
	accepted    string // reason
	parts       []string
}

func checkRewrites(t *testing.T, out translate.Output, want []wantRewrite) {
	t.Helper()
	if len(out.Rewrites) != len(want) {
		t.Fatalf("%d rewrite results, want %d", len(out.Rewrites), len(want))
	}
	for i, w := range want {
		got := out.Rewrites[i]
		if got.Name != w.name || got.APIVersion != w.group+"/v1alpha2" {
			t.Errorf("result %d is %s %s, want %s %s", i, got.APIVersion, got.Name, w.group, w.name)
			continue
		}
		if diff := cmp.Diff(w.route, got.Route); diff != "" {
			t.Errorf("%s %s: route (-want +got):\n%s", w.group, w.name, diff)
		}
		c := got.Condition(condAccepted)
		if c == nil || c.Reason != w.accepted {
			t.Errorf("%s %s: Accepted %+v, want reason %s", w.group, w.name, c, w.accepted)
			continue
		}
		for _, p := range w.parts {
			if !strings.Contains(c.Message, p) {
				t.Errorf("%s %s: Accepted message %q lacks %q", w.group, w.name, c.Message, p)
			}
		}
	}
}

func TestTranslateRewrites(t *testing.T) {
	removeAll := headerFilter(nil, rewriteHeader, rewriteAlias)
	removeAlias := headerFilter(nil, rewriteAlias)
	setTarget := func(v string) *gatewayv1.HTTPRouteFilter {
		f := headerFilter([]gatewayv1.HTTPHeader{header(rewriteHeader, v)}, rewriteAlias)
		return &f
	}
	split := rule(models("chat"), "chat-v1=90", "chat-v2=10")
	cases := []struct {
		name string
		cfg  translate.Config
		in   translate.Input
		want []wantRewrite
	}{
		{
			name: "service mode: a split is weighted backendRefs that set the rewrite header, as for a model",
			cfg:  config(serviceMode),
			in:   input(alphaPool("pool"), rewrite(llmdGroup, "chat", []v1alpha2.InferenceModelRewriteRule{split})),
			want: []wantRewrite{{group: llmdGroup, name: "chat", accepted: "Accepted", route: rewriteRoute(llmdGroup, "chat",
				routeRule(models("chat"), &removeAlias,
					withRewriteHeader(serviceBackendRef(svcAlphaPool, 8000, 90), "chat-v1"),
					withRewriteHeader(serviceBackendRef(svcAlphaPool, 8000, 10), "chat-v2")))}},
		},
		{
			name: "inferencepool mode: the models go to the pool unsplit, the rewrite header removed (the EPP splits)",
			cfg:  config(),
			in:   input(alphaPool("pool"), rewrite(alphaGroup, "chat", []v1alpha2.InferenceModelRewriteRule{split})),
			want: []wantRewrite{{group: alphaGroup, name: "chat", accepted: "Accepted", route: rewriteRoute(alphaGroup, "chat",
				routeRule(models("chat"), &removeAll, poolBackendRef(alphaGroup, "pool", 1)))}},
		},
		{
			name: "one route rule per rule; one target sets the header unless it is the one name matched",
			cfg:  config(serviceMode),
			in: input(alphaPool("pool"), rewrite(llmdGroup, "r", []v1alpha2.InferenceModelRewriteRule{
				rule(models("a", "b"), "base"),
				rule(models("c"), "c"),
			})),
			want: []wantRewrite{{group: llmdGroup, name: "r", accepted: "Accepted", parts: []string{"3 models"}, route: rewriteRoute(llmdGroup, "r",
				routeRule(models("a", "b"), setTarget("base"), serviceBackendRef(svcAlphaPool, 8000, 1)),
				routeRule(models("c"), &removeAll, serviceBackendRef(svcAlphaPool, 8000, 1)))}},
		},
		{
			name: "a catch-all rule is not routed and the status says so; a rewrite of only catch-alls is not accepted",
			cfg:  config(serviceMode),
			in: input(alphaPool("pool"),
				rewrite(llmdGroup, "mixed", []v1alpha2.InferenceModelRewriteRule{rule(nil, "base"), rule(models("c"), "c")}),
				rewrite(llmdGroup, "only", []v1alpha2.InferenceModelRewriteRule{rule(nil, "base")})),
			want: []wantRewrite{
				{group: llmdGroup, name: "mixed", accepted: "PartiallyAccepted", parts: []string{"1 model routed", "rules[0] is a catch-all"},
					route: rewriteRoute(llmdGroup, "mixed", routeRule(models("c"), &removeAll, serviceBackendRef(svcAlphaPool, 8000, 1)))},
				{group: llmdGroup, name: "only", accepted: "NoRoutableRules", parts: []string{"rules[0] is a catch-all"}},
			},
		},
		{
			name: "precedence: the older rewrite keeps a name, then the first rule; the younger keeps the rest",
			cfg:  config(serviceMode),
			in: input(alphaPool("pool"),
				rewrite(llmdGroup, "old", []v1alpha2.InferenceModelRewriteRule{rule(models("a"), "x"), rule(models("a", "b"), "y")}),
				rewrite(llmdGroup, "young", []v1alpha2.InferenceModelRewriteRule{rule(models("b", "c"), "z")}, rewriteCreatedAfter(time.Hour))),
			want: []wantRewrite{
				{group: llmdGroup, name: "old", accepted: "PartiallyAccepted",
					parts: []string{`model "a" of rules[1] is served by rules[0] of InferenceModelRewrite "old"`},
					route: rewriteRoute(llmdGroup, "old",
						routeRule(models("a"), setTarget("x"), serviceBackendRef(svcAlphaPool, 8000, 1)),
						routeRule(models("b"), setTarget("y"), serviceBackendRef(svcAlphaPool, 8000, 1)))},
				{group: llmdGroup, name: "young", accepted: "PartiallyAccepted",
					parts: []string{`model "b" of rules[0] is served by rules[1] of InferenceModelRewrite "old" (llm-d.ai), which takes precedence`},
					route: rewriteRoute(llmdGroup, "young", routeRule(models("c"), setTarget("z"), serviceBackendRef(svcAlphaPool, 8000, 1)))},
			},
		},
		{
			name: "a name a rewrite and an older model both claim stays the model's",
			cfg:  config(serviceMode),
			in: input(alphaPool("pool"), model("m", "chat"),
				rewrite(llmdGroup, "r", []v1alpha2.InferenceModelRewriteRule{rule(models("chat"), "x")}, rewriteCreatedAfter(time.Hour))),
			want: []wantRewrite{{group: llmdGroup, name: "r", accepted: "NoRoutableRules",
				parts: []string{`model "chat" of rules[0] is served by InferenceModel "m"`}}},
		},
		{
			name: "validation upstream does not do: weights on all targets or none, header-safe names, route limits",
			cfg:  config(serviceMode),
			in: input(alphaPool("pool"),
				rewrite(llmdGroup, "weights", []v1alpha2.InferenceModelRewriteRule{rule(models("a"), "x=1", "y")}),
				rewrite(llmdGroup, "header", []v1alpha2.InferenceModelRewriteRule{rule(models("a\nb"), "x")}),
				rewrite(llmdGroup, "rules", make17Rules()),
				rewrite(llmdGroup, "empty", nil)),
			want: []wantRewrite{
				{group: llmdGroup, name: "empty", accepted: "InvalidRules", parts: []string{"spec.rules is empty"}},
				{group: llmdGroup, name: "header", accepted: "InvalidRules", parts: []string{"spec.rules[0].matches[0].model.value"}},
				{group: llmdGroup, name: "rules", accepted: "InvalidRules", parts: []string{"17 rules; an HTTPRoute holds at most 16"}},
				{group: llmdGroup, name: "weights", accepted: "InvalidRules", parts: []string{"weights must be set on all targets or on none (1 of 2"}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := translate.NewTranslator(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkRewrites(t, tr.Translate(tc.in), tc.want)
		})
	}
}

func make17Rules() []v1alpha2.InferenceModelRewriteRule {
	var rules []v1alpha2.InferenceModelRewriteRule
	for i := range 17 {
		rules = append(rules, rule(models(string(rune('a'+i))), "x"))
	}
	return rules
}

// A model younger than a rewrite that claims its modelName is not
// accepted; the rewrite's poolRef defaults to the v1 group.
func TestRewriteWinsOverYoungerModel(t *testing.T) {
	tr, err := translate.NewTranslator(config())
	if err != nil {
		t.Fatal(err)
	}
	out := tr.Translate(input(v1Pool("pool"),
		model("m", "chat", poolRefGroup(v1Group), createdAfter(time.Hour)),
		rewrite(llmdGroup, "r", []v1alpha2.InferenceModelRewriteRule{rule(models("chat"), "x")}, func(rw *v1alpha2.InferenceModelRewrite) {
			rw.Spec.PoolRef.Group = ""
		})))
	c := out.Models[0].Condition(condAccepted)
	if c == nil || c.Reason != "ModelNameInUse" || !strings.Contains(c.Message, `rules[0] of InferenceModelRewrite "r" (llm-d.ai)`) {
		t.Errorf("model's Accepted: %+v", c)
	}
	if out.Models[0].Route != nil || out.Rewrites[0].Route == nil {
		t.Errorf("the rewrite should be routed, the model not")
	}
}

// An objective's conditions: ResolvedRefs (its pool, v1 by default),
// Accepted with its priority, and the summaries (Ready; Reconciling while
// the pool is missing).
func TestObjectives(t *testing.T) {
	objective := func(group, name, pool string, priority *int) v1alpha2.InferenceObjective {
		return v1alpha2.InferenceObjective{
			TypeMeta:   metav1.TypeMeta{APIVersion: group + "/v1alpha2", Kind: "InferenceObjective"},
			ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name, Generation: 2},
			Spec:       v1alpha2.InferenceObjectiveSpec{Priority: priority, PoolRef: v1alpha2.SuccessorPoolReference{Name: v1alpha2.ObjectName(pool)}},
		}
	}
	tr, err := translate.NewTranslator(config())
	if err != nil {
		t.Fatal(err)
	}
	out := tr.Translate(input(v1Pool("pool"),
		objective(llmdGroup, "batch", "pool", ptr.To(-1)),
		objective(alphaGroup, "lost", "missing", nil)))
	type cond struct{ Type, Status, Reason, Message string }
	var got [][]cond
	for _, o := range out.Objectives {
		var cs []cond
		for _, c := range o.Conditions {
			cs = append(cs, cond{c.Type, string(c.Status), c.Reason, c.Message})
		}
		got = append(got, cs)
	}
	missing := `InferencePool "missing" (group inference.networking.k8s.io) not found in namespace "ns"`
	want := [][]cond{
		{ // sorted by group: inference.networking.x-k8s.io before llm-d.ai
			{condResolved, "False", "PoolNotFound", missing},
			{condAccepted, "True", "Accepted", "priority 0"},
			{"Ready", "False", "PoolNotFound", missing},
			{"Reconciling", "True", "PoolNotFound", missing},
		},
		{
			{condResolved, "True", "ResolvedRefs", `poolRef resolves to InferencePool "pool" (group inference.networking.k8s.io)`},
			{condAccepted, "True", "Accepted", "priority -1 (negative: sheddable)"},
			{"Ready", "True", "Ready", "priority -1 (negative: sheddable)"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objective conditions (-want +got):\n%s", diff)
	}
}

// rewriteOnPool puts the rewrite on alpha pool name.
func rewriteOnPool(name string) rewriteOpt {
	return func(rw *v1alpha2.InferenceModelRewrite) { rw.Spec.PoolRef.Name = v1alpha2.ObjectName(name) }
}

// TestRewriteShadowing: models and rewrites of other pools shadow one
// another on a shared Gateway by age, as models do among themselves. A
// rewrite every model name of which is shadowed gets RouteShadowed and no
// route; one with a name left keeps its route, all its names in it.
func TestRewriteShadowing(t *testing.T) {
	programmedOf := func(out translate.Output, kind, name string) (*metav1.Condition, *gatewayv1.HTTPRoute) {
		results := out.Models
		if kind == "rewrite" {
			results = out.Rewrites
		}
		for _, r := range results {
			if r.Name == name {
				return r.Condition(condProgrammed), r.Route
			}
		}
		t.Fatalf("no result for %s %s", kind, name)
		return nil, nil
	}
	tr := newTranslator(t, config())
	for _, tc := range []struct {
		name       string
		in         translate.Input
		kind, obj  string
		wantReason string
		wantMsg    string
		wantRoute  bool
	}{
		{
			name: "a younger rewrite of another pool whose only model an older model serves",
			in: input(model("older", "llama"), alphaPool("pool"), alphaPool("pool-b"),
				rewrite(llmdGroup, "younger", []v1alpha2.InferenceModelRewriteRule{rule(models("llama"), "llama-v2")},
					rewriteOnPool("pool-b"), rewriteCreatedAfter(time.Minute))),
			kind: "rewrite", obj: "younger", wantReason: "RouteShadowed",
			wantMsg: `every model name of this rewrite is already routed on every Gateway listener and hostname of it by older InferenceModels of other pools, such as ns/older of InferencePool "pool"`,
		},
		{
			name: "a younger model of another pool whose modelName an older rewrite serves",
			in: input(model("younger", "llama", onPool("pool-b"), createdAfter(time.Minute)), alphaPool("pool"), alphaPool("pool-b"),
				rewrite(llmdGroup, "older", []v1alpha2.InferenceModelRewriteRule{rule(models("llama"), "llama-v2")})),
			kind: "model", obj: "younger", wantReason: "RouteShadowed",
			wantMsg: `modelName "llama" is already routed on every Gateway listener and hostname of this model by older objects of other pools, such as InferenceModelRewrite ns/older (llm-d.ai) of InferencePool "pool"`,
		},
		{
			name: "a younger rewrite with a model name of its own keeps its route",
			in: input(model("older", "llama"), alphaPool("pool"), alphaPool("pool-b"),
				rewrite(llmdGroup, "younger", []v1alpha2.InferenceModelRewriteRule{rule(models("llama", "qwen"), "base")},
					rewriteOnPool("pool-b"), rewriteCreatedAfter(time.Minute))),
			kind: "rewrite", obj: "younger", wantReason: "Pending", wantRoute: true,
		},
		{
			name: "the same pool: precedence, not shadowing, decides",
			in: input(model("older", "llama"), alphaPool("pool"),
				rewrite(llmdGroup, "younger", []v1alpha2.InferenceModelRewriteRule{rule(models("llama", "qwen"), "base")}, rewriteCreatedAfter(time.Minute))),
			kind: "rewrite", obj: "younger", wantReason: "Pending", wantRoute: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, route := programmedOf(tr.Translate(tc.in), tc.kind, tc.obj)
			if c == nil || c.Reason != tc.wantReason || (tc.wantMsg != "" && c.Message != tc.wantMsg) {
				t.Errorf("Programmed %+v; want reason %s, message %q", c, tc.wantReason, tc.wantMsg)
			}
			if (route != nil) != tc.wantRoute {
				t.Errorf("route %v; want one: %v", route != nil, tc.wantRoute)
			}
		})
	}
}
