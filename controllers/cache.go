package controllers

import (
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// CacheOptions is the cache a manager running the reconcilers needs: every
// namespace, or only namespaces for the objects modelroute reads and
// writes; Gateways are cached in every namespace all the same, since routes
// attach to Gateways in other namespaces. Each kind is trimmed, before it
// is stored, to what the reconcilers read (see trim): the cache is most of
// the controller's memory. One transform for every kind, rather than one
// per kind, so that no kind's CRD has to be installed (the InferencePool
// CRDs are optional).
//
// HTTPRoutes and Services are cached only when they carry modelroute's
// managed-by label: a cluster may hold many routes of other tools, and the
// objects modelroute writes all carry it. A foreign object that holds a
// generated name is found past the cache, by the create's refusal.
func CacheOptions(namespaces ...string) cache.Options {
	ours := labels.SelectorFromSet(labels.Set{translate.LabelManagedBy: translate.ManagedByValue})
	opts := cache.Options{
		DefaultTransform: trim,
		ByObject: map[client.Object]cache.ByObject{
			&gatewayv1.HTTPRoute{}: {Label: ours},
			&corev1.Service{}:      {Label: ours},
		},
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
		opts.ByObject[&gatewayv1.Gateway{}] = cache.ByObject{Namespaces: map[string]cache.Config{cache.AllNamespaces: {}}}
	}
	return opts
}

// trim is the cache transform: every object loses its managedFields, and
// each kind modelroute reads what it does not read. Any other value (a
// tombstone) is left alone.
func trim(in any) (any, error) {
	obj, ok := in.(client.Object)
	if !ok {
		return in, nil
	}
	switch obj := obj.(type) {
	case *v1alpha2.InferenceModel:
		trimModel(obj)
	case *v1alpha2.InferencePool:
		trimAlphaPool(obj)
	case *inferencev1.InferencePool:
		trimV1Pool(obj)
	case *gatewayv1.HTTPRoute:
		trimRoute(obj)
	case *corev1.Service:
		trimService(obj)
	case *gatewayv1.Gateway:
		trimGateway(obj)
	case *gatewayv1.GatewayClass:
		trimGatewayClass(obj)
	}
	obj.SetManagedFields(nil)
	return obj, nil
}

// Nothing reads the cached objects' managedFields (writes are server-side
// applies, creates and merge patches), nor labels or annotations other
// than those below.

func trimModel(m *v1alpha2.InferenceModel) {
	m.Labels, m.Annotations = nil, modelrouteAnnotations(m.Annotations)
}

func trimAlphaPool(p *v1alpha2.InferencePool) {
	p.Labels, p.Annotations, p.Status = nil, modelrouteAnnotations(p.Annotations), v1alpha2.InferencePoolStatus{}
}

func trimV1Pool(p *inferencev1.InferencePool) {
	p.Labels, p.Annotations, p.Status = nil, modelrouteAnnotations(p.Annotations), inferencev1.InferencePoolStatus{}
}

// trimRoute keeps the status (the Gateways' verdict), the generation, the
// owners, modelroute's labels and the parentRefs (which Gateways to ask);
// the rest of the spec, the bulk of a route, becomes its digest, on which
// drift is compared (translate.SpecDrifted). A route the API server returns
// always has rules and managedFields, so the digest is always computed
// here, whatever annotation the live route carries.
func trimRoute(r *gatewayv1.HTTPRoute) {
	if _, done := r.Annotations[translate.AnnotationSpecDigest]; done && len(r.Spec.Rules) == 0 && len(r.ManagedFields) == 0 {
		return // trimmed already: client-go asks transforms to be idempotent
	}
	digest := ""
	if manifest, err := translate.Manifest(r); err == nil {
		digest = translate.SpecDigest(manifest)
	}
	r.Labels = modelrouteLabels(r.Labels)
	r.Annotations = map[string]string{translate.AnnotationSpecDigest: digest}
	r.Spec = gatewayv1.HTTPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: r.Spec.ParentRefs}}
}

// trimService keeps the spec, the owners and modelroute's labels.
func trimService(s *corev1.Service) {
	s.Labels, s.Annotations, s.Status = modelrouteLabels(s.Labels), nil, corev1.ServiceStatus{}
}

// trimGateway keeps only the Gateway's class.
func trimGateway(g *gatewayv1.Gateway) {
	g.ObjectMeta = metav1.ObjectMeta{Namespace: g.Namespace, Name: g.Name, UID: g.UID, ResourceVersion: g.ResourceVersion}
	g.Spec = gatewayv1.GatewaySpec{GatewayClassName: g.Spec.GatewayClassName}
	g.Status = gatewayv1.GatewayStatus{}
}

// trimGatewayClass keeps only the class's controller, whose entries in a
// route's status are its Gateways' verdicts, and the features it supports.
func trimGatewayClass(c *gatewayv1.GatewayClass) {
	c.ObjectMeta = metav1.ObjectMeta{Name: c.Name, UID: c.UID, ResourceVersion: c.ResourceVersion}
	c.Spec = gatewayv1.GatewayClassSpec{ControllerName: c.Spec.ControllerName}
	c.Status = gatewayv1.GatewayClassStatus{SupportedFeatures: c.Status.SupportedFeatures}
}

// modelrouteAnnotations keeps the annotations translate reads.
func modelrouteAnnotations(in map[string]string) map[string]string {
	return withKeys(in, func(k string) bool { return strings.HasPrefix(k, translate.AnnotationPrefix) })
}

// modelrouteLabels keeps the labels modelroute sets on its objects.
func modelrouteLabels(in map[string]string) map[string]string {
	return withKeys(in, func(k string) bool {
		return k == translate.LabelManagedBy || strings.HasPrefix(k, translate.AnnotationPrefix)
	})
}

func withKeys(in map[string]string, keep func(string) bool) map[string]string {
	out := maps.Clone(in)
	maps.DeleteFunc(out, func(k, _ string) bool { return !keep(k) })
	if len(out) == 0 {
		return nil
	}
	return out
}
