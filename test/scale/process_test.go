//go:build bench

package scale_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/harness"
)

// controllerProcess is one `modelroute controller` process whose heap is
// sampled every second.
type controllerProcess struct {
	*harness.ControllerProcess
	log       string // file its output goes to
	started   time.Time
	pprofAddr string // with -profile-dir

	mu        sync.Mutex
	heapInuse float64 // peaks of the samples
	heapAlloc float64
	stopPoll  context.CancelFunc
}

// startController runs binary's controller with the common flags and args,
// and samples its heap every second.
func startController(binary, kubeconfig, logPath string, args ...string) (*controllerProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	c := &controllerProcess{log: logPath, started: time.Now()}
	if *profileDir != "" {
		if c.pprofAddr, err = controlplane.FreeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-bind-address", c.pprofAddr)
	}
	c.ControllerProcess, err = harness.StartControllerProcess(binary, kubeconfig, controllerEnvironment(), logFile, args...)
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
	m, err := c.Scrape()
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heapInuse = max(c.heapInuse, m.Sum("go_memstats_heap_inuse_bytes", nil))
	c.heapAlloc = max(c.heapAlloc, m.Sum("go_memstats_heap_alloc_bytes", nil))
}

// profile saves the pprof profile at /debug/pprof/path into file of
// -profile-dir, in the background when it takes time (a CPU profile);
// without -profile-dir it does nothing.
func (c *controllerProcess) profile(t *testing.T, file, path string) {
	if c.pprofAddr == "" {
		return
	}
	save := func() {
		resp, err := http.Get("http://" + c.pprofAddr + "/debug/pprof/" + path)
		if err != nil {
			t.Logf("profile %s: %v", file, err)
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err == nil {
			err = os.WriteFile(filepath.Join(*profileDir, file), data, 0o644)
		}
		if err != nil {
			t.Logf("profile %s: %v", file, err)
		}
	}
	if strings.HasPrefix(path, "profile") {
		go save()
		return
	}
	save()
}

// profileAPIServer saves, in the background, a CPU profile of the next 30
// s of kube-apiserver into file of -profile-dir (its /debug/pprof, which
// the admin may read); without -profile-dir it does nothing.
func (b *bench) profileAPIServer(t *testing.T, file string) {
	if *profileDir == "" {
		return
	}
	go func() {
		c, err := rest.HTTPClientFor(b.cluster.Config)
		server, _, urlErr := rest.DefaultServerUrlFor(b.cluster.Config)
		if err == nil && urlErr != nil {
			err = urlErr
		}
		if err == nil {
			var resp *http.Response
			if resp, err = c.Get(server.JoinPath("debug/pprof/profile").String() + "?seconds=30"); err == nil {
				defer resp.Body.Close()
				var data []byte
				if data, err = io.ReadAll(resp.Body); err == nil {
					err = os.WriteFile(filepath.Join(*profileDir, file), data, 0o644)
				}
			}
		}
		if err != nil {
			t.Logf("profile %s: %v", file, err)
		}
	}()
}

// controlPlaneCPU is the CPU-seconds kube-apiserver and etcd have used.
func controlPlaneCPU() float64 {
	total := 0.0
	for _, pid := range controlplane.ChildPIDs("kube-apiserver", "etcd") {
		total += procCPU(pid, false)
	}
	return total
}

// heapPeaks returns the highest heap in use and allocated sampled so far.
func (c *controllerProcess) heapPeaks() (inuse, alloc float64) {
	c.sampleHeap()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heapInuse, c.heapAlloc
}

// waitReady waits until the caches have synced and returns the time since
// the process started.
func (c *controllerProcess) waitReady(ctx context.Context) (time.Duration, error) {
	took, err := c.WaitReady(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, c.tail())
	}
	return took, nil
}

// stop ends the process (SIGTERM, then SIGKILL after 30s).
func (c *controllerProcess) stop() error {
	c.stopPoll()
	if err := c.Stop(30 * time.Second); err != nil {
		return fmt.Errorf("controller: %v\n%s", err, c.tail())
	}
	return nil
}

func (c *controllerProcess) tail() string {
	data, _ := os.ReadFile(c.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// modelQueue is the state of the inferencemodel controller's work: queued
// and in-flight reconciles, and reconciles done.
func (c *controllerProcess) modelQueue() (busy, reconciled float64, err error) {
	m, err := c.Scrape()
	if err != nil {
		return 0, 0, err
	}
	ctrl := map[string]string{"controller": "inferencemodel"}
	busy = m.Sum("workqueue_depth", map[string]string{"name": "inferencemodel"}) +
		m.Sum("controller_runtime_active_workers", ctrl)
	return busy, m.Sum("controller_runtime_reconcile_total", ctrl), nil
}

// controllerEnvironment is -controller-env as KEY=VALUE entries.
func controllerEnvironment() []string {
	return slices.DeleteFunc(strings.Split(*envFlag, ","), func(kv string) bool { return kv == "" })
}

// rss is the process's resident set size now, from its metrics
// (process_resident_memory_bytes, the Prometheus process collector's).
func (c *controllerProcess) rss() (int64, error) {
	m, err := c.Scrape()
	if err != nil {
		return 0, err
	}
	return int64(m.Sum("process_resident_memory_bytes", nil)), nil
}
