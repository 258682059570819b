package controllers

import (
	"cmp"
	"context"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// inputReader gathers from the cache what translate needs to decide about
// some modelNames: every model with one of them (they contend for the name
// in their pool and on shared Gateways), the pools those models name, and
// what the cluster says of their routes and of the Gateways.
type inputReader struct {
	client client.Client
	// unserved says why the pools of an InferencePool group cannot be read
	// (its CRD is not installed, or does not serve the version modelroute
	// reads); groups that are served are absent.
	unserved map[string]string
	// rewriteGroups are the InferenceModelRewrite groups served.
	rewriteGroups []kindGroup
}

// forModels is the input that decides the results of models: the models
// with their modelNames, and those whose route name collides with one of
// theirs and the models with those modelNames, so that the older model
// keeps the route name as it does in render, whatever modelNames the two
// have; and what the cluster says.
func (r inputReader) forModels(ctx context.Context, models ...*v1alpha2.InferenceModel) (translate.Input, error) {
	var names []string
	for _, model := range models {
		names = append(names, model.Spec.ModelName)
		colliding, err := r.collidingModels(ctx, model)
		if err != nil {
			return translate.Input{}, err
		}
		for _, m := range colliding {
			names = append(names, m.Spec.ModelName)
		}
	}
	in, err := r.read(ctx, names...)
	if err != nil {
		return in, err
	}
	for _, model := range models {
		if !slices.ContainsFunc(in.Models, func(m v1alpha2.InferenceModel) bool {
			return m.Namespace == model.Namespace && m.Name == model.Name
		}) {
			in.Models = append(in.Models, *model) // the index may lag the object
		}
	}
	return in, r.readCluster(ctx, &in)
}

// collidingModels are the other models of model's namespace whose route
// has the name of model's route.
func (r inputReader) collidingModels(ctx context.Context, model *v1alpha2.InferenceModel) ([]v1alpha2.InferenceModel, error) {
	route := translate.RouteName(model.Name)
	var models v1alpha2.InferenceModelList
	if err := r.client.List(ctx, &models, client.InNamespace(model.Namespace), client.MatchingFields{IndexModelRoute: route}); err != nil {
		return nil, err
	}
	if name, ok := translate.ModelOfRoute(route); ok && name != model.Name {
		plain := v1alpha2.InferenceModel{}
		if found, err := r.get(ctx, types.NamespacedName{Namespace: model.Namespace, Name: name}, &plain); err != nil {
			return nil, err
		} else if found {
			models.Items = append(models.Items, plain)
		}
	}
	return slices.DeleteFunc(models.Items, func(m v1alpha2.InferenceModel) bool { return m.Name == model.Name }), nil
}

func (r inputReader) read(ctx context.Context, modelNames ...string) (translate.Input, error) {
	in := translate.Input{UnservedPoolGroups: r.unserved}
	slices.Sort(modelNames)
	for _, name := range slices.Compact(modelNames) {
		var models v1alpha2.InferenceModelList
		if err := r.client.List(ctx, &models, client.MatchingFields{IndexModelName: name}); err != nil {
			return in, err
		}
		in.Models = append(in.Models, models.Items...)
	}
	namespaces := map[string]bool{}
	for _, m := range in.Models {
		namespaces[m.Namespace] = true
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		// Rewrites claim model names in their namespace's pools.
		if err := r.addRewrites(ctx, &in, ns); err != nil {
			return in, err
		}
	}
	return in, r.addPools(ctx, &in)
}

// forNamespace is the input that decides the results of the rewrites in
// namespace ns: every model and rewrite there (they claim model names in
// its pools, and route names in it), their pools, and what the cluster
// says.
func (r inputReader) forNamespace(ctx context.Context, ns string) (translate.Input, error) {
	in := translate.Input{UnservedPoolGroups: r.unserved}
	var models v1alpha2.InferenceModelList
	if err := r.client.List(ctx, &models, client.InNamespace(ns)); err != nil {
		return in, err
	}
	in.Models = models.Items
	if err := r.addRewrites(ctx, &in, ns); err != nil {
		return in, err
	}
	if err := r.addPools(ctx, &in); err != nil {
		return in, err
	}
	return in, r.readCluster(ctx, &in)
}

// addRewrites adds the rewrites of namespace ns, of every served group.
func (r inputReader) addRewrites(ctx context.Context, in *translate.Input, ns string) error {
	for _, g := range r.rewriteGroups {
		list := g.newList()
		if err := r.client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		items, err := metaItems(list)
		if err != nil {
			return err
		}
		for _, item := range items {
			g.addTo(in, item)
		}
	}
	return nil
}

// addPools adds the pools the models, rewrites and objectives of in
// reference.
func (r inputReader) addPools(ctx context.Context, in *translate.Input) error {
	type ref struct {
		namespace, group, kind, name string
	}
	var refs []ref
	for _, m := range in.Models {
		p := m.Spec.PoolRef
		refs = append(refs, ref{m.Namespace, translate.PoolGroupOf(translate.KindInferenceModel, string(p.Group)), string(p.Kind), string(p.Name)})
	}
	for _, rw := range in.Rewrites {
		p := rw.Spec.PoolRef
		refs = append(refs, ref{rw.Namespace, translate.PoolGroupOf(translate.KindInferenceModelRewrite, string(p.Group)), string(p.Kind), string(p.Name)})
	}
	for _, o := range in.Objectives {
		p := o.Spec.PoolRef
		refs = append(refs, ref{o.Namespace, translate.PoolGroupOf(translate.KindInferenceObjective, string(p.Group)), string(p.Kind), string(p.Name)})
	}
	seen := map[ref]bool{}
	for _, p := range refs {
		if seen[p] || (p.kind != "" && p.kind != translate.KindInferencePool) {
			continue
		}
		seen[p] = true
		g := poolGroupOf(p.group)
		if p.name == "" || g == nil || r.unserved[g.Group] != "" {
			continue
		}
		pool := g.newObject()
		if ok, err := r.get(ctx, types.NamespacedName{Namespace: p.namespace, Name: p.name}, pool); err != nil {
			return err
		} else if ok {
			g.addTo(in, pool)
		}
	}
	return nil
}

// readCluster adds what the cluster says: every Gateway with its class
// (a cluster has few; any of them may be a parent), and the live routes of
// the models in in.
func (r inputReader) readCluster(ctx context.Context, in *translate.Input) error {
	cluster := &translate.Cluster{}
	var gateways gatewayv1.GatewayList
	if err := r.client.List(ctx, &gateways); err != nil {
		return err
	}
	for _, gw := range gateways.Items {
		parent := translate.ParentGateway{Namespace: gw.Namespace, Name: gw.Name, Class: string(gw.Spec.GatewayClassName)}
		class := &gatewayv1.GatewayClass{}
		if found, err := r.get(ctx, types.NamespacedName{Name: parent.Class}, class); err != nil {
			return err
		} else if found {
			parent.ControllerName = class.Spec.ControllerName
			parent.SupportedFeatures = class.Status.SupportedFeatures
		}
		cluster.Gateways = append(cluster.Gateways, parent)
	}
	routes := map[types.NamespacedName]bool{}
	for _, m := range in.Models {
		routes[types.NamespacedName{Namespace: m.Namespace, Name: translate.RouteName(m.Name)}] = true
	}
	for _, rw := range in.Rewrites {
		routes[types.NamespacedName{Namespace: rw.Namespace, Name: translate.RouteName(rw.Name)}] = true
	}
	for _, name := range slices.SortedFunc(maps.Keys(routes), func(a, b types.NamespacedName) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}) {
		route := &gatewayv1.HTTPRoute{}
		if found, err := r.get(ctx, name, route); err != nil {
			return err
		} else if found {
			cluster.Routes = append(cluster.Routes, *route)
		}
	}
	in.Cluster = cluster
	return nil
}

func (r inputReader) get(ctx context.Context, name types.NamespacedName, obj client.Object) (bool, error) {
	err := r.client.Get(ctx, name, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
