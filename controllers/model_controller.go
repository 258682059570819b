package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencemodels,verbs=get;list;watch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencemodels/status,verbs=get;patch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencepools,verbs=get;list;watch
// +kubebuilder:rbac:groups=inference.networking.k8s.io,resources=inferencepools,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gateways;gatewayclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

var routeKind = childKind{
	childName: func(owner *metav1.OwnerReference) string {
		if owner.Kind != "InferenceModel" || owner.APIVersion != v1alpha2.GroupVersion.String() {
			return ""
		}
		return translate.RouteName(owner.Name)
	},
	newObject: func() client.Object { return &gatewayv1.HTTPRoute{} },
	newList:   func() client.ObjectList { return &gatewayv1.HTTPRouteList{} },
	drifted:   translate.SpecDrifted,
	owned:     []string{"parentRefs", "hostnames"},
	// parentRefs, hostnames and rules are atomic lists.
	createOnly: true,
}

// ModelReconciler keeps each InferenceModel's HTTPRoute and status in line
// with translate's decision and the Gateway's verdict on the route.
type ModelReconciler struct {
	client   client.Client
	input    inputReader
	writer   childWriter
	recorder events.EventRecorder
	config   translate.Config
	metrics  *ConditionMetrics
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
	in, err := r.input.read(ctx, model.Spec.ModelName)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !containsModel(in.Models, model) {
		in.Models = append(in.Models, *model) // the index may lag the object
	}
	out, err := translate.Translate(in, r.config)
	if err != nil {
		return ctrl.Result{}, err
	}
	res, ok := resultOf(out, model)
	if !ok {
		return ctrl.Result{}, fmt.Errorf("translate returned no result for %s", req.NamespacedName)
	}
	conditions := slices.Clone(res.Conditions)
	programmed, outcome, err := r.syncRoute(ctx, model, res)
	if err != nil {
		return ctrl.Result{}, err
	}
	if programmed != nil {
		setCondition(conditions, *programmed)
		conditions = translate.Health(model, conditions)
	}
	var result ctrl.Result
	if outcome == childCreating {
		// The echo of the route's create is no reason to reconcile (see
		// ownWrites); this reconciles the model once the cache has surely
		// seen the route, or has seen it deleted.
		result.RequeueAfter = createdGrace
	}
	if outcome == childUnseen {
		// Its route is ours and the cache will see it in a moment: then
		// this reconcile's changes, if any, can be written.
		result.RequeueAfter = unseenRetry
	}
	written, err := r.updateStatus(ctx, model, conditions)
	if err == nil && !written {
		// The cache has yet to see our last status patch: the echo of that
		// patch will not reconcile the model, so try again shortly.
		result.RequeueAfter = statusRetry
	}
	return result, err
}

// unseenRetry is how soon a model is reconciled again whose route, created
// moments ago, the cache has not seen yet.
const unseenRetry = time.Second

// statusRetry is how soon a model whose last status patch the cache has not
// seen yet is reconciled again.
const statusRetry = 250 * time.Millisecond

// syncRoute makes the model's route match res.Route and returns the
// Programmed condition when the cluster, not translate, decides it.
func (r *ModelReconciler) syncRoute(ctx context.Context, model *v1alpha2.InferenceModel, res translate.ModelResult) (*metav1.Condition, syncOutcome, error) {
	name := types.NamespacedName{Namespace: model.Namespace, Name: translate.RouteName(model.Name)}
	var desired client.Object
	if res.Route != nil {
		desired = res.Route
	}
	outcome, err := r.writer.reconcile(ctx, routeKind, model, name, desired)
	if err != nil || res.Route == nil {
		return nil, outcome, err
	}
	translated := res.Condition(translate.ConditionProgrammed)
	switch {
	case outcome == childForeign:
		// The Warning Event comes with the status transition.
		return ptr.To(translate.ForeignRouteCondition(model, name.Name)), outcome, nil
	case translated == nil || translated.Status != metav1.ConditionUnknown:
		return nil, outcome, nil // NoParentRefs: translate has the last word
	}
	gateways, err := r.parentGateways(ctx, res.Route)
	if err != nil {
		return nil, outcome, err
	}
	route := res.Route // just written: no Gateway has seen this generation
	if outcome != childWritten && outcome != childCreating && outcome != childUnseen {
		live := &gatewayv1.HTTPRoute{}
		if err := r.client.Get(ctx, name, live); err != nil {
			return nil, outcome, client.IgnoreNotFound(err)
		}
		// Unchanged: the live spec is the desired one (the cache keeps only
		// its digest); its generation and status are the Gateways' to judge.
		unchanged := *res.Route
		unchanged.Generation, unchanged.Status = live.Generation, live.Status
		route = &unchanged
	}
	return ptr.To(translate.RouteProgrammed(model, route, gateways)), outcome, nil
}

// parentGateways reads from the cache the Gateways route attaches to and
// their GatewayClasses. A Gateway or class that does not exist (yet) is left
// out: its verdict on the route decides.
func (r *ModelReconciler) parentGateways(ctx context.Context, route *gatewayv1.HTTPRoute) ([]translate.ParentGateway, error) {
	var out []translate.ParentGateway
	for _, ref := range route.Spec.ParentRefs {
		ns, name, ok := translate.GatewayOf(route.Namespace, ref)
		if !ok {
			continue
		}
		gateway := &gatewayv1.Gateway{}
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, gateway); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		class := &gatewayv1.GatewayClass{}
		if err := r.client.Get(ctx, types.NamespacedName{Name: string(gateway.Spec.GatewayClassName)}, class); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		out = append(out, translate.ParentGateway{
			Namespace: ns, Name: name, Class: class.Name, SupportedFeatures: class.Status.SupportedFeatures,
		})
	}
	return out, nil
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
	merged := translate.MergeConditions(model.Status.Conditions, computed, metav1.Now())
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
		return true, err
	}
	r.writes.wrote(model, before.ResourceVersion)
	r.metrics.Set(key, merged)
	for _, e := range translate.TransitionEvents(before.Status.Conditions, merged) {
		r.recorder.Eventf(model, nil, e.Type, e.Reason, "UpdateStatus", "%s", e.Note)
	}
	log.FromContext(ctx).V(1).Info("status updated", "conditions", merged)
	return true, nil
}

func setCondition(conditions []metav1.Condition, c metav1.Condition) {
	for i := range conditions {
		if conditions[i].Type == c.Type {
			conditions[i] = c
		}
	}
}

func resultOf(out translate.Output, model *v1alpha2.InferenceModel) (translate.ModelResult, bool) {
	for _, res := range out.Models {
		if res.Namespace == model.Namespace && res.Name == model.Name {
			return res, true
		}
	}
	return translate.ModelResult{}, false
}

func containsModel(models []v1alpha2.InferenceModel, model *v1alpha2.InferenceModel) bool {
	return slices.ContainsFunc(models, func(m v1alpha2.InferenceModel) bool {
		return m.Namespace == model.Namespace && m.Name == model.Name
	})
}
