package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// Options configure the reconcilers.
type Options struct {
	Config translate.Config
	// Concurrency is the number of models reconciled at once.
	Concurrency int
	// Metrics receives the models' conditions; nil for none.
	Metrics *ConditionMetrics
}

// Setup registers the field indexes and the reconcilers with mgr. The
// InferenceModel and HTTPRoute CRDs must be installed; each InferencePool
// group is watched only if its CRD is, and models referencing a missing one
// say so in their status.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	log := ctrl.Log.WithName("setup")
	mapper := mgr.GetRESTMapper()
	if opts.Config.EPPAPI != "" {
		group, err := resolveEPPAPI(mapper, opts.Config.EPPAPI)
		if err != nil {
			return err
		}
		log.Info("making an InferenceModelRewrite and InferenceObjective per model", "group", group)
		opts.Config.EPPAPI = group
	}
	translator, err := translate.NewTranslator(opts.Config)
	if err != nil {
		return err
	}
	for _, gvk := range []schema.GroupVersionKind{
		v1alpha2.GroupVersion.WithKind("InferenceModel"),
		gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"),
		gatewayv1.SchemeGroupVersion.WithKind("Gateway"),
		gatewayv1.SchemeGroupVersion.WithKind("GatewayClass"),
	} {
		if why := unserved(mapper, gvk); why != "" {
			return fmt.Errorf("%s: modelroute needs it", why)
		}
	}
	unservedPools := map[string]string{}
	for _, g := range poolGroups {
		if why := unserved(mapper, g.gvk()); why != "" {
			unservedPools[g.Group] = why
			log.Info("not watching InferencePools of this group; models referencing them report PoolNotFound (restart modelroute once the CRD serves the version)",
				"group", g.Group, "why", why)
		}
	}
	var servedRewrites []kindGroup
	for _, g := range rewriteGroups {
		if why := unserved(mapper, g.gvk()); why != "" {
			log.Info("not routing InferenceModelRewrites of this group", "group", g.Group, "why", why)
			continue
		}
		servedRewrites = append(servedRewrites, g)
	}
	if err := RegisterIndexes(ctx, mgr.GetFieldIndexer(), opts.Config); err != nil {
		return err
	}
	metrics := opts.Metrics
	if metrics == nil {
		metrics = NewConditionMetrics()
	}
	c := mgr.GetClient()
	models, pools := newReconcilers(c, mgr.GetAPIReader(), mgr.GetEventRecorder(FieldManager), translator, metrics, unservedPools, servedRewrites)
	serviceMode := opts.Config.Backend == translate.BackendService
	notEcho := builder.WithPredicates(models.writes.notEcho())
	b := ctrl.NewControllerManagedBy(mgr).
		Named("inferencemodel").
		WithOptions(controller.Options{MaxConcurrentReconciles: max(opts.Concurrency, 1)}).
		For(&v1alpha2.InferenceModel{}, notEcho).
		// Contenders for a modelName: a change to one can hand the name
		// over. The echo of a status write counts too: it follows a change
		// in whether that model is routed (its pool came back, say), which
		// reached only that model.
		Watches(&v1alpha2.InferenceModel{}, handler.EnqueueRequestsFromMapFunc(mapContenders(c))).
		// modelroute's routes, and their status: a Gateway's verdict on a
		// route decides its model's Programmed, and whether that model
		// keeps its modelName from younger contenders.
		Watches(&gatewayv1.HTTPRoute{}, handler.EnqueueRequestsFromMapFunc(mapRoute(c)), notEcho).
		// A parent Gateway's existence and class, and that class's
		// controller and features, decide whether the Gateway can deliver
		// a route.
		Watches(&gatewayv1.Gateway{}, handler.EnqueueRequestsFromMapFunc(mapGateway(c)),
			builder.WithPredicates(updatedWhen(func(old, new *gatewayv1.Gateway) bool {
				return old.Spec.GatewayClassName != new.Spec.GatewayClassName
			}))).
		Watches(&gatewayv1.GatewayClass{}, handler.EnqueueRequestsFromMapFunc(mapGatewayClass(c)),
			builder.WithPredicates(updatedWhen(func(old, new *gatewayv1.GatewayClass) bool {
				return old.Spec.ControllerName != new.Spec.ControllerName ||
					!equality.Semantic.DeepEqual(old.Status.SupportedFeatures, new.Status.SupportedFeatures)
			})))
	for _, g := range poolGroups {
		if unservedPools[g.Group] == "" {
			b = b.Watches(g.newObject(), handler.EnqueueRequestsFromMapFunc(mapModels(c, poolModels(g.Group))))
		}
	}
	// A rewrite claims model names in its namespace's pools, and a route
	// name there; one a model owns (--epp-api) concerns that model only.
	inItsNamespace := mapModels(c, func(o client.Object) client.ListOption {
		return client.InNamespace(o.GetNamespace())
	})
	for _, g := range servedRewrites {
		b = b.Watches(g.newObject(), handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			if translate.EmittedForModel(o) {
				return ownerModel(o)
			}
			return inItsNamespace(ctx, o)
		}))
	}
	if objectives, ok := kindGroupOf(translate.KindInferenceObjective, opts.Config.EPPAPI); ok {
		// The model's own objective (--epp-api), its drift or deletion.
		b = b.Watches(objectives.newObject(), handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return ownerModel(o)
		}))
	}
	if serviceMode {
		// A pool's shadow Service that could not be written, or now could.
		b = b.WatchesRawSource(source.Channel(models.services.models, &handler.EnqueueRequestForObject{}))
	}
	if err := b.Complete(models); err != nil {
		return err
	}
	if err := setupObjectives(ctx, mgr, models.input, translator); err != nil {
		return err
	}
	if err := setupRewrites(mgr, models.input, models.writer, translator, models.services); err != nil {
		return err
	}
	if !serviceMode {
		return nil
	}
	for _, services := range pools {
		g := services.pools
		b := ctrl.NewControllerManagedBy(mgr).
			Named("shadowservice-"+g.Group).
			For(g.newObject()).
			Owns(&corev1.Service{}).
			// Any model of the pool may change whether it needs a Service,
			// also by a status write of its own (it lost its modelName).
			Watches(&v1alpha2.InferenceModel{}, handler.EnqueueRequestsFromMapFunc(modelPool(g.Group)))
		// So may a rewrite of its namespace.
		for _, rewrites := range servedRewrites {
			b = b.Watches(rewrites.newObject(), handler.EnqueueRequestsFromMapFunc(inNamespace(c, g)))
		}
		if err := b.Complete(services); err != nil {
			return err
		}
	}
	return nil
}

// newReconcilers wires the reconcilers to c (reads from the cache, and
// writes), reader (reads past the cache) and recorder: the model
// reconciler, and in service mode one shadow-Service reconciler per served
// pool group.
func newReconcilers(c client.Client, reader client.Reader, recorder events.EventRecorder, translator *translate.Translator,
	metrics *ConditionMetrics, unservedPools map[string]string, rewriteGroups []kindGroup) (*ModelReconciler, []*PoolServiceReconciler) {
	in := inputReader{client: c, unserved: unservedPools, rewriteGroups: rewriteGroups}
	writes := &ownWrites{}
	writer := childWriter{client: c, reader: reader, created: &recentCreates{}, writes: writes}
	models := &ModelReconciler{
		client: c, input: in, writer: writer, recorder: recorder, translator: translator, metrics: metrics, writes: writes,
	}
	if group := translator.Config().EPPAPI; group != "" {
		models.epp = newEPPChildren(group)
	}
	if translator.Config().Backend != translate.BackendService {
		return models, nil
	}
	models.services = newServiceErrors(rewriteGroups)
	var pools []*PoolServiceReconciler
	for _, g := range poolGroups {
		if unservedPools[g.Group] == "" {
			pools = append(pools, &PoolServiceReconciler{
				client: c, input: in, writer: writer, recorder: recorder, translator: translator, pools: g, errors: models.services,
			})
		}
	}
	return models, pools
}

// unserved says why the API server does not serve gvk ("" when it does):
// its CRD is not installed, or serves other versions only.
func unserved(mapper meta.RESTMapper, gvk schema.GroupVersionKind) string {
	_, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err == nil {
		return ""
	}
	if !meta.IsNoMatchError(err) {
		return fmt.Sprintf("cannot tell whether the API server serves %s: %v", gvk, err)
	}
	var versions []string
	if mappings, err := mapper.RESTMappings(gvk.GroupKind()); err == nil {
		for _, m := range mappings {
			versions = append(versions, m.GroupVersionKind.Version)
		}
	}
	if len(versions) == 0 {
		return fmt.Sprintf("the %s CRD (group %s) is not installed", gvk.Kind, gvk.Group)
	}
	slices.Sort(versions)
	return fmt.Sprintf("the %s CRD of group %s serves %s, not %s, the version modelroute reads",
		gvk.Kind, gvk.Group, strings.Join(versions, ", "), gvk.Version)
}

// mapModels enqueues the models a list option selects.
func mapModels(c client.Client, selector func(client.Object) client.ListOption) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var models v1alpha2.InferenceModelList
		if err := c.List(ctx, &models, selector(o)); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing models to enqueue")
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(models.Items))
		for _, m := range models.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: m.Namespace, Name: m.Name}})
		}
		return reqs
	}
}

// ownerModel enqueues the model that controls o, if any.
func ownerModel(o client.Object) []reconcile.Request {
	if !translate.EmittedForModel(o) {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: metav1.GetControllerOf(o).Name}}}
}

// mapContenders enqueues the other models with this model's modelName;
// the model itself is For's.
func mapContenders(c client.Client) handler.MapFunc {
	byName := mapModels(c, func(o client.Object) client.ListOption {
		return client.MatchingFields{IndexModelName: o.(*v1alpha2.InferenceModel).Spec.ModelName}
	})
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		self := types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
		return slices.DeleteFunc(byName(ctx, o), func(r reconcile.Request) bool { return r.NamespacedName == self })
	}
}

func poolModels(group string) func(client.Object) client.ListOption {
	return func(o client.Object) client.ListOption {
		return client.MatchingFields{IndexModelPool: PoolIndexKey(o.GetNamespace(), group, o.GetName())}
	}
}

// mapRoute enqueues the model whose generated route has this name (whether
// or not it controls the route), the route's controlling model, and that
// model's contenders for its modelName: a Gateway's verdict on the route
// decides whether the model keeps the name from younger ones.
func mapRoute(c client.Client) handler.MapFunc {
	byName := mapModels(c, func(o client.Object) client.ListOption {
		return &client.ListOptions{
			Namespace:     o.GetNamespace(),
			FieldSelector: fields.OneTermEqualSelector(IndexModelRoute, o.GetName()),
		}
	})
	contenders := mapContenders(c)
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		reqs := byName(ctx, o)
		if model, ok := translate.ModelOfRoute(o.GetName()); ok {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: model}})
		}
		if ref := metav1.GetControllerOf(o); ref != nil && ref.Kind == "InferenceModel" {
			owner := types.NamespacedName{Namespace: o.GetNamespace(), Name: ref.Name}
			reqs = append(reqs, reconcile.Request{NamespacedName: owner})
			model := &v1alpha2.InferenceModel{}
			if err := c.Get(ctx, owner, model); err == nil {
				reqs = append(reqs, contenders(ctx, model)...)
			}
		}
		return reqs
	}
}

// mapGateway enqueues the models whose routes attach to a Gateway.
func mapGateway(c client.Client) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		return routeModels(ctx, c, o.GetNamespace()+"/"+o.GetName())
	}
}

// mapGatewayClass enqueues the models whose routes attach to a Gateway of
// a GatewayClass.
func mapGatewayClass(c client.Client) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var gateways gatewayv1.GatewayList
		if err := c.List(ctx, &gateways, client.MatchingFields{IndexGatewayClass: o.GetName()}, client.UnsafeDisableDeepCopy); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing Gateways to enqueue their models")
			return nil
		}
		var reqs []reconcile.Request
		for _, gw := range gateways.Items {
			reqs = append(reqs, routeModels(ctx, c, gw.Namespace+"/"+gw.Name)...)
		}
		return reqs
	}
}

// routeModels returns the models controlling the routes attached to the
// Gateway "namespace/name".
func routeModels(ctx context.Context, c client.Client, gateway string) []reconcile.Request {
	var routes gatewayv1.HTTPRouteList
	if err := c.List(ctx, &routes, client.MatchingFields{IndexRouteGateway: gateway}, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing HTTPRoutes to enqueue their models", "gateway", gateway)
		return nil
	}
	var reqs []reconcile.Request
	for i := range routes.Items {
		if ref := metav1.GetControllerOf(&routes.Items[i]); ref != nil && ref.Kind == "InferenceModel" {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: routes.Items[i].Namespace, Name: ref.Name}})
		}
	}
	return reqs
}

// updatedWhen passes every create and delete, and the updates for which
// changed says that what the reconciler reads has changed.
func updatedWhen[T client.Object](changed func(old, new T) bool) predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		old, okOld := e.ObjectOld.(T)
		new, okNew := e.ObjectNew.(T)
		return !okOld || !okNew || changed(old, new)
	}}
}

// modelPool enqueues the pool of group a model references.
func modelPool(group string) handler.MapFunc {
	return func(_ context.Context, o client.Object) []reconcile.Request {
		m := o.(*v1alpha2.InferenceModel)
		if modelPoolKey(m) != PoolIndexKey(m.Namespace, group, string(m.Spec.PoolRef.Name)) {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: m.Namespace, Name: string(m.Spec.PoolRef.Name)}}}
	}
}
