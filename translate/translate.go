// Package translate decides, without any I/O, which HTTPRoutes (and shadow
// Services) the InferenceModels in scope should own and which status
// conditions they get. It is a pure function of its input: the same input,
// in any order, gives byte-identical output.
package translate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
)

// Input is everything translate looks at: the models in scope, the pools
// of both groups they may reference, and what the cluster says of the
// Gateways and of the routes modelroute controls.
type Input struct {
	Models []v1alpha2.InferenceModel
	// Rewrites are the InferenceModelRewrites of both groups, each with its
	// apiVersion (TypeMeta) saying which; llm-d.ai objects are read into
	// the legacy group's Go type, whose schema is theirs.
	Rewrites []v1alpha2.InferenceModelRewrite
	// Objectives are the InferenceObjectives of both groups, likewise.
	Objectives []v1alpha2.InferenceObjective
	AlphaPools []v1alpha2.InferencePool
	V1Pools    []inferencev1.InferencePool
	// UnservedPoolGroups are the InferencePool groups whose pools cannot be
	// read, each with why (its CRD is not installed, or does not serve the
	// version modelroute reads), so that a model referencing one is told.
	UnservedPoolGroups map[string]string
	// Cluster is what the cluster says; nil offline (render), where every
	// route is assumed admitted by every Gateway it names.
	Cluster *Cluster
}

// Cluster is what the cluster reports about the routes of the models in
// scope: it decides which routes serve traffic, and so which older model
// keeps a modelName from a younger one on a shared Gateway.
type Cluster struct {
	// Gateways are the Gateways that exist among those the routes name,
	// with their classes.
	Gateways []ParentGateway
	// Routes are the live HTTPRoutes of models in scope; their generation
	// and status.parents are read.
	Routes []gatewayv1.HTTPRoute
}

// ModelResult is what one InferenceModel, or one InferenceModelRewrite,
// should look like and own.
type ModelResult struct {
	Namespace string
	Name      string
	// APIVersion is a rewrite's (its group); empty for a model.
	APIVersion string
	// Conditions are the conditions as far as translate can tell without
	// writing the route (offline: the route is assumed written and not yet
	// judged by its Gateways), in a fixed order, without
	// lastTransitionTime. Observe gives them from what the controller saw.
	Conditions []metav1.Condition
	// Route is the HTTPRoute to own, or nil when the model gets none.
	Route *gatewayv1.HTTPRoute
	// EPPRewrite and EPPObjective are the model's InferenceModelRewrite and
	// InferenceObjective to own, in Config.EPPAPI's group (their
	// apiVersion), or nil (no --epp-api, no route, no criticality).
	EPPRewrite   *v1alpha2.InferenceModelRewrite
	EPPObjective *v1alpha2.InferenceObjective

	// What Observe decides from.
	generation int64
	checks     []metav1.Condition // ResolvedRefs and Accepted
	// decided is the Programmed condition translate decided itself
	// (RouteShadowed, RouteConflict, NoParentRefs); nil while it depends
	// on what the cluster says of the route.
	decided  *metav1.Condition
	gateways []ParentGateway
	kind     string // of the object, in messages; InferenceModel when empty
}

// Output is the result for every model (sorted by namespace and name),
// every rewrite and objective (sorted by group, namespace and name), and
// the shadow Services to own in service mode (sorted by namespace and
// name).
type Output struct {
	Models     []ModelResult
	Rewrites   []ModelResult
	Objectives []ObjectiveResult
	Services   []*corev1.Service
}

// Condition returns the result's condition of type t, or nil.
func (r ModelResult) Condition(t string) *metav1.Condition {
	for i := range r.Conditions {
		if r.Conditions[i].Type == t {
			return &r.Conditions[i]
		}
	}
	return nil
}

// Translator translates with a configuration validated once, so that
// Translate cannot fail.
type Translator struct {
	cfg Config
}

// NewTranslator validates cfg; the error names the flag at fault.
func NewTranslator(cfg Config) (*Translator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Translator{cfg: cfg.normalized()}, nil
}

// Config is the translator's configuration, normalized.
func (t *Translator) Config() Config { return t.cfg }

// modelState carries one model through the checks.
type modelState struct {
	model     *v1alpha2.InferenceModel
	ref       poolKey
	kindOK    bool
	pool      *pool
	resolved  metav1.Condition
	accepted  *metav1.Condition // set once decided
	parents   []gatewayv1.ParentReference
	hostnames []gatewayv1.Hostname
	// routed: the model gets a route; programmed, when set, is the
	// Programmed condition translate decides itself.
	routed     bool
	programmed *metav1.Condition
}

// Translate computes the desired state for every model in in. Every
// problem with the objects becomes a condition.
func (t *Translator) Translate(in Input) Output {
	cfg := t.cfg
	pools := indexPools(in)
	models := uniqueModels(in.Models)

	states := make([]*modelState, len(models))
	for i := range models {
		states[i] = checkModel(&models[i], pools, in.UnservedPoolGroups, cfg)
	}
	decideUniqueness(states)
	rewrites := uniqueRewrites(slices.DeleteFunc(slices.Clone(in.Rewrites), func(rw v1alpha2.InferenceModelRewrite) bool {
		return EmittedForModel(&rw)
	}))
	rewriteStates := make([]*rewriteState, len(rewrites))
	for i := range rewrites {
		rewriteStates[i] = checkRewrite(&rewrites[i], pools, in.UnservedPoolGroups, cfg)
	}
	decideModelClaims(states, rewriteStates)
	for _, s := range rewriteStates {
		decideRewriteAcceptance(s)
	}
	decideRouting(states, rewriteStates, in.Cluster, cfg)
	decideRewriteRouting(states, rewriteStates)

	var gateways []ParentGateway
	if in.Cluster != nil {
		gateways = in.Cluster.Gateways
	}
	out := Output{Models: make([]ModelResult, 0, len(states))}
	services := map[poolKey]*corev1.Service{}
	addService := func(p *pool) {
		if cfg.Backend == BackendService {
			if _, done := services[p.key]; !done {
				services[p.key] = buildService(p)
			}
		}
	}
	for _, s := range states {
		res := ModelResult{
			Namespace:  s.model.Namespace,
			Name:       s.model.Name,
			generation: s.model.Generation,
			checks:     []metav1.Condition{s.resolved, *s.accepted},
			decided:    s.programmed,
			gateways:   gateways,
		}
		if s.routed {
			res.Route = buildRoute(s, cfg)
			addService(s.pool)
			if cfg.EPPAPI != "" {
				res.EPPRewrite, res.EPPObjective = emittedSuccessors(s, cfg)
			}
		}
		res.Conditions = res.Observe(Observation{})
		out.Models = append(out.Models, res)
	}
	for _, s := range rewriteStates {
		res := ModelResult{
			Namespace:  s.rw.Namespace,
			Name:       s.rw.Name,
			APIVersion: s.rw.APIVersion,
			generation: s.rw.Generation,
			checks:     []metav1.Condition{s.resolved, s.accepted},
			decided:    s.programmed,
			gateways:   gateways,
			kind:       KindInferenceModelRewrite,
		}
		if s.routed {
			res.Route = buildRewriteRoute(s, cfg)
			addService(s.pool)
		}
		res.Conditions = res.Observe(Observation{})
		out.Rewrites = append(out.Rewrites, res)
	}
	out.Objectives = checkObjectives(in.Objectives, pools, in.UnservedPoolGroups)
	for _, svc := range services {
		out.Services = append(out.Services, svc)
	}
	slices.SortFunc(out.Services, func(a, b *corev1.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// normalized returns cfg with its lists sorted and deduplicated, so that
// flag order never changes the output.
func (cfg Config) normalized() Config {
	cfg.PathPrefixes = dedupe(cfg.PathPrefixes)
	cfg.ParentRefs = normalizeParentRefs(cfg.ParentRefs)
	cfg.Hostnames = normalizeHostnames(cfg.Hostnames)
	cfg.RewriteHeaderAliases = dedupe(cfg.RewriteHeaderAliases)
	return cfg
}

func indexPools(in Input) map[poolKey]*pool {
	all := make([]pool, 0, len(in.AlphaPools)+len(in.V1Pools))
	for i := range in.AlphaPools {
		all = append(all, alphaPool(&in.AlphaPools[i]))
	}
	for i := range in.V1Pools {
		all = append(all, v1Pool(&in.V1Pools[i]))
	}
	idx := make(map[poolKey]*pool, len(all))
	for i := range all {
		p := &all[i]
		if prev, ok := idx[p.key]; ok && canonical(prev.source) <= canonical(p.source) {
			continue // duplicate input: keep the same one whatever the order
		}
		idx[p.key] = p
	}
	return idx
}

// uniqueModels sorts models by namespace and name and drops duplicates,
// keeping the same copy whatever the input order.
func uniqueModels(in []v1alpha2.InferenceModel) []v1alpha2.InferenceModel {
	// Sorting indexes, not the (large) models themselves.
	order := make([]int, len(in))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &in[i], &in[j]
		if c := cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name)); c != 0 {
			return c
		}
		// Only duplicates get here: canonical is costly.
		return cmp.Compare(canonical(a), canonical(b))
	})
	models := make([]v1alpha2.InferenceModel, 0, len(in))
	for _, i := range order {
		if n := len(models); n > 0 && models[n-1].Namespace == in[i].Namespace && models[n-1].Name == in[i].Name {
			continue
		}
		models = append(models, in[i])
	}
	return models
}

// canonical is a total order key for duplicate inputs; only consulted when
// two objects share a name.
func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func condition(model *v1alpha2.InferenceModel, t string, status metav1.ConditionStatus, reason, format string, args ...any) metav1.Condition {
	return newCondition(model.Generation, t, status, reason, format, args...)
}

// newCondition is a condition about generation, its message capped at
// MaxConditionMessage.
func newCondition(generation int64, t string, status metav1.ConditionStatus, reason, format string, args ...any) metav1.Condition {
	return metav1.Condition{
		Type:               t,
		Status:             status,
		ObservedGeneration: generation,
		Reason:             reason,
		Message:            Truncate(fmt.Sprintf(format, args...), MaxConditionMessage),
	}
}

// checkModel runs the per-model checks: the pool reference, then the spec
// and the route settings that annotations may override.
func checkModel(m *v1alpha2.InferenceModel, pools map[poolKey]*pool, unservedGroups map[string]string, cfg Config) *modelState {
	s := &modelState{model: m}
	ref := m.Spec.PoolRef
	s.ref, s.kindOK, s.pool, s.resolved = resolvePool(m.Generation, m.Namespace,
		KindInferenceModel, string(ref.Group), string(ref.Kind), string(ref.Name), pools, unservedGroups, cfg)

	if reason, msg := validateSpec(&m.Spec); reason != "" {
		s.accepted = ptr.To(condition(m, ConditionAccepted, metav1.ConditionFalse, reason, "%s", msg))
		return s
	}
	if reason, msg := s.resolveRouteSettings(cfg); reason != "" {
		s.accepted = ptr.To(condition(m, ConditionAccepted, metav1.ConditionFalse, reason, "%s", msg))
	}
	return s
}

// resolvePool resolves the poolRef of an object of generation gen in
// namespace ns, of kind objKind (rawGroup as written, defaulted as
// objKind's): the pool, whether its kind and group are supported, and the
// ResolvedRefs condition.
func resolvePool(gen int64, ns, objKind, rawGroup, kind, name string, pools map[poolKey]*pool, unservedGroups map[string]string, cfg Config) (poolKey, bool, *pool, metav1.Condition) {
	group := PoolGroupOf(objKind, rawGroup)
	kind = cmp.Or(kind, KindInferencePool)
	ref := poolKey{Namespace: ns, Group: group, Name: name}
	kindOK := kind == KindInferencePool && isPoolGroup(group)
	switch {
	case !kindOK:
		return ref, false, nil, newCondition(gen, ConditionResolvedRefs, metav1.ConditionFalse, ReasonInvalidKind,
			"poolRef kind %q of group %q is not supported: it must be an InferencePool of group %s or %s",
			kind, rawGroup, GroupInferenceAlpha, GroupInferenceV1)
	case pools[ref] == nil && unservedGroups[group] != "":
		return ref, true, nil, newCondition(gen, ConditionResolvedRefs, metav1.ConditionFalse, ReasonPoolNotFound,
			"InferencePool %q (group %s) cannot be read: %s (restart modelroute once it is)",
			name, group, unservedGroups[group])
	case pools[ref] == nil:
		return ref, true, nil, newCondition(gen, ConditionResolvedRefs, metav1.ConditionFalse, ReasonPoolNotFound,
			"InferencePool %q (group %s) not found in namespace %q", name, group, ns)
	}
	p := pools[ref]
	if cfg.Backend == BackendService {
		if err := serviceablePool(p); err != nil {
			return ref, true, p, newCondition(gen, ConditionResolvedRefs, metav1.ConditionFalse, ReasonInvalidPool,
				"InferencePool %q (group %s) cannot back a Service: %v", name, group, err)
		}
	}
	return ref, true, p, newCondition(gen, ConditionResolvedRefs, metav1.ConditionTrue, ReasonResolvedRefs,
		"poolRef resolves to InferencePool %q (group %s)", name, group)
}

// resolveRouteSettings picks parent refs and hostnames: the model's
// annotation, else its pool's, else the configured ones.
func (s *modelState) resolveRouteSettings(cfg Config) (reason, message string) {
	s.parents, s.hostnames, reason, message = routeSettings("InferenceModel", s.model.Annotations, s.pool, cfg)
	return reason, message
}

// routeSettings picks the parent refs and hostnames of the route of an
// object of kind with annotations: its annotation, else its pool's, else
// the configured ones.
func routeSettings(kind string, annotations map[string]string, p *pool, cfg Config) (parents []gatewayv1.ParentReference, hostnames []gatewayv1.Hostname, reason, message string) {
	annotation := func(key string) (source, value string, ok bool) {
		if v, ok := annotations[key]; ok {
			return kind, v, true
		}
		if p != nil {
			if v, ok := p.annotations[key]; ok {
				return fmt.Sprintf("InferencePool %q", p.key.Name), v, true
			}
		}
		return "", "", false
	}
	parents = cfg.ParentRefs
	if parentSrc, parentList, ok := annotation(AnnotationParentRefs); ok {
		refs, err := ParseParentRefs(parentList)
		if err != nil {
			return nil, nil, ReasonInvalidParentRefs, fmt.Sprintf("%s annotation %s: %v", parentSrc, AnnotationParentRefs, err)
		}
		parents = normalizeParentRefs(refs)
		if len(parents) > MaxParentRefs {
			return nil, nil, ReasonTooManyParentRefs, fmt.Sprintf("%s annotation %s names %d parents; an HTTPRoute allows at most %d",
				parentSrc, AnnotationParentRefs, len(parents), MaxParentRefs)
		}
	}
	hostnames = cfg.Hostnames
	if hostSrc, hostList, ok := annotation(AnnotationHostnames); ok {
		hosts, err := ParseHostnames(hostList)
		if err != nil {
			return nil, nil, ReasonInvalidHostnames, fmt.Sprintf("%s annotation %s: %v", hostSrc, AnnotationHostnames, err)
		}
		hostnames = normalizeHostnames(hosts)
		if len(hostnames) > MaxHostnames {
			return nil, nil, ReasonTooManyHostnames, fmt.Sprintf("%s annotation %s names %d hostnames; an HTTPRoute allows at most %d",
				hostSrc, AnnotationHostnames, len(hostnames), MaxHostnames)
		}
	}
	return parents, hostnames, "", ""
}

// decideUniqueness gives modelName to the oldest valid model of each pool
// (ties broken by name) and ModelNameInUse to the others.
func decideUniqueness(states []*modelState) {
	type contest struct {
		pool      poolKey
		modelName string
	}
	groups := map[contest][]*modelState{}
	var order []contest
	for _, s := range states {
		if !s.kindOK || s.accepted != nil {
			if s.accepted == nil {
				s.accepted = ptr.To(acceptedCondition(s.model))
			}
			continue
		}
		c := contest{pool: s.ref, modelName: s.model.Spec.ModelName}
		if _, ok := groups[c]; !ok {
			order = append(order, c)
		}
		groups[c] = append(groups[c], s)
	}
	for _, c := range order {
		contenders := groups[c]
		slices.SortFunc(contenders, olderFirst)
		winner := contenders[0]
		winner.accepted = ptr.To(acceptedCondition(winner.model))
		for _, loser := range contenders[1:] {
			loser.accepted = ptr.To(condition(loser.model, ConditionAccepted, metav1.ConditionFalse, ReasonModelNameInUse,
				"modelName %q is already served from InferencePool %q by InferenceModel %q, which is older",
				c.modelName, c.pool.Name, winner.model.Name))
		}
	}
}

func acceptedCondition(m *v1alpha2.InferenceModel) metav1.Condition {
	return condition(m, ConditionAccepted, metav1.ConditionTrue, ReasonAccepted,
		"modelName %q is valid and unique in its pool", m.Spec.ModelName)
}

// olderFirst orders by creation time, then namespace, then name.
func olderFirst(a, b *modelState) int {
	ta, tb := a.model.CreationTimestamp.Time, b.model.CreationTimestamp.Time
	return cmp.Or(ta.Compare(tb), cmp.Compare(a.model.Namespace, b.model.Namespace), cmp.Compare(a.model.Name, b.model.Name))
}

// decideRouting decides which accepted, resolved models get a route, and
// the Programmed condition of those translate can decide alone:
// RouteConflict (no route: an older model's route has the same name),
// NoParentRefs (a route that attaches nowhere), or RouteShadowed (no
// route: older objects of other pools serve the same modelName on every
// listener and hostname this one would, so it could never get traffic).
// Rewrites take part in the shadowing, oldest first with the models: a
// rewrite every model name of which is shadowed gets RouteShadowed too
// (decideRewriteRouting then gives it no route). The others wait for what
// the cluster says of their route (Observe).
func decideRouting(states []*modelState, rewrites []*rewriteState, cluster *Cluster, cfg Config) {
	var routable []claim
	for _, s := range states {
		if s.accepted.Status == metav1.ConditionTrue && s.resolved.Status == metav1.ConditionTrue {
			routable = append(routable, claim{model: s})
		}
	}
	for _, s := range rewrites {
		if s.routable() && len(s.parents) > 0 {
			routable = append(routable, claim{rewrite: s})
		}
	}
	slices.SortFunc(routable, compareClaims)
	winners := map[string][]*routeClaim{}
	routeNames := map[string]*modelState{}
	for _, c := range routable {
		if c.rewrite != nil {
			decideRewriteShadowing(c.rewrite, winners, cluster, cfg)
			continue
		}
		s := c.model
		m := s.model
		// Distinct long names can cut and hash to one route name; the older
		// model keeps it.
		routeKey := m.Namespace + "/" + RouteName(m.Name)
		if other, taken := routeNames[routeKey]; taken {
			s.programmed = ptr.To(condition(m, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteConflict,
				"the generated HTTPRoute name %q is already taken by InferenceModel %q, which is older; rename this model",
				RouteName(m.Name), other.model.Name))
			continue
		}
		routeNames[routeKey] = s
		if len(s.parents) == 0 {
			s.routed = true
			s.programmed = ptr.To(condition(m, ConditionProgrammed, metav1.ConditionFalse, ReasonNoParentRefs,
				"no parent Gateway is configured (flag --parent-ref or annotation %s): HTTPRoute %q attaches nowhere",
				AnnotationParentRefs, RouteName(m.Name)))
			continue
		}
		claim := s.claim(cfg)
		if w := shadowedBy(claim, winners[m.Spec.ModelName], cluster, cfg); w != nil {
			s.programmed = ptr.To(condition(m, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteShadowed,
				"modelName %q is already routed on every Gateway listener and hostname of this model by %s",
				m.Spec.ModelName, shadowerOf(w)))
			continue
		}
		s.routed = true
		winners[m.Spec.ModelName] = append(winners[m.Spec.ModelName], claim)
	}
}

// decideRewriteShadowing adds the model names of s that older objects do
// not shadow to winners. When every one is shadowed, s gets RouteShadowed
// and no route; names shadowed among others stay in its route, as a
// model that keeps some traffic keeps its route.
func decideRewriteShadowing(s *rewriteState, winners map[string][]*routeClaim, cluster *Cluster, cfg Config) {
	claim := s.claim(cfg)
	var kept []string
	var first *routeClaim
	for _, r := range s.rules {
		for _, name := range r.models {
			if w := shadowedBy(claim, winners[name], cluster, cfg); w != nil {
				first = cmp.Or(first, w)
				continue
			}
			kept = append(kept, name)
		}
	}
	if len(kept) == 0 {
		s.shadowed = true
		s.programmed = ptr.To(newCondition(s.rw.Generation, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteShadowed,
			"every model name of this rewrite is already routed on every Gateway listener and hostname of it by %s", shadowerOf(first)))
		return
	}
	for _, name := range kept {
		winners[name] = append(winners[name], claim)
	}
}

// shadowerOf names the older object that shadows another, for its
// condition.
func shadowerOf(w *routeClaim) string {
	if w.model != nil {
		return fmt.Sprintf("older InferenceModels of other pools, such as %s/%s of InferencePool %q",
			w.model.model.Namespace, w.model.model.Name, w.pool.key.Name)
	}
	return fmt.Sprintf("older objects of other pools, such as InferenceModelRewrite %s/%s (%s) of InferencePool %q",
		w.rewrite.rw.Namespace, w.rewrite.rw.Name, groupOf(w.rewrite.rw.APIVersion), w.pool.key.Name)
}
