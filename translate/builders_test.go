package translate_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// Literal values of the contract; the tests spell them out rather than use
// the package's constants, so a renamed constant cannot go unnoticed.
const (
	alphaGroup        = "inference.networking.x-k8s.io"
	v1Group           = "inference.networking.k8s.io"
	modelHeader       = "X-Gateway-Model-Name"
	rewriteHeader     = "X-Gateway-Model-Name-Rewrite"
	rewriteAlias      = "x-llm-d-model-name-rewrite"
	criticalityHeader = "X-Criticality"
	testNS            = "ns"

	condResolved   = "ResolvedRefs"
	condAccepted   = "Accepted"
	condProgrammed = "Programmed"

	// Shadow Service names: "<pool>-" + first 10 hex digits of
	// sha256("<group>/<pool>"), computed outside Go.
	svcAlphaPool  = "pool-34668d12dc"   // inference.networking.x-k8s.io/pool
	svcV1Pool     = "pool-7d3223a482"   // inference.networking.k8s.io/pool
	svcAlphaPoolB = "pool-b-ac519df767" // inference.networking.x-k8s.io/pool-b
	svcV1VPool    = "vpool-8dde92d947"  // inference.networking.k8s.io/vpool
)

var created = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// ---------------------------------------------------------------------------
// Input builders

type modelOpt func(*v1alpha2.InferenceModel)

// model is an InferenceModel in namespace "ns", generation 1, UID
// "uid-<name>", created at `created`, referencing the alpha pool "pool" with
// empty group and kind.
func model(name, modelName string, opts ...modelOpt) v1alpha2.InferenceModel {
	m := v1alpha2.InferenceModel{
		TypeMeta: metav1.TypeMeta{APIVersion: alphaGroup + "/v1alpha2", Kind: "InferenceModel"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace:         testNS,
			Name:              name,
			UID:               types.UID("uid-" + name),
			Generation:        1,
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: v1alpha2.InferenceModelSpec{
			ModelName: modelName,
			PoolRef:   v1alpha2.PoolObjectReference{Name: "pool"},
		},
	}
	for _, o := range opts {
		o(&m)
	}
	return m
}

func inNamespace(ns string) modelOpt { return func(m *v1alpha2.InferenceModel) { m.Namespace = ns } }
func onPool(name string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.PoolRef.Name = v1alpha2.ObjectName(name) }
}
func poolRefGroup(g string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.PoolRef.Group = v1alpha2.Group(g) }
}
func poolRefKind(k string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.PoolRef.Kind = v1alpha2.Kind(k) }
}
func generation(g int64) modelOpt { return func(m *v1alpha2.InferenceModel) { m.Generation = g } }
func withoutUID() modelOpt        { return func(m *v1alpha2.InferenceModel) { m.UID = "" } }

// createdAfter makes the model created d after `created` (so larger is younger).
func createdAfter(d time.Duration) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.CreationTimestamp = metav1.NewTime(created.Add(d)) }
}
func modelAnnotation(k, v string) modelOpt {
	return func(m *v1alpha2.InferenceModel) {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = v
	}
}
func parentRefsAnnotation(v string) modelOpt { return modelAnnotation("modelroute.dev/parent-refs", v) }
func hostnamesAnnotation(v string) modelOpt  { return modelAnnotation("modelroute.dev/hostnames", v) }
func criticality(c string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.Criticality = ptr.To(v1alpha2.Criticality(c)) }
}
func targets(ts ...v1alpha2.TargetModel) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.TargetModels = ts }
}
func target(name string) v1alpha2.TargetModel { return v1alpha2.TargetModel{Name: name} }
func weightedTarget(name string, w int32) v1alpha2.TargetModel {
	return v1alpha2.TargetModel{Name: name, Weight: ptr.To(w)}
}

// numberedTargets sets n unweighted targets t0, t1, ...
func numberedTargets(n int) modelOpt {
	var ts []v1alpha2.TargetModel
	for i := range n {
		ts = append(ts, target(fmt.Sprintf("t%d", i)))
	}
	return targets(ts...)
}

type alphaPoolOpt func(*v1alpha2.InferencePool)

// alphaPool is a v1alpha2 pool in "ns", UID "uid-pool-<name>", selector
// app=<name>, target port 8000.
func alphaPool(name string, opts ...alphaPoolOpt) v1alpha2.InferencePool {
	p := v1alpha2.InferencePool{
		TypeMeta: metav1.TypeMeta{APIVersion: alphaGroup + "/v1alpha2", Kind: "InferencePool"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testNS,
			Name:      name,
			UID:       types.UID("uid-pool-" + name),
		},
		Spec: v1alpha2.InferencePoolSpec{
			Selector:         map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": v1alpha2.LabelValue(name)},
			TargetPortNumber: 8000,
		},
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func poolInNamespace(ns string) alphaPoolOpt {
	return func(p *v1alpha2.InferencePool) { p.Namespace = ns }
}
func poolAnnotation(k, v string) alphaPoolOpt {
	return func(p *v1alpha2.InferencePool) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[k] = v
	}
}
func poolParentRefsAnnotation(v string) alphaPoolOpt {
	return poolAnnotation("modelroute.dev/parent-refs", v)
}
func poolHostnamesAnnotation(v string) alphaPoolOpt {
	return poolAnnotation("modelroute.dev/hostnames", v)
}
func poolTargetPort(n int32) alphaPoolOpt {
	return func(p *v1alpha2.InferencePool) { p.Spec.TargetPortNumber = n }
}
func poolWithoutUID() alphaPoolOpt { return func(p *v1alpha2.InferencePool) { p.UID = "" } }
func poolSelector(kv ...string) alphaPoolOpt {
	return func(p *v1alpha2.InferencePool) {
		p.Spec.Selector = map[v1alpha2.LabelKey]v1alpha2.LabelValue{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Spec.Selector[v1alpha2.LabelKey(kv[i])] = v1alpha2.LabelValue(kv[i+1])
		}
	}
}

type v1PoolOpt func(*inferencev1.InferencePool)

// v1Pool is a v1 pool in "ns", UID "uid-v1pool-<name>", selector
// app=<name>, target port 9000.
func v1Pool(name string, opts ...v1PoolOpt) inferencev1.InferencePool {
	p := inferencev1.InferencePool{
		TypeMeta: metav1.TypeMeta{APIVersion: v1Group + "/v1", Kind: "InferencePool"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testNS,
			Name:      name,
			UID:       types.UID("uid-v1pool-" + name),
		},
		Spec: inferencev1.InferencePoolSpec{
			Selector: inferencev1.LabelSelector{MatchLabels: map[inferencev1.LabelKey]inferencev1.LabelValue{
				"app": inferencev1.LabelValue(name),
			}},
			TargetPorts: []inferencev1.Port{{Number: 9000}},
		},
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func v1PoolWithoutTargetPorts() v1PoolOpt {
	return func(p *inferencev1.InferencePool) { p.Spec.TargetPorts = nil }
}
func v1PoolWithoutSelector() v1PoolOpt {
	return func(p *inferencev1.InferencePool) { p.Spec.Selector.MatchLabels = nil }
}
func v1PoolParentRefsAnnotation(v string) v1PoolOpt {
	return func(p *inferencev1.InferencePool) {
		p.Annotations = map[string]string{"modelroute.dev/parent-refs": v}
	}
}

// input sorts models and pools of both groups into an Input.
func input(objs ...any) translate.Input {
	var in translate.Input
	for _, o := range objs {
		switch o := o.(type) {
		case v1alpha2.InferenceModel:
			in.Models = append(in.Models, o)
		case v1alpha2.InferencePool:
			in.AlphaPools = append(in.AlphaPools, o)
		case inferencev1.InferencePool:
			in.V1Pools = append(in.V1Pools, o)
		case v1alpha2.InferenceModelRewrite:
			in.Rewrites = append(in.Rewrites, o)
		case v1alpha2.InferenceObjective:
			in.Objectives = append(in.Objectives, o)
		default:
			panic(fmt.Sprintf("input: unexpected %T", o))
		}
	}
	return in
}

// gatewayRef is a parentRef to Gateway ns/name, with group and kind spelled
// out; an empty section means the whole Gateway.
func gatewayRef(ns, name, section string) gatewayv1.ParentReference {
	ref := gatewayv1.ParentReference{
		Group:     ptr.To(gatewayv1.Group("gateway.networking.k8s.io")),
		Kind:      ptr.To(gatewayv1.Kind("Gateway")),
		Namespace: ptr.To(gatewayv1.Namespace(ns)),
		Name:      gatewayv1.ObjectName(name),
	}
	if section != "" {
		ref.SectionName = ptr.To(gatewayv1.SectionName(section))
	}
	return ref
}

// config is the default configuration plus the parent Gateway gw/main,
// written out literally, with mods applied.
func config(mods ...func(*translate.Config)) translate.Config {
	c := translate.Config{
		ModelHeader:          modelHeader,
		RewriteHeader:        rewriteHeader,
		RewriteHeaderAliases: []string{rewriteAlias},
		PathPrefixes:         []string{"/"},
		Backend:              translate.BackendMode("inferencepool"),
		ParentRefs:           []gatewayv1.ParentReference{gatewayRef("gw", "main", "")},
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// serviceMode is a config mod for --backend service.
func serviceMode(c *translate.Config) { c.Backend = translate.BackendMode("service") }

// ---------------------------------------------------------------------------
// Expected output builders

type routeOpt func(*gatewayv1.HTTPRoute)

// wantRoute is the route of model `name` in "ns" with the defaults of
// config(): parent gw/main, prefix "/", one backendRef to alpha pool "pool"
// of weight 1, a rule filter removing the rewrite header and its alias,
// owned by the model with UID "uid-<name>".
func wantRoute(name, modelName string, opts ...routeOpt) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{
		TypeMeta: metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      name + "-modelroute",
			Namespace: testNS,
			Labels: map[string]string{
				"app.kubernetes.io/managed-by":   "modelroute",
				"modelroute.dev/inference-model": name,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         "inference.networking.x-k8s.io/v1alpha2",
				Kind:               "InferenceModel",
				Name:               name,
				UID:                types.UID("uid-" + name),
				Controller:         ptr.To(true),
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{gatewayRef("gw", "main", "")}},
			Rules: []gatewayv1.HTTPRouteRule{{
				Matches:     []gatewayv1.HTTPRouteMatch{prefixAndHeaderMatch("/", modelHeader, modelName)},
				Filters:     []gatewayv1.HTTPRouteFilter{headerFilter(nil, rewriteHeader, rewriteAlias)},
				BackendRefs: []gatewayv1.HTTPBackendRef{poolBackendRef(alphaGroup, "pool", 1)},
			}},
		},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func routeInNamespace(ns string) routeOpt { return func(r *gatewayv1.HTTPRoute) { r.Namespace = ns } }
func routeParentRefs(refs ...gatewayv1.ParentReference) routeOpt {
	return func(r *gatewayv1.HTTPRoute) { r.Spec.ParentRefs = refs }
}
func routeHostnames(hosts ...string) routeOpt {
	return func(r *gatewayv1.HTTPRoute) {
		r.Spec.Hostnames = nil
		for _, h := range hosts {
			r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
		}
	}
}
func routeMatches(ms ...gatewayv1.HTTPRouteMatch) routeOpt {
	return func(r *gatewayv1.HTTPRoute) { r.Spec.Rules[0].Matches = ms }
}
func routeBackendRefs(bs ...gatewayv1.HTTPBackendRef) routeOpt {
	return func(r *gatewayv1.HTTPRoute) { r.Spec.Rules[0].BackendRefs = bs }
}

// routeRuleSetsHeaders gives the route's rule one filter setting hs and
// removing the alias of the rewrite header.
func routeRuleSetsHeaders(hs ...gatewayv1.HTTPHeader) routeOpt {
	return routeRuleFilter(hs, rewriteAlias)
}

// routeRuleFilter gives the route's rule one filter setting set and
// removing remove; none when both are empty.
func routeRuleFilter(set []gatewayv1.HTTPHeader, remove ...string) routeOpt {
	return func(r *gatewayv1.HTTPRoute) {
		r.Spec.Rules[0].Filters = nil
		if len(set) > 0 || len(remove) > 0 {
			r.Spec.Rules[0].Filters = []gatewayv1.HTTPRouteFilter{headerFilter(set, remove...)}
		}
	}
}
func routeWithoutOwner() routeOpt { return func(r *gatewayv1.HTTPRoute) { r.OwnerReferences = nil } }
func routeNameAndLabel(name, label string) routeOpt {
	return func(r *gatewayv1.HTTPRoute) {
		r.Name = name
		r.Labels["modelroute.dev/inference-model"] = label
	}
}

// prefixAndHeaderMatch matches path prefix and an exact header value.
func prefixAndHeaderMatch(prefix, header, value string) gatewayv1.HTTPRouteMatch {
	return gatewayv1.HTTPRouteMatch{
		Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(prefix)},
		Headers: []gatewayv1.HTTPHeaderMatch{{
			Type:  ptr.To(gatewayv1.HeaderMatchExact),
			Name:  gatewayv1.HTTPHeaderName(header),
			Value: value,
		}},
	}
}

func header(name, value string) gatewayv1.HTTPHeader {
	return gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(name), Value: value}
}

// headerFilter is a RequestHeaderModifier filter that sets set and removes
// remove.
func headerFilter(set []gatewayv1.HTTPHeader, remove ...string) gatewayv1.HTTPRouteFilter {
	return gatewayv1.HTTPRouteFilter{
		Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: set, Remove: remove},
	}
}

// setHeadersFilter is a RequestHeaderModifier filter that sets hs.
func setHeadersFilter(hs ...gatewayv1.HTTPHeader) gatewayv1.HTTPRouteFilter {
	return gatewayv1.HTTPRouteFilter{
		Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: hs},
	}
}

// poolBackendRef is a backendRef to InferencePool name of the given group.
func poolBackendRef(group, name string, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{
			Group: ptr.To(gatewayv1.Group(group)),
			Kind:  ptr.To(gatewayv1.Kind("InferencePool")),
			Name:  gatewayv1.ObjectName(name),
		},
		Weight: ptr.To(weight),
	}}
}

// serviceBackendRef is a backendRef to the (shadow) Service name on port.
func serviceBackendRef(name string, port, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{
			Group: ptr.To(gatewayv1.Group("")),
			Kind:  ptr.To(gatewayv1.Kind("Service")),
			Name:  gatewayv1.ObjectName(name),
			Port:  ptr.To(gatewayv1.PortNumber(port)),
		},
		Weight: ptr.To(weight),
	}}
}

// withRewriteHeader adds a per-backend filter setting the rewrite header to value.
func withRewriteHeader(b gatewayv1.HTTPBackendRef, value string) gatewayv1.HTTPBackendRef {
	b.Filters = []gatewayv1.HTTPRouteFilter{setHeadersFilter(header(rewriteHeader, value))}
	return b
}

// wantService is the shadow Service of a pool in "ns".
func wantService(name, pool, ownerAPIVersion, uid string, port int32, selector map[string]string) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: testNS,
			Labels: map[string]string{
				"app.kubernetes.io/managed-by":  "modelroute",
				"modelroute.dev/inference-pool": pool,
			},
		},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			ClusterIP:       "None",
			Selector:        selector,
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{
				Name:       "http",
				Protocol:   corev1.ProtocolTCP,
				Port:       port,
				TargetPort: intstr.FromInt32(port),
			}},
		},
	}
	if uid != "" {
		svc.OwnerReferences = []metav1.OwnerReference{{
			APIVersion:         ownerAPIVersion,
			Kind:               "InferencePool",
			Name:               pool,
			UID:                types.UID(uid),
			Controller:         ptr.To(true),
			BlockOwnerDeletion: ptr.To(true),
		}}
	}
	return svc
}

// wantCondition is an expected condition; msg are substrings its message must hold.
func wantCondition(typ string, status metav1.ConditionStatus, reason string, gen int64, msg ...string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, ObservedGeneration: gen, Message: strings.Join(msg, "\n")}
}

func resolvedOK(pool string) metav1.Condition {
	return wantCondition(condResolved, metav1.ConditionTrue, "ResolvedRefs", 1, fmt.Sprintf("%q", pool))
}
func acceptedOK(modelName string) metav1.Condition {
	return wantCondition(condAccepted, metav1.ConditionTrue, "Accepted", 1, fmt.Sprintf("%q", modelName))
}
func programmedPending(route string) metav1.Condition {
	return wantCondition(condProgrammed, metav1.ConditionUnknown, "Pending", 1, route)
}
func programmedNoParentRefs(route string) metav1.Condition {
	return wantCondition(condProgrammed, metav1.ConditionFalse, "NoParentRefs", 1, route, "modelroute.dev/parent-refs")
}
func programmedShadowed(olderNS, older, olderPool string) metav1.Condition {
	return wantCondition(condProgrammed, metav1.ConditionFalse, "RouteShadowed", 1, olderNS+"/"+older, fmt.Sprintf("%q", olderPool))
}
func rejected(reason string, msg ...string) metav1.Condition {
	return wantCondition(condAccepted, metav1.ConditionFalse, reason, 1, msg...)
}
func unresolved(reason string, msg ...string) metav1.Condition {
	return wantCondition(condResolved, metav1.ConditionFalse, reason, 1, msg...)
}

// withObservedGeneration sets the observed generation of every condition.
func withObservedGeneration(g int64, cs ...metav1.Condition) []metav1.Condition {
	out := slices.Clone(cs)
	for i := range out {
		out[i].ObservedGeneration = g
	}
	return out
}

type wantModel struct {
	ns, name string
	conds    []metav1.Condition
	route    *gatewayv1.HTTPRoute
}

// routed: model `name` in "ns" on alpha pool "pool", accepted, Pending.
func routed(name, modelName string, route *gatewayv1.HTTPRoute) wantModel {
	return wantModel{testNS, name, []metav1.Condition{
		resolvedOK("pool"), acceptedOK(modelName), programmedPending(name + "-modelroute"),
	}, route}
}

// routedOnPool is routed with namespace and pool spelled out.
func routedOnPool(ns, name, pool, modelName string, route *gatewayv1.HTTPRoute) wantModel {
	return wantModel{ns, name, []metav1.Condition{
		resolvedOK(pool), acceptedOK(modelName), programmedPending(name + "-modelroute"),
	}, route}
}

func unrouted(name string, conds ...metav1.Condition) wantModel {
	return wantModel{testNS, name, conds, nil}
}
