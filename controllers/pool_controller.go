package controllers

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;patch;delete

var serviceKind = childKind{
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
	client   client.Client
	input    inputReader
	writer   childWriter
	recorder events.EventRecorder
	config   translate.Config
	pools    poolGroup
}

// Reconcile handles one InferencePool.
func (r *PoolServiceReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	pool := r.pools.newObject()
	if ok, err := r.input.get(ctx, req.NamespacedName, pool); err != nil || !ok {
		return reconcile.Result{}, err // gone: the garbage collector removes its Service
	}
	var models v1alpha2.InferenceModelList
	if err := r.client.List(ctx, &models, client.MatchingFields{
		IndexModelPool: PoolIndexKey(req.Namespace, r.pools.group, req.Name),
	}); err != nil {
		return reconcile.Result{}, err
	}
	var names []string
	for _, m := range models.Items {
		names = append(names, m.Spec.ModelName)
	}
	name := types.NamespacedName{Namespace: req.Namespace, Name: translate.ServiceName(r.pools.group, req.Name)}
	var desired client.Object
	if len(names) > 0 {
		in, err := r.input.read(ctx, names...)
		if err != nil {
			return reconcile.Result{}, err
		}
		out, err := translate.Translate(in, r.config)
		if err != nil {
			return reconcile.Result{}, err
		}
		if i := slices.IndexFunc(out.Services, func(s *corev1.Service) bool {
			return s.Namespace == name.Namespace && s.Name == name.Name
		}); i >= 0 {
			desired = out.Services[i]
		}
	}
	outcome, err := r.writer.reconcile(ctx, serviceKind, pool, name, desired)
	if outcome == childForeign && desired != nil {
		r.recorder.Eventf(pool, nil, corev1.EventTypeWarning, translate.ReasonServiceConflict, "ApplyService",
			"Service %s exists and is not controlled by this InferencePool; it was left untouched", name.Name)
	}
	return reconcile.Result{}, err
}
