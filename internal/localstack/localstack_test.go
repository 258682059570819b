package localstack_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/internal/localstack"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// TestStartStop starts the embedded stack, sends a model request through
// Traefik to one of two loopback echo servers, and checks that Stop leaves
// no process behind.
func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane and Traefik")
	}
	var log io.Writer
	if os.Getenv("MODELROUTE_TEST_LOG") != "" {
		log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	started := time.Now()
	env, err := localstack.Start(ctx, localstack.Options{Log: log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("embedded stack ready in %s", time.Since(started).Round(100*time.Millisecond))
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		if _, ok := <-signals; ok {
			_ = env.Stop()
			os.Exit(1)
		}
	}()
	t.Cleanup(func() { _ = env.Stop() })

	children := childProcesses()
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller" /* comm is cut at 15 characters */, "traefik"} {
		if !slices.Contains(children, name) {
			t.Errorf("no %s among this process's children %v", name, children)
		}
	}
	s := env.Suite
	if s.Mode != "embedded" || s.Backend != translate.BackendService || s.Implementation.Version == "" ||
		s.Gateway.String() != "gateway-system/inference-gateway" || s.CriticalityHeader != localstack.DefaultCriticalityHeader {
		t.Errorf("suite: %+v", s)
	}
	for _, f := range []features.FeatureName{features.SupportHTTPRoute, conformance.SupportCriticalityHeader} {
		if !s.SupportedFeatures.Has(f) {
			t.Errorf("supported features %v lack %s", sets(s), f)
		}
	}
	if s.SupportedFeatures.Has(conformance.SupportInferencePoolBackend) {
		t.Errorf("supported features %v include %s", sets(s), conformance.SupportInferencePoolBackend)
	}
	if _, err := os.Stat(env.Kubeconfig); err != nil {
		t.Errorf("kubeconfig: %v", err)
	}
	t.Logf("Traefik %s at %s; features %v", s.Implementation.Version, s.GatewayAddress, sets(s))

	t.Run("Traffic", func(t *testing.T) { testTraffic(t, ctx, env) })

	children = childProcesses()
	if err := env.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := env.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if left := childProcesses(); len(left) > 0 {
		t.Errorf("processes left after Stop: %v (before: %v)", left, children)
	}
	if _, err := os.Stat(env.Kubeconfig); !os.IsNotExist(err) {
		t.Errorf("kubeconfig after Stop: %v", err)
	}
}

func testTraffic(t *testing.T, ctx context.Context, env *localstack.Env) {
	s := env.Suite
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "startstop-"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pool := conformance.Pool{
		Group: translate.GroupInferenceAlpha, Name: "echo-pool",
		Selector: map[string]string{"app": "echo"}, TargetPort: 8000, Replicas: 2,
		Models: []string{"echo-lora"},
	}
	if err := s.Backends.Deploy(ctx, t, ns.Name, pool); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	var endpointSlices discoveryv1.EndpointSliceList
	err := env.Client.List(ctx, &endpointSlices, client.InNamespace(ns.Name))
	if err != nil || len(endpointSlices.Items) != 1 || len(endpointSlices.Items[0].Endpoints) != pool.Replicas {
		t.Fatalf("EndpointSlices: %v, %+v", err, endpointSlices.Items)
	}
	model := &v1alpha2.InferenceModel{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "echo",
			Annotations: map[string]string{translate.AnnotationParentRefs: s.Gateway.String()}},
		Spec: v1alpha2.InferenceModelSpec{
			ModelName:    "echo-model",
			PoolRef:      v1alpha2.PoolObjectReference{Group: v1alpha2.Group(pool.Group), Name: v1alpha2.ObjectName(pool.Name)},
			TargetModels: []v1alpha2.TargetModel{{Name: "echo-lora"}},
		},
	}
	for _, o := range []client.Object{
		&v1alpha2.InferencePool{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: pool.Name},
			Spec: v1alpha2.InferencePoolSpec{
				Selector:         map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": "echo"},
				TargetPortNumber: pool.TargetPort,
				EndpointPickerConfig: v1alpha2.EndpointPickerConfig{ExtensionRef: &v1alpha2.Extension{
					ExtensionReference: v1alpha2.ExtensionReference{Name: "echo-pool-epp"},
				}},
			},
		},
		model,
	} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
	}

	waitStart := time.Now()
	harness.EventuallyWithin(t, time.Minute, 200*time.Millisecond, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(model), model); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(model.Status.Conditions, translate.ConditionProgrammed); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("Programmed: %+v", c)
		}
		return nil
	})
	t.Logf("model Programmed after %s", time.Since(waitStart).Round(100*time.Millisecond))

	// Through the router, as an OpenAI client sends it: the body alone.
	pods := map[string]int{}
	harness.EventuallyWithin(t, time.Minute, 200*time.Millisecond, func() error {
		reply, err := s.Chat(ctx, "echo-model")
		if err != nil {
			return err
		}
		if reply.Namespace != ns.Name || !strings.HasPrefix(reply.Pod, pool.Name+"-") {
			return fmt.Errorf("answered by %s/%s", reply.Namespace, reply.Pod)
		}
		// The sidecar put the route's target in the body, and took the
		// header away.
		if reply.Model != "echo-lora" {
			return fmt.Errorf("served %q, want echo-lora", reply.Model)
		}
		if got := reply.Headers[http.CanonicalHeaderKey(s.RewriteHeader)]; len(got) > 0 {
			return fmt.Errorf("the server saw %s: %q", s.RewriteHeader, got)
		}
		if got := reply.Headers[http.CanonicalHeaderKey(s.CriticalityHeader)]; !slices.Equal(got, []string{"Standard"}) {
			return fmt.Errorf("%s: %q", s.CriticalityHeader, got)
		}
		pods[reply.Pod]++
		if len(pods) < pool.Replicas {
			return fmt.Errorf("only %v answered so far", pods)
		}
		return nil
	})
	t.Logf("first successful requests after %s: %v", time.Since(waitStart).Round(100*time.Millisecond), pods)
}

func sets(s *conformance.Suite) []features.FeatureName {
	return slices.Sorted(maps.Keys(s.SupportedFeatures))
}

// childProcesses lists the command names of this process's children
// (zombies included: a child not waited for), but the reaper's shell, which
// lives as long as this process.
func childProcesses() []string {
	var names []string
	for _, c := range controlplane.Children() {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}
