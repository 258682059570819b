package controllers

import (
	"cmp"
	"context"
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
	seen := map[string]bool{}
	for i := range in.Models {
		m := &in.Models[i]
		key := modelPoolKey(m)
		if seen[key] || (m.Spec.PoolRef.Kind != "" && m.Spec.PoolRef.Kind != translate.KindInferencePool) {
			continue
		}
		seen[key] = true
		name := types.NamespacedName{Namespace: m.Namespace, Name: string(m.Spec.PoolRef.Name)}
		g := poolGroupOf(cmp.Or(string(m.Spec.PoolRef.Group), translate.GroupInferenceAlpha))
		if name.Name == "" || g == nil || r.unserved[g.group] != "" {
			continue
		}
		pool := g.newObject()
		if ok, err := r.get(ctx, name, pool); err != nil {
			return in, err
		} else if ok {
			g.addTo(&in, pool)
		}
	}
	return in, nil
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
	for _, m := range in.Models {
		route := &gatewayv1.HTTPRoute{}
		if found, err := r.get(ctx, types.NamespacedName{Namespace: m.Namespace, Name: translate.RouteName(m.Name)}, route); err != nil {
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
