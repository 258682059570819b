package translate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// Migration is what replaces a set of InferenceModels: per model, an
// InferenceModelRewrite of the same name and namespace (one rule: its
// modelName to its targets, or to itself) and, when it sets a
// criticality, an InferenceObjective of the same name. Notes say what
// cannot be migrated exactly; the objects are written all the same.
type Migration struct {
	Rewrites   []v1alpha2.InferenceModelRewrite
	Objectives []v1alpha2.InferenceObjective
	Notes      []string
}

// PriorityOf maps a criticality to an InferenceObjective priority: higher
// is served first, negative is sheddable, and 0 is what the endpoint
// picker assumes of a request that names no objective (Standard, as
// InferenceModel's default is).
var PriorityOf = map[v1alpha2.Criticality]int{
	v1alpha2.Critical:  1,
	v1alpha2.Standard:  0,
	v1alpha2.Sheddable: -1,
}

// migrationDropsAnnotations are not carried to the new objects: kubectl's
// record of the old object would make the next apply remove fields.
var migrationDropsAnnotations = []string{"kubectl.kubernetes.io/last-applied-configuration"}

// Migrate writes the objects that replace models in group (GroupLLMD or
// GroupInferenceAlpha). Their routes, translated with the same
// configuration, have the models' routes' names and specs (a rewrite with
// one rule routes as a model does). A model that is invalid, or that
// loses its modelName to an older model of its pool (which the migrated
// objects, created anew, could not tell), gets a note.
func Migrate(models []v1alpha2.InferenceModel, group string) Migration {
	var out Migration
	states := make([]*modelState, 0, len(models))
	sorted := uniqueModels(models)
	for i := range sorted {
		m := &sorted[i]
		s := &modelState{model: m}
		ref := m.Spec.PoolRef
		s.ref = poolKey{Namespace: m.Namespace, Group: PoolGroupOf(KindInferenceModel, string(ref.Group)), Name: string(ref.Name)}
		s.kindOK = true
		if reason, msg := validateSpec(&m.Spec); reason != "" {
			out.Notes = append(out.Notes, fmt.Sprintf("InferenceModel %s/%s is not migrated: %s: %s", m.Namespace, m.Name, reason, msg))
			continue
		}
		states = append(states, s)
	}
	decideUniqueness(states)
	for _, s := range states {
		m := s.model
		if s.accepted.Status != metav1.ConditionTrue {
			out.Notes = append(out.Notes, fmt.Sprintf(
				"InferenceModel %s/%s: %s; migrated objects are created anew, so the oldest no longer decides: delete one of them, or give it another modelName, before you apply",
				m.Namespace, m.Name, s.accepted.Message))
		}
		meta := metav1.ObjectMeta{
			Name:        m.Name,
			Namespace:   m.Namespace,
			Labels:      maps.Clone(m.Labels),
			Annotations: maps.Clone(m.Annotations),
		}
		for _, k := range migrationDropsAnnotations {
			delete(meta.Annotations, k)
		}
		if len(meta.Annotations) == 0 {
			meta.Annotations = nil
		}
		rewrite, objective := successorsOf(m, s.ref.Group, group, meta)
		out.Rewrites = append(out.Rewrites, rewrite)
		if objective != nil {
			out.Objectives = append(out.Objectives, *objective)
		}
	}
	slices.Sort(out.Notes)
	return out
}

// successorsOf are the InferenceModelRewrite (one rule: the modelName to
// its targets, or to itself) and, when the model sets a criticality, the
// InferenceObjective of group that do what model does, with meta;
// poolGroup is its poolRef's group, defaulted.
func successorsOf(m *v1alpha2.InferenceModel, poolGroup, group string, meta metav1.ObjectMeta) (v1alpha2.InferenceModelRewrite, *v1alpha2.InferenceObjective) {
	apiVersion := group + "/" + v1alpha2.GroupVersion.Version
	// The successors' poolRef defaults to the v1 group: spell it out.
	poolRef := v1alpha2.SuccessorPoolReference{
		Group: v1alpha2.Group(poolGroup),
		Kind:  v1alpha2.Kind(cmp.Or(string(m.Spec.PoolRef.Kind), KindInferencePool)),
		Name:  m.Spec.PoolRef.Name,
	}
	rule := v1alpha2.InferenceModelRewriteRule{
		Matches: []v1alpha2.Match{{Model: v1alpha2.ModelMatch{Value: m.Spec.ModelName}}},
	}
	for _, t := range targetsOf(&m.Spec) {
		rt := v1alpha2.TargetModelRewrite{ModelRewrite: t.name}
		if len(m.Spec.TargetModels) > 0 && m.Spec.TargetModels[0].Weight != nil {
			rt.Weight = ptr.To(t.weight)
		}
		rule.Targets = append(rule.Targets, rt)
	}
	rewrite := v1alpha2.InferenceModelRewrite{
		ObjectMeta: meta,
		Spec:       v1alpha2.InferenceModelRewriteSpec{PoolRef: poolRef, Rules: []v1alpha2.InferenceModelRewriteRule{rule}},
	}
	rewrite.APIVersion, rewrite.Kind = apiVersion, KindInferenceModelRewrite
	if m.Spec.Criticality == nil {
		return rewrite, nil
	}
	objective := &v1alpha2.InferenceObjective{
		ObjectMeta: *meta.DeepCopy(),
		Spec: v1alpha2.InferenceObjectiveSpec{
			Priority: ptr.To(PriorityOf[*m.Spec.Criticality]),
			PoolRef:  poolRef,
		},
	}
	objective.APIVersion, objective.Kind = apiVersion, KindInferenceObjective
	return rewrite, objective
}

// emittedSuccessors are the InferenceModelRewrite and InferenceObjective
// --epp-api gives a routed model: named as its route, labelled and owned
// like it.
func emittedSuccessors(s *modelState, cfg Config) (*v1alpha2.InferenceModelRewrite, *v1alpha2.InferenceObjective) {
	m := s.model
	meta := metav1.ObjectMeta{
		Name:      RouteName(m.Name),
		Namespace: m.Namespace,
		Labels: map[string]string{
			LabelManagedBy:      ManagedByValue,
			LabelInferenceModel: LabelValue(m.Name),
		},
	}
	if m.UID != "" {
		meta.OwnerReferences = []metav1.OwnerReference{controllerRef(v1alpha2.GroupVersion.String(), "InferenceModel", m.Name, m.UID)}
	}
	rewrite, objective := successorsOf(m, s.ref.Group, cfg.EPPAPI, meta)
	// As the API server defaults it: a live rewrite then equals this one.
	rewrite.Spec.Rules[0].Matches[0].Model.Type = ptr.To(v1alpha2.MatchExact)
	return &rewrite, objective
}

// EmittedForModel reports whether obj is one modelroute made for an
// InferenceModel (--epp-api): its label, and an InferenceModel its
// controller. Such rewrites are output, not input: routing them too would
// claim the model's name twice.
func EmittedForModel(obj metav1.Object) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && obj.GetLabels()[LabelManagedBy] == ManagedByValue &&
		ref.Kind == "InferenceModel" && ref.APIVersion == v1alpha2.GroupVersion.String()
}
