package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/modelroute/modelroute/translate"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// translateFlags are the translation settings shared by render and
// controller, so both read a cluster the same way.
type translateFlags struct {
	cfg          translate.Config
	backend      string
	parentRefs   stringList
	hostnames    stringList
	pathPrefixes stringList
}

func bindTranslateFlags(fs *flag.FlagSet) *translateFlags {
	f := &translateFlags{cfg: translate.DefaultConfig()}
	fs.StringVar(&f.cfg.ModelHeader, "model-header", translate.DefaultModelHeader,
		"request header that carries the model name (written by Body-Based Routing)")
	fs.StringVar(&f.cfg.RewriteHeader, "rewrite-header", translate.DefaultRewriteHeader,
		"header set to the chosen target model; empty disables target delivery")
	fs.StringVar(&f.cfg.CriticalityHeader, "criticality-header", "",
		"header set to the model's criticality (Standard when unset); empty disables it")
	fs.Var(&f.parentRefs, "parent-ref",
		"Gateway the routes attach to, as NAMESPACE/NAME[/SECTION]; repeatable; annotation "+translate.AnnotationParentRefs+" on a model or pool overrides")
	fs.Var(&f.hostnames, "hostname",
		"hostname of the routes; repeatable; annotation "+translate.AnnotationHostnames+" on a model or pool overrides")
	fs.Var(&f.pathPrefixes, "path-prefix", "path prefix each route matches; repeatable (default \"/\")")
	fs.StringVar(&f.backend, "backend", string(translate.BackendInferencePool),
		"what backendRefs point at: inferencepool or service (a headless shadow Service per pool)")
	return f
}

// config returns the parsed and validated translation settings.
func (f *translateFlags) config() (translate.Config, error) {
	cfg := f.cfg
	cfg.Backend = translate.BackendMode(f.backend)
	if len(f.pathPrefixes) > 0 {
		cfg.PathPrefixes = f.pathPrefixes
	}
	for _, s := range f.parentRefs {
		ref, err := translate.ParseParentRef(s)
		if err != nil {
			return cfg, fmt.Errorf("--parent-ref: %w", err)
		}
		cfg.ParentRefs = append(cfg.ParentRefs, ref)
	}
	hosts, err := translate.ParseHostnames(strings.Join(f.hostnames, ","))
	if err != nil {
		return cfg, fmt.Errorf("--hostname: %w", err)
	}
	cfg.Hostnames = hosts
	return cfg, cfg.Validate()
}
