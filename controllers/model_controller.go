package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

var routeKind = childKind{
	kind: "HTTPRoute",
	// Models and rewrites (of either group) own routes of one naming.
	childName: func(owner *metav1.OwnerReference) string {
		if !ownsRoutes(owner.APIVersion, owner.Kind) {
			return ""
		}
		return translate.RouteName(owner.Name)
	},
	newObject: func() client.Object { return &gatewayv1.HTTPRoute{} },
	newList:   func() client.ObjectList { return &gatewayv1.HTTPRouteList{} },
	drifted:   translate.SpecDrifted,
	owned:     []string{"parentRefs", "hostnames"},
	// parentRefs, hostnames and rules are atomic lists.
	createOnly:   true,
	adoptOrphans: true,
}

// ownsRoutes reports whether objects of apiVersion and kind own routes:
// InferenceModels, and InferenceModelRewrites of either group.
func ownsRoutes(apiVersion, kind string) bool {
	for _, k := range slices.Concat(translate.KindsOf("InferenceModel"), translate.KindsOf(translate.KindInferenceModelRewrite)) {
		if k.Kind == kind && k.GroupVersion().String() == apiVersion {
			return true
		}
	}
	return false
}

// ModelReconciler keeps each InferenceModel's HTTPRoute and status in line
// with translate's decision and the Gateway's verdict on the route.
type ModelReconciler struct {
	client     client.Client
	input      inputReader
	writer     childWriter
	recorder   events.EventRecorder
	translator *translate.Translator
	metrics    *ConditionMetrics
	// services are the last failures to write the pools' shadow Services
	// (service mode; nil otherwise).
	services *serviceErrors
	// epp are the kinds --epp-api makes per model; nil without it.
	epp eppChildren
	// writes are this process's last writes; a status computed from a
	// model the cache has not seen our last status patch of would only fail
	// the patch's optimistic lock.
	writes *ownWrites
}

// Reconcile handles one InferenceModel.
func (r *ModelReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	model := &v1alpha2.InferenceModel{}
	if err := r.client.Get(ctx, req.NamespacedName, model); err != nil {
		if apierrors.IsNotFound(err) {
			// Its route goes with it: the garbage collector follows the
			// ownerReference.
			r.metrics.Forget(req.NamespacedName)
			model.Namespace, model.Name = req.Namespace, req.Name
			r.writes.forget(model)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !model.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	in, err := r.input.forModels(ctx, model)
	if err != nil {
		return ctrl.Result{}, err
	}
	res, ok := resultOf(r.translator.Translate(in), model)
	if !ok {
		return ctrl.Result{}, fmt.Errorf("translate returned no result for %s", req.NamespacedName)
	}
	obs, result, writeErr := r.syncChildren(ctx, model, res)
	if writeErr != nil && !apierrors.IsConflict(writeErr) {
		obs = translate.Observation{Write: translate.RouteWriteFailed, Error: writeErr.Error()}
		if res.Route == nil {
			// No condition says it (the model has no route to report on),
			// yet a route it should no longer have may still be serving.
			r.recorder.Eventf(model, nil, corev1.EventTypeWarning, translate.ReasonRouteWriteFailed, "DeleteRoute",
				"%s", translate.EventNote(writeErr.Error()))
		}
	}
	if err := r.observeService(ctx, model, res, &obs); err != nil {
		return ctrl.Result{}, err
	}
	written, err := r.updateStatus(ctx, model, res.Observe(obs))
	if err == nil && !written {
		// The cache has yet to see our last status patch: the echo of that
		// patch will not reconcile the model, so try again shortly.
		result.RequeueAfter = statusRetry
	}
	switch {
	case writeErr != nil:
		// Retried with controller-runtime's backoff; a conflict is a cache
		// behind the API server, and says nothing the status should.
		return ctrl.Result{}, writeErr
	case err != nil:
		r.recorder.Eventf(model, nil, corev1.EventTypeWarning, ReasonStatusWriteFailed, "UpdateStatus",
			"%s", translate.EventNote(err.Error()))
		return ctrl.Result{}, err
	}
	return result, nil
}

// ReasonStatusWriteFailed is the reason of the Warning Event about a model
// whose status the API server refused to take.
const ReasonStatusWriteFailed = "StatusWriteFailed"

// ReasonTooManyConditions is the reason of the Warning Event about a model
// whose other conditions leave no room for some of modelroute's.
const ReasonTooManyConditions = "TooManyConditions"

// unseenRetry is how soon a model is reconciled again whose route, created
// moments ago, the cache has not seen yet.
const unseenRetry = time.Second

// statusRetry is how soon a model whose last status patch the cache has not
// seen yet is reconciled again.
const statusRetry = 250 * time.Millisecond

// foreignRetry is how often a model whose route name another object holds
// looks again (a create the API server refuses, and a read): that object
// is not cached (only modelroute's own are), so its deletion reaches the
// model only this way or by a resync.
const foreignRetry = 10 * time.Second

// syncChildren makes the model's InferenceModelRewrite and
// InferenceObjective (--epp-api), then its route, match res, and says what
// it saw of the route. The route waits for the others: an endpoint picker
// that has not read a model's rewrite would send its requests unsplit.
func (r *ModelReconciler) syncChildren(ctx context.Context, model *v1alpha2.InferenceModel, res translate.ModelResult) (translate.Observation, ctrl.Result, error) {
	var retry time.Duration
	if r.epp != nil {
		var err error
		if retry, err = r.epp.sync(ctx, r.writer, model, res); err != nil {
			return translate.Observation{}, ctrl.Result{RequeueAfter: retry}, err
		}
	}
	obs, result, err := syncRoute(ctx, r.writer, model, res)
	if retry > 0 && (result.RequeueAfter == 0 || retry < result.RequeueAfter) {
		result.RequeueAfter = retry
	}
	return obs, result, err
}

// observeService adds, in service mode, what is known of the shadow
// Service of the model's pool: the last failure to write it, or that the
// cache has not seen it yet.
func (r *ModelReconciler) observeService(ctx context.Context, model *v1alpha2.InferenceModel, res translate.ModelResult, obs *translate.Observation) error {
	if r.services == nil || res.Route == nil {
		return nil
	}
	obs.ServiceError = r.services.get(modelPoolKey(model))
	name := types.NamespacedName{Namespace: model.Namespace, Name: string(res.Route.Spec.Rules[0].BackendRefs[0].Name)}
	found, err := r.input.get(ctx, name, &corev1.Service{})
	obs.ServiceMissing = !found
	return err
}

// updateStatus writes the conditions when they differ from the live ones,
// with an optimistic lock, and records Events for the transitions. It
// returns false, writing nothing, when the cache has not yet seen its last
// status patch of the model.
func (r *ModelReconciler) updateStatus(ctx context.Context, model *v1alpha2.InferenceModel, computed []metav1.Condition) (bool, error) {
	if r.writes.unseen(model) {
		return false, nil
	}
	key := client.ObjectKeyFromObject(model)
	merged, left := translate.MergeConditions(model.Status.Conditions, computed, metav1.Now())
	if equality.Semantic.DeepEqual(merged, model.Status.Conditions) {
		r.metrics.Set(key, merged)
		return true, nil
	}
	before := model.DeepCopy()
	model.Status.Conditions = merged
	if err := r.client.Status().Patch(ctx, model, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}),
		client.FieldOwner(FieldManager)); err != nil {
		if apierrors.IsConflict(err) {
			// Our cache is behind the model: the watch event of its newer
			// version is on its way and will reconcile it again.
			log.FromContext(ctx).V(1).Info("status conflict; waiting for the newer model", "error", err.Error())
			return true, nil
		}
		return true, fmt.Errorf("writing the status of InferenceModel %s: %w", key, err)
	}
	r.writes.wrote(model, before.ResourceVersion)
	r.metrics.Set(key, merged)
	for _, e := range translate.TransitionEvents(before.Status.Conditions, merged) {
		r.recorder.Eventf(model, nil, e.Type, e.Reason, "UpdateStatus", "%s", e.Note)
	}
	if len(left) > 0 {
		note := translate.EventNote(fmt.Sprintf("status.conditions holds at most %d conditions and other controllers' leave no room for %s",
			translate.MaxConditions, strings.Join(left, ", ")))
		log.FromContext(ctx).Info("conditions left out of the status", "left", left, "max", translate.MaxConditions)
		r.recorder.Eventf(model, nil, corev1.EventTypeWarning, ReasonTooManyConditions, "UpdateStatus", "%s", note)
	}
	log.FromContext(ctx).V(1).Info("status updated", "conditions", merged)
	return true, nil
}

func resultOf(out translate.Output, model *v1alpha2.InferenceModel) (translate.ModelResult, bool) {
	for _, res := range out.Models {
		if res.Namespace == model.Namespace && res.Name == model.Name {
			return res, true
		}
	}
	return translate.ModelResult{}, false
}
