// Package controllers makes a cluster match what package translate decides:
// it reads InferenceModels and InferencePools, applies the HTTPRoutes and
// shadow Services, and writes the models' status. All decisions are
// translate's; this package only does I/O.
package controllers

import (
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
	// IndexModelRoute finds the model whose generated route has a name,
	// among the models whose name is cut and hashed into their route's:
	// translate.ModelOfRoute finds the others, without an index entry per
	// model.
	IndexModelRoute = "modelroute.routeName"
	// IndexStrayChild finds, by owner UID, the objects an owner controls
	// under a name other than the one modelroute gives its child (from an
	// older naming, or a name taken over): those are deleted. The child of
	// the right name, the common case, needs no index entry.
	IndexStrayChild = "metadata.strayControllerUID"
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
	return PoolIndexKey(m.Namespace, translate.PoolGroupOf(translate.KindInferenceModel, string(m.Spec.PoolRef.Group)), string(m.Spec.PoolRef.Name))
}

// RegisterIndexes adds every field index the reconcilers query with cfg. An index makes the cache hold every object of its kind: Services
// are indexed (and so cached) only in service mode, where modelroute owns
// some.
func RegisterIndexes(ctx context.Context, indexer client.FieldIndexer, cfg translate.Config) error {
	type fieldIndex struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}
	indexes := []fieldIndex{
		{&v1alpha2.InferenceModel{}, IndexModelName, func(o client.Object) []string {
			return []string{o.(*v1alpha2.InferenceModel).Spec.ModelName}
		}},
		{&v1alpha2.InferenceModel{}, IndexModelPool, func(o client.Object) []string {
			return []string{modelPoolKey(o.(*v1alpha2.InferenceModel))}
		}},
		{&v1alpha2.InferenceModel{}, IndexModelRoute, func(o client.Object) []string {
			route := translate.RouteName(o.GetName())
			if model, ok := translate.ModelOfRoute(route); ok && model == o.GetName() {
				return nil
			}
			return []string{route}
		}},
		{&gatewayv1.HTTPRoute{}, IndexStrayChild, strayOf(routeKind.childName)},
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
	if cfg.Backend == translate.BackendService {
		indexes = append(indexes, fieldIndex{&corev1.Service{}, IndexStrayChild, strayOf(serviceKind.childName)})
	}
	for _, kind := range newEPPChildren(cfg.EPPAPI) {
		indexes = append(indexes, fieldIndex{kind.newObject(), IndexStrayChild, strayOf(kind.childName)})
	}
	for _, ix := range indexes {
		if err := indexer.IndexField(ctx, ix.obj, ix.field, ix.fn); err != nil {
			return err
		}
	}
	return nil
}

// strayOf indexes an object by its controller's UID when its name is not
// the one childName gives the controller's child.
func strayOf(childName func(owner *metav1.OwnerReference) string) client.IndexerFunc {
	return func(o client.Object) []string {
		ref := metav1.GetControllerOf(o)
		if ref == nil {
			return nil
		}
		if name := childName(ref); name != "" && name != o.GetName() {
			return []string{string(ref.UID)}
		}
		return nil
	}
}
