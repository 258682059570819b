package controllers_test

// The integration suite: one real control plane (etcd, kube-apiserver and
// kube-controller-manager's garbage collector and namespace controllers) for
// the package, and one controller-runtime manager per test, in its own
// namespace, whose API writes are counted.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
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
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/modelroute/modelroute/controllers"
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

const (
	pollInterval = 100 * time.Millisecond
	pollTimeout  = 20 * time.Second
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
	gcCtx, gcCancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer gcCancel()
	if err := cluster.WaitForGarbageCollector(gcCtx); err != nil {
		fmt.Fprintln(os.Stderr, "kube-controller-manager's garbage collector is not working:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "local control plane ready in %s\n", time.Since(started).Round(100*time.Millisecond))
	return m.Run()
}

// eventually polls check every 100ms until it returns nil, and fails the
// test with check's last error after 20s.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not true after %s: %v", pollTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// consistently checks every 100ms for d that check keeps returning nil.
func consistently(t *testing.T, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if err := check(); err != nil {
			t.Fatalf("stopped being true within %s: %v", d, err)
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(pollInterval)
	}
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

// writeCounter records the mutating requests (any method but GET) sent
// through a rest.Config.
type writeCounter struct {
	mu       sync.Mutex
	requests []string // "METHOD path -> status"
	failed   []string // those answered with 400 or 422: rejected by validation
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if req.Method == http.MethodGet {
			return resp, err
		}
		status := "error: " + fmt.Sprint(err)
		if err == nil {
			status = resp.Status
		}
		line := fmt.Sprintf("%s %s -> %s", req.Method, req.URL.Path, status)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.requests = append(w.requests, line)
		if err == nil && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity) {
			w.failed = append(w.failed, line)
		}
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// Requests returns the mutating requests so far.
func (w *writeCounter) Requests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.requests...)
}

// Rejected returns the mutating requests the API server rejected as invalid.
func (w *writeCounter) Rejected() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.failed...)
}

// matching returns the requests whose line contains every part.
func matching(requests []string, parts ...string) []string {
	var out []string
	for _, r := range requests {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(r, p)
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// logBuffer keeps a manager's log, printed only when its test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) write(prefix, args string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(&b.buf, "%s %s %s\n", time.Now().Format("15:04:05.000"), prefix, args)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testManager is one in-process modelroute controller.
type testManager struct {
	Writes  *writeCounter
	Metrics *controllers.ConditionMetrics
	stop    func()
}

// Stop stops the manager and waits for it to return; idempotent.
func (m *testManager) Stop() { m.stop() }

// startManager starts a manager that caches only namespace ns, with
// controllers.Setup and cfg, and stops it when the test ends.
func startManager(t *testing.T, ns string, cfg translate.Config) *testManager {
	t.Helper()
	writes := &writeCounter{}
	restConfig := rest.CopyConfig(cluster.Config)
	restConfig.WrapTransport = transport.Wrappers(restConfig.WrapTransport, writes.wrap)
	logs := &logBuffer{}
	logger := funcr.New(logs.write, funcr.Options{Verbosity: 1})
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 logger,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  controllers.CacheOptions(ns),
		// Every test starts the same controllers again in this process.
		Controller:              config.Controller{SkipNameValidation: ptr.To(true)},
		GracefulShutdownTimeout: ptr.To(20 * time.Second),
	})
	if err != nil {
		t.Fatalf("creating manager: %v", err)
	}
	ctx, cancel := context.WithCancel(ctrl.LoggerInto(context.Background(), logger))
	m := &testManager{Writes: writes, Metrics: controllers.NewConditionMetrics()}
	if err := controllers.Setup(ctx, mgr, controllers.Options{Config: cfg, Concurrency: 2, Metrics: m.Metrics}); err != nil {
		cancel()
		t.Fatalf("controllers.Setup: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	m.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("manager stopped with: %v", err)
				}
			case <-time.After(time.Minute):
				t.Errorf("manager did not stop within a minute")
			}
		})
	}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("manager log:\n%s", logs)
			t.Logf("manager writes:\n%s", strings.Join(writes.Requests(), "\n"))
		}
	})
	syncCtx, syncCancel := context.WithTimeout(ctx, pollTimeout)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		select {
		case err := <-done:
			t.Fatalf("manager stopped before its caches synced: %v", err)
		default:
			t.Fatalf("manager caches did not sync within %s", pollTimeout)
		}
	}
	return m
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
