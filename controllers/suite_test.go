package controllers_test

// The integration suite: one real control plane (etcd, kube-apiserver and
// kube-controller-manager's garbage collector and namespace controllers) for
// the package, and one controller-runtime manager per test, in its own
// namespace, whose API writes are counted.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

var (
	// cluster is the control plane every test shares.
	cluster *controlplane.Cluster
	// scheme holds every type the controller and the tests use.
	scheme *runtime.Scheme
	// k8s is the tests' own admin client: it reads the API server directly
	// (no cache) and its requests are not counted.
	k8s client.Client
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

// runSuite runs the tests and stops every process the control plane
// started, whatever happens: on a normal return, on a signal through the
// handler below, and when this process dies without either (a panic in a
// test, `go test -timeout`) through localcluster's reaper. The control
// plane starts with the first test that needs it (ensureCluster): the
// reconcile tables run without one.
func runSuite(m *testing.M) int {
	if os.Getenv("MODELROUTE_TEST_LOG") != "" {
		testLogs = os.Stderr
		ctrl.SetLogger(funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1}))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	var err error
	if scheme, err = controllers.NewScheme(); err != nil {
		fmt.Fprintln(os.Stderr, "building the scheme:", err)
		return 1
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "%v: stopping the local control plane\n", sig)
		stopCluster()
		os.Exit(1)
	}()
	defer stopCluster()
	return m.Run()
}

var (
	// testLogs receives the control plane's output (MODELROUTE_TEST_LOG).
	testLogs     io.Writer = io.Discard
	clusterOnce  sync.Once
	clusterErr   error
	stopOnce     sync.Once
	clusterMutex sync.Mutex
)

// ensureCluster starts the shared control plane on first use (the garbage
// collector working, the tests' Gateways in place) and fails t if it
// could not.
func ensureCluster(t testing.TB) {
	t.Helper()
	clusterOnce.Do(func() { clusterErr = startCluster() })
	if clusterErr != nil {
		t.Fatalf("starting the local control plane: %v", clusterErr)
	}
}

func startCluster() error {
	started := time.Now()
	c, err := controlplane.Start(controlplane.Options{ControllerManager: true, Log: testLogs})
	if err != nil {
		return err
	}
	clusterMutex.Lock()
	cluster = c
	clusterMutex.Unlock()
	if k8s, err = client.New(cluster.Config, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("creating the test client: %w", err)
	}
	if err := testGateways.Create(context.Background(), k8s); err != nil {
		return fmt.Errorf("creating the tests' Gateways: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cluster.WaitForGarbageCollector(ctx); err != nil {
		return fmt.Errorf("kube-controller-manager's garbage collector is not working: %w", err)
	}
	fmt.Fprintf(os.Stderr, "local control plane ready in %s\n", time.Since(started).Round(100*time.Millisecond))
	return nil
}

// stopCluster stops the control plane if it was started; idempotent.
func stopCluster() {
	stopOnce.Do(func() {
		clusterMutex.Lock()
		defer clusterMutex.Unlock()
		if cluster == nil {
			return
		}
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the local control plane:", err)
		}
	})
}

// testGateways are the parent Gateways of the tests' routes: no Gateway
// implementation runs here, so the tests write the routes' status as the
// class's controller would.
var testGateways = harness.Gateways{
	Class: "modelroute-test", Controller: gatewayController, Namespace: gatewayNamespace,
	Names: []string{gatewayName, chaosGateway, "v1-gateway", "other-gateway"},
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newNamespace creates a namespace for one test; it is deleted afterwards
// (by kube-controller-manager's namespace controller, not waited for).
func newNamespace(t *testing.T) string {
	t.Helper()
	ensureCluster(t)
	prefix := strings.ToLower(strings.TrimPrefix(t.Name(), "Test"))
	prefix = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, prefix)
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: strings.Trim(prefix, "-") + "-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() {
		if err := k8s.Delete(context.Background(), ns); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

// startManager starts the reconcilers with cfg, as the suite cluster's
// admin, caching only namespace ns; they stop when the test ends.
func startManager(t *testing.T, ns string, cfg translate.Config) *harness.Manager {
	t.Helper()
	return harness.StartManager(t, harness.ManagerOptions{RestConfig: cluster.Config, Namespaces: []string{ns}, Config: cfg})
}

// modelsSeen counts the models whose conditions the manager's metrics
// collector holds: each reconcile of an existing model records them, so
// this is the number of models the manager has reconciled at least once.
func modelsSeen(m *controllers.ConditionMetrics) (int, error) {
	ch := make(chan prometheus.Metric, 100)
	go func() { m.Collect(ch); close(ch) }()
	total := 0.0
	for metric := range ch {
		var out dto.Metric
		if err := metric.Write(&out); err != nil {
			return 0, err
		}
		// Every reconciled model has exactly one Accepted condition.
		for _, l := range out.GetLabel() {
			if l.GetName() == "type" && l.GetValue() == translate.ConditionAccepted {
				total += out.GetGauge().GetValue()
			}
		}
	}
	return int(total), nil
}

// reconcileCount is controller-runtime's process-wide count of finished
// reconciles of the named controller, whatever their result.
func reconcileCount(controllerName string) (float64, error) {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controllerName {
					total += metric.GetCounter().GetValue()
				}
			}
		}
	}
	return total, nil
}
