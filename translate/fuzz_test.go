package translate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// FuzzTranslate builds two models and a pool from arbitrary strings and
// numbers and checks that Translate never panics, never emits an object the
// API server would reject for a Gateway API limit, never lets a CR or LF into
// a header, and answers the same whatever the input order. The seed corpus
// is in testdata/fuzz/FuzzTranslate.
func FuzzTranslate(f *testing.F) {
	f.Add("model", "llama", "a", "b", int32(90), int32(10), "", "InferencePool", "pool", "infra/gw", "", false)
	f.Add("a.b", "x\r\ny", "", "", int32(0), int32(0), "inference.networking.k8s.io", "", "pool", "", "*.example.com", true)
	f.Add(strings.Repeat("m", 300), strings.Repeat("n", 257), "t", "t", int32(1000000), int32(-1), "core", "Service", "", "a/b/c,a/b", "Bad_Host", true)
	f.Fuzz(func(t *testing.T, name, modelName, target1, target2 string, w1, w2 int32, group, kind, poolName, parentAnn, hostAnn string, service bool) {
		model := func(name string, age int) v1alpha2.InferenceModel {
			m := v1alpha2.InferenceModel{
				ObjectMeta: metav1.ObjectMeta{
					Name: name, Namespace: "ns", UID: "uid-" + "x", Generation: 2,
					CreationTimestamp: metav1.Unix(int64(age), 0),
					Annotations:       map[string]string{AnnotationParentRefs: parentAnn},
				},
				Spec: v1alpha2.InferenceModelSpec{
					ModelName: modelName,
					PoolRef:   v1alpha2.PoolObjectReference{Group: v1alpha2.Group(group), Kind: v1alpha2.Kind(kind), Name: v1alpha2.ObjectName(poolName)},
				},
			}
			if hostAnn != "" {
				m.Annotations[AnnotationHostnames] = hostAnn
			}
			for _, tm := range []struct {
				name string
				w    int32
			}{{target1, w1}, {target2, w2}} {
				if tm.name != "" {
					t := v1alpha2.TargetModel{Name: tm.name}
					if tm.w != 0 {
						t.Weight = ptr.To(tm.w)
					}
					m.Spec.TargetModels = append(m.Spec.TargetModels, t)
				}
			}
			return m
		}
		// A rewrite of the model's name (the same route name) and one of
		// another, in both groups, with a catch-all rule when kind is empty.
		rewrite := func(group, name string, age int) v1alpha2.InferenceModelRewrite {
			rw := v1alpha2.InferenceModelRewrite{
				TypeMeta: metav1.TypeMeta{APIVersion: group + "/v1alpha2", Kind: KindInferenceModelRewrite},
				ObjectMeta: metav1.ObjectMeta{
					Name: name, Namespace: "ns", UID: "uid-rw", Generation: 3,
					CreationTimestamp: metav1.Unix(int64(age), 0),
					Annotations:       map[string]string{AnnotationParentRefs: parentAnn},
				},
				Spec: v1alpha2.InferenceModelRewriteSpec{
					PoolRef: v1alpha2.SuccessorPoolReference{Group: v1alpha2.Group(group), Kind: v1alpha2.Kind(kind), Name: v1alpha2.ObjectName(poolName)},
				},
			}
			r := v1alpha2.InferenceModelRewriteRule{Matches: []v1alpha2.Match{{Model: v1alpha2.ModelMatch{Value: modelName}}, {Model: v1alpha2.ModelMatch{Value: target2}}}}
			for _, tm := range []struct {
				name string
				w    int32
			}{{target1, w1}, {target2, w2}} {
				rt := v1alpha2.TargetModelRewrite{ModelRewrite: tm.name}
				if tm.w != 0 {
					rt.Weight = ptr.To(tm.w)
				}
				r.Targets = append(r.Targets, rt)
			}
			rw.Spec.Rules = []v1alpha2.InferenceModelRewriteRule{r}
			if kind == "" {
				rw.Spec.Rules = append(rw.Spec.Rules, v1alpha2.InferenceModelRewriteRule{Targets: r.Targets})
			}
			return rw
		}
		in := Input{
			Models: []v1alpha2.InferenceModel{model(name, 1), model(name+"-2", 1), model("other", 0)},
			Rewrites: []v1alpha2.InferenceModelRewrite{
				rewrite(GroupLLMD, name, 0), rewrite(GroupInferenceAlpha, name+"-rw", 1), rewrite(GroupLLMD, "other-rw", 2),
			},
			AlphaPools: []v1alpha2.InferencePool{{
				ObjectMeta: metav1.ObjectMeta{Name: poolName, Namespace: "ns", UID: "pool-uid"},
				Spec:       v1alpha2.InferencePoolSpec{Selector: map[v1alpha2.LabelKey]v1alpha2.LabelValue{v1alpha2.LabelKey(group): v1alpha2.LabelValue(kind)}, TargetPortNumber: w1},
			}},
		}
		cfg := DefaultConfig()
		cfg.CriticalityHeader = "X-Criticality"
		if service {
			cfg.Backend = BackendService
		} else if w2%2 != 0 {
			cfg.EPPAPI = GroupLLMD
		}
		out, err := translateWith(in, cfg)
		if err != nil {
			t.Fatalf("valid config refused: %v", err)
		}
		for _, res := range slices.Concat(out.Models, out.Rewrites) {
			checkConditions(t, res)
			if res.Route != nil {
				checkRouteLimits(t, res.Route)
				checkHeaderControl(t, res.Route, cfg)
			}
		}
		for _, svc := range out.Services {
			if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
				t.Errorf("service name %q: %v", svc.Name, errs)
			}
			checkLabels(t, svc.Labels)
		}
		reversed := in
		reversed.Models = slices.Clone(in.Models)
		slices.Reverse(reversed.Models)
		reversed.Rewrites = slices.Clone(in.Rewrites)
		slices.Reverse(reversed.Rewrites)
		again, err := translateWith(reversed, cfg)
		if err != nil {
			t.Fatalf("Translate of the reversed input: %v", err)
		}
		if diff := cmp.Diff(out, again, cmp.AllowUnexported(ModelResult{})); diff != "" {
			t.Errorf("output depends on input order (-forward +reversed):\n%s", diff)
		}
	})
}

// translateWith is Translate with cfg, validated first.
func translateWith(in Input, cfg Config) (Output, error) {
	t, err := NewTranslator(cfg)
	if err != nil {
		return Output{}, err
	}
	return t.Translate(in), nil
}

func checkConditions(t *testing.T, res ModelResult) {
	t.Helper()
	for _, c := range res.Conditions {
		if c.Reason == "" || len(c.Message) > MaxConditionMessage {
			t.Errorf("condition %s: empty reason or message over %d bytes", c.Type, MaxConditionMessage)
		}
	}
	if n := len(res.Conditions); n > MaxConditions {
		t.Errorf("%d conditions, over the schema's %d", n, MaxConditions)
	}
}

// checkHeaderControl fails unless route leaves no target header as the
// client sent it: every alias removed by the rule's filter, and the
// rewrite header either set or removed by it, or set by every backendRef.
func checkHeaderControl(t *testing.T, r *gatewayv1.HTTPRoute, cfg Config) {
	t.Helper()
	for _, rule := range r.Spec.Rules {
		var set, removed []string
		for _, f := range rule.Filters {
			if m := f.RequestHeaderModifier; m != nil {
				for _, h := range m.Set {
					set = append(set, string(h.Name))
				}
				removed = append(removed, m.Remove...)
			}
		}
		// A model's objective is modelroute's to name (--epp-api); a
		// rewrite's route leaves the objective to the client, as upstream
		// has clients pick one.
		if cfg.EPPAPI != "" && r.Labels[LabelInferenceModel] != "" {
			for _, h := range ObjectiveHeaders {
				if !slices.Contains(set, h) && !slices.Contains(removed, h) {
					t.Errorf("route %q leaves the objective header %s as the client sent it", r.Name, h)
				}
			}
		}
		for _, alias := range cfg.RewriteHeaderAliases {
			if !slices.Contains(removed, alias) {
				t.Errorf("route %q does not remove the alias %s", r.Name, alias)
			}
		}
		if cfg.RewriteHeader == "" || slices.Contains(set, cfg.RewriteHeader) || slices.Contains(removed, cfg.RewriteHeader) {
			continue
		}
		for _, b := range rule.BackendRefs {
			if len(b.Filters) != 1 || b.Filters[0].RequestHeaderModifier == nil ||
				!slices.ContainsFunc(b.Filters[0].RequestHeaderModifier.Set, func(h gatewayv1.HTTPHeader) bool { return string(h.Name) == cfg.RewriteHeader }) {
				t.Errorf("route %q leaves %s as the client sent it on a backendRef", r.Name, cfg.RewriteHeader)
			}
		}
	}
}

// checkRouteLimits fails when the route breaks a limit of the Gateway API
// schema or carries a header value that could inject headers.
func checkRouteLimits(t *testing.T, r *gatewayv1.HTTPRoute) {
	t.Helper()
	fail := func(format string, args ...any) { t.Errorf("route %q: %s", r.Name, fmt.Sprintf(format, args...)) }
	if errs := validation.IsDNS1123Subdomain(r.Name); len(errs) > 0 {
		fail("name: %v", errs)
	}
	checkLabels(t, r.Labels)
	if n := len(r.Spec.ParentRefs); n > MaxParentRefs {
		fail("%d parentRefs", n)
	}
	if n := len(r.Spec.Hostnames); n > MaxHostnames {
		fail("%d hostnames", n)
	}
	for _, h := range r.Spec.Hostnames {
		if err := validHostname(string(h)); err != nil {
			fail("hostname %q: %v", h, err)
		}
	}
	if n := len(r.Spec.Rules); n < 1 || n > MaxRulesPerRoute {
		fail("%d rules", n)
	}
	matches := 0
	for _, rule := range r.Spec.Rules {
		matches += len(rule.Matches)
		if n := len(rule.Matches); n < 1 || n > MaxMatchesPerRule {
			fail("%d matches", n)
		}
		for _, m := range rule.Matches {
			for _, h := range m.Headers {
				checkHeader(t, r.Name, string(h.Name), h.Value)
			}
		}
		if n := len(rule.BackendRefs); n < 1 || n > MaxBackendRefsPerRule {
			fail("%d backendRefs", n)
		}
		filters := slices.Clone(rule.Filters)
		for _, b := range rule.BackendRefs {
			if b.Weight == nil || *b.Weight < 0 || *b.Weight > MaxBackendWeight {
				fail("weight %v", b.Weight)
			}
			filters = append(filters, b.Filters...)
		}
		for _, f := range filters {
			if f.RequestHeaderModifier == nil || len(f.RequestHeaderModifier.Set) > MaxHeaderSets || len(f.RequestHeaderModifier.Remove) > MaxHeaderRemoves {
				fail("unexpected filter %+v", f)
				continue
			}
			for _, h := range f.RequestHeaderModifier.Set {
				checkHeader(t, r.Name, string(h.Name), h.Value)
			}
		}
	}
	if matches > MaxMatchesPerRoute {
		fail("%d matches in all", matches)
	}
}

func checkHeader(t *testing.T, route, name, value string) {
	t.Helper()
	if err := validHeaderName(name); err != nil {
		t.Errorf("route %q: header name: %v", route, err)
	}
	if err := validHeaderValue(value, MaxHeaderValueLength); err != nil {
		t.Errorf("route %q: header %s value %q: %v", route, name, value, err)
	}
}

func checkLabels(t *testing.T, labels map[string]string) {
	t.Helper()
	for k, v := range labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			t.Errorf("label key %q: %v", k, errs)
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("label %s value %q: %v", k, v, errs)
		}
	}
}
