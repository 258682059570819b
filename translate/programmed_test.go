package translate_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

const backendHeaderFeature = "HTTPRouteBackendRequestHeaderModification"

// TestObserve: the Programmed condition from what the controller saw of a
// route: the write's outcome, the route's status as the API server
// returned it, and the parent Gateways and their classes.
func TestObserve(t *testing.T) {
	gwRef := func(name, section string) gatewayv1.ParentReference { return gatewayRef("infra", name, section) }
	cond := func(t string, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
		return metav1.Condition{Type: t, Status: s, Reason: reason, Message: reason + " message", ObservedGeneration: gen}
	}
	accepted := func(gen int64) []metav1.Condition {
		return []metav1.Condition{cond("Accepted", "True", "Accepted", gen), cond("ResolvedRefs", "True", "ResolvedRefs", gen)}
	}
	parent := func(ref gatewayv1.ParentReference, controller string, conds ...metav1.Condition) gatewayv1.RouteParentStatus {
		return gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: gatewayv1.GatewayController(controller), Conditions: conds}
	}
	class := func(gateway, class string, features ...string) translate.ParentGateway {
		g := translate.ParentGateway{Namespace: "infra", Name: gateway, Class: class, ControllerName: "example.com/gw"}
		for _, f := range features {
			g.SupportedFeatures = append(g.SupportedFeatures, gatewayv1.SupportedFeature{Name: gatewayv1.FeatureName(f)})
		}
		return g
	}
	const gw = "example.com/gw"
	both := []translate.ParentGateway{class("a", "c"), class("b", "c")}
	// A parentRef written without defaults, as a Gateway may echo it.
	bare := gatewayv1.ParentReference{Name: "a", Namespace: ptr.To(gatewayv1.Namespace("infra"))}
	type want struct {
		Status  metav1.ConditionStatus
		Reason  string
		Message string
	}
	route := `"m-modelroute"`
	pendingA := want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute ` + route}
	programmedR := want{"True", "Programmed", `HTTPRoute ` + route + ` is accepted by every parent Gateway`}
	unsupportedA := want{"False", "UnsupportedFeature", `Gateway infra/a (GatewayClass "old") does not support ` + backendHeaderFeature +
		`, which HTTPRoute ` + route + ` needs: its backendRef filters tell the model server which target model was picked. ` +
		`Use a Gateway whose class lists it in status.supportedFeatures, or turn target delivery off (--rewrite-header="")`}
	inPlace := func(parents ...gatewayv1.RouteParentStatus) translate.Observation {
		return translate.Observation{Write: translate.RouteInPlace, Live: &gatewayv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: "m-modelroute", Namespace: testNS, Generation: 2},
			Status:     gatewayv1.HTTPRouteStatus{RouteStatus: gatewayv1.RouteStatus{Parents: parents}},
		}}
	}
	for _, tc := range []struct {
		name     string
		refs     string // the model's parent-refs annotation
		split    bool   // two targets: backendRef filters
		gateways []translate.ParentGateway
		obs      translate.Observation
		want     want
	}{
		{name: "offline: not written, not judged", refs: "infra/a", obs: translate.Observation{}, want: pendingA},
		{name: "created moments ago", refs: "infra/a", obs: translate.Observation{Write: translate.RouteAwaitingCache}, want: pendingA},
		{name: "no report yet", refs: "infra/a", obs: inPlace(), want: pendingA},
		{name: "accepted", refs: "infra/a", obs: inPlace(parent(gwRef("a", ""), gw, accepted(2)...)), want: programmedR},
		{name: "stale generation is not trusted", refs: "infra/a", obs: inPlace(parent(gwRef("a", ""), gw, accepted(1)...)), want: pendingA},
		{name: "a stale rejection is skipped, not taken as the verdict", refs: "infra/a",
			obs: inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "False", "NotAllowedByListeners", 1))), want: pendingA},
		{name: "stale ResolvedRefs is not trusted", refs: "infra/a",
			obs:  inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "True", "ResolvedRefs", 1))),
			want: pendingA},
		{name: "Accepted=Unknown is pending, not a rejection", refs: "infra/a",
			obs: inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "Unknown", "Pending", 2))), want: pendingA},
		{name: "rejected", refs: "infra/a", obs: inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "False", "NotAllowedByListeners", 2))),
			want: want{"False", "RouteNotAccepted", `Gateway infra/a did not accept HTTPRoute ` + route + `: Accepted=False NotAllowedByListeners: NotAllowedByListeners message`}},
		{name: "unresolved backend", refs: "infra/a",
			obs:  inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "False", "BackendNotFound", 2))),
			want: want{"False", "RouteNotAccepted", `Gateway infra/a did not accept HTTPRoute ` + route + `: ResolvedRefs=False BackendNotFound: BackendNotFound message`}},
		{name: "a shadow Service not there yet is awaited", refs: "infra/a",
			obs: func() translate.Observation {
				o := inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "False", "BackendNotFound", 2)))
				o.ServiceMissing = true
				return o
			}(),
			want: want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute ` + route + `: the shadow Service of its InferencePool is not there yet`}},
		{name: "only the class's controller judges: another implementation's entry does not count", refs: "infra/a",
			obs: inPlace(parent(gwRef("a", ""), "example.com/other", accepted(2)...)), want: pendingA},
		{name: "another implementation's rejection does not count either", refs: "infra/a",
			obs: inPlace(parent(gwRef("a", ""), "example.com/other", cond("Accepted", "False", "NoMatchingParent", 2)),
				parent(gwRef("a", ""), gw, accepted(2)...)),
			want: programmedR},
		{name: "one of two parents missing", refs: "infra/a,infra/b/http", obs: inPlace(parent(gwRef("a", ""), gw, accepted(2)...)),
			want: want{"Unknown", "Pending", `waiting for Gateway infra/b/http to accept HTTPRoute ` + route}},
		{name: "a rejection wins over a missing report", refs: "infra/a,infra/b",
			obs:  inPlace(parent(gwRef("b", ""), gw, cond("Accepted", "False", "NoMatchingParent", 2))),
			want: want{"False", "RouteNotAccepted", `Gateway infra/b did not accept HTTPRoute ` + route + `: Accepted=False NoMatchingParent: NoMatchingParent message`}},
		{name: "a report for another section does not count", refs: "infra/a/http", obs: inPlace(parent(gwRef("a", "https"), gw, accepted(2)...)),
			want: want{"Unknown", "Pending", `waiting for Gateway infra/a/http to accept HTTPRoute ` + route}},
		{name: "policy controller entries are skipped", refs: "infra/a",
			obs: inPlace(parent(gwRef("a", ""), "example.com/policy", cond("PolicyAttached", "True", "Attached", 2)),
				parent(gwRef("a", ""), gw, accepted(2)...)),
			want: programmedR},
		{name: "defaults are filled in", refs: "infra/a", obs: inPlace(parent(bare, gw, accepted(2)...)), want: programmedR},

		// The parent Gateways and their classes.
		{name: "a parent Gateway that does not exist", refs: "infra/a,infra/gone", obs: inPlace(parent(gwRef("a", ""), gw, accepted(2)...)),
			want: want{"False", "GatewayNotFound", `Gateway infra/gone, a parent of HTTPRoute ` + route + `, does not exist`}},
		{name: "a Gateway whose class does not exist waits for it", refs: "infra/a",
			gateways: []translate.ParentGateway{{Namespace: "infra", Name: "a", Class: "missing"}}, obs: inPlace(),
			want: want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute ` + route + `: its GatewayClass "missing" does not exist`}},
		{name: "per-target filters on a class without the feature", refs: "infra/a", split: true,
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute", "HTTPRouteHostRewrite")},
			obs:      inPlace(parent(gwRef("a", ""), gw, accepted(2)...)), want: unsupportedA},
		{name: "unsupported before any verdict", refs: "infra/a", split: true,
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute")}, obs: inPlace(), want: unsupportedA},
		{name: "unsupported wins over a rejection", refs: "infra/a", split: true,
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute")},
			obs:      inPlace(parent(gwRef("a", ""), gw, cond("Accepted", "False", "UnsupportedValue", 2))), want: unsupportedA},
		{name: "per-target filters on a class with the feature", refs: "infra/a", split: true,
			gateways: []translate.ParentGateway{class("a", "new", "HTTPRoute", backendHeaderFeature)},
			obs:      inPlace(parent(gwRef("a", ""), gw, accepted(2)...)), want: programmedR},
		{name: "a class that lists no features is unknown, not unsupported", refs: "infra/a", split: true,
			gateways: []translate.ParentGateway{class("a", "silent")},
			obs:      inPlace(parent(gwRef("a", ""), gw, accepted(2)...)), want: programmedR},
		{name: "a single target needs Core only", refs: "infra/a",
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute")},
			obs:      inPlace(parent(gwRef("a", ""), gw, accepted(2)...)), want: programmedR},
		{name: "the second of two parents lacks the feature", refs: "infra/b,infra/a", split: true,
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute"), class("b", "new", backendHeaderFeature)},
			obs:      inPlace(), want: unsupportedA},

		// The write's outcome.
		{name: "a write the API server refused", refs: "infra/a",
			obs:  translate.Observation{Write: translate.RouteWriteFailed, Error: `httproutes "m-modelroute" is forbidden: no`},
			want: want{"False", "RouteWriteFailed", `writing HTTPRoute ` + route + ` failed (retrying with backoff): httproutes "m-modelroute" is forbidden: no`}},
		{name: "an API error of any length is capped", refs: "infra/a",
			obs: translate.Observation{Write: translate.RouteWriteFailed, Error: strings.Repeat("é", 2000)},
			want: want{"False", "RouteWriteFailed", translate.Truncate(`writing HTTPRoute `+route+` failed (retrying with backoff): `+
				strings.Repeat("é", 2000), translate.MaxConditionMessage)}},
		{name: "a foreign object holds the name", refs: "infra/a", obs: translate.Observation{Write: translate.RouteForeign},
			want: want{"False", "RouteConflict", `HTTPRoute ` + route + ` already exists and is not controlled by this InferenceModel; modelroute leaves it untouched: delete or rename it`}},
		{name: "the route of a deleted model of the same name is on its way out", refs: "infra/a",
			obs:  translate.Observation{Write: translate.RouteReplacing},
			want: want{"Unknown", "Pending", `HTTPRoute ` + route + ` belongs to a deleted InferenceModel of the same name: modelroute deletes it, then creates this model's`}},
		{name: "the pool's shadow Service could not be written", refs: "infra/a",
			obs:  translate.Observation{Write: translate.RouteInPlace, ServiceError: "services is forbidden"},
			want: want{"False", "ServiceWriteFailed", `writing the shadow Service of its InferencePool failed (retrying with backoff): services is forbidden`}},
		{name: "no parents, written", refs: "", obs: inPlace(),
			want: want{"False", "NoParentRefs", `no parent Gateway is configured (flag --parent-ref or annotation modelroute.dev/parent-refs): HTTPRoute ` + route + ` attaches nowhere`}},
		{name: "no parents, the write refused", refs: "",
			obs:  translate.Observation{Write: translate.RouteWriteFailed, Error: "quota exceeded"},
			want: want{"False", "RouteWriteFailed", `writing HTTPRoute ` + route + ` failed (retrying with backoff): quota exceeded`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []modelOpt{generation(7), parentRefsAnnotation(tc.refs)}
			if tc.split {
				opts = append(opts, targets(weightedTarget("x", 1), weightedTarget("y", 1)))
			}
			in := input(model("m", "m", opts...), alphaPool("pool"))
			in.Cluster = &translate.Cluster{Gateways: cmpOr(tc.gateways, both)}
			out, err := translateWith(in, config())
			if err != nil {
				t.Fatal(err)
			}
			got := out.Models[0].Observe(tc.obs)
			c := meta.FindStatusCondition(got, "Programmed")
			if c == nil || c.ObservedGeneration != 7 {
				t.Fatalf("conditions %v: want Programmed for the model's generation 7", got)
			}
			if diff := cmp.Diff(tc.want, want{c.Status, c.Reason, c.Message}); diff != "" {
				t.Errorf("Observe (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(translate.Health(7, got[:3]), got); diff != "" {
				t.Errorf("Observe's summary conditions differ from Health's (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpOr is a when it is not empty, else b.
func cmpOr[T any](a, b []T) []T {
	if len(a) > 0 {
		return a
	}
	return b
}

func TestRequiredFeatures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model v1alpha2.InferenceModel
		cfg   translate.Config
		want  []string
	}{
		{"no targets", model("plain", "plain"), config(), nil},
		{"one target (rule-level filter)", model("alias", "alias", targets(target("real"))), config(), nil},
		{"two targets", model("split", "split", targets(weightedTarget("a", 9), weightedTarget("b", 1))), config(), []string{backendHeaderFeature}},
		{"two targets, target delivery off", model("split", "split", targets(weightedTarget("a", 9), weightedTarget("b", 1))),
			config(func(c *translate.Config) { c.RewriteHeader = "" }), nil},
		{"criticality header only", model("crit", "crit"), config(func(c *translate.Config) { c.CriticalityHeader = "X-Criticality" }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := translateWith(input(tc.model, alphaPool("pool")), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range translate.RequiredFeatures(out.Models[0].Route) {
				got = append(got, string(f.Name))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("RequiredFeatures (-want +got):\n%s", diff)
			}
		})
	}
}
