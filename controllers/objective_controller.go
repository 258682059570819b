package controllers

import (
	"context"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// IndexObjectivePool indexes InferenceObjectives by the pool they
// reference (PoolIndexKey; the group defaults to the v1 one).
const IndexObjectivePool = "spec.poolRef"

// objectiveGroups are the InferenceObjective groups modelroute writes the
// status of, each only when its CRD is installed.
var objectiveGroups = groupsOf(translate.KindInferenceObjective)

// objectiveOf is obj, an InferenceObjective of g, as translate reads it.
func (g kindGroup) objectiveOf(obj client.Object) v1alpha2.InferenceObjective {
	var in translate.Input
	g.addTo(&in, obj)
	return in.Objectives[0]
}

// objectivePoolKey is the PoolIndexKey of the pool an objective references.
func objectivePoolKey(o *v1alpha2.InferenceObjective) string {
	return PoolIndexKey(o.Namespace, translate.PoolGroupOf(translate.KindInferenceObjective, string(o.Spec.PoolRef.Group)), string(o.Spec.PoolRef.Name))
}

// ObjectiveReconciler writes the status of the InferenceObjectives of one
// group, which no other controller writes: ResolvedRefs (the pool exists),
// Accepted, and the summaries a model gets (Ready; Reconciling or Stalled).
type ObjectiveReconciler struct {
	client     client.Client
	input      inputReader
	recorder   events.EventRecorder
	translator *translate.Translator
	objectives kindGroup
}

// Reconcile handles one InferenceObjective.
func (r *ObjectiveReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.objectives.newObject()
	if err := r.client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return ctrl.Result{}, nil
	}
	objective := r.objectives.objectiveOf(obj.DeepCopyObject().(client.Object))
	in := translate.Input{Objectives: []v1alpha2.InferenceObjective{objective}, UnservedPoolGroups: r.input.unserved}
	if err := r.input.addPools(ctx, &in); err != nil {
		return ctrl.Result{}, err
	}
	out := r.translator.Translate(in)
	return ctrl.Result{}, patchConditions(ctx, r.client, r.recorder, obj, out.Objectives[0].Conditions)
}

// setupObjectives registers, for each InferenceObjective group whose CRD
// is installed, its pool index and its reconciler, which a change to the
// referenced pool (of a served group) also wakes.
func setupObjectives(ctx context.Context, mgr ctrl.Manager, in inputReader, translator *translate.Translator) error {
	log := ctrl.Log.WithName("setup")
	for _, g := range objectiveGroups {
		if why := unserved(mgr.GetRESTMapper(), g.gvk()); why != "" {
			log.Info("not writing the status of InferenceObjectives of this group", "group", g.Group, "why", why)
			continue
		}
		err := mgr.GetFieldIndexer().IndexField(ctx, g.newObject(), IndexObjectivePool, func(o client.Object) []string {
			objective := g.objectiveOf(o)
			return []string{objectivePoolKey(&objective)}
		})
		if err != nil {
			return err
		}
		c := mgr.GetClient()
		b := ctrl.NewControllerManagedBy(mgr).Named("inferenceobjective-" + g.Group).For(g.newObject())
		for _, pools := range poolGroups {
			if in.unserved[pools.Group] == "" {
				b = b.Watches(pools.newObject(), handler.EnqueueRequestsFromMapFunc(poolObjectives(c, g, pools.Group)))
			}
		}
		err = b.Complete(&ObjectiveReconciler{
			client: c, input: in, recorder: mgr.GetEventRecorder(FieldManager), translator: translator, objectives: g,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// poolObjectives enqueues the objectives of group g that reference a pool
// of poolGroup.
func poolObjectives(c client.Client, g kindGroup, poolGroup string) handler.MapFunc {
	return func(ctx context.Context, pool client.Object) []reconcile.Request {
		return listRequests(ctx, c, g, client.MatchingFields{IndexObjectivePool: PoolIndexKey(pool.GetNamespace(), poolGroup, pool.GetName())})
	}
}
