package translate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Condition types modelroute owns on an InferenceModel.
const (
	ConditionAccepted     = "Accepted"
	ConditionResolvedRefs = "ResolvedRefs"
	ConditionProgrammed   = "Programmed"
	// ConditionReady sums the three up, for `kubectl wait
	// --for=condition=Ready` and readers used to KServe and Knative: True
	// when they all are. See Health.
	ConditionReady = "Ready"
	// ConditionReconciling and ConditionStalled follow kstatus's
	// conventions (Flux's health checks, `kubectl wait`): present, and
	// True, only while the model waits for something that comes on its
	// own, or when it needs a person. See Health.
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
)

// ReasonReady is the reason of Ready=True.
const ReasonReady = "Ready"

// Reasons of the Accepted condition.
const (
	ReasonAccepted            = "Accepted"
	ReasonInvalidModelName    = "InvalidModelName"
	ReasonInvalidTargetModels = "InvalidTargetModels"
	ReasonModelNameInUse      = "ModelNameInUse"
	ReasonInvalidParentRefs   = "InvalidParentRefs"
	ReasonInvalidHostnames    = "InvalidHostnames"
	ReasonTooManyParentRefs   = "TooManyParentRefs"
	ReasonTooManyHostnames    = "TooManyHostnames"
	ReasonInvalidCriticality  = "InvalidCriticality"
	// Of an InferenceModelRewrite: a rule is invalid or does not fit one
	// HTTPRoute; no rule is left to route (catch-alls, names held by older
	// objects); some of its rules or models are not routed (True).
	ReasonInvalidRules      = "InvalidRules"
	ReasonNoRoutableRules   = "NoRoutableRules"
	ReasonPartiallyAccepted = "PartiallyAccepted"
)

// Reasons of the ResolvedRefs condition.
const (
	ReasonResolvedRefs = "ResolvedRefs"
	ReasonInvalidKind  = "InvalidKind"
	ReasonPoolNotFound = "PoolNotFound"
	// ReasonInvalidPool: in service mode the pool lacks what a Service
	// needs (a target port, a valid non-empty selector).
	ReasonInvalidPool = "InvalidPool"
)

// Reasons of the Programmed condition. Translate decides NoParentRefs,
// RouteShadowed and RouteConflict (names cut to the same route name) from
// the models; Observe decides the others from what the controller saw of
// the route: the write's outcome and the Gateways' verdicts.
const (
	ReasonProgrammed       = "Programmed"
	ReasonPending          = "Pending"
	ReasonNoParentRefs     = "NoParentRefs"
	ReasonRouteShadowed    = "RouteShadowed"
	ReasonRouteNotAccepted = "RouteNotAccepted"
	ReasonRouteConflict    = "RouteConflict"
	// ReasonUnsupportedFeature: a parent Gateway's class publishes its
	// supported features, and the route needs one it lacks.
	ReasonUnsupportedFeature = "UnsupportedFeature"
	// ReasonGatewayNotFound: a parent Gateway does not exist (yet).
	ReasonGatewayNotFound = "GatewayNotFound"
	// ReasonRouteWriteFailed and ReasonServiceWriteFailed: the API server
	// refused to write the route or the pool's shadow Service (RBAC, a
	// quota, an admission webhook, validation, a terminating namespace)
	// or could not be reached; the controller retries with backoff.
	ReasonRouteWriteFailed   = "RouteWriteFailed"
	ReasonServiceWriteFailed = "ServiceWriteFailed"
)

// ReasonServiceConflict is the reason of the Warning Event on an
// InferencePool whose shadow Service's name is held by a Service modelroute
// does not control (service mode).
const ReasonServiceConflict = "ServiceConflict"

// ModelConditionTypes are the conditions that say what modelroute made of
// a model, in the order it checks them.
var ModelConditionTypes = []string{ConditionResolvedRefs, ConditionAccepted, ConditionProgrammed}

// OwnedConditionTypes are the condition types modelroute writes, most
// important first (see MergeConditions); a type in this list but absent
// from a result is removed from the status.
var OwnedConditionTypes = []string{
	ConditionReady, ConditionAccepted, ConditionProgrammed, ConditionResolvedRefs, ConditionStalled, ConditionReconciling,
}

// WaitingReasons are the False reasons that resolve without a person:
// what is missing is most often created in the same rollout as the model
// (a GitOps tool applies pools and Gateways with the models), and the
// model is routed once it exists. They make a model Reconciling, not
// Stalled.
var WaitingReasons = []string{ReasonPoolNotFound, ReasonGatewayNotFound}

// Health returns conditions (the model's ResolvedRefs, Accepted and
// Programmed, for generation) with the summary conditions they imply,
// after dropping any earlier ones:
//   - Ready: True when the three are True; else False with the reason and
//     message of the first of them that is False; else Unknown with
//     Programmed's (the route waits for its Gateway).
//   - kstatus's Stalled=True, with the reason and message of the first of
//     them that is False for a reason only a person can fix; else
//     Reconciling=True, with those of the first that is False for one of
//     WaitingReasons or Unknown; else neither: the model is routed.
func Health(generation int64, conditions []metav1.Condition) []metav1.Condition {
	return healthOf(generation, conditions, ModelConditionTypes)
}

// healthOf is Health over the condition types that make an object of some
// kind ready; the last one's message is Ready's when all are True.
func healthOf(generation int64, conditions []metav1.Condition, types []string) []metav1.Condition {
	out := slices.DeleteFunc(slices.Clone(conditions), func(c metav1.Condition) bool {
		return c.Type == ConditionReady || c.Type == ConditionReconciling || c.Type == ConditionStalled
	})
	var falsy, stalled, waiting *metav1.Condition
	allTrue := true
	for _, t := range types {
		c := meta.FindStatusCondition(out, t)
		switch {
		case c == nil:
			allTrue = false
		case c.Status == metav1.ConditionFalse:
			allTrue = false
			falsy = cmp.Or(falsy, c)
			if slices.Contains(WaitingReasons, c.Reason) {
				waiting = cmp.Or(waiting, c)
			} else {
				stalled = cmp.Or(stalled, c)
			}
		case c.Status != metav1.ConditionTrue:
			allTrue = false
			waiting = cmp.Or(waiting, c)
		}
	}
	summary := func(t string, status metav1.ConditionStatus, from *metav1.Condition) metav1.Condition {
		return newCondition(generation, t, status, from.Reason, "%s", from.Message)
	}
	switch {
	case allTrue:
		last := meta.FindStatusCondition(out, types[len(types)-1])
		out = append(out, newCondition(generation, ConditionReady, metav1.ConditionTrue, ReasonReady, "%s", last.Message))
	case falsy != nil:
		out = append(out, summary(ConditionReady, metav1.ConditionFalse, falsy))
	case waiting != nil:
		out = append(out, summary(ConditionReady, metav1.ConditionUnknown, waiting))
	}
	switch {
	case stalled != nil:
		out = append(out, summary(ConditionStalled, metav1.ConditionTrue, stalled))
	case waiting != nil:
		out = append(out, summary(ConditionReconciling, metav1.ConditionTrue, waiting))
	}
	return out
}

// MaxConditions is the most conditions the InferenceModel schema allows
// in status.conditions (maxItems).
const MaxConditions = 8

// staleDefault reports the CRD's default condition (Ready/Pending, dated
// 1970), which no controller wrote.
func staleDefault(c metav1.Condition) bool {
	return c.Type == ConditionReady && c.Reason == ReasonPending && c.LastTransitionTime.Unix() == 0
}

// MergeConditions returns existing with the CRD's default condition
// dropped, owned types absent from computed removed, and computed applied
// with meta.SetStatusCondition (so lastTransitionTime only moves when the
// status does). now stamps new transitions; passing it in keeps this pure.
// Conditions of types modelroute does not own are kept as they are. When
// they leave room for only some of computed (the schema allows
// MaxConditions), the most important are kept (OwnedConditionTypes'
// order) and left names the types left out.
func MergeConditions(existing, computed []metav1.Condition, now metav1.Time) (merged []metav1.Condition, left []string) {
	out := make([]metav1.Condition, 0, len(existing)+len(computed))
	for _, c := range existing {
		if !staleDefault(c) {
			out = append(out, *c.DeepCopy())
		}
	}
	for _, t := range OwnedConditionTypes {
		if meta.FindStatusCondition(computed, t) == nil {
			meta.RemoveStatusCondition(&out, t)
		}
	}
	for _, c := range computed {
		c.LastTransitionTime = now
		meta.SetStatusCondition(&out, c)
	}
	if len(out) <= MaxConditions {
		return out, nil
	}
	room := MaxConditions
	for _, c := range out {
		if !slices.Contains(OwnedConditionTypes, c.Type) {
			room--
		}
	}
	for _, t := range OwnedConditionTypes {
		if meta.FindStatusCondition(out, t) == nil {
			continue
		}
		if room > 0 {
			room--
			continue
		}
		meta.RemoveStatusCondition(&out, t)
		left = append(left, t)
	}
	return out, left
}

// PendingMessage is the Programmed=Unknown message while the parents listed
// have not reported on the route; the controller uses it too, so that the
// message does not change when it first reads the route back.
func PendingMessage(route string, waiting []gatewayv1.ParentReference) string {
	names := make([]string, 0, len(waiting))
	for _, ref := range waiting {
		name := string(ptr.Deref(ref.Namespace, "")) + "/" + string(ref.Name)
		if ref.SectionName != nil {
			name += "/" + string(*ref.SectionName)
		}
		names = append(names, name)
	}
	return fmt.Sprintf("waiting for Gateway %s to accept HTTPRoute %q", strings.Join(names, ", "), route)
}
