// Package manager builds the controller-runtime manager that runs
// modelroute's reconcilers, the same way for `modelroute controller`, the
// local stack (make demo, the conformance suite) and the integration tests.
package manager

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/translate"
)

// Disabled is the bind address that turns an endpoint off.
const Disabled = "0"

// Options configure New.
type Options struct {
	// Config is how models become routes.
	Config translate.Config
	// Concurrency is the number of models reconciled at once.
	Concurrency int
	// Namespaces the manager watches; none: every namespace.
	Namespaces []string
	// Logger is the manager's logger; the zero value is controller-runtime's
	// process-wide one.
	Logger logr.Logger

	// MetricsBindAddress serves Prometheus metrics, the models' conditions
	// among them; Disabled turns it off.
	MetricsBindAddress string
	// MetricsSecure serves the metrics over HTTPS (a self-signed
	// certificate) to authenticated, authorized clients only: the API
	// server reviews each request's bearer token (TokenReview) and its
	// right to GET /metrics (SubjectAccessReview), which needs the RBAC of
	// ClusterRole modelroute-metrics-auth. False: plain HTTP, to anyone.
	MetricsSecure bool
	// HealthProbeBindAddress serves /healthz and /readyz (ready once the
	// caches have synced); Disabled turns it off.
	HealthProbeBindAddress string
	// PprofBindAddress serves Go's /debug/pprof/ profiles; empty or
	// Disabled turns it off.
	PprofBindAddress string

	// LeaderElection makes only the replica holding the Lease
	// LeaderElectionNamespace/LeaderElectionID reconcile.
	LeaderElection                            bool
	LeaderElectionNamespace, LeaderElectionID string
	LeaseDuration, RenewDeadline, RetryPeriod *time.Duration

	// SyncPeriod is how often every cached object is reconciled again.
	SyncPeriod *time.Duration
	// GracefulShutdownTimeout bounds the wait for running reconciles.
	GracefulShutdownTimeout *time.Duration
	// Metrics receives the models' conditions; nil for a new collector.
	Metrics *controllers.ConditionMetrics
	// Repeatable lets one process create the controllers more than once
	// (tests, the local stack): controller names need not be unique.
	Repeatable bool
}

// New creates a manager with modelroute's reconcilers set up on it. ctx
// bounds the setup (registering field indexes), not the manager's run.
func New(ctx context.Context, restConfig *rest.Config, opts Options) (ctrl.Manager, error) {
	scheme, err := controllers.NewScheme()
	if err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	cacheOpts := controllers.CacheOptions(opts.Namespaces...)
	cacheOpts.SyncPeriod = opts.SyncPeriod
	mgrOpts := ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOptions(opts),
		HealthProbeBindAddress:        opts.HealthProbeBindAddress,
		PprofBindAddress:              opts.PprofBindAddress,
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              opts.LeaderElectionID,
		LeaderElectionNamespace:       opts.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 opts.LeaseDuration,
		RenewDeadline:                 opts.RenewDeadline,
		RetryPeriod:                   opts.RetryPeriod,
		GracefulShutdownTimeout:       opts.GracefulShutdownTimeout,
		Cache:                         cacheOpts,
		MapperProvider:                newRESTMapper,
		Controller:                    config.Controller{SkipNameValidation: &opts.Repeatable},
	}
	if opts.Logger.GetSink() != nil {
		mgrOpts.Logger = opts.Logger
	}
	mgr, err := ctrl.NewManager(restConfig, mgrOpts)
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	conditionMetrics := opts.Metrics
	if conditionMetrics == nil {
		conditionMetrics = controllers.NewConditionMetrics()
	}
	if opts.MetricsBindAddress != Disabled {
		if err := registerConditionMetrics(conditionMetrics, opts.Repeatable); err != nil {
			return nil, fmt.Errorf("registering the condition metrics: %w", err)
		}
	}
	if err := controllers.Setup(ctx, mgr, controllers.Options{
		Config: opts.Config, Concurrency: opts.Concurrency, Metrics: conditionMetrics,
	}); err != nil {
		return nil, fmt.Errorf("setting up the controllers: %w", err)
	}
	if opts.HealthProbeBindAddress != Disabled {
		if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("caches-synced", func(req *http.Request) error {
			ctx, cancel := context.WithTimeout(req.Context(), time.Second)
			defer cancel()
			if !mgr.GetCache().WaitForCacheSync(ctx) {
				return errors.New("informer caches have not synced")
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}

// metricsOptions serve the metrics as opts ask.
func metricsOptions(opts Options) metricsserver.Options {
	o := metricsserver.Options{BindAddress: opts.MetricsBindAddress}
	if opts.MetricsSecure {
		o.SecureServing = true
		o.FilterProvider = filters.WithAuthenticationAndAuthorization
		// HTTP/1.1 only: HTTP/2's stream resets (CVE-2023-44487) would let
		// any client that reaches the port load the server before its
		// token is ever checked; a scrape gains nothing from HTTP/2.
		o.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	return o
}

// registerConditionMetrics adds the models' conditions to controller-runtime's
// registry, which the metrics endpoint serves. A process that creates
// managers again (repeatable) replaces the previous manager's collector.
func registerConditionMetrics(c *controllers.ConditionMetrics, repeatable bool) error {
	err := metrics.Registry.Register(c)
	if already, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok && repeatable {
		metrics.Registry.Unregister(already.ExistingCollector)
		err = metrics.Registry.Register(c)
	}
	return err
}

// Running is a manager running in the background.
type Running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start runs mgr in the background until Stop and waits, at most
// syncTimeout, until its caches have synced. logger, when set, is handed
// to the reconcilers through the context.
func Start(ctx context.Context, mgr ctrl.Manager, logger logr.Logger, syncTimeout time.Duration) (*Running, error) {
	runCtx, cancel := context.WithCancel(context.Background())
	if logger.GetSink() != nil {
		runCtx = ctrl.LoggerInto(runCtx, logger)
	}
	r := &Running{cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = mgr.Start(runCtx)
		close(r.done)
	}()
	syncCtx, syncCancel := context.WithTimeout(ctx, syncTimeout)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		err := fmt.Errorf("the manager's caches did not sync within %s", syncTimeout)
		if stopped := r.Exited(); stopped != nil {
			err = fmt.Errorf("the manager stopped before its caches synced: %w", stopped)
		}
		return nil, errors.Join(err, r.Stop(time.Minute))
	}
	return r, nil
}

// Exited is nil while the manager runs, and says how it stopped once it
// has.
func (r *Running) Exited() error {
	select {
	case <-r.done:
		if r.err == nil {
			return errors.New("the manager stopped")
		}
		return fmt.Errorf("the manager stopped: %w", r.err)
	default:
		return nil
	}
}

// Stop stops the manager and waits, at most timeout, for it to return;
// the error is how it stopped. Idempotent.
func (r *Running) Stop(timeout time.Duration) error {
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(timeout):
		return fmt.Errorf("the manager did not stop within %s", timeout)
	}
}
