package controllers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestRouteProgrammed(t *testing.T) {
	gw := func(name, section string) gatewayv1.ParentReference {
		ref := gatewayv1.ParentReference{
			Group: ptrTo(gatewayv1.Group(gatewayv1.GroupName)), Kind: ptrTo(gatewayv1.Kind("Gateway")),
			Namespace: ptrTo(gatewayv1.Namespace("infra")), Name: gatewayv1.ObjectName(name),
		}
		if section != "" {
			ref.SectionName = ptrTo(gatewayv1.SectionName(section))
		}
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
	// A parentRef written without defaults, as a Gateway may echo it.
	bare := gatewayv1.ParentReference{Name: "a"}
	type want struct {
		Status  metav1.ConditionStatus
		Reason  string
		Message string
	}
	for _, tc := range []struct {
		name    string
		refs    []gatewayv1.ParentReference
		parents []gatewayv1.RouteParentStatus
		want    want
	}{
		{"no report yet", []gatewayv1.ParentReference{gw("a", "")}, nil,
			want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute "r"`}},
		{"accepted", []gatewayv1.ParentReference{gw("a", "")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", ""), "gw", accepted(2)...)},
			want{"True", "Programmed", `HTTPRoute "r" is accepted by every parent Gateway`}},
		{"stale generation is not trusted", []gatewayv1.ParentReference{gw("a", "")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", ""), "gw", accepted(1)...)},
			want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute "r"`}},
		{"stale ResolvedRefs is not trusted", []gatewayv1.ParentReference{gw("a", "")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", ""), "gw", cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "True", "ResolvedRefs", 1))},
			want{"Unknown", "Pending", `waiting for Gateway infra/a to accept HTTPRoute "r"`}},
		{"rejected", []gatewayv1.ParentReference{gw("a", "")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", ""), "gw", cond("Accepted", "False", "NotAllowedByListeners", 2))},
			want{"False", "RouteNotAccepted", `Gateway infra/a did not accept HTTPRoute "r": Accepted=False NotAllowedByListeners: NotAllowedByListeners message`}},
		{"unresolved backend", []gatewayv1.ParentReference{gw("a", "")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", ""), "gw", cond("Accepted", "True", "Accepted", 2), cond("ResolvedRefs", "False", "BackendNotFound", 2))},
			want{"False", "RouteNotAccepted", `Gateway infra/a did not accept HTTPRoute "r": ResolvedRefs=False BackendNotFound: BackendNotFound message`}},
		{"one of two parents missing", []gatewayv1.ParentReference{gw("a", ""), gw("b", "http")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", ""), "gw", accepted(2)...)},
			want{"Unknown", "Pending", `waiting for Gateway infra/b/http to accept HTTPRoute "r"`}},
		{"a rejection wins over a missing report", []gatewayv1.ParentReference{gw("a", ""), gw("b", "")},
			[]gatewayv1.RouteParentStatus{parent(gw("b", ""), "gw", cond("Accepted", "False", "NoMatchingParent", 2))},
			want{"False", "RouteNotAccepted", `Gateway infra/b did not accept HTTPRoute "r": Accepted=False NoMatchingParent: NoMatchingParent message`}},
		{"a report for another section does not count", []gatewayv1.ParentReference{gw("a", "http")},
			[]gatewayv1.RouteParentStatus{parent(gw("a", "https"), "gw", accepted(2)...)},
			want{"Unknown", "Pending", `waiting for Gateway infra/a/http to accept HTTPRoute "r"`}},
		{"policy controller entries are skipped", []gatewayv1.ParentReference{gw("a", "")},
			[]gatewayv1.RouteParentStatus{
				parent(gw("a", ""), "policy", cond("PolicyAttached", "True", "Attached", 2)),
				parent(gw("a", ""), "gw", accepted(2)...),
			},
			want{"True", "Programmed", `HTTPRoute "r" is accepted by every parent Gateway`}},
		{"defaults and the route namespace are filled in", []gatewayv1.ParentReference{{
			Group: ptrTo(gatewayv1.Group(gatewayv1.GroupName)), Kind: ptrTo(gatewayv1.Kind("Gateway")),
			Namespace: ptrTo(gatewayv1.Namespace("ns")), Name: "a",
		}},
			[]gatewayv1.RouteParentStatus{parent(bare, "gw", accepted(2)...)},
			want{"True", "Programmed", `HTTPRoute "r" is accepted by every parent Gateway`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			route := &gatewayv1.HTTPRoute{
				ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "ns", Generation: 2},
				Spec:       gatewayv1.HTTPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: tc.refs}},
				Status:     gatewayv1.HTTPRouteStatus{RouteStatus: gatewayv1.RouteStatus{Parents: tc.parents}},
			}
			var got want
			got.Status, got.Reason, got.Message = routeProgrammed(route)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("routeProgrammed (-want +got):\n%s", diff)
			}
		})
	}
}
