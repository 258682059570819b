package translate

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// buildRoute renders the HTTPRoute of an accepted, resolved model. Every
// field the API server would default is written out, so that the live object
// equals this one and no tool sees a diff that is not real.
func buildRoute(s *modelState, cfg Config) *gatewayv1.HTTPRoute {
	m := s.model
	rule := gatewayv1.HTTPRouteRule{}
	for _, prefix := range cfg.PathPrefixes {
		rule.Matches = append(rule.Matches, modelMatch(prefix, m.Spec.ModelName, cfg))
	}

	if cfg.EPPAPI != "" {
		// The endpoint picker splits and rewrites from the model's
		// InferenceModelRewrite: the route only sends it to the pool.
		rule.Filters = eppRuleFilters(m, cfg)
		rule.BackendRefs = []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: backendObject(s.pool, cfg.Backend),
			Weight:                 ptr.To(int32(1)),
		}}}
	} else {
		targets := targetsOf(&m.Spec)
		distinct := distinctNames(targets)
		perTarget := needsBackendFilters(&m.Spec, cfg)
		rule.Filters = ruleFilters(m, distinct, perTarget, cfg)
		for _, t := range targets {
			rule.BackendRefs = append(rule.BackendRefs, targetBackendRef(s.pool, t, perTarget, cfg))
		}
	}

	route := routeShell(m.Name, m.Namespace, LabelInferenceModel, s.parents, s.hostnames)
	route.Spec.Rules = []gatewayv1.HTTPRouteRule{rule}
	if m.UID != "" {
		route.OwnerReferences = []metav1.OwnerReference{controllerRef(v1alpha2.GroupVersion.String(), "InferenceModel", m.Name, m.UID)}
	}
	return route
}

// routeShell is the route of the object name in namespace, without rules
// or owner: its name, labels (label names the object) and parents.
func routeShell(name, namespace, label string, parents []gatewayv1.ParentReference, hostnames []gatewayv1.Hostname) *gatewayv1.HTTPRoute {
	return &gatewayv1.HTTPRoute{
		TypeMeta: metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      RouteName(name),
			Namespace: namespace,
			Labels: map[string]string{
				LabelManagedBy: ManagedByValue,
				label:          LabelValue(name),
			},
		},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: slices.Clone(parents)},
			Hostnames:       slices.Clone(hostnames),
		},
	}
}

// modelMatch matches requests under prefix whose model header is name.
func modelMatch(prefix, name string, cfg Config) gatewayv1.HTTPRouteMatch {
	return gatewayv1.HTTPRouteMatch{
		Path: &gatewayv1.HTTPPathMatch{
			Type:  ptr.To(gatewayv1.PathMatchPathPrefix),
			Value: ptr.To(prefix),
		},
		Headers: []gatewayv1.HTTPHeaderMatch{{
			Type:  ptr.To(gatewayv1.HeaderMatchExact),
			Name:  gatewayv1.HTTPHeaderName(cfg.ModelHeader),
			Value: name,
		}},
	}
}

// targetBackendRef is t's weighted backendRef to pool p; perTarget, it sets
// the rewrite header to t's name.
func targetBackendRef(p *pool, t target, perTarget bool, cfg Config) gatewayv1.HTTPBackendRef {
	ref := gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: backendObject(p, cfg.Backend),
		Weight:                 ptr.To(t.weight),
	}}
	if perTarget {
		ref.Filters = []gatewayv1.HTTPRouteFilter{{
			Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
			RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{
				Name: gatewayv1.HTTPHeaderName(cfg.RewriteHeader), Value: t.name,
			}}},
		}}
	}
	return ref
}

type target struct {
	name   string
	weight int32
}

// targetsOf lists the targets in spec order; with none, the model itself
// is the only target. Unset weights count as 1 each.
func targetsOf(spec *v1alpha2.InferenceModelSpec) []target {
	if len(spec.TargetModels) == 0 {
		return []target{{name: spec.ModelName, weight: 1}}
	}
	out := make([]target, 0, len(spec.TargetModels))
	for _, t := range spec.TargetModels {
		out = append(out, target{name: t.Name, weight: cmp.Or(ptr.Deref(t.Weight, 0), 1)})
	}
	return out
}

func distinctNames(targets []target) []string {
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		names = append(names, t.name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func criticalityOf(spec *v1alpha2.InferenceModelSpec) v1alpha2.Criticality {
	if spec.Criticality == nil {
		return v1alpha2.Standard
	}
	return *spec.Criticality
}

// ruleFilters is the rule's one header filter. No header a model server
// or an endpoint picker takes the target from passes as the client sent
// it: the rewrite header is set to the only target when that differs from
// the modelName, set per backendRef for a split (perTarget), and removed
// otherwise; every alias is removed. The criticality header, when
// configured, is set.
func ruleFilters(m *v1alpha2.InferenceModel, distinct []string, perTarget bool, cfg Config) []gatewayv1.HTTPRouteFilter {
	var set []gatewayv1.HTTPHeader
	remove := slices.Clone(cfg.RewriteHeaderAliases)
	switch {
	case cfg.RewriteHeader == "" || perTarget:
	case len(distinct) == 1 && distinct[0] != m.Spec.ModelName:
		set = append(set, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(cfg.RewriteHeader), Value: distinct[0]})
	default:
		remove = append(remove, cfg.RewriteHeader)
	}
	if cfg.CriticalityHeader != "" {
		set = append(set, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(cfg.CriticalityHeader), Value: string(criticalityOf(&m.Spec))})
	}
	if len(set) == 0 && len(remove) == 0 {
		return nil
	}
	slices.SortFunc(set, func(a, b gatewayv1.HTTPHeader) int { return cmp.Compare(a.Name, b.Name) })
	slices.Sort(remove)
	return []gatewayv1.HTTPRouteFilter{{
		Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: set, Remove: remove},
	}}
}

// eppRuleFilters is the rule's one header filter with --epp-api: the
// objective header names the model's InferenceObjective when it has one
// (a client cannot pick another priority) and is removed otherwise, as is
// the other group's; the rewrite header and its aliases are removed, since
// the endpoint picker takes the target from the InferenceModelRewrite; the
// criticality header, when configured, is set.
func eppRuleFilters(m *v1alpha2.InferenceModel, cfg Config) []gatewayv1.HTTPRouteFilter {
	var set []gatewayv1.HTTPHeader
	remove := slices.Clone(cfg.RewriteHeaderAliases)
	if cfg.RewriteHeader != "" {
		remove = append(remove, cfg.RewriteHeader)
	}
	objectiveHeader := ""
	if m.Spec.Criticality != nil {
		objectiveHeader = ObjectiveHeaderOf(cfg.EPPAPI)
		set = append(set, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(objectiveHeader), Value: RouteName(m.Name)})
	}
	for _, h := range ObjectiveHeaders {
		if h != objectiveHeader {
			remove = append(remove, h)
		}
	}
	if cfg.CriticalityHeader != "" {
		set = append(set, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(cfg.CriticalityHeader), Value: string(criticalityOf(&m.Spec))})
	}
	slices.SortFunc(set, func(a, b gatewayv1.HTTPHeader) int { return cmp.Compare(a.Name, b.Name) })
	slices.Sort(remove)
	return []gatewayv1.HTTPRouteFilter{{
		Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: set, Remove: slices.Compact(remove)},
	}}
}

func backendObject(p *pool, mode BackendMode) gatewayv1.BackendObjectReference {
	if mode == BackendService {
		return gatewayv1.BackendObjectReference{
			Group: ptr.To(gatewayv1.Group("")),
			Kind:  ptr.To(gatewayv1.Kind("Service")),
			Name:  gatewayv1.ObjectName(ServiceName(p.key.Group, p.key.Name)),
			Port:  ptr.To(gatewayv1.PortNumber(p.targetPort)),
		}
	}
	return gatewayv1.BackendObjectReference{
		Group: ptr.To(gatewayv1.Group(p.key.Group)),
		Kind:  ptr.To(gatewayv1.Kind(KindInferencePool)),
		Name:  gatewayv1.ObjectName(p.key.Name),
	}
}

func controllerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         apiVersion,
		Kind:               kind,
		Name:               name,
		UID:                uid,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// serviceablePool reports why a pool cannot back a shadow Service.
func serviceablePool(p *pool) error {
	if p.targetPort < 1 || p.targetPort > 65535 {
		return fmt.Errorf("target port %d is not 1 to 65535", p.targetPort)
	}
	if len(p.selector) == 0 {
		return errors.New("its selector is empty")
	}
	for _, k := range slices.Sorted(maps.Keys(p.selector)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("selector key %q: %s", k, errs[0])
		}
		if errs := validation.IsValidLabelValue(p.selector[k]); len(errs) > 0 {
			return fmt.Errorf("selector value %q: %s", p.selector[k], errs[0])
		}
	}
	return nil
}

// buildService renders the headless shadow Service of a pool: its selector,
// one port to its target port, owned by the pool.
func buildService(p *pool) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      ServiceName(p.key.Group, p.key.Name),
			Namespace: p.key.Namespace,
			Labels: map[string]string{
				LabelManagedBy:     ManagedByValue,
				LabelInferencePool: LabelValue(p.key.Name),
			},
		},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			ClusterIP:       corev1.ClusterIPNone,
			Selector:        p.selector,
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{
				Name:       "http",
				Protocol:   corev1.ProtocolTCP,
				Port:       p.targetPort,
				TargetPort: intstr.FromInt32(p.targetPort),
			}},
		},
	}
	if p.appProtocol != "" {
		svc.Spec.Ports[0].AppProtocol = ptr.To(p.appProtocol)
	}
	if p.uid != "" {
		svc.OwnerReferences = []metav1.OwnerReference{controllerRef(p.apiVersion, KindInferencePool, p.key.Name, p.uid)}
	}
	return svc
}
