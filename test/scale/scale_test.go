//go:build bench

package scale_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

var (
	sizesFlag   = flag.String("sizes", "1000,10000,50000", "numbers of InferenceModels, one round each")
	perPool     = flag.Int("models-per-pool", 10, "InferenceModels per InferencePool")
	qps         = flag.Float64("qps", 50, "client QPS of the throttled runs, controller and floor (the controller's default)")
	burst       = flag.Int("burst", 100, "client burst of the throttled runs, controller and floor (the controller's default)")
	concurrency = flag.Int("concurrency", 4, "the controller's --concurrency, and the floor's workers")
	edits       = flag.Int("edits", 50, "sequential edits whose latency is measured")
	syncPeriod  = flag.Duration("sync-period", 30*time.Second, "shortest --sync-period of the controller started to watch one resync")
	timeout     = flag.Duration("converge-timeout", 45*time.Minute, "how long the controller may take to converge")
	profileDir  = flag.String("profile-dir", "", "when set, the controller serves pprof and the benchmark saves into this directory CPU profiles of the first 30 s of each floor and controller run (the controller's and kube-apiserver's) and the controller's heap profiles")
	binaryFlag  = flag.String("binary", "", "a modelroute binary to measure (another build, to compare); default: the tree's, built by the benchmark")
	modesFlag   = flag.String("modes", "unthrottled,throttled", "the runs of each size; the restart, edits and resync follow the throttled one")
	envFlag     = flag.String("controller-env", "", "KEY=VALUE,… added to the controller's environment only, e.g. GOGC=25 (kube-apiserver, etcd and the benchmark keep theirs)")
	outFlag     = flag.String("out", "", "markdown file to write the results into (default docs/benchmarks.md of the repository; - for none)")
)

// populateWorkers create the models and pools (not timed).
const populateWorkers = 16

// parentRef is the Gateway every route attaches to (--parent-ref); it
// exists, and no Gateway controller runs, so Programmed stays
// Unknown/Pending.
const parentRef = "gateway-system/gw"

// parentGateway is parentRef's Gateway and its class.
var parentGateway = harness.Gateways{Class: "scale", Controller: "example.com/scale", Namespace: "gateway-system", Names: []string{"gw"}}

// bench is what every round shares.
type bench struct {
	cluster *controlplane.Cluster
	scheme  *runtime.Scheme
	admin   client.Client // unlimited, uncounted: creation, edits
	binary  string
	dir     string
	cfg     translate.Config
	// allNamespaces runs the controller without --namespace, over every
	// namespace, as the default install does (TestForeignRoutes); else it
	// watches only its run's namespace.
	allNamespaces bool

	// What the run has used so far, for the report (see account).
	started   time.Time
	load      *loadSampler
	cpuBefore cpuSnapshot
}

// sizeResult is what one round measured.
type sizeResult struct {
	N, Pools int
	Setup    time.Duration // creating the models and pools of every namespace

	// Unthrottled: the controller and the floor without a client-side rate
	// limit; Throttled: both at -qps and -burst, the controller's defaults.
	Unthrottled, Throttled run

	// With the controller's default flags, after the throttled run.
	Restart          restartRun
	SyncPeriod       time.Duration // of the resync process
	ResyncDone       time.Duration // its start → every model reconciled again
	Resync           counts
	ResyncReconciles float64
	Edits            []time.Duration
}

// run is a floor and a first start of the controller over n new models
// each, with one client setting.
type run struct {
	QPS   float64 // client QPS; < 0: no client-side rate limit
	Burst int

	Floor         time.Duration // start → the tracker sees every route and status right
	FloorRequests counts

	Ready, Converged time.Duration // since the controller process started
	Settled          time.Duration // work queue empty, no request for idleQuiet; 0: not within idleLimit
	Create           counts        // requests until settled
	AfterConvergence counts        // of those, after convergence
	ClientMethods    map[string]float64
	HWM              int64 // peak RSS (VmHWM) once idle
	RSS              int64 // RSS once idle
	HeapInuse        float64
	HeapAlloc        float64

	// CPU-seconds until convergence: kube-apiserver's and etcd's, during
	// the floor and during the controller's run, and the controller's.
	FloorServerCPU, ServerCPU, ControllerCPU float64
}

// restartRun is a new process over converged models, counted until it has
// reconciled every model and is idle.
type restartRun struct {
	Ready, Done          time.Duration // since the process started: caches synced, every model reconciled
	Requests             counts        // until every model was reconciled
	Reconciles           float64
	HWM                  int64 // peak RSS (VmHWM), before the process is stopped
	RSS                  int64 // RSS once every model was reconciled
	HeapInuse, HeapAlloc float64
}

func TestScale(t *testing.T) {
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < *perPool {
			t.Fatalf("-sizes: bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	ctx := context.Background()
	b, env := newBench(t)

	// The report is written after every round, so that a round that fails
	// (or a run cut short) still leaves the sizes measured before it.
	var results []*sizeResult
	for i, n := range sizes {
		r, err := b.round(ctx, t, n)
		if err != nil && r == nil {
			t.Fatalf("%d models: %v", n, err)
		}
		results = append(results, r)
		last := i == len(sizes)-1
		b.account(&env, last)
		report := renderReport(env, results)
		if last {
			fmt.Println(report)
		}
		if path := outPath(); path != "" {
			if err := writeReport(path, benchTarget, report); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s (%d of %d sizes)", path, i+1, len(sizes))
		}
		if err != nil {
			t.Fatalf("%d models, after measuring: %v", n, err)
		}
	}
}

// newBench starts what every test of the benchmark needs: its accounts of
// time, load and CPU, the binary (built from the tree unless -binary), the
// local control plane (stopped when the test ends) with the parent Gateway,
// and an admin client; and it describes the environment for the report.
func newBench(t *testing.T) (*bench, environment) {
	ctrl.SetLogger(logr.Discard())
	b := &bench{dir: t.TempDir(), binary: *binaryFlag, started: time.Now(), load: startLoadSampler(), cpuBefore: readCPU()}
	if b.binary == "" {
		b.binary = filepath.Join(b.dir, "modelroute")
		build := exec.Command("go", "build", "-trimpath", "-o", b.binary, "./cmd/modelroute")
		build.Dir = controlplane.RepoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building modelroute: %v\n%s", err, out)
		}
	}
	var err error
	if b.scheme, err = controllers.NewScheme(); err != nil {
		t.Fatal(err)
	}
	if b.cluster, err = controlplane.Start(controlplane.Options{}); err != nil {
		t.Fatalf("starting the local control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := b.cluster.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	adminConfig := rest.CopyConfig(b.cluster.Config)
	adminConfig.QPS = -1
	if b.admin, err = client.New(adminConfig, client.Options{Scheme: b.scheme}); err != nil {
		t.Fatal(err)
	}
	if err := parentGateway.Create(context.Background(), b.admin); err != nil {
		t.Fatal(err)
	}
	b.cfg = translate.DefaultConfig()
	ref, err := translate.ParseParentRef(parentRef)
	if err != nil {
		t.Fatal(err)
	}
	b.cfg.ParentRefs = []gatewayv1.ParentReference{ref}
	env, err := describeEnvironment(b.cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	return b, env
}

// account puts into env the time and CPU the run has used so far, and the
// load during it; last stops the load sampler.
func (b *bench) account(env *environment, last bool) {
	env.CPU = b.cpuBefore.until(readCPU())
	env.Duration = time.Since(b.started)
	if last {
		env.Load = b.load.stop()
	} else {
		env.Load = b.load.sofar()
	}
}

func outPath() string {
	switch *outFlag {
	case "-":
		return ""
	case "":
		return filepath.Join(controlplane.RepoRoot(), "docs", "benchmarks.md")
	}
	return *outFlag
}

// round measures n models over n/models-per-pool pools: an unthrottled
// and a throttled run, each on models of their own; then, with the
// controller's default flags over the throttled run's converged models, a
// restart, edits and a resync. Each run's namespaces are filled just
// before it and emptied after it, so that the API server holds one run's
// objects at a time (at 50,000 models, four runs' worth would fill most of
// this machine's memory).
func (b *bench) round(ctx context.Context, t *testing.T, n int) (*sizeResult, error) {
	r := &sizeResult{N: n, Pools: n / *perPool}
	for _, mode := range []struct {
		name   string
		qps    float64
		burst  int
		result *run
	}{
		{"unthrottled", -1, 0, &r.Unthrottled},
		{"throttled", *qps, *burst, &r.Throttled},
	} {
		if !slices.Contains(strings.Split(*modesFlag, ","), mode.name) {
			continue
		}
		*mode.result = run{QPS: mode.qps, Burst: mode.burst}
		floorNS, ctlNS := fmt.Sprintf("floor-%s-%d", mode.name[:1], n), fmt.Sprintf("ctl-%s-%d", mode.name[:1], n)
		start := time.Now()
		floorPools, floorModels, err := b.populate(ctx, floorNS, n, r.Pools)
		if err != nil {
			return nil, err
		}
		ctlPools, _, err := b.populate(ctx, ctlNS, n, r.Pools)
		if err != nil {
			return nil, err
		}
		r.Setup += time.Since(start)
		t.Logf("%d models, %s: created %d models and %d pools in each of 2 namespaces in %s", n, clientLimits(mode.qps, mode.burst),
			n, r.Pools, time.Since(start).Round(time.Millisecond))
		if err := b.floor(ctx, t, mode.result, floorPools, floorModels); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		t.Logf("%d models, %s: floor %s", n, clientLimits(mode.qps, mode.burst), mode.result.Floor.Round(time.Millisecond))
		if err := b.firstStart(ctx, t, mode.result, ctlNS, ctlPools); err != nil {
			return nil, err
		}
		t.Logf("%d models, %s: ready after %s, converged after %s (%.2f × the floor), RSS %d MiB", n, clientLimits(mode.qps, mode.burst),
			mode.result.Ready.Round(time.Millisecond), mode.result.Converged.Round(time.Millisecond), mode.result.ratio(), mode.result.HWM>>20)
		t.Logf("%d models, %s: requests until idle: %s", n, clientLimits(mode.qps, mode.burst), listCounts(mode.result.Create))
		if mode.result == &r.Throttled {
			if err := b.afterwards(ctx, t, r, ctlNS, ctlPools); err != nil {
				return nil, err
			}
		}
		for _, ns := range []string{floorNS, ctlNS} {
			if err := b.empty(ctx, ns); err != nil {
				return r, err // measured: the report keeps it
			}
		}
	}
	return r, nil
}

// empty deletes what a run made in ns: models, pools, routes and Events
// (no kube-controller-manager runs to delete the namespace's content). At
// 50,000 models a collection delete outlasts the API server's request
// timeout and goes on after the answer (a timeout, or a reset stream): it
// is sent again until a list finds the kind gone.
func (b *bench) empty(ctx context.Context, ns string) error {
	for _, obj := range []struct {
		one  client.Object
		list client.ObjectList
	}{
		{&v1alpha2.InferenceModel{}, &v1alpha2.InferenceModelList{}},
		{&v1alpha2.InferencePool{}, &v1alpha2.InferencePoolList{}},
		{&gatewayv1.HTTPRoute{}, &gatewayv1.HTTPRouteList{}},
		{&eventsv1.Event{}, &eventsv1.EventList{}},
	} {
		err := wait.PollUntilContextTimeout(ctx, time.Second, 15*time.Minute, true, func(ctx context.Context) (bool, error) {
			// An error here may be the timeout, or a stream the server
			// reset on it, of a delete that goes on: the list tells.
			_ = b.admin.DeleteAllOf(ctx, obj.one, client.InNamespace(ns))
			if err := b.admin.List(ctx, obj.list, client.InNamespace(ns), client.Limit(1)); err != nil {
				return false, err
			}
			return meta.LenList(obj.list) == 0, nil
		})
		if err != nil {
			return fmt.Errorf("emptying %s of %T: %w", ns, obj.one, err)
		}
	}
	return nil
}

// clientLimits names a client setting for the log.
func clientLimits(qps float64, burst int) string {
	if qps < 0 {
		return "unthrottled"
	}
	return fmt.Sprintf("QPS %g, burst %d", qps, burst)
}

// controllerArgs are the flags of the controller of namespace ns.
func (b *bench) controllerArgs(ns string, qps float64, burst int) []string {
	args := []string{"--parent-ref", parentRef, "--concurrency", strconv.Itoa(*concurrency),
		"--kube-api-qps", strconv.FormatFloat(qps, 'f', -1, 64)}
	if !b.allNamespaces {
		args = append(args, "--namespace", ns)
	}
	if burst > 0 {
		args = append(args, "--kube-api-burst", strconv.Itoa(burst))
	}
	return args
}

// counted is a proxy that counts requests to the API server and a
// kubeconfig pointing at it.
func (b *bench) counted(name string) (*harness.CountingProxy, string, error) {
	proxy, err := harness.StartCountingProxy(b.cluster.Config)
	if err != nil {
		return nil, "", err
	}
	kubeconfig := filepath.Join(b.dir, "kubeconfig-"+name)
	if err := proxy.WriteKubeconfig(kubeconfig); err != nil {
		proxy.Close()
		return nil, "", err
	}
	return proxy, kubeconfig, nil
}

// firstStart runs a controller over the new models of ns until they have
// converged and it is idle.
func (b *bench) firstStart(ctx context.Context, t *testing.T, r *run, ns string, pools []v1alpha2.InferencePool) error {
	n := len(pools) * *perPool
	trackCtx, stopTracking := context.WithCancel(ctx)
	defer stopTracking()
	tr, err := startTracker(trackCtx, b.cluster.Config, b.scheme, ns, pools, n, b.cfg)
	if err != nil {
		return err
	}
	proxy, kubeconfig, err := b.counted(ns)
	if err != nil {
		return err
	}
	defer proxy.Close()
	serverCPU := controlPlaneCPU()
	proc, err := startController(b.binary, kubeconfig, filepath.Join(b.dir, "controller-"+ns+".log"), b.controllerArgs(ns, r.QPS, r.Burst)...)
	if err != nil {
		return err
	}
	defer proc.stop()
	if r.Ready, err = proc.waitReady(ctx); err != nil {
		return err
	}
	proc.profile(t, "cpu-"+ns+".pprof", "profile?seconds=30")
	b.profileAPIServer(t, "apiserver-cpu-"+ns+".pprof")
	progress := time.NewTicker(time.Minute)
	defer progress.Stop()
	deadline := time.After(*timeout)
wait:
	for {
		select {
		case <-tr.done:
			break wait
		case <-progress.C:
			t.Logf("%s: %s", ns, tr.progress())
		case <-proc.Done():
			return fmt.Errorf("%v\n%s", proc.Exited(), proc.tail())
		case <-deadline:
			return fmt.Errorf("after %s: %s\n%s", *timeout, tr.progress(), proc.tail())
		}
	}
	r.Converged = tr.doneAt.Sub(proc.started)
	r.ServerCPU, r.ControllerCPU = controlPlaneCPU()-serverCPU, procCPU(proc.Pid(), false)
	atConvergence := proxy.Snapshot()
	if waitIdle(ctx, proc, proxy, idleQuiet, idleLimit) {
		r.Settled = time.Since(proc.started)
	} else {
		t.Logf("%s: the controller was still busy %s after converging", ns, idleLimit)
	}
	r.Create = proxy.Snapshot()
	r.AfterConvergence = r.Create.Minus(atConvergence)
	m, err := proc.Scrape()
	if err != nil {
		return err
	}
	r.ClientMethods = map[string]float64{}
	m.Series("rest_client_requests_total", func(labels map[string]string, v float64) {
		r.ClientMethods[labels["method"]] += v
	})
	if r.RSS, err = proc.rss(); err != nil {
		return err
	}
	proc.profile(t, "heap-"+ns+".pprof", "heap")
	if r.HWM, err = proc.PeakRSS(); err != nil {
		return err
	}
	r.HeapInuse, r.HeapAlloc = proc.heapPeaks()
	return proc.stop()
}

// afterwards starts the controller with its default flags over the
// converged models of ns: a restart, then edits; then one more start to
// watch a resync.
func (b *bench) afterwards(ctx context.Context, t *testing.T, r *sizeResult, ns string, pools []v1alpha2.InferencePool) error {
	n := r.N
	trackCtx, stopTracking := context.WithCancel(ctx)
	defer stopTracking()
	tr, err := startTracker(trackCtx, b.cluster.Config, b.scheme, ns, pools, n, b.cfg)
	if err != nil {
		return err
	}
	proxy, kubeconfig, err := b.counted(ns + "-restart")
	if err != nil {
		return err
	}
	defer proxy.Close()
	args := b.controllerArgs(ns, *qps, *burst)

	// Restart: a new process over the converged models; then edits.
	r.Restart, err = b.restart(ctx, t, proxy, kubeconfig, ns, n, args, func() (err error) {
		r.Edits, err = b.editLatencies(ctx, tr, ns, *edits)
		return err
	})
	if err != nil {
		return err
	}
	// Logged as well as reported: the report needs every later phase to succeed.
	t.Logf("%d models: restart reconciled every model after %s with %d writes, RSS %d MiB; edit p99 %s", n,
		r.Restart.Done.Round(time.Millisecond), writes(r.Restart.Requests), r.Restart.HWM>>20, percentile(r.Edits, 99))

	// Resync: one more process, with a sync period long enough for its
	// start to be over (twice the restart) before an informer can resync,
	// after a jittered 0.9–1.1 × the period. The first resync comes after
	// one or two periods: an informer times its resyncs from the end of its
	// first list, and skips a tick that comes less than a period after a
	// handler was added, which the controllers do once the caches have
	// synced (see docs/controller.md).
	r.SyncPeriod = max(*syncPeriod, (2 * r.Restart.Done).Round(time.Second))
	proc, err := startController(b.binary, kubeconfig, filepath.Join(b.dir, "controller-"+ns+"-resync.log"),
		append(args, "--sync-period", r.SyncPeriod.String())...)
	if err != nil {
		return err
	}
	defer proc.stop()
	if err := waitReconciled(ctx, proc, proxy, n); err != nil {
		return err
	}
	before := proxy.Snapshot()
	_, started, err := proc.modelQueue()
	if err != nil {
		return err
	}
	latest := r.SyncPeriod*22/10 + 5*time.Minute
	err = harness.Await(ctx, time.Until(proc.started.Add(latest)), 500*time.Millisecond, func() error {
		_, reconciled, err := proc.modelQueue()
		switch {
		case err != nil:
			return err
		case reconciled-started < float64(n):
			return fmt.Errorf("only %.0f of %d models were reconciled by the resync", reconciled-started, n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.ResyncDone = time.Since(proc.started)
	t.Logf("%d models: every model reconciled again by the resync %s after the start (--sync-period %s)", n,
		r.ResyncDone.Round(time.Millisecond), r.SyncPeriod)
	if !waitIdle(ctx, proc, proxy, idleQuiet, 5*time.Minute) {
		t.Logf("%d models: the controller was still busy 5 minutes after the resync", n)
	}
	_, reconciled, err := proc.modelQueue()
	if err != nil {
		return err
	}
	r.ResyncReconciles = reconciled - started
	r.Resync = proxy.Snapshot().Minus(before)
	return proc.stop()
}

// restart starts a controller with args over the n converged models of ns,
// counting its requests through proxy (whose kubeconfig it is given), waits
// until it has reconciled every model and is idle, runs then (nil: nothing)
// in its presence, and stops it.
func (b *bench) restart(ctx context.Context, t *testing.T, proxy *harness.CountingProxy, kubeconfig, ns string, n int,
	args []string, then func() error) (restartRun, error) {
	var r restartRun
	before := proxy.Snapshot()
	proc, err := startController(b.binary, kubeconfig, filepath.Join(b.dir, "controller-"+ns+"-restart.log"), args...)
	if err != nil {
		return r, err
	}
	defer proc.stop()
	if r.Ready, err = proc.waitReady(ctx); err != nil {
		return r, err
	}
	if err := waitReconciled(ctx, proc, proxy, n); err != nil {
		return r, err
	}
	r.Done = time.Since(proc.started)
	r.Requests = proxy.Snapshot().Minus(before)
	if _, r.Reconciles, err = proc.modelQueue(); err != nil {
		return r, err
	}
	if r.RSS, err = proc.rss(); err != nil {
		return r, err
	}
	if then != nil {
		if err := then(); err != nil {
			return r, err
		}
	}
	proc.profile(t, "heap-"+ns+"-restart.pprof", "heap")
	if r.HWM, err = proc.PeakRSS(); err != nil {
		return r, err
	}
	r.HeapInuse, r.HeapAlloc = proc.heapPeaks()
	return r, proc.stop()
}

// populate creates pools and then models in a new namespace ns, with
// populateWorkers workers and no client-side rate limit (creation is not
// timed).
func (b *bench) populate(ctx context.Context, ns string, n, poolCount int) ([]v1alpha2.InferencePool, []*v1alpha2.InferenceModel, error) {
	if err := b.admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, nil, err
	}
	pools := make([]v1alpha2.InferencePool, poolCount)
	err := parallel(poolCount, populateWorkers, func(i int) error {
		name := fmt.Sprintf("pool-%d", i)
		pools[i] = v1alpha2.InferencePool{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha2.InferencePoolSpec{
				Selector:         map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": v1alpha2.LabelValue(name)},
				TargetPortNumber: 8000,
				EndpointPickerConfig: v1alpha2.EndpointPickerConfig{ExtensionRef: &v1alpha2.Extension{
					ExtensionReference: v1alpha2.ExtensionReference{Name: v1alpha2.ObjectName(name + "-epp")},
				}},
			},
		}
		return b.admin.Create(ctx, &pools[i])
	})
	if err != nil {
		return nil, nil, err
	}
	models := make([]*v1alpha2.InferenceModel, n)
	err = parallel(n, populateWorkers, func(i int) error {
		name := fmt.Sprintf("model-%d", i)
		m := &v1alpha2.InferenceModel{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha2.InferenceModelSpec{
				ModelName: name,
				PoolRef: v1alpha2.PoolObjectReference{
					Group: translate.GroupInferenceAlpha, Name: v1alpha2.ObjectName(fmt.Sprintf("pool-%d", i%poolCount)),
				},
			},
		}
		for t := range i%10 + 1 {
			m.Spec.TargetModels = append(m.Spec.TargetModels,
				v1alpha2.TargetModel{Name: fmt.Sprintf("%s-lora-%d", name, t), Weight: ptr.To(int32(t + 1))})
		}
		models[i] = m
		return b.admin.Create(ctx, m)
	})
	return pools, models, err
}

// floor makes the requests the controller has to make, with nothing else:
// for each model, create the route translate gives it, patch its status
// with translate's conditions (a JSON merge patch with an optimistic lock,
// as the controller does) and post the one Event of that status write,
// through a plain client with the run's QPS and burst and the controller's
// concurrency. It is timed as the controller is: until a tracker watching
// the namespace sees every route and status right.
func (b *bench) floor(ctx context.Context, t *testing.T, r *run, pools []v1alpha2.InferencePool, models []*v1alpha2.InferenceModel) error {
	in := translate.Input{AlphaPools: pools}
	for _, m := range models {
		in.Models = append(in.Models, *m)
	}
	translator, err := translate.NewTranslator(b.cfg)
	if err != nil {
		return err
	}
	out := translator.Translate(in)
	results := map[string]translate.ModelResult{}
	for _, res := range out.Models {
		if res.Route == nil {
			return fmt.Errorf("translate gives %s no route: %v", res.Name, res.Conditions)
		}
		results[res.Name] = res
	}
	ns := models[0].Namespace
	trackCtx, stopTracking := context.WithCancel(ctx)
	defer stopTracking()
	tr, err := startTracker(trackCtx, b.cluster.Config, b.scheme, ns, pools, len(models), b.cfg)
	if err != nil {
		return err
	}
	proxy, err := harness.StartCountingProxy(b.cluster.Config)
	if err != nil {
		return err
	}
	defer proxy.Close()
	c, err := client.New(&rest.Config{Host: proxy.URL, QPS: float32(r.QPS), Burst: r.Burst}, client.Options{Scheme: b.scheme})
	if err != nil {
		return err
	}
	start, serverCPU := time.Now(), controlPlaneCPU()
	b.profileAPIServer(t, "apiserver-cpu-"+ns+".pprof")
	err = parallel(len(models), *concurrency, func(i int) error {
		m := models[i]
		res := results[m.Name]
		if err := c.Create(ctx, res.Route.DeepCopy(), client.FieldOwner("floor")); err != nil {
			return err
		}
		before := m.DeepCopy()
		m.Status.Conditions, _ = translate.MergeConditions(m.Status.Conditions, res.Conditions, metav1.Now())
		if err := c.Status().Patch(ctx, m, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}),
			client.FieldOwner("floor")); err != nil {
			return err
		}
		return c.Create(ctx, floorEvent(m, translate.TransitionEvents(before.Status.Conditions, m.Status.Conditions)))
	})
	if err != nil {
		return err
	}
	select {
	case <-tr.done:
	case <-time.After(time.Minute):
		return fmt.Errorf("the tracker saw %d of %d models converge", tr.convergedCount(), len(models))
	}
	r.Floor, r.FloorRequests, r.FloorServerCPU = tr.doneAt.Sub(start), proxy.Snapshot(), controlPlaneCPU()-serverCPU
	return nil
}

// floorEvent is the one Event the controller records about a new model,
// as its Event recorder would post it.
func floorEvent(m *v1alpha2.InferenceModel, events []translate.Event) *eventsv1.Event {
	e := events[0]
	return &eventsv1.Event{
		// Named as client-go's Event recorder names them.
		ObjectMeta:          metav1.ObjectMeta{Namespace: m.Namespace, Name: fmt.Sprintf("%s.%x", m.Name, time.Now().UnixNano())},
		EventTime:           metav1.NowMicro(),
		ReportingController: "floor",
		ReportingInstance:   "floor",
		Action:              "UpdateStatus",
		Reason:              e.Reason,
		Note:                e.Note,
		Type:                e.Type,
		Regarding: corev1.ObjectReference{
			APIVersion: v1alpha2.GroupVersion.String(), Kind: "InferenceModel",
			Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion,
		},
	}
}

// editLatencies changes the target weights of model-9 (10 targets) count
// times, one after another, and measures each time from sending the edit
// to seeing the route change in the tracker's watch.
func (b *bench) editLatencies(ctx context.Context, tr *tracker, ns string, count int) ([]time.Duration, error) {
	m := &v1alpha2.InferenceModel{}
	if err := b.admin.Get(ctx, types.NamespacedName{Namespace: ns, Name: "model-9"}, m); err != nil {
		return nil, err
	}
	pool := tr.pools[string(m.Spec.PoolRef.Name)]
	var latencies []time.Duration
	for k := range count {
		before := m.DeepCopy()
		for i := range m.Spec.TargetModels {
			m.Spec.TargetModels[i].Weight = ptr.To(int32(100*(k+1) + i + 1))
		}
		spec := desiredSpec(m, pool, b.cfg)
		seen := tr.awaitRoute(translate.RouteName(m.Name), spec)
		sent := time.Now()
		if err := b.admin.Patch(ctx, m, client.MergeFrom(before)); err != nil {
			return nil, err
		}
		select {
		case at := <-seen:
			latencies = append(latencies, at.Sub(sent))
		case <-time.After(time.Minute):
			return nil, fmt.Errorf("edit %d: the route did not change within a minute", k+1)
		}
		// Each edit meets a controller that has finished the previous one.
		time.Sleep(250 * time.Millisecond)
	}
	return latencies, nil
}

const (
	// idleQuiet is how long the proxy must have served no request but
	// watches for the controller to count as idle.
	idleQuiet = 3 * time.Second
	// idleLimit is how long a converged controller may take to be idle.
	idleLimit = 15 * time.Minute
)

// waitIdle waits up to limit until the controller has no model queued or
// in reconcile and the proxy has served no request but watches for quiet.
func waitIdle(ctx context.Context, proc *controllerProcess, proxy *harness.CountingProxy, quiet, limit time.Duration) bool {
	return harness.Await(ctx, limit, 200*time.Millisecond, func() error {
		busy, _, err := proc.modelQueue()
		if err == nil && (busy != 0 || !proxy.Quiet(quiet)) {
			err = errors.New("busy")
		}
		return err
	}) == nil
}

// waitReconciled waits until a (re)started controller has reconciled every
// one of n models and is idle.
func waitReconciled(ctx context.Context, proc *controllerProcess, proxy *harness.CountingProxy, n int) error {
	err := harness.Await(ctx, 10*time.Minute, 200*time.Millisecond, func() error {
		busy, reconciled, err := proc.modelQueue()
		if err == nil && (reconciled < float64(n) || busy != 0 || !proxy.Quiet(2*time.Second)) {
			err = fmt.Errorf("%.0f of %d models reconciled, %.0f busy", reconciled, n, busy)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("the restarted controller did not reconcile %d models within 10 minutes: %w\n%s", n, err, proc.tail())
	}
	return nil
}

// parallel runs do(0..n-1) on workers goroutines and returns the first
// error; after one, no new item starts.
func parallel(n, workers int, do func(i int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				mu.Lock()
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := do(i); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("item %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// percentile is the nearest-rank p-th percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(ds))
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func (r *run) ratio() float64 { return r.Converged.Seconds() / r.Floor.Seconds() }

// objectWrites is the controller's writes per model on creation, Events
// aside.
func (r *run) objectWrites(n int) float64 {
	return float64(r.Create.Sum(func(q request) bool { return q.IsWrite() && q.Resource != "events" })) / float64(n)
}

func (r *run) eventWrites(n int) float64 {
	return float64(r.Create.Sum(func(q request) bool { return q.IsWrite() && q.Resource == "events" })) / float64(n)
}

func writes(c counts) int { return c.Sum(request.IsWrite) }

// The proxy's request counts, under the names the report uses.
type (
	request = harness.Request
	counts  = harness.Counts
)

// startup reports whether the request is one every start makes once
// whatever the number of models: discovery, or an informer's watch.
func startup(r request) bool { return r.Resource == "(discovery)" || r.Verb == "WATCH" }
