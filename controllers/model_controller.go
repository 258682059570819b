package controllers

import (
	"context"
	"fmt"
	"slices"
	"sync"

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
	newObject: func() client.Object { return &gatewayv1.HTTPRoute{} },
	newList:   func() client.ObjectList { return &gatewayv1.HTTPRouteList{} },
	drifted:   translate.SpecDrifted,
	owned:     []string{"parentRefs", "hostnames"},
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
	// patchedFrom holds, per model, the resourceVersion its last status
	// patch was made against. While the cache still holds that version it
	// has not seen the patch: a status computed from it would only fail the
	// patch's optimistic lock, and the watch event of the patched model is
	// on its way to reconcile the model again.
	patchedFrom sync.Map // types.NamespacedName → string
}

// Reconcile handles one InferenceModel.
func (r *ModelReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	model := &v1alpha2.InferenceModel{}
	if err := r.client.Get(ctx, req.NamespacedName, model); err != nil {
		if apierrors.IsNotFound(err) {
			// Its route goes with it: the garbage collector follows the
			// ownerReference.
			r.metrics.Forget(req.NamespacedName)
			r.patchedFrom.Delete(req.NamespacedName)
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
	programmed, err := r.syncRoute(ctx, model, res)
	if err != nil {
		return ctrl.Result{}, err
	}
	if programmed != nil {
		setCondition(conditions, *programmed)
	}
	return ctrl.Result{}, r.updateStatus(ctx, model, conditions)
}

// syncRoute makes the model's route match res.Route and returns the
// Programmed condition when the cluster, not translate, decides it.
func (r *ModelReconciler) syncRoute(ctx context.Context, model *v1alpha2.InferenceModel, res translate.ModelResult) (*metav1.Condition, error) {
	name := types.NamespacedName{Namespace: model.Namespace, Name: translate.RouteName(model.Name)}
	var desired client.Object
	if res.Route != nil {
		desired = res.Route
	}
	outcome, err := r.writer.reconcile(ctx, routeKind, model, name, desired)
	if err != nil {
		return nil, err
	}
	if res.Route == nil {
		return nil, nil
	}
	translated := res.Condition(translate.ConditionProgrammed)
	switch {
	case outcome == childForeign:
		// The Warning Event comes with the status transition.
		return ptr.To(translate.ForeignRouteCondition(model, name.Name)), nil
	case translated == nil || translated.Status != metav1.ConditionUnknown:
		return nil, nil // NoParentRefs: translate has the last word
	}
	gateways, err := r.parentGateways(ctx, res.Route)
	if err != nil {
		return nil, err
	}
	route := res.Route // just written: no Gateway has seen this generation
	if outcome != childWritten {
		route = &gatewayv1.HTTPRoute{}
		if err := r.client.Get(ctx, name, route); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
	}
	return ptr.To(translate.RouteProgrammed(model, route, gateways)), nil
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
// with an optimistic lock, and records Events for the transitions.
func (r *ModelReconciler) updateStatus(ctx context.Context, model *v1alpha2.InferenceModel, computed []metav1.Condition) error {
	key := client.ObjectKeyFromObject(model)
	if from, ok := r.patchedFrom.Load(key); ok {
		if from == model.ResourceVersion {
			// Our last patch is not in the cache yet (see patchedFrom).
			return nil
		}
		r.patchedFrom.Delete(key)
	}
	merged := translate.MergeConditions(model.Status.Conditions, computed, metav1.Now())
	if equality.Semantic.DeepEqual(merged, model.Status.Conditions) {
		r.metrics.Set(key, merged)
		return nil
	}
	before := model.DeepCopy()
	model.Status.Conditions = merged
	if err := r.client.Status().Patch(ctx, model, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}),
		client.FieldOwner(FieldManager)); err != nil {
		if apierrors.IsConflict(err) {
			// Our cache is behind the model: the watch event of its newer
			// version is on its way and will reconcile it again.
			log.FromContext(ctx).V(1).Info("status conflict; waiting for the newer model", "error", err.Error())
			return nil
		}
		return err
	}
	r.patchedFrom.Store(key, before.ResourceVersion)
	r.metrics.Set(key, merged)
	for _, e := range translate.TransitionEvents(before.Status.Conditions, merged) {
		r.recorder.Eventf(model, nil, e.Type, e.Reason, "UpdateStatus", "%s", e.Note)
	}
	log.FromContext(ctx).V(1).Info("status updated", "conditions", merged)
	return nil
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
