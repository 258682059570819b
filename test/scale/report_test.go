//go:build bench

package scale_test

import (
	"bytes"
	_ "embed"
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
	"text/template"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/testing/benchdoc"
	"github.com/modelroute/modelroute/internal/testing/harness"
)

// environment is the machine, the versions and the conditions of a run.
type environment struct {
	Date                  time.Time
	NProc                 int
	GOOS, GOARCH          string // runtime's
	MemTotal              int64
	CPUModel              string
	Go, Kubernetes, Etcd  string
	ClientGo, Runtime, GW string
	Duration              time.Duration
	Load                  loadStats
	CPU                   cpuUsage
}

func describeEnvironment(cfg *rest.Config) (environment, error) {
	env := environment{
		Date: time.Now().UTC(), NProc: runtime.NumCPU(),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Go: runtime.Version(),
	}
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
	if assets, err := controlplane.Assets(nil); err == nil {
		out, _ := exec.Command(filepath.Join(assets, "etcd"), "--version").Output()
		for line := range strings.SplitSeq(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "etcd Version: "); ok {
				env.Etcd = v
			}
		}
	}
	// A test binary carries no module versions: ask go.mod.
	list := exec.Command("go", "list", "-m", "k8s.io/client-go", "sigs.k8s.io/controller-runtime", "sigs.k8s.io/gateway-api")
	list.Dir = controlplane.RepoRoot()
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
	mu      sync.Mutex
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
				s.mu.Lock()
				s.samples = append(s.samples, loadavg())
				s.mu.Unlock()
			}
		}
	})
	return s
}

// sofar sums up the samples taken until now; the sampler goes on.
func (s *loadSampler) sofar() loadStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := loadStats{Start: s.samples[0], Max: slices.Max(s.samples)}
	for _, v := range s.samples {
		st.Mean += v / float64(len(s.samples))
	}
	return st
}

func (s *loadSampler) stop() loadStats {
	close(s.stopped)
	s.done.Wait()
	return s.sofar()
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

// The make targets that run the tests; each writes a block of its own
// into docs/benchmarks.md, between markers that name it.
const (
	benchTarget   = "make bench"         // TestScale
	foreignTarget = "make bench-foreign" // TestForeignRoutes
)

// writeReport replaces target's block in path, keeping the rest.
func writeReport(path, target, report string) error {
	return benchdoc.WriteBlock(path, target, "test/scale", "Controller scale benchmark", report)
}

//go:embed benchmarks.md.tmpl
var reportTemplateText string

// reportTemplate is the generated part of docs/benchmarks.md.
var reportTemplate = template.Must(template.New("benchmarks.md.tmpl").Funcs(template.FuncMap{
	"num":      num,
	"secs":     secs,
	"ms":       ms,
	"minutes":  minutes,
	"met":      met,
	"requests": listCounts,
	"methods":  methodCounts,
}).Parse(reportTemplateText))

// machineView is the run's environment, as the template "machine"
// renders it, with the numbers it derives from it.
type machineView struct {
	Env             environment
	MemoryGiB       float64 // Env.MemTotal
	CPUSeconds      float64 // the machine's over the run: wall time × CPUs
	OtherCPUSeconds float64 // busy time of every process but ours, at least 0
	OtherCPUPercent float64 // OtherCPUSeconds / CPUSeconds
}

func newMachineView(env environment) machineView {
	capacity := env.CPU.Wall.Seconds() * float64(env.NProc)
	// The machine's busy time (/proc/stat) and the processes' (/proc/PID/stat)
	// are accounted differently and disagree by a percent or two.
	others := max(env.CPU.Busy-env.CPU.Ours, 0)
	return machineView{
		Env:             env,
		MemoryGiB:       float64(env.MemTotal) / (1 << 30),
		CPUSeconds:      capacity,
		OtherCPUSeconds: others,
		OtherCPUPercent: 100 * others / capacity,
	}
}

// reportView is what the template renders: the run's environment and
// settings, and one column per size, with the numbers it derives from them.
type reportView struct {
	machineView
	Settings settings

	Sizes     []sizeView
	Last      sizeView      // the largest size, the one the goals on edits and writes are for
	IdleLimit time.Duration // how long a first start may take to be idle after converging
	Ran       modesRun
	Met       goalsMet

	// The requests of the throttled run's first start (the default flags).
	Verbs    []requestRow // by verb, in the order of request's doc
	Requests []requestRow // by kind of request, as harness.CompareRequests sorts them
}

// settings are the flags the controller and the floor ran with.
type settings struct {
	Concurrency   int
	QPS           float64 // of the throttled runs
	Burst         int
	ParentRef     string
	ModelsPerPool int
	Edits         int
	SyncPeriod    time.Duration // the shortest --sync-period of the resync
	ControllerEnv string        // -controller-env
}

// Goals of docs/benchmarks.md, checked by goalsMet.
const (
	goalRatio     = 1.25 // unthrottled converged / floor, at goalRatioFrom models and more
	goalRatioFrom = 10_000
	goalRequests  = 3 // requests per model on creation, Events included
	goalEditP99   = time.Second
	goalRSSMiB    = 150 // peak RSS, first start and restart, at goalRSSAt models
	goalRSSAt     = 10_000
)

// sizeView is one column.
type sizeView struct {
	N, Pools                            int
	Setup                               time.Duration
	Unthrottled, Throttled              runView
	RestartWrites, ResyncWrites         int
	EditP50, EditP99                    time.Duration
	RSSRestartMiB                       int64   // peak RSS (VmHWM) of the restart, whole MiB rounded down
	RSSPerThousand                      float64 // the restart's peak RSS per 1,000 models
	HeapInuseRestartMiB                 float64 // peak of the 1 s samples
	HeapAllocRestartMiB                 float64
	RestartReady, RestartDone           time.Duration
	RestartReconciles, ResyncReconciles int
	Restart, Resync                     counts
	SyncPeriod, ResyncDone              time.Duration
}

// runView is one run of a column: the floor and the controller's first
// start.
type runView struct {
	Floor, Converged, Ready   time.Duration
	Idle                      time.Duration // start → idle: Settled without its idleQuiet
	IdleReached               bool          // false: not idle within idleLimit
	FloorRate, Rate           float64       // models per second: the floor's, the controller's
	Ratio                     float64       // converged / floor
	ObjectWrites, EventWrites float64       // per model on creation
	Requests                  float64       // all requests per model on creation
	ModelRequests             float64       // of those, but the start-up's: discovery and the informers' watches
	// CPU milliseconds per model until convergence: kube-apiserver's and
	// etcd's during the floor and during the controller's run; the
	// controller's.
	FloorServerCPUms, ServerCPUms, ControllerCPUms float64
	RSSMiB                                         int64   // peak RSS (VmHWM), whole MiB rounded down
	HeapInuseMiB, HeapAllocMiB                     float64 // peak of the 1 s samples
	AfterConvergence                               counts
	FloorRequests                                  counts
	ClientMethods                                  map[string]float64
}

// goalsMet is each goal's verdict: met, missed, or notMeasured when the
// run had no size or mode the goal is for.
type goalsMet struct {
	Ratio, Requests, RestartWrites, ResyncWrites, EditP99, RSS string
}

const notMeasured = "not measured"

// modesRun says which runs of each size took place (-modes): a mode that
// did not leaves its tables out of the report rather than fill them with
// zeros.
type modesRun struct {
	Unthrottled, Throttled bool
}

// requestRow is the requests per model on creation of one verb or kind,
// one cell per size.
type requestRow struct {
	Label string
	Cells []requestCell
}

type requestCell struct {
	N        int     // requests
	PerModel float64 // N / models
}

// renderReport is the generated markdown.
func renderReport(env environment, rs []*sizeResult) string {
	var b strings.Builder
	if err := reportTemplate.Execute(&b, newReportView(env, rs)); err != nil {
		panic(fmt.Sprintf("rendering the report: %v", err))
	}
	return b.String()
}

func newRunView(r run, n int) runView {
	return runView{
		Floor:            r.Floor,
		Converged:        r.Converged,
		Ready:            r.Ready,
		Idle:             r.Settled - idleQuiet,
		IdleReached:      r.Settled != 0,
		FloorRate:        float64(n) / r.Floor.Seconds(),
		Rate:             float64(n) / r.Converged.Seconds(),
		Ratio:            r.ratio(),
		ObjectWrites:     r.objectWrites(n),
		EventWrites:      r.eventWrites(n),
		Requests:         float64(r.Create.Sum(func(request) bool { return true })) / float64(n),
		ModelRequests:    float64(r.Create.Sum(func(q request) bool { return !startup(q) })) / float64(n),
		FloorServerCPUms: 1000 * r.FloorServerCPU / float64(n),
		ServerCPUms:      1000 * r.ServerCPU / float64(n),
		ControllerCPUms:  1000 * r.ControllerCPU / float64(n),
		RSSMiB:           r.HWM >> 20,
		HeapInuseMiB:     r.HeapInuse / (1 << 20),
		HeapAllocMiB:     r.HeapAlloc / (1 << 20),
		AfterConvergence: r.AfterConvergence,
		FloorRequests:    r.FloorRequests,
		ClientMethods:    r.ClientMethods,
	}
}

// benchSettings are the flags of this run.
func benchSettings() settings {
	return settings{
		Concurrency:   *concurrency,
		QPS:           *qps,
		Burst:         *burst,
		ParentRef:     parentRef,
		ModelsPerPool: *perPool,
		Edits:         *edits,
		SyncPeriod:    *syncPeriod,
		ControllerEnv: *envFlag,
	}
}

func newReportView(env environment, rs []*sizeResult) reportView {
	v := reportView{
		IdleLimit:   idleLimit,
		machineView: newMachineView(env),
		Settings:    benchSettings(),
	}
	for _, r := range rs {
		v.Sizes = append(v.Sizes, sizeView{
			N:                   r.N,
			Pools:               r.Pools,
			Setup:               r.Setup,
			Unthrottled:         newRunView(r.Unthrottled, r.N),
			Throttled:           newRunView(r.Throttled, r.N),
			RestartWrites:       writes(r.Restart.Requests),
			ResyncWrites:        writes(r.Resync),
			EditP50:             percentile(r.Edits, 50),
			EditP99:             percentile(r.Edits, 99),
			RSSRestartMiB:       r.Restart.HWM >> 20,
			RSSPerThousand:      float64(r.Restart.HWM) / (1 << 20) / float64(r.N) * 1000,
			HeapInuseRestartMiB: r.Restart.HeapInuse / (1 << 20),
			HeapAllocRestartMiB: r.Restart.HeapAlloc / (1 << 20),
			RestartReady:        r.Restart.Ready,
			RestartDone:         r.Restart.Done,
			RestartReconciles:   int(r.Restart.Reconciles),
			Restart:             r.Restart.Requests,
			SyncPeriod:          r.SyncPeriod,
			ResyncDone:          r.ResyncDone,
			ResyncReconciles:    int(r.ResyncReconciles),
			Resync:              r.Resync,
		})
	}
	v.Last = v.Sizes[len(v.Sizes)-1]
	v.Ran = modesRun{
		Unthrottled: slices.ContainsFunc(rs, func(r *sizeResult) bool { return r.Unthrottled.Converged > 0 }),
		Throttled:   slices.ContainsFunc(rs, func(r *sizeResult) bool { return r.Throttled.Converged > 0 }),
	}
	verdict := func(measured, ok bool) string {
		if !measured {
			return notMeasured
		}
		return met(ok)
	}
	large := slices.ContainsFunc(v.Sizes, func(s sizeView) bool { return s.N >= goalRatioFrom })
	v.Met = goalsMet{
		Ratio: verdict(v.Ran.Unthrottled && large,
			all(v.Sizes, func(s sizeView) bool { return s.N < goalRatioFrom || s.Unthrottled.Ratio <= goalRatio })),
		Requests: verdict(v.Ran.Unthrottled || v.Ran.Throttled, all(v.Sizes, func(s sizeView) bool {
			return (!v.Ran.Unthrottled || s.Unthrottled.ModelRequests <= goalRequests) &&
				(!v.Ran.Throttled || s.Throttled.ModelRequests <= goalRequests)
		})),
		RestartWrites: verdict(v.Ran.Throttled, all(v.Sizes, func(s sizeView) bool { return s.RestartWrites == 0 })),
		ResyncWrites:  verdict(v.Ran.Throttled, all(v.Sizes, func(s sizeView) bool { return s.ResyncWrites == 0 })),
		EditP99:       verdict(v.Ran.Throttled, v.Last.EditP99 < goalEditP99),
		RSS:           notMeasured,
	}
	for _, r := range rs {
		if r.N == goalRSSAt && v.Ran.Throttled { // with the default flags: the throttled run and the restart
			v.Met.RSS = met(max(r.Throttled.HWM, r.Restart.HWM) <= goalRSSMiB<<20)
		}
	}

	row := func(label string, n func(r *sizeResult) int) requestRow {
		row := requestRow{Label: label}
		for _, r := range rs {
			n := n(r)
			row.Cells = append(row.Cells, requestCell{N: n, PerModel: float64(n) / float64(r.N)})
		}
		return row
	}
	for _, verb := range []string{"GET", "LIST", "WATCH", "POST", "PUT", "PATCH", "APPLY", "DELETE"} {
		v.Verbs = append(v.Verbs, row(verb, func(r *sizeResult) int {
			return r.Throttled.Create.Sum(func(q request) bool { return q.Verb == verb })
		}))
	}
	kinds := map[request]bool{}
	for _, r := range rs {
		for k := range r.Throttled.Create {
			kinds[k] = true
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(kinds), harness.CompareRequests) {
		v.Requests = append(v.Requests, row(k.String(), func(r *sizeResult) int { return r.Throttled.Create[k] }))
	}
	return v
}

func listCounts(c counts) string {
	if len(c) == 0 {
		return "none"
	}
	parts := []string{}
	for _, k := range slices.SortedFunc(maps.Keys(c), harness.CompareRequests) {
		parts = append(parts, fmt.Sprintf("%s ×%s", k, num(c[k])))
	}
	return strings.Join(parts, ", ")
}

func all[T any](s []T, ok func(T) bool) bool {
	return !slices.ContainsFunc(s, func(v T) bool { return !ok(v) })
}

// met is a goal's verdict.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// methodCounts is "GET 1,009, PATCH 2,000": requests by HTTP method.
func methodCounts(c map[string]float64) string {
	parts := []string{}
	for _, m := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, m+" "+num(int(c[m])))
	}
	return strings.Join(parts, ", ")
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
