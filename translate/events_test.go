package translate_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/translate"
)

func TestTransitionEvents(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message}
	}
	resolved := cond("ResolvedRefs", "True", "ResolvedRefs", "pool found")
	accepted := cond("Accepted", "True", "Accepted", "name is unique")
	pending := cond("Programmed", "Unknown", "Pending", "waiting")
	programmed := cond("Programmed", "True", "Programmed", "accepted")
	poolNotFound := cond("ResolvedRefs", "False", "PoolNotFound", "no pool")
	nameInUse := cond("Accepted", "False", "ModelNameInUse", "taken")
	foreign := cond("Ready", "False", "SomethingElse", "another controller's")
	for _, tc := range []struct {
		name          string
		before, after []metav1.Condition
		want          []translate.Event
	}{
		{"a new model: one Normal Event, led by Accepted", nil, []metav1.Condition{resolved, accepted, pending},
			[]translate.Event{{"Normal", "Accepted", "Accepted=True: name is unique; ResolvedRefs=True: pool found; Programmed=Unknown: waiting"}}},
		{"nothing changed", []metav1.Condition{resolved, accepted, pending}, []metav1.Condition{resolved, accepted, pending}, nil},
		{"only the message changed", []metav1.Condition{resolved}, []metav1.Condition{cond("ResolvedRefs", "True", "ResolvedRefs", "other")}, nil},
		{"one transition without Accepted takes its own reason",
			[]metav1.Condition{resolved, accepted, pending}, []metav1.Condition{resolved, accepted, programmed},
			[]translate.Event{{"Normal", "Programmed", "Programmed=True: accepted"}}},
		{"a condition turned False is a Warning with its reason",
			[]metav1.Condition{resolved, accepted, pending}, []metav1.Condition{poolNotFound, accepted},
			[]translate.Event{{"Warning", "PoolNotFound", "ResolvedRefs=False: no pool"}}},
		{"Warnings first, in type order, then the Normal Event",
			nil, []metav1.Condition{poolNotFound, nameInUse, programmed},
			[]translate.Event{
				{"Warning", "PoolNotFound", "ResolvedRefs=False: no pool"},
				{"Warning", "ModelNameInUse", "Accepted=False: taken"},
				{"Normal", "Programmed", "Programmed=True: accepted"},
			}},
		{"a removed condition is no transition", []metav1.Condition{resolved, accepted, pending}, []metav1.Condition{resolved, accepted}, nil},
		{"conditions modelroute does not own are not reported", nil, []metav1.Condition{foreign}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, translate.TransitionEvents(tc.before, tc.after)); diff != "" {
				t.Errorf("TransitionEvents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventNote(t *testing.T) {
	for _, tc := range []struct {
		name, note, want string
	}{
		{"short", "Accepted=True: fine", "Accepted=True: fine"},
		{"exactly the limit", strings.Repeat("a", 1024), strings.Repeat("a", 1024)},
		{"one byte over", strings.Repeat("a", 1025), strings.Repeat("a", 1021) + "…"},
		// 4-byte characters: the cut falls back to a character boundary.
		{"multi-byte characters", strings.Repeat("𝔪", 300), strings.Repeat("𝔪", 255) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := translate.EventNote(tc.note)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("EventNote (-want +got):\n%s", diff)
			}
			if len(got) > translate.MaxEventNote {
				t.Errorf("EventNote is %d bytes; the API takes %d", len(got), translate.MaxEventNote)
			}
		})
	}
}
