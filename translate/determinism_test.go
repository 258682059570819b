package translate_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// Determinism

func TestTranslateDeterminism(t *testing.T) {
	in := input(
		model("m1", "llama", targets(weightedTarget("a", 1), weightedTarget("b", 2))),
		model("m2", "llama", createdAfter(time.Hour)),
		model("m3", "llama", onPool("pool-b"), createdAfter(2*time.Hour)),
		model("m4", "mistral", onPool("pool-b"), hostnamesAnnotation("*.example.com")),
		model("m5", "qwen", poolRefGroup(v1Group), parentRefsAnnotation("gw/x, gw/y/s")),
		model("m6", "phi", onPool("missing")),
		model("m7", "", poolRefKind("Service")),
		model("m1", "llama", inNamespace("other")),
		alphaPool("pool"), alphaPool("pool-b"), v1Pool("pool"),
		alphaPool("pool", poolInNamespace("other")),
		// Rewrites claiming the models' names, each other's, and a route
		// name (m4's), at one creation time.
		rewrite(llmdGroup, "r1", []v1alpha2.InferenceModelRewriteRule{rule(models("llama", "x"), "a=1", "b=2"), rule(nil, "c")}),
		rewrite(alphaGroup, "r1", []v1alpha2.InferenceModelRewriteRule{rule(models("x", "y"), "d")}),
		rewrite(llmdGroup, "m4", []v1alpha2.InferenceModelRewriteRule{rule(models("z"), "e")}, rewriteCreatedAfter(-time.Hour)),
		rewrite(llmdGroup, "r2", []v1alpha2.InferenceModelRewriteRule{rule(models("mistral", "z"), "f")}, func(rw *v1alpha2.InferenceModelRewrite) {
			rw.Spec.PoolRef.Name = "pool-b"
		}),
	)
	for _, mode := range []string{"inferencepool", "service"} {
		t.Run(mode, func(t *testing.T) {
			cfg := config(func(c *translate.Config) {
				c.Backend = translate.BackendMode(mode)
				c.CriticalityHeader = criticalityHeader
			})
			want, err := translateWith(in, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(0); seed < 50; seed++ {
				got, err := translateWith(shuffled(in, seed), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, allOfOutput); diff != "" {
					t.Fatalf("seed %d: output depends on input order (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
}

func TestTranslateConfigListOrder(t *testing.T) {
	in := input(model("m1", "llama"), alphaPool("pool"))
	a := config(func(c *translate.Config) {
		c.PathPrefixes = []string{"/a", "/b", "/c"}
		c.ParentRefs = []gatewayv1.ParentReference{gatewayRef("gw", "a", ""), gatewayRef("gw", "b", "s"), gatewayRef("gw", "c", "")}
		c.Hostnames = []gatewayv1.Hostname{"a.example.com", "b.example.com", "*.example.net"}
	})
	b := config(func(c *translate.Config) {
		c.PathPrefixes = []string{"/c", "/a", "/b", "/a"}
		c.ParentRefs = []gatewayv1.ParentReference{gatewayRef("gw", "c", ""), gatewayRef("gw", "b", "s"), gatewayRef("gw", "a", ""), gatewayRef("gw", "c", "")}
		c.Hostnames = []gatewayv1.Hostname{"*.example.net", "b.example.com", "a.example.com", "b.example.com"}
	})
	want, err := translateWith(in, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := translateWith(in, b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, allOfOutput); diff != "" {
		t.Errorf("output depends on config list order (-want +got):\n%s", diff)
	}
	// Translate must not reorder the caller's config.
	if diff := cmp.Diff([]string{"/c", "/a", "/b", "/a"}, b.PathPrefixes); diff != "" {
		t.Errorf("Translate modified cfg.PathPrefixes (-want +got):\n%s", diff)
	}
}

func TestTranslateDuplicateInputs(t *testing.T) {
	t.Run("identical duplicates collapse to one result", func(t *testing.T) {
		runCases(t, []translateCase{{
			name: "models and pools twice",
			in:   input(model("m1", "llama"), model("m1", "llama"), alphaPool("pool"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		}})
	})
	t.Run("diverging duplicates: one result, same whatever the order", func(t *testing.T) {
		a := model("m1", "llama", generation(1))
		b := model("m1", "mistral", generation(2))
		c := model("m1", "qwen", generation(3), targets(target("x")))
		pa := alphaPool("pool", poolTargetPort(1111))
		pb := alphaPool("pool", poolTargetPort(2222))
		cfg := config(serviceMode)
		orders := [][]any{
			{a, b, c, pa, pb}, {c, b, a, pb, pa}, {b, c, a, pa, pb}, {b, a, c, pb, pa}, {c, a, b, pa, pb},
		}
		var first translate.Output
		for i, objs := range orders {
			got, err := translateWith(input(objs...), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Models) != 1 || got.Models[0].Name != "m1" {
				t.Fatalf("order %d: got %d models, want one m1", i, len(got.Models))
			}
			if len(got.Services) != 1 {
				t.Fatalf("order %d: got %d services, want 1", i, len(got.Services))
			}
			if i == 0 {
				first = got
				continue
			}
			if diff := cmp.Diff(first, got, allOfOutput); diff != "" {
				t.Errorf("order %d (-want +got):\n%s", i, diff)
			}
		}
		// The kept copy is one of the inputs, used consistently.
		route := first.Models[0].Route
		mn := route.Spec.Rules[0].Matches[0].Headers[0].Value
		g := first.Models[0].Conditions[0].ObservedGeneration
		wantGen := map[string]int64{"llama": 1, "mistral": 2, "qwen": 3}[mn]
		if wantGen == 0 || g != wantGen {
			t.Errorf("kept modelName %q with generation %d: not one consistent input copy", mn, g)
		}
		port := first.Services[0].Spec.Ports[0].Port
		if bport := *route.Spec.Rules[0].BackendRefs[0].Port; port != 1111 && port != 2222 || int32(bport) != port {
			t.Errorf("service port %d, backend port %d: not one consistent pool copy", port, bport)
		}
	})
}

// With many contenders of one age the tie-break by name must hold whatever
// the sort algorithm does with equal keys.
func TestTranslateManyTies(t *testing.T) {
	t.Run("uniqueness", func(t *testing.T) {
		// Every third model (m01, m04, ...) is among the oldest; m01 wins.
		var objs []any
		var want []wantModel
		for i := range 40 {
			name := fmt.Sprintf("m%02d", i)
			d := time.Hour
			if i%3 == 1 {
				d = 0
			}
			objs = append(objs, model(name, "llama", createdAfter(d)))
			if i == 1 {
				want = append(want, routed(name, "llama", wantRoute(name, "llama")))
			} else {
				want = append(want, unrouted(name, resolvedOK("pool"), rejected("ModelNameInUse", `"m01"`)))
			}
		}
		objs = append(objs, alphaPool("pool"))
		runCases(t, []translateCase{{name: "40 contenders, 14 of the oldest age", in: input(objs...), want: want}})
	})
	t.Run("shadowing", func(t *testing.T) {
		var objs []any
		var want []wantModel
		for i := range 40 {
			name, pool := fmt.Sprintf("m%02d", i), fmt.Sprintf("p%02d", i)
			d := time.Hour
			if i%3 == 1 {
				d = 0
			}
			objs = append(objs, model(name, "llama", onPool(pool), createdAfter(d)), alphaPool(pool))
			if i == 1 {
				want = append(want, routedOnPool(testNS, name, pool, "llama", wantRoute(name, "llama",
					routeBackendRefs(poolBackendRef(alphaGroup, pool, 1)))))
			} else {
				want = append(want, unrouted(name, resolvedOK(pool), acceptedOK("llama"), programmedShadowed("ns", "m01", "p01")))
			}
		}
		runCases(t, []translateCase{{name: "40 contenders, 14 of the oldest age", in: input(objs...), want: want}})
	})
}
