package tests

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, RejectedRouteShadowsNoOne) }

var RejectedRouteShadowsNoOne = conformance.ConformanceTest{
	ShortName: "RejectedRouteShadowsNoOne",
	Description: "A dev namespace's older copy of a modelName, whose route a listener's allowedRoutes refuse, " +
		"does not take the name from the allowed namespace's younger model: that one is Programmed and gets the traffic.",
	Features:  []features.FeatureName{conformance.SupportRestrictedListener},
	Manifests: []string{"pools.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		ctx := context.Background()
		listener := s.RestrictedListener
		// The test's namespace may attach routes to the listener; the dev
		// namespace may not.
		prod := &corev1.Namespace{}
		if err := s.Client.Get(ctx, types.NamespacedName{Name: ns}, prod); err != nil {
			t.Fatal(err)
		}
		if prod.Labels == nil {
			prod.Labels = map[string]string{}
		}
		for k, v := range listener.Label {
			prod.Labels[k] = v
		}
		if err := s.Client.Update(ctx, prod); err != nil {
			t.Fatalf("labelling namespace %s: %v", ns, err)
		}
		dev := s.ExtraNamespace(t, "rejected-dev")
		s.ApplyManifest(t, dev, "pools.yaml")
		// The models are created below: the servers are told their name.
		pool := alphaPool
		pool.Models = []string{"rl-shared"}
		s.Deploy(t, dev, pool)

		model := func(ns, name string) *v1alpha2.InferenceModel {
			return &v1alpha2.InferenceModel{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{
					translate.AnnotationParentRefs: s.Gateway.String() + "/" + listener.Section,
				}},
				Spec: v1alpha2.InferenceModelSpec{ModelName: "rl-shared", PoolRef: v1alpha2.PoolObjectReference{Name: "alpha-pool"}},
			}
		}
		older := model(dev, "dev-copy")
		if err := s.Client.Create(ctx, older); err != nil {
			t.Fatal(err)
		}
		s.WaitForCondition(t, dev, "dev-copy", translate.ConditionProgrammed, metav1.ConditionFalse, translate.ReasonRouteNotAccepted)
		// Creation times have a resolution of a second: the prod model must
		// be younger.
		time.Sleep(time.Until(older.CreationTimestamp.Add(time.Second + 100*time.Millisecond)))
		s.Deploy(t, ns, pool)
		if err := s.Client.Create(ctx, model(ns, "prod")); err != nil {
			t.Fatal(err)
		}
		s.WaitForCondition(t, ns, "prod", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		s.ExpectRouted(t, ns, "rl-shared", conformance.Routed{Backend: "alpha-pool-"}, s.AsHost(listener.Hostname)...)
		// The dev copy keeps its route and says why it gets no traffic.
		s.WaitForCondition(t, dev, "dev-copy", translate.ConditionProgrammed, metav1.ConditionFalse, translate.ReasonRouteNotAccepted)
	},
}
