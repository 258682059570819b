package translate_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// Literal values of the contract; the tests spell them out rather than use
// the package's constants, so a renamed constant cannot go unnoticed.
const (
	alphaGroup    = "inference.networking.x-k8s.io"
	v1Group       = "inference.networking.k8s.io"
	modelHeader   = "X-Gateway-Model-Name"
	rewriteHeader = "X-Gateway-Model-Name-Rewrite"
	critHeader    = "X-Criticality"
	testNS        = "ns"

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

func ptr[T any](v T) *T { return &v }

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

func inNS(ns string) modelOpt { return func(m *v1alpha2.InferenceModel) { m.Namespace = ns } }
func onPool(name string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.PoolRef.Name = v1alpha2.ObjectName(name) }
}
func poolGroup(g string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.PoolRef.Group = v1alpha2.Group(g) }
}
func poolKind(k string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.PoolRef.Kind = v1alpha2.Kind(k) }
}
func gen(g int64) modelOpt { return func(m *v1alpha2.InferenceModel) { m.Generation = g } }
func noUID() modelOpt      { return func(m *v1alpha2.InferenceModel) { m.UID = "" } }

// age makes the model created d after `created` (so larger is younger).
func age(d time.Duration) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.CreationTimestamp = metav1.NewTime(created.Add(d)) }
}
func annotate(k, v string) modelOpt {
	return func(m *v1alpha2.InferenceModel) {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = v
	}
}
func parentsAnn(v string) modelOpt { return annotate("modelroute.dev/parent-refs", v) }
func hostsAnn(v string) modelOpt   { return annotate("modelroute.dev/hostnames", v) }
func crit(c string) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.Criticality = ptr(v1alpha2.Criticality(c)) }
}
func targets(ts ...v1alpha2.TargetModel) modelOpt {
	return func(m *v1alpha2.InferenceModel) { m.Spec.TargetModels = ts }
}
func tm(name string) v1alpha2.TargetModel { return v1alpha2.TargetModel{Name: name} }
func tmw(name string, w int32) v1alpha2.TargetModel {
	return v1alpha2.TargetModel{Name: name, Weight: ptr(w)}
}
func nTargets(n int) modelOpt {
	var ts []v1alpha2.TargetModel
	for i := range n {
		ts = append(ts, tm(fmt.Sprintf("t%d", i)))
	}
	return targets(ts...)
}

type alphaOpt func(*v1alpha2.InferencePool)

// alphaPool is a v1alpha2 pool in "ns", UID "uid-pool-<name>", selector
// app=<name>, target port 8000.
func alphaPool(name string, opts ...alphaOpt) v1alpha2.InferencePool {
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

func aNS(ns string) alphaOpt { return func(p *v1alpha2.InferencePool) { p.Namespace = ns } }
func aAnn(k, v string) alphaOpt {
	return func(p *v1alpha2.InferencePool) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[k] = v
	}
}
func aParents(v string) alphaOpt { return aAnn("modelroute.dev/parent-refs", v) }
func aHosts(v string) alphaOpt   { return aAnn("modelroute.dev/hostnames", v) }
func aPort(n int32) alphaOpt     { return func(p *v1alpha2.InferencePool) { p.Spec.TargetPortNumber = n } }
func aNoUID() alphaOpt           { return func(p *v1alpha2.InferencePool) { p.UID = "" } }
func aSelector(kv ...string) alphaOpt {
	return func(p *v1alpha2.InferencePool) {
		p.Spec.Selector = map[v1alpha2.LabelKey]v1alpha2.LabelValue{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Spec.Selector[v1alpha2.LabelKey(kv[i])] = v1alpha2.LabelValue(kv[i+1])
		}
	}
}

type v1Opt func(*inferencev1.InferencePool)

// v1Pool is a v1 pool in "ns", UID "uid-v1pool-<name>", selector
// app=<name>, target port 9000.
func v1Pool(name string, opts ...v1Opt) inferencev1.InferencePool {
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

func vNoPorts() v1Opt { return func(p *inferencev1.InferencePool) { p.Spec.TargetPorts = nil } }
func vNoSelector() v1Opt {
	return func(p *inferencev1.InferencePool) { p.Spec.Selector.MatchLabels = nil }
}
func vParents(v string) v1Opt {
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
		default:
			panic(fmt.Sprintf("input: unexpected %T", o))
		}
	}
	return in
}

func deepCopyInput(in translate.Input) translate.Input {
	var out translate.Input
	for i := range in.Models {
		out.Models = append(out.Models, *in.Models[i].DeepCopy())
	}
	for i := range in.AlphaPools {
		out.AlphaPools = append(out.AlphaPools, *in.AlphaPools[i].DeepCopy())
	}
	for i := range in.V1Pools {
		out.V1Pools = append(out.V1Pools, *in.V1Pools[i].DeepCopy())
	}
	return out
}

func shuffled(in translate.Input, seed uint64) translate.Input {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	out := deepCopyInput(in)
	r.Shuffle(len(out.Models), func(i, j int) { out.Models[i], out.Models[j] = out.Models[j], out.Models[i] })
	r.Shuffle(len(out.AlphaPools), func(i, j int) {
		out.AlphaPools[i], out.AlphaPools[j] = out.AlphaPools[j], out.AlphaPools[i]
	})
	r.Shuffle(len(out.V1Pools), func(i, j int) { out.V1Pools[i], out.V1Pools[j] = out.V1Pools[j], out.V1Pools[i] })
	return out
}

func gw(ns, name, section string) gatewayv1.ParentReference {
	ref := gatewayv1.ParentReference{
		Group:     ptr(gatewayv1.Group("gateway.networking.k8s.io")),
		Kind:      ptr(gatewayv1.Kind("Gateway")),
		Namespace: ptr(gatewayv1.Namespace(ns)),
		Name:      gatewayv1.ObjectName(name),
	}
	if section != "" {
		ref.SectionName = ptr(gatewayv1.SectionName(section))
	}
	return ref
}

// config is the default configuration plus the parent Gateway gw/main,
// written out literally, with mods applied.
func config(mods ...func(*translate.Config)) translate.Config {
	c := translate.Config{
		ModelHeader:   modelHeader,
		RewriteHeader: rewriteHeader,
		PathPrefixes:  []string{"/"},
		Backend:       translate.BackendMode("inferencepool"),
		ParentRefs:    []gatewayv1.ParentReference{gw("gw", "main", "")},
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func serviceMode(c *translate.Config) { c.Backend = translate.BackendMode("service") }

// ---------------------------------------------------------------------------
// Expected output builders

type routeOpt func(*gatewayv1.HTTPRoute)

// wantRoute is the route of model `name` in "ns" with the defaults of
// config(): parent gw/main, prefix "/", one backendRef to alpha pool "pool"
// of weight 1, owned by the model with UID "uid-<name>".
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
				Controller:         ptr(true),
				BlockOwnerDeletion: ptr(true),
			}},
		},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{gw("gw", "main", "")}},
			Rules: []gatewayv1.HTTPRouteRule{{
				Matches:     []gatewayv1.HTTPRouteMatch{match("/", modelHeader, modelName)},
				BackendRefs: []gatewayv1.HTTPBackendRef{poolBackend(alphaGroup, "pool", 1)},
			}},
		},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func rNS(ns string) routeOpt { return func(r *gatewayv1.HTTPRoute) { r.Namespace = ns } }
func rParents(refs ...gatewayv1.ParentReference) routeOpt {
	return func(r *gatewayv1.HTTPRoute) { r.Spec.ParentRefs = refs }
}
func rHosts(hosts ...string) routeOpt {
	return func(r *gatewayv1.HTTPRoute) {
		r.Spec.Hostnames = nil
		for _, h := range hosts {
			r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
		}
	}
}
func rMatches(ms ...gatewayv1.HTTPRouteMatch) routeOpt {
	return func(r *gatewayv1.HTTPRoute) { r.Spec.Rules[0].Matches = ms }
}
func rBackends(bs ...gatewayv1.HTTPBackendRef) routeOpt {
	return func(r *gatewayv1.HTTPRoute) { r.Spec.Rules[0].BackendRefs = bs }
}
func rFilter(hs ...gatewayv1.HTTPHeader) routeOpt {
	return func(r *gatewayv1.HTTPRoute) {
		r.Spec.Rules[0].Filters = []gatewayv1.HTTPRouteFilter{headerFilter(hs...)}
	}
}
func rNoOwner() routeOpt { return func(r *gatewayv1.HTTPRoute) { r.OwnerReferences = nil } }
func rNameLabel(name, label string) routeOpt {
	return func(r *gatewayv1.HTTPRoute) {
		r.Name = name
		r.Labels["modelroute.dev/inference-model"] = label
	}
}

func match(prefix, header, value string) gatewayv1.HTTPRouteMatch {
	return gatewayv1.HTTPRouteMatch{
		Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchPathPrefix), Value: ptr(prefix)},
		Headers: []gatewayv1.HTTPHeaderMatch{{
			Type:  ptr(gatewayv1.HeaderMatchExact),
			Name:  gatewayv1.HTTPHeaderName(header),
			Value: value,
		}},
	}
}

func hdr(name, value string) gatewayv1.HTTPHeader {
	return gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(name), Value: value}
}

func headerFilter(hs ...gatewayv1.HTTPHeader) gatewayv1.HTTPRouteFilter {
	return gatewayv1.HTTPRouteFilter{
		Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: hs},
	}
}

func poolBackend(group, name string, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{
			Group: ptr(gatewayv1.Group(group)),
			Kind:  ptr(gatewayv1.Kind("InferencePool")),
			Name:  gatewayv1.ObjectName(name),
		},
		Weight: ptr(weight),
	}}
}

func svcBackend(name string, port, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{
			Group: ptr(gatewayv1.Group("")),
			Kind:  ptr(gatewayv1.Kind("Service")),
			Name:  gatewayv1.ObjectName(name),
			Port:  ptr(gatewayv1.PortNumber(port)),
		},
		Weight: ptr(weight),
	}}
}

// rewritten adds a per-backend filter setting the rewrite header to value.
func rewritten(b gatewayv1.HTTPBackendRef, value string) gatewayv1.HTTPBackendRef {
	b.Filters = []gatewayv1.HTTPRouteFilter{headerFilter(hdr(rewriteHeader, value))}
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
			Controller:         ptr(true),
			BlockOwnerDeletion: ptr(true),
		}}
	}
	return svc
}

// cond is an expected condition; msg are substrings its message must hold.
func cond(typ string, status metav1.ConditionStatus, reason string, gen int64, msg ...string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, ObservedGeneration: gen, Message: strings.Join(msg, "\n")}
}

func resolvedOK(pool string) metav1.Condition {
	return cond(condResolved, metav1.ConditionTrue, "ResolvedRefs", 1, fmt.Sprintf("%q", pool))
}
func acceptedOK(modelName string) metav1.Condition {
	return cond(condAccepted, metav1.ConditionTrue, "Accepted", 1, fmt.Sprintf("%q", modelName))
}
func pending(route string) metav1.Condition {
	return cond(condProgrammed, metav1.ConditionUnknown, "Pending", 1, route)
}
func noParents(route string) metav1.Condition {
	return cond(condProgrammed, metav1.ConditionFalse, "NoParentRefs", 1, route, "modelroute.dev/parent-refs")
}
func shadowed(olderNS, older, olderPool string) metav1.Condition {
	return cond(condProgrammed, metav1.ConditionFalse, "RouteShadowed", 1, olderNS+"/"+older, fmt.Sprintf("%q", olderPool))
}
func rejected(reason string, msg ...string) metav1.Condition {
	return cond(condAccepted, metav1.ConditionFalse, reason, 1, msg...)
}
func unresolved(reason string, msg ...string) metav1.Condition {
	return cond(condResolved, metav1.ConditionFalse, reason, 1, msg...)
}

// withGen sets the observed generation of every condition.
func withGen(g int64, cs ...metav1.Condition) []metav1.Condition {
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
		resolvedOK("pool"), acceptedOK(modelName), pending(name + "-modelroute"),
	}, route}
}

// routedOn is routed with namespace and pool spelled out.
func routedOn(ns, name, pool, modelName string, route *gatewayv1.HTTPRoute) wantModel {
	return wantModel{ns, name, []metav1.Condition{
		resolvedOK(pool), acceptedOK(modelName), pending(name + "-modelroute"),
	}, route}
}

func unrouted(name string, conds ...metav1.Condition) wantModel {
	return wantModel{testNS, name, conds, nil}
}

// ---------------------------------------------------------------------------
// Runner

type tcase struct {
	name string
	cfg  func(*translate.Config)
	in   translate.Input
	want []wantModel
	svcs []*corev1.Service
}

var emptyOK = cmpopts.EquateEmpty()

func checkConditions(t *testing.T, what string, want, got []metav1.Condition) {
	t.Helper()
	strip := func(cs []metav1.Condition) []metav1.Condition {
		out := make([]metav1.Condition, 0, len(cs))
		for _, c := range cs {
			c.Message = ""
			out = append(out, c)
		}
		return out
	}
	if diff := cmp.Diff(strip(want), strip(got), emptyOK); diff != "" {
		t.Errorf("%s: conditions (-want +got):\n%s", what, diff)
		return
	}
	for i := range want {
		if got[i].Message == "" {
			t.Errorf("%s: condition %s has an empty message", what, got[i].Type)
		}
		for _, part := range strings.Split(want[i].Message, "\n") {
			if !strings.Contains(got[i].Message, part) {
				t.Errorf("%s: condition %s message %q does not contain %q", what, got[i].Type, got[i].Message, part)
			}
		}
	}
}

func checkOutput(t *testing.T, got translate.Output, want []wantModel, wantSvcs []*corev1.Service) {
	t.Helper()
	var wantNames, gotNames []string
	for _, w := range want {
		wantNames = append(wantNames, w.ns+"/"+w.name)
	}
	for _, g := range got.Models {
		gotNames = append(gotNames, g.Namespace+"/"+g.Name)
	}
	if diff := cmp.Diff(wantNames, gotNames); diff != "" {
		t.Fatalf("models (-want +got):\n%s", diff)
	}
	for i, w := range want {
		g := got.Models[i]
		what := w.ns + "/" + w.name
		checkConditions(t, what, w.conds, g.Conditions)
		if diff := cmp.Diff(w.route, g.Route, emptyOK); diff != "" {
			t.Errorf("%s: route (-want +got):\n%s", what, diff)
		}
	}
	if diff := cmp.Diff(wantSvcs, got.Services, emptyOK); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			before := deepCopyInput(tc.in)
			got, err := translate.Translate(tc.in, cfg)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			checkOutput(t, got, tc.want, tc.svcs)
			if diff := cmp.Diff(before, tc.in); diff != "" {
				t.Errorf("Translate modified its input (-before +after):\n%s", diff)
			}
			for seed := uint64(1); seed <= 4; seed++ {
				again, err := translate.Translate(shuffled(tc.in, seed), cfg)
				if err != nil {
					t.Fatalf("Translate (shuffled): %v", err)
				}
				if diff := cmp.Diff(got, again); diff != "" {
					t.Errorf("output depends on input order (seed %d) (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Routes

func TestTranslateRouteShapes(t *testing.T) {
	long := strings.Repeat("a", 250)
	runCases(t, []tcase{
		{
			name: "no targets: one backendRef to the pool, full object",
			in:   input(model("m1", "llama", gen(3)), alphaPool("pool")),
			want: []wantModel{{
				ns: "ns", name: "m1",
				conds: []metav1.Condition{
					cond("ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", 3, `"pool"`),
					cond("Accepted", metav1.ConditionTrue, "Accepted", 3, `"llama"`),
					cond("Programmed", metav1.ConditionUnknown, "Pending", 3, "m1-modelroute"),
				},
				route: &gatewayv1.HTTPRoute{
					TypeMeta: metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
					ObjectMeta: metav1.ObjectMeta{
						Name:      "m1-modelroute",
						Namespace: "ns",
						Labels: map[string]string{
							"app.kubernetes.io/managed-by":   "modelroute",
							"modelroute.dev/inference-model": "m1",
						},
						OwnerReferences: []metav1.OwnerReference{{
							APIVersion:         "inference.networking.x-k8s.io/v1alpha2",
							Kind:               "InferenceModel",
							Name:               "m1",
							UID:                "uid-m1",
							Controller:         ptr(true),
							BlockOwnerDeletion: ptr(true),
						}},
					},
					Spec: gatewayv1.HTTPRouteSpec{
						CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
							Group:     ptr(gatewayv1.Group("gateway.networking.k8s.io")),
							Kind:      ptr(gatewayv1.Kind("Gateway")),
							Namespace: ptr(gatewayv1.Namespace("gw")),
							Name:      "main",
						}}},
						Rules: []gatewayv1.HTTPRouteRule{{
							Matches: []gatewayv1.HTTPRouteMatch{{
								Path: &gatewayv1.HTTPPathMatch{
									Type:  ptr(gatewayv1.PathMatchPathPrefix),
									Value: ptr("/"),
								},
								Headers: []gatewayv1.HTTPHeaderMatch{{
									Type:  ptr(gatewayv1.HeaderMatchExact),
									Name:  "X-Gateway-Model-Name",
									Value: "llama",
								}},
							}},
							BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
								BackendObjectReference: gatewayv1.BackendObjectReference{
									Group: ptr(gatewayv1.Group("inference.networking.x-k8s.io")),
									Kind:  ptr(gatewayv1.Kind("InferencePool")),
									Name:  "pool",
								},
								Weight: ptr(int32(1)),
							}}},
						}},
					},
				},
			}},
		},
		{
			name: "single target equal to modelName: no filter",
			in:   input(model("m1", "llama", targets(tm("llama"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "single weighted target equal to modelName: no filter, weight kept",
			in:   input(model("m1", "llama", targets(tmw("llama", 5))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rBackends(poolBackend(alphaGroup, "pool", 5))))},
		},
		{
			name: "single target different from modelName: rule-level rewrite",
			in:   input(model("m1", "llama", targets(tm("llama-lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rFilter(hdr(rewriteHeader, "llama-lora"))))},
		},
		{
			name: "one distinct target repeated: rule-level rewrite, one backendRef per target",
			in:   input(model("m1", "llama", targets(tmw("v2", 30), tmw("v2", 70))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rFilter(hdr(rewriteHeader, "v2")),
				rBackends(poolBackend(alphaGroup, "pool", 30), poolBackend(alphaGroup, "pool", 70))))},
		},
		{
			name: "two distinct targets: per-backend rewrite in spec order",
			in:   input(model("m1", "llama", targets(tmw("b", 90), tmw("a", 10))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rBackends(
					rewritten(poolBackend(alphaGroup, "pool", 90), "b"),
					rewritten(poolBackend(alphaGroup, "pool", 10), "a"),
				)))},
		},
		{
			name: "unweighted distinct targets weigh 1 each",
			in:   input(model("m1", "llama", targets(tm("c"), tm("a"), tm("b"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rBackends(
					rewritten(poolBackend(alphaGroup, "pool", 1), "c"),
					rewritten(poolBackend(alphaGroup, "pool", 1), "a"),
					rewritten(poolBackend(alphaGroup, "pool", 1), "b"),
				)))},
		},
		{
			name: "two distinct targets, one equal to modelName: both get a per-backend filter",
			in:   input(model("m1", "llama", targets(tmw("llama", 1), tmw("llama-lora", 3))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rBackends(
					rewritten(poolBackend(alphaGroup, "pool", 1), "llama"),
					rewritten(poolBackend(alphaGroup, "pool", 3), "llama-lora"),
				)))},
		},
		{
			name: "ten targets (the maximum), duplicates among them",
			in: input(model("m1", "llama", targets(
				tmw("a", 1), tmw("b", 2), tmw("a", 3), tmw("c", 4), tmw("d", 5),
				tmw("e", 6), tmw("f", 7), tmw("g", 8), tmw("h", 9), tmw("i", 1000000),
			)), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rBackends(
					rewritten(poolBackend(alphaGroup, "pool", 1), "a"),
					rewritten(poolBackend(alphaGroup, "pool", 2), "b"),
					rewritten(poolBackend(alphaGroup, "pool", 3), "a"),
					rewritten(poolBackend(alphaGroup, "pool", 4), "c"),
					rewritten(poolBackend(alphaGroup, "pool", 5), "d"),
					rewritten(poolBackend(alphaGroup, "pool", 6), "e"),
					rewritten(poolBackend(alphaGroup, "pool", 7), "f"),
					rewritten(poolBackend(alphaGroup, "pool", 8), "g"),
					rewritten(poolBackend(alphaGroup, "pool", 9), "h"),
					rewritten(poolBackend(alphaGroup, "pool", 1000000), "i"),
				)))},
		},
		{
			name: "rewrite header disabled: single different target gets no filter",
			cfg:  func(c *translate.Config) { c.RewriteHeader = "" },
			in:   input(model("m1", "llama", targets(tm("llama-lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "rewrite header disabled: distinct targets get no filters",
			cfg:  func(c *translate.Config) { c.RewriteHeader = "" },
			in:   input(model("m1", "llama", targets(tmw("a", 1), tmw("b", 2))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rBackends(poolBackend(alphaGroup, "pool", 1), poolBackend(alphaGroup, "pool", 2))))},
		},
		{
			name: "custom rewrite header name",
			cfg:  func(c *translate.Config) { c.RewriteHeader = "X-Target" },
			in:   input(model("m1", "llama", targets(tm("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rFilter(hdr("X-Target", "lora"))))},
		},
		{
			name: "criticality header, criticality unset: Standard",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = critHeader },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rFilter(hdr(critHeader, "Standard"))))},
		},
		{
			name: "criticality header, criticality set, target equal to modelName",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = critHeader },
			in:   input(model("m1", "llama", crit("Critical"), targets(tm("llama"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rFilter(hdr(critHeader, "Critical"))))},
		},
		{
			name: "criticality header and single different target share the rule filter, sorted by name",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = critHeader },
			in:   input(model("m1", "llama", crit("Sheddable"), targets(tm("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rFilter(hdr(critHeader, "Sheddable"), hdr(rewriteHeader, "lora"))))},
		},
		{
			name: "criticality header sorted after rewrite header when its name is greater",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = "Z-Priority" },
			in:   input(model("m1", "llama", crit("Critical"), targets(tm("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rFilter(hdr(rewriteHeader, "lora"), hdr("Z-Priority", "Critical"))))},
		},
		{
			name: "criticality header with distinct targets: rule sets criticality, backends set targets",
			cfg:  func(c *translate.Config) { c.CriticalityHeader = critHeader },
			in:   input(model("m1", "llama", crit("Critical"), targets(tmw("a", 1), tmw("b", 2))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rFilter(hdr(critHeader, "Critical")),
				rBackends(
					rewritten(poolBackend(alphaGroup, "pool", 1), "a"),
					rewritten(poolBackend(alphaGroup, "pool", 2), "b"),
				)))},
		},
		{
			name: "criticality header with rewrite disabled",
			cfg: func(c *translate.Config) {
				c.CriticalityHeader = critHeader
				c.RewriteHeader = ""
			},
			in:   input(model("m1", "llama", targets(tm("lora"))), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rFilter(hdr(critHeader, "Standard"))))},
		},
		{
			name: "multiple path prefixes: one match each, sorted and deduplicated",
			cfg:  func(c *translate.Config) { c.PathPrefixes = []string{"/v1", "/", "/v1", "/api/chat"} },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rMatches(
				match("/", modelHeader, "llama"),
				match("/api/chat", modelHeader, "llama"),
				match("/v1", modelHeader, "llama"),
			)))},
		},
		{
			name: "custom model header",
			cfg:  func(c *translate.Config) { c.ModelHeader = "X-Model" },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rMatches(match("/", "X-Model", "llama"))))},
		},
		{
			name: "configured hostnames: sorted and deduplicated",
			cfg: func(c *translate.Config) {
				c.Hostnames = []gatewayv1.Hostname{"b.example.com", "a.example.com", "*.example.net", "a.example.com"}
			},
			in: input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rHosts("*.example.net", "a.example.com", "b.example.com")))},
		},
		{
			name: "configured parent refs: sorted, deduplicated, section refs of a whole-Gateway ref dropped",
			cfg: func(c *translate.Config) {
				c.ParentRefs = []gatewayv1.ParentReference{
					gw("gw", "z", ""), gw("gw", "main", "http"), gw("other", "a", "https"),
					gw("gw", "main", ""), gw("gw", "z", ""), gw("other", "a", "http"),
				}
			},
			in: input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rParents(
				gw("gw", "main", ""), gw("gw", "z", ""), gw("other", "a", "http"), gw("other", "a", "https"),
			)))},
		},
		{
			name: "no parent refs configured: route without parents, NoParentRefs",
			cfg:  func(c *translate.Config) { c.ParentRefs = nil },
			in:   input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), noParents("m1-modelroute")},
				wantRoute("m1", "llama", rParents())}},
		},
		{
			name: "model parent-refs annotation wins over pool's and config",
			in: input(
				model("m1", "llama", parentsAnn("edge/public/https, edge/internal")),
				alphaPool("pool", aParents("pools/gw")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rParents(gw("edge", "internal", ""), gw("edge", "public", "https"))))},
		},
		{
			name: "pool parent-refs annotation wins over config",
			in: input(
				model("m1", "llama"),
				model("m2", "other", onPool("pool-b")),
				alphaPool("pool", aParents("pools/gw,pools/gw2/sec")),
				alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", rParents(gw("pools", "gw", ""), gw("pools", "gw2", "sec")))),
				routedOn(testNS, "m2", "pool-b", "other", wantRoute("m2", "other",
					rBackends(poolBackend(alphaGroup, "pool-b", 1)))),
			},
		},
		{
			name: "v1 pool parent-refs annotation wins over config",
			in:   input(model("m1", "llama", poolGroup(v1Group)), v1Pool("pool", vParents("v1ns/gw"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rParents(gw("v1ns", "gw", "")), rBackends(poolBackend(v1Group, "pool", 1))))},
		},
		{
			name: "empty model parent-refs annotation means no parents, whatever pool and config say",
			in:   input(model("m1", "llama", parentsAnn("")), alphaPool("pool", aParents("pools/gw"))),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), noParents("m1-modelroute")},
				wantRoute("m1", "llama", rParents())}},
		},
		{
			name: "empty pool parent-refs annotation means no parents",
			in:   input(model("m1", "llama"), alphaPool("pool", aParents(""))),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), noParents("m1-modelroute")},
				wantRoute("m1", "llama", rParents())}},
		},
		{
			name: "blank list in parent-refs annotation means no parents",
			in:   input(model("m1", "llama", parentsAnn(" , ,")), alphaPool("pool")),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), noParents("m1-modelroute")},
				wantRoute("m1", "llama", rParents())}},
		},
		{
			name: "model annotation overrides an invalid pool annotation",
			in:   input(model("m1", "llama", parentsAnn("a/b")), alphaPool("pool", aParents("not a ref"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rParents(gw("a", "b", ""))))},
		},
		{
			name: "model hostnames annotation wins over pool's and config",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in: input(
				model("m1", "llama", hostsAnn("b.example.com, a.example.com")),
				alphaPool("pool", aHosts("p.example.com")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rHosts("a.example.com", "b.example.com")))},
		},
		{
			name: "pool hostnames annotation wins over config",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama"), alphaPool("pool", aHosts("*.p.example.com"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rHosts("*.p.example.com")))},
		},
		{
			name: "empty model hostnames annotation clears pool and config hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama", hostsAnn("")), alphaPool("pool", aHosts("p.example.com"))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "empty pool hostnames annotation clears config hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama"), alphaPool("pool", aHosts(""))),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "parents and hostnames are resolved independently: model parents, pool hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in: input(
				model("m1", "llama", parentsAnn("edge/public")),
				alphaPool("pool", aParents("pools/gw"), aHosts("p.example.com")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rParents(gw("edge", "public", "")), rHosts("p.example.com")))},
		},
		{
			name: "parents and hostnames are resolved independently: pool parents, model hostnames",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in: input(
				model("m1", "llama", hostsAnn("m.example.com")),
				alphaPool("pool", aParents("pools/gw"), aHosts("p.example.com")),
			),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rParents(gw("pools", "gw", "")), rHosts("m.example.com")))},
		},
		{
			name: "config hostnames apply when no annotation",
			cfg:  func(c *translate.Config) { c.Hostnames = []gatewayv1.Hostname{"c.example.com"} },
			in:   input(model("m1", "llama", parentsAnn("edge/public")), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
				rParents(gw("edge", "public", "")), rHosts("c.example.com")))},
		},
		{
			name: "v1 pool: backendRef group inference.networking.k8s.io",
			in:   input(model("m1", "llama", poolGroup(v1Group)), v1Pool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rBackends(poolBackend(v1Group, "pool", 1))))},
		},
		{
			name: "v1 pool with explicit kind",
			in:   input(model("m1", "llama", poolGroup(v1Group), poolKind("InferencePool")), v1Pool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rBackends(poolBackend(v1Group, "pool", 1))))},
		},
		{
			name: "explicit alpha group and kind",
			in:   input(model("m1", "llama", poolGroup(alphaGroup), poolKind("InferencePool")), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
		{
			name: "alpha and v1 pools of one name: each model gets its own group",
			in: input(
				model("m1", "llama"),
				model("m2", "mistral", poolGroup(v1Group)),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routed("m2", "mistral", wantRoute("m2", "mistral", rBackends(poolBackend(v1Group, "pool", 1)))),
			},
		},
		{
			name: "model without UID: no ownerReferences",
			in:   input(model("m1", "llama", noUID()), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama", rNoOwner()))},
		},
		{
			name: "long model name: route name and label cut and hashed",
			in:   input(model(long, "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, long,
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"),
					pending(strings.Repeat("a", 231) + "-3f3e35e0a7-modelroute")},
				wantRoute(long, "llama", rNameLabel(
					strings.Repeat("a", 231)+"-3f3e35e0a7-modelroute",
					strings.Repeat("a", 52)+"-3f3e35e0a7",
				))}},
		},
		{
			name: "model name of 242 characters keeps the plain route name (253 total)",
			in:   input(model(strings.Repeat("b", 242), "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, strings.Repeat("b", 242),
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), pending(strings.Repeat("b", 242) + "-modelroute")},
				wantRoute(strings.Repeat("b", 242), "llama", func(r *gatewayv1.HTTPRoute) {
					r.Labels["modelroute.dev/inference-model"] = strings.Repeat("b", 52) + "-" + hash10(strings.Repeat("b", 242))
				})}},
		},
		{
			name: "models sorted by namespace then name; routes in their namespaces",
			in: input(
				model("z", "m-z", inNS("ns-b")),
				model("a", "m-a", inNS("ns-b")),
				model("m", "m-m", inNS("ns-a")),
				alphaPool("pool", aNS("ns-b")),
				alphaPool("pool", aNS("ns-a")),
			),
			want: []wantModel{
				routedOn("ns-a", "m", "pool", "m-m", wantRoute("m", "m-m", rNS("ns-a"))),
				routedOn("ns-b", "a", "pool", "m-a", wantRoute("a", "m-a", rNS("ns-b"))),
				routedOn("ns-b", "z", "pool", "m-z", wantRoute("z", "m-z", rNS("ns-b"))),
			},
		},
		{
			name: "no models: empty output",
			in:   input(alphaPool("pool")),
			want: nil,
		},
	})
}

// hash10 is the first 10 hex digits of sha256(s), precomputed for the few
// inputs the tests use (computed outside Go with sha256sum).
func hash10(s string) string {
	known := map[string]string{
		strings.Repeat("b", 242): "6b8af27134",
	}
	h, ok := known[s]
	if !ok {
		panic("hash10: no precomputed hash for " + s)
	}
	return h
}

// ---------------------------------------------------------------------------
// Checks

func TestTranslateChecks(t *testing.T) {
	accepted := func(name, modelName string, opts ...modelOpt) tcase {
		return tcase{
			name: "accepted: " + name,
			in:   input(model("m1", modelName, opts...), alphaPool("pool")),
		}
	}
	// rejectedCase: a model on an existing pool with Accepted=False.
	rejectedCase := func(name, reason string, m v1alpha2.InferenceModel, msg ...string) tcase {
		return tcase{
			name: name,
			in:   input(m, alphaPool("pool")),
			want: []wantModel{unrouted(m.Name, resolvedOK("pool"), rejected(reason, msg...))},
		}
	}
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	var refs33, refs32, hosts17, hosts16 []string
	for i := range 33 {
		refs33 = append(refs33, fmt.Sprintf("gw/g%02d", i))
		hosts17 = append(hosts17, fmt.Sprintf("h%02d.example.com", i))
	}
	refs32, hosts16 = refs33[:32], hosts17[:16]
	hosts17 = hosts17[:17]

	cases := []tcase{
		// (1) poolRef group/kind
		{
			name: "InvalidKind: foreign group",
			in:   input(model("m1", "llama", poolGroup("foo.example.com")), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "foo.example.com"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind: kind Service",
			in:   input(model("m1", "llama", poolKind("Service")), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "Service"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind: kind case matters",
			in:   input(model("m1", "llama", poolKind("inferencepool")), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "inferencepool"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind: core group with v1 kind",
			in:   input(model("m1", "llama", poolGroup("core"), poolKind("InferencePool")), v1Pool("pool")),
			want: []wantModel{unrouted("m1", unresolved("InvalidKind", "core"), acceptedOK("llama"))},
		},
		{
			name: "InvalidKind and invalid spec: both reported, generation observed",
			in:   input(model("m1", "", poolKind("Service"), gen(4)), alphaPool("pool")),
			want: []wantModel{unrouted("m1", withGen(4,
				unresolved("InvalidKind", "Service"),
				rejected("InvalidModelName", "spec.modelName"))...)},
		},
		// (2) pool existence
		{
			name: "PoolNotFound: no pool",
			in:   input(model("m1", "llama", onPool("missing"))),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"missing"`, `"ns"`), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound: pool in another namespace",
			in:   input(model("m1", "llama"), alphaPool("pool", aNS("elsewhere"))),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"pool"`, `"ns"`), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound: only a v1 pool of that name, default group is x-k8s.io",
			in:   input(model("m1", "llama"), v1Pool("pool")),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"pool"`, alphaGroup), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound: v1 group but only an alpha pool of that name",
			in:   input(model("m1", "llama", poolGroup(v1Group)), alphaPool("pool")),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"pool"`, v1Group), acceptedOK("llama"))},
		},
		{
			name: "PoolNotFound with invalid spec, generation observed",
			in:   input(model("m1", "llama", onPool("missing"), crit("Urgent"), gen(9))),
			want: []wantModel{unrouted("m1", withGen(9,
				unresolved("PoolNotFound", `"missing"`),
				rejected("InvalidCriticality", "spec.criticality", "Urgent"))...)},
		},
		{
			name: "resolved but rejected: no Programmed, generation observed everywhere",
			in:   input(model("m1", "llama", targets(tmw("a", 0)), gen(12)), alphaPool("pool")),
			want: []wantModel{unrouted("m1", withGen(12,
				resolvedOK("pool"),
				rejected("InvalidTargetModels", "spec.targetModels[0].weight"))...)},
		},
		// (3) spec: modelName
		rejectedCase("InvalidModelName: empty", "InvalidModelName", model("m1", ""), "spec.modelName"),
		rejectedCase("InvalidModelName: 257 characters", "InvalidModelName", model("m1", long(257, "x")), "spec.modelName", "257"),
		rejectedCase("InvalidModelName: 257 multibyte characters", "InvalidModelName", model("m1", long(257, "é")), "spec.modelName"),
		rejectedCase("InvalidModelName: LF", "InvalidModelName", model("m1", "llama\nX-Evil: 1"), "spec.modelName"),
		rejectedCase("InvalidModelName: CR", "InvalidModelName", model("m1", "llama\r"), "spec.modelName"),
		rejectedCase("InvalidModelName: CRLF inside", "InvalidModelName", model("m1", "a\r\nb"), "spec.modelName"),
		rejectedCase("InvalidModelName: tab inside", "InvalidModelName", model("m1", "a\tb"), "spec.modelName"),
		rejectedCase("InvalidModelName: NUL", "InvalidModelName", model("m1", "a\x00b"), "spec.modelName"),
		rejectedCase("InvalidModelName: DEL", "InvalidModelName", model("m1", "a\x7fb"), "spec.modelName"),
		rejectedCase("InvalidModelName: C1 control", "InvalidModelName", model("m1", "a\u0085b"), "spec.modelName"),
		rejectedCase("InvalidModelName: leading space", "InvalidModelName", model("m1", " llama"), "spec.modelName"),
		rejectedCase("InvalidModelName: trailing space", "InvalidModelName", model("m1", "llama "), "spec.modelName"),
		rejectedCase("InvalidModelName: only spaces", "InvalidModelName", model("m1", "   "), "spec.modelName"),
		rejectedCase("InvalidModelName: trailing tab", "InvalidModelName", model("m1", "llama\t"), "spec.modelName"),
		rejectedCase("InvalidModelName: invalid UTF-8", "InvalidModelName", model("m1", "llama\xff"), "spec.modelName"),
		rejectedCase("InvalidModelName: generation observed", "InvalidModelName", model("m1", "", gen(2)), "spec.modelName"),
		// criticality
		rejectedCase("InvalidCriticality: unknown value", "InvalidCriticality", model("m1", "llama", crit("Urgent")), "spec.criticality", "Urgent"),
		rejectedCase("InvalidCriticality: wrong case", "InvalidCriticality", model("m1", "llama", crit("critical")), "spec.criticality"),
		rejectedCase("InvalidCriticality: empty string", "InvalidCriticality", model("m1", "llama", crit("")), "spec.criticality"),
		// targets
		rejectedCase("InvalidTargetModels: 11 targets", "InvalidTargetModels", model("m1", "llama", nTargets(11)), "spec.targetModels", "11"),
		rejectedCase("InvalidTargetModels: weights on some only", "InvalidTargetModels",
			model("m1", "llama", targets(tmw("a", 1), tm("b"))), "spec.targetModels", "weight"),
		rejectedCase("InvalidTargetModels: weights on some only (first unset)", "InvalidTargetModels",
			model("m1", "llama", targets(tm("a"), tmw("b", 1), tmw("c", 2))), "spec.targetModels", "weight"),
		rejectedCase("InvalidTargetModels: weight 0", "InvalidTargetModels",
			model("m1", "llama", targets(tmw("a", 1), tmw("b", 0))), "spec.targetModels[1].weight"),
		rejectedCase("InvalidTargetModels: negative weight", "InvalidTargetModels",
			model("m1", "llama", targets(tmw("a", -5), tmw("b", 1))), "spec.targetModels[0].weight"),
		rejectedCase("InvalidTargetModels: weight over 1000000", "InvalidTargetModels",
			model("m1", "llama", targets(tmw("a", 1), tmw("b", 2), tmw("c", 1000001))), "spec.targetModels[2].weight"),
		rejectedCase("InvalidTargetModels: empty name", "InvalidTargetModels",
			model("m1", "llama", targets(tm("a"), tm("b"), tm(""))), "spec.targetModels[2].name"),
		rejectedCase("InvalidTargetModels: 254-character name", "InvalidTargetModels",
			model("m1", "llama", targets(tm(long(254, "t")))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: LF in name", "InvalidTargetModels",
			model("m1", "llama", targets(tm("a"), tm("b\nc"))), "spec.targetModels[1].name"),
		rejectedCase("InvalidTargetModels: CR in name", "InvalidTargetModels",
			model("m1", "llama", targets(tm("b\r"))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: leading space in name", "InvalidTargetModels",
			model("m1", "llama", targets(tm(" b"))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: trailing space in name", "InvalidTargetModels",
			model("m1", "llama", targets(tm("b "))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: control character in name", "InvalidTargetModels",
			model("m1", "llama", targets(tm("b\x01"))), "spec.targetModels[0].name"),
		rejectedCase("InvalidTargetModels: invalid UTF-8 name", "InvalidTargetModels",
			model("m1", "llama", targets(tm("b\xc3"))), "spec.targetModels[0].name"),
		// annotations
		rejectedCase("InvalidParentRefs: model annotation not NAMESPACE/NAME", "InvalidParentRefs",
			model("m1", "llama", parentsAnn("gw")), "modelroute.dev/parent-refs", "InferenceModel"),
		rejectedCase("InvalidParentRefs: one bad ref among good ones", "InvalidParentRefs",
			model("m1", "llama", parentsAnn("gw/a, gw/Bad")), "modelroute.dev/parent-refs", "gw/Bad"),
		rejectedCase("InvalidParentRefs: too many parts", "InvalidParentRefs",
			model("m1", "llama", parentsAnn("a/b/c/d")), "modelroute.dev/parent-refs"),
		{
			name: "InvalidParentRefs: pool annotation, message names the pool",
			in:   input(model("m1", "llama"), alphaPool("pool", aParents("gw/"))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("InvalidParentRefs", "modelroute.dev/parent-refs", `InferencePool "pool"`))},
		},
		rejectedCase("InvalidHostnames: upper case", "InvalidHostnames",
			model("m1", "llama", hostsAnn("Example.com")), "modelroute.dev/hostnames", "InferenceModel", "Example.com"),
		rejectedCase("InvalidHostnames: bare wildcard", "InvalidHostnames",
			model("m1", "llama", hostsAnn("a.example.com,*")), "modelroute.dev/hostnames"),
		rejectedCase("InvalidHostnames: underscore", "InvalidHostnames",
			model("m1", "llama", hostsAnn("a_b.example.com")), "modelroute.dev/hostnames"),
		{
			name: "InvalidHostnames: pool annotation, message names the pool",
			in:   input(model("m1", "llama"), alphaPool("pool", aHosts("-bad.example.com"))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("InvalidHostnames", "modelroute.dev/hostnames", `InferencePool "pool"`))},
		},
		rejectedCase("TooManyParentRefs: 33", "TooManyParentRefs",
			model("m1", "llama", parentsAnn(strings.Join(refs33, ","))), "33", "32", "modelroute.dev/parent-refs"),
		{
			name: "TooManyParentRefs: pool annotation with 33",
			in:   input(model("m1", "llama"), alphaPool("pool", aParents(strings.Join(refs33, ",")))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("TooManyParentRefs", "33", `InferencePool "pool"`))},
		},
		rejectedCase("TooManyHostnames: 17", "TooManyHostnames",
			model("m1", "llama", hostsAnn(strings.Join(hosts17, ","))), "17", "16", "modelroute.dev/hostnames"),
		{
			name: "TooManyHostnames: pool annotation with 17",
			in:   input(model("m1", "llama"), alphaPool("pool", aHosts(strings.Join(hosts17, ",")))),
			want: []wantModel{unrouted("m1", resolvedOK("pool"),
				rejected("TooManyHostnames", "17", `InferencePool "pool"`))},
		},
	}
	// The InvalidModelName generation case observes generation 2.
	for i := range cases {
		if cases[i].name == "InvalidModelName: generation observed" {
			cases[i].want[0].conds = withGen(2, cases[i].want[0].conds...)
		}
	}

	// Valid edge cases: accepted and routed.
	valid := []tcase{
		accepted("256-character modelName", long(256, "x")),
		accepted("256 multibyte characters", long(256, "é")),
		accepted("inner spaces and punctuation", "my model/v1:latest@2024"),
		accepted("non-ASCII", "模型-v1"),
		accepted("Critical", "llama", crit("Critical")),
		accepted("Standard", "llama", crit("Standard")),
		accepted("Sheddable", "llama", crit("Sheddable")),
		accepted("weights 1 and 1000000", "llama", targets(tmw("a", 1), tmw("b", 1000000))),
		accepted("253-character target name", "llama", targets(tm(long(253, "t")))),
		accepted("10 targets", "llama", nTargets(10)),
		accepted("32 parent refs", "llama", parentsAnn(strings.Join(refs32, ","))),
		accepted("33 parent refs with a duplicate", "llama", parentsAnn(strings.Join(append(slices.Clone(refs32), refs32[0]), ","))),
		accepted("33 parent refs with a section of a listed Gateway", "llama",
			parentsAnn(strings.Join(append(slices.Clone(refs32), refs32[5]+"/http"), ","))),
		accepted("16 hostnames", "llama", hostsAnn(strings.Join(hosts16, ","))),
		accepted("17 hostnames with a duplicate", "llama", hostsAnn(strings.Join(append(slices.Clone(hosts16), hosts16[3]), ","))),
	}
	for i := range valid {
		m := valid[i].in.Models[0]
		valid[i].want = []wantModel{{testNS, "m1",
			[]metav1.Condition{resolvedOK("pool"), acceptedOK(m.Spec.ModelName), pending("m1-modelroute")}, nil}}
	}
	runCases(t, cases)
	// For the valid cases only the conditions and the shape of the route
	// matter; the full route is asserted elsewhere.
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			got, err := translate.Translate(tc.in, config())
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Models) != 1 {
				t.Fatalf("got %d models, want 1", len(got.Models))
			}
			checkConditions(t, "m1", tc.want[0].conds, got.Models[0].Conditions)
			r := got.Models[0].Route
			if r == nil {
				t.Fatal("no route")
			}
			m := tc.in.Models[0]
			if diff := cmp.Diff(match("/", modelHeader, m.Spec.ModelName), r.Spec.Rules[0].Matches[0]); diff != "" {
				t.Errorf("match (-want +got):\n%s", diff)
			}
			wantBackends := max(1, len(m.Spec.TargetModels))
			if got := len(r.Spec.Rules[0].BackendRefs); got != wantBackends {
				t.Errorf("got %d backendRefs, want %d", got, wantBackends)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Uniqueness of modelName per pool

func TestTranslateUniqueness(t *testing.T) {
	inUse := func(winner string) metav1.Condition {
		return rejected("ModelNameInUse", fmt.Sprintf("%q", winner), `"llama"`)
	}
	runCases(t, []tcase{
		{
			name: "oldest wins even when its name sorts last",
			in: input(
				model("a-young", "llama", age(time.Hour)),
				model("z-old", "llama"),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("a-young", resolvedOK("pool"), inUse("z-old")),
				routed("z-old", "llama", wantRoute("z-old", "llama")),
			},
		},
		{
			name: "same age: tie broken by name",
			in:   input(model("b", "llama"), model("a", "llama"), alphaPool("pool")),
			want: []wantModel{
				routed("a", "llama", wantRoute("a", "llama")),
				unrouted("b", resolvedOK("pool"), inUse("a")),
			},
		},
		{
			name: "handover: winner removed, the next one takes the name",
			in:   input(model("b", "llama"), alphaPool("pool")),
			want: []wantModel{routed("b", "llama", wantRoute("b", "llama"))},
		},
		{
			name: "three contenders: both losers name the oldest, generation observed",
			in: input(
				model("m1", "llama", age(2*time.Hour), gen(4)),
				model("m2", "llama", age(time.Hour)),
				model("m3", "llama", age(3*time.Hour), gen(7)),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("m1", withGen(4, resolvedOK("pool"), inUse("m2"))...),
				routed("m2", "llama", wantRoute("m2", "llama")),
				unrouted("m3", withGen(7, resolvedOK("pool"), inUse("m2"))...),
			},
		},
		{
			name: "handover with three: next oldest wins",
			in: input(
				model("m1", "llama", age(2*time.Hour)),
				model("m3", "llama", age(3*time.Hour)),
				alphaPool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				unrouted("m3", resolvedOK("pool"), inUse("m1")),
			},
		},
		{
			name: "empty group and explicit x-k8s.io group are the same pool",
			in: input(
				model("m1", "llama", poolGroup(alphaGroup), poolKind("InferencePool"), age(time.Minute)),
				model("m2", "llama"),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("m1", resolvedOK("pool"), inUse("m2")),
				routed("m2", "llama", wantRoute("m2", "llama")),
			},
		},
		{
			name: "same modelName in different pools: both accepted",
			in: input(
				model("m1", "llama"),
				model("m2", "llama", onPool("pool-b"), parentsAnn("gw/other")),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routedOn(testNS, "m2", "pool-b", "llama", wantRoute("m2", "llama",
					rParents(gw("gw", "other", "")), rBackends(poolBackend(alphaGroup, "pool-b", 1)))),
			},
		},
		{
			name: "same pool name in alpha and v1 groups: different pools",
			in: input(
				model("m1", "llama", hostsAnn("a.example.com")),
				model("m2", "llama", poolGroup(v1Group), hostsAnn("b.example.com")),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", rHosts("a.example.com"))),
				routed("m2", "llama", wantRoute("m2", "llama", rHosts("b.example.com"),
					rBackends(poolBackend(v1Group, "pool", 1)))),
			},
		},
		{
			name: "same pool name in different namespaces: different pools",
			in: input(
				model("m1", "llama", inNS("ns-a"), parentsAnn("gw/a")),
				model("m1", "llama", inNS("ns-b"), parentsAnn("gw/b")),
				alphaPool("pool", aNS("ns-a")), alphaPool("pool", aNS("ns-b")),
			),
			want: []wantModel{
				routedOn("ns-a", "m1", "pool", "llama", wantRoute("m1", "llama", rNS("ns-a"), rParents(gw("gw", "a", "")))),
				routedOn("ns-b", "m1", "pool", "llama", wantRoute("m1", "llama", rNS("ns-b"), rParents(gw("gw", "b", "")))),
			},
		},
		{
			name: "different modelNames in one pool: both accepted",
			in:   input(model("m1", "llama"), model("m2", "mistral"), alphaPool("pool")),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routed("m2", "mistral", wantRoute("m2", "mistral")),
			},
		},
		{
			name: "modelName comparison is exact (case-sensitive)",
			in:   input(model("m1", "llama"), model("m2", "Llama"), alphaPool("pool")),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama")),
				routed("m2", "Llama", wantRoute("m2", "Llama")),
			},
		},
		{
			name: "an older model with an invalid spec does not hold the name",
			in: input(
				model("old", "llama", crit("Urgent")),
				model("young", "llama", age(time.Hour)),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("old", resolvedOK("pool"), rejected("InvalidCriticality", "spec.criticality")),
				routed("young", "llama", wantRoute("young", "llama")),
			},
		},
		{
			name: "an older model with an invalid annotation does not hold the name",
			in: input(
				model("old", "llama", hostsAnn("BAD")),
				model("young", "llama", age(time.Hour)),
				alphaPool("pool"),
			),
			want: []wantModel{
				unrouted("old", resolvedOK("pool"), rejected("InvalidHostnames", "modelroute.dev/hostnames")),
				routed("young", "llama", wantRoute("young", "llama")),
			},
		},
		{
			name: "missing pool: oldest still holds the name",
			in: input(
				model("m1", "llama", onPool("gone"), age(time.Hour)),
				model("m2", "llama", onPool("gone")),
			),
			want: []wantModel{
				unrouted("m1", unresolved("PoolNotFound", `"gone"`), inUse("m2")),
				unrouted("m2", unresolved("PoolNotFound", `"gone"`), acceptedOK("llama")),
			},
		},
	})
}

func TestTranslatePoolAppears(t *testing.T) {
	m := model("m1", "llama", onPool("late"))
	runCases(t, []tcase{
		{
			name: "before: PoolNotFound, no route",
			in:   input(m),
			want: []wantModel{unrouted("m1", unresolved("PoolNotFound", `"late"`), acceptedOK("llama"))},
		},
		{
			name: "after: resolved and routed",
			in:   input(m, alphaPool("late")),
			want: []wantModel{routedOn(testNS, "m1", "late", "llama", wantRoute("m1", "llama",
				rBackends(poolBackend(alphaGroup, "late", 1))))},
		},
	})
}

// ---------------------------------------------------------------------------
// Shadowing across pools

func TestTranslateShadowing(t *testing.T) {
	// old on "pool" (created first), young on "pool-b" an hour later.
	pair := func(oldOpts, youngOpts []modelOpt) translate.Input {
		return input(
			model("old", "llama", oldOpts...),
			model("young", "llama", append([]modelOpt{onPool("pool-b"), age(time.Hour)}, youngOpts...)...),
			alphaPool("pool"), alphaPool("pool-b"),
		)
	}
	youngOnB := func(opts ...routeOpt) *gatewayv1.HTTPRoute {
		return wantRoute("young", "llama", append([]routeOpt{rBackends(poolBackend(alphaGroup, "pool-b", 1))}, opts...)...)
	}
	shadowedYoung := unrouted("young", resolvedOK("pool-b"), acceptedOK("llama"), shadowed("ns", "old", "pool"))
	both := func(oldRoute, youngRoute *gatewayv1.HTTPRoute) []wantModel {
		return []wantModel{
			routed("old", "llama", oldRoute),
			routedOn(testNS, "young", "pool-b", "llama", youngRoute),
		}
	}
	oldWins := func(oldRoute *gatewayv1.HTTPRoute) []wantModel {
		return []wantModel{routed("old", "llama", oldRoute), shadowedYoung}
	}
	p := func(v string) []modelOpt { return []modelOpt{parentsAnn(v)} }
	h := func(v string) []modelOpt { return []modelOpt{hostsAnn(v)} }

	runCases(t, []tcase{
		{
			name: "same configured Gateway, no hostnames: younger shadowed",
			in:   pair(nil, nil),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "older by age even when its name sorts last",
			in: input(
				model("z", "llama"),
				model("a", "llama", onPool("pool-b"), age(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				unrouted("a", resolvedOK("pool-b"), acceptedOK("llama"), shadowed("ns", "z", "pool")),
				routed("z", "llama", wantRoute("z", "llama")),
			},
		},
		{
			name: "same age: tie broken by name",
			in: input(
				model("b", "llama"),
				model("a", "llama", onPool("pool-b")),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routedOn(testNS, "a", "pool-b", "llama", wantRoute("a", "llama", rBackends(poolBackend(alphaGroup, "pool-b", 1)))),
				unrouted("b", resolvedOK("pool"), acceptedOK("llama"), shadowed("ns", "a", "pool-b")),
			},
		},
		{
			name: "generation observed on the shadowed model",
			in: input(
				model("old", "llama"),
				model("young", "llama", onPool("pool-b"), age(time.Hour), gen(6)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				unrouted("young", withGen(6, resolvedOK("pool-b"), acceptedOK("llama"), shadowed("ns", "old", "pool"))...),
			},
		},
		{
			name: "different Gateways: no shadow",
			in:   pair(nil, p("gw/other")),
			want: both(wantRoute("old", "llama"), youngOnB(rParents(gw("gw", "other", "")))),
		},
		{
			name: "same Gateway name in another namespace: no shadow",
			in:   pair(nil, p("gw2/main")),
			want: both(wantRoute("old", "llama"), youngOnB(rParents(gw("gw2", "main", "")))),
		},
		{
			name: "same Gateway, different sections: no shadow",
			in:   pair(p("gw/main/a"), p("gw/main/b")),
			want: both(wantRoute("old", "llama", rParents(gw("gw", "main", "a"))),
				youngOnB(rParents(gw("gw", "main", "b")))),
		},
		{
			name: "same Gateway, same section: shadowed",
			in:   pair(p("gw/main/a"), p("gw/main/a")),
			want: oldWins(wantRoute("old", "llama", rParents(gw("gw", "main", "a")))),
		},
		{
			name: "older on a section, younger on the whole Gateway: shadowed",
			in:   pair(p("gw/main/a"), nil),
			want: oldWins(wantRoute("old", "llama", rParents(gw("gw", "main", "a")))),
		},
		{
			name: "older on the whole Gateway, younger on a section: shadowed",
			in:   pair(nil, p("gw/main/b")),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "one shared Gateway among several: shadowed",
			in:   pair(p("x/one, gw/main"), p("y/two, gw/main/s")),
			want: oldWins(wantRoute("old", "llama", rParents(gw("gw", "main", ""), gw("x", "one", "")))),
		},
		{
			name: "disjoint hostnames: no shadow",
			in:   pair(h("a.example.com"), h("b.example.com")),
			want: both(wantRoute("old", "llama", rHosts("a.example.com")), youngOnB(rHosts("b.example.com"))),
		},
		{
			name: "one common hostname: shadowed",
			in:   pair(h("a.example.com,c.example.com"), h("b.example.com,c.example.com")),
			want: oldWins(wantRoute("old", "llama", rHosts("a.example.com", "c.example.com"))),
		},
		{
			name: "older has hostnames, younger none (matches all): shadowed",
			in:   pair(h("a.example.com"), nil),
			want: oldWins(wantRoute("old", "llama", rHosts("a.example.com"))),
		},
		{
			name: "older has no hostnames, younger some: shadowed",
			in:   pair(nil, h("b.example.com")),
			want: oldWins(wantRoute("old", "llama")),
		},
		{
			name: "wildcard matches one more label: shadowed",
			in:   pair(h("*.example.com"), h("a.example.com")),
			want: oldWins(wantRoute("old", "llama", rHosts("*.example.com"))),
		},
		{
			name: "wildcard matches several more labels: shadowed",
			in:   pair(h("*.example.com"), h("a.b.example.com")),
			want: oldWins(wantRoute("old", "llama", rHosts("*.example.com"))),
		},
		{
			name: "host under younger wildcard: shadowed",
			in:   pair(h("a.example.com"), h("*.example.com")),
			want: oldWins(wantRoute("old", "llama", rHosts("a.example.com"))),
		},
		{
			name: "wildcard does not match the bare domain: no shadow",
			in:   pair(h("*.example.com"), h("example.com")),
			want: both(wantRoute("old", "llama", rHosts("*.example.com")), youngOnB(rHosts("example.com"))),
		},
		{
			name: "wildcard does not match a mere suffix: no shadow",
			in:   pair(h("*.example.com"), h("badexample.com")),
			want: both(wantRoute("old", "llama", rHosts("*.example.com")), youngOnB(rHosts("badexample.com"))),
		},
		{
			name: "nested wildcards overlap: shadowed",
			in:   pair(h("*.example.com"), h("*.b.example.com")),
			want: oldWins(wantRoute("old", "llama", rHosts("*.example.com"))),
		},
		{
			name: "unrelated wildcards: no shadow",
			in:   pair(h("*.example.com"), h("*.example.org")),
			want: both(wantRoute("old", "llama", rHosts("*.example.com")), youngOnB(rHosts("*.example.org"))),
		},
		{
			name: "different Gateway but overlapping hostnames: no shadow",
			in:   pair(h("a.example.com"), []modelOpt{hostsAnn("a.example.com"), parentsAnn("gw/other")}),
			want: both(wantRoute("old", "llama", rHosts("a.example.com")),
				youngOnB(rHosts("a.example.com"), rParents(gw("gw", "other", "")))),
		},
		{
			name: "different modelNames: no shadow",
			in: input(
				model("old", "llama"),
				model("young", "mistral", onPool("pool-b"), age(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				routedOn(testNS, "young", "pool-b", "mistral", wantRoute("young", "mistral",
					rBackends(poolBackend(alphaGroup, "pool-b", 1)))),
			},
		},
		{
			name: "older without parents shadows nothing",
			in:   pair(p(""), nil),
			want: []wantModel{
				{testNS, "old", []metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), noParents("old-modelroute")},
					wantRoute("old", "llama", rParents())},
				routedOn(testNS, "young", "pool-b", "llama", youngOnB()),
			},
		},
		{
			name: "younger without parents: NoParentRefs, not shadowed",
			in:   pair(nil, p("")),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				{testNS, "young", []metav1.Condition{resolvedOK("pool-b"), acceptedOK("llama"), noParents("young-modelroute")},
					youngOnB(rParents())},
			},
		},
		{
			name: "older that is not routed (PoolNotFound) shadows nothing",
			in: input(
				model("old", "llama", onPool("gone")),
				model("young", "llama", onPool("pool-b"), age(time.Hour)),
				alphaPool("pool-b"),
			),
			want: []wantModel{
				unrouted("old", unresolved("PoolNotFound", `"gone"`), acceptedOK("llama")),
				routedOn(testNS, "young", "pool-b", "llama", youngOnB()),
			},
		},
		{
			name: "across namespaces on a shared Gateway: shadowed, message names namespace/name",
			in: input(
				model("old", "llama", inNS("ns-a")),
				model("young", "llama", inNS("ns-b"), age(time.Hour)),
				alphaPool("pool", aNS("ns-a")), alphaPool("pool", aNS("ns-b")),
			),
			want: []wantModel{
				routedOn("ns-a", "old", "pool", "llama", wantRoute("old", "llama", rNS("ns-a"))),
				{"ns-b", "young", []metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), shadowed("ns-a", "old", "pool")}, nil},
			},
		},
		{
			name: "alpha and v1 pools of one name: shadowed",
			in: input(
				model("old", "llama"),
				model("young", "llama", poolGroup(v1Group), age(time.Hour)),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama")),
				unrouted("young", resolvedOK("pool"), acceptedOK("llama"), shadowed("ns", "old", "pool")),
			},
		},
		{
			name: "shadowing is decided with parents from pool annotations",
			in: input(
				model("old", "llama"),
				model("young", "llama", onPool("pool-b"), age(time.Hour)),
				alphaPool("pool", aParents("gw/a")), alphaPool("pool-b", aParents("gw/b")),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama", rParents(gw("gw", "a", "")))),
				routedOn(testNS, "young", "pool-b", "llama", youngOnB(rParents(gw("gw", "b", "")))),
			},
		},
	})
}

// ---------------------------------------------------------------------------
// Service backend mode

func TestTranslateServiceMode(t *testing.T) {
	alphaSvc := func(name, pool string, port int32) *corev1.Service {
		return wantService(name, pool, "inference.networking.x-k8s.io/v1alpha2", "uid-pool-"+pool, port,
			map[string]string{"app": pool})
	}
	v1Svc := func(name, pool string, port int32) *corev1.Service {
		return wantService(name, pool, "inference.networking.k8s.io/v1", "uid-v1pool-"+pool, port,
			map[string]string{"app": pool})
	}
	invalidPool := func(m string, p any, msg ...string) tcase {
		return tcase{
			name: "InvalidPool: " + m,
			cfg:  serviceMode,
			in:   input(model("m1", "llama"), p),
			want: []wantModel{unrouted("m1",
				unresolved("InvalidPool", append([]string{`"pool"`}, msg...)...), acceptedOK("llama"))},
		}
	}
	runCases(t, []tcase{
		{
			name: "routes point at shadow Services, one per pool, owned by the pool",
			cfg:  serviceMode,
			in: input(
				model("m1", "llama"),
				model("m2", "mistral", targets(tmw("a", 1), tmw("b", 3))),
				model("m3", "qwen", onPool("vpool"), poolGroup(v1Group)),
				model("m4", "phi", onPool("pool-b")),
				alphaPool("pool"), alphaPool("pool-b", aPort(8080), aNoUID(), aSelector("app", "b", "tier", "gpu")),
				v1Pool("vpool"),
				alphaPool("unused"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", rBackends(svcBackend(svcAlphaPool, 8000, 1)))),
				routed("m2", "mistral", wantRoute("m2", "mistral", rBackends(
					rewritten(svcBackend(svcAlphaPool, 8000, 1), "a"),
					rewritten(svcBackend(svcAlphaPool, 8000, 3), "b"),
				))),
				routedOn(testNS, "m3", "vpool", "qwen", wantRoute("m3", "qwen", rBackends(svcBackend(svcV1VPool, 9000, 1)))),
				routedOn(testNS, "m4", "pool-b", "phi", wantRoute("m4", "phi", rBackends(svcBackend(svcAlphaPoolB, 8080, 1)))),
			},
			svcs: []*corev1.Service{
				alphaSvc(svcAlphaPool, "pool", 8000),
				wantService(svcAlphaPoolB, "pool-b", "", "", 8080, map[string]string{"app": "b", "tier": "gpu"}),
				v1Svc(svcV1VPool, "vpool", 9000),
			},
		},
		{
			name: "alpha and v1 pools of one name get distinct Services",
			cfg:  serviceMode,
			in: input(
				model("m1", "llama"),
				model("m2", "mistral", poolGroup(v1Group)),
				alphaPool("pool"), v1Pool("pool"),
			),
			want: []wantModel{
				routed("m1", "llama", wantRoute("m1", "llama", rBackends(svcBackend(svcAlphaPool, 8000, 1)))),
				routed("m2", "mistral", wantRoute("m2", "mistral", rBackends(svcBackend(svcV1Pool, 9000, 1)))),
			},
			svcs: []*corev1.Service{alphaSvc(svcAlphaPool, "pool", 8000), v1Svc(svcV1Pool, "pool", 9000)},
		},
		{
			name: "Services sorted by namespace",
			cfg:  serviceMode,
			in: input(
				model("m1", "llama", inNS("ns-b"), parentsAnn("gw/b")),
				model("m1", "llama", inNS("ns-a"), parentsAnn("gw/a")),
				alphaPool("pool", aNS("ns-b"), aNoUID()), alphaPool("pool", aNS("ns-a"), aNoUID()),
			),
			want: []wantModel{
				routedOn("ns-a", "m1", "pool", "llama", wantRoute("m1", "llama", rNS("ns-a"), rParents(gw("gw", "a", "")),
					rBackends(svcBackend(svcAlphaPool, 8000, 1)))),
				routedOn("ns-b", "m1", "pool", "llama", wantRoute("m1", "llama", rNS("ns-b"), rParents(gw("gw", "b", "")),
					rBackends(svcBackend(svcAlphaPool, 8000, 1)))),
			},
			svcs: func() []*corev1.Service {
				a := wantService(svcAlphaPool, "pool", "", "", 8000, map[string]string{"app": "pool"})
				b := wantService(svcAlphaPool, "pool", "", "", 8000, map[string]string{"app": "pool"})
				a.Namespace, b.Namespace = "ns-a", "ns-b"
				return []*corev1.Service{a, b}
			}(),
		},
		{
			name: "model without parents still gets its route and Service",
			cfg: func(c *translate.Config) {
				serviceMode(c)
				c.ParentRefs = nil
			},
			in: input(model("m1", "llama"), alphaPool("pool")),
			want: []wantModel{{testNS, "m1",
				[]metav1.Condition{resolvedOK("pool"), acceptedOK("llama"), noParents("m1-modelroute")},
				wantRoute("m1", "llama", rParents(), rBackends(svcBackend(svcAlphaPool, 8000, 1)))}},
			svcs: []*corev1.Service{alphaSvc(svcAlphaPool, "pool", 8000)},
		},
		{
			name: "shadowed model's pool gets no Service",
			cfg:  serviceMode,
			in: input(
				model("old", "llama"),
				model("young", "llama", onPool("pool-b"), age(time.Hour)),
				alphaPool("pool"), alphaPool("pool-b"),
			),
			want: []wantModel{
				routed("old", "llama", wantRoute("old", "llama", rBackends(svcBackend(svcAlphaPool, 8000, 1)))),
				unrouted("young", resolvedOK("pool-b"), acceptedOK("llama"), shadowed("ns", "old", "pool")),
			},
			svcs: []*corev1.Service{alphaSvc(svcAlphaPool, "pool", 8000)},
		},
		{
			name: "rejected model's pool gets no Service",
			cfg:  serviceMode,
			in:   input(model("m1", ""), alphaPool("pool")),
			want: []wantModel{unrouted("m1", resolvedOK("pool"), rejected("InvalidModelName", "spec.modelName"))},
		},
		invalidPool("alpha target port 0", alphaPool("pool", aPort(0)), "target port"),
		invalidPool("alpha target port 65536", alphaPool("pool", aPort(65536)), "target port"),
		invalidPool("alpha empty selector", alphaPool("pool", aSelector()), "selector"),
		invalidPool("alpha bad selector key", alphaPool("pool", aSelector("bad key", "x")), "selector key"),
		invalidPool("alpha bad selector value", alphaPool("pool", aSelector("app", "bad value!")), "selector value"),
		{
			name: "InvalidPool: v1 pool without target ports",
			cfg:  serviceMode,
			in:   input(model("m1", "llama", poolGroup(v1Group)), v1Pool("pool", vNoPorts())),
			want: []wantModel{unrouted("m1", unresolved("InvalidPool", `"pool"`, "target port"), acceptedOK("llama"))},
		},
		{
			name: "InvalidPool: v1 pool with empty selector",
			cfg:  serviceMode,
			in:   input(model("m1", "llama", poolGroup(v1Group)), v1Pool("pool", vNoSelector())),
			want: []wantModel{unrouted("m1", unresolved("InvalidPool", `"pool"`, "selector"), acceptedOK("llama"))},
		},
		{
			name: "pool unfit for a Service is fine in inferencepool mode",
			in:   input(model("m1", "llama"), alphaPool("pool", aPort(0), aSelector())),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		},
	})
}

// ---------------------------------------------------------------------------
// Determinism

func TestTranslateDeterminism(t *testing.T) {
	in := input(
		model("m1", "llama", targets(tmw("a", 1), tmw("b", 2))),
		model("m2", "llama", age(time.Hour)),
		model("m3", "llama", onPool("pool-b"), age(2*time.Hour)),
		model("m4", "mistral", onPool("pool-b"), hostsAnn("*.example.com")),
		model("m5", "qwen", poolGroup(v1Group), parentsAnn("gw/x, gw/y/s")),
		model("m6", "phi", onPool("missing")),
		model("m7", "", poolKind("Service")),
		model("m1", "llama", inNS("other")),
		alphaPool("pool"), alphaPool("pool-b"), v1Pool("pool"),
		alphaPool("pool", aNS("other")),
	)
	for _, mode := range []string{"inferencepool", "service"} {
		t.Run(mode, func(t *testing.T) {
			cfg := config(func(c *translate.Config) {
				c.Backend = translate.BackendMode(mode)
				c.CriticalityHeader = critHeader
			})
			want, err := translate.Translate(in, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(0); seed < 50; seed++ {
				got, err := translate.Translate(shuffled(in, seed), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("seed %d: output depends on input order (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
}

func TestTranslateConfigListOrder(t *testing.T) {
	in := input(model("m1", "llama"), alphaPool("pool"))
	a := config(func(c *translate.Config) {
		c.PathPrefixes = []string{"/a", "/b", "/c"}
		c.ParentRefs = []gatewayv1.ParentReference{gw("gw", "a", ""), gw("gw", "b", "s"), gw("gw", "c", "")}
		c.Hostnames = []gatewayv1.Hostname{"a.example.com", "b.example.com", "*.example.net"}
	})
	b := config(func(c *translate.Config) {
		c.PathPrefixes = []string{"/c", "/a", "/b", "/a"}
		c.ParentRefs = []gatewayv1.ParentReference{gw("gw", "c", ""), gw("gw", "b", "s"), gw("gw", "a", ""), gw("gw", "c", "")}
		c.Hostnames = []gatewayv1.Hostname{"*.example.net", "b.example.com", "a.example.com", "b.example.com"}
	})
	want, err := translate.Translate(in, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := translate.Translate(in, b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output depends on config list order (-want +got):\n%s", diff)
	}
	// Translate must not reorder the caller's config.
	if diff := cmp.Diff([]string{"/c", "/a", "/b", "/a"}, b.PathPrefixes); diff != "" {
		t.Errorf("Translate modified cfg.PathPrefixes (-want +got):\n%s", diff)
	}
}

func TestTranslateDuplicateInputs(t *testing.T) {
	t.Run("identical duplicates collapse to one result", func(t *testing.T) {
		runCases(t, []tcase{{
			name: "models and pools twice",
			in:   input(model("m1", "llama"), model("m1", "llama"), alphaPool("pool"), alphaPool("pool")),
			want: []wantModel{routed("m1", "llama", wantRoute("m1", "llama"))},
		}})
	})
	t.Run("diverging duplicates: one result, same whatever the order", func(t *testing.T) {
		a := model("m1", "llama", gen(1))
		b := model("m1", "mistral", gen(2))
		c := model("m1", "qwen", gen(3), targets(tm("x")))
		pa := alphaPool("pool", aPort(1111))
		pb := alphaPool("pool", aPort(2222))
		cfg := config(serviceMode)
		orders := [][]any{
			{a, b, c, pa, pb}, {c, b, a, pb, pa}, {b, c, a, pa, pb}, {b, a, c, pb, pa}, {c, a, b, pa, pb},
		}
		var first translate.Output
		for i, objs := range orders {
			got, err := translate.Translate(input(objs...), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Models) != 1 || got.Models[0].Name != "m1" {
				t.Fatalf("order %d: got %d models, want one m1", i, len(got.Models))
			}
			if len(got.Services) != 1 {
				t.Fatalf("order %d: got %d services, want 1", i, len(got.Services))
			}
			if i == 0 {
				first = got
				continue
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("order %d (-want +got):\n%s", i, diff)
			}
		}
		// The kept copy is one of the inputs, used consistently.
		route := first.Models[0].Route
		mn := route.Spec.Rules[0].Matches[0].Headers[0].Value
		g := first.Models[0].Conditions[0].ObservedGeneration
		wantGen := map[string]int64{"llama": 1, "mistral": 2, "qwen": 3}[mn]
		if wantGen == 0 || g != wantGen {
			t.Errorf("kept modelName %q with generation %d: not one consistent input copy", mn, g)
		}
		port := first.Services[0].Spec.Ports[0].Port
		if bport := *route.Spec.Rules[0].BackendRefs[0].Port; port != 1111 && port != 2222 || int32(bport) != port {
			t.Errorf("service port %d, backend port %d: not one consistent pool copy", port, bport)
		}
	})
}

func TestTranslateInvalidConfig(t *testing.T) {
	got, err := translate.Translate(input(model("m1", "llama"), alphaPool("pool")),
		config(func(c *translate.Config) { c.Backend = "gateway" }))
	if err == nil || !strings.Contains(err.Error(), "--backend") {
		t.Errorf("Translate error = %v, want one naming --backend", err)
	}
	if diff := cmp.Diff(translate.Output{}, got); diff != "" {
		t.Errorf("output on error (-want +got):\n%s", diff)
	}
}

func TestTranslateWithDefaultConfig(t *testing.T) {
	cfg := translate.DefaultConfig()
	cfg.ParentRefs = []gatewayv1.ParentReference{gw("gw", "main", "")}
	got, err := translate.Translate(input(model("m1", "llama", targets(tm("lora"))), alphaPool("pool")), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, got, []wantModel{routed("m1", "llama", wantRoute("m1", "llama",
		rFilter(hdr(rewriteHeader, "lora"))))}, nil)
}

func TestModelResultCondition(t *testing.T) {
	r := translate.ModelResult{Conditions: []metav1.Condition{
		{Type: "ResolvedRefs", Reason: "a"}, {Type: "Accepted", Reason: "b"},
	}}
	if c := r.Condition("Accepted"); c == nil || c.Reason != "b" {
		t.Errorf("Condition(Accepted) = %v, want reason b", c)
	}
	if c := r.Condition("Programmed"); c != nil {
		t.Errorf("Condition(Programmed) = %v, want nil", c)
	}
}

// ---------------------------------------------------------------------------
// MergeConditions

func TestMergeConditions(t *testing.T) {
	old := metav1.NewTime(time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	c := func(typ string, status metav1.ConditionStatus, reason, msg string, gen int64, at metav1.Time) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen, LastTransitionTime: at}
	}
	crdDefault := c("Ready", metav1.ConditionUnknown, "Pending", "Waiting for controller", 0,
		metav1.NewTime(time.Unix(0, 0).UTC()))
	T, F, U := metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown

	tests := []struct {
		name               string
		existing, computed []metav1.Condition
		want               []metav1.Condition
	}{
		{
			name:     "nothing existing: all computed stamped with now",
			computed: []metav1.Condition{c("ResolvedRefs", T, "ResolvedRefs", "r", 1, metav1.Time{}), c("Accepted", T, "Accepted", "a", 1, metav1.Time{})},
			want:     []metav1.Condition{c("ResolvedRefs", T, "ResolvedRefs", "r", 1, now), c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name:     "CRD default Ready/Pending dropped",
			existing: []metav1.Condition{crdDefault},
			computed: []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name:     "CRD default dropped even with nothing computed",
			existing: []metav1.Condition{crdDefault},
			want:     []metav1.Condition{},
		},
		{
			name:     "a Ready condition that is not the default is someone else's: kept",
			existing: []metav1.Condition{c("Ready", T, "AllGood", "x", 2, old)},
			computed: []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Ready", T, "AllGood", "x", 2, old), c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name: "owned types absent from computed removed, foreign kept untouched",
			existing: []metav1.Condition{
				c("ResolvedRefs", T, "ResolvedRefs", "r", 1, old),
				c("Custom", F, "Whatever", "keep me", 3, old),
				c("Accepted", T, "Accepted", "a", 1, old),
				c("Programmed", U, "Pending", "p", 1, old),
			},
			computed: []metav1.Condition{
				c("ResolvedRefs", T, "ResolvedRefs", "r", 2, metav1.Time{}),
				c("Accepted", F, "InvalidModelName", "bad", 2, metav1.Time{}),
			},
			want: []metav1.Condition{
				c("ResolvedRefs", T, "ResolvedRefs", "r", 2, old),
				c("Custom", F, "Whatever", "keep me", 3, old),
				c("Accepted", F, "InvalidModelName", "bad", 2, now),
			},
		},
		{
			name:     "empty computed removes every owned type",
			existing: []metav1.Condition{c("ResolvedRefs", T, "ResolvedRefs", "r", 1, old), c("Accepted", T, "Accepted", "a", 1, old), c("Programmed", T, "Programmed", "p", 1, old), c("Custom", T, "X", "x", 1, old)},
			want:     []metav1.Condition{c("Custom", T, "X", "x", 1, old)},
		},
		{
			name:     "same status: lastTransitionTime kept, reason, message and generation updated",
			existing: []metav1.Condition{c("Programmed", F, "NoParentRefs", "old message", 1, old)},
			computed: []metav1.Condition{c("Programmed", F, "RouteShadowed", "new message", 5, metav1.Time{})},
			want:     []metav1.Condition{c("Programmed", F, "RouteShadowed", "new message", 5, old)},
		},
		{
			name:     "status change: lastTransitionTime set to now",
			existing: []metav1.Condition{c("Programmed", U, "Pending", "p", 1, old)},
			computed: []metav1.Condition{c("Programmed", F, "NoParentRefs", "n", 1, metav1.Time{})},
			want:     []metav1.Condition{c("Programmed", F, "NoParentRefs", "n", 1, now)},
		},
		{
			name:     "a lastTransitionTime on computed is ignored in favour of now",
			computed: []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, old)},
			want:     []metav1.Condition{c("Accepted", T, "Accepted", "a", 1, now)},
		},
		{
			name: "new owned types appended after existing ones in computed order",
			existing: []metav1.Condition{
				c("Custom", T, "X", "x", 1, old),
				c("Accepted", T, "Accepted", "a", 1, old),
				crdDefault,
			},
			computed: []metav1.Condition{
				c("ResolvedRefs", F, "PoolNotFound", "r", 1, metav1.Time{}),
				c("Accepted", T, "Accepted", "a", 1, metav1.Time{}),
				c("Programmed", U, "Pending", "p", 1, metav1.Time{}),
			},
			want: []metav1.Condition{
				c("Custom", T, "X", "x", 1, old),
				c("Accepted", T, "Accepted", "a", 1, old),
				c("ResolvedRefs", F, "PoolNotFound", "r", 1, now),
				c("Programmed", U, "Pending", "p", 1, now),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existingBefore := slices.Clone(tt.existing)
			computedBefore := slices.Clone(tt.computed)
			got := translate.MergeConditions(tt.existing, tt.computed, now)
			if diff := cmp.Diff(tt.want, got, emptyOK); diff != "" {
				t.Errorf("MergeConditions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(existingBefore, tt.existing, emptyOK); diff != "" {
				t.Errorf("MergeConditions modified existing (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(computedBefore, tt.computed, emptyOK); diff != "" {
				t.Errorf("MergeConditions modified computed (-before +after):\n%s", diff)
			}
		})
	}
}

// MergeConditions of Translate's own output twice in a row is stable.
func TestMergeConditionsIdempotent(t *testing.T) {
	out, err := translate.Translate(input(model("m1", "llama"), alphaPool("pool")), config())
	if err != nil {
		t.Fatal(err)
	}
	t1 := metav1.NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	t2 := metav1.NewTime(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	first := translate.MergeConditions(nil, out.Models[0].Conditions, t1)
	second := translate.MergeConditions(first, out.Models[0].Conditions, t2)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second merge changed conditions (-want +got):\n%s", diff)
	}
}

// With many contenders of one age the tie-break by name must hold whatever
// the sort algorithm does with equal keys.
func TestTranslateManyTies(t *testing.T) {
	t.Run("uniqueness", func(t *testing.T) {
		// Every third model (m01, m04, ...) is among the oldest; m01 wins.
		var objs []any
		var want []wantModel
		for i := range 40 {
			name := fmt.Sprintf("m%02d", i)
			d := time.Hour
			if i%3 == 1 {
				d = 0
			}
			objs = append(objs, model(name, "llama", age(d)))
			if i == 1 {
				want = append(want, routed(name, "llama", wantRoute(name, "llama")))
			} else {
				want = append(want, unrouted(name, resolvedOK("pool"), rejected("ModelNameInUse", `"m01"`)))
			}
		}
		objs = append(objs, alphaPool("pool"))
		runCases(t, []tcase{{name: "40 contenders, 14 of the oldest age", in: input(objs...), want: want}})
	})
	t.Run("shadowing", func(t *testing.T) {
		var objs []any
		var want []wantModel
		for i := range 40 {
			name, pool := fmt.Sprintf("m%02d", i), fmt.Sprintf("p%02d", i)
			d := time.Hour
			if i%3 == 1 {
				d = 0
			}
			objs = append(objs, model(name, "llama", onPool(pool), age(d)), alphaPool(pool))
			if i == 1 {
				want = append(want, routedOn(testNS, name, pool, "llama", wantRoute(name, "llama",
					rBackends(poolBackend(alphaGroup, pool, 1)))))
			} else {
				want = append(want, unrouted(name, resolvedOK(pool), acceptedOK("llama"), shadowed("ns", "m01", "p01")))
			}
		}
		runCases(t, []tcase{{name: "40 contenders, 14 of the oldest age", in: input(objs...), want: want}})
	})
}
