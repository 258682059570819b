// Command devcluster runs modelroute on a throwaway local control plane:
// it starts etcd, kube-apiserver and kube-controller-manager (built from
// pinned Go modules), runs the modelroute binary's controller against them,
// applies config/samples, and prints the generated routes and every
// InferenceModel's conditions (`make run`). With -demo (`make demo`) it runs
// the local stack (internal/localstack) instead — modelroute in service
// mode, Traefik as the Gateway and the body-based router in front of it —
// starts model servers for the samples' pools (vLLM stand-ins behind the
// target-rewrite sidecar) and sends OpenAI requests through the router,
// showing which pool answered each model and the name it served; then it
// prints the router's base URL (OPENAI_BASE_URL=…) for other clients. It
// keeps running (for kubectl and those clients) until Ctrl-C unless -once
// is given, and stops every process it started either way.
//
//	go run ./cmd/devcluster -modelroute bin/modelroute [-once] [-- controller flags...]
//	go run ./cmd/devcluster -demo [-once] [-- translation flags...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/localstack"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/manifests"
	"github.com/modelroute/modelroute/internal/translateflags"
	"github.com/modelroute/modelroute/translate"
)

const namespace = "modelroute-demo"

func main() {
	binary := flag.String("modelroute", "bin/modelroute", "the modelroute binary to run as the controller (not with -demo, which runs it in-process)")
	samples := flag.String("samples", "config/samples", "directory of manifests to apply")
	once := flag.Bool("once", false, "print the result and exit instead of running until Ctrl-C")
	demo := flag.Bool("demo", false, "also run Traefik as the Gateway, the body-based router in front of it and model servers for the pools, and send OpenAI requests through the router")
	requests := flag.Int("requests", 20, "with -demo: requests sent per model")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *demo {
		var cfg translate.Config
		if cfg, err = demoConfig(flag.Args()); err == nil {
			err = runDemo(ctx, os.Stdout, demoOptions{samples: *samples, once: *once, requests: *requests, config: cfg})
		}
	} else {
		err = run(ctx, *binary, *samples, *once, flag.Args())
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "devcluster:", err)
		os.Exit(1)
	}
}

// run starts the control plane and the modelroute binary's controller.
func run(ctx context.Context, binary, samples string, once bool, controllerArgs []string) error {
	say("starting etcd, kube-apiserver and kube-controller-manager (the first run builds them)")
	cluster, err := controlplane.Start(controlplane.Options{ControllerManager: true, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping the control plane")
		_ = cluster.Stop()
	}()
	dir, err := os.MkdirTemp("", "modelroute-devcluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := cluster.WriteKubeconfig(kubeconfig, "devcluster-admin"); err != nil {
		return err
	}
	scheme, err := controllers.NewScheme()
	if err != nil {
		return err
	}
	c, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}

	args := append([]string{"controller", "--kubeconfig=" + kubeconfig,
		"--metrics-bind-address=0", "--health-probe-bind-address=0"}, controllerArgs...)
	say("running %s %s", binary, strings.Join(args, " "))
	controller := exec.CommandContext(ctx, binary, args...)
	logFile := filepath.Join(dir, "controller.log")
	log, err := os.Create(logFile)
	if err != nil {
		return err
	}
	defer log.Close()
	controller.Stdout, controller.Stderr = log, log
	controller.Cancel = func() error { return controller.Process.Signal(os.Interrupt) }
	controller.WaitDelay = 10 * time.Second
	if err := controller.Start(); err != nil {
		return fmt.Errorf("starting the controller (run `make build` first?): %w", err)
	}
	defer func() { _ = controller.Process.Signal(os.Interrupt); _ = controller.Wait() }()

	if err := applySamples(ctx, c, samples); err != nil {
		return fmt.Errorf("%w (controller log: %s)", err, tail(logFile))
	}
	if err := printRoutes(ctx, c, os.Stdout); err != nil {
		return err
	}
	if err := printConditions(ctx, c, os.Stdout); err != nil {
		return err
	}
	return runUntilStopped(ctx, once, kubeconfig, "controller log: "+logFile)
}

// demoOptions configure runDemo.
type demoOptions struct {
	samples  string
	once     bool
	requests int
	config   translate.Config
}

// demoConfig parses the translation flags given to the demo. Its defaults
// are the embedded stack's (service mode, criticality header) with routes
// attached to the embedded Gateway, so that samples without a parent-refs
// annotation are routed too.
func demoConfig(args []string) (translate.Config, error) {
	defaults := localstack.DefaultConfig()
	ref, err := translate.ParseParentRef(localstack.GatewayNamespace + "/" + localstack.GatewayName)
	if err != nil {
		return defaults, err
	}
	defaults.ParentRefs = []gatewayv1.ParentReference{ref}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	tf := translateflags.BindWithDefaults(fs, defaults)
	if err := fs.Parse(args); err != nil {
		return defaults, err
	}
	if fs.NArg() > 0 {
		return defaults, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return tf.Config()
}

// runDemo starts the local stack: the control plane, modelroute
// in-process, Traefik as the Gateway gateway-system/inference-gateway and
// the body-based router in front of it; applies the samples, starts model
// servers for their pools (vLLM stand-ins behind the target-rewrite
// sidecar), sends requests through the router as an OpenAI client does,
// and prints the router's base URL as OPENAI_BASE_URL=….
func runDemo(ctx context.Context, w io.Writer, opts demoOptions) error {
	say("starting the control plane, modelroute and Traefik (the first run builds them)")
	logFile, err := os.CreateTemp("", "modelroute-demo-*.log")
	if err != nil {
		return err
	}
	defer logFile.Close()
	env, err := localstack.Start(ctx, localstack.Options{Log: logFile, Config: opts.config})
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile.Name())
	}
	defer func() {
		say("stopping Traefik, modelroute and the control plane")
		_ = env.Stop()
	}()
	scope := &cleanups{}
	defer scope.run()
	c := env.Client
	say("Traefik serves the Gateway %s on %s", env.Suite.Gateway, env.Suite.GatewayAddress)
	if err := applySamples(ctx, c, opts.samples); err != nil {
		return err
	}
	if err := deployPools(ctx, env.Suite, scope); err != nil {
		return err
	}
	// Traefik re-evaluates the routes once their Services have endpoints.
	if err := waitProgrammed(ctx, c); err != nil {
		return err
	}
	if err := printRoutes(ctx, c, w); err != nil {
		return err
	}
	if err := printConditions(ctx, c, w); err != nil {
		return err
	}
	if err := sendBurst(ctx, c, env.Suite, opts.requests, w); err != nil {
		return err
	}
	// On a line of its own, for people (and tests) to point their own
	// OpenAI client at: the SDKs read OPENAI_BASE_URL.
	fmt.Fprintf(w, "\nOPENAI_BASE_URL=%s\n", env.Suite.OpenAIBaseURL)
	if !opts.once {
		say("OpenAI clients: export OPENAI_BASE_URL=%s OPENAI_API_KEY=unused; try: curl $OPENAI_BASE_URL/models", env.Suite.OpenAIBaseURL)
	}
	return runUntilStopped(ctx, opts.once, env.Kubeconfig, "log: "+logFile.Name())
}

// applySamples applies the samples into the demo namespace and waits until
// the statuses settle.
func applySamples(ctx context.Context, c client.Client, samples string) error {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}
	n, err := applyDir(ctx, c, samples)
	if err != nil {
		return err
	}
	say("applied %d objects from %s into namespace %s; waiting for the statuses to settle", n, samples, namespace)
	return waitSettled(ctx, c)
}

func runUntilStopped(ctx context.Context, once bool, kubeconfig, logs string) error {
	if once {
		return nil
	}
	say("running; try: kubectl --kubeconfig %s -n %s get httproutes,inferencemodels,inferencepools", kubeconfig, namespace)
	say("%s; press Ctrl-C to stop everything", logs)
	<-ctx.Done()
	return nil
}

func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "devcluster: "+format+"\n", args...)
}

// applyDir server-side applies every object in the directory's YAML files
// (kustomization.yaml aside) into the demo namespace.
func applyDir(ctx context.Context, c client.Client, dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		objs, err := manifests.ReadFile(f)
		if err != nil {
			return n, err
		}
		for _, obj := range objs {
			obj.SetNamespace(namespace)
		}
		if err := manifests.Apply(ctx, c, objs, "devcluster", false); err != nil {
			return n, fmt.Errorf("%s: %w", f, err)
		}
		n += len(objs)
	}
	return n, nil
}

// waitSettled waits until every model has Accepted and ResolvedRefs for its
// current generation and the statuses stay the same for two seconds.
func waitSettled(ctx context.Context, c client.Client) error {
	var last string
	stable := 0
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		var models v1alpha2.InferenceModelList
		if err := c.List(ctx, &models, client.InNamespace(namespace)); err != nil {
			return false, err
		}
		snapshot, complete := "", len(models.Items) > 0
		for _, m := range models.Items {
			snapshot += m.Name + "@" + m.ResourceVersion + " "
			for _, t := range []string{translate.ConditionAccepted, translate.ConditionResolvedRefs} {
				cond := meta.FindStatusCondition(m.Status.Conditions, t)
				complete = complete && cond != nil && cond.ObservedGeneration == m.Generation
			}
		}
		if complete && snapshot == last {
			stable++
		} else {
			stable = 0
		}
		last = snapshot
		return stable >= 4, nil
	})
	if err != nil {
		return fmt.Errorf("the models' statuses did not settle: %w", err)
	}
	return nil
}

func printRoutes(ctx context.Context, c client.Client, w io.Writer) error {
	var routes gatewayv1.HTTPRouteList
	if err := c.List(ctx, &routes, client.InNamespace(namespace)); err != nil {
		return err
	}
	fmt.Fprintf(w, "# %d HTTPRoutes generated in namespace %s\n", len(routes.Items), namespace)
	for i := range routes.Items {
		route := &routes.Items[i]
		route.TypeMeta = metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "HTTPRoute"}
		manifest, err := translate.Manifest(route)
		if err != nil {
			return err
		}
		// Server bookkeeping would only hide what modelroute wrote.
		for _, field := range []string{"uid", "resourceVersion", "generation", "managedFields"} {
			unstructured.RemoveNestedField(manifest.Object, "metadata", field)
		}
		out, err := yaml.Marshal(manifest.Object)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "---\n%s", out)
	}
	return nil
}

func printConditions(ctx context.Context, c client.Client, w io.Writer) error {
	var models v1alpha2.InferenceModelList
	if err := c.List(ctx, &models, client.InNamespace(namespace)); err != nil {
		return err
	}
	slices.SortFunc(models.Items, func(a, b v1alpha2.InferenceModel) int { return strings.Compare(a.Name, b.Name) })
	fmt.Fprintf(w, "\n# InferenceModel conditions in namespace %s\n", namespace)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMODEL NAME\tRESOLVEDREFS\tACCEPTED\tPROGRAMMED")
	for _, m := range models.Items {
		cells := []string{m.Name, m.Spec.ModelName}
		for _, t := range translate.ModelConditionTypes {
			cell := "-"
			if cond := meta.FindStatusCondition(m.Status.Conditions, t); cond != nil {
				cell = string(cond.Status) + "/" + cond.Reason
			}
			cells = append(cells, cell)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	header := "\n# Why, for the conditions that are not True\n"
	for _, m := range models.Items {
		for _, t := range translate.ModelConditionTypes {
			if cond := meta.FindStatusCondition(m.Status.Conditions, t); cond != nil && cond.Status != metav1.ConditionTrue {
				fmt.Fprintf(w, "%s%s: %s=%s %s: %s\n", header, m.Name, cond.Type, cond.Status, cond.Reason, cond.Message)
				header = ""
			}
		}
	}
	return nil
}

func tail(path string) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}
