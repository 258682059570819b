package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/translate"
)

// routeProgrammed reads the Gateways' verdict on a route: True when every
// spec parentRef has a status.parents entry, for the route's current
// generation, with Accepted=True and ResolvedRefs=True; False when a parent
// rejected it (carrying that parent's reason and message); Unknown while
// some parent has not reported on the current generation (a report on an
// older generation is about a spec that is gone). Entries without
// an Accepted condition (policy controllers) are not a verdict.
func routeProgrammed(route *gatewayv1.HTTPRoute) (status metav1.ConditionStatus, reason, message string) {
	var waiting []gatewayv1.ParentReference
	for _, ref := range route.Spec.ParentRefs {
		verdict := parentVerdict(route, ref)
		switch {
		case verdict == nil:
			waiting = append(waiting, ref)
		case verdict.Status != metav1.ConditionTrue:
			return metav1.ConditionFalse, translate.ReasonRouteNotAccepted,
				fmt.Sprintf("Gateway %s did not accept HTTPRoute %q: %s=%s %s: %s",
					parentName(route, ref), route.Name, verdict.Type, verdict.Status, verdict.Reason, verdict.Message)
		}
	}
	if len(waiting) > 0 {
		return metav1.ConditionUnknown, translate.ReasonPending, translate.PendingMessage(route.Name, waiting)
	}
	return metav1.ConditionTrue, translate.ReasonProgrammed,
		fmt.Sprintf("HTTPRoute %q is accepted by every parent Gateway", route.Name)
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

func sameParentRef(routeNamespace string, a, b gatewayv1.ParentReference) bool {
	group := func(r gatewayv1.ParentReference) gatewayv1.Group {
		if r.Group == nil {
			return gatewayv1.GroupName
		}
		return *r.Group
	}
	kind := func(r gatewayv1.ParentReference) gatewayv1.Kind {
		if r.Kind == nil {
			return "Gateway"
		}
		return *r.Kind
	}
	ns := func(r gatewayv1.ParentReference) gatewayv1.Namespace {
		if r.Namespace == nil || *r.Namespace == "" {
			return gatewayv1.Namespace(routeNamespace)
		}
		return *r.Namespace
	}
	section := func(r gatewayv1.ParentReference) gatewayv1.SectionName {
		if r.SectionName == nil {
			return ""
		}
		return *r.SectionName
	}
	port := func(r gatewayv1.ParentReference) gatewayv1.PortNumber {
		if r.Port == nil {
			return 0
		}
		return *r.Port
	}
	return group(a) == group(b) && kind(a) == kind(b) && ns(a) == ns(b) && a.Name == b.Name &&
		section(a) == section(b) && port(a) == port(b)
}

func parentName(route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference) string {
	ns := route.Namespace
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	name := ns + "/" + string(ref.Name)
	if ref.SectionName != nil {
		name += "/" + string(*ref.SectionName)
	}
	return name
}
