//go:build bench

package scale_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/translate"
)

var (
	foreignRoutes     = flag.Int("foreign-routes", 50_000, "TestForeignRoutes: HTTPRoutes of another tool (no modelroute label) in the cluster for the second pair of starts")
	foreignNamespaces = flag.Int("foreign-namespaces", 50, "TestForeignRoutes: the namespaces the foreign routes are spread over")
	foreignModels     = flag.Int("foreign-models", 1000, "TestForeignRoutes: the InferenceModels of each pair of starts")
)

// foreignManager is the foreign routes' value of modelroute's managed-by
// label key: another tool's.
const foreignManager = "Helm"

// foreignResult is what TestForeignRoutes measured.
type foreignResult struct {
	Models, Pools      int
	Routes, Namespaces int           // the foreign routes and their namespaces
	Setup              time.Duration // creating the foreign routes
	Without, With      foreignRun    // before the foreign routes were created, after
}

// foreignRun is a first start of the controller over new models, until
// they have converged and it is idle, and then a restart over them.
type foreignRun struct {
	First   run
	Restart restartRun
}

// TestForeignRoutes measures the controller's memory in a cluster that
// already holds many HTTPRoutes of other tools: a first start and a
// restart over -foreign-models models, once before -foreign-routes foreign
// routes are created and once after, each on models of its own. The
// controller watches every namespace, as the default install does, with
// its default client limits (-qps, -burst). It writes the block "make
// bench-foreign" of docs/benchmarks.md (see -out).
func TestForeignRoutes(t *testing.T) {
	n := *foreignModels
	if n < *perPool || *foreignRoutes < 1 || *foreignNamespaces < 1 {
		t.Fatalf("-foreign-models %d (at least -models-per-pool %d), -foreign-routes %d and -foreign-namespaces %d (at least 1 each)",
			n, *perPool, *foreignRoutes, *foreignNamespaces)
	}
	ctx := context.Background()
	b, env := newBench(t)
	b.allNamespaces = true
	r := &foreignResult{Models: n, Pools: n / *perPool, Routes: *foreignRoutes, Namespaces: *foreignNamespaces}
	if err := b.foreignStarts(ctx, t, "models-without-foreign", r.Pools, &r.Without); err != nil {
		t.Fatalf("without foreign routes: %v", err)
	}
	start := time.Now()
	if err := b.createForeignRoutes(ctx, r.Routes, r.Namespaces); err != nil {
		t.Fatalf("creating the foreign routes: %v", err)
	}
	r.Setup = time.Since(start)
	t.Logf("created %d foreign HTTPRoutes in %d namespaces in %s", r.Routes, r.Namespaces, r.Setup.Round(time.Millisecond))
	if err := b.foreignStarts(ctx, t, "models-with-foreign", r.Pools, &r.With); err != nil {
		t.Fatalf("with foreign routes: %v", err)
	}
	b.account(&env, true)
	report := renderForeignReport(env, r)
	fmt.Println(report)
	if path := outPath(); path != "" {
		if err := writeReport(path, foreignTarget, report); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

// foreignStarts fills the new namespace ns with models over poolCount
// pools, starts the controller over them until they have converged and it
// is idle, restarts it over them, and empties ns.
func (b *bench) foreignStarts(ctx context.Context, t *testing.T, ns string, poolCount int, r *foreignRun) error {
	n := poolCount * *perPool
	pools, _, err := b.populate(ctx, ns, n, poolCount)
	if err != nil {
		return err
	}
	r.First = run{QPS: *qps, Burst: *burst}
	if err := b.firstStart(ctx, t, &r.First, ns, pools); err != nil {
		return err
	}
	t.Logf("%s: converged after %s, peak RSS %d MiB, RSS once idle %d MiB", ns,
		r.First.Converged.Round(time.Millisecond), r.First.HWM>>20, r.First.RSS>>20)
	proxy, kubeconfig, err := b.counted(ns + "-restart")
	if err != nil {
		return err
	}
	defer proxy.Close()
	if r.Restart, err = b.restart(ctx, t, proxy, kubeconfig, ns, n, b.controllerArgs(ns, *qps, *burst), nil); err != nil {
		return err
	}
	t.Logf("%s: restart reconciled every model after %s, peak RSS %d MiB, RSS then %d MiB", ns,
		r.Restart.Done.Round(time.Millisecond), r.Restart.HWM>>20, r.Restart.RSS>>20)
	return b.empty(ctx, ns)
}

// createForeignRoutes creates count foreign routes (foreignRoute) over
// the namespaces apps-0 … apps-(namespaces-1), with populateWorkers
// workers and no client-side rate limit.
func (b *bench) createForeignRoutes(ctx context.Context, count, namespaces int) error {
	for i := range namespaces {
		if err := b.admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: foreignNamespace(i)}}); err != nil {
			return err
		}
	}
	return parallel(count, populateWorkers, func(i int) error {
		return b.admin.Create(ctx, foreignRoute(i, foreignNamespace(i%namespaces)))
	})
}

func foreignNamespace(i int) string { return fmt.Sprintf("apps-%d", i) }

// foreignRoute is the route another tool (a Helm chart, say) makes for
// app i in ns: labelled as its own, attached to the Gateway modelroute's
// routes attach to, with a hostname, a rule sending a path prefix with two
// headers to the app's API backend, and a rule splitting the rest 90/10
// between the app and its canary.
func foreignRoute(i int, ns string) *gatewayv1.HTTPRoute {
	app := fmt.Sprintf("app-%d", i)
	prefix := func(path string) *gatewayv1.HTTPPathMatch {
		return &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(path)}
	}
	backend := func(name string, port, weight int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{
				Name: gatewayv1.ObjectName(name), Port: ptr.To(gatewayv1.PortNumber(port)),
			},
			Weight: ptr.To(weight),
		}}
	}
	return &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app, Labels: map[string]string{
			translate.LabelManagedBy:     foreignManager,
			"app.kubernetes.io/name":     app,
			"app.kubernetes.io/instance": app,
			"helm.sh/chart":              "app-1.4.2",
		}},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Namespace: ptr.To(gatewayv1.Namespace(parentGateway.Namespace)),
				Name:      gatewayv1.ObjectName(parentGateway.Names[0]),
			}}},
			Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(app + "." + ns + ".apps.example.com")},
			Rules: []gatewayv1.HTTPRouteRule{
				{
					Matches: []gatewayv1.HTTPRouteMatch{{
						Path: prefix("/api"),
						Headers: []gatewayv1.HTTPHeaderMatch{
							{Name: "x-tenant", Value: fmt.Sprintf("tenant-%d", i%100)},
							{Name: "x-api-version", Value: "v2"},
						},
					}},
					BackendRefs: []gatewayv1.HTTPBackendRef{backend(app+"-api", 8080, 1)},
				},
				{
					Matches:     []gatewayv1.HTTPRouteMatch{{Path: prefix("/")}},
					BackendRefs: []gatewayv1.HTTPBackendRef{backend(app, 80, 90), backend(app+"-canary", 80, 10)},
				},
			},
		},
	}
}

// foreignView is what the template "foreign" renders.
type foreignView struct {
	machineView
	Settings                          settings
	Models, Pools, Routes, Namespaces int
	Manager                           string // the foreign routes' managed-by label
	Setup                             time.Duration
	Rows                              []foreignRow
}

// foreignRow is one measure: without and with the foreign routes, and the
// difference.
type foreignRow struct {
	Label, Without, With, Diff string
}

func renderForeignReport(env environment, r *foreignResult) string {
	var b strings.Builder
	if err := reportTemplate.ExecuteTemplate(&b, "foreign", newForeignView(env, r)); err != nil {
		panic(fmt.Sprintf("rendering the foreign routes' report: %v", err))
	}
	return b.String()
}

func newForeignView(env environment, r *foreignResult) foreignView {
	v := foreignView{
		machineView: newMachineView(env),
		Settings:    benchSettings(),
		Models:      r.Models, Pools: r.Pools, Routes: r.Routes, Namespaces: r.Namespaces,
		Manager: foreignManager,
		Setup:   r.Setup,
	}
	mib := func(bytes float64) string { return fmt.Sprintf("%.1f MiB", bytes/(1<<20)) }
	s := func(seconds float64) string { return fmt.Sprintf("%.1f s", seconds) }
	count := func(n float64) string { return num(int(n)) }
	for _, row := range []struct {
		label  string
		format func(float64) string
		of     func(foreignRun) float64
	}{
		{"first start: peak RSS (VmHWM)", mib, func(r foreignRun) float64 { return float64(r.First.HWM) }},
		{"first start: RSS once idle", mib, func(r foreignRun) float64 { return float64(r.First.RSS) }},
		{"first start: heap in use, peak of 1 s samples", mib, func(r foreignRun) float64 { return r.First.HeapInuse }},
		{"restart: peak RSS (VmHWM)", mib, func(r foreignRun) float64 { return float64(r.Restart.HWM) }},
		{"restart: RSS once every model is reconciled", mib, func(r foreignRun) float64 { return float64(r.Restart.RSS) }},
		{"restart: heap in use, peak of 1 s samples", mib, func(r foreignRun) float64 { return r.Restart.HeapInuse }},
		{"first start: start → caches synced (`/readyz`)", s, func(r foreignRun) float64 { return r.First.Ready.Seconds() }},
		{"first start: start → every route and status right", s, func(r foreignRun) float64 { return r.First.Converged.Seconds() }},
		{"first start: controller CPU-seconds until converged", s, func(r foreignRun) float64 { return r.First.ControllerCPU }},
		{"first start: requests until idle, start-up's discovery and watches aside", count, func(r foreignRun) float64 {
			return float64(r.First.Create.Sum(func(q request) bool { return !startup(q) }))
		}},
		{"restart: start → caches synced (`/readyz`)", s, func(r foreignRun) float64 { return r.Restart.Ready.Seconds() }},
		{"restart: start → every model reconciled", s, func(r foreignRun) float64 { return r.Restart.Done.Seconds() }},
	} {
		without, with := row.of(r.Without), row.of(r.With)
		diff := row.format(with - without)
		if with >= without {
			diff = "+" + diff
		}
		if without != 0 {
			diff += fmt.Sprintf(" (%+.0f%%)", 100*(with-without)/without)
		}
		v.Rows = append(v.Rows, foreignRow{Label: row.label, Without: row.format(without), With: row.format(with), Diff: diff})
	}
	return v
}
