package translate_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// Service backend mode

func TestTranslateServiceMode(t *testing.T) {
	alphaSvc := func(name, pool string, port int32) *corev1.Service {
		return wantService(name, pool, "inference.networking.x-k8s.io/v1alpha2", "uid-pool-"+pool, port,
			map[string]string{"app": pool})
	}
	v1Svc := func(name, pool string, port int32) *corev1.Service {
		return wantService(name, pool, "inference.networking.k8s.io/v1", "uid-v1pool-"+pool, port,
			map[string]string{"app": pool})
	}
	invalidPool := func(m string, p any, msg ...string) translateCase {
		return translateCase{
			name: "InvalidPool: " + m,
			cfg:  serviceMode,
			in:   input(model("m1", "llama"), p),
			want: []wantModel{unrouted("m1",
				unresolved("InvalidPool", append([]string{`"pool"`}, msg...)...), acceptedOK("llama"))},
		}
	}
	runCases(t, []translateCase{
		{
			name: "routes point at shadow Services, one per pool, owned by the pool",
			cfg:  serviceMode,
			in: input(
				model("m1", "llama"),
				model("m2", "mistral", targets(weightedTarget("a", 1), weightedTarget("b", 3))),
				model("m3", "qwen", onPool("vpool"), poolRefGroup(v1Group)),
				model("m4", "phi", onPool("pool-b")),
				alphaPool("pool"), alphaPool("pool-b", poolTargetPort(8080), poolWithoutUID(), poolSelector("app", "b", "tier", "gpu")),
				v1Pool("vpool"),
				alphaPool("unused"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", routeBackendRefs(serviceBackendRef(svcAlphaPool, 8000, 1)))),
				routed("m2", "mistral", wantRoute("m2", "mistral", routeRuleFilter(nil, rewriteAlias), routeBackendRefs(
					withRewriteHeader(serviceBackendRef(svcAlphaPool, 8000, 1), "a"),
					withRewriteHeader(serviceBackendRef(svcAlphaPool, 8000, 3), "b"),
				))),
				routedOnPool(testNS, "m3", "vpool", "qwen", wantRoute("m3", "qwen", routeBackendRefs(serviceBackendRef(svcV1VPool, 9000, 1)))),
				routedOnPool(testNS, "m4", "pool-b", "phi", wantRoute("m4", "phi", routeBackendRefs(serviceBackendRef(svcAlphaPoolB, 8080, 1)))),
			},
			svcs: []*corev1.Service{
				alphaSvc(svcAlphaPool, "pool", 8000),
				wantService(svcAlphaPoolB, "pool-b", "", "", 8080, map[string]string{"app": "b", "tier": "gpu"}),
				v1Svc(svcV1VPool, "vpool", 9000),
			},
		},
		{
			name: "alpha and v1 pools of one name get distinct Services",
			cfg:  serviceMode,
			in: input(
				model("m1", "llama"),
				model("m2", "mistral", poolRefGroup(v1Group)),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", routeBackendRefs(serviceBackendRef(svcAlphaPool, 8000, 1)))),
				routed("m2", "mistral", wantRoute("m2", "mistral", routeBackendRefs(serviceBackendRef(svcV1Pool, 9000, 1)))),
			},
			svcs: []*corev1.Service{alphaSvc(svcAlphaPool, "pool", 8000), v1Svc(svcV1Pool, "pool", 9000)},
		},
		{
			name: "Services sorted by namespace",
			cfg:  serviceMode,
			in: input(
				model("m1", "llama", inNamespace("ns-b"), parentRefsAnnotation("gw/b")),
				model("m1", "llama", inNamespace("ns-a"), parentRefsAnnotation("gw/a")),
				alphaPool("pool", poolInNamespace("ns-b"), poolWithoutUID()), alphaPool("pool", poolInNamespace("ns-a"), poolWithoutUID()),
			),
			want: []wantModel{
				routedOnPool("ns-a", "m1", "pool", "llama", wantRoute("m1", "llama", routeInNamespace("ns-a"), routeParentRefs(gatewayRef("gw", "a", "")),
					routeBackendRefs(serviceBackendRef(svcAlphaPool, 8000, 1)))),
				routedOnPool("ns-b", "m1", "pool", "llama", wantRoute("m1", "llama", routeInNamespace("ns-b"), routeParentRefs(gatewayRef("gw", "b", "")),
					routeBackendRefs(serviceBackendRef(svcAlphaPool, 8000, 1)))),
			},
			svcs: func() []*corev1.Service {
				a := wantService(svcAlphaPool, "pool", "", "", 8000, map[string]string{"app": "pool"})
				b := wantService(svcAlphaPool, "pool", "", "", 8000, map[string]string{"app": "pool"})
				a.Namespace, b.Namespace = "ns-a", "ns-b"
				return []*corev1.Service{a, b}
			}(),
		},
		{
			name: "model without parents still gets its route and Service",
			cfg: func(c *translate.Config) {
				serviceMode(c)
				c.ParentRefs = nil
			},
			in: input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedNoParentRefs("m1-modelroute")},
				wantRoute("m1", "llama", routeParentRefs(), routeBackendRefs(serviceBackendRef(svcAlphaPool, 8000, 1)))}},
			svcs: []*corev1.Service{alphaSvc(svcAlphaPool, "pool", 8000)},
		},
		{
			name: "shadowed model's pool gets no Service",
			cfg:  serviceMode,
			in: input(
				model("old", "llama"),
				model("young", "llama", onPool("pool-b"), createdAfter(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama", routeBackendRefs(serviceBackendRef(svcAlphaPool, 8000, 1)))),
				unrouted("young", resolvedOK("pool-b"), acceptedOK("llama"), programmedShadowed("ns", "old", "pool")),
			},
			svcs: []*corev1.Service{alphaSvc(svcAlphaPool, "pool", 8000)},
		},
		{
			name: "rejected model's pool gets no Service",
			cfg:  serviceMode,
			in:   input(model("m1", ""), alphaPool("pool")),
			want: []wantModel{unrouted("m1", resolvedOK("pool"), rejected("InvalidModelName", "spec.modelName"))},
		},
		invalidPool("alpha target port 0", alphaPool("pool", poolTargetPort(0)), "target port"),
		invalidPool("alpha target port 65536", alphaPool("pool", poolTargetPort(65536)), "target port"),
		invalidPool("alpha empty selector", alphaPool("pool", poolSelector()), "selector"),
		invalidPool("alpha bad selector key", alphaPool("pool", poolSelector("bad key", "x")), "selector key"),
		invalidPool("alpha bad selector value", alphaPool("pool", poolSelector("app", "bad value!")), "selector value"),
		{
			name: "InvalidPool: v1 pool without target ports",
			cfg:  serviceMode,
			in:   input(model("m1", "llama", poolRefGroup(v1Group)), v1Pool("pool", v1PoolWithoutTargetPorts())),
			want: []wantModel{unrouted("m1", unresolved("InvalidPool", `"pool"`, "target port"), acceptedOK("llama"))},
		},
		{
			name: "InvalidPool: v1 pool with empty selector",
			cfg:  serviceMode,
			in:   input(model("m1", "llama", poolRefGroup(v1Group)), v1Pool("pool", v1PoolWithoutSelector())),
			want: []wantModel{unrouted("m1", unresolved("InvalidPool", `"pool"`, "selector"), acceptedOK("llama"))},
		},
		{
			name: "pool unfit for a Service is fine in inferencepool mode",
			in:   input(model("m1", "llama"), alphaPool("pool", poolTargetPort(0), poolSelector())),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
	})
}
