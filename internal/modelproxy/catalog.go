package modelproxy

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
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

// indexModelName indexes InferenceModels by spec.modelName.
const indexModelName = "spec.modelName"

// ClusterCatalog reads the cluster: a model name is routable through the
// Gateway when the HTTPRoute of an InferenceModel of that name is
// accepted by the Gateway (the route's status for that parent, from which
// the model's Programmed condition is derived). It reads the route rather
// than the condition so that an edit of the model, which leaves the
// condition a generation behind until the controller catches up, does not
// take the name offline while the route still serves it. It reads from a
// cache of the models and of modelroute's routes (those carrying its
// label).
type ClusterCatalog struct {
	reader  client.Reader
	gateway types.NamespacedName
}

// NewClusterCatalog starts a cache of the models and routes of namespaces
// (none: every namespace) and waits until it has synced; it runs until ctx
// ends.
func NewClusterCatalog(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, gateway types.NamespacedName, namespaces ...string) (*ClusterCatalog, error) {
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
	if err := c.IndexField(ctx, &v1alpha2.InferenceModel{}, indexModelName, func(o client.Object) []string {
		return []string{o.(*v1alpha2.InferenceModel).Spec.ModelName}
	}); err != nil {
		return nil, err
	}
	// Informers for both kinds, before the start.
	for _, obj := range []client.Object{&v1alpha2.InferenceModel{}, &gatewayv1.HTTPRoute{}} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the cache of InferenceModels and HTTPRoutes did not sync")
	}
	return &ClusterCatalog{reader: c, gateway: gateway}, nil
}

// Routable implements Catalog.
func (c *ClusterCatalog) Routable(ctx context.Context, name string) (bool, error) {
	var models v1alpha2.InferenceModelList
	if err := c.reader.List(ctx, &models, client.MatchingFields{indexModelName: name}); err != nil {
		return false, err
	}
	for i := range models.Items {
		if ok, err := c.routed(ctx, &models.Items[i]); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Models implements Catalog.
func (c *ClusterCatalog) Models(ctx context.Context) ([]Model, error) {
	var models v1alpha2.InferenceModelList
	if err := c.reader.List(ctx, &models); err != nil {
		return nil, err
	}
	byName := map[string]int64{}
	for i := range models.Items {
		m := &models.Items[i]
		ok, err := c.routed(ctx, m)
		if err != nil {
			return nil, err
		}
		if created, seen := byName[m.Spec.ModelName]; ok && (!seen || m.CreationTimestamp.Unix() < created) {
			byName[m.Spec.ModelName] = m.CreationTimestamp.Unix()
		}
	}
	out := make([]Model, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, Model{ID: name, Created: byName[name]})
	}
	return out, nil
}

// routed reports whether m's route is accepted by the Gateway.
func (c *ClusterCatalog) routed(ctx context.Context, m *v1alpha2.InferenceModel) (bool, error) {
	route := &gatewayv1.HTTPRoute{}
	if err := c.reader.Get(ctx, types.NamespacedName{Namespace: m.Namespace, Name: translate.RouteName(m.Name)}, route); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(route, m) {
		return false, nil
	}
	ours := func(ref gatewayv1.ParentReference) bool {
		ns, name, ok := translate.GatewayOf(route.Namespace, ref)
		return ok && ns == c.gateway.Namespace && name == c.gateway.Name
	}
	// The status of a parent the route no longer names may linger.
	if !slices.ContainsFunc(route.Spec.ParentRefs, ours) {
		return false, nil
	}
	for _, parent := range route.Status.Parents {
		if ours(parent.ParentRef) && meta.IsStatusConditionTrue(parent.Conditions, string(gatewayv1.RouteConditionAccepted)) {
			return true, nil
		}
	}
	return false, nil
}
