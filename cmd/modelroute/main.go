// Command modelroute turns InferenceModels into Gateway API HTTPRoutes:
// offline (render) or in a cluster (controller); and serves the request
// path's two proxies: the body-based router in front of the Gateway
// (router) and the target-rewrite sidecar in front of a model server
// (rewrite).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/modelroute/modelroute/internal/render"
	"github.com/modelroute/modelroute/internal/translateflags"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `modelroute turns InferenceModels and InferenceModelRewrites into Gateway API HTTPRoutes.

Usage:
  modelroute render -f PATH [-f PATH...] [flags]   print the generated objects
  modelroute migrate -f PATH [-f PATH...] [flags]  print the InferenceModelRewrites and InferenceObjectives that replace InferenceModels
  modelroute controller [flags]                    reconcile them in a cluster
  modelroute router --gateway URL [flags]          route OpenAI requests by their body's model
  modelroute rewrite [flags]                       put the route's target into the body, beside a model server
  modelroute version                               print the version

Run "modelroute COMMAND -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "render":
		return runRender(args[1:], stdin, stdout, stderr)
	case "migrate":
		return runMigrate(args[1:], stdin, stdout, stderr)
	case "controller":
		return runController(args[1:], stderr)
	case "router":
		return runRouter(args[1:], stderr)
	case "rewrite":
		return runRewrite(args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// inputFlags are the flags of the commands that read manifests: -f and
// --namespace, on fs.
type inputFlags struct {
	fs        *flag.FlagSet
	paths     translateflags.StringList
	namespace string
}

func bindInputFlags(name, usage string, stderr io.Writer) *inputFlags {
	in := &inputFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	in.fs.SetOutput(stderr)
	in.fs.Var(&in.paths, "f", "file, directory (recursive *.yaml, *.yml, *.json) or - for stdin; repeatable")
	in.fs.StringVar(&in.namespace, "namespace", "default", "namespace of input objects that name none")
	in.fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\n\nFlags:\n")
		in.fs.PrintDefaults()
	}
	return in
}

// parse parses args; on -h it returns 0 and false, on bad flags
// render.ExitBadInput and false.
func (in *inputFlags) parse(args []string, stderr io.Writer) (int, bool) {
	if err := in.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0, false
		}
		return render.ExitBadInput, false
	}
	if in.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "error: unexpected arguments %q (inputs are given with -f)\n", in.fs.Args())
		return render.ExitBadInput, false
	}
	if len(in.paths) == 0 {
		fmt.Fprintln(stderr, "error: at least one -f PATH is required")
		return render.ExitBadInput, false
	}
	return 0, true
}

func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	in := bindInputFlags("render", "Usage: modelroute render -f PATH [-f PATH...] [flags]\n\n"+
		"Exit codes: 0 every model, rewrite and objective Accepted with resolved refs; 1 some are not (one line each on stderr); 2 bad input or flags.", stderr)
	var opts render.Options
	in.fs.BoolVar(&opts.Status, "status", false, "print each InferenceModel, InferenceModelRewrite and InferenceObjective with the status.conditions it would get, instead of the generated objects")
	tf := translateflags.Bind(in.fs)
	if code, ok := in.parse(args, stderr); !ok {
		return code
	}
	cfg, err := tf.Config()
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return render.ExitBadInput
	}
	opts.Paths, opts.DefaultNamespace, opts.Config = in.paths, in.namespace, cfg
	return render.Run(opts, stdin, stdout, stderr)
}

func runMigrate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	in := bindInputFlags("migrate", "Usage: modelroute migrate -f PATH [-f PATH...] [flags]\n\n"+
		"Exit codes: 0 every InferenceModel migrated exactly; 1 some could not be (a note each on stderr; the objects are printed all the same); 2 bad input or flags.", stderr)
	var opts render.MigrateOptions
	in.fs.StringVar(&opts.Group, "group", "llm-d.ai", "group of the objects written: llm-d.ai (llm-d-router v0.9+) or inference.networking.x-k8s.io (GIE up to v1.5)")
	if code, ok := in.parse(args, stderr); !ok {
		return code
	}
	opts.Paths, opts.DefaultNamespace = in.paths, in.namespace
	return render.Migrate(opts, stdin, stdout, stderr)
}

func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	goVersion := ""
	if ok {
		goVersion = " " + info.GoVersion
	}
	return "modelroute " + v + goVersion
}
