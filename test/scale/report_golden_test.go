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
	for _, tc := range []struct {
		name   string
		flags  benchFlags
		env    environment
		sizes  []*sizeResult
		golden string
	}{
		{"measured", defaultBenchFlags, measuredEnv(), measuredSizes(), "report.golden.md"},
		{"missed", benchFlags{concurrency: 16, qps: 12.5, burst: 25, perPool: 5, edits: 7, syncPeriod: 90 * time.Second},
			missedEnv(), missedSizes(), "report_missed.golden.md"},
		{"empty", defaultBenchFlags, environment{GOOS: "linux", GOARCH: "amd64"}, []*sizeResult{{N: 10, Pools: 1}}, "report_empty.golden.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setBenchFlags(t, tc.flags)
			got := []byte(renderReport(tc.env, tc.sizes))
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
}

var defaultBenchFlags = benchFlags{concurrency: 4, qps: 50, burst: 100, perPool: 10, edits: 50, syncPeriod: 30 * time.Second}

// setBenchFlags sets the flags for the test, whatever the command line said.
func setBenchFlags(t *testing.T, f benchFlags) {
	old := benchFlags{*concurrency, *burst, *perPool, *edits, *qps, *syncPeriod}
	*concurrency, *burst, *perPool, *edits, *qps, *syncPeriod = f.concurrency, f.burst, f.perPool, f.edits, f.qps, f.syncPeriod
	t.Cleanup(func() {
		*concurrency, *burst, *perPool, *edits, *qps, *syncPeriod = old.concurrency, old.burst, old.perPool, old.edits, old.qps, old.syncPeriod
	})
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

// measuredEnv and measuredSizes are the run docs/benchmarks.md reports on
// 2026-11-27.
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
	type size struct {
		n, pools                                int
		floor, converged, ready, settled        float64
		getRoutes, watchPools                   int
		lastPatch                               bool
		clientGET                               float64
		hwm, hwmRestart                         int64
		inuse, inuseRestart, alloc, allocRestrt float64
		p50, p99                                float64
		restartReady, restartDone               float64
		resyncReconciles                        float64
	}
	var rs []*sizeResult
	for i, s := range []size{
		{1000, 100, 18.093, 19.412, 0.214, 22.488, 1, 3, false, 1009, 61, 68, 29.3, 28.4, 25.2, 24.9, 25, 46, 0.31, 2.08, 1000},
		{5000, 500, 97.981, 99.187, 0.693, 102.297, 12, 2, false, 5019, 141, 169, 104.4, 113.8, 93.6, 107.1, 24, 33, 1.27, 2.44, 10008},
		{10000, 1000, 198.012, 209.093, 0.812, 212.281, 29, 2, true, 10036, 245, 299, 199.2, 229.7, 190.4, 217.6, 22, 35, 2.51, 4.69, 10000},
	} {
		n := s.n
		after := counts{{Verb: "POST", Resource: "events"}: 1}
		if s.lastPatch {
			after[request{Verb: "PATCH", Resource: "inferencemodels/status"}] = 1
		}
		rs = append(rs, &sizeResult{
			N: n, Pools: s.pools,
			Setup: seconds(float64(n) / 180),
			Floor: seconds(s.floor),
			FloorRequests: counts{
				{Verb: "GET", Resource: "(discovery)"}:              2,
				{Verb: "POST", Resource: "httproutes"}:              n,
				{Verb: "PATCH", Resource: "inferencemodels/status"}: n,
			},
			Ready:     seconds(s.ready),
			Converged: seconds(s.converged),
			Settled:   seconds(s.settled),
			Create: counts{
				{Verb: "GET", Resource: "(discovery)"}:              2,
				{Verb: "POST", Resource: "events"}:                  n,
				{Verb: "APPLY", Resource: "httproutes"}:             n,
				{Verb: "GET", Resource: "httproutes"}:               s.getRoutes,
				{Verb: "GET", Resource: "httproutes", Code: "404"}:  n,
				{Verb: "WATCH", Resource: "httproutes"}:             1,
				{Verb: "WATCH", Resource: "inferencemodels"}:        1,
				{Verb: "PATCH", Resource: "inferencemodels/status"}: n,
				{Verb: "WATCH", Resource: "inferencepools"}:         s.watchPools,
				{Verb: "WATCH", Resource: "services"}:               1,
			},
			AfterConvergence: after,
			ClientMethods:    map[string]float64{"GET": s.clientGET, "PATCH": float64(2 * n), "POST": float64(n)},
			HWMCreate:        s.hwm<<20 + 417_792,
			HeapInuse:        mebibytes(s.inuse),
			HeapAlloc:        mebibytes(s.alloc),
			RestartReady:     seconds(s.restartReady),
			RestartDone:      seconds(s.restartDone),
			Restart: counts{
				{Verb: "GET", Resource: "(discovery)"}:       2,
				{Verb: "WATCH", Resource: "httproutes"}:      1,
				{Verb: "WATCH", Resource: "inferencemodels"}: 1,
				{Verb: "WATCH", Resource: "inferencepools"}:  2,
				{Verb: "WATCH", Resource: "services"}:        1,
			},
			RestartReconciles: float64(n),
			SyncPeriod:        30 * time.Second,
			Resync:            counts{},
			ResyncReconciles:  s.resyncReconciles,
			Edits:             editLatencies(uint64(i), 50, s.p50, s.p99),
			HWMRestart:        s.hwmRestart<<20 + 1_003_520,
			HeapInuseRestart:  mebibytes(s.inuseRestart),
			HeapAllocRestart:  mebibytes(s.allocRestrt),
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

func missedSizes() []*sizeResult {
	return []*sizeResult{
		{
			N: 50, Pools: 10, Setup: seconds(0.4),
			Floor:            seconds(1.0),
			FloorRequests:    counts{{Verb: "POST", Resource: "httproutes", Code: "429"}: 3, {Verb: "POST", Resource: "httproutes"}: 50},
			Ready:            seconds(0.05),
			Converged:        seconds(1.51),
			Settled:          seconds(2.5), // under the 3 s of quiet: a negative time to idle
			Create:           counts{{Verb: "LIST", Resource: "inferencepools"}: 1, {Verb: "PUT", Resource: "httproutes"}: 101, {Verb: "DELETE", Resource: "httproutes", Code: "409"}: 2},
			AfterConvergence: counts{{Verb: "PUT", Resource: "httproutes"}: -1},
			ClientMethods:    map[string]float64{"PUT": 101.7, "LIST": 1, "DELETE": 2, "WATCH": -3},
			HWMCreate:        12 << 20,
			HeapInuse:        mebibytes(4.5),
			HeapAlloc:        mebibytes(3.49),
			RestartReady:     seconds(0.04),
			RestartDone:      seconds(0.05),
			Restart:          counts{{Verb: "PUT", Resource: "httproutes"}: 50},
			SyncPeriod:       90 * time.Second,
			Resync:           counts{},
			Edits:            []time.Duration{time.Second, 300 * time.Millisecond},
			HWMRestart:       13<<20 - 1,
			HeapInuseRestart: mebibytes(4.51),
			HeapAllocRestart: mebibytes(3.5),
		},
		{
			N: 1_234_567, Pools: 246_913, Setup: 3 * time.Hour,
			Floor:             seconds(3600),
			FloorRequests:     counts{{Verb: "POST", Resource: "httproutes"}: 1_234_567, {Verb: "PATCH", Resource: "inferencemodels/status"}: 1_234_567},
			Ready:             seconds(61.25),
			Converged:         seconds(3600 * 1.499),
			Settled:           seconds(5400),
			Create:            counts{{Verb: "APPLY", Resource: "httproutes"}: 1_234_567, {Verb: "PATCH", Resource: "inferencemodels/status"}: 1_234_568, {Verb: "WATCH", Resource: "httproutes", Code: "410"}: 17},
			AfterConvergence:  counts{},
			ClientMethods:     map[string]float64{"PATCH": 2_469_135},
			HWMCreate:         300 << 20, // the goal is under 300 MiB
			HeapInuse:         mebibytes(1500.5),
			HeapAlloc:         mebibytes(1400),
			RestartReady:      seconds(75),
			RestartDone:       seconds(600.05),
			Restart:           counts{},
			RestartReconciles: 1_234_567,
			SyncPeriod:        time.Hour + 30*time.Second,
			Resync:            counts{{Verb: "DELETE", Resource: "httproutes", Code: "404"}: 1},
			ResyncReconciles:  2_469_134,
			Edits:             []time.Duration{999 * time.Millisecond, 5 * time.Millisecond, 1500 * time.Millisecond, 999999 * time.Microsecond, 7 * time.Millisecond, 2 * time.Millisecond, 40 * time.Millisecond},
			HWMRestart:        299 << 20,
			HeapInuseRestart:  mebibytes(1600),
			HeapAllocRestart:  mebibytes(1500),
		},
	}
}
