package translate_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// --epp-api: an InferenceModelRewrite and an InferenceObjective per model

// eppMeta is the metadata of what --epp-api makes for model name: named,
// labelled and owned as its route.
func eppMeta(name string) metav1.ObjectMeta {
	return wantRoute(name, name).ObjectMeta
}

var eppPoolRef = v1alpha2.SuccessorPoolReference{Group: alphaGroup, Kind: "InferencePool", Name: "pool"}

func TestTranslateEPPAPI(t *testing.T) {
	for _, tc := range []struct {
		name          string
		group         string
		model         v1alpha2.InferenceModel
		wantRoute     *gatewayv1.HTTPRoute
		wantRewrite   *v1alpha2.InferenceModelRewrite
		wantObjective *v1alpha2.InferenceObjective
	}{
		{
			name:  "a split with a criticality: the route names the objective and sends the model to the pool unsplit",
			group: "llm-d.ai",
			model: model("chat", "llama", criticality("Critical"), targets(weightedTarget("llama-v1", 90), weightedTarget("llama-v2", 10))),
			wantRoute: wantRoute("chat", "llama", routeRuleFilter(
				[]gatewayv1.HTTPHeader{{Name: "x-llm-d-inference-objective", Value: "chat-modelroute"}},
				rewriteHeader, "x-gateway-inference-objective", rewriteAlias)),
			wantRewrite: &v1alpha2.InferenceModelRewrite{
				TypeMeta:   metav1.TypeMeta{APIVersion: "llm-d.ai/v1alpha2", Kind: "InferenceModelRewrite"},
				ObjectMeta: eppMeta("chat"),
				Spec: v1alpha2.InferenceModelRewriteSpec{PoolRef: eppPoolRef, Rules: []v1alpha2.InferenceModelRewriteRule{{
					Matches: []v1alpha2.Match{{Model: v1alpha2.ModelMatch{Type: ptr.To(v1alpha2.MatchExact), Value: "llama"}}},
					Targets: []v1alpha2.TargetModelRewrite{
						{ModelRewrite: "llama-v1", Weight: ptr.To(int32(90))},
						{ModelRewrite: "llama-v2", Weight: ptr.To(int32(10))},
					},
				}}},
			},
			wantObjective: &v1alpha2.InferenceObjective{
				TypeMeta:   metav1.TypeMeta{APIVersion: "llm-d.ai/v1alpha2", Kind: "InferenceObjective"},
				ObjectMeta: eppMeta("chat"),
				Spec:       v1alpha2.InferenceObjectiveSpec{Priority: ptr.To(1), PoolRef: eppPoolRef},
			},
		},
		{
			name:  "no targets, no criticality, legacy group: no objective, and no client names one",
			group: "inference.networking.x-k8s.io",
			model: model("plain", "qwen"),
			wantRoute: wantRoute("plain", "qwen", routeRuleFilter(nil,
				rewriteHeader, "x-gateway-inference-objective", "x-llm-d-inference-objective", rewriteAlias)),
			wantRewrite: &v1alpha2.InferenceModelRewrite{
				TypeMeta:   metav1.TypeMeta{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferenceModelRewrite"},
				ObjectMeta: eppMeta("plain"),
				Spec: v1alpha2.InferenceModelRewriteSpec{PoolRef: eppPoolRef, Rules: []v1alpha2.InferenceModelRewriteRule{{
					Matches: []v1alpha2.Match{{Model: v1alpha2.ModelMatch{Type: ptr.To(v1alpha2.MatchExact), Value: "qwen"}}},
					Targets: []v1alpha2.TargetModelRewrite{{ModelRewrite: "qwen"}},
				}}},
			},
		},
		{
			name:  "a sheddable alias, legacy group: the legacy objective header",
			group: "inference.networking.x-k8s.io",
			model: model("batch", "batch", criticality("Sheddable"), targets(target("phi-4"))),
			wantRoute: wantRoute("batch", "batch", routeRuleFilter(
				[]gatewayv1.HTTPHeader{{Name: "x-gateway-inference-objective", Value: "batch-modelroute"}},
				rewriteHeader, "x-llm-d-inference-objective", rewriteAlias)),
			wantRewrite: &v1alpha2.InferenceModelRewrite{
				TypeMeta:   metav1.TypeMeta{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferenceModelRewrite"},
				ObjectMeta: eppMeta("batch"),
				Spec: v1alpha2.InferenceModelRewriteSpec{PoolRef: eppPoolRef, Rules: []v1alpha2.InferenceModelRewriteRule{{
					Matches: []v1alpha2.Match{{Model: v1alpha2.ModelMatch{Type: ptr.To(v1alpha2.MatchExact), Value: "batch"}}},
					Targets: []v1alpha2.TargetModelRewrite{{ModelRewrite: "phi-4"}},
				}}},
			},
			wantObjective: &v1alpha2.InferenceObjective{
				TypeMeta:   metav1.TypeMeta{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferenceObjective"},
				ObjectMeta: eppMeta("batch"),
				Spec:       v1alpha2.InferenceObjectiveSpec{Priority: ptr.To(-1), PoolRef: eppPoolRef},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTranslator(t, config(func(c *translate.Config) { c.EPPAPI = tc.group }))
			out := tr.Translate(input(tc.model, alphaPool("pool")))
			res := out.Models[0]
			if diff := cmp.Diff(tc.wantRoute, res.Route); diff != "" {
				t.Errorf("route (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRewrite, res.EPPRewrite); diff != "" {
				t.Errorf("InferenceModelRewrite (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantObjective, res.EPPObjective); diff != "" {
				t.Errorf("InferenceObjective (-want +got):\n%s", diff)
			}

			// Read back as input (the controller's cache holds them), the
			// rewrite is no claim of the model's name and gets no route of
			// its own; the objective is judged like any other.
			in := input(tc.model, alphaPool("pool"))
			in.Rewrites = append(in.Rewrites, *res.EPPRewrite)
			if res.EPPObjective != nil {
				in.Objectives = append(in.Objectives, *res.EPPObjective)
			}
			again := tr.Translate(in)
			if diff := cmp.Diff(out.Models, again.Models, cmp.AllowUnexported(translate.ModelResult{})); diff != "" {
				t.Errorf("the models' results changed with their rewrites read back (-before +after):\n%s", diff)
			}
			if len(again.Rewrites) != 0 {
				t.Errorf("the model's own rewrite got a result of its own: %+v", again.Rewrites)
			}
			if res.EPPObjective != nil {
				if n := len(again.Objectives); n != 1 || meta.FindStatusCondition(again.Objectives[0].Conditions, condAccepted).Status != metav1.ConditionTrue {
					t.Errorf("the model's own objective: %+v; want one result, Accepted", again.Objectives)
				}
			}
		})
	}
}

func TestTranslateEPPAPIUnrouted(t *testing.T) {
	// A model with no route (here: its pool is missing, or it lost its
	// modelName) gets no rewrite either: the endpoint picker must not
	// rewrite for it.
	tr := newTranslator(t, config(func(c *translate.Config) { c.EPPAPI = "llm-d.ai" }))
	out := tr.Translate(input(
		model("lost", "llama", criticality("Critical"), onPool("missing")),
		model("older", "mistral"), model("younger", "mistral", createdAfter(time.Minute)),
		alphaPool("pool"),
	))
	for _, res := range out.Models {
		routed := res.Name == "older"
		if got := res.EPPRewrite != nil; got != routed {
			t.Errorf("%s: has a rewrite %v; want %v", res.Name, got, routed)
		}
		if res.EPPObjective != nil {
			t.Errorf("%s: has an objective", res.Name)
		}
	}
}

func TestTranslateWithoutEPPAPI(t *testing.T) {
	out := newTranslator(t, config()).Translate(input(model("chat", "llama", criticality("Critical")), alphaPool("pool")))
	if res := out.Models[0]; res.EPPRewrite != nil || res.EPPObjective != nil {
		t.Errorf("without --epp-api a model got %+v and %+v", res.EPPRewrite, res.EPPObjective)
	}
}

func newTranslator(t *testing.T, cfg translate.Config) *translate.Translator {
	t.Helper()
	tr, err := translate.NewTranslator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
