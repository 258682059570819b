package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// rewriteGroups are the InferenceModelRewrite groups modelroute routes,
// each only when its CRD is installed.
var rewriteGroups = groupsOf(translate.KindInferenceModelRewrite)

// RewriteReconciler keeps each InferenceModelRewrite of one group's
// HTTPRoute and status in line with translate's decision and the Gateway's
// verdict, as ModelReconciler does for models. It reads the whole
// namespace: its models and rewrites claim model names in its pools, and
// route names in it.
type RewriteReconciler struct {
	client     client.Client
	input      inputReader
	writer     childWriter
	recorder   events.EventRecorder
	translator *translate.Translator
	rewrites   kindGroup
	// services are the last failures to write the pools' shadow Services
	// (service mode; nil otherwise).
	services *serviceErrors
}

// Reconcile handles one InferenceModelRewrite.
func (r *RewriteReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.rewrites.newObject()
	if err := r.client.Get(ctx, req.NamespacedName, obj); err != nil {
		// A deleted rewrite's route goes with it (garbage collection).
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() || translate.EmittedForModel(obj) {
		// A model's own rewrite (--epp-api) is that model's output, with
		// no route or status of its own.
		return ctrl.Result{}, nil
	}
	in, err := r.input.forNamespace(ctx, req.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	apiVersion := r.rewrites.GroupVersion().String()
	var res *translate.ModelResult
	for _, rw := range r.translator.Translate(in).Rewrites {
		if rw.APIVersion == apiVersion && rw.Namespace == req.Namespace && rw.Name == req.Name {
			res = &rw
		}
	}
	if res == nil {
		// The cache has yet to list it; its own event comes.
		return ctrl.Result{RequeueAfter: unseenRetry}, nil
	}
	obs, result, writeErr := syncRoute(ctx, r.writer, obj, *res)
	if writeErr != nil && !apierrors.IsConflict(writeErr) {
		obs = translate.Observation{Write: translate.RouteWriteFailed, Error: writeErr.Error()}
		if res.Route == nil {
			r.recorder.Eventf(obj, nil, corev1.EventTypeWarning, translate.ReasonRouteWriteFailed, "DeleteRoute",
				"%s", translate.EventNote(writeErr.Error()))
		}
	}
	if err := r.observeService(ctx, obj, *res, &obs); err != nil {
		return ctrl.Result{}, err
	}
	if err := patchConditions(ctx, r.client, r.recorder, obj, res.Observe(obs)); err != nil {
		r.recorder.Eventf(obj, nil, corev1.EventTypeWarning, ReasonStatusWriteFailed, "UpdateStatus",
			"%s", translate.EventNote(err.Error()))
		return ctrl.Result{}, err
	}
	return result, writeErr
}

// observeService adds, in service mode, the last failure to write the
// shadow Service of the rewrite's pool, or that the Service the route's
// backendRefs name is not there yet.
func (r *RewriteReconciler) observeService(ctx context.Context, rw client.Object, res translate.ModelResult, obs *translate.Observation) error {
	if r.services == nil || res.Route == nil {
		return nil
	}
	obs.ServiceError = r.services.get(rewritePoolKey(rw))
	name := types.NamespacedName{Namespace: rw.GetNamespace(), Name: string(res.Route.Spec.Rules[0].BackendRefs[0].Name)}
	found, err := r.input.get(ctx, name, &corev1.Service{})
	obs.ServiceMissing = !found
	return err
}

// rewritePoolKey is the IndexModelPool-style key of a rewrite's pool; the
// successors' poolRef group defaults to the v1 group.
func rewritePoolKey(rw client.Object) string {
	var ref v1alpha2.SuccessorPoolReference
	switch o := rw.(type) {
	case *v1alpha2.InferenceModelRewrite:
		ref = o.Spec.PoolRef
	case *llmdv1alpha2.InferenceModelRewrite:
		ref = o.Spec.PoolRef
	}
	return PoolIndexKey(rw.GetNamespace(), translate.PoolGroupOf(translate.KindInferenceModelRewrite, string(ref.Group)), string(ref.Name))
}

// syncRoute makes owner's route (a model's or a rewrite's) match
// res.Route and says what it saw.
func syncRoute(ctx context.Context, writer childWriter, owner client.Object, res translate.ModelResult) (translate.Observation, ctrl.Result, error) {
	name := types.NamespacedName{Namespace: owner.GetNamespace(), Name: translate.RouteName(owner.GetName())}
	var desired client.Object
	if res.Route != nil {
		desired = res.Route
	}
	sync, err := writer.reconcile(ctx, routeKind, owner, name, desired)
	if err != nil {
		return translate.Observation{}, ctrl.Result{}, err
	}
	var result ctrl.Result
	obs := translate.Observation{Write: translate.RouteInPlace}
	switch sync.outcome {
	case childCreating:
		// The echo of the route's create is no reason to reconcile (see
		// ownWrites); this reconciles the owner once the cache has surely
		// seen the route, or has seen it deleted.
		result.RequeueAfter = createdGrace
	case childUnseen:
		// Its route is ours and the cache will see it in a moment: then
		// this reconcile's changes, if any, can be written.
		result.RequeueAfter = unseenRetry
		obs.Write = translate.RouteAwaitingCache
	case childForeign:
		result.RequeueAfter = foreignRetry
		obs.Write = translate.RouteForeign
	case childReplacing:
		// The deletion's event reconciles the owner again.
		obs.Write = translate.RouteReplacing
	}
	if route, ok := sync.live.(*gatewayv1.HTTPRoute); ok {
		obs.Live = route
	}
	return obs, result, nil
}

// successorConditions points at the status.conditions of an
// InferenceModelRewrite or InferenceObjective of either group.
func successorConditions(obj client.Object) *[]metav1.Condition {
	switch o := obj.(type) {
	case *v1alpha2.InferenceModelRewrite:
		return &o.Status.Conditions
	case *llmdv1alpha2.InferenceModelRewrite:
		return &o.Status.Conditions
	case *v1alpha2.InferenceObjective:
		return &o.Status.Conditions
	case *llmdv1alpha2.InferenceObjective:
		return &o.Status.Conditions
	}
	panic(fmt.Sprintf("%T has no status modelroute writes", obj))
}

// patchConditions writes computed into obj's status (a successor's) when
// it changes it, with an optimistic lock, and records Events for the
// transitions. A conflict is no error: the newer object's event comes.
func patchConditions(ctx context.Context, c client.Client, recorder events.EventRecorder, obj client.Object, computed []metav1.Condition) error {
	conditions := successorConditions(obj)
	merged, _ := translate.MergeConditions(*conditions, computed, metav1.Now())
	if equality.Semantic.DeepEqual(merged, *conditions) {
		return nil
	}
	before := obj.DeepCopyObject().(client.Object)
	old := *conditions
	*conditions = merged
	if err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}),
		client.FieldOwner(FieldManager)); err != nil {
		if apierrors.IsConflict(err) {
			return nil
		}
		return fmt.Errorf("writing the status of %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err)
	}
	for _, e := range translate.TransitionEvents(old, merged) {
		recorder.Eventf(obj, nil, e.Type, e.Reason, "UpdateStatus", "%s", e.Note)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("status updated", "conditions", merged)
	return nil
}

// inNamespace enqueues every object of group g in the namespace of the
// object that changed.
func inNamespace(c client.Client, g kindGroup) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		return listRequests(ctx, c, g, client.InNamespace(o.GetNamespace()))
	}
}

// everywhere enqueues every object of group g.
func everywhere(c client.Client, g kindGroup) handler.MapFunc {
	return func(ctx context.Context, _ client.Object) []reconcile.Request {
		return listRequests(ctx, c, g)
	}
}

func listRequests(ctx context.Context, c client.Client, g kindGroup, opts ...client.ListOption) []reconcile.Request {
	list := g.newList()
	if err := c.List(ctx, list, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing objects to enqueue", "group", g.Group)
		return nil
	}
	objs, err := metaItems(list)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing objects to enqueue", "group", g.Group)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(objs))
	for _, o := range objs {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	}
	return reqs
}

// setupRewrites registers a reconciler for each served rewrite group. Any
// model, rewrite, pool or modelroute route of a namespace may change what
// its rewrites get; a Gateway or class, what any rewrite's route gets.
func setupRewrites(mgr ctrl.Manager, in inputReader, writer childWriter, translator *translate.Translator, services *serviceErrors) error {
	c := mgr.GetClient()
	for _, g := range in.rewriteGroups {
		b := ctrl.NewControllerManagedBy(mgr).Named("inferencemodelrewrite-"+g.Group).
			For(g.newObject(), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return !translate.EmittedForModel(o) }))).
			Watches(&v1alpha2.InferenceModel{}, handler.EnqueueRequestsFromMapFunc(inNamespace(c, g))).
			Watches(&gatewayv1.HTTPRoute{}, handler.EnqueueRequestsFromMapFunc(inNamespace(c, g))).
			Watches(&gatewayv1.Gateway{}, handler.EnqueueRequestsFromMapFunc(everywhere(c, g))).
			Watches(&gatewayv1.GatewayClass{}, handler.EnqueueRequestsFromMapFunc(everywhere(c, g)))
		for _, other := range in.rewriteGroups {
			if other.Group != g.Group {
				b = b.Watches(other.newObject(), handler.EnqueueRequestsFromMapFunc(inNamespace(c, g)))
			}
		}
		for _, pools := range poolGroups {
			if in.unserved[pools.Group] == "" {
				b = b.Watches(pools.newObject(), handler.EnqueueRequestsFromMapFunc(inNamespace(c, g)))
			}
		}
		if services != nil {
			// A shadow Service of its namespace that could not be written,
			// or now could.
			b = b.WatchesRawSource(source.Channel(services.rewrites[g.Group], &handler.EnqueueRequestForObject{}))
		}
		err := b.Complete(&RewriteReconciler{
			client: c, input: in, writer: writer, recorder: mgr.GetEventRecorder(FieldManager), translator: translator, rewrites: g,
			services: services,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
