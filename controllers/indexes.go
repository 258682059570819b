// Package controllers makes a cluster match what package translate decides:
// it reads InferenceModels and InferencePools, applies the HTTPRoutes and
// shadow Services, and writes the models' status. All decisions are
// translate's; this package only does I/O.
package controllers

import (
	"cmp"
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// Field indexes, registered once for the manager and the tests alike.
const (
	// IndexModelName finds the models that contend for one modelName.
	IndexModelName = "spec.modelName"
	// IndexModelPool finds the models of a pool: "namespace/group/name".
	IndexModelPool = "spec.poolRef"
	// IndexModelRoute finds the model whose generated route has a name.
	IndexModelRoute = "modelroute.routeName"
	// IndexController finds the objects controlled by an owner UID.
	IndexController = "metadata.controllerUID"
	// IndexRouteGateway finds the HTTPRoutes attached to a Gateway:
	// "namespace/name".
	IndexRouteGateway = "spec.parentRefs.gateway"
	// IndexGatewayClass finds the Gateways of a GatewayClass.
	IndexGatewayClass = "spec.gatewayClassName"
)

// PoolIndexKey is the IndexModelPool value of a pool.
func PoolIndexKey(namespace, group, name string) string {
	return namespace + "/" + group + "/" + name
}

func modelPoolKey(m *v1alpha2.InferenceModel) string {
	return PoolIndexKey(m.Namespace, cmp.Or(string(m.Spec.PoolRef.Group), translate.GroupInferenceAlpha), string(m.Spec.PoolRef.Name))
}

// RegisterIndexes adds every field index the reconcilers query.
func RegisterIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	indexes := []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&v1alpha2.InferenceModel{}, IndexModelName, func(o client.Object) []string {
			return []string{o.(*v1alpha2.InferenceModel).Spec.ModelName}
		}},
		{&v1alpha2.InferenceModel{}, IndexModelPool, func(o client.Object) []string {
			return []string{modelPoolKey(o.(*v1alpha2.InferenceModel))}
		}},
		{&v1alpha2.InferenceModel{}, IndexModelRoute, func(o client.Object) []string {
			return []string{translate.RouteName(o.GetName())}
		}},
		{&gatewayv1.HTTPRoute{}, IndexController, controllerUID},
		{&corev1.Service{}, IndexController, controllerUID},
		{&gatewayv1.HTTPRoute{}, IndexRouteGateway, func(o client.Object) []string {
			var keys []string
			for _, ref := range o.(*gatewayv1.HTTPRoute).Spec.ParentRefs {
				if ns, name, ok := translate.GatewayOf(o.GetNamespace(), ref); ok {
					keys = append(keys, ns+"/"+name)
				}
			}
			return keys
		}},
		{&gatewayv1.Gateway{}, IndexGatewayClass, func(o client.Object) []string {
			return []string{string(o.(*gatewayv1.Gateway).Spec.GatewayClassName)}
		}},
	}
	for _, ix := range indexes {
		if err := indexer.IndexField(ctx, ix.obj, ix.field, ix.fn); err != nil {
			return err
		}
	}
	return nil
}

func controllerUID(o client.Object) []string {
	if ref := metav1.GetControllerOf(o); ref != nil {
		return []string{string(ref.UID)}
	}
	return nil
}
