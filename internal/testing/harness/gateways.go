package harness

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Gateways are parent Gateways for tests without a Gateway implementation:
// a GatewayClass whose controllerName the tests write route status as, and
// Gateways of that class in one namespace. modelroute reports a route's
// parent that does not exist as GatewayNotFound, and takes only the
// class's controller's entries in status.parents as its verdict.
type Gateways struct {
	Class      string
	Controller gatewayv1.GatewayController
	Namespace  string
	Names      []string
}

// Create creates the namespace, the class and the Gateways (each with one
// HTTP listener allowing routes from all namespaces); those that exist are
// left as they are.
func (g Gateways) Create(ctx context.Context, c client.Client) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: g.Namespace}},
		&gatewayv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: g.Class},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: g.Controller},
		},
	}
	all := gatewayv1.NamespacesFromAll
	for _, name := range g.Names {
		objs = append(objs, &gatewayv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: name},
			Spec: gatewayv1.GatewaySpec{
				GatewayClassName: gatewayv1.ObjectName(g.Class),
				Listeners: []gatewayv1.Listener{{
					Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80,
					AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &all}},
				}},
			},
		})
	}
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return nil
}
