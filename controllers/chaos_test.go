package controllers_test

// Fault injection: the controller killed mid-burst, kube-apiserver
// restarted mid-burst, a leader killed under leader election, a client
// fighting over a route, and conflicting writers on models and their
// status. Each test ends with the exact convergence check (see
// convergence in chaos_helpers_test.go): every route is translate's for the
// live inputs, every status is exactly right, and there are no orphans and
// no duplicates. About two minutes on 2 cores: part of `make test`, skipped
// by `go test -short`; `make chaos` runs them alone.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// controllerQPS lets the controller process go as fast as the API server
// on 2 cores allows, so that the tests measure recovery, not throttling.
var controllerQPS = []string{"--kube-api-qps=500", "--kube-api-burst=1000"}

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("fault-injection tests (about two minutes on 2 cores) skipped with -short; `make chaos` runs them alone")
	}
	bin, err := harness.BuildModelroute(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ControllerKilledMidBurst", func(t *testing.T) { testControllerKilledMidBurst(t, bin) })
	t.Run("APIServerRestartedMidBurst", func(t *testing.T) { testAPIServerRestartedMidBurst(t, bin) })
	t.Run("LeaderKilled", func(t *testing.T) { testLeaderKilled(t, bin) })
	t.Run("RouteFight", testRouteFight)
	t.Run("ConflictingWriters", testConflictingWriters)
}

// The controller process is killed with SIGKILL while it works through a
// 1,000-model burst; while it is dead the burst goes on and models are
// deleted (their routes are left to the garbage collector, and some hand
// their modelName over), changed, and moved to a pool that does not exist,
// and a pool appears. A new process converges exactly, then writes nothing.
func testControllerKilledMidBurst(t *testing.T, bin string) {
	ctx := testContext(t)
	ns := newNamespace(t)
	b := burst{ns: ns, pools: 20, models: 1000}
	create(t, b.poolObjects()...)
	args := append([]string{"--namespace", ns}, controllerQPS...)
	first := startController(t, bin, "controller", cluster, args...)

	started := time.Now()
	var created atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- b.createModels(ctx, k8s, 0, b.models, 2, func(n int) { created.Store(int64(n)) })
	}()
	// Mid-burst: a good part of the models exist and the controller has
	// written for many of them (a new routed model costs a route, a status
	// and up to three Events).
	harness.EventuallyWithin(t, 2*time.Minute, 10*time.Millisecond, about("the controller at work mid-burst", func() error {
		if err := first.exited(); err != nil {
			t.Fatal(err)
		}
		if n, w := created.Load(), first.writeCount(); n < 300 || w < 400 {
			return fmt.Errorf("%d models created, %d controller writes", n, w)
		}
		return nil
	}))
	writes := first.writeCount()
	first.kill(t)
	atKill := created.Load()
	var routes gatewayv1.HTTPRouteList
	if err := k8s.List(ctx, &routes, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILL after %s: %d of %d models created, %d controller writes, %d routes",
		time.Since(started).Round(time.Millisecond), atKill, b.models, writes, len(routes.Items))

	// While it is dead.
	late := alphaPool(ns, latePool)
	create(t, late)
	deleted, changed, moved := 0, 0, 0
	for i := range int(atKill) {
		name := b.modelName(i)
		switch {
		case i%20 == 0:
			switch err := k8s.Delete(ctx, &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); {
			case err == nil:
				deleted++
			case !apierrors.IsNotFound(err): // not created yet: it will be
				t.Fatal(err)
			}
		case i%7 == 0:
			if err := mutate(ctx, k8s, ns, name, func(m *v1alpha2.InferenceModel) {
				m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("lora-x", 30), weighted("lora-y", 70)}
			}); err != nil {
				t.Fatal(err)
			}
			changed++
		case i%40 == 9:
			if err := mutate(ctx, k8s, ns, name, func(m *v1alpha2.InferenceModel) {
				m.Spec.PoolRef = v1alpha2.PoolObjectReference{Name: missingPool}
			}); err != nil {
				t.Fatal(err)
			}
			moved++
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("while it was dead: %d models created, %d deleted, %d changed, %d moved to a missing pool, pool %s created",
		b.models-int(atKill), deleted, changed, moved, latePool)

	restarted := time.Now()
	second := startController(t, bin, "controller (restarted)", cluster, args...)
	cv := convergence{c: k8s, ns: ns, cfg: chaosConfig()}
	waitConverged(t, cv, 4*time.Minute)
	t.Logf("the restarted controller converged %s after its start, with %d writes (%s)",
		time.Since(restarted).Round(time.Second), second.writeCount(), second.writes())
	second.quiet(t, 3*time.Second)
	if err := cv.check(ctx); err != nil {
		t.Fatal(err)
	}
}

// kube-apiserver is stopped in the middle of a burst (the controller's
// watches break and its requests fail) and started again on the same etcd,
// port and certificates; the controller process keeps running and
// converges exactly on what was created before, during its blindness and
// after. A control plane of its own: the shared one stays untouched.
func testAPIServerRestartedMidBurst(t *testing.T, bin string) {
	ctx := testContext(t)
	shared := controlplane.ChildPIDs("kube-apiserver")
	own, err := controlplane.Start(controlplane.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ownAPIServer int
	for _, pid := range controlplane.ChildPIDs("kube-apiserver") {
		if !slices.Contains(shared, pid) {
			ownAPIServer = pid
		}
	}
	if ownAPIServer == 0 {
		t.Fatal("cannot find the kube-apiserver process of the test's control plane")
	}
	// The restarted kube-apiserver keeps its certificates here, since
	// envtest deletes the directory it made when the server stops.
	certDir, err := os.MkdirTemp("", "modelroute-chaos-apiserver-")
	if err != nil {
		t.Fatal(err)
	}
	var releaseRestarted func()
	t.Cleanup(func() {
		if err := own.Stop(); err != nil {
			t.Errorf("stopping the test's control plane: %v", err)
		}
		if releaseRestarted != nil {
			releaseRestarted()
		}
		os.RemoveAll(certDir)
	})
	c, err := client.New(own.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := "chaos-apiserver"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	if err := testGateways.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	b := burst{ns: ns, pools: 10, models: 400}
	for _, obj := range b.poolObjects() {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{"--namespace", ns}, controllerQPS...)
	ctrlProc := startController(t, bin, "controller", own, args...)

	half := b.models / 2
	if err := b.createModels(ctx, c, 0, half, 4, nil); err != nil {
		t.Fatal(err)
	}
	harness.EventuallyWithin(t, time.Minute, 10*time.Millisecond, about("the controller at work mid-burst", func() error {
		if err := ctrlProc.exited(); err != nil {
			t.Fatal(err)
		}
		if w := ctrlProc.writeCount(); w < 150 {
			return fmt.Errorf("%d controller writes", w)
		}
		return nil
	}))
	writesBefore := ctrlProc.writeCount()

	api := own.Env.ControlPlane.APIServer
	if err := copyDir(certDir, api.CertDir); err != nil {
		t.Fatal(err)
	}
	port := api.SecureServing.Port
	before := controlplane.ChildPIDs("kube-apiserver")
	stopping := time.Now()
	// Stopped the way envtest's Stop does it, SIGTERM and later SIGKILL,
	// but with 5s for the later instead of 20s: kube-apiserver stops
	// listening at once but waits up to a minute for in-flight requests
	// (the controller's watches) before exiting.
	if err := syscall.Kill(ownAPIServer, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	if err := syscall.Kill(ownAPIServer, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		t.Fatal(err)
	}
	harness.EventuallyWithin(t, 10*time.Second, 10*time.Millisecond, about("kube-apiserver gone", func() error {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", ownAPIServer)); err == nil {
			return fmt.Errorf("pid %d still there", ownAPIServer)
		}
		return nil
	}))
	time.Sleep(100 * time.Millisecond) // envtest's own wait returns
	if err := api.Stop(); err != nil {
		t.Fatalf("stopping kube-apiserver: %v", err)
	}
	var stale v1alpha2.InferenceModelList
	if err := c.List(ctx, &stale, client.InNamespace(ns)); err == nil {
		t.Fatal("kube-apiserver still answers after Stop")
	}
	if err := ctrlProc.exited(); err != nil {
		t.Fatalf("the controller did not survive the API server's absence: %v", err)
	}
	api.CertDir = certDir
	starting := time.Now()
	err = api.Start()
	for _, pid := range controlplane.ChildPIDs("kube-apiserver") {
		if !slices.Contains(before, pid) {
			releaseRestarted = controlplane.Reap(pid)
		}
	}
	if err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	if api.SecureServing.Port != port {
		t.Fatalf("kube-apiserver came back on port %s; want %s", api.SecureServing.Port, port)
	}
	t.Logf("kube-apiserver stopped after %d controller writes, down for %s, started again in %s on port %s",
		writesBefore, starting.Sub(stopping).Round(time.Millisecond), time.Since(starting).Round(time.Millisecond), port)

	// The same etcd: what was created before is there. (And the same
	// certificates: the clients made for the first server still work.)
	var kept v1alpha2.InferenceModelList
	if err := c.List(ctx, &kept, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(kept.Items) != half {
		t.Fatalf("%d models after the restart; want the %d created before", len(kept.Items), half)
	}
	// The rest of the burst, a pool appearing and changed models.
	if err := c.Create(ctx, alphaPool(ns, latePool)); err != nil {
		t.Fatal(err)
	}
	if err := b.createModels(ctx, c, half, b.models, 4, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < half; i += 7 {
		if err := mutate(ctx, c, ns, b.modelName(i), func(m *v1alpha2.InferenceModel) {
			m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("lora-x", 30), weighted("lora-y", 70)}
		}); err != nil {
			t.Fatal(err)
		}
	}
	cv := convergence{c: c, ns: ns, cfg: chaosConfig()}
	took := waitConverged(t, cv, 3*time.Minute)
	t.Logf("converged %s after the rest of the burst; the controller's writes since its start: %s", took.Round(time.Second), ctrlProc.writes())
	if err := ctrlProc.exited(); err != nil {
		t.Fatal(err)
	}
	ctrlProc.quiet(t, 3*time.Second)
	if err := cv.check(ctx); err != nil {
		t.Fatal(err)
	}
}

// Leader election with shortened timings (the flags below; defaults 15s,
// 10s, 2s).
const (
	leaseDuration = 6 * time.Second
	renewDeadline = 4 * time.Second
	retryPeriod   = time.Second
)

// Two replicas with leader election: only the leader writes; the leader is
// killed with SIGKILL mid-burst, while nobody leads the Gateway accepts
// some routes, and the standby takes over within the lease duration (plus
// its jittered polling) and converges. A replica started again as standby
// writes nothing while the leader handles more changes.
func testLeaderKilled(t *testing.T, bin string) {
	ctx := testContext(t)
	ns := newNamespace(t)
	b := burst{ns: ns, pools: 10, models: 400}
	create(t, b.poolObjects()...)
	const lease = "modelroute-chaos"
	args := append([]string{"--namespace", ns,
		"--leader-elect", "--leader-election-namespace", ns, "--leader-election-id", lease,
		"--leader-election-lease-duration=" + leaseDuration.String(),
		"--leader-election-renew-deadline=" + renewDeadline.String(),
		"--leader-election-retry-period=" + retryPeriod.String(),
	}, controllerQPS...)
	leads := func(c *controllerProcess) func() error {
		return func() error {
			if err := c.exited(); err != nil {
				t.Fatal(err)
			}
			if ok, err := c.leads(lease); err != nil || !ok {
				return fmt.Errorf("%s does not lead (%v)", c.name, err)
			}
			return nil
		}
	}
	standby := func(c *controllerProcess) {
		t.Helper()
		if ok, err := c.leads(lease); err != nil || ok {
			t.Fatalf("%s leads (%v); want it standing by", c.name, err)
		}
		if w := c.writeCount(); w != 0 {
			t.Fatalf("standby %s wrote %d times: %s", c.name, w, c.writes())
		}
	}

	// A leads first, so that B finds the Lease held.
	a := startController(t, bin, "replica-a", cluster, args...)
	harness.EventuallyWithin(t, 30*time.Second, 50*time.Millisecond, about("replica-a leads", leads(a)))
	rb := startController(t, bin, "replica-b", cluster, args...)
	cv := convergence{c: k8s, ns: ns, cfg: chaosConfig()}

	half := b.models / 2
	if err := b.createModels(ctx, k8s, 0, half, 4, nil); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, cv, 2*time.Minute)
	standby(rb)
	t.Logf("first %d models converged: leader %d writes, standby 0", half, a.writeCount())

	// The second half of the burst; A dies in its middle.
	done := make(chan error, 1)
	go func() { done <- b.createModels(ctx, k8s, half, b.models, 2, nil) }()
	base := a.writeCount()
	harness.EventuallyWithin(t, time.Minute, 10*time.Millisecond, about("replica-a at work on the second half", func() error {
		if err := a.exited(); err != nil {
			t.Fatal(err)
		}
		if w := a.writeCount(); w < base+100 {
			return fmt.Errorf("%d writes of replica-a since the second half began", w-base)
		}
		return nil
	}))
	standby(rb)
	a.kill(t)
	killed := time.Now()
	// Nobody leads: the Gateway accepts some routes.
	var routes gatewayv1.HTTPRouteList
	if err := k8s.List(ctx, &routes, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, r := range routes.Items[:min(20, len(routes.Items))] {
		if err := acceptRoute(ctx, k8s, ns, r.Name); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	harness.EventuallyWithin(t, 3*leaseDuration, 50*time.Millisecond, about("replica-b takes over", leads(rb)))
	takeover := time.Since(killed)
	// B takes the Lease over once it has seen no renewal for leaseDuration;
	// it polls every retryPeriod plus up to 1.2 times that in jitter, so it
	// may see A's last renewal up to 2.2 retry periods after the kill, and
	// notice the expiry as late after it. Plus 2s for a loaded machine.
	if bound := leaseDuration + 2*(retryPeriod*22/10) + 2*time.Second; takeover > bound {
		t.Fatalf("replica-b took over %s after replica-a was killed; want at most %s", takeover, bound)
	}
	t.Logf("replica-b leads %s after replica-a was killed (lease duration %s)", takeover.Round(10*time.Millisecond), leaseDuration)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitConverged(t, cv, 2*time.Minute)
	t.Logf("converged %s after the takeover, with %d writes of replica-b (%s)",
		(time.Since(killed) - takeover).Round(time.Second), rb.writeCount(), rb.writes())
	// The Gateway's verdicts given while nobody led are in the statuses.
	if n := programmedModels(t, ns); n == 0 {
		t.Fatal("no model is Programmed=True; the routes accepted while nobody led should make some")
	}

	// A back, as a standby: it writes nothing while B handles changes.
	a2 := startController(t, bin, "replica-a (restarted)", cluster, args...)
	for i := 0; i < b.models; i += 9 {
		if err := mutate(ctx, k8s, ns, b.modelName(i), func(m *v1alpha2.InferenceModel) {
			m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("lora-x", 30), weighted("lora-y", 70)}
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitConverged(t, cv, time.Minute)
	standby(a2)
	// The leader renews its Lease and writes nothing else.
	rb.quiet(t, 2*time.Second, "leases")
	standby(a2)
	if err := cv.check(ctx); err != nil {
		t.Fatal(err)
	}
}

// Another client rewrites a weight of a generated route every 50ms for 5s:
// the controller restores the route after each foreign write (the next one
// waits for that, 2s at most), with at most two writes per foreign write
// (one restore, plus one when its cache had not yet seen its own restore)
// and no status write, and is quiet afterwards.
func testRouteFight(t *testing.T) {
	ctx := testContext(t)
	ns := newNamespace(t)
	cfg := chaosConfig()
	create(t, alphaPool(ns, "pool-a"), newModel(ns, "chat", "chat", "pool-a", weighted("v1", 80), weighted("v2", 20)))
	m := startManager(t, ns, cfg)
	cv := convergence{c: k8s, ns: ns, cfg: cfg}
	waitConverged(t, cv, 30*time.Second)
	routeWrites := func() int { return len(harness.Matching(m.Requests.Writes(), "/httproutes/")) }
	statusWrites := func() int { return len(harness.Matching(m.Requests.Writes(), "/inferencemodels/")) }
	routes0, statuses0 := routeWrites(), statusWrites()

	name := types.NamespacedName{Namespace: ns, Name: translate.RouteName("chat")}
	route := &gatewayv1.HTTPRoute{}
	restored := func() error {
		if err := k8s.Get(ctx, name, route); err != nil {
			return err
		}
		if w := backendWeights(route); !slices.Equal(w, []int32{80, 20}) {
			return fmt.Errorf("route weights %v; want [80 20]", w)
		}
		return nil
	}
	foreign, conflicts := 0, 0
	var slowest time.Duration
	for i, end := 0, time.Now().Add(5*time.Second); time.Now().Before(end); i++ {
		if took := harness.EventuallyWithin(t, 2*time.Second, 5*time.Millisecond, about(fmt.Sprintf("the route restored after foreign write %d", foreign), restored)); took > slowest {
			slowest = took
		}
		route.Spec.Rules[0].BackendRefs[0].Weight = ptr.To(int32(100 + i))
		switch err := k8s.Update(ctx, route, client.FieldOwner("route-fighter")); {
		case err == nil:
			foreign++
		case apierrors.IsConflict(err):
			conflicts++ // the controller wrote after our read
		default:
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	restore := harness.EventuallyWithin(t, 2*time.Second, 5*time.Millisecond, about("the route restored after the fight", restored))
	own := routeWrites() - routes0
	t.Logf("%d foreign writes (%d more conflicted), each restored (the slowest %s after the fighter's 50ms pause), %d controller route writes",
		foreign, conflicts, max(slowest, restore).Round(time.Millisecond), own)
	if limit := 2*foreign + 3; own < foreign || own > limit {
		t.Fatalf("the controller wrote the route %d times against %d foreign writes; want %d to %d:\n%s",
			own, foreign, foreign, limit, strings.Join(harness.Matching(m.Requests.Writes(), "/httproutes/")[routes0:], "\n"))
	}
	if n := statusWrites() - statuses0; n != 0 {
		t.Fatalf("%d status writes during the fight; want none: %q", n, harness.Matching(m.Requests.Writes(), "/inferencemodels/")[statuses0:])
	}
	after := len(m.Requests.Writes())
	time.Sleep(2 * time.Second)
	if n := len(m.Requests.Writes()) - after; n != 0 {
		t.Fatalf("%d writes after the fight: %q", n, m.Requests.Writes()[after:])
	}
	if err := cv.check(ctx); err != nil {
		t.Fatal(err)
	}
}

// Conflicting writers while the controller reconciles: the test edits
// model specs, a pool disappears and comes back, and two other managers
// write conditions of their own into the models' status — one with
// read-modify-update, one with server-side apply. The controller's writes
// conflict (optimistic lock) and it reads from a cache behind the API
// server; none of that may surface: every status ends exactly right, and
// the other managers' conditions are kept as they wrote them.
func testConflictingWriters(t *testing.T) {
	ctx := testContext(t)
	ns := newNamespace(t)
	cfg := chaosConfig()
	b := burst{ns: ns, pools: 3, models: 40}
	create(t, b.poolObjects()...)
	if err := b.createModels(ctx, k8s, 0, b.models, 4, nil); err != nil {
		t.Fatal(err)
	}
	m := startManager(t, ns, cfg)

	const (
		otherType = "example.com/Other"
		auditType = "example.com/Audit"
	)
	var mu sync.Mutex
	foreign := map[string]map[string]metav1.Condition{} // model → type → last written
	record := func(model string, c metav1.Condition) {
		mu.Lock()
		defer mu.Unlock()
		if foreign[model] == nil {
			foreign[model] = map[string]metav1.Condition{}
		}
		foreign[model][c.Type] = c
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)

	fightCtx, stop := context.WithTimeout(ctx, 6*time.Second)
	defer stop()
	var wg sync.WaitGroup
	var specEdits, otherWrites, auditWrites, poolFlips atomic.Int64
	fail := make(chan error, 8)
	// Spec edits, two at a time.
	for w := range 2 {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for fightCtx.Err() == nil {
				i := rng.IntN(b.models)
				err := mutate(ctx, k8s, ns, b.modelName(i), func(m *v1alpha2.InferenceModel) {
					switch rng.IntN(4) {
					case 0:
						m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("lora-a", 1+rng.Int32N(100)), weighted("lora-b", 1+rng.Int32N(100))}
					case 1:
						m.Spec.Criticality = ptr.To([]v1alpha2.Criticality{v1alpha2.Critical, v1alpha2.Standard, v1alpha2.Sheddable}[rng.IntN(3)])
					case 2:
						switch rng.IntN(3) {
						case 0:
							m.Annotations = map[string]string{translate.AnnotationParentRefs: ""}
						case 1:
							m.Annotations = map[string]string{translate.AnnotationParentRefs: gatewayNamespace + "/other"}
						default:
							m.Annotations = nil
						}
					default:
						p := rng.IntN(b.pools + 1)
						if p == b.pools {
							m.Spec.PoolRef = v1alpha2.PoolObjectReference{Name: missingPool}
						} else {
							m.Spec.PoolRef = v1alpha2.PoolObjectReference{Name: v1alpha2.ObjectName(b.poolName(p))}
							if p%2 == 1 {
								m.Spec.PoolRef.Group = v1Group
							}
						}
					}
				})
				if err != nil {
					fail <- fmt.Errorf("editing model %d: %w", i, err)
					return
				}
				specEdits.Add(1)
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	// Another controller's condition, read-modify-update, retried on
	// conflict.
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 10))
		for n := 0; fightCtx.Err() == nil; n++ {
			name := b.modelName(rng.IntN(b.models))
			for {
				model := &v1alpha2.InferenceModel{}
				if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, model); err != nil {
					fail <- err
					return
				}
				meta.SetStatusCondition(&model.Status.Conditions, metav1.Condition{
					Type: otherType, Status: []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse}[n%2],
					Reason: "Tick", Message: fmt.Sprintf("tick %d", n), ObservedGeneration: model.Generation,
				})
				err := k8s.Status().Update(ctx, model, client.FieldOwner("other-controller"))
				if apierrors.IsConflict(err) {
					continue
				}
				if err != nil {
					fail <- fmt.Errorf("writing %s: %w", otherType, err)
					return
				}
				record(name, *meta.FindStatusCondition(model.Status.Conditions, otherType))
				otherWrites.Add(1)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	// A third manager's condition, server-side applied (conditions are a
	// map keyed by type): no read, no lock.
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 20))
		for n := 0; fightCtx.Err() == nil; n++ {
			name := b.modelName(rng.IntN(b.models))
			c := metav1.Condition{
				Type: auditType, Status: metav1.ConditionTrue, Reason: "Audited", Message: fmt.Sprintf("audit %d", n),
				LastTransitionTime: metav1.NewTime(time.Unix(1_700_000_000+int64(n), 0)),
			}
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": v1alpha2.GroupVersion.String(), "kind": "InferenceModel",
				"metadata": map[string]any{"namespace": ns, "name": name},
				"status": map[string]any{"conditions": []any{map[string]any{
					"type": c.Type, "status": string(c.Status), "reason": c.Reason, "message": c.Message,
					"lastTransitionTime": c.LastTransitionTime.UTC().Format(time.RFC3339),
				}}},
			}}
			if err := k8s.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u),
				client.FieldOwner("auditor"), client.ForceOwnership); err != nil {
				fail <- fmt.Errorf("applying %s: %w", auditType, err)
				return
			}
			record(name, c)
			auditWrites.Add(1)
			time.Sleep(15 * time.Millisecond)
		}
	})
	// pool-02 goes and comes back: its models lose their routes (deleted by
	// the controller, not the garbage collector) and get them again.
	wg.Go(func() {
		for fightCtx.Err() == nil {
			time.Sleep(700 * time.Millisecond)
			pool := &v1alpha2.InferencePool{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: b.poolName(2)}}
			if err := k8s.Delete(ctx, pool); err != nil {
				fail <- err
				return
			}
			time.Sleep(500 * time.Millisecond)
			if err := k8s.Create(ctx, alphaPool(ns, b.poolName(2))); err != nil {
				fail <- err
				return
			}
			poolFlips.Add(1)
		}
	})
	wg.Wait()
	close(fail)
	for err := range fail {
		t.Fatal(err)
	}

	cv := convergence{c: k8s, ns: ns, cfg: cfg, foreign: func(model string) []metav1.Condition {
		mu.Lock()
		defer mu.Unlock()
		var out []metav1.Condition
		for _, c := range foreign[model] {
			out = append(out, c)
		}
		return out
	}}
	took := waitConverged(t, cv, time.Minute)
	requests := m.Requests.Writes()
	t.Logf("%d spec edits, %d %s and %d %s writes, %d pool flips; converged %s later; controller: %d writes, %d of them conflicts (409)",
		specEdits.Load(), otherWrites.Load(), otherType, auditWrites.Load(), auditType, poolFlips.Load(),
		took.Round(time.Millisecond), len(requests), len(harness.Matching(requests, "409")))
	if rejected := m.Requests.Rejected(); len(rejected) != 0 {
		t.Fatalf("the API server rejected writes as invalid: %q", rejected)
	}
	time.Sleep(time.Second) // the Events of the last status writes
	after := len(m.Requests.Writes())
	time.Sleep(2 * time.Second)
	if n := len(m.Requests.Writes()) - after; n != 0 {
		t.Fatalf("%d writes after convergence: %q", n, m.Requests.Writes()[after:])
	}
	if err := cv.check(ctx); err != nil {
		t.Fatal(err)
	}
}

// programmedModels counts the models of ns with Programmed=True.
func programmedModels(t *testing.T, ns string) int {
	t.Helper()
	var models v1alpha2.InferenceModelList
	if err := k8s.List(context.Background(), &models, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range models.Items {
		if meta.IsStatusConditionTrue(m.Status.Conditions, translate.ConditionProgrammed) {
			n++
		}
	}
	return n
}
