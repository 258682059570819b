//go:build bench

package proxybench

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/benchdoc"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

var (
	outFlag         = flag.String("out", "", "markdown file to write the results into (default docs/benchmarks.md of the repository; - for none)")
	latencyRequests = flag.Int("latency-requests", 3000, "requests, one at a time, per latency cell")
	loadDuration    = flag.Duration("load-duration", 3*time.Second, "length of each throughput cell")
	concurrency     = flag.Int("concurrency", 8, "requests in flight in the throughput cells")
	ttfbRequests    = flag.Int("ttfb-requests", 200, "streamed requests, one at a time, per proxy")
	bigBodyMiB      = flag.Int("big-body-mib", 100, "size of the bodies of the memory cells, MiB")
	bigInFlight     = flag.Int("big-in-flight", 4, "big bodies in flight at once in the memory cells")
)

// The model names of the requests: the router routes "m"; the sidecar is
// told the target "m-lora" in the rewrite header and splices it.
const (
	modelName = "m"
	target    = "m-lora"
)

// A proxy under test, or none ("direct").
type proxy struct {
	name string
	addr string
	pid  int
	// header is what the request carries for it (the sidecar's rewrite
	// header, as a route sets it).
	header http.Header
}

func TestProxyBench(t *testing.T) {
	started := time.Now()
	dir := t.TempDir()
	bin, err := harness.BuildModelroute(dir)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	up := startChild(t, exec.Command(self), "upstream", "")
	upURL := "http://" + up.addr
	plain := startChild(t, exec.Command(self), "plain", upURL)
	router := startChild(t, exec.Command(bin, "router", "--gateway", upURL, "--model", modelName,
		"--health-probe-bind-address", "0", "--max-body", "1Gi"), "", "")
	sidecar := startChild(t, exec.Command(bin, "rewrite", "--upstream", upURL,
		"--health-probe-bind-address", "0", "--max-body", "1Gi"), "", "")
	proxies := []proxy{
		{name: "direct", addr: up.addr, pid: up.pid},
		{name: "plain", addr: plain.addr, pid: plain.pid},
		{name: "router", addr: router.addr, pid: router.pid},
		{name: "sidecar", addr: sidecar.addr, pid: sidecar.pid, header: http.Header{translate.DefaultRewriteHeader: {target}}},
	}

	r := report{Started: started.UTC(), Commit: commit(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), CPU: cpuModel(),
		LatencyRequests: *latencyRequests, LoadDuration: *loadDuration, Concurrency: *concurrency,
		TTFBRequests: *ttfbRequests, BigBodyMiB: *bigBodyMiB, BigInFlight: *bigInFlight}
	client := newClient(*concurrency)
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		for _, last := range []bool{false, true} {
			body := chatBody(size, last)
			c := cell{Size: size, ModelLast: last}
			latencies := measureLatency(t, client, proxies, body, *latencyRequests)
			for i, p := range proxies {
				lat := latencies[i]
				rps := measureThroughput(t, client, p, body, *concurrency, *loadDuration)
				c.Results = append(c.Results, result{Proxy: p.name, P50: lat.p(0.50), P99: lat.p(0.99), RPS: rps})
				t.Logf("%7d B, model %s, %-7s: p50 %v p99 %v, %.0f req/s", size, position(last), p.name, lat.p(0.5), lat.p(0.99), rps)
			}
			r.Cells = append(r.Cells, c)
		}
	}
	for i, first := range measureTTFB(t, client, proxies, *ttfbRequests) {
		r.TTFB = append(r.TTFB, result{Proxy: proxies[i].name, P50: first.p(0.50), P99: first.p(0.99)})
		t.Logf("first event through %s: p50 %v p99 %v", proxies[i].name, first.p(0.5), first.p(0.99))
	}
	for _, p := range proxies[1:] {
		for _, last := range []bool{false, true} {
			m := measureMemory(t, p, int64(*bigBodyMiB)<<20, last, *bigInFlight)
			r.Memory = append(r.Memory, m)
			t.Logf("memory of %s, %d MiB bodies with model %s: %+v", p.name, *bigBodyMiB, position(last), m)
		}
	}
	r.Duration = time.Since(started)
	text, err := r.render()
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + text)
	out := *outFlag
	if out == "" {
		out = filepath.Join(controlplane.RepoRoot(), "docs", "benchmarks.md")
	}
	if out != "-" {
		if err := benchdoc.WriteBlock(out, "make bench-proxy", "test/proxybench", "Benchmarks", text); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

func position(last bool) string {
	if last {
		return "last"
	}
	return "first"
}

// child is a process under test.
type child struct {
	addr string
	pid  int
}

// startChild runs cmd listening on a free loopback port (--listen, or the
// test binary's role) and waits until it accepts connections.
func startChild(t *testing.T, cmd *exec.Cmd, role, upstream string) child {
	t.Helper()
	addr, err := controlplane.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		cmd.Env = append(os.Environ(), roleEnv+"="+role, listenEnv+"="+addr, upstreamEnv+"="+upstream)
	} else {
		cmd.Args = append(cmd.Args, "--listen", addr)
	}
	var out harness.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := controlplane.StartProcess(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return child{addr: addr, pid: p.Pid()}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v does not listen on %s: %v\n%s", cmd.Args, addr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute,
		DisableCompression: true,
	}}
}

// chatBody is a chat request of size bytes whose "model" comes first or
// after the messages, as the OpenAI SDKs write it.
func chatBody(size int, modelLast bool) []byte {
	head, tail := `{"model":"`+modelName+`","messages":[{"role":"user","content":"`, `"}]}`
	if modelLast {
		head, tail = `{"messages":[{"role":"user","content":"`, `"}],"model":"`+modelName+`"}`
	}
	pad := max(0, size-len(head)-len(tail))
	return []byte(head + strings.Repeat("a", pad) + tail)
}

// send posts body through p and reads the whole answer.
func send(client *http.Client, p proxy, body io.Reader, stream bool) error {
	req, err := http.NewRequest(http.MethodPost, "http://"+p.addr+"/v1/chat/completions", body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range p.header {
		req.Header[k] = v
	}
	if stream {
		req.Header.Set(streamHeader, "1")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", p.name, resp.Status)
	}
	return nil
}

// durations are samples, sorted by p.
type durations []time.Duration

// p is the q-quantile (nearest rank).
func (d durations) p(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// measureLatency sends n requests through each proxy one after another,
// after a warm-up, taking turns (each round in another order) so that
// whatever else the machine does falls on all of them alike.
func measureLatency(t *testing.T, client *http.Client, proxies []proxy, body []byte, n int) []durations {
	t.Helper()
	out := make([]durations, len(proxies))
	warmUp := min(n/10, 200)
	for round := range warmUp + n {
		for k := range proxies {
			i := (round + k) % len(proxies)
			start := time.Now()
			if err := send(client, proxies[i], bytes.NewReader(body), false); err != nil {
				t.Fatal(err)
			}
			if round >= warmUp {
				out[i] = append(out[i], time.Since(start))
			}
		}
	}
	return out
}

// measureThroughput keeps conns requests in flight for d and returns the
// rate answered.
func measureThroughput(t *testing.T, client *http.Client, p proxy, body []byte, conns int, d time.Duration) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := send(client, p, bytes.NewReader(body), false); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return float64(done.Load()) / time.Since(start).Seconds()
}

// measureTTFB times, for n streamed requests through each proxy, taking
// turns, the wait for the first event.
func measureTTFB(t *testing.T, client *http.Client, proxies []proxy, n int) []durations {
	t.Helper()
	out := make([]durations, len(proxies))
	for round := range n {
		for k := range proxies {
			i := (round + k) % len(proxies)
			out[i] = append(out[i], firstEvent(t, client, proxies[i]))
		}
	}
	return out
}

// firstEvent times one streamed request's wait for its first event.
func firstEvent(t *testing.T, client *http.Client, p proxy) time.Duration {
	t.Helper()
	body := chatBody(1<<10, true)
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(streamHeader, "1")
	for k, v := range p.header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	elapsed := time.Since(start)
	if err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("%s: first line %q: %v", p.name, line, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return elapsed
}

// memory is a proxy's resident set around big bodies.
type memory struct {
	Proxy     string
	ModelLast bool
	// Before is the resident set before; Peak the highest seen while
	// inFlight bodies were in flight (sampled every 5 ms, and VmHWM).
	Before, Peak int64
}

// measureMemory sends inFlight requests at once, each a body of size
// bytes generated as it is sent (the client holds none of it), and
// samples p's resident set.
func measureMemory(t *testing.T, p proxy, size int64, modelLast bool, inFlight int) memory {
	t.Helper()
	runtime.GC()
	before, err := harness.ProcStatusBytes(p.pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	m := memory{Proxy: p.name, ModelLast: modelLast, Before: before, Peak: before}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if rss, err := harness.ProcStatusBytes(p.pid, "VmRSS"); err == nil {
				m.Peak = max(m.Peak, rss)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	client := newClient(inFlight)
	var wg sync.WaitGroup
	errs := make(chan error, inFlight)
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- send(client, p, newBigBody(size, modelLast), false)
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// bigBody generates a chat request of about size bytes as it is read.
type bigBody struct {
	head, tail []byte
	pad        int64
}

func newBigBody(size int64, modelLast bool) *bigBody {
	b := chatBody(0, modelLast)
	cut := bytes.Index(b, []byte(`"content":"`)) + len(`"content":"`)
	return &bigBody{head: b[:cut], tail: b[cut:], pad: size}
}

var padding = bytes.Repeat([]byte("a"), 32<<10)

func (b *bigBody) Read(p []byte) (int, error) {
	switch {
	case len(b.head) > 0:
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	case b.pad > 0:
		n := copy(p[:min(int64(len(p)), b.pad)], padding)
		b.pad -= int64(n)
		return n, nil
	case len(b.tail) > 0:
		n := copy(p, b.tail)
		b.tail = b.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

func commit() string {
	out, err := exec.Command("git", "-C", controlplane.RepoRoot(), "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
