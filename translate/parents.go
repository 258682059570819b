package translate

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/pkg/features"
)

func compareParentRefs(a, b gatewayv1.ParentReference) int {
	return cmp.Or(
		cmp.Compare(ptr.Deref(a.Namespace, ""), ptr.Deref(b.Namespace, "")),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(ptr.Deref(a.SectionName, ""), ptr.Deref(b.SectionName, "")),
	)
}

func sameParent(a, b gatewayv1.ParentReference) bool {
	return ptr.Deref(a.Namespace, "") == ptr.Deref(b.Namespace, "") && a.Name == b.Name
}

// normalizeParentRefs sorts and deduplicates parent refs. A ref to a whole
// Gateway covers its sections, so section refs to the same Gateway are
// dropped: Gateway API rejects a route mixing the two.
func normalizeParentRefs(refs []gatewayv1.ParentReference) []gatewayv1.ParentReference {
	sorted := make([]gatewayv1.ParentReference, len(refs))
	for i, r := range refs {
		// Write the defaults the API server would, for refs built in code.
		if r.Group == nil {
			r.Group = ptr.To(gatewayv1.Group(gatewayv1.GroupName))
		}
		if r.Kind == nil {
			r.Kind = ptr.To(gatewayv1.Kind("Gateway"))
		}
		sorted[i] = r
	}
	slices.SortFunc(sorted, compareParentRefs)
	sorted = slices.CompactFunc(sorted, func(a, b gatewayv1.ParentReference) bool { return compareParentRefs(a, b) == 0 })
	var out []gatewayv1.ParentReference
	for _, r := range sorted {
		// Sorted order puts the section-less ref of a Gateway first.
		if n := len(out); n > 0 && sameParent(out[n-1], r) && out[n-1].SectionName == nil {
			continue
		}
		out = append(out, r)
	}
	return out
}

// routeClaim is an object's route as shadowing sees it: a model's, or a
// rewrite's for one of its model names.
type routeClaim struct {
	pool      *pool
	parents   []gatewayv1.ParentReference
	hostnames []gatewayv1.Hostname
	namespace string
	routeName string
	// owner, when it has a UID, must control the live route of that name.
	owner metav1.Object
	// backendFilters: the route sets headers per backendRef, an Extended
	// feature a Gateway's class may lack.
	backendFilters bool
	// model is set for a model's claim, rewrite for a rewrite's.
	model   *modelState
	rewrite *rewriteState
}

func (s *modelState) claim(cfg Config) *routeClaim {
	return &routeClaim{
		pool: s.pool, parents: s.parents, hostnames: s.hostnames, namespace: s.model.Namespace,
		routeName: RouteName(s.model.Name), owner: s.model, backendFilters: needsBackendFilters(&s.model.Spec, cfg), model: s,
	}
}

func (s *rewriteState) claim(cfg Config) *routeClaim {
	split := false
	for _, r := range s.rules {
		split = split || (cfg.Backend == BackendService && len(distinctNames(r.targets)) > 1)
	}
	return &routeClaim{
		pool: s.pool, parents: s.parents, hostnames: s.hostnames, namespace: s.rw.Namespace,
		routeName: RouteName(s.rw.Name), owner: s.rw, backendFilters: split, rewrite: s,
	}
}

// shadowedBy returns an older claim of another pool among winners when
// the winners together take every request s's route could match: for each
// parent of s and each of its hostnames (none: any hostname), a winner is
// served on that listener (a parent ref to the same Gateway without a
// section, or with the same section) with the very same hostname. Gateway
// API gives a more specific hostname precedence over a wildcard or a
// catch-all, and ties to the older route. A winner's route that a Gateway
// does not admit takes nothing there. nil when s keeps some traffic.
func shadowedBy(s *routeClaim, winners []*routeClaim, cluster *Cluster, cfg Config) *routeClaim {
	hosts := s.hostnames
	if len(hosts) == 0 {
		hosts = []gatewayv1.Hostname{""} // any hostname
	}
	var first *routeClaim
	for _, p := range s.parents {
		for _, h := range hosts {
			w := coveredBy(s, p, h, winners, cluster, cfg)
			if w == nil {
				return nil
			}
			if first == nil {
				first = w
			}
		}
	}
	return first
}

// coveredBy returns the oldest winner of another pool that takes the
// requests for hostname h ("" for a route without hostnames) on parent p.
func coveredBy(s *routeClaim, p gatewayv1.ParentReference, h gatewayv1.Hostname, winners []*routeClaim, cluster *Cluster, cfg Config) *routeClaim {
	for _, w := range winners {
		if w.pool.key == s.pool.key || !sameHostname(w.hostnames, h) {
			continue
		}
		for _, q := range w.parents {
			if sameParent(q, p) && (q.SectionName == nil || (p.SectionName != nil && *q.SectionName == *p.SectionName)) &&
				served(w, q, cluster) {
				return w
			}
		}
	}
	return nil
}

// sameHostname reports whether a route with hosts serves hostname h with
// the same precedence as a route with only h ("": no hostnames at all).
func sameHostname(hosts []gatewayv1.Hostname, h gatewayv1.Hostname) bool {
	if h == "" {
		return len(hosts) == 0
	}
	return slices.Contains(hosts, h)
}

// served reports whether w's route takes traffic on parent q, as far as
// the cluster says: offline every route is assumed admitted; otherwise not
// when the Gateway does not exist or has no class, when its class lacks a
// feature the route needs, when the route there is not w's, or when the
// Gateway's controller reports the route's current generation not
// Accepted. A route not reported on yet is assumed to be.
func served(w *routeClaim, q gatewayv1.ParentReference, cluster *Cluster) bool {
	if cluster == nil {
		return true
	}
	gw := findGateway(cluster.Gateways, w.namespace, q)
	if gw == nil || gw.ControllerName == "" {
		return false
	}
	if w.backendFilters && lacksFeature(gw, features.SupportHTTPRouteBackendRequestHeaderModification) {
		return false
	}
	i := slices.IndexFunc(cluster.Routes, func(r gatewayv1.HTTPRoute) bool { return r.Namespace == w.namespace && r.Name == w.routeName })
	if i < 0 {
		return true
	}
	live := &cluster.Routes[i]
	if w.owner.GetUID() != "" && !metav1.IsControlledBy(live, w.owner) {
		return false
	}
	accepted := currentAccepted(live, q, gw.ControllerName)
	return accepted == nil || accepted.Status != metav1.ConditionFalse
}

func normalizeHostnames(hosts []gatewayv1.Hostname) []gatewayv1.Hostname {
	out := slices.Clone(hosts)
	slices.Sort(out)
	return slices.Compact(out)
}
