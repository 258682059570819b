package translate_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// Routes

func TestTranslateRouteShapes(t *testing.T) {
	long := strings.Repeat("a", 250)
	runCases(t, []translateCase{
		{
			name: "no targets: one backendRef to the pool, full object",
			in:   input(model("m1", "llama", generation(3)), alphaPool("pool")),
			want: []wantModel{{
				ns: "ns", name: "m1",
				conds: []metav1.Condition{
					wantCondition("ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", 3, `"pool"`),
					wantCondition("Accepted", metav1.ConditionTrue, "Accepted", 3, `"llama"`),
					wantCondition("Programmed", metav1.ConditionUnknown, "Pending", 3, "m1-modelroute"),
				},
				route: &gatewayv1.HTTPRoute{
					TypeMeta: metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
					ObjectMeta: metav1.ObjectMeta{
						Name:      "m1-modelroute",
						Namespace: "ns",
						Labels: map[string]string{
							"app.kubernetes.io/managed-by":   "modelroute",
							"modelroute.dev/inference-model": "m1",
						},
						OwnerReferences: []metav1.OwnerReference{{
							APIVersion:         "inference.networking.x-k8s.io/v1alpha2",
							Kind:               "InferenceModel",
							Name:               "m1",
							UID:                "uid-m1",
							Controller:         ptr.To(true),
							BlockOwnerDeletion: ptr.To(true),
						}},
					},
					Spec: gatewayv1.HTTPRouteSpec{
						CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
							Group:     ptr.To(gatewayv1.Group("gateway.networking.k8s.io")),
							Kind:      ptr.To(gatewayv1.Kind("Gateway")),
							Namespace: ptr.To(gatewayv1.Namespace("gw")),
							Name:      "main",
						}}},
						Rules: []gatewayv1.HTTPRouteRule{{
							Matches: []gatewayv1.HTTPRouteMatch{{
								Path: &gatewayv1.HTTPPathMatch{
									Type:  ptr.To(gatewayv1.PathMatchPathPrefix),
									Value: ptr.To("/"),
								},
								Headers: []gatewayv1.HTTPHeaderMatch{{
									Type:  ptr.To(gatewayv1.HeaderMatchExact),
									Name:  "X-Gateway-Model-Name",
									Value: "llama",
								}},
							}},
							// Clients cannot pick the target: the headers a
							// model server or EPP reads it from are removed.
							Filters: []gatewayv1.HTTPRouteFilter{{
								Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
								RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{
									Remove: []string{"X-Gateway-Model-Name-Rewrite", "x-llm-d-model-name-rewrite"},
								},
							}},
							BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
								BackendObjectReference: gatewayv1.BackendObjectReference{
									Group: ptr.To(gatewayv1.Group("inference.networking.x-k8s.io")),
									Kind:  ptr.To(gatewayv1.Kind("InferencePool")),
									Name:  "pool",
								},
								Weight: ptr.To(int32(1)),
							}}},
						}},
					},
				},
			}},
		},
		{
			name: "single target equal to modelName: the rewrite header removed",
			in:   input(model("m1", "llama", targets(target("llama"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "single weighted target equal to modelName: the rewrite header removed, weight kept",
			in:   input(model("m1", "llama", targets(weightedTarget("llama", 5))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeBackendRefs(poolBackendRef(alphaGroup, "pool", 5))))},
		},
		{
			name: "single target different from modelName: rule-level rewrite",
			in:   input(model("m1", "llama", targets(target("llama-lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleSetsHeaders(header(rewriteHeader, "llama-lora"))))},
		},
		{
			name: "one distinct target repeated: rule-level rewrite, one backendRef per target",
			in:   input(model("m1", "llama", targets(weightedTarget("v2", 30), weightedTarget("v2", 70))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleSetsHeaders(header(rewriteHeader, "v2")),
				routeBackendRefs(poolBackendRef(alphaGroup, "pool", 30), poolBackendRef(alphaGroup, "pool", 70))))},
		},
		{
			name: "two distinct targets: per-backend rewrite in spec order, the rule removes the alias",
			in:   input(model("m1", "llama", targets(weightedTarget("b", 90), weightedTarget("a", 10))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter(nil, rewriteAlias),
				routeBackendRefs(
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 90), "b"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 10), "a"),
				)))},
		},
		{
			name: "unweighted distinct targets weigh 1 each",
			in:   input(model("m1", "llama", targets(target("c"), target("a"), target("b"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter(nil, rewriteAlias),
				routeBackendRefs(
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1), "c"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1), "a"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1), "b"),
				)))},
		},
		{
			name: "two distinct targets, one equal to modelName: both get a per-backend filter",
			in:   input(model("m1", "llama", targets(weightedTarget("llama", 1), weightedTarget("llama-lora", 3))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter(nil, rewriteAlias),
				routeBackendRefs(
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1), "llama"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 3), "llama-lora"),
				)))},
		},
		{
			name: "ten targets (the maximum), duplicates among them",
			in: input(model("m1", "llama", targets(
				weightedTarget("a", 1), weightedTarget("b", 2), weightedTarget("a", 3), weightedTarget("c", 4), weightedTarget("d", 5),
				weightedTarget("e", 6), weightedTarget("f", 7), weightedTarget("g", 8), weightedTarget("h", 9), weightedTarget("i", 1000000),
			)), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter(nil, rewriteAlias),
				routeBackendRefs(
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1), "a"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 2), "b"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 3), "a"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 4), "c"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 5), "d"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 6), "e"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 7), "f"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 8), "g"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 9), "h"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1000000), "i"),
				)))},
		},
		{
			name: "rewrite header disabled: single different target, only the alias removed",
			cfg:  func(c *translate.Config) { c.RewriteHeader = "" },
			in:   input(model("m1", "llama", targets(target("llama-lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeRuleFilter(nil, rewriteAlias)))},
		},
		{
			name: "rewrite header disabled: distinct targets get no backendRef filters",
			cfg:  func(c *translate.Config) { c.RewriteHeader = "" },
			in:   input(model("m1", "llama", targets(weightedTarget("a", 1), weightedTarget("b", 2))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter(nil, rewriteAlias),
				routeBackendRefs(poolBackendRef(alphaGroup, "pool", 1), poolBackendRef(alphaGroup, "pool", 2))))},
		},
		{
			name: "custom rewrite header name",
			cfg:  func(c *translate.Config) { c.RewriteHeader = "X-Target" },
			in:   input(model("m1", "llama", targets(target("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeRuleSetsHeaders(header("X-Target", "lora"))))},
		},
		{
			name: "criticality header, criticality unset: Standard",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = criticalityHeader },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter([]gatewayv1.HTTPHeader{header(criticalityHeader, "Standard")}, rewriteHeader, rewriteAlias)))},
		},
		{
			name: "criticality header, criticality set, target equal to modelName",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = criticalityHeader },
			in:   input(model("m1", "llama", criticality("Critical"), targets(target("llama"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleFilter([]gatewayv1.HTTPHeader{header(criticalityHeader, "Critical")}, rewriteHeader, rewriteAlias)))},
		},
		{
			name: "criticality header and single different target share the rule filter, sorted by name",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = criticalityHeader },
			in:   input(model("m1", "llama", criticality("Sheddable"), targets(target("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleSetsHeaders(header(criticalityHeader, "Sheddable"), header(rewriteHeader, "lora"))))},
		},
		{
			name: "criticality header sorted after rewrite header when its name is greater",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = "Z-Priority" },
			in:   input(model("m1", "llama", criticality("Critical"), targets(target("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleSetsHeaders(header(rewriteHeader, "lora"), header("Z-Priority", "Critical"))))},
		},
		{
			name: "criticality header with distinct targets: rule sets criticality, backends set targets",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = criticalityHeader },
			in:   input(model("m1", "llama", criticality("Critical"), targets(weightedTarget("a", 1), weightedTarget("b", 2))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeRuleSetsHeaders(header(criticalityHeader, "Critical")),
				routeBackendRefs(
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 1), "a"),
					withRewriteHeader(poolBackendRef(alphaGroup, "pool", 2), "b"),
				)))},
		},
		{
			name: "criticality header with rewrite disabled",
			cfg: func(c *translate.Config) {
				c.CriticalityHeader = criticalityHeader
				c.RewriteHeader = ""
			},
			in:   input(model("m1", "llama", targets(target("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeRuleSetsHeaders(header(criticalityHeader, "Standard"))))},
		},
		{
			name: "multiple path prefixes: one match each, sorted and deduplicated",
			cfg:  func(c *translate.Config) { c.PathPrefixes = []string{"/v1", "/", "/v1", "/api/chat"} },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeMatches(
				prefixAndHeaderMatch("/", modelHeader, "llama"),
				prefixAndHeaderMatch("/api/chat", modelHeader, "llama"),
				prefixAndHeaderMatch("/v1", modelHeader, "llama"),
			)))},
		},
		{
			name: "custom model header",
			cfg:  func(c *translate.Config) { c.ModelHeader = "X-Model" },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeMatches(prefixAndHeaderMatch("/", "X-Model", "llama"))))},
		},
		{
			name: "configured hostnames: sorted and deduplicated",
			cfg: func(c *translate.Config) {
				c.Hostnames = []gatewayv1.Hostname{"b.example.com", "a.example.com", "*.example.net", "a.example.com"}
			},
			in: input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeHostnames("*.example.net", "a.example.com", "b.example.com")))},
		},
		{
			name: "configured parent refs: sorted, deduplicated, section refs of a whole-Gateway ref dropped",
			cfg: func(c *translate.Config) {
				c.ParentRefs = []gatewayv1.ParentReference{
					gatewayRef("gw", "z", ""), gatewayRef("gw", "main", "http"), gatewayRef("other", "a", "https"),
					gatewayRef("gw", "main", ""), gatewayRef("gw", "z", ""), gatewayRef("other", "a", "http"),
				}
			},
			in: input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeParentRefs(
				gatewayRef("gw", "main", ""), gatewayRef("gw", "z", ""), gatewayRef("other", "a", "http"), gatewayRef("other", "a", "https"),
			)))},
		},
		{
			name: "no parent refs configured: route without parents, NoParentRefs",
			cfg:  func(c *translate.Config) { c.ParentRefs = nil },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedNoParentRefs("m1-modelroute")},
				wantRoute("m1", "llama", routeParentRefs())}},
		},
		{
			name: "model parent-refs annotation wins over pool's and config",
			in: input(
				model("m1", "llama", parentRefsAnnotation("edge/public/https, edge/internal")),
				alphaPool("pool", poolParentRefsAnnotation("pools/gw")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeParentRefs(gatewayRef("edge", "internal", ""), gatewayRef("edge", "public", "https"))))},
		},
		{
			name: "pool parent-refs annotation wins over config",
			in: input(
				model("m1", "llama"),
				model("m2", "other", onPool("pool-b")),
				alphaPool("pool", poolParentRefsAnnotation("pools/gw,pools/gw2/sec")),
				alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", routeParentRefs(gatewayRef("pools", "gw", ""), gatewayRef("pools", "gw2", "sec")))),
				routedOnPool(testNS, "m2", "pool-b", "other", wantRoute("m2", "other",
					routeBackendRefs(poolBackendRef(alphaGroup, "pool-b", 1)))),
			},
		},
		{
			name: "v1 pool parent-refs annotation wins over config",
			in:   input(model("m1", "llama", poolRefGroup(v1Group)), v1Pool("pool", v1PoolParentRefsAnnotation("v1ns/gw"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeParentRefs(gatewayRef("v1ns", "gw", "")), routeBackendRefs(poolBackendRef(v1Group, "pool", 1))))},
		},
		{
			name: "empty model parent-refs annotation means no parents, whatever pool and config say",
			in:   input(model("m1", "llama", parentRefsAnnotation("")), alphaPool("pool", poolParentRefsAnnotation("pools/gw"))),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedNoParentRefs("m1-modelroute")},
				wantRoute("m1", "llama", routeParentRefs())}},
		},
		{
			name: "empty pool parent-refs annotation means no parents",
			in:   input(model("m1", "llama"), alphaPool("pool", poolParentRefsAnnotation(""))),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedNoParentRefs("m1-modelroute")},
				wantRoute("m1", "llama", routeParentRefs())}},
		},
		{
			name: "blank list in parent-refs annotation means no parents",
			in:   input(model("m1", "llama", parentRefsAnnotation(" , ,")), alphaPool("pool")),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedNoParentRefs("m1-modelroute")},
				wantRoute("m1", "llama", routeParentRefs())}},
		},
		{
			name: "model annotation overrides an invalid pool annotation",
			in:   input(model("m1", "llama", parentRefsAnnotation("a/b")), alphaPool("pool", poolParentRefsAnnotation("not a ref"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeParentRefs(gatewayRef("a", "b", ""))))},
		},
		{
			name: "model hostnames annotation wins over pool's and config",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in: input(
				model("m1", "llama", hostnamesAnnotation("b.example.com, a.example.com")),
				alphaPool("pool", poolHostnamesAnnotation("p.example.com")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeHostnames("a.example.com", "b.example.com")))},
		},
		{
			name: "pool hostnames annotation wins over config",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama"), alphaPool("pool", poolHostnamesAnnotation("*.p.example.com"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeHostnames("*.p.example.com")))},
		},
		{
			name: "empty model hostnames annotation clears pool and config hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama", hostnamesAnnotation("")), alphaPool("pool", poolHostnamesAnnotation("p.example.com"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "empty pool hostnames annotation clears config hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama"), alphaPool("pool", poolHostnamesAnnotation(""))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "parents and hostnames are resolved independently: model parents, pool hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in: input(
				model("m1", "llama", parentRefsAnnotation("edge/public")),
				alphaPool("pool", poolParentRefsAnnotation("pools/gw"), poolHostnamesAnnotation("p.example.com")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeParentRefs(gatewayRef("edge", "public", "")), routeHostnames("p.example.com")))},
		},
		{
			name: "parents and hostnames are resolved independently: pool parents, model hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in: input(
				model("m1", "llama", hostnamesAnnotation("m.example.com")),
				alphaPool("pool", poolParentRefsAnnotation("pools/gw"), poolHostnamesAnnotation("p.example.com")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeParentRefs(gatewayRef("pools", "gw", "")), routeHostnames("m.example.com")))},
		},
		{
			name: "config hostnames apply when no annotation",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama", parentRefsAnnotation("edge/public")), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				routeParentRefs(gatewayRef("edge", "public", "")), routeHostnames("c.example.com")))},
		},
		{
			name: "v1 pool: backendRef group inference.networking.k8s.io",
			in:   input(model("m1", "llama", poolRefGroup(v1Group)), v1Pool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeBackendRefs(poolBackendRef(v1Group, "pool", 1))))},
		},
		{
			name: "v1 pool with explicit kind",
			in:   input(model("m1", "llama", poolRefGroup(v1Group), poolRefKind("InferencePool")), v1Pool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeBackendRefs(poolBackendRef(v1Group, "pool", 1))))},
		},
		{
			name: "explicit alpha group and kind",
			in:   input(model("m1", "llama", poolRefGroup(alphaGroup), poolRefKind("InferencePool")), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "alpha and v1 pools of one name: each model gets its own group",
			in: input(
				model("m1", "llama"),
				model("m2", "mistral", poolRefGroup(v1Group)),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routed("m2", "mistral", wantRoute("m2", "mistral", routeBackendRefs(poolBackendRef(v1Group, "pool", 1)))),
			},
		},
		{
			name: "model without UID: no ownerReferences",
			in:   input(model("m1", "llama", withoutUID()), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", routeWithoutOwner()))},
		},
		{
			name: "long model name: route name and label cut and hashed",
			in:   input(model(long, "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, long,
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"),
					programmedPending(strings.Repeat("a", 231) + "-3f3e35e0a7-modelroute")},
				wantRoute(long, "llama", routeNameAndLabel(
					strings.Repeat("a", 231)+"-3f3e35e0a7-modelroute",
					strings.Repeat("a", 52)+"-3f3e35e0a7",
				))}},
		},
		{
			name: "model name of 242 characters keeps the plain route name (253 total)",
			in:   input(model(strings.Repeat("b", 242), "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, strings.Repeat("b", 242),
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), programmedPending(strings.Repeat("b", 242) + "-modelroute")},
				wantRoute(strings.Repeat("b", 242), "llama", func(r *gatewayv1.HTTPRoute) {
					r.Labels["modelroute.dev/inference-model"] = strings.Repeat("b", 52) + "-" + hash10(strings.Repeat("b", 242))
				})}},
		},
		{
			name: "models sorted by namespace then name; routes in their namespaces",
			in: input(
				model("z", "m-z", inNamespace("ns-b")),
				model("a", "m-a", inNamespace("ns-b")),
				model("m", "m-m", inNamespace("ns-a")),
				alphaPool("pool", poolInNamespace("ns-b")),
				alphaPool("pool", poolInNamespace("ns-a")),
			),
			want: []wantModel{
				routedOnPool("ns-a", "m", "pool", "m-m", wantRoute("m", "m-m", routeInNamespace("ns-a"))),
				routedOnPool("ns-b", "a", "pool", "m-a", wantRoute("a", "m-a", routeInNamespace("ns-b"))),
				routedOnPool("ns-b", "z", "pool", "m-z", wantRoute("z", "m-z", routeInNamespace("ns-b"))),
			},
		},
		{
			name: "no models: empty output",
			in:   input(alphaPool("pool")),
			want: nil,
		},
	})
}

// hash10 is the first 10 hex digits of sha256(s), precomputed for the few
// inputs the tests use (computed outside Go with sha256sum).
func hash10(s string) string {
	known := map[string]string{
		strings.Repeat("b", 242): "6b8af27134",
	}
	h, ok := known[s]
	if !ok {
		panic("hash10: no precomputed hash for " + s)
	}
	return h
}
