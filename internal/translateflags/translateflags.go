// Package translateflags binds the translation settings (translate.Config)
// to command-line flags, for every command that translates: `modelroute
// render`, `modelroute controller` and the demo, so that all of them read a
// cluster the same way.
package translateflags

import (
	"flag"
	"fmt"
	"strings"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/translate"
)

// StringList is a repeatable string flag.
type StringList []string

func (l *StringList) String() string     { return strings.Join(*l, ",") }
func (l *StringList) Set(v string) error { *l = append(*l, v); return nil }

// Flags are the bound translation flags.
type Flags struct {
	defaults     translate.Config
	cfg          translate.Config
	backend      string
	parentRefs   StringList
	hostnames    StringList
	pathPrefixes StringList
	aliases      StringList
	// allowAuto lets --epp-api be AutoEPPAPI, which only a command that
	// reads the cluster can resolve.
	allowAuto bool
}

// AutoEPPAPI as --epp-api lets the controller pick the group the cluster
// serves.
const AutoEPPAPI = "auto"

// AllowAutoEPPAPI accepts --epp-api=auto: the caller resolves it.
func (f *Flags) AllowAutoEPPAPI() { f.allowAuto = true }

// Bind registers the translation flags on fs with translate.DefaultConfig()
// as their defaults.
func Bind(fs *flag.FlagSet) *Flags {
	return BindWithDefaults(fs, translate.DefaultConfig())
}

// BindWithDefaults registers the translation flags on fs with defaults. A
// list flag given at least once replaces its default list.
func BindWithDefaults(fs *flag.FlagSet, defaults translate.Config) *Flags {
	f := &Flags{defaults: defaults, cfg: defaults}
	fs.StringVar(&f.cfg.ModelHeader, "model-header", defaults.ModelHeader,
		"request header that carries the model name (written by Body-Based Routing)")
	fs.StringVar(&f.cfg.RewriteHeader, "rewrite-header", defaults.RewriteHeader,
		"header set to the chosen target model; empty disables target delivery")
	fs.Var(&f.aliases, "rewrite-header-alias",
		"another header a model server or endpoint picker takes the target from; every route removes it, so that no client picks the target; repeatable; --rewrite-header-alias= for none"+
			listDefault(len(defaults.RewriteHeaderAliases) > 0, strings.Join(defaults.RewriteHeaderAliases, ",")))
	fs.StringVar(&f.cfg.CriticalityHeader, "criticality-header", defaults.CriticalityHeader,
		"header set to the model's criticality (Standard when unset); empty disables it")
	fs.Var(&f.parentRefs, "parent-ref",
		"Gateway the routes attach to, as NAMESPACE/NAME[/SECTION]; repeatable; annotation "+translate.AnnotationParentRefs+" on a model or pool overrides"+
			listDefault(len(defaults.ParentRefs) > 0, parentRefNames(defaults.ParentRefs)))
	fs.Var(&f.hostnames, "hostname",
		"hostname of the routes; repeatable; annotation "+translate.AnnotationHostnames+" on a model or pool overrides"+
			listDefault(len(defaults.Hostnames) > 0, hostnameList(defaults.Hostnames)))
	fs.Var(&f.pathPrefixes, "path-prefix", "path prefix each route matches; repeatable"+
		listDefault(true, strings.Join(defaults.PathPrefixes, ",")))
	fs.StringVar(&f.backend, "backend", string(defaults.Backend),
		"what backendRefs point at: inferencepool or service (a headless shadow Service per pool)")
	fs.StringVar(&f.cfg.EPPAPI, "epp-api", defaults.EPPAPI,
		"inferencepool mode: also make, per InferenceModel, an InferenceModelRewrite and (with a criticality) an InferenceObjective in this API group ("+
			translate.GroupLLMD+" or "+translate.GroupInferenceAlpha+"; the controller also takes "+AutoEPPAPI+
			"), for an endpoint picker that no longer reads InferenceModels; routes then send each model to its pool unsplit; empty: none")
	return f
}

func listDefault(set bool, value string) string {
	if !set {
		return ""
	}
	return fmt.Sprintf(" (default %q)", value)
}

func parentRefNames(refs []gatewayv1.ParentReference) string {
	names := make([]string, 0, len(refs))
	for _, r := range refs {
		name := string(*r.Namespace) + "/" + string(r.Name)
		if r.SectionName != nil {
			name += "/" + string(*r.SectionName)
		}
		names = append(names, name)
	}
	return strings.Join(names, ",")
}

func hostnameList(hosts []gatewayv1.Hostname) string {
	names := make([]string, 0, len(hosts))
	for _, h := range hosts {
		names = append(names, string(h))
	}
	return strings.Join(names, ",")
}

// Config returns the parsed and validated translation settings.
func (f *Flags) Config() (translate.Config, error) {
	cfg := f.cfg
	cfg.Backend = translate.BackendMode(f.backend)
	if len(f.pathPrefixes) > 0 {
		cfg.PathPrefixes = f.pathPrefixes
	}
	if len(f.aliases) > 0 {
		cfg.RewriteHeaderAliases = nil
		for _, a := range f.aliases {
			if a != "" {
				cfg.RewriteHeaderAliases = append(cfg.RewriteHeaderAliases, a)
			}
		}
	}
	if len(f.parentRefs) > 0 {
		cfg.ParentRefs = nil
		for _, s := range f.parentRefs {
			ref, err := translate.ParseParentRef(s)
			if err != nil {
				return cfg, fmt.Errorf("--parent-ref: %w", err)
			}
			cfg.ParentRefs = append(cfg.ParentRefs, ref)
		}
	}
	if len(f.hostnames) > 0 {
		hosts, err := translate.ParseHostnames(strings.Join(f.hostnames, ","))
		if err != nil {
			return cfg, fmt.Errorf("--hostname: %w", err)
		}
		cfg.Hostnames = hosts
	}
	if cfg.EPPAPI == AutoEPPAPI {
		if !f.allowAuto {
			return cfg, fmt.Errorf("--epp-api=%s: only the controller, which reads the cluster, can pick the group; name it: %s or %s",
				AutoEPPAPI, translate.GroupLLMD, translate.GroupInferenceAlpha)
		}
		// Validated as the group it may become; resolved by the caller.
		check := cfg
		check.EPPAPI = translate.GroupLLMD
		return cfg, check.Validate()
	}
	return cfg, cfg.Validate()
}
