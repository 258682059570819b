package translate

import (
	"cmp"
	"fmt"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Event is one Kubernetes Event to record about an InferenceModel.
type Event struct {
	Type   string // corev1.EventTypeNormal or corev1.EventTypeWarning
	Reason string
	Note   string
}

// TransitionEvents are the Events a status write from before to after
// gives (the kstatus conditions, which repeat the others, give none): a
// Warning for each ResolvedRefs, Accepted or Programmed turned False, with its reason;
// the other transitions in one Normal Event, led by Accepted's (whose
// reason it takes, else the first one's). A condition transitions when it
// appears or its status or reason changes. A new model thus costs one
// Event, not three: each is an API write, and client-go's Event broadcaster
// holds a goroutine per Event until its rate limiter lets it through.
func TransitionEvents(before, after []metav1.Condition) []Event {
	var events, normal []Event
	for _, t := range ModelConditionTypes {
		old, now := meta.FindStatusCondition(before, t), meta.FindStatusCondition(after, t)
		if now == nil || (old != nil && old.Status == now.Status && old.Reason == now.Reason) {
			continue
		}
		e := Event{Reason: now.Reason, Note: fmt.Sprintf("%s=%s: %s", now.Type, now.Status, now.Message)}
		switch {
		case now.Status == metav1.ConditionFalse:
			e.Type, e.Note = corev1.EventTypeWarning, EventNote(e.Note)
			events = append(events, e)
		case now.Type == ConditionAccepted:
			normal = append([]Event{e}, normal...)
		default:
			normal = append(normal, e)
		}
	}
	if len(normal) == 0 {
		return events
	}
	notes := make([]string, len(normal))
	reason := ""
	for i, e := range normal {
		notes[i], reason = e.Note, cmp.Or(reason, e.Reason)
	}
	return append(events, Event{Type: corev1.EventTypeNormal, Reason: reason, Note: EventNote(strings.Join(notes, "; "))})
}

// MaxEventNote is the longest note, in bytes, the API server takes in an
// events.k8s.io/v1 Event; a condition message quoting a modelName of 256
// four-byte characters is longer.
const MaxEventNote = 1024

// MaxConditionMessage is the longest condition message modelroute writes,
// in bytes: messages quote user input (an annotation, a Gateway's own
// message) of any length, and the schema takes at most 32768 bytes per
// message.
const MaxConditionMessage = 1024

// EventNote cuts note to MaxEventNote bytes (see Truncate).
func EventNote(note string) string { return Truncate(note, MaxEventNote) }

// Truncate cuts s to at most limit bytes, on a character boundary, marking
// the cut with an ellipsis.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
