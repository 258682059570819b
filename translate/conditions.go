package translate

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// Condition types modelroute owns on an InferenceModel.
const (
	ConditionAccepted     = "Accepted"
	ConditionResolvedRefs = "ResolvedRefs"
	ConditionProgrammed   = "Programmed"
	// ConditionReconciling and ConditionStalled follow kstatus's
	// conventions (Flux's health checks, `kubectl wait`): present, and
	// True, only while the model waits for its Gateway, or after one of
	// the three above turned False. See Health.
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
)

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
// RouteShadowed and Pending from the models; RouteProgrammed decides
// Programmed, RouteNotAccepted and UnsupportedFeature from what the cluster
// says of the route; the controller adds RouteConflict for a route name
// held by an object it does not control.
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
)

// ReasonServiceConflict is the reason of the Warning Event on an
// InferencePool whose shadow Service's name is held by a Service modelroute
// does not control (service mode).
const ReasonServiceConflict = "ServiceConflict"

// ModelConditionTypes are the conditions that say what modelroute made of
// a model, in the order it checks them.
var ModelConditionTypes = []string{ConditionResolvedRefs, ConditionAccepted, ConditionProgrammed}

// OwnedConditionTypes are the condition types modelroute writes; a type in
// this list but absent from a result is removed from the status.
var OwnedConditionTypes = append(slices.Clone(ModelConditionTypes), ConditionReconciling, ConditionStalled)

// Health returns conditions (the model's ResolvedRefs, Accepted and
// Programmed, for model's generation) with the kstatus condition they
// imply: Stalled=True, with the reason and message of the first of them
// that is False, for what needs a person; else Reconciling=True while
// Programmed is Unknown (the Gateway has yet to accept the route); else
// neither: the model is routed. The model's own health conditions in
// conditions are dropped first.
func Health(model *v1alpha2.InferenceModel, conditions []metav1.Condition) []metav1.Condition {
	out := slices.DeleteFunc(slices.Clone(conditions), func(c metav1.Condition) bool {
		return c.Type == ConditionReconciling || c.Type == ConditionStalled
	})
	for _, t := range ModelConditionTypes {
		if c := meta.FindStatusCondition(out, t); c != nil && c.Status == metav1.ConditionFalse {
			return append(out, condition(model, ConditionStalled, metav1.ConditionTrue, c.Reason, "%s", c.Message))
		}
	}
	if c := meta.FindStatusCondition(out, ConditionProgrammed); c != nil && c.Status == metav1.ConditionUnknown {
		return append(out, condition(model, ConditionReconciling, metav1.ConditionTrue, c.Reason, "%s", c.Message))
	}
	return out
}

// staleDefault reports the CRD's default condition (Ready/Pending), which
// no controller maintains and which would confuse readers.
func staleDefault(c metav1.Condition) bool {
	return c.Type == "Ready" && c.Reason == ReasonPending
}

// MergeConditions returns existing with the CRD-default Ready condition
// dropped, owned types absent from computed removed, and computed applied
// with meta.SetStatusCondition (so lastTransitionTime only moves when the
// status does). now stamps new transitions; passing it in keeps this pure.
// Conditions of types modelroute does not own are kept as they are.
func MergeConditions(existing, computed []metav1.Condition, now metav1.Time) []metav1.Condition {
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
	return out
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
