//go:build bench

package scale_test

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.md from renderReport instead of comparing")

// TestReportTemplate renders fixed results and compares them with
// testdata/*.golden.md (go test -tags bench -run TestReportTemplate
// ./test/scale/ -update rewrites them). It needs no control plane.
func TestReportTemplate(t *testing.T) {
	missedFlags := benchFlags{concurrency: 16, qps: 12.5, burst: 25, perPool: 5, edits: 7, syncPeriod: 90 * time.Second, controllerEnv: "GOGC=25"}
	for _, tc := range []struct {
		name   string
		flags  benchFlags
		render func() string // after the flags are set
		golden string
	}{
		{"measured", defaultBenchFlags, func() string { return renderReport(measuredEnv(), measuredSizes()) }, "report.golden.md"},
		{"missed", missedFlags, func() string { return renderReport(missedEnv(), missedSizes()) }, "report_missed.golden.md"},
		{"unthrottled only", defaultBenchFlags, func() string { return renderReport(measuredEnv(), unthrottledOnly(measuredSizes())) },
			"report_unthrottled.golden.md"},
		{"empty", defaultBenchFlags, func() string {
			return renderReport(environment{GOOS: "linux", GOARCH: "amd64"}, []*sizeResult{{N: 10, Pools: 1}})
		}, "report_empty.golden.md"},
		{"foreign routes", defaultBenchFlags, func() string { return renderForeignReport(measuredEnv(), measuredForeign()) },
			"report_foreign.golden.md"},
		{"foreign routes, other flags", missedFlags, func() string {
			return renderForeignReport(missedEnv(), &foreignResult{Models: 50, Pools: 10, Routes: 7, Namespaces: 3})
		},
			"report_foreign_empty.golden.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setBenchFlags(t, tc.flags)
			got := []byte(tc.render())
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("renderReport differs from %s (run with -update if intended):\n%s", path, lineDiff(want, got))
			}
		})
	}
}

// lineDiff lists the lines that differ, numbered from 1.
func lineDiff(want, got []byte) string {
	w, g := bytes.SplitAfter(want, []byte("\n")), bytes.SplitAfter(got, []byte("\n"))
	var b bytes.Buffer
	for i := range max(len(w), len(g)) {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// benchFlags are the flags the report quotes.
type benchFlags struct {
	concurrency, burst, perPool, edits int
	qps                                float64
	syncPeriod                         time.Duration
	controllerEnv                      string
}

var defaultBenchFlags = benchFlags{concurrency: 4, qps: 50, burst: 100, perPool: 10, edits: 50, syncPeriod: 30 * time.Second}

// setBenchFlags sets the flags for the test, whatever the command line said.
func setBenchFlags(t *testing.T, f benchFlags) {
	old := benchFlags{*concurrency, *burst, *perPool, *edits, *qps, *syncPeriod, *envFlag}
	set := func(f benchFlags) {
		*concurrency, *burst, *perPool, *edits, *qps, *syncPeriod, *envFlag = f.concurrency, f.burst, f.perPool, f.edits, f.qps, f.syncPeriod, f.controllerEnv
	}
	set(f)
	t.Cleanup(func() { set(old) })
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func mebibytes(m float64) float64 { return m * (1 << 20) }

// editLatencies is n shuffled latencies whose nearest-rank p50 and p99 are
// the given milliseconds.
func editLatencies(seed uint64, n int, p50, p99 float64) []time.Duration {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	median := (50*n+99)/100 - 1
	ds := make([]time.Duration, n)
	for i := range ds {
		switch {
		case i < median:
			ds[i] = ms(p50 * (0.5 + 0.5*float64(i)/float64(median)))
		case i == median:
			ds[i] = ms(p50 + 0.123)
		case i < n-1:
			ds[i] = ms(p50 + 0.2 + (p99-p50-0.5)*float64(i-median)/float64(n-1-median))
		default:
			ds[i] = ms(p99 + 0.456)
		}
	}
	rand.New(rand.NewPCG(seed, 1)).Shuffle(n, func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	return ds
}

// measuredEnv and measuredSizes are a run with every goal met.
func measuredEnv() environment {
	return environment{
		Date:       time.Date(2026, 11, 27, 11, 55, 41, 0, time.UTC),
		NProc:      2,
		GOOS:       "linux",
		GOARCH:     "amd64",
		MemTotal:   24641848 << 10,
		CPUModel:   "Intel(R) Xeon(R) Processor",
		Go:         "go1.26.8",
		Kubernetes: "v1.37.2",
		Etcd:       "3.6.16",
		ClientGo:   "v0.37.2",
		Runtime:    "v0.25.2",
		GW:         "v1.6.3",
		Duration:   15*time.Minute + 52*time.Second + 318*time.Millisecond,
		Load:       loadStats{Start: 0.66, Mean: 2.3471, Max: 4.75},
		CPU:        cpuUsage{Wall: seconds(952.07), Busy: 1031.71, Ours: 1040.32},
	}
}

func measuredSizes() []*sizeResult {
	// n, floor and converged seconds (unthrottled, throttled), peak RSS
	// MiB (unthrottled, throttled, restart), edit p50/p99 ms.
	type size struct {
		n                                      int
		floorU, convU, floorT, convT           float64
		rssU, rssT, rssRestart                 int64
		p50, p99                               float64
		restartReady, restartDone, syncSeconds float64
	}
	var rs []*sizeResult
	for i, s := range []size{
		{1000, 9.1, 10.2, 20.4, 20.9, 48, 45, 47, 22, 35, 0.3, 1.9, 30},
		{10000, 88.5, 101.3, 200.8, 202.1, 121, 118, 131, 24, 41, 1.6, 6.4, 38},
		{50000, 451.2, 548.9, 1001.7, 1010.4, 512, 480, 590, 25, 60, 7.9, 31.2, 187},
	} {
		n := s.n
		created := func(get int) counts {
			return counts{
				{Verb: "GET", Resource: "(discovery)"}:              2,
				{Verb: "POST", Resource: "events"}:                  n,
				{Verb: "POST", Resource: "httproutes"}:              n,
				{Verb: "GET", Resource: "httproutes"}:               get,
				{Verb: "POST", Resource: "httproutes", Code: "409"}: get,
				{Verb: "WATCH", Resource: "httproutes"}:             1,
				{Verb: "WATCH", Resource: "inferencemodels"}:        1,
				{Verb: "PATCH", Resource: "inferencemodels/status"}: n,
				{Verb: "WATCH", Resource: "inferencepools"}:         2,
			}
		}
		floor := counts{
			{Verb: "GET", Resource: "(discovery)"}:              2,
			{Verb: "POST", Resource: "httproutes"}:              n,
			{Verb: "PATCH", Resource: "inferencemodels/status"}: n,
			{Verb: "POST", Resource: "events"}:                  n,
		}
		methods := map[string]float64{"GET": float64(2 + i), "PATCH": float64(n), "POST": float64(2*n + i)}
		rs = append(rs, &sizeResult{
			N: n, Pools: n / 10, Setup: seconds(float64(4*n) / 700),
			Unthrottled: run{QPS: -1,
				Floor: seconds(s.floorU), FloorRequests: floor,
				Ready: seconds(0.2 + float64(i)), Converged: seconds(s.convU), Settled: seconds(s.convU + 3.1),
				Create: created(i), AfterConvergence: counts{{Verb: "POST", Resource: "events"}: 1},
				ClientMethods: methods, HWM: s.rssU<<20 + 417_792,
				HeapInuse: mebibytes(float64(s.rssU) * 0.7), HeapAlloc: mebibytes(float64(s.rssU) * 0.6),
				FloorServerCPU: 0.0198 * float64(n), ServerCPU: 0.0214 * float64(n), ControllerCPU: 0.004 * float64(n),
			},
			Throttled: run{QPS: 50, Burst: 100,
				Floor: seconds(s.floorT), FloorRequests: floor,
				Ready: seconds(0.3 + float64(i)), Converged: seconds(s.convT), Settled: seconds(s.convT + 3.0),
				Create: created(2 * i), AfterConvergence: counts{},
				ClientMethods: methods, HWM: s.rssT << 20,
				HeapInuse: mebibytes(float64(s.rssT) * 0.7), HeapAlloc: mebibytes(float64(s.rssT) * 0.6),
				FloorServerCPU: 0.012 * float64(n), ServerCPU: 0.013 * float64(n), ControllerCPU: 0.0035 * float64(n),
			},
			Restart: restartRun{
				Ready: seconds(s.restartReady),
				Done:  seconds(s.restartDone),
				Requests: counts{
					{Verb: "GET", Resource: "(discovery)"}:       2,
					{Verb: "WATCH", Resource: "httproutes"}:      1,
					{Verb: "WATCH", Resource: "inferencemodels"}: 1,
					{Verb: "WATCH", Resource: "inferencepools"}:  2,
				},
				Reconciles: float64(n),
				HWM:        s.rssRestart<<20 + 1_003_520,
				HeapInuse:  mebibytes(float64(s.rssRestart) * 0.7),
				HeapAlloc:  mebibytes(float64(s.rssRestart) * 0.6),
			},
			SyncPeriod:       seconds(s.syncSeconds),
			ResyncDone:       seconds(1.6 * s.syncSeconds),
			Resync:           counts{},
			ResyncReconciles: float64(n),
			Edits:            editLatencies(uint64(i), 50, s.p50, s.p99),
		})
	}
	return rs
}

// missedEnv and missedSizes miss every goal and take the special cases: a
// busy machine, an edit over a second, requests with status codes,
// negative and large numbers.
func missedEnv() environment {
	return environment{
		Date:       time.Date(2027, 1, 3, 9, 7, 5, 0, time.FixedZone("CET", 3600)),
		NProc:      16,
		GOOS:       "linux",
		GOARCH:     "amd64",
		MemTotal:   64 << 30,
		CPUModel:   "AMD EPYC 7763 64-Core Processor",
		Go:         "go1.27rc1",
		Kubernetes: "v1.38.0-alpha.1",
		Etcd:       "",
		ClientGo:   "v0.38.0-alpha.1",
		Runtime:    "v0.26.0-beta.0",
		GW:         "v1.7.0-rc.2",
		Duration:   2*time.Hour + 3*time.Minute + 9*time.Second,
		Load:       loadStats{Start: 12.5, Mean: 15.125, Max: 31.996},
		CPU:        cpuUsage{Wall: seconds(7389.5), Busy: 90210.4, Ours: 40120.9},
	}
}

// unthrottledOnly is sizes as a run with -modes unthrottled leaves them.
func unthrottledOnly(sizes []*sizeResult) []*sizeResult {
	for _, r := range sizes {
		*r = sizeResult{N: r.N, Pools: r.Pools, Setup: r.Setup, Unthrottled: r.Unthrottled}
	}
	return sizes
}

func missedSizes() []*sizeResult {
	slow := func(floor, converged float64, rss int64) run {
		return run{QPS: 12.5, Burst: 25,
			Floor: seconds(floor), FloorRequests: counts{{Verb: "POST", Resource: "httproutes", Code: "429"}: 3, {Verb: "POST", Resource: "httproutes"}: 50},
			Ready: seconds(0.05), Converged: seconds(converged),
			Settled:          seconds(2.5), // under the 3 s of quiet: a negative time to idle
			Create:           counts{{Verb: "LIST", Resource: "inferencepools"}: 1, {Verb: "PUT", Resource: "httproutes"}: 101, {Verb: "DELETE", Resource: "httproutes", Code: "409"}: 2},
			AfterConvergence: counts{{Verb: "PUT", Resource: "httproutes"}: -1},
			ClientMethods:    map[string]float64{"PUT": 101.7, "LIST": 1, "DELETE": 2, "WATCH": -3},
			HWM:              rss << 20, HeapInuse: mebibytes(4.5), HeapAlloc: mebibytes(3.49),
		}
	}
	neverIdle := slow(2.0, 2.2, 12)
	neverIdle.Settled = 0 // not idle within idleLimit
	return []*sizeResult{
		{
			N: 50, Pools: 10, Setup: seconds(0.4),
			Unthrottled: slow(1.0, 1.51, 12), Throttled: neverIdle,
			Restart: restartRun{Ready: seconds(0.04), Done: seconds(0.05),
				Requests: counts{{Verb: "PUT", Resource: "httproutes"}: 50},
				HWM:      13<<20 - 1, HeapInuse: mebibytes(4.51), HeapAlloc: mebibytes(3.5)},
			SyncPeriod: 90 * time.Second, ResyncDone: seconds(95.2), Resync: counts{},
			Edits: []time.Duration{time.Second, 300 * time.Millisecond},
		},
		{
			N: 10_000, Pools: 2_000, Setup: 3 * time.Hour,
			// ≤ 150 MiB is missed by a byte.
			Unthrottled: slow(3600, 3600*1.2501, 150), Throttled: slow(3600, 3600, 150),
			Restart: restartRun{Ready: seconds(75), Done: seconds(600.05), Requests: counts{}, Reconciles: 10_000,
				HWM: 150<<20 + 1, HeapInuse: mebibytes(1600), HeapAlloc: mebibytes(1500)},
			SyncPeriod: time.Hour + 30*time.Second, ResyncDone: 2*time.Hour + time.Minute,
			Resync: counts{{Verb: "DELETE", Resource: "httproutes", Code: "404"}: 1}, ResyncReconciles: 20_000,
			Edits: []time.Duration{999 * time.Millisecond, 5 * time.Millisecond, 1500 * time.Millisecond, 999999 * time.Microsecond, 7 * time.Millisecond, 2 * time.Millisecond, 40 * time.Millisecond},
		},
	}
}

// measuredForeign is a TestForeignRoutes run: a little more memory and
// time with the foreign routes, a little less of some.
func measuredForeign() *foreignResult {
	started := func(hwm, rss int64, heap, ready, converged, cpu float64) run {
		return run{QPS: 50, Burst: 100,
			Ready: seconds(ready), Converged: seconds(converged), Settled: seconds(converged + 3.2),
			Create: counts{
				{Verb: "GET", Resource: "(discovery)"}:              2,
				{Verb: "WATCH", Resource: "httproutes"}:             1,
				{Verb: "POST", Resource: "httproutes"}:              1000,
				{Verb: "PATCH", Resource: "inferencemodels/status"}: 1000,
				{Verb: "POST", Resource: "events"}:                  1000,
			},
			HWM: hwm<<20 + 311_296, RSS: rss<<20 + 4096, HeapInuse: mebibytes(heap), HeapAlloc: mebibytes(heap * 0.9),
			ControllerCPU: cpu,
		}
	}
	restarted := func(hwm, rss int64, heap, ready, done float64) restartRun {
		return restartRun{Ready: seconds(ready), Done: seconds(done), Reconciles: 1000,
			HWM: hwm << 20, RSS: rss<<20 - 8192, HeapInuse: mebibytes(heap), HeapAlloc: mebibytes(heap * 0.9)}
	}
	return &foreignResult{
		Models: 1000, Pools: 100, Routes: 50_000, Namespaces: 50, Setup: seconds(312.45),
		Without: foreignRun{First: started(52, 49, 21.3, 1.2, 18.61, 5.07), Restart: restarted(47, 45, 16.25, 0.5, 2.1)},
		With:    foreignRun{First: started(53, 48, 21.9, 1.9, 18.4, 5.3), Restart: restarted(47, 46, 16.25, 0.7, 2.3)},
	}
}
