// Package localstack runs modelroute's whole stack on one machine, in this
// process and a few children, with nothing but Go modules: a local control
// plane (etcd, kube-apiserver and kube-controller-manager's garbage
// collector and namespace controllers, package controlplane),
// the modelroute controller in-process, and Traefik (pinned in
// tools/traefik) as the Gateway API implementation, configured through the
// Gateway API objects it watches. `make demo` runs it until Ctrl-C; `make
// test` runs the conformance suite on it.
//
// # Model servers without pods
//
// There is no kubelet here, so no Pod ever runs and no EndpointSlice
// controller turns the shadow Services modelroute creates (service mode)
// into endpoints. The harness writes what that controller would: one
// EndpointSlice per pool, labelled with the shadow Service's name, whose
// endpoints are pods in this process (LoopbackBackends: a vLLM stand-in
// behind modelroute's target-rewrite sidecar). Two constraints shape those
// slices:
//
//   - The API server rejects loopback addresses (127.0.0.0/8) in IPv4
//     EndpointSlices, the kind a real controller writes. An FQDN slice
//     accepts "127.0.0.2" as a name, and Traefik dials it as the backend
//     host; so the slices have addressType FQDN.
//   - Traefik balances over endpoint addresses with the Service's port, so
//     the servers of a pool all listen on the pool's target port and need
//     one address each. Every server gets its own loopback address
//     127.0.X.Y (never 127.0.0.1, which the control plane uses), never
//     reused during the life of the process, so that a route Traefik has
//     not yet updated cannot reach a later test's server.
//
// Only service mode works here: Traefik has no InferencePool backends.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/conformance/utils/roundtripper"
	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/manager"
	"github.com/modelroute/modelroute/translate"
)

// The Gateway every generated route attaches to, through the
// modelroute.dev/parent-refs annotation the suite's manifests carry.
const (
	GatewayNamespace = "gateway-system"
	GatewayName      = "inference-gateway"
	// ListenerName is the Gateway's only listener (HTTP, routes from all
	// namespaces).
	ListenerName = "http"
	// GatewayClassName is Traefik's GatewayClass.
	GatewayClassName = "traefik"
	// DefaultCriticalityHeader is the criticality header of DefaultConfig.
	DefaultCriticalityHeader = "X-Gateway-Criticality"
)

// RestrictedListener is the Gateway's second listener, on the same port:
// routes from namespaces with its label only, for its hostname.
var RestrictedListener = conformance.RestrictedListener{
	Section:  "restricted",
	Hostname: "restricted.example.com",
	Label:    map[string]string{"modelroute.dev/conformance-listener": "restricted"},
}

// startTimeout bounds the wait for the control plane's garbage collector
// and for Traefik to program the Gateway.
const startTimeout = 2 * time.Minute

// Options configure Start.
type Options struct {
	// Log receives the output of the control plane, Traefik and the
	// controller; nil discards it.
	Log io.Writer
	// Config is the controller's translation config; the zero value means
	// DefaultConfig().
	Config translate.Config
}

// DefaultConfig is the translation config Start uses by default:
// translate.DefaultConfig() in service mode, with criticality delivery in
// header X-Gateway-Criticality.
func DefaultConfig() translate.Config {
	cfg := translate.DefaultConfig()
	cfg.Backend = translate.BackendService
	cfg.CriticalityHeader = DefaultCriticalityHeader
	return cfg
}

// Env is a running embedded stack.
type Env struct {
	Cluster *controlplane.Cluster
	// Client is an admin client that reads the API server directly.
	Client client.Client
	// Kubeconfig is the path of an admin kubeconfig file, for kubectl;
	// Stop removes it.
	Kubeconfig string
	// Suite is ready to run the conformance tests against.
	Suite *conformance.Suite

	// Router is the body-based router in front of Traefik: OpenAI clients'
	// base URL.
	Router *Router

	dir        string
	traefik    *controlplane.Process
	controller *manager.Running
	stopOnce   sync.Once
	stopErr    error
}

// Start brings up the stack: the control plane, Traefik serving the
// Gateway gateway-system/inference-gateway on a free 127.0.0.1 port, and
// the modelroute controller with opts.Config. It returns once the garbage
// collector works, Traefik has accepted its GatewayClass and programmed the
// Gateway, and the controller's caches have synced. ctx bounds the start
// only; the stack runs until Stop. On failure everything started is
// stopped.
//
// Start also points controller-runtime's process-wide logger (ctrl.Log) at
// opts.Log. Callers handle SIGINT and SIGTERM by calling Stop; should the
// process die without Stop, localcluster's reaper kills the children.
func Start(ctx context.Context, opts Options) (*Env, error) {
	cfg := opts.Config
	if reflect.DeepEqual(cfg, translate.Config{}) {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("translation config: %w", err)
	}
	if cfg.Backend != translate.BackendService {
		return nil, fmt.Errorf("the embedded stack supports only --backend %s, not %q: Traefik has no InferencePool backends",
			translate.BackendService, cfg.Backend)
	}
	log := &syncWriter{w: opts.Log}
	if opts.Log == nil {
		log.w = io.Discard
	}
	traefikBinary, err := TraefikBinary(log)
	if err != nil {
		return nil, err
	}
	version, err := TraefikVersion(traefikBinary)
	if err != nil {
		return nil, err
	}
	logger := logr.Discard()
	if opts.Log != nil {
		logger = funcr.New(func(prefix, args string) {
			fmt.Fprintf(log, "%s modelroute %s %s\n", time.Now().Format("15:04:05.000"), prefix, args)
		}, funcr.Options{})
	}
	ctrl.SetLogger(logger)
	e := &Env{}
	if err := e.start(ctx, log, logger, cfg, traefikBinary, version); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

func (e *Env) start(ctx context.Context, log io.Writer, logger logr.Logger, cfg translate.Config, traefikBinary, version string) error {
	var err error
	if e.Cluster, err = controlplane.Start(controlplane.Options{ControllerManager: true, Log: log}); err != nil {
		return err
	}
	if e.dir, err = os.MkdirTemp("", "modelroute-embedded-"); err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	if err := e.Cluster.WriteKubeconfig(e.Kubeconfig, "embedded-admin"); err != nil {
		return err
	}
	scheme, err := controllers.NewScheme()
	if err != nil {
		return err
	}
	if e.Client, err = client.New(e.Cluster.Config, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	clientset, err := kubernetes.NewForConfig(e.Cluster.Config)
	if err != nil {
		return err
	}

	address, err := controlplane.FreeAddr()
	if err != nil {
		return err
	}
	_, portText, _ := net.SplitHostPort(address)
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	token, err := setupTraefikAccess(ctx, e.Client, clientset)
	if err != nil {
		return err
	}
	if err := createGateway(ctx, e.Client, port); err != nil {
		return err
	}
	tail := &tailWriter{max: 8 << 10}
	if e.traefik, err = startTraefik(traefikBinary, e.dir, e.Cluster.Config, token, port, io.MultiWriter(log, tail)); err != nil {
		return err
	}
	mgr, err := manager.New(ctx, e.Cluster.Config, manager.Options{
		Config: cfg, Concurrency: 4, Logger: logger,
		MetricsBindAddress: manager.Disabled, HealthProbeBindAddress: manager.Disabled,
		GracefulShutdownTimeout: ptr.To(20 * time.Second),
		// An embedded stack may be started more than once in a process.
		Repeatable: true,
	})
	if err != nil {
		return err
	}
	if e.controller, err = manager.Start(ctx, mgr, logger, startTimeout); err != nil {
		return err
	}

	waitCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := e.Cluster.WaitForGarbageCollector(waitCtx); err != nil {
		return fmt.Errorf("kube-controller-manager's garbage collector is not working: %w", err)
	}
	supported, err := waitForGateway(waitCtx, e.Client, e.traefik, address)
	if err != nil {
		return fmt.Errorf("%w; Traefik's last output:\n%s", err, tail)
	}

	e.Router, err = StartRouter(waitCtx, RouterOptions{
		Config: e.Cluster.Config, Gateway: types.NamespacedName{Namespace: GatewayNamespace, Name: GatewayName},
		GatewayAddress: address, ModelHeader: cfg.ModelHeader, RewriteHeader: cfg.RewriteHeader,
		RewriteHeaderAliases: cfg.RewriteHeaderAliases, Log: logger.WithName("router"),
	})
	if err != nil {
		return err
	}

	featureSet := sets.New[features.FeatureName]()
	for _, f := range supported {
		featureSet.Insert(features.FeatureName(f.Name))
	}
	featureSet.Delete(conformance.SupportInferencePoolBackend)
	if cfg.CriticalityHeader != "" {
		featureSet.Insert(conformance.SupportCriticalityHeader)
	}
	featureSet.Insert(conformance.SupportRestrictedListener, conformance.SupportStreamingModelServers)
	timeouts := conformance.DefaultTimeoutConfig()
	e.Suite = &conformance.Suite{
		Client:               e.Client,
		Gateway:              types.NamespacedName{Namespace: GatewayNamespace, Name: GatewayName},
		GatewayAddress:       address,
		OpenAIBaseURL:        e.Router.BaseURL,
		Backend:              cfg.Backend,
		ModelHeader:          cfg.ModelHeader,
		RewriteHeader:        cfg.RewriteHeader,
		CriticalityHeader:    cfg.CriticalityHeader,
		RewriteHeaderAliases: cfg.RewriteHeaderAliases,
		RestrictedListener:   RestrictedListener,
		SupportedFeatures:    featureSet,
		Backends: &LoopbackBackends{Client: e.Client, Backend: cfg.Backend,
			RewriteHeader: cfg.RewriteHeader, RewriteHeaderAliases: cfg.RewriteHeaderAliases},
		Implementation: confv1.Implementation{
			Organization: "traefik",
			Project:      "traefik",
			URL:          "https://github.com/traefik/traefik",
			Version:      version,
			Contact:      []string{"modelroute"},
		},
		Mode:          "embedded",
		TimeoutConfig: timeouts,
		RoundTripper:  &roundtripper.DefaultRoundTripper{TimeoutConfig: timeouts},
	}
	return nil
}

// Stop stops everything Start started, in reverse order: the router, the
// controller, Traefik, the control plane; and removes the kubeconfig.
// Idempotent.
func (e *Env) Stop() error {
	e.stopOnce.Do(func() {
		var errs []error
		if e.Router != nil {
			errs = append(errs, e.Router.Stop())
		}
		if e.controller != nil {
			if err := e.controller.Stop(time.Minute); err != nil {
				errs = append(errs, fmt.Errorf("the controller stopped with: %w", err))
			}
		}
		if e.traefik != nil {
			e.traefik.Stop(10 * time.Second)
		}
		if e.Cluster != nil {
			errs = append(errs, e.Cluster.Stop())
		}
		if e.dir != "" {
			errs = append(errs, os.RemoveAll(e.dir))
		}
		e.stopErr = errors.Join(errs...)
	})
	return e.stopErr
}

// syncWriter serialises the writes of the processes and goroutines that
// share the caller's log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
