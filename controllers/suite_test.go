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
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/internal/testing/localcluster"
	"github.com/modelroute/modelroute/translate"
)

var (
	// cluster is the control plane every test shares.
	cluster *localcluster.Cluster
	// scheme holds every type the controller and the tests use.
	scheme *runtime.Scheme
	// k8s is the tests' own admin client: it reads the API server directly
	// (no cache) and its requests are not counted.
	k8s client.Client
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

// runSuite starts the control plane, runs the tests and stops every process
// it started, whatever happens: on a normal return through Stop, on a
// signal through the handler below, and when this process dies without
// either (a panic in a test, `go test -timeout`) through localcluster's
// reaper.
func runSuite(m *testing.M) int {
	var logs io.Writer = io.Discard
	if os.Getenv("MODELROUTE_TEST_LOG") != "" {
		logs = os.Stderr
		ctrl.SetLogger(funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1}))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	var err error
	if scheme, err = controllers.NewScheme(); err != nil {
		fmt.Fprintln(os.Stderr, "building the scheme:", err)
		return 1
	}
	started := time.Now()
	cluster, err = localcluster.Start(localcluster.Options{ControllerManager: true, Log: logs})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the local control plane:", err)
		return 1
	}
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			if err := cluster.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "stopping the local control plane:", err)
			}
		})
	}
	defer stop()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "%v: stopping the local control plane\n", sig)
		stop()
		os.Exit(1)
	}()

	if k8s, err = client.New(cluster.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, "creating the test client:", err)
		return 1
	}
	if err := testGateways.Create(context.Background(), k8s); err != nil {
		fmt.Fprintln(os.Stderr, "creating the tests' Gateways:", err)
		return 1
	}
	gcCtx, gcCancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer gcCancel()
	if err := cluster.WaitForGarbageCollector(gcCtx); err != nil {
		fmt.Fprintln(os.Stderr, "kube-controller-manager's garbage collector is not working:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "local control plane ready in %s\n", time.Since(started).Round(100*time.Millisecond))
	return m.Run()
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
