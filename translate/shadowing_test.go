package translate_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// Shadowing across pools

func TestTranslateShadowing(t *testing.T) {
	// old on "pool" (created first), young on "pool-b" an hour later.
	pair := func(oldOpts, youngOpts []modelOpt) translate.Input {
		return input(
			model("old", "llama", oldOpts...),
			model("young", "llama", append([]modelOpt{onPool("pool-b"), createdAfter(time.Hour)}, youngOpts...)...),
			alphaPool("pool"), alphaPool("pool-b"),
		)
	}
	youngOnB := func(opts ...routeOpt) *gatewayv1.HTTPRoute {
		return wantRoute("young", "llama", append([]routeOpt{routeBackendRefs(poolBackendRef(alphaGroup, "pool-b", 1))}, opts...)...)
	}
	shadowedYoung := unrouted("young", resolvedOK("pool-b"), acceptedOK("llama"), programmedShadowed("ns", "old", "pool"))
	both := func(oldRoute, youngRoute *gatewayv1.HTTPRoute) []wantModel {
		return []wantModel{
			routed("old", "llama", oldRoute),
			routedOnPool(testNS, "young", "pool-b", "llama", youngRoute),
		}
	}
	oldWins := func(oldRoute *gatewayv1.HTTPRoute) []wantModel {
		return []wantModel{routed("old", "llama", oldRoute), shadowedYoung}
	}
	p := func(v string) []modelOpt { return []modelOpt{parentRefsAnnotation(v)} }
	h := func(v string) []modelOpt { return []modelOpt{hostnamesAnnotation(v)} }

	runCases(t, []translateCase{
		{
			name: "same configured Gateway, no hostnames: younger shadowed",
			in:   pair(nil, nil),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "older by age even when its name sorts last",
			in: input(
				model("z", "llama"),
				model("a", "llama", onPool("pool-b"), createdAfter(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				unrouted("a", resolvedOK("pool-b"), acceptedOK("llama"), programmedShadowed("ns", "z", "pool")),
				routed("z", "llama", wantRoute("z", "llama")),
			},
		},
		{
			name: "same age: tie broken by name",
			in: input(
				model("b", "llama"),
				model("a", "llama", onPool("pool-b")),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routedOnPool(testNS, "a", "pool-b", "llama", wantRoute("a", "llama", routeBackendRefs(poolBackendRef(alphaGroup, "pool-b", 1)))),
				unrouted("b", resolvedOK("pool"), acceptedOK("llama"), programmedShadowed("ns", "a", "pool-b")),
			},
		},
		{
			name: "generation observed on the shadowed model",
			in: input(
				model("old", "llama"),
				model("young", "llama", onPool("pool-b"), createdAfter(time.Hour), generation(6)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				unrouted("young", withObservedGeneration(6, resolvedOK("pool-b"), acceptedOK("llama"), programmedShadowed("ns", "old", "pool"))...),
			},
		},
		{
			name: "different Gateways: no shadow",
			in:   pair(nil, p("gw/other")),
			want: both(wantRoute("old", "llama"), youngOnB(routeParentRefs(gatewayRef("gw", "other", "")))),
		},
		{
			name: "same Gateway name in another namespace: no shadow",
			in:   pair(nil, p("gw2/main")),
			want: both(wantRoute("old", "llama"), youngOnB(routeParentRefs(gatewayRef("gw2", "main", "")))),
		},
		{
			name: "same Gateway, different sections: no shadow",
			in:   pair(p("gw/main/a"), p("gw/main/b")),
			want: both(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", "a"))),
				youngOnB(routeParentRefs(gatewayRef("gw", "main", "b")))),
		},
		{
			name: "same Gateway, same section: shadowed",
			in:   pair(p("gw/main/a"), p("gw/main/a")),
			want: oldWins(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", "a")))),
		},
		{
			name: "older on a section, younger on the whole Gateway: shadowed",
			in:   pair(p("gw/main/a"), nil),
			want: oldWins(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", "a")))),
		},
		{
			name: "older on the whole Gateway, younger on a section: shadowed",
			in:   pair(nil, p("gw/main/b")),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "one shared Gateway among several: shadowed",
			in:   pair(p("x/one, gw/main"), p("y/two, gw/main/s")),
			want: oldWins(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", ""), gatewayRef("x", "one", "")))),
		},
		{
			name: "disjoint hostnames: no shadow",
			in:   pair(h("a.example.com"), h("b.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("a.example.com")), youngOnB(routeHostnames("b.example.com"))),
		},
		{
			name: "one common hostname: shadowed",
			in:   pair(h("a.example.com,c.example.com"), h("b.example.com,c.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("a.example.com", "c.example.com"))),
		},
		{
			name: "older has hostnames, younger none (matches all): shadowed",
			in:   pair(h("a.example.com"), nil),
			want: oldWins(wantRoute("old", "llama", routeHostnames("a.example.com"))),
		},
		{
			name: "older has no hostnames, younger some: shadowed",
			in:   pair(nil, h("b.example.com")),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "wildcard matches one more label: shadowed",
			in:   pair(h("*.example.com"), h("a.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("*.example.com"))),
		},
		{
			name: "wildcard matches several more labels: shadowed",
			in:   pair(h("*.example.com"), h("a.b.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("*.example.com"))),
		},
		{
			name: "host under younger wildcard: shadowed",
			in:   pair(h("a.example.com"), h("*.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("a.example.com"))),
		},
		{
			name: "wildcard does not match the bare domain: no shadow",
			in:   pair(h("*.example.com"), h("example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("*.example.com")), youngOnB(routeHostnames("example.com"))),
		},
		{
			name: "wildcard does not match a mere suffix: no shadow",
			in:   pair(h("*.example.com"), h("badexample.com")),
			want: both(wantRoute("old", "llama", routeHostnames("*.example.com")), youngOnB(routeHostnames("badexample.com"))),
		},
		{
			name: "nested wildcards overlap: shadowed",
			in:   pair(h("*.example.com"), h("*.b.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("*.example.com"))),
		},
		{
			name: "unrelated wildcards: no shadow",
			in:   pair(h("*.example.com"), h("*.example.org")),
			want: both(wantRoute("old", "llama", routeHostnames("*.example.com")), youngOnB(routeHostnames("*.example.org"))),
		},
		{
			name: "different Gateway but overlapping hostnames: no shadow",
			in:   pair(h("a.example.com"), []modelOpt{hostnamesAnnotation("a.example.com"), parentRefsAnnotation("gw/other")}),
			want: both(wantRoute("old", "llama", routeHostnames("a.example.com")),
				youngOnB(routeHostnames("a.example.com"), routeParentRefs(gatewayRef("gw", "other", "")))),
		},
		{
			name: "different modelNames: no shadow",
			in: input(
				model("old", "llama"),
				model("young", "mistral", onPool("pool-b"), createdAfter(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				routedOnPool(testNS, "young", "pool-b", "mistral", wantRoute("young", "mistral",
					routeBackendRefs(poolBackendRef(alphaGroup, "pool-b", 1)))),
			},
		},
		{
			name: "older without parents shadows nothing",
			in:   pair(p(""), nil),
			want: []wantModel{
				{testNS, "old", []metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedNoParentRefs("old-modelroute")},
					wantRoute("old", "llama", routeParentRefs())},
				routedOnPool(testNS, "young", "pool-b", "llama", youngOnB()),
			},
		},
		{
			name: "younger without parents: NoParentRefs, not shadowed",
			in:   pair(nil, p("")),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				{testNS, "young", []metav1.Condition{resolvedOK("pool-b"), acceptedOK("llama"), programmedNoParentRefs("young-modelroute")},
					youngOnB(routeParentRefs())},
			},
		},
		{
			name: "older that is not routed (PoolNotFound) shadows nothing",
			in: input(
				model("old", "llama", onPool("gone")),
				model("young", "llama", onPool("pool-b"), createdAfter(time.Hour)),
				alphaPool("pool-b"),
			),
			want: []wantModel{
				unrouted("old", unresolved("PoolNotFound", `"gone"`), acceptedOK("llama")),
				routedOnPool(testNS, "young", "pool-b", "llama", youngOnB()),
			},
		},
		{
			name: "across namespaces on a shared Gateway: shadowed, message names namespace/name",
			in: input(
				model("old", "llama", inNamespace("ns-a")),
				model("young", "llama", inNamespace("ns-b"), createdAfter(time.Hour)),
				alphaPool("pool", poolInNamespace("ns-a")), alphaPool("pool", poolInNamespace("ns-b")),
			),
			want: []wantModel{
				routedOnPool("ns-a", "old", "pool", "llama", wantRoute("old", "llama", routeInNamespace("ns-a"))),
				{"ns-b", "young", []metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedShadowed("ns-a", "old", "pool")}, nil},
			},
		},
		{
			name: "alpha and v1 pools of one name: shadowed",
			in: input(
				model("old", "llama"),
				model("young", "llama", poolRefGroup(v1Group), createdAfter(time.Hour)),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				unrouted("young", resolvedOK("pool"), acceptedOK("llama"), programmedShadowed("ns", "old", "pool")),
			},
		},
		{
			name: "shadowing is decided with parents from pool annotations",
			in: input(
				model("old", "llama"),
				model("young", "llama", onPool("pool-b"), createdAfter(time.Hour)),
				alphaPool("pool", poolParentRefsAnnotation("gw/a")), alphaPool("pool-b", poolParentRefsAnnotation("gw/b")),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "a", "")))),
				routedOnPool(testNS, "young", "pool-b", "llama", youngOnB(routeParentRefs(gatewayRef("gw", "b", "")))),
			},
		},
	})
}
