package translate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

const backendHeaderFeature = "HTTPRouteBackendRequestHeaderModification"

func TestRouteProgrammed(t *testing.T) {
	gwRef := func(name, section string) gatewayv1.ParentReference {
		ref := gatewayRef("infra", name, section)
		return ref
	}
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
		g := translate.ParentGateway{Namespace: "infra", Name: gateway, Class: class}
		for _, f := range features {
			g.SupportedFeatures = append(g.SupportedFeatures, gatewayv1.SupportedFeature{Name: gatewayv1.FeatureName(f)})
		}
		return g
	}
	// A parentRef written without defaults, as a Gateway may echo it.
	bare := gatewayv1.ParentReference{Name: "a"}
	// One target: a rule-level filter (Core). Two: backendRef filters.
	oneTarget := gatewayv1.HTTPRouteRule{BackendRefs: []gatewayv1.HTTPBackendRef{{}}, Filters: []gatewayv1.HTTPRouteFilter{{Type: "RequestHeaderModifier"}}}
	perTarget := gatewayv1.HTTPRouteRule{BackendRefs: []gatewayv1.HTTPBackendRef{
		{Filters: []gatewayv1.HTTPRouteFilter{{Type: "RequestHeaderModifier"}}},
		{Filters: []gatewayv1.HTTPRouteFilter{{Type: "RequestHeaderModifier"}}},
	}}
	type want struct {
		Status  metav1.ConditionStatus
		Reason  string
		Message string
	}
	pendingA := want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute "r"`}
	programmedR := want{"True", "Programmed", `HTTPRoute "r" is accepted by every parent Gateway`}
	unsupportedA := want{"False", "UnsupportedFeature", `Gateway infra/a (GatewayClass "old") does not support ` + backendHeaderFeature +
		`, which HTTPRoute "r" needs: its backendRef filters tell the model server which target model was picked. ` +
		`Use a Gateway whose class lists it in status.supportedFeatures, or turn target delivery off (--rewrite-header="")`}
	for _, tc := range []struct {
		name     string
		refs     []gatewayv1.ParentReference
		rule     gatewayv1.HTTPRouteRule
		parents  []gatewayv1.RouteParentStatus
		gateways []translate.ParentGateway
		want     want
	}{
		{name: "no report yet", refs: []gatewayv1.ParentReference{gwRef("a", "")}, want: pendingA},
		{name: "accepted", refs: []gatewayv1.ParentReference{gwRef("a", "")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(2)...)},
			want:    programmedR},
		{name: "stale generation is not trusted", refs: []gatewayv1.ParentReference{gwRef("a", "")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(1)...)},
			want:    pendingA},
		{name: "stale ResolvedRefs is not trusted", refs: []gatewayv1.ParentReference{gwRef("a", "")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "True", "ResolvedRefs", 1))},
			want:    pendingA},
		{name: "rejected", refs: []gatewayv1.ParentReference{gwRef("a", "")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", cond("Accepted", "False", "NotAllowedByListeners", 2))},
			want:    want{"False", "RouteNotAccepted", `Gateway infra/a did not accept HTTPRoute "r": Accepted=False NotAllowedByListeners: NotAllowedByListeners message`}},
		{name: "unresolved backend", refs: []gatewayv1.ParentReference{gwRef("a", "")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "False", "BackendNotFound", 2))},
			want:    want{"False", "RouteNotAccepted", `Gateway infra/a did not accept HTTPRoute "r": ResolvedRefs=False BackendNotFound: BackendNotFound message`}},
		{name: "one of two parents missing", refs: []gatewayv1.ParentReference{gwRef("a", ""), gwRef("b", "http")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(2)...)},
			want:    want{"Unknown", "Pending", `waiting for Gateway infra/b/http to accept HTTPRoute "r"`}},
		{name: "a rejection wins over a missing report", refs: []gatewayv1.ParentReference{gwRef("a", ""), gwRef("b", "")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("b", ""), "gw", cond("Accepted", "False", "NoMatchingParent", 2))},
			want:    want{"False", "RouteNotAccepted", `Gateway infra/b did not accept HTTPRoute "r": Accepted=False NoMatchingParent: NoMatchingParent message`}},
		{name: "a report for another section does not count", refs: []gatewayv1.ParentReference{gwRef("a", "http")},
			parents: []gatewayv1.RouteParentStatus{parent(gwRef("a", "https"), "gw", accepted(2)...)},
			want:    want{"Unknown", "Pending", `waiting for Gateway infra/a/http to accept HTTPRoute "r"`}},
		{name: "policy controller entries are skipped", refs: []gatewayv1.ParentReference{gwRef("a", "")},
			parents: []gatewayv1.RouteParentStatus{
				parent(gwRef("a", ""), "policy", cond("PolicyAttached", "True", "Attached", 2)),
				parent(gwRef("a", ""), "gw", accepted(2)...),
			},
			want: programmedR},
		{name: "defaults and the route namespace are filled in", refs: []gatewayv1.ParentReference{gatewayRef("ns", "a", "")},
			parents: []gatewayv1.RouteParentStatus{parent(bare, "gw", accepted(2)...)},
			want:    programmedR},

		// What the Gateway's class says it supports.
		{name: "per-target filters on a class without the feature", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: perTarget,
			parents:  []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(2)...)},
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute", "HTTPRouteHostRewrite")},
			want:     unsupportedA},
		{name: "unsupported before any verdict", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: perTarget,
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute")},
			want:     unsupportedA},
		{name: "unsupported wins over a rejection", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: perTarget,
			parents:  []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", cond("Accepted", "False", "UnsupportedValue", 2))},
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute")},
			want:     unsupportedA},
		{name: "per-target filters on a class with the feature", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: perTarget,
			parents:  []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(2)...)},
			gateways: []translate.ParentGateway{class("a", "new", "HTTPRoute", backendHeaderFeature)},
			want:     programmedR},
		{name: "a class that lists no features is unknown, not unsupported", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: perTarget,
			parents:  []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(2)...)},
			gateways: []translate.ParentGateway{class("a", "silent")},
			want:     programmedR},
		{name: "a Gateway that is not known is judged by its verdict", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: perTarget,
			gateways: []translate.ParentGateway{class("other", "old", "HTTPRoute")},
			want:     pendingA},
		{name: "a single target needs Core only", refs: []gatewayv1.ParentReference{gwRef("a", "")}, rule: oneTarget,
			parents:  []gatewayv1.RouteParentStatus{parent(gwRef("a", ""), "gw", accepted(2)...)},
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute")},
			want:     programmedR},
		{name: "the second of two parents lacks the feature", refs: []gatewayv1.ParentReference{gwRef("b", ""), gwRef("a", "")}, rule: perTarget,
			gateways: []translate.ParentGateway{class("a", "old", "HTTPRoute"), class("b", "new", backendHeaderFeature)},
			want:     unsupportedA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns", Generation: 7}}
			route := &gatewayv1.HTTPRoute{
				ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ns", Generation: 2},
				Spec: gatewayv1.HTTPRouteSpec{
					CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: tc.refs},
					Rules:           []gatewayv1.HTTPRouteRule{tc.rule},
				},
				Status: gatewayv1.HTTPRouteStatus{RouteStatus: gatewayv1.RouteStatus{Parents: tc.parents}},
			}
			c := translate.RouteProgrammed(model, route, tc.gateways)
			if c.Type != translate.ConditionProgrammed || c.ObservedGeneration != 7 {
				t.Errorf("condition %s for generation %d; want Programmed for the model's generation 7", c.Type, c.ObservedGeneration)
			}
			if diff := cmp.Diff(tc.want, want{c.Status, c.Reason, c.Message}); diff != "" {
				t.Errorf("RouteProgrammed (-want +got):\n%s", diff)
			}
		})
	}
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
			out, err := translate.Translate(input(tc.model, alphaPool("pool")), tc.cfg)
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
