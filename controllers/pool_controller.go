package controllers

import (
	"context"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

var serviceKind = childKind{
	kind: "Service",
	childName: func(owner *metav1.OwnerReference) string {
		gv, err := schema.ParseGroupVersion(owner.APIVersion)
		if err != nil || owner.Kind != translate.KindInferencePool {
			return ""
		}
		return translate.ServiceName(gv.Group, owner.Name)
	},
	newObject: func() client.Object { return &corev1.Service{} },
	newList:   func() client.ObjectList { return &corev1.ServiceList{} },
	drifted:   translate.SetFieldsDrifted,
}

// PoolServiceReconciler keeps the shadow Service of each InferencePool of one
// group in service backend mode: present while some model routes to the
// pool, owned by the pool, gone otherwise.
type PoolServiceReconciler struct {
	client     client.Client
	input      inputReader
	writer     childWriter
	recorder   events.EventRecorder
	translator *translate.Translator
	pools      kindGroup
	// errors are the last write failures, which the pools' models report.
	errors *serviceErrors
}

// Reconcile handles one InferencePool.
func (r *PoolServiceReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	key := PoolIndexKey(req.Namespace, r.pools.Group, req.Name)
	pool := r.pools.newObject()
	if ok, err := r.input.get(ctx, req.NamespacedName, pool); err != nil || !ok {
		if err == nil {
			// Gone: the garbage collector removes its Service, and its
			// models report PoolNotFound.
			r.errors.set(key, "")
		}
		return reconcile.Result{}, err
	}
	var models v1alpha2.InferenceModelList
	if err := r.client.List(ctx, &models, client.MatchingFields{IndexModelPool: key}); err != nil {
		return reconcile.Result{}, err
	}
	name := types.NamespacedName{Namespace: req.Namespace, Name: translate.ServiceName(r.pools.Group, req.Name)}
	var desired client.Object
	var in translate.Input
	var err error
	if len(models.Items) > 0 {
		ptrs := make([]*v1alpha2.InferenceModel, len(models.Items))
		for i := range models.Items {
			ptrs[i] = &models.Items[i]
		}
		in, err = r.input.forModels(ctx, ptrs...)
	} else if len(r.input.rewriteGroups) > 0 {
		// Only rewrites may route to it: they are all in its namespace.
		in, err = r.input.forNamespace(ctx, req.Namespace)
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	if len(in.Models) > 0 || len(in.Rewrites) > 0 {
		out := r.translator.Translate(in)
		if i := slices.IndexFunc(out.Services, func(s *corev1.Service) bool {
			return s.Namespace == name.Namespace && s.Name == name.Name
		}); i >= 0 {
			desired = out.Services[i]
		}
	}
	sync, err := r.writer.reconcile(ctx, serviceKind, pool, name, desired)
	if sync.outcome == childForeign && desired != nil {
		r.recorder.Eventf(pool, nil, corev1.EventTypeWarning, translate.ReasonServiceConflict, "ApplyService",
			"Service %s exists and is not controlled by this InferencePool; it was left untouched", name.Name)
	}
	failure := ""
	if err != nil && !apierrors.IsConflict(err) {
		failure = err.Error()
		r.recorder.Eventf(pool, nil, corev1.EventTypeWarning, translate.ReasonServiceWriteFailed, "ApplyService",
			"%s", translate.EventNote(failure))
	}
	if r.errors.set(key, failure) {
		// The pool's models and rewrites report it, or stop reporting it.
		r.errors.notify(ctx, models.Items)
		r.errors.notifyRewrites(ctx, r.client, r.input.rewriteGroups, req.Namespace)
	}
	return reconcile.Result{}, err
}

// serviceErrors are the last failures to write the pools' shadow Services,
// by pool (PoolIndexKey), for the models of those pools to report: the two
// reconcilers share them in one process, and only the leader writes.
type serviceErrors struct {
	mu     sync.Mutex
	byPool map[string]string
	// models receives the models to reconcile when their pool's failure
	// changes; rewrites, per served group, the rewrites of its namespace.
	models   chan event.GenericEvent
	rewrites map[string]chan event.GenericEvent
}

func newServiceErrors(rewriteGroups []kindGroup) *serviceErrors {
	e := &serviceErrors{byPool: map[string]string{}, models: make(chan event.GenericEvent, 1024), rewrites: map[string]chan event.GenericEvent{}}
	for _, g := range rewriteGroups {
		e.rewrites[g.Group] = make(chan event.GenericEvent, 1024)
	}
	return e
}

// set records pool's failure ("" for none) and reports whether it changed.
func (e *serviceErrors) set(pool, failure string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byPool[pool] == failure {
		return false
	}
	if failure == "" {
		delete(e.byPool, pool)
	} else {
		e.byPool[pool] = failure
	}
	return true
}

func (e *serviceErrors) get(pool string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.byPool[pool]
}

// notifyRewrites hands the rewrites of namespace ns, of every served
// group, to their reconcilers: any of them may route to the pool.
func (e *serviceErrors) notifyRewrites(ctx context.Context, c client.Client, groups []kindGroup, ns string) {
	for _, g := range groups {
		list := g.newList()
		if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
			log.FromContext(ctx).Error(err, "listing rewrites to tell of their pool's Service", "group", g.Group)
			continue
		}
		objs, err := metaItems(list)
		if err != nil {
			continue
		}
		for _, o := range objs {
			select {
			case e.rewrites[g.Group] <- event.GenericEvent{Object: o}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// notify hands models to the model reconciler.
func (e *serviceErrors) notify(ctx context.Context, models []v1alpha2.InferenceModel) {
	for i := range models {
		select {
		case e.models <- event.GenericEvent{Object: &models[i]}:
		case <-ctx.Done():
			return
		}
	}
}
