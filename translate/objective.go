package translate

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// ObjectiveConditionTypes make an InferenceObjective Ready.
var ObjectiveConditionTypes = []string{ConditionResolvedRefs, ConditionAccepted}

// ObjectiveResult is the status of one InferenceObjective: ResolvedRefs
// (its pool exists) and Accepted, with Ready and kstatus's Reconciling or
// Stalled as for a model (see Health). An objective owns nothing; the
// endpoint picker reads it.
type ObjectiveResult struct {
	APIVersion string
	Namespace  string
	Name       string
	Conditions []metav1.Condition
}

func checkObjectives(in []v1alpha2.InferenceObjective, pools map[poolKey]*pool, unservedGroups map[string]string) []ObjectiveResult {
	objectives := slices.Clone(in)
	slices.SortStableFunc(objectives, func(a, b v1alpha2.InferenceObjective) int {
		return cmp.Or(cmp.Compare(groupOf(a.APIVersion), groupOf(b.APIVersion)),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(canonical(a), canonical(b)))
	})
	objectives = slices.CompactFunc(objectives, func(a, b v1alpha2.InferenceObjective) bool {
		return groupOf(a.APIVersion) == groupOf(b.APIVersion) && a.Namespace == b.Namespace && a.Name == b.Name
	})
	out := make([]ObjectiveResult, 0, len(objectives))
	for i := range objectives {
		o := &objectives[i]
		ref := o.Spec.PoolRef
		// An objective needs no Service: it is resolved as in inferencepool mode.
		_, _, _, resolved := resolvePool(o.Generation, o.Namespace, KindInferenceObjective, string(ref.Group),
			string(ref.Kind), string(ref.Name), pools, unservedGroups, Config{Backend: BackendInferencePool})
		accepted := newCondition(o.Generation, ConditionAccepted, metav1.ConditionTrue, ReasonAccepted,
			"priority %d%s", priorityOf(o), sheddable(priorityOf(o)))
		out = append(out, ObjectiveResult{
			APIVersion: o.APIVersion,
			Namespace:  o.Namespace,
			Name:       o.Name,
			Conditions: healthOf(o.Generation, []metav1.Condition{resolved, accepted}, ObjectiveConditionTypes),
		})
	}
	return out
}

func priorityOf(o *v1alpha2.InferenceObjective) int {
	if o.Spec.Priority == nil {
		return 0
	}
	return *o.Spec.Priority
}

func sheddable(priority int) string {
	if priority < 0 {
		return " (negative: sheddable)"
	}
	return ""
}
