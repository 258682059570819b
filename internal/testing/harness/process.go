package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/modelroute/modelroute/internal/localstack/controlplane"
)

// ControllerProcess is `modelroute controller` running as a child process,
// with its metrics and probes on free loopback ports.
type ControllerProcess struct {
	proc        *controlplane.Process
	metricsAddr string
	probeAddr   string
	started     time.Time
}

// StartControllerProcess runs `binary controller --kubeconfig kubeconfig`
// with args, and env (KEY=VALUE) added to this process's environment,
// writing its output to out. It does not wait for anything: see
// WaitMetrics and WaitReady.
func StartControllerProcess(binary, kubeconfig string, env []string, out io.Writer, args ...string) (*ControllerProcess, error) {
	metricsAddr, err := controlplane.FreeAddr()
	if err != nil {
		return nil, err
	}
	probeAddr, err := controlplane.FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, append([]string{"controller",
		"--kubeconfig", kubeconfig,
		// Plain HTTP, so that Scrape needs no token; the authenticated
		// default is tested in controllers' TestLeastPrivilege.
		"--metrics-bind-address", metricsAddr, "--metrics-secure=false",
		"--health-probe-bind-address", probeAddr,
	}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	c := &ControllerProcess{metricsAddr: metricsAddr, probeAddr: probeAddr, started: time.Now()}
	if c.proc, err = controlplane.StartProcess(cmd); err != nil {
		return nil, err
	}
	return c, nil
}

// Pid is the process's id.
func (c *ControllerProcess) Pid() int { return c.proc.Pid() }

// Done is closed once the process has exited.
func (c *ControllerProcess) Done() <-chan struct{} { return c.proc.Done() }

// Exited is nil while the process runs, and says how it ended once it has.
func (c *ControllerProcess) Exited() error {
	select {
	case <-c.proc.Done():
		return fmt.Errorf("the controller exited: %v", c.proc.Err())
	default:
		return nil
	}
}

// Kill sends SIGKILL and waits until the process is gone.
func (c *ControllerProcess) Kill() error {
	if err := syscall.Kill(c.proc.Pid(), syscall.SIGKILL); err != nil {
		return err
	}
	<-c.proc.Done()
	return nil
}

// Stop sends SIGTERM, then SIGKILL after grace, and returns how the
// process ended (nil for a clean exit). Idempotent.
func (c *ControllerProcess) Stop(grace time.Duration) error {
	c.proc.Stop(grace)
	return c.proc.Err()
}

// WaitMetrics waits until the metrics endpoint answers, or the process
// exits, or ctx ends.
func (c *ControllerProcess) WaitMetrics(ctx context.Context) error {
	return c.waitFor(ctx, func() error { _, err := c.Scrape(); return err })
}

// WaitReady waits until /readyz answers 200 (the caches have synced) and
// returns the time since the process started.
func (c *ControllerProcess) WaitReady(ctx context.Context) (time.Duration, error) {
	err := c.waitFor(ctx, func() error {
		resp, err := http.Get("http://" + c.probeAddr + "/readyz")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		return nil
	})
	return time.Since(c.started), err
}

func (c *ControllerProcess) waitFor(ctx context.Context, ready func() error) error {
	var last error
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		if err := c.Exited(); err != nil {
			return false, err
		}
		last = ready()
		return last == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last: %v)", err, last)
	}
	return err
}

// Metrics are the metric families of a scrape, by name.
type Metrics map[string]*dto.MetricFamily

// Scrape reads the process's Prometheus metrics.
func (c *ControllerProcess) Scrape() (Metrics, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + c.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	return Metrics(families), err
}

// Sum adds the values (counter, gauge or untyped) of the series of metric
// name whose labels include labels.
func (m Metrics) Sum(name string, labels map[string]string) float64 {
	total := 0.0
	for _, metric := range m[name].GetMetric() {
		if !hasLabels(metric, labels) {
			continue
		}
		switch {
		case metric.Counter != nil:
			total += metric.GetCounter().GetValue()
		case metric.Gauge != nil:
			total += metric.GetGauge().GetValue()
		case metric.Untyped != nil:
			total += metric.GetUntyped().GetValue()
		}
	}
	return total
}

// Series calls fn with the labels and value of each series of metric name.
func (m Metrics) Series(name string, fn func(labels map[string]string, value float64)) {
	for _, metric := range m[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range metric.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		fn(labels, Metrics{name: &dto.MetricFamily{Metric: []*dto.Metric{metric}}}.Sum(name, nil))
	}
}

func hasLabels(metric *dto.Metric, labels map[string]string) bool {
	for k, v := range labels {
		found := false
		for _, l := range metric.GetLabel() {
			found = found || (l.GetName() == k && l.GetValue() == v)
		}
		if !found {
			return false
		}
	}
	return true
}

// PeakRSS reads the process's peak resident set size (VmHWM), in bytes.
func (c *ControllerProcess) PeakRSS() (int64, error) {
	return ProcStatusBytes(c.proc.Pid(), "VmHWM")
}

// ProcStatusBytes reads a size field of /proc/PID/status (VmRSS, VmHWM…),
// in bytes.
func ProcStatusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) == 3 && fields[0] == field+":" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10, err
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
