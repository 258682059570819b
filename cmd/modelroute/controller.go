package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/modelroute/modelroute/internal/manager"
	"github.com/modelroute/modelroute/internal/translateflags"
)

// controllerFlags are the controller's own settings; translation settings
// are the ones render takes.
type controllerFlags struct {
	kubeconfig       string
	namespace        string
	metricsAddr      string
	metricsSecure    bool
	probeAddr        string
	pprofAddr        string
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
	translation      *translateflags.Flags
}

func bindControllerFlags(fs *flag.FlagSet) *controllerFlags {
	f := &controllerFlags{}
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file; default: $KUBECONFIG, in-cluster config, then ~/.kube/config")
	fs.StringVar(&f.namespace, "namespace", "", "only watch this namespace (default: all namespaces)")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8443", "address of the Prometheus metrics endpoint; 0 disables it")
	fs.BoolVar(&f.metricsSecure, "metrics-secure", true, "serve the metrics over HTTPS to clients whose bearer token the API server authenticates and allows to GET /metrics; false: plain HTTP to anyone")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz probes")
	fs.StringVar(&f.pprofAddr, "pprof-bind-address", "0", "address of Go's /debug/pprof/ profiles; 0 disables them")
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
	f.translation = translateflags.Bind(fs)
	f.translation.AllowAutoEPPAPI()
	f.zap.BindFlags(fs)
	return f
}

func runController(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := bindControllerFlags(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	opts, err := f.managerOptions()
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&f.zap), zap.WriteTo(stderr)))
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	memoryLimit, err := goMemoryLimit(os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	if memoryLimit > 0 {
		debug.SetMemoryLimit(memoryLimit)
	}
	if err := serve(f.kubeconfig, f.qps, f.burst, opts); err != nil {
		ctrl.Log.WithName("controller").Error(err, "stopped")
		return 1
	}
	return 0
}

// defaultGCPercent replaces Go's GOGC=100 unless GOGC is set: the
// controller's heap is mostly its cache, and between collections the heap
// may grow by this percentage of what survived the last one. Collecting
// more often costs some CPU, which the controller has to spare (it waits
// on the API server), and cuts its peak memory (docs/benchmarks.md).
const defaultGCPercent = 50

// containerMemoryLimitEnv holds the container's memory limit in bytes;
// config/manager sets it from limits.memory with a resourceFieldRef.
const containerMemoryLimitEnv = "MODELROUTE_CONTAINER_MEMORY_LIMIT"

// goMemoryLimitShare is the part of the container's memory limit given to
// the Go runtime as its soft limit. The rest is headroom for what the
// runtime does not count (the binary's mapped text, memory the kernel has
// not reclaimed yet) and for the moments the limit is overshot while the
// collector catches up: at the limit itself, the kernel kills the process
// before the runtime reacts.
const goMemoryLimitShare = 0.9

// goMemoryLimit is the Go runtime's soft memory limit: 0 (left alone) when
// GOMEMLIMIT is set, which the runtime reads itself, or when no container
// limit is given; otherwise goMemoryLimitShare of the container's limit.
func goMemoryLimit(lookupEnv func(string) (string, bool)) (int64, error) {
	if _, set := lookupEnv("GOMEMLIMIT"); set {
		return 0, nil
	}
	v, set := lookupEnv(containerMemoryLimitEnv)
	if !set || v == "" {
		return 0, nil
	}
	limit, err := strconv.ParseInt(v, 10, 64)
	if err != nil || limit <= 0 {
		return 0, fmt.Errorf("%s=%q: want the container's memory limit in bytes", containerMemoryLimitEnv, v)
	}
	return int64(float64(limit) * goMemoryLimitShare), nil
}

// managerOptions are the flags as the manager takes them.
func (f *controllerFlags) managerOptions() (manager.Options, error) {
	cfg, err := f.translation.Config()
	if err != nil {
		return manager.Options{}, err
	}
	opts := manager.Options{
		Config:                  cfg,
		Concurrency:             f.concurrency,
		MetricsBindAddress:      f.metricsAddr,
		MetricsSecure:           f.metricsSecure,
		HealthProbeBindAddress:  f.probeAddr,
		PprofBindAddress:        f.pprofAddr,
		LeaderElection:          f.leaderElect,
		LeaderElectionNamespace: f.leaderElectionNS,
		LeaderElectionID:        f.leaderElectionID,
		LeaseDuration:           &f.leaseDuration,
		RenewDeadline:           &f.renewDeadline,
		RetryPeriod:             &f.retryPeriod,
		SyncPeriod:              &f.syncPeriod,
		GracefulShutdownTimeout: &f.gracefulShutdown,
	}
	if f.namespace != "" {
		opts.Namespaces = []string{f.namespace}
	}
	return opts, nil
}

// serve runs the controller until SIGINT or SIGTERM.
func serve(kubeconfig string, qps float64, burst int, opts manager.Options) error {
	restConfig, err := loadRESTConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	restConfig.QPS, restConfig.Burst = float32(qps), burst
	ctx := ctrl.SetupSignalHandler()
	mgr, err := manager.New(ctx, restConfig, opts)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("controller").Info("starting", "version", versionString(),
		"namespaces", opts.Namespaces, "backend", opts.Config.Backend,
		"metricsSecure", opts.MetricsSecure, "goMemoryLimit", debug.SetMemoryLimit(-1))
	return mgr.Start(ctx)
}

func loadRESTConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return ctrl.GetConfig()
}
