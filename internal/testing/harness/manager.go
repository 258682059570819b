package harness

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
	"k8s.io/utils/ptr"

	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/manager"
	"github.com/modelroute/modelroute/translate"
)

// ManagerOptions configure StartManager.
type ManagerOptions struct {
	// RestConfig is the manager's identity and API server.
	RestConfig *rest.Config
	// Namespaces the manager caches (and so sees).
	Namespaces []string
	Config     translate.Config
	// LeaderElectionNamespace, when set, makes the manager elect itself
	// leader through the Lease LeaderElectionID there, as `modelroute
	// controller --leader-elect` does.
	LeaderElectionNamespace, LeaderElectionID string
	// MetricsBindAddress, when set, serves the metrics there as `modelroute
	// controller` does by default: HTTPS, authenticated and authorized by
	// the API server. Empty: no metrics endpoint.
	MetricsBindAddress string
}

// Manager is modelroute's reconcilers running in the test's process, as
// `modelroute controller` runs them, with their API requests recorded.
type Manager struct {
	Requests *RequestLog
	Metrics  *controllers.ConditionMetrics
	t        testing.TB
	logs     *SyncBuffer
	running  *manager.Running
	stopOnce sync.Once
}

// StartManager starts a manager, waits for its caches and stops it when
// the test ends, printing its log and requests if the test failed.
func StartManager(t testing.TB, opts ManagerOptions) *Manager {
	t.Helper()
	m := &Manager{Requests: &RequestLog{}, Metrics: controllers.NewConditionMetrics(), t: t, logs: &SyncBuffer{}}
	restConfig := rest.CopyConfig(opts.RestConfig)
	restConfig.WrapTransport = transport.Wrappers(restConfig.WrapTransport, m.Requests.Wrap)
	logger := funcr.New(func(prefix, args string) {
		fmt.Fprintf(m.logs, "%s %s %s\n", time.Now().Format("15:04:05.000"), prefix, args)
	}, funcr.Options{Verbosity: 1})
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	mgr, err := manager.New(ctx, restConfig, manager.Options{
		Config: opts.Config, Concurrency: 2, Namespaces: opts.Namespaces, Logger: logger, Metrics: m.Metrics,
		MetricsBindAddress: cmp.Or(opts.MetricsBindAddress, manager.Disabled), MetricsSecure: true,
		HealthProbeBindAddress:  manager.Disabled,
		LeaderElection:          opts.LeaderElectionNamespace != "",
		LeaderElectionNamespace: opts.LeaderElectionNamespace, LeaderElectionID: opts.LeaderElectionID,
		GracefulShutdownTimeout: ptr.To(20 * time.Second),
		// Every test starts the same controllers again in this process.
		Repeatable: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.running, err = manager.Start(ctx, mgr, logger, DefaultTimeout); err != nil {
		t.Fatalf("%v; manager log:\n%s", err, m.logs)
	}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("manager log:\n%s", m.logs)
			t.Logf("manager writes:\n%s", strings.Join(m.Requests.Writes(), "\n"))
			if denied := m.Requests.Denied(); len(denied) > 0 {
				t.Logf("requests denied:\n%s", strings.Join(denied, "\n"))
			}
		}
	})
	return m
}

// Stop stops the manager and waits for it to return; idempotent.
func (m *Manager) Stop() {
	m.stopOnce.Do(func() {
		if err := m.running.Stop(time.Minute); err != nil {
			m.t.Errorf("manager stopped with: %v", err)
		}
	})
}

// Running fails once the manager has returned (crashed).
func (m *Manager) Running() error { return m.running.Exited() }

// Panics returns the log lines of reconciles that panicked: controller-runtime
// recovers such a panic into a reconcile error.
func (m *Manager) Panics() []string {
	var out []string
	for _, line := range strings.Split(m.logs.String(), "\n") {
		if strings.Contains(line, "[recovered]") || strings.Contains(line, "Observed a panic") {
			out = append(out, line)
		}
	}
	return out
}
