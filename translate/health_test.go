package translate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
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
	health := func(typ, reason, message string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: "True", Reason: reason, Message: message, ObservedGeneration: 7}
	}
	for _, tc := range []struct {
		name string
		in   []metav1.Condition
		want []metav1.Condition
	}{
		{"routed: neither", []metav1.Condition{resolved, accepted, programmed}, []metav1.Condition{resolved, accepted, programmed}},
		{"waiting for the Gateway: Reconciling", []metav1.Condition{resolved, accepted, pending},
			[]metav1.Condition{resolved, accepted, pending, health("Reconciling", "Pending", "Programmed says Pending")}},
		{"no pool: Stalled", []metav1.Condition{cond("ResolvedRefs", "False", "PoolNotFound"), accepted},
			[]metav1.Condition{cond("ResolvedRefs", "False", "PoolNotFound"), accepted, health("Stalled", "PoolNotFound", "ResolvedRefs says PoolNotFound")}},
		{"name taken: Stalled", []metav1.Condition{resolved, cond("Accepted", "False", "ModelNameInUse")},
			[]metav1.Condition{resolved, cond("Accepted", "False", "ModelNameInUse"), health("Stalled", "ModelNameInUse", "Accepted says ModelNameInUse")}},
		{"rejected by the Gateway: Stalled", []metav1.Condition{resolved, accepted, cond("Programmed", "False", "RouteNotAccepted")},
			[]metav1.Condition{resolved, accepted, cond("Programmed", "False", "RouteNotAccepted"), health("Stalled", "RouteNotAccepted", "Programmed says RouteNotAccepted")}},
		{"the first False decides, in checking order",
			[]metav1.Condition{cond("Accepted", "False", "InvalidModelName"), cond("ResolvedRefs", "False", "InvalidKind")},
			[]metav1.Condition{cond("Accepted", "False", "InvalidModelName"), cond("ResolvedRefs", "False", "InvalidKind"), health("Stalled", "InvalidKind", "ResolvedRefs says InvalidKind")}},
		{"earlier health conditions are replaced",
			[]metav1.Condition{health("Stalled", "PoolNotFound", "old"), resolved, accepted, pending, health("Reconciling", "Pending", "old")},
			[]metav1.Condition{resolved, accepted, pending, health("Reconciling", "Pending", "Programmed says Pending")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Generation: 7}}
			if diff := cmp.Diff(tc.want, translate.Health(model, tc.in)); diff != "" {
				t.Errorf("Health (-want +got):\n%s", diff)
			}
		})
	}
}
