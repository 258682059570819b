package translate

import (
	"cmp"
	"slices"
	"strings"

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

// needsBackendFilters reports whether the route of a model with spec has
// backendRef filters: one per target of a split, to name the target.
func needsBackendFilters(spec *v1alpha2.InferenceModelSpec, cfg Config) bool {
	return cfg.RewriteHeader != "" && len(distinctNames(targetsOf(spec))) > 1
}

// ParentGateway is what the cluster says about one Gateway a route
// attaches to: the GatewayClass it belongs to, that class's controller and
// the features it publishes in status.supportedFeatures.
type ParentGateway struct {
	Namespace string
	Name      string
	Class     string
	// ControllerName is the class's spec.controllerName: only that
	// controller's entries in a route's status.parents are the Gateway's
	// verdict. Empty when the class does not exist.
	ControllerName gatewayv1.GatewayController
	// SupportedFeatures is the class's list. Empty means the class does not
	// say (Gateway API before 1.2, or not yet published): unknown, not
	// unsupported.
	SupportedFeatures []gatewayv1.SupportedFeature
}

// lacksFeature reports whether gw's class lists its features without f.
func lacksFeature(gw *ParentGateway, f features.FeatureName) bool {
	return len(gw.SupportedFeatures) > 0 && !slices.ContainsFunc(gw.SupportedFeatures, func(s gatewayv1.SupportedFeature) bool {
		return string(s.Name) == string(f)
	})
}

// RouteWrite is what became of a model's route when the controller made
// it match the desired one.
type RouteWrite int

const (
	// RouteNotWritten: nothing is known (offline): the route is assumed
	// written and not yet judged by its Gateways.
	RouteNotWritten RouteWrite = iota
	// RouteInPlace: the route is as desired; Observation.Live is the route
	// as the API server last returned it (from the write, or the cache).
	RouteInPlace
	// RouteAwaitingCache: created moments ago; the cache has not seen it.
	RouteAwaitingCache
	// RouteForeign: an object modelroute does not control holds the name.
	RouteForeign
	// RouteReplacing: the name is held by the route of a deleted
	// InferenceModel of the same name, which the controller deletes.
	RouteReplacing
	// RouteWriteFailed: the API server refused the write or could not be
	// reached; Observation.Error says why.
	RouteWriteFailed
)

// Observation is what the controller saw when it wrote a model's route.
type Observation struct {
	Write RouteWrite
	// Live is the route after the write (RouteInPlace): its generation
	// and status are read.
	Live *gatewayv1.HTTPRoute
	// Error is the API error of a RouteWriteFailed write.
	Error string
	// Service mode: ServiceError is why the pool's shadow Service could
	// not be written; ServiceMissing says that it is not there yet.
	ServiceError   string
	ServiceMissing bool
}

// Observe returns the model's conditions given what the controller saw of
// its route: ResolvedRefs, Accepted, Programmed (when the model is
// routable), Ready, and Stalled or Reconciling (see Health).
func (r ModelResult) Observe(obs Observation) []metav1.Condition {
	conditions := slices.Clone(r.checks)
	if p := r.programmed(obs); p != nil {
		conditions = append(conditions, *p)
	}
	return Health(r.generation, conditions)
}

func (r ModelResult) kindName() string { return cmp.Or(r.kind, "InferenceModel") }

func (r ModelResult) noun() string {
	if r.kind == KindInferenceModelRewrite {
		return "rewrite"
	}
	return "model"
}

// programmed is the Programmed condition, nil for a model that is not
// routable.
func (r ModelResult) programmed(obs Observation) *metav1.Condition {
	if r.Route == nil {
		return r.decided
	}
	gen, name := r.generation, r.Route.Name
	switch obs.Write {
	case RouteWriteFailed:
		return ptr.To(newCondition(gen, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteWriteFailed,
			"writing HTTPRoute %q failed (retrying with backoff): %s", name, obs.Error))
	case RouteForeign:
		return ptr.To(newCondition(gen, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteConflict,
			"HTTPRoute %q already exists and is not controlled by this %s; modelroute leaves it untouched: delete or rename it", name, r.kindName()))
	case RouteReplacing:
		return ptr.To(newCondition(gen, ConditionProgrammed, metav1.ConditionUnknown, ReasonPending,
			"HTTPRoute %q belongs to a deleted %s of the same name: modelroute deletes it, then creates this %s's", name, r.kindName(), r.noun()))
	}
	if obs.ServiceError != "" {
		return ptr.To(newCondition(gen, ConditionProgrammed, metav1.ConditionFalse, ReasonServiceWriteFailed,
			"writing the shadow Service of its InferencePool failed (retrying with backoff): %s", obs.ServiceError))
	}
	if r.decided != nil {
		return r.decided
	}
	if obs.Write != RouteInPlace || obs.Live == nil {
		return ptr.To(newCondition(gen, ConditionProgrammed, metav1.ConditionUnknown, ReasonPending,
			"%s", PendingMessage(name, r.Route.Spec.ParentRefs)))
	}
	return ptr.To(routeVerdict(gen, r.Route, obs.Live, r.gateways, obs.ServiceMissing))
}

// routeVerdict is the Programmed condition of a route as its Gateways see
// it. False, UnsupportedFeature when a parent Gateway's class lists its
// features and lacks one the route needs (the Gateway may well accept the
// route and drop what it cannot do); False, GatewayNotFound for a parent
// Gateway that does not exist; False, RouteNotAccepted when a parent's
// controller rejected the route's current generation, or could not
// resolve its backends; True when every parent's controller reports the
// current generation Accepted and ResolvedRefs; Unknown otherwise (no
// report yet, a report on an older generation, Accepted=Unknown, no class
// yet, or a shadow Service not there yet). Only the entries of the
// parent's class controller count: policy controllers and other Gateway
// implementations write entries of their own.
func routeVerdict(gen int64, desired, live *gatewayv1.HTTPRoute, gateways []ParentGateway, serviceMissing bool) metav1.Condition {
	if c, ok := unsupportedFeature(gen, desired, gateways); ok {
		return c
	}
	var waiting []gatewayv1.ParentReference
	var notes []string
	for _, ref := range desired.Spec.ParentRefs {
		gw := findGateway(gateways, desired.Namespace, ref)
		if gw == nil {
			return newCondition(gen, ConditionProgrammed, metav1.ConditionFalse, ReasonGatewayNotFound,
				"Gateway %s, a parent of HTTPRoute %q, does not exist", parentName(desired.Namespace, ref), desired.Name)
		}
		if gw.ControllerName == "" {
			waiting = append(waiting, ref)
			notes = append(notes, "its GatewayClass \""+gw.Class+"\" does not exist")
			continue
		}
		entry := currentParentStatus(live, ref, gw.ControllerName)
		if entry == nil {
			waiting = append(waiting, ref)
			continue
		}
		accepted := meta.FindStatusCondition(entry.Conditions, string(gatewayv1.RouteConditionAccepted))
		switch accepted.Status {
		case metav1.ConditionFalse:
			return rejected(gen, desired, ref, accepted)
		case metav1.ConditionUnknown:
			waiting = append(waiting, ref)
			continue
		}
		resolved := meta.FindStatusCondition(entry.Conditions, string(gatewayv1.RouteConditionResolvedRefs))
		switch {
		case resolved == nil || resolved.ObservedGeneration != live.Generation || resolved.Status == metav1.ConditionUnknown:
			waiting = append(waiting, ref)
		case resolved.Status == metav1.ConditionFalse && serviceMissing && resolved.Reason == string(gatewayv1.RouteReasonBackendNotFound):
			waiting = append(waiting, ref)
			notes = append(notes, "the shadow Service of its InferencePool is not there yet")
		case resolved.Status == metav1.ConditionFalse:
			return rejected(gen, desired, ref, resolved)
		}
	}
	if len(waiting) > 0 {
		msg := PendingMessage(desired.Name, waiting)
		if notes = slices.Compact(notes); len(notes) > 0 {
			msg += ": " + strings.Join(notes, "; ")
		}
		return newCondition(gen, ConditionProgrammed, metav1.ConditionUnknown, ReasonPending, "%s", msg)
	}
	return newCondition(gen, ConditionProgrammed, metav1.ConditionTrue, ReasonProgrammed,
		"HTTPRoute %q is accepted by every parent Gateway", desired.Name)
}

func rejected(gen int64, route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference, verdict *metav1.Condition) metav1.Condition {
	return newCondition(gen, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteNotAccepted,
		"Gateway %s did not accept HTTPRoute %q: %s=%s %s: %s",
		parentName(route.Namespace, ref), route.Name, verdict.Type, verdict.Status, verdict.Reason, verdict.Message)
}

// unsupportedFeature finds the first parent, in spec order, whose class
// lists its features without one the route needs.
func unsupportedFeature(gen int64, route *gatewayv1.HTTPRoute, gateways []ParentGateway) (metav1.Condition, bool) {
	required := RequiredFeatures(route)
	if len(required) == 0 {
		return metav1.Condition{}, false
	}
	for _, ref := range route.Spec.ParentRefs {
		gw := findGateway(gateways, route.Namespace, ref)
		if gw == nil {
			continue
		}
		for _, f := range required {
			if !lacksFeature(gw, f.Name) {
				continue
			}
			return newCondition(gen, ConditionProgrammed, metav1.ConditionFalse, ReasonUnsupportedFeature,
				"Gateway %s/%s (GatewayClass %q) does not support %s, which HTTPRoute %q needs: %s. "+
					"Use a Gateway whose class lists it in status.supportedFeatures, or turn target delivery off (--rewrite-header=\"\")",
				gw.Namespace, gw.Name, gw.Class, f.Name, route.Name, f.Purpose), true
		}
	}
	return metav1.Condition{}, false
}

// currentParentStatus returns the entry of route's status.parents that
// controller wrote for parent ref about the route's current generation;
// nil when there is none. Entries of other controllers, entries without
// an Accepted condition and stale ones are skipped, never taken as the
// verdict.
func currentParentStatus(route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference, controller gatewayv1.GatewayController) *gatewayv1.RouteParentStatus {
	for i := range route.Status.Parents {
		ps := &route.Status.Parents[i]
		if ps.ControllerName != controller || !sameParentRef(route.Namespace, ps.ParentRef, ref) {
			continue
		}
		accepted := meta.FindStatusCondition(ps.Conditions, string(gatewayv1.RouteConditionAccepted))
		if accepted != nil && accepted.ObservedGeneration == route.Generation {
			return ps
		}
	}
	return nil
}

// currentAccepted is the Accepted condition of currentParentStatus, or
// nil.
func currentAccepted(route *gatewayv1.HTTPRoute, ref gatewayv1.ParentReference, controller gatewayv1.GatewayController) *metav1.Condition {
	ps := currentParentStatus(route, ref, controller)
	if ps == nil {
		return nil
	}
	return meta.FindStatusCondition(ps.Conditions, string(gatewayv1.RouteConditionAccepted))
}

func findGateway(gateways []ParentGateway, routeNamespace string, ref gatewayv1.ParentReference) *ParentGateway {
	ns, name, ok := GatewayOf(routeNamespace, ref)
	if !ok {
		return nil
	}
	for i := range gateways {
		if gateways[i].Namespace == ns && gateways[i].Name == name {
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
