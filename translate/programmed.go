package translate

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// RequiredFeature is an Extended Gateway API feature a generated route
// relies on, and what for.
type RequiredFeature struct {
	Name features.FeatureName
	// Purpose says what the route loses on a Gateway without it.
	Purpose string
}

// RequiredFeatures lists the Extended Gateway API features route uses,
// sorted by name. Everything else modelroute generates (header matches,
// weights, rule-level header filters) is Core.
func RequiredFeatures(route *gatewayv1.HTTPRoute) []RequiredFeature {
	var out []RequiredFeature
	for _, rule := range route.Spec.Rules {
		for _, ref := range rule.BackendRefs {
			if len(ref.Filters) > 0 {
				return append(out, RequiredFeature{
					Name:    features.SupportHTTPRouteBackendRequestHeaderModification,
					Purpose: "its backendRef filters tell the model server which target model was picked",
				})
			}
		}
	}
	return out
}

// ParentGateway is what the cluster says about one Gateway a route
// attaches to: the GatewayClass it belongs to and the features that class
// publishes in status.supportedFeatures.
type ParentGateway struct {
	Namespace string
	Name      string
	Class     string
	// SupportedFeatures is the class's list. Empty means the class does not
	// say (Gateway API before 1.2, or not yet published): unknown, not
	// unsupported.
	SupportedFeatures []gatewayv1.SupportedFeature
}

// RouteProgrammed is model's Programmed condition for its route as the
// cluster sees it. False, UnsupportedFeature when a parent Gateway's class
// lists its features and lacks one the route needs (the Gateway may well
// accept the route and drop what it cannot do); otherwise the Gateways'
// verdict in the route's status: True when every spec parentRef has a
// status.parents entry for the route's current generation with
// Accepted=True and ResolvedRefs=True; False when a parent rejected it
// (with that parent's reason and message); Unknown while some parent has
// not reported on the current generation (a report on an older generation
// is about a spec that is gone). Entries without an Accepted condition
// (policy controllers) are not a verdict. gateways holds what is known of
// the parents; a parent missing from it is judged by its verdict alone.
func RouteProgrammed(model *v1alpha2.InferenceModel, route *gatewayv1.HTTPRoute, gateways []ParentGateway) metav1.Condition {
	if c, ok := unsupportedFeature(model, route, gateways); ok {
		return c
	}
	var waiting []gatewayv1.ParentReference
	for _, ref := range route.Spec.ParentRefs {
		verdict := parentVerdict(route, ref)
		switch {
		case verdict == nil:
			waiting = append(waiting, ref)
		case verdict.Status != metav1.ConditionTrue:
			return condition(model, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteNotAccepted,
				"Gateway %s did not accept HTTPRoute %q: %s=%s %s: %s",
				parentName(route.Namespace, ref), route.Name, verdict.Type, verdict.Status, verdict.Reason, verdict.Message)
		}
	}
	if len(waiting) > 0 {
		return condition(model, ConditionProgrammed, metav1.ConditionUnknown, ReasonPending, "%s", PendingMessage(route.Name, waiting))
	}
	return condition(model, ConditionProgrammed, metav1.ConditionTrue, ReasonProgrammed,
		"HTTPRoute %q is accepted by every parent Gateway", route.Name)
}

// ForeignRouteCondition is model's Programmed condition when an object
// modelroute does not control holds the name of its route: the controller
// leaves that object untouched.
func ForeignRouteCondition(model *v1alpha2.InferenceModel, route string) metav1.Condition {
	return condition(model, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteConflict,
		"HTTPRoute %q already exists and is not controlled by this InferenceModel; modelroute leaves it untouched: delete or rename it", route)
}

// unsupportedFeature finds the first parent, in spec order, whose class
// lists its features without one the route needs.
func unsupportedFeature(model *v1alpha2.InferenceModel, route *gatewayv1.HTTPRoute, gateways []ParentGateway) (metav1.Condition, bool) {
	required := RequiredFeatures(route)
	if len(required) == 0 {
		return metav1.Condition{}, false
	}
	for _, ref := range route.Spec.ParentRefs {
		gw := findGateway(gateways, route.Namespace, ref)
		if gw == nil || len(gw.SupportedFeatures) == 0 {
			continue
		}
		for _, f := range required {
			if slices.ContainsFunc(gw.SupportedFeatures, func(s gatewayv1.SupportedFeature) bool { return string(s.Name) == string(f.Name) }) {
				continue
			}
			return condition(model, ConditionProgrammed, metav1.ConditionFalse, ReasonUnsupportedFeature,
				"Gateway %s/%s (GatewayClass %q) does not support %s, which HTTPRoute %q needs: %s. "+
					"Use a Gateway whose class lists it in status.supportedFeatures, or turn target delivery off (--rewrite-header=\"\")",
				gw.Namespace, gw.Name, gw.Class, f.Name, route.Name, f.Purpose), true
		}
	}
	return metav1.Condition{}, false
}

func findGateway(gateways []ParentGateway, routeNamespace string, ref gatewayv1.ParentReference) *ParentGateway {
	if !isGatewayRef(ref) {
		return nil
	}
	ns := cmp.Or(string(ptr.Deref(ref.Namespace, "")), routeNamespace)
	for i := range gateways {
		if gateways[i].Namespace == ns && gateways[i].Name == string(ref.Name) {
			return &gateways[i]
		}
	}
	return nil
}

// isGatewayRef reports whether ref names a Gateway (the defaults of group
// and kind included).
func isGatewayRef(ref gatewayv1.ParentReference) bool {
	return ptr.Deref(ref.Group, gatewayv1.GroupName) == gatewayv1.GroupName && ptr.Deref(ref.Kind, "Gateway") == "Gateway"
}

// GatewayOf returns the namespace and name of the Gateway ref names, with
// the route's namespace as the default; ok is false for other parent kinds.
func GatewayOf(routeNamespace string, ref gatewayv1.ParentReference) (namespace, name string, ok bool) {
	if !isGatewayRef(ref) {
		return "", "", false
	}
	return cmp.Or(string(ptr.Deref(ref.Namespace, "")), routeNamespace), string(ref.Name), true
}

// parentVerdict returns the first failing or, failing none, the Accepted
// condition reported by the parent for the current generation; nil when the
// parent has not reported on it.
func parentVerdict(route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference) *metav1.Condition {
	for _, ps := range route.Status.Parents {
		if !sameParentRef(route.Namespace, ps.ParentRef, ref) {
			continue
		}
		accepted := meta.FindStatusCondition(ps.Conditions, string(gatewayv1.RouteConditionAccepted))
		if accepted == nil {
			continue // a policy controller's entry
		}
		if accepted.ObservedGeneration != route.Generation {
			return nil // stale: about an older spec
		}
		if accepted.Status != metav1.ConditionTrue {
			return accepted
		}
		resolved := meta.FindStatusCondition(ps.Conditions, string(gatewayv1.RouteConditionResolvedRefs))
		if resolved == nil || resolved.ObservedGeneration != route.Generation {
			return nil
		}
		if resolved.Status != metav1.ConditionTrue {
			return resolved
		}
		return accepted
	}
	return nil
}

// sameParentRef compares two parent references with the API's defaults
// filled in: the Gateway group and kind, and the route's namespace.
func sameParentRef(routeNamespace string, a, b gatewayv1.ParentReference) bool {
	ns := func(r gatewayv1.ParentReference) string {
		return cmp.Or(string(ptr.Deref(r.Namespace, "")), routeNamespace)
	}
	return ptr.Deref(a.Group, gatewayv1.GroupName) == ptr.Deref(b.Group, gatewayv1.GroupName) &&
		ptr.Deref(a.Kind, "Gateway") == ptr.Deref(b.Kind, "Gateway") &&
		ns(a) == ns(b) && a.Name == b.Name &&
		ptr.Deref(a.SectionName, "") == ptr.Deref(b.SectionName, "") && ptr.Deref(a.Port, 0) == ptr.Deref(b.Port, 0)
}

// parentName is NAMESPACE/NAME[/SECTION] of a parent reference.
func parentName(routeNamespace string, ref gatewayv1.ParentReference) string {
	name := cmp.Or(string(ptr.Deref(ref.Namespace, "")), routeNamespace) + "/" + string(ref.Name)
	if ref.SectionName != nil {
		name += "/" + string(*ref.SectionName)
	}
	return name
}
