package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// Programmed says whether the parent Gateway can deliver what the route
// needs, from the supported features its GatewayClass publishes: False,
// UnsupportedFeature (with a Warning Event) when the class lists features
// without the backendRef header filters a split over targets needs; the
// Gateway's verdict when it lists them or lists none. A change to the
// class's features, or to the Gateway's class, is seen at once.
func TestProgrammedFollowsGatewayClassFeatures(t *testing.T) {
	ns := newNamespace(t)
	const feature = "HTTPRouteBackendRequestHeaderModification"
	// GatewayClasses are cluster-scoped: their names carry the namespace.
	withFeature, withoutFeature, noList := ns+"-with", ns+"-without", ns+"-silent"
	newGatewayClass(t, withFeature, "HTTPRoute", "HTTPRouteHostRewrite", feature)
	newGatewayClass(t, withoutFeature, "HTTPRoute", "HTTPRouteHostRewrite")
	newGatewayClass(t, noList)
	gateway := &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: gatewayv1.ObjectName(withoutFeature),
			Listeners:        []gatewayv1.Listener{{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}},
		},
	}
	create(t, gateway, alphaPool(ns, "pool-a"),
		newModel(ns, "split", "split", "pool-a", weighted("lora-v1", 90), weighted("lora-v2", 10)),
		newModel(ns, "alias", "alias", "pool-a", v1alpha2.TargetModel{Name: "real-model"}))
	ref, err := translate.ParseParentRef(ns + "/gw")
	if err != nil {
		t.Fatal(err)
	}
	cfg := translate.DefaultConfig()
	cfg.ParentRefs = []gatewayv1.ParentReference{ref}
	startManager(t, ns, cfg)

	unsupported := func(class string) metav1.Condition {
		return condition(translate.ConditionProgrammed, metav1.ConditionFalse, "UnsupportedFeature", 1,
			`Gateway %s/gw (GatewayClass %q) does not support %s, which HTTPRoute "split-modelroute" needs: `+
				`its backendRef filters tell the model server which target model was picked. `+
				`Use a Gateway whose class lists it in status.supportedFeatures, or turn target delivery off (--rewrite-header="")`,
			ns, class, feature)
	}
	waiting := func(model string) metav1.Condition {
		return condition(translate.ConditionProgrammed, metav1.ConditionUnknown, "Pending", 1,
			"waiting for Gateway %s/gw to accept HTTPRoute %q", ns, translate.RouteName(model))
	}
	split := func(programmed metav1.Condition) func() error {
		return hasConditions(ns, "split", resolved(1, "pool-a", alphaGroup), accepted(1, "split"), programmed)
	}
	accept := func(model string) {
		setParentStatus(t, ns, model, ref, func(gen int64) []metav1.Condition {
			return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
		})
	}

	// Without the feature. A single target needs only a rule-level filter
	// (Core): that model is not concerned.
	harness.Eventually(t, split(unsupported(withoutFeature)))
	harness.Eventually(t, hasConditions(ns, "alias", resolved(1, "pool-a", alphaGroup), accepted(1, "alias"), waiting("alias")))
	model := mustGet(t, &v1alpha2.InferenceModel{}, ns, "split")
	harness.Eventually(t, func() error {
		events, err := findEvents(ns, model, "UnsupportedFeature")
		if err != nil {
			return err
		}
		if len(events) != 1 || events[0].Type != "Warning" {
			return fmt.Errorf("events with reason UnsupportedFeature: %v; want one Warning", events)
		}
		return nil
	})
	// The Gateway accepting the route does not make it deliverable.
	accept("split")
	harness.Consistently(t, 2*time.Second, split(unsupported(withoutFeature)))

	// The class learns the feature: the Gateway's verdict decides again.
	setGatewayClassFeatures(t, withoutFeature, "HTTPRoute", "HTTPRouteHostRewrite", feature)
	harness.Eventually(t, split(programmed(1, "split")))

	// The Gateway moves to a class that lists no features: unknown, not
	// unsupported.
	update(t, gateway, func(g *gatewayv1.Gateway) { g.Spec.GatewayClassName = gatewayv1.ObjectName(noList) })
	harness.Consistently(t, 2*time.Second, split(programmed(1, "split")))

	// And back to one without the feature.
	setGatewayClassFeatures(t, withoutFeature, "HTTPRoute")
	update(t, gateway, func(g *gatewayv1.Gateway) { g.Spec.GatewayClassName = gatewayv1.ObjectName(withoutFeature) })
	harness.Eventually(t, split(unsupported(withoutFeature)))

	// A class with the feature.
	update(t, gateway, func(g *gatewayv1.Gateway) { g.Spec.GatewayClassName = gatewayv1.ObjectName(withFeature) })
	harness.Eventually(t, split(programmed(1, "split")))
}

// newGatewayClass creates a GatewayClass with status.supportedFeatures, as
// its implementation would publish them, and deletes it after the test.
func newGatewayClass(t *testing.T, name string, features ...string) {
	t.Helper()
	class := &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: gatewayController},
	}
	create(t, class)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), class) })
	setGatewayClassFeatures(t, name, features...)
}

// setGatewayClassFeatures writes the class's status.supportedFeatures.
func setGatewayClassFeatures(t *testing.T, name string, features ...string) {
	t.Helper()
	harness.Eventually(t, func() error {
		class := &gatewayv1.GatewayClass{}
		if err := get(class, "", name); err != nil {
			return err
		}
		class.Status.SupportedFeatures = nil
		for _, f := range features {
			class.Status.SupportedFeatures = append(class.Status.SupportedFeatures, gatewayv1.SupportedFeature{Name: gatewayv1.FeatureName(f)})
		}
		return k8s.Status().Update(context.Background(), class)
	})
}
