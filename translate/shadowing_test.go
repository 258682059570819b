package translate_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
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
			name: "older on a section, younger on the whole Gateway: the younger keeps the other listeners",
			in:   pair(p("gw/main/a"), nil),
			want: both(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", "a"))), youngOnB()),
		},
		{
			name: "older on the whole Gateway, younger on a section: shadowed",
			in:   pair(nil, p("gw/main/b")),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "one shared Gateway among several: the younger keeps its other Gateway",
			in:   pair(p("x/one, gw/main"), p("y/two, gw/main/s")),
			want: both(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", ""), gatewayRef("x", "one", ""))),
				youngOnB(routeParentRefs(gatewayRef("gw", "main", "s"), gatewayRef("y", "two", "")))),
		},
		{
			name: "every Gateway of the younger taken by the older: shadowed",
			in:   pair(p("x/one, gw/main, z/three"), p("x/one, gw/main/s")),
			want: oldWins(wantRoute("old", "llama", routeParentRefs(gatewayRef("gw", "main", ""), gatewayRef("x", "one", ""), gatewayRef("z", "three", "")))),
		},
		{
			name: "disjoint hostnames: no shadow",
			in:   pair(h("a.example.com"), h("b.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("a.example.com")), youngOnB(routeHostnames("b.example.com"))),
		},
		{
			name: "one common hostname: the younger keeps the other",
			in:   pair(h("a.example.com,c.example.com"), h("b.example.com,c.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("a.example.com", "c.example.com")),
				youngOnB(routeHostnames("b.example.com", "c.example.com"))),
		},
		{
			name: "the same hostnames: shadowed",
			in:   pair(h("a.example.com,c.example.com"), h("c.example.com,a.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("a.example.com", "c.example.com"))),
		},
		{
			name: "the younger's hostnames among the older's: shadowed",
			in:   pair(h("a.example.com,c.example.com"), h("c.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("a.example.com", "c.example.com"))),
		},
		{
			name: "the same wildcard: shadowed",
			in:   pair(h("*.example.com"), h("*.example.com")),
			want: oldWins(wantRoute("old", "llama", routeHostnames("*.example.com"))),
		},
		{
			name: "older has hostnames, younger none: the younger catches all the others",
			in:   pair(h("a.example.com"), nil),
			want: both(wantRoute("old", "llama", routeHostnames("a.example.com")), youngOnB()),
		},
		{
			name: "older has no hostnames, younger some: a hostname takes precedence over a catch-all",
			in:   pair(nil, h("b.example.com")),
			want: both(wantRoute("old", "llama"), youngOnB(routeHostnames("b.example.com"))),
		},
		{
			name: "older wildcard, younger exact host under it: the exact host takes precedence",
			in:   pair(h("*.example.com"), h("a.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("*.example.com")), youngOnB(routeHostnames("a.example.com"))),
		},
		{
			name: "older wildcard, younger host several labels under it: the exact host takes precedence",
			in:   pair(h("*.example.com"), h("a.b.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("*.example.com")), youngOnB(routeHostnames("a.b.example.com"))),
		},
		{
			name: "older exact host, younger wildcard over it: the younger keeps the other hosts",
			in:   pair(h("a.example.com"), h("*.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("a.example.com")), youngOnB(routeHostnames("*.example.com"))),
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
			name: "nested wildcards: the longer one takes precedence",
			in:   pair(h("*.example.com"), h("*.b.example.com")),
			want: both(wantRoute("old", "llama", routeHostnames("*.example.com")), youngOnB(routeHostnames("*.b.example.com"))),
		},
		{
			name: "the younger's hostnames split between two older models of other pools: shadowed",
			in: input(
				model("old-a", "llama", hostnamesAnnotation("a.example.com")),
				model("old-c", "llama", onPool("pool-c"), hostnamesAnnotation("c.example.com"), createdAfter(time.Minute)),
				model("young", "llama", onPool("pool-b"), hostnamesAnnotation("a.example.com,c.example.com"), createdAfter(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"), alphaPool("pool-c"),
			),
			want: []wantModel{
				routed("old-a", "llama", wantRoute("old-a", "llama", routeHostnames("a.example.com"))),
				routedOnPool(testNS, "old-c", "pool-c", "llama", wantRoute("old-c", "llama", routeHostnames("c.example.com"),
					routeBackendRefs(poolBackendRef(alphaGroup, "pool-c", 1)))),
				unrouted("young", resolvedOK("pool-b"), acceptedOK("llama"), programmedShadowed("ns", "old-a", "pool")),
			},
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

// TestTranslateShadowingFollowsTheGateway: an older model keeps its
// modelName from a younger one only where a Gateway serves its route, as
// far as the cluster says; offline every route is assumed admitted.
func TestTranslateShadowingFollowsTheGateway(t *testing.T) {
	const controller = "example.com/gateway"
	gateway := translate.ParentGateway{Namespace: "gw", Name: "main", Class: "c", ControllerName: controller}
	cond := func(typ string, status metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: reason, ObservedGeneration: gen}
	}
	verdict := func(section string, controller string, accepted metav1.ConditionStatus, gen int64) gatewayv1.RouteParentStatus {
		return gatewayv1.RouteParentStatus{
			ParentRef:      gatewayRef("gw", "main", section),
			ControllerName: gatewayv1.GatewayController(controller),
			Conditions:     []metav1.Condition{cond("Accepted", accepted, "Reason", gen), cond("ResolvedRefs", "True", "ResolvedRefs", gen)},
		}
	}
	// oldRoute is the live route of "old" (UID uid-old), at generation 3.
	oldRoute := func(owner string, parents ...gatewayv1.RouteParentStatus) gatewayv1.HTTPRoute {
		r := gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "old-modelroute", Generation: 3}}
		r.OwnerReferences = []metav1.OwnerReference{{APIVersion: alphaGroup + "/v1alpha2", Kind: "InferenceModel", Name: "old",
			UID: types.UID(owner), Controller: ptr.To(true)}}
		r.Status.Parents = parents
		return r
	}
	pair := func(cluster *translate.Cluster, oldOpts, youngOpts []modelOpt) translate.Input {
		in := input(
			model("old", "llama", oldOpts...),
			model("young", "llama", append([]modelOpt{onPool("pool-b"), createdAfter(time.Hour)}, youngOpts...)...),
			alphaPool("pool"), alphaPool("pool-b"),
		)
		in.Cluster = cluster
		return in
	}
	cluster := func(gateways []translate.ParentGateway, routes ...gatewayv1.HTTPRoute) *translate.Cluster {
		return &translate.Cluster{Gateways: gateways, Routes: routes}
	}
	onlyGateway := []translate.ParentGateway{gateway}
	split := []modelOpt{targets(weightedTarget("a", 1), weightedTarget("b", 1))}
	sections := []modelOpt{parentRefsAnnotation("gw/main/a,gw/main/b")}
	for _, tc := range []struct {
		name      string
		in        translate.Input
		shadowed  bool
		youngRefs []gatewayv1.ParentReference // when not shadowed and not gw/main
	}{
		{"offline: every route is assumed admitted", pair(nil, nil, nil), true, nil},
		{"the older's route accepted", pair(cluster(onlyGateway, oldRoute("uid-old", verdict("", controller, "True", 3))), nil, nil), true, nil},
		{"the older's route not reported on yet: assumed admitted", pair(cluster(onlyGateway, oldRoute("uid-old")), nil, nil), true, nil},
		{"the older's route not created yet: assumed admitted", pair(cluster(onlyGateway), nil, nil), true, nil},
		{"the older's route rejected (allowedRoutes, listener hostnames, a bad value…)",
			pair(cluster(onlyGateway, oldRoute("uid-old", verdict("", controller, "False", 3))), nil, nil), false, nil},
		{"a rejection of an older generation is not the verdict",
			pair(cluster(onlyGateway, oldRoute("uid-old", verdict("", controller, "False", 2))), nil, nil), true, nil},
		{"Accepted=Unknown is not a rejection",
			pair(cluster(onlyGateway, oldRoute("uid-old", verdict("", controller, "Unknown", 3))), nil, nil), true, nil},
		{"another implementation's rejection is not the Gateway's",
			pair(cluster(onlyGateway, oldRoute("uid-old", verdict("", "example.com/other", "False", 3))), nil, nil), true, nil},
		{"the older's Gateway does not exist", pair(cluster(nil), nil, nil), false, nil},
		{"the older's Gateway has no class",
			pair(cluster([]translate.ParentGateway{{Namespace: "gw", Name: "main", Class: "gone"}}), nil, nil), false, nil},
		{"the older's split needs a feature its Gateway's class lacks",
			pair(cluster([]translate.ParentGateway{{Namespace: "gw", Name: "main", Class: "c", ControllerName: controller,
				SupportedFeatures: []gatewayv1.SupportedFeature{{Name: "HTTPRoute"}}}}), split, nil), false, nil},
		{"the route of the older's name is not the older's",
			pair(cluster(onlyGateway, oldRoute("uid-someone-else", verdict("", controller, "True", 3))), nil, nil), false, nil},
		{"rejected on the younger's listener only",
			pair(cluster(onlyGateway, oldRoute("uid-old", verdict("a", controller, "True", 3), verdict("b", controller, "False", 3))),
				sections, []modelOpt{parentRefsAnnotation("gw/main/b")}), false, []gatewayv1.ParentReference{gatewayRef("gw", "main", "b")}},
		{"rejected on another listener than the younger's",
			pair(cluster(onlyGateway, oldRoute("uid-old", verdict("a", controller, "True", 3), verdict("b", controller, "False", 3))),
				sections, []modelOpt{parentRefsAnnotation("gw/main/a")}), true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := translateWith(tc.in, config())
			if err != nil {
				t.Fatal(err)
			}
			young := out.Models[1]
			if young.Name != "young" {
				t.Fatalf("models %v", out.Models)
			}
			programmed := young.Condition("Programmed")
			if got := programmed.Reason == "RouteShadowed"; got != tc.shadowed || (young.Route == nil) != tc.shadowed {
				t.Errorf("young: Programmed %s, route %v; want shadowed %v", programmed.Reason, young.Route != nil, tc.shadowed)
			}
			if young.Route != nil && tc.youngRefs != nil {
				if diff := cmp.Diff(tc.youngRefs, young.Route.Spec.ParentRefs); diff != "" {
					t.Errorf("young's parents (-want +got):\n%s", diff)
				}
			}
			if out.Models[0].Route == nil {
				t.Error("old lost its route")
			}
		})
	}
}
