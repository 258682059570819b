//go:build bench

package scale_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/modelroute/modelroute/internal/testing/localcluster"
)

// environment is the machine, the versions and the conditions of a run.
type environment struct {
	Date                  time.Time
	NProc                 int
	MemTotal              int64
	CPUModel              string
	Go, Kubernetes, Etcd  string
	ClientGo, Runtime, GW string
	Duration              time.Duration
	Load                  loadStats
	CPU                   cpuUsage
}

func describeEnvironment(cfg *rest.Config) (environment, error) {
	env := environment{Date: time.Now().UTC(), NProc: runtime.NumCPU(), Go: runtime.Version()}
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(info), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				env.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if info, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				env.MemTotal = kb << 10
			}
		}
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return env, err
	}
	version, err := dc.ServerVersion()
	if err != nil {
		return env, err
	}
	env.Kubernetes = version.GitVersion
	if assets, err := localcluster.Assets(nil); err == nil {
		out, _ := exec.Command(filepath.Join(assets, "etcd"), "--version").Output()
		for line := range strings.SplitSeq(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "etcd Version: "); ok {
				env.Etcd = v
			}
		}
	}
	// A test binary carries no module versions: ask go.mod.
	list := exec.Command("go", "list", "-m", "k8s.io/client-go", "sigs.k8s.io/controller-runtime", "sigs.k8s.io/gateway-api")
	list.Dir = localcluster.RepoRoot()
	out, err := list.Output()
	if err != nil {
		return env, fmt.Errorf("go list -m: %w", err)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		switch path, version, _ := strings.Cut(line, " "); path {
		case "k8s.io/client-go":
			env.ClientGo = version
		case "sigs.k8s.io/controller-runtime":
			env.Runtime = version
		case "sigs.k8s.io/gateway-api":
			env.GW = version
		}
	}
	return env, nil
}

// loadStats summarises the 1-minute load average, sampled every 5 s.
type loadStats struct {
	Start, Mean, Max float64
}

type loadSampler struct {
	stopped chan struct{}
	done    sync.WaitGroup
	samples []float64
}

func startLoadSampler() *loadSampler {
	s := &loadSampler{stopped: make(chan struct{})}
	s.samples = append(s.samples, loadavg())
	s.done.Go(func() {
		for {
			select {
			case <-s.stopped:
				return
			case <-time.After(5 * time.Second):
				s.samples = append(s.samples, loadavg())
			}
		}
	})
	return s
}

func (s *loadSampler) stop() loadStats {
	close(s.stopped)
	s.done.Wait()
	st := loadStats{Start: s.samples[0], Max: slices.Max(s.samples)}
	for _, v := range s.samples {
		st.Mean += v / float64(len(s.samples))
	}
	return st
}

func loadavg() float64 {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// cpuSnapshot is the machine's busy CPU time and that of this process and
// its children (etcd, kube-apiserver, the controllers, exited or not), in
// seconds.
type cpuSnapshot struct {
	at         time.Time
	busy, ours float64
}

type cpuUsage struct {
	Wall       time.Duration
	Busy, Ours float64
}

const clockTicks = 100 // USER_HZ

func readCPU() cpuSnapshot {
	s := cpuSnapshot{at: time.Now()}
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		for i, v := range f[1:] {
			if i == 3 || i == 4 { // idle, iowait
				continue
			}
			if i > 7 { // guest time is already in user
				break
			}
			n, _ := strconv.ParseFloat(v, 64)
			s.busy += n / clockTicks
		}
	}
	self := os.Getpid()
	s.ours = procCPU(self, true)
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if pid != self && procParent(pid) == self {
			s.ours += procCPU(pid, true)
		}
	}
	return s
}

// procStat returns the fields of /proc/pid/stat after the command name.
func procStat(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(data[i+1:]))
}

func procParent(pid int) int {
	f := procStat(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// procCPU is utime+stime (+cutime+cstime: children waited for) in seconds.
func procCPU(pid int, children bool) float64 {
	f := procStat(pid)
	if len(f) < 15 {
		return 0
	}
	fields := []int{11, 12} // utime, stime
	if children {
		fields = append(fields, 13, 14)
	}
	total := 0.0
	for _, i := range fields {
		n, _ := strconv.ParseFloat(f[i], 64)
		total += n / clockTicks
	}
	return total
}

func (a cpuSnapshot) until(b cpuSnapshot) cpuUsage {
	return cpuUsage{Wall: b.at.Sub(a.at), Busy: b.busy - a.busy, Ours: b.ours - a.ours}
}

const (
	beginMarker = "<!-- make bench: begin (generated by test/scale; rewritten on every run) -->"
	endMarker   = "<!-- make bench: end -->"
)

// writeReport replaces the generated part of path, keeping the rest, or
// creates the file.
func writeReport(path, report string) error {
	block := beginMarker + "\n" + report + endMarker + "\n"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	begin, end := strings.Index(doc, beginMarker), strings.Index(doc, endMarker)
	if begin < 0 || end < begin {
		doc = "# Controller scale benchmark\n\n" + block
	} else {
		doc = doc[:begin] + block + strings.TrimPrefix(doc[end+len(endMarker):], "\n")
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

// renderReport is the generated markdown.
func renderReport(env environment, rs []*sizeResult) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("Measured on %s by `make bench`, which took %s.\n\n", env.Date.Format("2006-01-02 15:04 MST"), minutes(env.Duration))
	p("- **Machine:** %d CPUs (nproc), %s; %.1f GiB memory; %s/%s.\n",
		env.NProc, env.CPUModel, float64(env.MemTotal)/(1<<30), runtime.GOOS, runtime.GOARCH)
	capacity := env.CPU.Wall.Seconds() * float64(env.NProc)
	// The machine's busy time (/proc/stat) and the processes' (/proc/PID/stat)
	// are accounted differently and disagree by a percent or two.
	others := max(env.CPU.Busy-env.CPU.Ours, 0)
	p("- **Load:** 1-minute load average %.2f when the run started; %.2f on average and %.2f at most during the run, "+
		"which itself keeps etcd, kube-apiserver, the controller and the benchmark busy. The run used %.0f of the "+
		"machine's %.0f CPU-seconds; all other processes together about %.0f (%.0f%% of the machine, ±2%%).\n",
		env.Load.Start, env.Load.Mean, env.Load.Max, env.CPU.Ours, capacity, others, 100*others/capacity)
	p("- **Versions:** %s; Kubernetes %s (kube-apiserver built from the pinned k8s.io/kubernetes), etcd %s, client-go %s; "+
		"controller-runtime %s; gateway-api %s.\n", env.Go, env.Kubernetes, env.Etcd, env.ClientGo, env.Runtime, env.GW)
	p("- **Settings:** `modelroute controller --concurrency %d --kube-api-qps %g --kube-api-burst %d --parent-ref %s "+
		"--namespace scale-N`; the floor: a plain controller-runtime client with QPS %g, "+
		"burst %d and %d workers. %d models per pool, model *i* with *i* mod 10 + 1 weighted targets.\n\n",
		*concurrency, *qps, *burst, parentRef, *qps, *burst, *concurrency, *perPool)

	p("|  |")
	for _, r := range rs {
		p(" %s models |", num(r.N))
	}
	p(" goal |\n|---|")
	for range rs {
		p("---:|")
	}
	p("---|\n")
	last := rs[len(rs)-1]
	row := func(label, goal string, cell func(r *sizeResult) string) {
		p("| %s |", label)
		for _, r := range rs {
			p(" %s |", cell(r))
		}
		p(" %s |\n", goal)
	}
	row("InferencePools (alpha group)", "", func(r *sizeResult) string { return num(r.Pools) })
	row("floor: N route creates + N status patches", "", func(r *sizeResult) string { return secs(r.Floor) })
	row("converged: controller start → every route and status right", "", func(r *sizeResult) string { return secs(r.Converged) })
	row("**converged / floor**", goal(all(rs, func(r *sizeResult) bool { return r.ratio() <= 1.5 }), "≤ 1.5"),
		func(r *sizeResult) string { return fmt.Sprintf("**%.2f**", r.ratio()) })
	row("of which start → caches synced (`/readyz`)", "", func(r *sizeResult) string { return secs(r.Ready) })
	row("start → idle: no model queued, no request for 3 s (Events included)", "", func(r *sizeResult) string {
		return secs(r.Settled - 3*time.Second)
	})
	row("writes per model on creation: routes and status", goal(all(rs, func(r *sizeResult) bool { return r.objectWrites() <= 2 }), "≤ 2"),
		func(r *sizeResult) string { return fmt.Sprintf("%.3f", r.objectWrites()) })
	row("Event writes per model on creation", "", func(r *sizeResult) string { return fmt.Sprintf("%.3f", r.eventWrites()) })
	row("all requests per model on creation", "", func(r *sizeResult) string {
		return fmt.Sprintf("%.3f", float64(r.Create.sum(func(request) bool { return true }))/float64(r.N))
	})
	row("writes after a restart (every model reconciled)", goal(all(rs, func(r *sizeResult) bool { return writes(r.Restart) == 0 }), "0"),
		func(r *sizeResult) string { return num(writes(r.Restart)) })
	row("writes over a full resync", goal(all(rs, func(r *sizeResult) bool { return writes(r.Resync) == 0 }), "0"),
		func(r *sizeResult) string { return num(writes(r.Resync)) })
	row(fmt.Sprintf("edit → route changed, p50 / p99 (%d edits)", *edits),
		goal(percentile(last.Edits, 99) < time.Second, "p99 < 1 s at "+num(last.N)),
		func(r *sizeResult) string { return ms(percentile(r.Edits, 50)) + " / " + ms(percentile(r.Edits, 99)) })
	row("controller peak RSS (VmHWM), first start / restart", goal(max(last.HWMCreate, last.HWMRestart) < 300<<20, "< 300 MiB at "+num(last.N)),
		func(r *sizeResult) string { return fmt.Sprintf("%d / %d MiB", r.HWMCreate>>20, r.HWMRestart>>20) })
	row("controller heap in use, peak of 1 s samples, first start / restart", "",
		func(r *sizeResult) string {
			return fmt.Sprintf("%.0f / %.0f MiB", r.HeapInuse/(1<<20), r.HeapInuseRestart/(1<<20))
		})
	row("controller heap allocated, peak of 1 s samples, first start / restart", "",
		func(r *sizeResult) string {
			return fmt.Sprintf("%.0f / %.0f MiB", r.HeapAlloc/(1<<20), r.HeapAllocRestart/(1<<20))
		})

	p("\n**Requests per model on creation**, from the start of the controller until it was idle (no model " +
		"queued, no request for 3 s), by verb and then by verb and resource (total in parentheses). `APPLY` is a " +
		"server-side apply (an HTTP PATCH), `→ 404` an answer other than 2xx.\n\n")
	header := func(first string) {
		p("| %s |", first)
		for _, r := range rs {
			p(" %s models |", num(r.N))
		}
		p("\n|---|")
		for range rs {
			p("---:|")
		}
		p("\n")
	}
	header("verb")
	for _, verb := range []string{"GET", "LIST", "WATCH", "POST", "PUT", "PATCH", "APPLY", "DELETE"} {
		p("| %s |", verb)
		for _, r := range rs {
			n := r.Create.sum(func(q request) bool { return q.Verb == verb })
			p(" %.4f (%s) |", float64(n)/float64(r.N), num(n))
		}
		p("\n")
	}
	p("\n")
	header("request")
	kinds := map[request]bool{}
	for _, r := range rs {
		for k := range r.Create {
			kinds[k] = true
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(kinds), compareRequests) {
		p("| %s |", k)
		for _, r := range rs {
			p(" %.4f (%s) |", float64(r.Create[k])/float64(r.N), num(r.Create[k]))
		}
		p("\n")
	}
	p("\n| after convergence, of those |")
	for _, r := range rs {
		p(" %s |", listCounts(r.AfterConvergence))
	}
	p("\n| the controller's own `rest_client_requests_total` by method |")
	for _, r := range rs {
		keys := slices.Sorted(maps.Keys(r.ClientMethods))
		parts := make([]string, 0, len(keys))
		for _, m := range keys {
			parts = append(parts, fmt.Sprintf("%s %s", m, num(int(r.ClientMethods[m]))))
		}
		p(" %s |", strings.Join(parts, ", "))
	}
	p("\n| the floor's requests |")
	for _, r := range rs {
		p(" %s |", listCounts(r.FloorRequests))
	}
	p("\n\n**Restart and resync.** Restart: the controller is stopped and started again over the converged models, "+
		"and counted until it has reconciled every model and is idle. Resync: one more start, with a `--sync-period` of "+
		"six times the restart (at least %s); once it has reconciled every model, the requests are counted until every "+
		"informer has resynced once (after 0.9–1.1 × the period) and the controller is idle again.\n\n", *syncPeriod)
	p("|  |")
	for _, r := range rs {
		p(" %s models |", num(r.N))
	}
	p("\n|---|")
	for range rs {
		p("---:|")
	}
	p("\n")
	row2 := func(label string, cell func(r *sizeResult) string) {
		p("| %s |", label)
		for _, r := range rs {
			p(" %s |", cell(r))
		}
		p("\n")
	}
	row2("restart: start → caches synced / every model reconciled", func(r *sizeResult) string {
		return secs(r.RestartReady) + " / " + secs(r.RestartDone)
	})
	row2("restart: reconciles / requests", func(r *sizeResult) string {
		return num(int(r.RestartReconciles)) + " / " + listCounts(r.Restart)
	})
	row2("resync: `--sync-period`", func(r *sizeResult) string { return r.SyncPeriod.String() })
	row2("resync: reconciles / requests", func(r *sizeResult) string {
		return num(int(r.ResyncReconciles)) + " / " + listCounts(r.Resync)
	})
	return b.String()
}

func compareRequests(a, b request) int {
	return strings.Compare(a.Resource+" "+a.Verb+" "+a.Code, b.Resource+" "+b.Verb+" "+b.Code)
}

func listCounts(c counts) string {
	if len(c) == 0 {
		return "none"
	}
	parts := []string{}
	for _, k := range slices.SortedFunc(maps.Keys(c), compareRequests) {
		parts = append(parts, fmt.Sprintf("%s ×%s", k, num(c[k])))
	}
	return strings.Join(parts, ", ")
}

func all(rs []*sizeResult, ok func(*sizeResult) bool) bool {
	return !slices.ContainsFunc(rs, func(r *sizeResult) bool { return !ok(r) })
}

func goal(met bool, text string) string {
	if met {
		return text + ": met"
	}
	return text + ": **missed**"
}

// num formats n with thousands separators.
func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func ms(d time.Duration) string {
	if d >= time.Second {
		return secs(d)
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func minutes(d time.Duration) string {
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}
