package modelproxy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/translate"
)

// StaticCatalog routes a fixed list of model names, for a router without
// a cluster to ask (tests, benchmarks, a router in front of a Gateway
// configured by hand).
type StaticCatalog []string

// Routable implements Catalog.
func (c StaticCatalog) Routable(_ context.Context, name string) (bool, error) {
	return slices.Contains(c, name), nil
}

// Models implements Catalog.
func (c StaticCatalog) Models(context.Context) ([]Model, error) {
	names := slices.Sorted(slices.Values(c))
	out := make([]Model, 0, len(names))
	for _, n := range slices.Compact(names) {
		out = append(out, Model{ID: n})
	}
	return out, nil
}

// indexRouteModel indexes modelroute's routes by the model names their
// rules match on the model header.
const indexRouteModel = "modelroute.modelName"

// ClusterCatalog reads the cluster: a model name is routable through the
// Gateway when an HTTPRoute of modelroute's (its label, and a controller)
// matches it on the model header and is accepted by the Gateway. Routes of
// InferenceModels and of InferenceModelRewrites count alike. It reads the
// route rather than its owner's Programmed condition so that an edit of
// the owner, which leaves the condition a generation behind until the
// controller catches up, does not take the name offline while the route
// still serves it. It reads from a cache of modelroute's routes only.
type ClusterCatalog struct {
	reader      client.Reader
	gateway     types.NamespacedName
	modelHeader string
}

// NewClusterCatalog starts a cache of modelroute's routes in namespaces
// (none: every namespace), indexed by the names they match on modelHeader,
// and waits until it has synced; it runs until ctx ends.
func NewClusterCatalog(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, gateway types.NamespacedName, modelHeader string, namespaces ...string) (*ClusterCatalog, error) {
	opts := cache.Options{
		Scheme: scheme,
		ByObject: map[client.Object]cache.ByObject{
			&gatewayv1.HTTPRoute{}: {Label: labels.SelectorFromSet(labels.Set{translate.LabelManagedBy: translate.ManagedByValue})},
		},
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := c.IndexField(ctx, &gatewayv1.HTTPRoute{}, indexRouteModel, func(o client.Object) []string {
		return matchedNames(o.(*gatewayv1.HTTPRoute), modelHeader)
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the cache of HTTPRoutes did not sync")
	}
	return &ClusterCatalog{reader: c, gateway: gateway, modelHeader: modelHeader}, nil
}

// matchedNames are the values route's rules match on header, a route of
// modelroute's with a controller; none for any other.
func matchedNames(route *gatewayv1.HTTPRoute, header string) []string {
	if metav1.GetControllerOf(route) == nil {
		return nil
	}
	var names []string
	for _, rule := range route.Spec.Rules {
		for _, m := range rule.Matches {
			for _, h := range m.Headers {
				if strings.EqualFold(string(h.Name), header) && (h.Type == nil || *h.Type == gatewayv1.HeaderMatchExact) {
					names = append(names, h.Value)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Routable implements Catalog.
func (c *ClusterCatalog) Routable(ctx context.Context, name string) (bool, error) {
	var routes gatewayv1.HTTPRouteList
	if err := c.reader.List(ctx, &routes, client.MatchingFields{indexRouteModel: name}); err != nil {
		return false, err
	}
	return slices.ContainsFunc(routes.Items, c.accepted), nil
}

// Models implements Catalog: each name once, with the creation time of the
// oldest accepted route that matches it.
func (c *ClusterCatalog) Models(ctx context.Context) ([]Model, error) {
	var routes gatewayv1.HTTPRouteList
	if err := c.reader.List(ctx, &routes); err != nil {
		return nil, err
	}
	byName := map[string]int64{}
	for _, route := range routes.Items {
		if !c.accepted(route) {
			continue
		}
		created := route.CreationTimestamp.Unix()
		for _, name := range matchedNames(&route, c.modelHeader) {
			if first, seen := byName[name]; !seen || created < first {
				byName[name] = created
			}
		}
	}
	out := make([]Model, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, Model{ID: name, Created: byName[name]})
	}
	return out, nil
}

// accepted reports whether route names the Gateway and the Gateway
// accepted it.
func (c *ClusterCatalog) accepted(route gatewayv1.HTTPRoute) bool {
	ours := func(ref gatewayv1.ParentReference) bool {
		ns, name, ok := translate.GatewayOf(route.Namespace, ref)
		return ok && ns == c.gateway.Namespace && name == c.gateway.Name
	}
	// The status of a parent the route no longer names may linger.
	if !slices.ContainsFunc(route.Spec.ParentRefs, ours) {
		return false
	}
	for _, parent := range route.Status.Parents {
		if ours(parent.ParentRef) && meta.IsStatusConditionTrue(parent.Conditions, string(gatewayv1.RouteConditionAccepted)) {
			return true
		}
	}
	return false
}
