//go:build bench

package scale_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelroute/modelroute/internal/testing/localcluster"
)

// controllerProcess is one `modelroute controller` process.
type controllerProcess struct {
	proc    *localcluster.Process
	metrics string // URL of its /metrics
	readyz  string // URL of its /readyz
	log     string // file its output goes to
	started time.Time

	mu        sync.Mutex
	heapInuse float64 // peaks of the samples
	heapAlloc float64
	stopPoll  context.CancelFunc
}

// startController runs binary's controller with the common flags and args,
// and samples its heap every second.
func startController(binary, kubeconfig, logPath string, args ...string) (*controllerProcess, error) {
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, append([]string{"controller",
		"--kubeconfig", kubeconfig,
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", probeAddr,
	}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	c := &controllerProcess{
		metrics: "http://" + metricsAddr + "/metrics", readyz: "http://" + probeAddr + "/readyz",
		log: logPath, started: time.Now(),
	}
	c.proc, err = localcluster.StartProcess(cmd)
	logFile.Close() // the child has its own descriptor
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stopPoll = cancel
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				c.sampleHeap()
			}
		}
	}()
	return c, nil
}

func (c *controllerProcess) sampleHeap() {
	m, err := c.scrape()
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heapInuse = max(c.heapInuse, m.sum("go_memstats_heap_inuse_bytes", nil))
	c.heapAlloc = max(c.heapAlloc, m.sum("go_memstats_heap_alloc_bytes", nil))
}

// heapPeaks returns the highest heap in use and allocated sampled so far.
func (c *controllerProcess) heapPeaks() (inuse, alloc float64) {
	c.sampleHeap()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heapInuse, c.heapAlloc
}

// waitReady waits until /readyz answers 200 (caches synced) and returns
// the time since the process started.
func (c *controllerProcess) waitReady(ctx context.Context) (time.Duration, error) {
	for {
		resp, err := http.Get(c.readyz)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(c.started), nil
			}
		}
		select {
		case <-c.proc.Done():
			return 0, fmt.Errorf("the controller exited: %v\n%s", c.proc.Err(), c.tail())
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// peakRSS reads the process's peak resident set size (VmHWM), in bytes.
func (c *controllerProcess) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.proc.Pid()))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) == 3 && fields[0] == "VmHWM:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10, err
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", c.proc.Pid())
}

// stop ends the process (SIGTERM, then SIGKILL after 30s).
func (c *controllerProcess) stop() error {
	c.stopPoll()
	c.proc.Stop(30 * time.Second)
	if err := c.proc.Err(); err != nil {
		return fmt.Errorf("controller: %v\n%s", err, c.tail())
	}
	return nil
}

func (c *controllerProcess) tail() string {
	data, _ := os.ReadFile(c.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

type samples []sample

// scrape reads the controller's metrics.
func (c *controllerProcess) scrape() (samples, error) {
	resp, err := http.Get(c.metrics)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out samples
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		smp := sample{name: line[:sp], labels: map[string]string{}, value: v}
		if i := strings.IndexByte(smp.name, '{'); i >= 0 {
			for _, kv := range strings.Split(strings.TrimSuffix(smp.name[i+1:], "}"), ",") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					smp.labels[k] = strings.Trim(v, `"`)
				}
			}
			smp.name = smp.name[:i]
		}
		out = append(out, smp)
	}
	return out, s.Err()
}

// sum adds the samples called name whose labels include labels.
func (m samples) sum(name string, labels map[string]string) float64 {
	total := 0.0
	for _, s := range m {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range labels {
			ok = ok && s.labels[k] == v
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// modelQueue is the state of the inferencemodel controller's work: queued
// and in-flight reconciles, and reconciles done.
func (c *controllerProcess) modelQueue() (busy, reconciled float64, err error) {
	m, err := c.scrape()
	if err != nil {
		return 0, 0, err
	}
	ctrl := map[string]string{"controller": "inferencemodel"}
	busy = m.sum("workqueue_depth", map[string]string{"name": "inferencemodel"}) +
		m.sum("controller_runtime_active_workers", ctrl)
	return busy, m.sum("controller_runtime_reconcile_total", ctrl), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
