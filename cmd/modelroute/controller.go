package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/translateflags"
)

// controllerFlags are the controller's own settings; translation settings
// are the ones render takes.
type controllerFlags struct {
	kubeconfig       string
	namespace        string
	metricsAddr      string
	probeAddr        string
	leaderElect      bool
	leaderElectionNS string
	leaderElectionID string
	leaseDuration    time.Duration
	renewDeadline    time.Duration
	retryPeriod      time.Duration
	concurrency      int
	qps              float64
	burst            int
	gracefulShutdown time.Duration
	syncPeriod       time.Duration
	zap              zap.Options
}

func runController(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f controllerFlags
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file; default: $KUBECONFIG, in-cluster config, then ~/.kube/config")
	fs.StringVar(&f.namespace, "namespace", "", "only watch this namespace (default: all namespaces)")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus metrics endpoint; 0 disables it")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz probes")
	fs.BoolVar(&f.leaderElect, "leader-elect", false, "elect a leader through a Lease, so that only one replica writes")
	fs.StringVar(&f.leaderElectionNS, "leader-election-namespace", "", "namespace of the leader election Lease (default: the controller's own, in a cluster)")
	fs.StringVar(&f.leaderElectionID, "leader-election-id", "modelroute.dev", "name of the leader election Lease")
	// controller-runtime's defaults.
	fs.DurationVar(&f.leaseDuration, "leader-election-lease-duration", 15*time.Second, "how long a standby waits, after the leader last renewed the Lease, before taking it over")
	fs.DurationVar(&f.renewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew the Lease before it stops leading (less than the lease duration)")
	fs.DurationVar(&f.retryPeriod, "leader-election-retry-period", 2*time.Second, "how often replicas try to acquire or renew the Lease (under the renew deadline divided by 1.2)")
	fs.IntVar(&f.concurrency, "concurrency", 4, "InferenceModels reconciled at once")
	fs.Float64Var(&f.qps, "kube-api-qps", 50, "queries per second to the API server")
	fs.IntVar(&f.burst, "kube-api-burst", 100, "burst of queries to the API server")
	fs.DurationVar(&f.gracefulShutdown, "graceful-shutdown-timeout", 30*time.Second, "how long to wait for reconciles to finish on shutdown")
	fs.DurationVar(&f.syncPeriod, "sync-period", 10*time.Hour, "how often every cached object is handed to the reconcilers again (a resync from the cache, no API requests)")
	tf := translateflags.Bind(fs)
	f.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	cfg, err := tf.Config()
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&f.zap), zap.WriteTo(stderr)))
	log := ctrl.Log.WithName("controller")

	restConfig, err := loadRESTConfig(f.kubeconfig)
	if err != nil {
		log.Error(err, "loading kubeconfig")
		return 1
	}
	restConfig.QPS, restConfig.Burst = float32(f.qps), f.burst
	scheme, err := controllers.NewScheme()
	if err != nil {
		log.Error(err, "building scheme")
		return 1
	}
	mgrOpts := ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress:        f.probeAddr,
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              f.leaderElectionID,
		LeaderElectionNamespace:       f.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &f.leaseDuration,
		RenewDeadline:                 &f.renewDeadline,
		RetryPeriod:                   &f.retryPeriod,
		GracefulShutdownTimeout:       &f.gracefulShutdown,
		Cache:                         controllers.CacheOptions(namespaces(f.namespace)...),
	}
	mgrOpts.Cache.SyncPeriod = &f.syncPeriod
	mgr, err := ctrl.NewManager(restConfig, mgrOpts)
	if err != nil {
		log.Error(err, "creating manager")
		return 1
	}
	conditionMetrics := controllers.NewConditionMetrics()
	if err := metrics.Registry.Register(conditionMetrics); err != nil {
		log.Error(err, "registering metrics")
		return 1
	}
	ctx := ctrl.SetupSignalHandler()
	if err := controllers.Setup(ctx, mgr, controllers.Options{Config: cfg, Concurrency: f.concurrency, Metrics: conditionMetrics}); err != nil {
		log.Error(err, "setting up controllers")
		return 1
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "adding health check")
		return 1
	}
	if err := mgr.AddReadyzCheck("caches-synced", func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("informer caches have not synced")
		}
		return nil
	}); err != nil {
		log.Error(err, "adding readiness check")
		return 1
	}
	log.Info("starting", "version", versionString(), "namespace", f.namespace, "backend", cfg.Backend)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "manager stopped")
		return 1
	}
	return 0
}

// namespaces is the --namespace flag as a list: none for all namespaces.
func namespaces(flag string) []string {
	if flag == "" {
		return nil
	}
	return []string{flag}
}

func loadRESTConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return ctrl.GetConfig()
}
