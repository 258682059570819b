//go:build bench

package scale_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// tracker watches the models and routes of one namespace and counts the
// converged models: the route's spec equals translate's for the model's
// current spec, and the model's status says ResolvedRefs=True,
// Accepted=True and Programmed=Unknown/Pending for its current generation.
// It works on watch events only, never re-listing.
type tracker struct {
	cfg   translate.Config
	pools map[string]v1alpha2.InferencePool
	n     int

	mu        sync.Mutex
	models    map[string]*v1alpha2.InferenceModel // by name
	routes    map[string]*gatewayv1.HTTPRoute     // by name
	modelOf   map[string]string                   // route name → model name
	want      map[string]wanted                   // by model name
	converged map[string]bool
	done      chan struct{} // closed when all n have converged
	doneAt    time.Time
	waiters   map[string]waiter // by route name
}

type wanted struct {
	generation int64
	spec       *gatewayv1.HTTPRouteSpec
}

type waiter struct {
	spec *gatewayv1.HTTPRouteSpec
	seen chan time.Time
}

func startTracker(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, ns string,
	pools []v1alpha2.InferencePool, n int, tcfg translate.Config) (*tracker, error) {
	t := &tracker{
		cfg: tcfg, pools: map[string]v1alpha2.InferencePool{}, n: n,
		models: map[string]*v1alpha2.InferenceModel{}, routes: map[string]*gatewayv1.HTTPRoute{},
		modelOf: map[string]string{}, want: map[string]wanted{}, converged: map[string]bool{},
		done: make(chan struct{}), waiters: map[string]waiter{},
	}
	for _, p := range pools {
		t.pools[p.Name] = p
	}
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		return nil, err
	}
	for _, obj := range []client.Object{&v1alpha2.InferenceModel{}, &gatewayv1.HTTPRoute{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { t.observe(o, false) },
			UpdateFunc: func(_, o any) { t.observe(o, false) },
			DeleteFunc: func(o any) {
				if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
					o = d.Obj
				}
				t.observe(o, true)
			},
		})
		if err != nil {
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, ctx.Err()
	}
	return t, nil
}

func (t *tracker) observe(o any, deleted bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	switch o := o.(type) {
	case *v1alpha2.InferenceModel:
		if deleted {
			delete(t.models, o.Name)
		} else {
			t.models[o.Name] = o
			t.modelOf[translate.RouteName(o.Name)] = o.Name
		}
		t.check(o.Name, now)
	case *gatewayv1.HTTPRoute:
		if deleted {
			delete(t.routes, o.Name)
		} else {
			t.routes[o.Name] = o
			if w, ok := t.waiters[o.Name]; ok && equality.Semantic.DeepEqual(&o.Spec, w.spec) {
				w.seen <- now
				delete(t.waiters, o.Name)
			}
		}
		if name, ok := t.modelOf[o.Name]; ok {
			t.check(name, now)
		}
	}
}

// check updates whether the model called name has converged.
func (t *tracker) check(name string, now time.Time) {
	m := t.models[name]
	ok := m != nil && statusConverged(m)
	if ok {
		route := t.routes[translate.RouteName(name)]
		spec := t.desired(m)
		ok = route != nil && spec != nil && equality.Semantic.DeepEqual(&route.Spec, spec)
	}
	if ok == t.converged[name] {
		return
	}
	if ok {
		t.converged[name] = true
	} else {
		delete(t.converged, name)
	}
	if len(t.converged) == t.n && t.doneAt.IsZero() {
		t.doneAt = now
		close(t.done)
	}
}

// desired is the spec translate gives the model's route: each model has a
// modelName of its own, so translating it alone with its pool gives what
// translating the whole namespace would.
func (t *tracker) desired(m *v1alpha2.InferenceModel) *gatewayv1.HTTPRouteSpec {
	if w, ok := t.want[m.Name]; ok && w.generation == m.Generation {
		return w.spec
	}
	spec := desiredSpec(m, t.pools[string(m.Spec.PoolRef.Name)], t.cfg)
	t.want[m.Name] = wanted{generation: m.Generation, spec: spec}
	return spec
}

func desiredSpec(m *v1alpha2.InferenceModel, pool v1alpha2.InferencePool, cfg translate.Config) *gatewayv1.HTTPRouteSpec {
	translator, err := translate.NewTranslator(cfg)
	if err != nil {
		return nil
	}
	out := translator.Translate(translate.Input{
		Models: []v1alpha2.InferenceModel{*m}, AlphaPools: []v1alpha2.InferencePool{pool},
	})
	if len(out.Models) != 1 || out.Models[0].Route == nil {
		return nil
	}
	return &out.Models[0].Route.Spec
}

func statusConverged(m *v1alpha2.InferenceModel) bool {
	for _, want := range []struct {
		t, reason string
		status    metav1.ConditionStatus
	}{
		{translate.ConditionResolvedRefs, translate.ReasonResolvedRefs, metav1.ConditionTrue},
		{translate.ConditionAccepted, translate.ReasonAccepted, metav1.ConditionTrue},
		{translate.ConditionProgrammed, translate.ReasonPending, metav1.ConditionUnknown},
	} {
		c := meta.FindStatusCondition(m.Status.Conditions, want.t)
		if c == nil || c.Status != want.status || c.Reason != want.reason || c.ObservedGeneration != m.Generation {
			return false
		}
	}
	return true
}

// progress says how many models have converged and, for the first that
// has not, why.
func (t *tracker) progress() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	why := ""
	for name, m := range t.models {
		if t.converged[name] {
			continue
		}
		route := t.routes[translate.RouteName(name)]
		switch {
		case !statusConverged(m):
			why = fmt.Sprintf("; %s: status %v", name, m.Status.Conditions)
		case route == nil:
			why = fmt.Sprintf("; %s: no route", name)
		default:
			why = fmt.Sprintf("; %s: route generation %d differs from translate's", name, route.Generation)
		}
		break
	}
	return fmt.Sprintf("%d of %d models converged, %d models and %d routes seen%s", len(t.converged), t.n, len(t.models), len(t.routes), why)
}

// convergedCount is the number of converged models now.
func (t *tracker) convergedCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.converged)
}

// awaitRoute returns a channel that receives the time at which the route
// called name is seen with spec.
func (t *tracker) awaitRoute(name string, spec *gatewayv1.HTTPRouteSpec) <-chan time.Time {
	seen := make(chan time.Time, 1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.routes[name]; r != nil && equality.Semantic.DeepEqual(&r.Spec, spec) {
		seen <- time.Now()
		return seen
	}
	t.waiters[name] = waiter{spec: spec, seen: seen}
	return seen
}
