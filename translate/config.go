package translate

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// BackendMode selects what the generated backendRefs point at.
type BackendMode string

const (
	// BackendInferencePool points backendRefs at the InferencePool itself;
	// the Gateway must support InferencePool backends.
	BackendInferencePool BackendMode = "inferencepool"
	// BackendService points backendRefs at a headless shadow Service per
	// pool, which any Gateway API implementation understands.
	BackendService BackendMode = "service"
)

// Defaults of Config.
const (
	DefaultModelHeader   = "X-Gateway-Model-Name"
	DefaultRewriteHeader = "X-Gateway-Model-Name-Rewrite"
	// DefaultRewriteHeaderAlias is the header llm-d's router (v0.9 and
	// later) reads the target from before DefaultRewriteHeader.
	DefaultRewriteHeaderAlias = "x-llm-d-model-name-rewrite"
	DefaultPathPrefix         = "/"
)

// Annotations that override the configured parent refs and hostnames. The
// model's annotation wins over its pool's, the pool's over Config.
const (
	AnnotationParentRefs = AnnotationPrefix + "parent-refs"
	AnnotationHostnames  = AnnotationPrefix + "hostnames"
)

// AnnotationPrefix starts every annotation and label key of modelroute's
// own (but app.kubernetes.io/managed-by).
const AnnotationPrefix = "modelroute.dev/"

// Config is how InferenceModels become HTTPRoutes. The same values drive
// `modelroute render` and `modelroute controller`.
type Config struct {
	// ModelHeader is the request header that carries the model name, as
	// written by Body-Based Routing.
	ModelHeader string
	// RewriteHeader is set to the chosen target model; empty disables
	// target delivery. A route that does not set it removes it, so that a
	// client cannot pick the target.
	RewriteHeader string
	// RewriteHeaderAliases are other headers a model server or endpoint
	// picker may take the target from; every route removes them, whatever
	// a client sent.
	RewriteHeaderAliases []string
	// CriticalityHeader, when not empty, is set to the model's criticality.
	CriticalityHeader string
	// ParentRefs are the Gateways routes attach to unless annotations say
	// otherwise.
	ParentRefs []gatewayv1.ParentReference
	// Hostnames of the routes unless annotations say otherwise.
	Hostnames []gatewayv1.Hostname
	// PathPrefixes each become one match of the route's rule.
	PathPrefixes []string
	// Backend selects InferencePool or shadow Service backendRefs.
	Backend BackendMode
	// EPPAPI, when not empty, is the API group (GroupLLMD or
	// GroupInferenceAlpha) in which each model also gets an owned
	// InferenceModelRewrite, and an owned InferenceObjective when it sets a
	// criticality, for an endpoint picker that reads those rather than
	// InferenceModels; its route then sends the model to the pool unsplit.
	// inferencepool mode only.
	EPPAPI string
}

// The headers an endpoint picker takes a request's InferenceObjective
// from: llm-d's router reads the first, GIE's endpoint picker the second
// (its name before the move to llm-d.ai).
const (
	ObjectiveHeaderLLMD   = "x-llm-d-inference-objective"
	ObjectiveHeaderLegacy = "x-gateway-inference-objective"
)

// ObjectiveHeaders are the objective headers every route removes, but the
// one it sets.
var ObjectiveHeaders = []string{ObjectiveHeaderLegacy, ObjectiveHeaderLLMD}

// ObjectiveHeaderOf is the header that names the objective to an endpoint
// picker of group.
func ObjectiveHeaderOf(group string) string {
	if group == GroupLLMD {
		return ObjectiveHeaderLLMD
	}
	return ObjectiveHeaderLegacy
}

// DefaultConfig returns the configuration used when no flag is given.
func DefaultConfig() Config {
	return Config{
		ModelHeader:          DefaultModelHeader,
		RewriteHeader:        DefaultRewriteHeader,
		RewriteHeaderAliases: []string{DefaultRewriteHeaderAlias},
		PathPrefixes:         []string{DefaultPathPrefix},
		Backend:              BackendInferencePool,
	}
}

// Validate reports the first problem that makes cfg unusable, naming the
// flag that carries it.
func (cfg Config) Validate() error {
	if err := validHeaderName(cfg.ModelHeader); err != nil {
		return fmt.Errorf("--model-header: %w", err)
	}
	seen := map[string]string{strings.ToLower(cfg.ModelHeader): "--model-header"}
	for _, h := range []struct{ flag, name string }{
		{"--rewrite-header", cfg.RewriteHeader},
		{"--criticality-header", cfg.CriticalityHeader},
	} {
		if h.name == "" {
			continue
		}
		if err := validHeaderName(h.name); err != nil {
			return fmt.Errorf("%s: %w", h.flag, err)
		}
		if other, ok := seen[strings.ToLower(h.name)]; ok {
			return fmt.Errorf("%s: header %q is already used by %s", h.flag, h.name, other)
		}
		seen[strings.ToLower(h.name)] = h.flag
	}
	for _, alias := range cfg.RewriteHeaderAliases {
		if err := validHeaderName(alias); err != nil {
			return fmt.Errorf("--rewrite-header-alias: %w", err)
		}
		if other, ok := seen[strings.ToLower(alias)]; ok {
			return fmt.Errorf("--rewrite-header-alias: header %q is already used by %s", alias, other)
		}
		seen[strings.ToLower(alias)] = "--rewrite-header-alias"
	}
	// A route removes every alias and, when it does not set it, the
	// rewrite header: all in one filter's list.
	if n := len(cfg.RewriteHeaderAliases); n > MaxHeaderRemoves-1 {
		return fmt.Errorf("--rewrite-header-alias: %d aliases exceed %d, as a route removes them and the rewrite header in one filter of at most %d", n, MaxHeaderRemoves-1, MaxHeaderRemoves)
	}
	switch cfg.Backend {
	case BackendInferencePool, BackendService:
	default:
		return fmt.Errorf("--backend: %q is neither %q nor %q", cfg.Backend, BackendInferencePool, BackendService)
	}
	switch cfg.EPPAPI {
	case "":
	case GroupLLMD, GroupInferenceAlpha:
		if cfg.Backend != BackendInferencePool {
			return fmt.Errorf("--epp-api: only an endpoint picker reads InferenceModelRewrites and InferenceObjectives, and only --backend=%s routes to one", BackendInferencePool)
		}
		for _, h := range ObjectiveHeaders {
			if other, ok := seen[strings.ToLower(h)]; ok {
				return fmt.Errorf("--epp-api: its objective header %q is already used by %s", h, other)
			}
		}
		if n := len(cfg.RewriteHeaderAliases); n > MaxHeaderRemoves-1-len(ObjectiveHeaders) {
			return fmt.Errorf("--rewrite-header-alias: %d aliases exceed %d, as with --epp-api a route removes them, the rewrite header and %d objective headers in one filter of at most %d",
				n, MaxHeaderRemoves-1-len(ObjectiveHeaders), len(ObjectiveHeaders), MaxHeaderRemoves)
		}
	default:
		return fmt.Errorf("--epp-api: %q is neither %q nor %q", cfg.EPPAPI, GroupLLMD, GroupInferenceAlpha)
	}
	if len(cfg.PathPrefixes) == 0 {
		return fmt.Errorf("--path-prefix: at least one is required")
	}
	if n := len(dedupe(cfg.PathPrefixes)); n > MaxMatchesPerRule {
		return fmt.Errorf("--path-prefix: %d prefixes exceed the Gateway API limit of %d matches per rule", n, MaxMatchesPerRule)
	}
	for _, p := range cfg.PathPrefixes {
		if err := validPathPrefix(p); err != nil {
			return fmt.Errorf("--path-prefix %q: %w", p, err)
		}
	}
	if err := validParentRefs(cfg.ParentRefs); err != nil {
		return fmt.Errorf("--parent-ref: %w", err)
	}
	if err := validHostnames(cfg.Hostnames); err != nil {
		return fmt.Errorf("--hostname: %w", err)
	}
	return nil
}

// ParseParentRef parses NAMESPACE/NAME[/SECTION] into a Gateway parent
// reference with every defaultable field written out.
func ParseParentRef(s string) (gatewayv1.ParentReference, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return gatewayv1.ParentReference{}, fmt.Errorf("%q is not NAMESPACE/NAME[/SECTION]", s)
	}
	ref := gatewayv1.ParentReference{
		Group:     ptr.To(gatewayv1.Group(gatewayv1.GroupName)),
		Kind:      ptr.To(gatewayv1.Kind("Gateway")),
		Namespace: ptr.To(gatewayv1.Namespace(parts[0])),
		Name:      gatewayv1.ObjectName(parts[1]),
	}
	if len(parts) == 3 {
		ref.SectionName = ptr.To(gatewayv1.SectionName(parts[2]))
	}
	if err := validParentRef(ref); err != nil {
		return gatewayv1.ParentReference{}, fmt.Errorf("%q: %w", s, err)
	}
	return ref, nil
}

// ParseParentRefs parses a comma-separated list of parent references.
func ParseParentRefs(list string) ([]gatewayv1.ParentReference, error) {
	var refs []gatewayv1.ParentReference
	for _, item := range splitList(list) {
		ref, err := ParseParentRef(item)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// ParseHostnames parses a comma-separated list of hostnames.
func ParseHostnames(list string) ([]gatewayv1.Hostname, error) {
	var hosts []gatewayv1.Hostname
	for _, item := range splitList(list) {
		if err := validHostname(item); err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		hosts = append(hosts, gatewayv1.Hostname(item))
	}
	return hosts, nil
}

func splitList(list string) []string {
	var out []string
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func dedupe(items []string) []string {
	out := slices.Clone(items)
	slices.Sort(out)
	return slices.Compact(out)
}
