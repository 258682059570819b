package translate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// rewriteState carries one InferenceModelRewrite through the checks.
type rewriteState struct {
	rw       *v1alpha2.InferenceModelRewrite
	ref      poolKey
	kindOK   bool
	pool     *pool
	resolved metav1.Condition
	// invalid is Accepted=False from validation; nil when the spec is valid.
	invalid *metav1.Condition
	// rules are the rules left to route once catch-alls and models other
	// objects hold are taken out, in spec order.
	rules []rewriteRule
	// notes say what of the spec is not routed, and why.
	notes     []string
	parents   []gatewayv1.ParentReference
	hostnames []gatewayv1.Hostname
	accepted  metav1.Condition
	routed    bool
	// shadowed: older objects of other pools take every request its route
	// could match (RouteShadowed); it gets no route.
	shadowed bool
	// programmed is the Programmed condition translate decides itself.
	programmed *metav1.Condition
}

// rewriteRule is one rule of a rewrite as it is routed.
type rewriteRule struct {
	index   int      // in spec.rules
	models  []string // the exact matches this rule keeps
	targets []target
}

// groupOf is the API group an object was read from (its apiVersion).
func groupOf(apiVersion string) string {
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return ""
	}
	return group
}

// uniqueRewrites sorts rewrites by group, namespace and name, dropping
// duplicates. The two groups' objects of one name are distinct objects:
// both get status, and the route name decides between them like any two
// objects (see decideRewriteRouting).
func uniqueRewrites(in []v1alpha2.InferenceModelRewrite) []v1alpha2.InferenceModelRewrite {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b v1alpha2.InferenceModelRewrite) int {
		return cmp.Or(cmp.Compare(groupOf(a.APIVersion), groupOf(b.APIVersion)),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(canonical(a), canonical(b)))
	})
	return slices.CompactFunc(out, func(a, b v1alpha2.InferenceModelRewrite) bool {
		return groupOf(a.APIVersion) == groupOf(b.APIVersion) && a.Namespace == b.Namespace && a.Name == b.Name
	})
}

func checkRewrite(rw *v1alpha2.InferenceModelRewrite, pools map[poolKey]*pool, unservedGroups map[string]string, cfg Config) *rewriteState {
	s := &rewriteState{rw: rw}
	ref := rw.Spec.PoolRef
	// Unlike InferenceModel's, the successors' poolRef defaults to the v1 group.
	s.ref, s.kindOK, s.pool, s.resolved = resolvePool(rw.Generation, rw.Namespace,
		KindInferenceModelRewrite, string(ref.Group), string(ref.Kind), string(ref.Name), pools, unservedGroups, cfg)
	if reason, msg := validateRewrite(&rw.Spec, cfg); reason != "" {
		s.invalid = ptr.To(newCondition(rw.Generation, ConditionAccepted, metav1.ConditionFalse, reason, "%s", msg))
		return s
	}
	var reason, msg string
	s.parents, s.hostnames, reason, msg = routeSettings(KindInferenceModelRewrite, rw.Annotations, s.pool, cfg)
	if reason != "" {
		s.invalid = ptr.To(newCondition(rw.Generation, ConditionAccepted, metav1.ConditionFalse, reason, "%s", msg))
		return s
	}
	for i, r := range rw.Spec.Rules {
		if len(r.Matches) == 0 {
			s.notes = append(s.notes, fmt.Sprintf("rules[%d] is a catch-all (no matches): a route matches models by header and cannot express it, so no traffic is routed for it here", i))
			continue
		}
		rule := rewriteRule{index: i}
		for _, m := range r.Matches {
			if !slices.Contains(rule.models, m.Model.Value) {
				rule.models = append(rule.models, m.Model.Value)
			}
		}
		for _, t := range r.Targets {
			rule.targets = append(rule.targets, target{name: t.ModelRewrite, weight: cmp.Or(ptr.Deref(t.Weight, 0), 1)})
		}
		s.rules = append(s.rules, rule)
	}
	return s
}

// validateRewrite checks what upstream's schema does not (weights on all
// targets of a rule or none; names that can travel in a header) and what
// one HTTPRoute can hold. It returns the Accepted reason and a message
// naming the field, or "" when the spec is valid.
func validateRewrite(spec *v1alpha2.InferenceModelRewriteSpec, cfg Config) (reason, message string) {
	if len(spec.Rules) == 0 {
		return ReasonInvalidRules, "spec.rules is empty"
	}
	if len(spec.Rules) > MaxRulesPerRoute {
		return ReasonInvalidRules, fmt.Sprintf("spec.rules has %d rules; an HTTPRoute holds at most %d", len(spec.Rules), MaxRulesPerRoute)
	}
	prefixes := max(len(cfg.PathPrefixes), 1)
	matches := 0
	for i, r := range spec.Rules {
		field := fmt.Sprintf("spec.rules[%d]", i)
		if n := len(r.Matches) * prefixes; n > MaxMatchesPerRule {
			return ReasonInvalidRules, fmt.Sprintf("%s has %d matches, %d route matches with %d path prefixes; an HTTPRoute rule holds at most %d",
				field, len(r.Matches), n, prefixes, MaxMatchesPerRule)
		}
		matches += len(r.Matches) * prefixes
		for j, m := range r.Matches {
			if t := ptr.Deref(m.Model.Type, v1alpha2.MatchExact); t != v1alpha2.MatchExact {
				return ReasonInvalidRules, fmt.Sprintf("%s.matches[%d].model.type %q is not Exact", field, j, t)
			}
			if err := validHeaderValue(m.Model.Value, MaxHeaderValueLength); err != nil {
				return ReasonInvalidRules, fmt.Sprintf("%s.matches[%d].model.value %s", field, j, err)
			}
		}
		if len(r.Targets) == 0 {
			return ReasonInvalidRules, fmt.Sprintf("%s.targets is empty", field)
		}
		if len(r.Targets) > MaxBackendRefsPerRule {
			return ReasonInvalidRules, fmt.Sprintf("%s.targets has %d entries; an HTTPRoute rule holds at most %d backendRefs", field, len(r.Targets), MaxBackendRefsPerRule)
		}
		weighted := 0
		for j, t := range r.Targets {
			if err := validHeaderValue(t.ModelRewrite, MaxHeaderValueLength); err != nil {
				return ReasonInvalidRules, fmt.Sprintf("%s.targets[%d].modelRewrite %s", field, j, err)
			}
			if t.Weight != nil {
				weighted++
				if w := *t.Weight; w < MinTargetWeight || w > MaxTargetWeight {
					return ReasonInvalidRules, fmt.Sprintf("%s.targets[%d].weight must be %d to %d, not %d", field, j, MinTargetWeight, MaxTargetWeight, w)
				}
			}
		}
		if weighted != 0 && weighted != len(r.Targets) {
			return ReasonInvalidRules, fmt.Sprintf("%s.targets: weights must be set on all targets or on none (%d of %d have one)", field, weighted, len(r.Targets))
		}
	}
	if matches > MaxMatchesPerRoute {
		return ReasonInvalidRules, fmt.Sprintf("spec.rules have %d route matches in all; an HTTPRoute holds at most %d", matches, MaxMatchesPerRoute)
	}
	return "", ""
}

// claim is who holds a model name in a pool.
type claim struct {
	model   *modelState
	rewrite *rewriteState
	rule    int // the rule's index, for a rewrite
}

func (c claim) created() metav1.Time {
	if c.model != nil {
		return c.model.model.CreationTimestamp
	}
	return c.rewrite.rw.CreationTimestamp
}

func (c claim) describe() string {
	if c.model != nil {
		return fmt.Sprintf("InferenceModel %q", c.model.model.Name)
	}
	return fmt.Sprintf("rules[%d] of InferenceModelRewrite %q (%s)", c.rule, c.rewrite.rw.Name, groupOf(c.rewrite.rw.APIVersion))
}

// compareClaims orders claims by creation time; at one time models come
// before rewrites, then by group, namespace, name, and rule.
func compareClaims(a, b claim) int {
	if c := a.created().Compare(b.created().Time); c != 0 {
		return c
	}
	switch {
	case a.model != nil && b.model != nil:
		return cmp.Or(cmp.Compare(a.model.model.Namespace, b.model.model.Namespace), cmp.Compare(a.model.model.Name, b.model.model.Name))
	case a.model != nil:
		return -1
	case b.model != nil:
		return 1
	}
	x, y := a.rewrite.rw, b.rewrite.rw
	return cmp.Or(cmp.Compare(groupOf(x.APIVersion), groupOf(y.APIVersion)), cmp.Compare(x.Namespace, y.Namespace),
		cmp.Compare(x.Name, y.Name), cmp.Compare(a.rule, b.rule))
}

// decideModelClaims gives each model name of a pool to one object, by
// upstream's precedence (an Exact match beats a catch-all, then the oldest
// object, then the first rule), with InferenceModels taking part as
// objects of one Exact rule. A model that loses to a rewrite is not
// accepted (ModelNameInUse); a rewrite keeps the names it wins, and is not
// accepted when it wins none. Models that lose to models were decided by
// decideUniqueness already.
func decideModelClaims(models []*modelState, rewrites []*rewriteState) {
	claims := map[poolKey]map[string][]claim{}
	add := func(ref poolKey, name string, c claim) {
		if claims[ref] == nil {
			claims[ref] = map[string][]claim{}
		}
		claims[ref][name] = append(claims[ref][name], c)
	}
	for _, s := range models {
		if s.kindOK && s.accepted.Status == metav1.ConditionTrue {
			add(s.ref, s.model.Spec.ModelName, claim{model: s})
		}
	}
	for _, s := range rewrites {
		if !s.kindOK || s.invalid != nil {
			continue
		}
		for _, r := range s.rules {
			for _, name := range r.models {
				add(s.ref, name, claim{rewrite: s, rule: r.index})
			}
		}
	}
	lost := map[*rewriteState]map[int][]string{}
	for _, byName := range claims {
		for name, cs := range byName {
			slices.SortFunc(cs, compareClaims)
			winner := cs[0]
			for _, loser := range cs[1:] {
				if loser.model != nil {
					loser.model.accepted = ptr.To(condition(loser.model.model, ConditionAccepted, metav1.ConditionFalse, ReasonModelNameInUse,
						"modelName %q is already served from InferencePool %q by %s, which is older",
						name, loser.model.ref.Name, winner.describe()))
					continue
				}
				if lost[loser.rewrite] == nil {
					lost[loser.rewrite] = map[int][]string{}
				}
				lost[loser.rewrite][loser.rule] = append(lost[loser.rewrite][loser.rule], name)
				loser.rewrite.notes = append(loser.rewrite.notes, fmt.Sprintf("model %q of rules[%d] is served by %s, which takes precedence", name, loser.rule, winner.describe()))
			}
		}
	}
	for s, byRule := range lost {
		kept := s.rules[:0]
		for _, r := range s.rules {
			r.models = slices.DeleteFunc(r.models, func(name string) bool { return slices.Contains(byRule[r.index], name) })
			if len(r.models) > 0 {
				kept = append(kept, r)
			}
		}
		s.rules = kept
	}
}

// decideRewriteAcceptance sets Accepted on every rewrite.
func decideRewriteAcceptance(s *rewriteState) {
	rw := s.rw
	slices.Sort(s.notes)
	switch {
	case s.invalid != nil:
		s.accepted = *s.invalid
	case !s.kindOK:
		// The pool reference is wrong; ResolvedRefs says so.
		s.accepted = newCondition(rw.Generation, ConditionAccepted, metav1.ConditionTrue, ReasonAccepted, "the rules are valid")
	case len(s.rules) == 0 && len(s.notes) > 0:
		s.accepted = newCondition(rw.Generation, ConditionAccepted, metav1.ConditionFalse, ReasonNoRoutableRules,
			"no rule is left to route: %s", strings.Join(s.notes, "; "))
	case len(s.notes) > 0:
		s.accepted = newCondition(rw.Generation, ConditionAccepted, metav1.ConditionTrue, ReasonPartiallyAccepted,
			"%s routed; not routed: %s", countModels(s.rules), strings.Join(s.notes, "; "))
	default:
		s.accepted = newCondition(rw.Generation, ConditionAccepted, metav1.ConditionTrue, ReasonAccepted,
			"the rules are valid and %s unique in the pool", countModels(s.rules))
	}
}

func countModels(rules []rewriteRule) string {
	n := 0
	for _, r := range rules {
		n += len(r.models)
	}
	if n == 1 {
		return "1 model"
	}
	return fmt.Sprintf("%d models", n)
}

// decideRewriteRouting decides which accepted, resolved rewrites get a
// route. Their route names are "<name>-modelroute", as a model's: an
// older object of either kind keeps a name both would take (the younger
// gets RouteConflict), so that a rewrite replacing a model of the same
// name, as `modelroute migrate` writes them, takes over its route.
func decideRewriteRouting(models []*modelState, rewrites []*rewriteState) {
	holders := map[string][]claim{}
	for _, s := range models {
		if s.routed {
			key := s.model.Namespace + "/" + RouteName(s.model.Name)
			holders[key] = append(holders[key], claim{model: s})
		}
	}
	for _, s := range rewrites {
		if s.routable() && !s.shadowed {
			key := s.rw.Namespace + "/" + RouteName(s.rw.Name)
			holders[key] = append(holders[key], claim{rewrite: s})
		}
	}
	for _, hs := range holders {
		slices.SortFunc(hs, compareClaims)
		winner := hs[0]
		var winnerName string
		if winner.model != nil {
			winnerName = fmt.Sprintf("InferenceModel %q", winner.model.model.Name)
		} else {
			winnerName = fmt.Sprintf("InferenceModelRewrite %q (%s)", winner.rewrite.rw.Name, groupOf(winner.rewrite.rw.APIVersion))
		}
		for _, h := range hs {
			if h.rewrite != nil {
				s := h.rewrite
				if h != winner {
					s.programmed = ptr.To(newCondition(s.rw.Generation, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteConflict,
						"the generated HTTPRoute name %q is already taken by %s, which is older", RouteName(s.rw.Name), winnerName))
					continue
				}
				s.routed = true
				if len(s.parents) == 0 {
					s.programmed = ptr.To(newCondition(s.rw.Generation, ConditionProgrammed, metav1.ConditionFalse, ReasonNoParentRefs,
						"no parent Gateway is configured (flag --parent-ref or annotation %s): HTTPRoute %q attaches nowhere",
						AnnotationParentRefs, RouteName(s.rw.Name)))
				}
				continue
			}
			if h != winner {
				m := h.model
				m.routed = false
				m.programmed = ptr.To(condition(m.model, ConditionProgrammed, metav1.ConditionFalse, ReasonRouteConflict,
					"the generated HTTPRoute name %q is already taken by %s, which is older; rename this model",
					RouteName(m.model.Name), winnerName))
			}
		}
	}
}

// routable reports whether the rewrite may get a route: accepted, its pool
// resolved, and some rule left to route.
func (s *rewriteState) routable() bool {
	return s.accepted.Status == metav1.ConditionTrue && s.resolved.Status == metav1.ConditionTrue && len(s.rules) > 0
}

// buildRewriteRoute renders the HTTPRoute of a routed rewrite: one route
// rule per rewrite rule left to route, matching its models on the model
// header. Service mode splits like a model's targets (weighted backendRefs
// that set the rewrite header); inferencepool mode sends the models to the
// pool unsplit, since the endpoint picker splits from the same object and
// two splits must not stack.
func buildRewriteRoute(s *rewriteState, cfg Config) *gatewayv1.HTTPRoute {
	rw := s.rw
	route := routeShell(rw.Name, rw.Namespace, LabelInferenceModelRewrite, s.parents, s.hostnames)
	for _, r := range s.rules {
		route.Spec.Rules = append(route.Spec.Rules, rewriteRouteRule(s.pool, r, cfg))
	}
	if rw.UID != "" {
		route.OwnerReferences = []metav1.OwnerReference{controllerRef(rw.APIVersion, KindInferenceModelRewrite, rw.Name, rw.UID)}
	}
	return route
}

func rewriteRouteRule(p *pool, r rewriteRule, cfg Config) gatewayv1.HTTPRouteRule {
	rule := gatewayv1.HTTPRouteRule{}
	for _, name := range r.models {
		for _, prefix := range cfg.PathPrefixes {
			rule.Matches = append(rule.Matches, modelMatch(prefix, name, cfg))
		}
	}
	// No header a server or endpoint picker acts on passes as the client
	// sent it: the rewrite header is set (service mode) or removed
	// (inferencepool mode, where the endpoint picker reads the rewrite
	// object), the aliases and the criticality header, which a rewrite has
	// no value for, are removed.
	var set []gatewayv1.HTTPHeader
	remove := slices.Clone(cfg.RewriteHeaderAliases)
	if cfg.CriticalityHeader != "" {
		remove = append(remove, cfg.CriticalityHeader)
	}
	distinct := distinctNames(r.targets)
	split := cfg.Backend == BackendService && len(distinct) > 1
	switch {
	case cfg.RewriteHeader == "" || split:
	case cfg.Backend == BackendService && (len(r.models) != 1 || r.models[0] != distinct[0]):
		// As for a model: the header is set when the target differs from
		// the one name the rule matches, and removed when it is that name.
		set = append(set, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(cfg.RewriteHeader), Value: distinct[0]})
	default:
		remove = append(remove, cfg.RewriteHeader)
	}
	slices.Sort(remove)
	if len(set) > 0 || len(remove) > 0 {
		rule.Filters = []gatewayv1.HTTPRouteFilter{{
			Type:                  gatewayv1.HTTPRouteFilterRequestHeaderModifier,
			RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: set, Remove: slices.Compact(remove)},
		}}
	}
	if cfg.Backend != BackendService {
		rule.BackendRefs = []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: backendObject(p, cfg.Backend),
			Weight:                 ptr.To(int32(1)),
		}}}
		return rule
	}
	for _, t := range r.targets {
		rule.BackendRefs = append(rule.BackendRefs, targetBackendRef(p, t, split, cfg))
	}
	return rule
}
