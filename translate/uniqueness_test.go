package translate_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ---------------------------------------------------------------------------
// Uniqueness of modelName per pool

func TestTranslateUniqueness(t *testing.T) {
	inUse := func(winner string) metav1.Condition {
		return rejected("ModelNameInUse", fmt.Sprintf("%q", winner), `"llama"`)
	}
	runCases(t, []translateCase{
		{
			name: "oldest wins even when its name sorts last",
			in: input(
				model("a-young", "llama", createdAfter(time.Hour)),
				model("z-old", "llama"),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("a-young", resolvedOK("pool"), inUse("z-old")),
				routed("z-old", "llama", wantRoute("z-old", "llama")),
			},
		},
		{
			name: "same age: tie broken by name",
			in:   input(model("b", "llama"), model("a", "llama"), alphaPool("pool")),
			want: []wantModel{
				routed("a", "llama", wantRoute("a", "llama")),
				unrouted("b", resolvedOK("pool"), inUse("a")),
			},
		},
		{
			name: "handover: winner removed, the next one takes the name",
			in:   input(model("b", "llama"), alphaPool("pool")),
			want: []wantModel{routed("b", "llama", wantRoute("b", "llama"))},
		},
		{
			name: "three contenders: both losers name the oldest, generation observed",
			in: input(
				model("m1", "llama", createdAfter(2*time.Hour), generation(4)),
				model("m2", "llama", createdAfter(time.Hour)),
				model("m3", "llama", createdAfter(3*time.Hour), generation(7)),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("m1", withObservedGeneration(4, resolvedOK("pool"), inUse("m2"))...),
				routed("m2", "llama", wantRoute("m2", "llama")),
				unrouted("m3", withObservedGeneration(7, resolvedOK("pool"), inUse("m2"))...),
			},
		},
		{
			name: "handover with three: next oldest wins",
			in: input(
				model("m1", "llama", createdAfter(2*time.Hour)),
				model("m3", "llama", createdAfter(3*time.Hour)),
				alphaPool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				unrouted("m3", resolvedOK("pool"), inUse("m1")),
			},
		},
		{
			name: "empty group and explicit x-k8s.io group are the same pool",
			in: input(
				model("m1", "llama", poolRefGroup(alphaGroup), poolRefKind("InferencePool"), createdAfter(time.Minute)),
				model("m2", "llama"),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("m1", resolvedOK("pool"), inUse("m2")),
				routed("m2", "llama", wantRoute("m2", "llama")),
			},
		},
		{
			name: "same modelName in different pools: both accepted",
			in: input(
				model("m1", "llama"),
				model("m2", "llama", onPool("pool-b"), parentRefsAnnotation("gw/other")),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routedOnPool(testNS, "m2", "pool-b", "llama", wantRoute("m2", "llama",
					routeParentRefs(gatewayRef("gw", "other", "")), routeBackendRefs(poolBackendRef(alphaGroup, "pool-b", 1)))),
			},
		},
		{
			name: "same pool name in alpha and v1 groups: different pools",
			in: input(
				model("m1", "llama", hostnamesAnnotation("a.example.com")),
				model("m2", "llama", poolRefGroup(v1Group), hostnamesAnnotation("b.example.com")),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", routeHostnames("a.example.com"))),
				routed("m2", "llama", wantRoute("m2", "llama", routeHostnames("b.example.com"),
					routeBackendRefs(poolBackendRef(v1Group, "pool", 1)))),
			},
		},
		{
			name: "same pool name in different namespaces: different pools",
			in: input(
				model("m1", "llama", inNamespace("ns-a"), parentRefsAnnotation("gw/a")),
				model("m1", "llama", inNamespace("ns-b"), parentRefsAnnotation("gw/b")),
				alphaPool("pool", poolInNamespace("ns-a")), alphaPool("pool", poolInNamespace("ns-b")),
			),
			want: []wantModel{
				routedOnPool("ns-a", "m1", "pool", "llama", wantRoute("m1", "llama", routeInNamespace("ns-a"), routeParentRefs(gatewayRef("gw", "a", "")))),
				routedOnPool("ns-b", "m1", "pool", "llama", wantRoute("m1", "llama", routeInNamespace("ns-b"), routeParentRefs(gatewayRef("gw", "b", "")))),
			},
		},
		{
			name: "different modelNames in one pool: both accepted",
			in:   input(model("m1", "llama"), model("m2", "mistral"), alphaPool("pool")),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routed("m2", "mistral", wantRoute("m2", "mistral")),
			},
		},
		{
			name: "modelName comparison is exact (case-sensitive)",
			in:   input(model("m1", "llama"), model("m2", "Llama"), alphaPool("pool")),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routed("m2", "Llama", wantRoute("m2", "Llama")),
			},
		},
		{
			name: "an older model with an invalid spec does not hold the name",
			in: input(
				model("old", "llama", criticality("Urgent")),
				model("young", "llama", createdAfter(time.Hour)),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("old", resolvedOK("pool"), rejected("InvalidCriticality", "spec.criticality")),
				routed("young", "llama", wantRoute("young", "llama")),
			},
		},
		{
			name: "an older model with an invalid annotation does not hold the name",
			in: input(
				model("old", "llama", hostnamesAnnotation("BAD")),
				model("young", "llama", createdAfter(time.Hour)),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("old", resolvedOK("pool"), rejected("InvalidHostnames", "modelroute.dev/hostnames")),
				routed("young", "llama", wantRoute("young", "llama")),
			},
		},
		{
			name: "missing pool: oldest still holds the name",
			in: input(
				model("m1", "llama", onPool("gone"), createdAfter(time.Hour)),
				model("m2", "llama", onPool("gone")),
			),
			want: []wantModel{
				unrouted("m1", unresolved("PoolNotFound", `"gone"`), inUse("m2")),
				unrouted("m2", unresolved("PoolNotFound", `"gone"`), acceptedOK("llama")),
			},
		},
	})
}
