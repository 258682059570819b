package controllers_test

// Helpers of the fault-injection tests (chaos_test.go): the modelroute
// binary as a separate process, its Prometheus metrics, bursts of models,
// and the exact convergence check every chaos test ends with.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// chaosGateway is the Gateway every chaos route attaches to, as the
// controller binary's --parent-ref says.
const chaosGateway = "gw"

// chaosConfig is the translation the chaos controllers run with.
func chaosConfig() translate.Config {
	cfg := translate.DefaultConfig()
	ref, err := translate.ParseParentRef(gatewayNamespace + "/" + chaosGateway)
	if err != nil {
		panic(err)
	}
	cfg.ParentRefs = []gatewayv1.ParentReference{ref}
	return cfg
}

// chaosGatewayRef is chaosConfig's parentRef as the routes spell it out.
func chaosGatewayRef() gatewayv1.ParentReference {
	return gatewayv1.ParentReference{
		Group:     ptr.To(gatewayv1.Group(gatewayv1.GroupName)),
		Kind:      ptr.To(gatewayv1.Kind("Gateway")),
		Namespace: ptr.To(gatewayv1.Namespace(gatewayNamespace)),
		Name:      chaosGateway,
	}
}

// about prefixes check's errors with what is waited for.
func about(what string, check func() error) func() error {
	return func() error {
		if err := check(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
}

// lastLines is at most n lines from the end of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d earlier lines left out]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// controllerProcess is `modelroute controller` running as a child process
// for a chaos test, talking to the API server through a proxy that counts
// its requests.
type controllerProcess struct {
	*harness.ControllerProcess
	name  string
	out   *harness.SyncBuffer
	proxy *harness.CountingProxy
}

// startController runs `modelroute controller` against cluster with the
// chaos Gateway, no probes, and args. It is stopped (SIGTERM, then SIGKILL)
// when the test ends, and its log printed if the test failed.
func startController(t *testing.T, bin, name string, cluster *controlplane.Cluster, args ...string) *controllerProcess {
	t.Helper()
	c := &controllerProcess{name: name, out: &harness.SyncBuffer{}}
	var err error
	if c.proxy, err = harness.StartCountingProxy(cluster.Config); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.proxy.Close) // after Stop: cleanups run last first
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.proxy.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	c.ControllerProcess, err = harness.StartControllerProcess(bin, kubeconfig, nil, c.out,
		append([]string{"--parent-ref", gatewayNamespace + "/" + chaosGateway}, args...)...)
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = c.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("%s (pid %d) log:\n%s", name, c.Pid(), lastLines(c.out.String(), 150))
		}
	})
	// Ready to be asked once its metrics endpoint answers.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitMetrics(ctx); err != nil {
		t.Fatalf("%s serves no metrics: %v; log:\n%s", name, err, lastLines(c.out.String(), 40))
	}
	return c
}

// kill sends SIGKILL and waits until the process is gone.
func (c *controllerProcess) kill(t *testing.T) {
	t.Helper()
	if err := c.Kill(); err != nil {
		t.Fatalf("killing %s: %v", c.name, err)
	}
}

// exited is an error once the process has exited.
func (c *controllerProcess) exited() error {
	if err := c.Exited(); err != nil {
		return fmt.Errorf("%s: %w; log:\n%s", c.name, err, lastLines(c.out.String(), 40))
	}
	return nil
}

// writes are the requests that change an object (answered or not) the
// process has sent so far by every client it has (manager, events, leader
// election), by verb, resource and answer.
func (c *controllerProcess) writes() harness.Counts { return onlyWrites(c.proxy.Snapshot()) }

// writeCount is the number of writes.
func (c *controllerProcess) writeCount() int { return c.proxy.Snapshot().Sum(harness.Request.IsWrite) }

// onlyWrites keeps the writes of counts but those to the resources in
// except.
func onlyWrites(counts harness.Counts, except ...string) harness.Counts {
	out := harness.Counts{}
	for r, n := range counts {
		if r.IsWrite() && !slices.Contains(except, r.Resource) {
			out[r] = n
		}
	}
	return out
}

// leads reports controller-runtime's leader_election_master_status for the
// lease: whether the process holds it.
func (c *controllerProcess) leads(lease string) (bool, error) {
	metrics, err := c.Scrape()
	if err != nil {
		return false, err
	}
	return metrics.Sum("leader_election_master_status", map[string]string{"name": lease}) == 1, nil
}

// quiet checks that the process sends no write for d but to Events and the
// resources in except: at steady state the controller writes nothing.
// Writes are counted as they reach the proxy, so that the last write before
// convergence is counted before the window even if its answer is not back
// yet. Events are left out because the Event of a status write goes out on
// its own time: after the API server was down, client-go retries a failed
// one up to 12 times, 10s apart.
func (c *controllerProcess) quiet(t *testing.T, d time.Duration, except ...string) {
	t.Helper()
	except = append(except, "events")
	before := onlyWrites(c.proxy.Sent(), except...)
	time.Sleep(d)
	if sent := onlyWrites(c.proxy.Sent(), except...).Minus(before); len(sent) != 0 {
		t.Fatalf("%s sent these writes in %s after convergence; want none but to %v: %s", c.name, d, except, sent)
	}
}

// A burst is many models over a few pools, built so that translate has to
// decide every case the controller treats differently: routed models with
// zero, one and several targets, a modelName contended in one pool
// (ModelNameInUse) and across pools on the same Gateway (RouteShadowed),
// pools that do not exist (PoolNotFound) or appear later, models with no
// Gateway (NoParentRefs), both pool groups.
type burst struct {
	ns     string
	pools  int
	models int
}

// poolName is the name of pool p; even pools are of the alpha group, odd
// ones of the v1 group.
func (b burst) poolName(p int) string { return fmt.Sprintf("pool-%02d", p) }

// latePool is a pool that exists only once the test creates it.
const latePool = "pool-late"

// missingPool never exists.
const missingPool = "pool-missing"

// poolObjects are the burst's pools (not latePool).
func (b burst) poolObjects() []client.Object {
	var objs []client.Object
	for p := range b.pools {
		if p%2 == 0 {
			objs = append(objs, alphaPool(b.ns, b.poolName(p)))
		} else {
			objs = append(objs, v1Pool(b.ns, b.poolName(p)))
		}
	}
	return objs
}

func (b burst) modelName(i int) string { return fmt.Sprintf("m-%04d", i) }

// model is the i-th model of the burst.
func (b burst) model(i int) *v1alpha2.InferenceModel {
	modelName := fmt.Sprintf("model-%04d", i)
	pool := i % b.pools
	switch i % 10 {
	case 1: // the same modelName as model i-1, in the same pool
		modelName, pool = fmt.Sprintf("model-%04d", i-1), (i-1)%b.pools
	case 2: // the same modelName as model i-2, in another pool
		modelName = fmt.Sprintf("model-%04d", i-2)
	}
	m := newModel(b.ns, b.modelName(i), modelName, b.poolName(pool))
	if pool%2 == 1 {
		m.Spec.PoolRef.Group = v1Group
	}
	switch {
	case i%25 == 3:
		m.Spec.PoolRef = v1alpha2.PoolObjectReference{Name: missingPool}
	case i%50 == 7:
		m.Spec.PoolRef = v1alpha2.PoolObjectReference{Name: latePool}
	}
	if i%33 == 5 {
		m.Annotations = map[string]string{translate.AnnotationParentRefs: ""}
	}
	switch i % 3 {
	case 1:
		m.Spec.TargetModels = []v1alpha2.TargetModel{{Name: fmt.Sprintf("target-%d", i)}}
	case 2:
		m.Spec.TargetModels = []v1alpha2.TargetModel{weighted("lora-a", 90), weighted("lora-b", 10)}
		if i%4 == 0 {
			m.Spec.TargetModels = append(m.Spec.TargetModels, weighted("lora-c", 5))
		}
	}
	m.Spec.Criticality = ptr.To([]v1alpha2.Criticality{v1alpha2.Critical, v1alpha2.Standard, v1alpha2.Sheddable}[i%3])
	return m
}

// createModels creates models from..to-1 of the burst with workers
// goroutines, calling created (if not nil) with the running count.
func (b burst) createModels(ctx context.Context, c client.Client, from, to, workers int, created func(int)) error {
	next := make(chan int)
	var mu sync.Mutex
	var errs []error
	n := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				err := c.Create(ctx, b.model(i))
				mu.Lock()
				if err != nil && !apierrors.IsAlreadyExists(err) {
					errs = append(errs, fmt.Errorf("creating model %d: %w", i, err))
				} else {
					n++
					if created != nil {
						created(n)
					}
				}
				mu.Unlock()
			}
		})
	}
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// mutate re-reads the model and applies change until the update does not
// conflict; a model that does not exist (yet, or any more) is left alone.
func mutate(ctx context.Context, c client.Client, ns, name string, change func(*v1alpha2.InferenceModel)) error {
	for {
		m := &v1alpha2.InferenceModel{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, m); err != nil {
			return client.IgnoreNotFound(err)
		}
		change(m)
		err := c.Update(ctx, m)
		switch {
		case apierrors.IsConflict(err):
			continue
		case apierrors.IsNotFound(err):
			return nil
		}
		return err
	}
}

// acceptRoute plays the chaos Gateway: it accepts the route's current
// generation. A route that does not exist is an error.
func acceptRoute(ctx context.Context, c client.Client, ns, name string) error {
	for {
		r := &gatewayv1.HTTPRoute{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, r); err != nil {
			return err
		}
		now := metav1.NewTime(time.Now().Truncate(time.Second))
		r.Status.Parents = []gatewayv1.RouteParentStatus{{
			ParentRef:      chaosGatewayRef(),
			ControllerName: gatewayController,
			Conditions: []metav1.Condition{
				{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "accepted", ObservedGeneration: r.Generation, LastTransitionTime: now},
				{Type: "ResolvedRefs", Status: metav1.ConditionTrue, Reason: "ResolvedRefs", Message: "resolved", ObservedGeneration: r.Generation, LastTransitionTime: now},
			},
		}}
		err := c.Status().Update(ctx, r)
		if !apierrors.IsConflict(err) {
			return err
		}
	}
}

// clusterOf is what the controller reads of the cluster: the Gateways
// with their classes, and the live routes.
func clusterOf(ctx context.Context, c client.Client, routes []gatewayv1.HTTPRoute) (*translate.Cluster, error) {
	var gateways gatewayv1.GatewayList
	var classes gatewayv1.GatewayClassList
	for _, list := range []client.ObjectList{&gateways, &classes} {
		if err := c.List(ctx, list); err != nil {
			return nil, err
		}
	}
	cluster := &translate.Cluster{Routes: routes}
	for _, gw := range gateways.Items {
		parent := translate.ParentGateway{Namespace: gw.Namespace, Name: gw.Name, Class: string(gw.Spec.GatewayClassName)}
		for _, class := range classes.Items {
			if class.Name == parent.Class {
				parent.ControllerName, parent.SupportedFeatures = class.Spec.ControllerName, class.Status.SupportedFeatures
			}
		}
		cluster.Gateways = append(cluster.Gateways, parent)
	}
	return cluster, nil
}

// acceptedByGateway reports whether the chaos Gateway has accepted the
// route's current generation, as the controller reads it.
func acceptedByGateway(r *gatewayv1.HTTPRoute) bool {
	for _, ps := range r.Status.Parents {
		if ps.ParentRef.Name != chaosGateway || ptr.Deref(ps.ParentRef.Namespace, "") != gatewayNamespace {
			continue
		}
		a := meta.FindStatusCondition(ps.Conditions, "Accepted")
		rr := meta.FindStatusCondition(ps.Conditions, "ResolvedRefs")
		return a != nil && rr != nil && a.Status == metav1.ConditionTrue && rr.Status == metav1.ConditionTrue &&
			a.ObservedGeneration == r.Generation && rr.ObservedGeneration == r.Generation
	}
	return false
}

// convergence is the state a namespace must reach after any fault: every
// model's route is exactly translate's for the live models and pools, with
// modelroute's labels and the model as controller; no route lacks a live
// controlling model; every routed model has exactly one route and every
// other none; every model's status has exactly translate's conditions —
// with Programmed=True where the Gateway accepted the route's current
// generation — plus, unchanged, the conditions other writers own.
type convergence struct {
	c   client.Client
	ns  string
	cfg translate.Config
	// foreign returns the conditions of other writers on the named model,
	// expected exactly as they are, lastTransitionTime included; nil for
	// none.
	foreign func(model string) []metav1.Condition
}

// check returns nil once converged, else the problems (the first ten).
func (cv convergence) check(ctx context.Context) error {
	var models v1alpha2.InferenceModelList
	var alpha v1alpha2.InferencePoolList
	var v1 inferencev1.InferencePoolList
	var routes gatewayv1.HTTPRouteList
	for _, list := range []client.ObjectList{&models, &alpha, &v1, &routes} {
		if err := cv.c.List(ctx, list, client.InNamespace(cv.ns)); err != nil {
			return err
		}
	}
	cluster, err := clusterOf(ctx, cv.c, routes.Items)
	if err != nil {
		return err
	}
	translator, err := translate.NewTranslator(cv.cfg)
	if err != nil {
		return err
	}
	out := translator.Translate(translate.Input{Models: models.Items, AlphaPools: alpha.Items, V1Pools: v1.Items, Cluster: cluster})
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(out.Models) != len(models.Items) {
		problem("translate returned %d results for %d models", len(out.Models), len(models.Items))
	}
	byName := map[string]*v1alpha2.InferenceModel{}
	for i := range models.Items {
		byName[models.Items[i].Name] = &models.Items[i]
	}
	routeByName := map[string]*gatewayv1.HTTPRoute{}
	routesOf := map[types.UID]int{}
	for i := range routes.Items {
		r := &routes.Items[i]
		routeByName[r.Name] = r
		ref := metav1.GetControllerOf(r)
		switch {
		case ref == nil:
			problem("HTTPRoute %s has no controller", r.Name)
		case ref.Kind != "InferenceModel" || byName[ref.Name] == nil || byName[ref.Name].UID != ref.UID:
			problem("orphan: HTTPRoute %s is controlled by %s %s (uid %s), which does not exist", r.Name, ref.Kind, ref.Name, ref.UID)
		default:
			routesOf[ref.UID]++
		}
	}
	routed := 0
	for _, res := range out.Models {
		m := byName[res.Name]
		if m == nil {
			problem("translate returned a result for %s, which is not a model", res.Name)
			continue
		}
		live := routeByName[translate.RouteName(m.Name)]
		if res.Route == nil {
			if n := routesOf[m.UID]; n != 0 {
				problem("InferenceModel %s gets no route from translate but controls %d", m.Name, n)
			}
		} else {
			routed++
			if n := routesOf[m.UID]; n != 1 {
				problem("InferenceModel %s controls %d routes; want 1", m.Name, n)
			}
			if err := sameRoute(res.Route, live); err != nil {
				problem("InferenceModel %s: %v", m.Name, err)
			}
		}
		// What the controller sees of the route once it is as translate
		// wants it: the live route, the Gateway's verdict on it.
		obs := translate.Observation{}
		if live != nil && metav1.IsControlledBy(live, m) {
			obs = translate.Observation{Write: translate.RouteInPlace, Live: live}
		}
		want := res.Observe(obs)
		var foreign []metav1.Condition
		if cv.foreign != nil {
			foreign = cv.foreign(m.Name)
		}
		want = append(want, foreign...)
		if diff := cmp.Diff(want, m.Status.Conditions, conditionOpts); diff != "" {
			problem("InferenceModel %s (generation %d) status.conditions (-want +got):\n%s", m.Name, m.Generation, diff)
			continue
		}
		for _, f := range foreign {
			got := meta.FindStatusCondition(m.Status.Conditions, f.Type)
			if !got.LastTransitionTime.Equal(&f.LastTransitionTime) {
				problem("InferenceModel %s: condition %s lastTransitionTime %s; its writer set %s", m.Name, f.Type, got.LastTransitionTime, f.LastTransitionTime)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	n := len(problems)
	if n > 10 {
		problems = append(problems[:10], fmt.Sprintf("… and %d more", n-10))
	}
	return fmt.Errorf("%d problems over %d models (%d routed by translate) and %d routes:\n%s",
		n, len(models.Items), routed, len(routes.Items), strings.Join(problems, "\n"))
}

// sameRoute checks that live is desired: spec, labels and ownerReferences
// exactly.
func sameRoute(desired, live *gatewayv1.HTTPRoute) error {
	if live == nil {
		return fmt.Errorf("HTTPRoute %s does not exist", desired.Name)
	}
	if diff := cmp.Diff(desired.Labels, live.Labels); diff != "" {
		return fmt.Errorf("HTTPRoute %s labels (-want +got):\n%s", live.Name, diff)
	}
	if diff := cmp.Diff(desired.OwnerReferences, live.OwnerReferences); diff != "" {
		return fmt.Errorf("HTTPRoute %s ownerReferences (-want +got):\n%s", live.Name, diff)
	}
	if diff := cmp.Diff(desired.Spec, live.Spec, routeOpts); diff != "" {
		return fmt.Errorf("HTTPRoute %s spec (-want +got):\n%s", live.Name, diff)
	}
	return nil
}

// waitConverged polls cv.check every second until it passes; it fails the
// test after timeout and returns how long convergence took.
func waitConverged(t *testing.T, cv convergence, timeout time.Duration) time.Duration {
	t.Helper()
	return harness.EventuallyWithin(t, timeout, time.Second, about("convergence of namespace "+cv.ns, func() error {
		return cv.check(context.Background())
	}))
}

// copyDir copies the regular files of src into dst.
func copyDir(dst, src string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		out, err := os.OpenFile(filepath.Join(dst, e.Name()), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err == nil {
			_, err = io.Copy(out, in)
			err = errors.Join(err, out.Close())
		}
		in.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
