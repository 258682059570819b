// Command release makes modelroute's release artifacts: the OCI image
// (internal/image) and the single-file install manifest (internal/install).
// `make image` and `make release-manifests` run it; it only parses flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelroute/modelroute/internal/image"
	"github.com/modelroute/modelroute/internal/install"
	"github.com/modelroute/modelroute/translate"
)

const usage = `release makes modelroute's release artifacts.

Usage:
  release image -o DIR -binary OS/ARCH=PATH [-binary ...] -version V [-revision SHA] [-created UNIX]
      write the multi-platform OCI image as an OCI layout directory
  release manifests -config DIR -image REF [-mode inferencepool|service] [-epp-api] [-namespace NS] -o FILE
      write the kustomization in DIR, with image REF, as one YAML file: in
      service backend mode, with the EPP API (an InferenceModelRewrite and
      InferenceObjective per model), and watching only namespace NS, when
      asked
  release crds -config DIR -o FILE
      write the CRDs' kustomization in DIR as one YAML file
  release router -config DIR -image REF -gateway URL -gateway-ref NS/NAME -o FILE
      write the body-based router's kustomization in DIR, with image REF,
      in front of the Gateway NS/NAME whose data plane URL serves, as one
      YAML file
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "image":
		err = runImage(args[1:], stdout, stderr)
	case "manifests":
		err = runManifests(args[1:], stdout, stderr)
	case "crds":
		err = runCRDs(args[1:], stdout, stderr)
	case "router":
		err = runRouter(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errBadFlags):
		return 2
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "error:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
}

// usageError marks bad usage (exit 2) apart from failures (exit 1).
type usageError struct{ error }

// errBadFlags: the flag package has already printed the error and usage.
var errBadFlags = errors.New("bad flags")

// binaries is the repeatable -binary OS/ARCH=PATH flag.
type binaries []image.Binary

func (b *binaries) String() string { return "" }

func (b *binaries) Set(v string) error {
	platform, path, ok := strings.Cut(v, "=")
	goos, arch, ok2 := strings.Cut(platform, "/")
	if !ok || !ok2 || goos == "" || arch == "" || path == "" {
		return fmt.Errorf("want OS/ARCH=PATH, got %q", v)
	}
	*b = append(*b, image.Binary{OS: goos, Architecture: arch, Path: path})
	return nil
}

func runImage(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o image.Options
	var bins binaries
	var out string
	var created int64
	fs.Var(&bins, "binary", "OS/ARCH=PATH of a static modelroute binary; repeat per platform")
	fs.StringVar(&out, "o", "bin/image", "OCI layout directory to write (replaced if it is one)")
	fs.StringVar(&o.Version, "version", "", "org.opencontainers.image.version, and the tag in the layout's index.json")
	fs.StringVar(&o.Revision, "revision", "", `source commit (default "unknown")`)
	fs.Int64Var(&created, "created", sourceDateEpoch(), "creation time in Unix seconds (default $SOURCE_DATE_EPOCH, else 0) for reproducible digests")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if len(bins) == 0 || o.Version == "" {
		return usageError{errors.New("-binary and -version are required")}
	}
	o.Binaries = bins
	o.Created = time.Unix(created, 0).UTC()
	idx, err := image.Build(o)
	if err != nil {
		return err
	}
	if err := image.WriteLayout(out, idx, o.Version); err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote OCI layout %s: index %s (%d platforms), tag %s\n", out, digest, len(bins), o.Version)
	return nil
}

func runManifests(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("manifests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dir, ref, mode, out string
	var opts install.Options
	fs.StringVar(&dir, "config", "config/default", "kustomization directory to build")
	fs.StringVar(&ref, "image", "", "image reference for the controller, e.g. registry.example.com/modelroute:v1.0.0")
	fs.StringVar(&mode, "mode", string(translate.BackendInferencePool), "backend mode: inferencepool, or service (adds config/components/service-backend)")
	fs.BoolVar(&opts.EPPAPI, "epp-api", false, "inferencepool mode: make an InferenceModelRewrite and InferenceObjective per model (adds config/components/epp-api)")
	fs.StringVar(&opts.Namespace, "namespace", "", "watch only this namespace, with Roles there instead of cluster-wide rights (default: every namespace)")
	fs.StringVar(&out, "o", "bin/install.yaml", "file to write")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if ref == "" {
		return usageError{errors.New("-image is required")}
	}
	opts.Image, opts.Backend = ref, translate.BackendMode(mode)
	if opts.Backend != translate.BackendInferencePool && opts.Backend != translate.BackendService {
		return usageError{fmt.Errorf("-mode %q: want %s or %s", mode, translate.BackendInferencePool, translate.BackendService)}
	}
	yml, err := install.Manifests(dir, opts)
	if err != nil {
		return err
	}
	scope := "every namespace"
	if opts.Namespace != "" {
		scope = "namespace " + opts.Namespace
	}
	if opts.EPPAPI {
		mode += " (with the EPP API)"
	}
	variant := fmt.Sprintf("%s backend mode, watching %s", mode, scope)
	header := fmt.Sprintf("# modelroute install manifest: %s with image %s, %s.\n"+
		"# Generated by `make release-manifests`; apply the CRDs (crds.yaml) first, then this with `kubectl apply -f`.\n",
		filepath.ToSlash(dir), ref, variant)
	if err := write(out, header, yml); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (image %s, %s)\n", out, ref, variant)
	return nil
}

func runCRDs(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("crds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dir, out string
	fs.StringVar(&dir, "config", "config/crd", "kustomization directory of the CRDs")
	fs.StringVar(&out, "o", "bin/crds.yaml", "file to write")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	yml, err := install.CRDs(dir)
	if err != nil {
		return err
	}
	// Said in the file, since deleting it is what removes every model.
	header := fmt.Sprintf("# modelroute's CRDs: %s. Generated by `make release-manifests`; apply with `kubectl apply -f`\n"+
		"# before install.yaml. Deleting them deletes every InferenceModel in the cluster.\n", filepath.ToSlash(dir))
	if err := write(out, header, yml); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return nil
}

func write(path, header string, yml []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(header), yml...), 0o644)
}

func parseErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errBadFlags
}

// sourceDateEpoch follows the reproducible-builds convention; 0 (1970) keeps
// digests stable when it is unset or invalid.
func sourceDateEpoch() int64 {
	v, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func runRouter(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dir, out string
	var opts install.RouterOptions
	fs.StringVar(&dir, "config", "config/router", "kustomization directory of the router")
	fs.StringVar(&opts.Image, "image", "", "image reference, e.g. registry.example.com/modelroute:v1.0.0")
	fs.StringVar(&opts.GatewayURL, "gateway", "", "the Gateway's HTTP listener as the router reaches it: http://SERVICE.NAMESPACE.svc:PORT")
	fs.StringVar(&opts.GatewayRef, "gateway-ref", "", "the Gateway as NAMESPACE/NAME: /v1/models lists the models Programmed on it")
	fs.StringVar(&out, "o", "bin/router.yaml", "file to write")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if opts.Image == "" || opts.GatewayURL == "" || opts.GatewayRef == "" {
		return usageError{errors.New("-image, -gateway and -gateway-ref are required")}
	}
	yml, err := install.Router(dir, opts)
	if err != nil {
		return usageError{err}
	}
	header := fmt.Sprintf("# modelroute's body-based router: %s with image %s, in front of Gateway %s at %s.\n"+
		"# Generated by `make release-manifests`; apply with `kubectl apply -f` after install.yaml (its namespace).\n"+
		"# OpenAI clients' base URL: http://modelroute-router.modelroute-system.svc/v1\n",
		filepath.ToSlash(dir), opts.Image, opts.GatewayRef, opts.GatewayURL)
	if err := write(out, header, yml); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (image %s, Gateway %s at %s)\n", out, opts.Image, opts.GatewayRef, opts.GatewayURL)
	return nil
}
