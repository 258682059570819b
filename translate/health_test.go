package translate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/translate"
)

func TestHealth(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: typ + " says " + reason, ObservedGeneration: 7}
	}
	resolved := cond("ResolvedRefs", "True", "ResolvedRefs")
	accepted := cond("Accepted", "True", "Accepted")
	programmed := cond("Programmed", "True", "Programmed")
	pending := cond("Programmed", "Unknown", "Pending")
	summary := func(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: 7}
	}
	with := func(cs ...metav1.Condition) []metav1.Condition { return cs }
	for _, tc := range []struct {
		name string
		in   []metav1.Condition
		want []metav1.Condition
	}{
		{"routed: Ready, no kstatus condition", with(resolved, accepted, programmed),
			with(resolved, accepted, programmed, summary("Ready", "True", "Ready", "Programmed says Programmed"))},
		{"waiting for the Gateway: Ready Unknown, Reconciling", with(resolved, accepted, pending),
			with(resolved, accepted, pending, summary("Ready", "Unknown", "Pending", "Programmed says Pending"),
				summary("Reconciling", "True", "Pending", "Programmed says Pending"))},
		{"no pool yet: Ready False, Reconciling, not Stalled", with(cond("ResolvedRefs", "False", "PoolNotFound"), accepted),
			with(cond("ResolvedRefs", "False", "PoolNotFound"), accepted, summary("Ready", "False", "PoolNotFound", "ResolvedRefs says PoolNotFound"),
				summary("Reconciling", "True", "PoolNotFound", "ResolvedRefs says PoolNotFound"))},
		{"no Gateway yet: Reconciling", with(resolved, accepted, cond("Programmed", "False", "GatewayNotFound")),
			with(resolved, accepted, cond("Programmed", "False", "GatewayNotFound"),
				summary("Ready", "False", "GatewayNotFound", "Programmed says GatewayNotFound"),
				summary("Reconciling", "True", "GatewayNotFound", "Programmed says GatewayNotFound"))},
		{"name taken: Stalled", with(resolved, cond("Accepted", "False", "ModelNameInUse")),
			with(resolved, cond("Accepted", "False", "ModelNameInUse"), summary("Ready", "False", "ModelNameInUse", "Accepted says ModelNameInUse"),
				summary("Stalled", "True", "ModelNameInUse", "Accepted says ModelNameInUse"))},
		{"rejected by the Gateway: Stalled", with(resolved, accepted, cond("Programmed", "False", "RouteNotAccepted")),
			with(resolved, accepted, cond("Programmed", "False", "RouteNotAccepted"),
				summary("Ready", "False", "RouteNotAccepted", "Programmed says RouteNotAccepted"),
				summary("Stalled", "True", "RouteNotAccepted", "Programmed says RouteNotAccepted"))},
		{"a write refused: Stalled", with(resolved, accepted, cond("Programmed", "False", "RouteWriteFailed")),
			with(resolved, accepted, cond("Programmed", "False", "RouteWriteFailed"),
				summary("Ready", "False", "RouteWriteFailed", "Programmed says RouteWriteFailed"),
				summary("Stalled", "True", "RouteWriteFailed", "Programmed says RouteWriteFailed"))},
		{"the first False decides Ready, in checking order",
			with(cond("Accepted", "False", "InvalidModelName"), cond("ResolvedRefs", "False", "InvalidKind")),
			with(cond("Accepted", "False", "InvalidModelName"), cond("ResolvedRefs", "False", "InvalidKind"),
				summary("Ready", "False", "InvalidKind", "ResolvedRefs says InvalidKind"),
				summary("Stalled", "True", "InvalidKind", "ResolvedRefs says InvalidKind"))},
		{"what needs a person wins over what waits: Stalled on the later one",
			with(cond("ResolvedRefs", "False", "PoolNotFound"), cond("Accepted", "False", "InvalidTargetModels")),
			with(cond("ResolvedRefs", "False", "PoolNotFound"), cond("Accepted", "False", "InvalidTargetModels"),
				summary("Ready", "False", "PoolNotFound", "ResolvedRefs says PoolNotFound"),
				summary("Stalled", "True", "InvalidTargetModels", "Accepted says InvalidTargetModels"))},
		{"earlier summary conditions are replaced",
			with(summary("Stalled", "True", "PoolNotFound", "old"), resolved, accepted, pending, summary("Ready", "False", "X", "old"),
				summary("Reconciling", "True", "Pending", "old")),
			with(resolved, accepted, pending, summary("Ready", "Unknown", "Pending", "Programmed says Pending"),
				summary("Reconciling", "True", "Pending", "Programmed says Pending"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, translate.Health(7, tc.in)); diff != "" {
				t.Errorf("Health (-want +got):\n%s", diff)
			}
		})
	}
}
