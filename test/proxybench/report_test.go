//go:build bench

package proxybench

import (
	"fmt"
	"strings"
	"time"
)

// report is one run of TestProxyBench.
type report struct {
	Started         time.Time
	Duration        time.Duration
	Commit          string
	GoVersion       string
	CPUs            int
	CPU             string
	LatencyRequests int
	LoadDuration    time.Duration
	Concurrency     int
	TTFBRequests    int
	BigBodyMiB      int
	BigInFlight     int
	Cells           []cell
	TTFB            []result
	Memory          []memory
}

// cell is one body: every proxy's results for it.
type cell struct {
	Size      int
	ModelLast bool
	Results   []result
}

type result struct {
	Proxy    string
	P50, P99 time.Duration
	RPS      float64
}

func (c cell) of(proxy string) result {
	for _, r := range c.Results {
		if r.Proxy == proxy {
			return r
		}
	}
	return result{}
}

func (c cell) label() string {
	size := fmt.Sprintf("%d KiB", c.Size>>10)
	if c.Size >= 1<<20 {
		size = fmt.Sprintf("%d MiB", c.Size>>20)
	}
	return size + ", model " + position(c.ModelLast)
}

// The goals of the issue that asked for the proxies (docs/benchmarks.md).
const (
	goalAddedP50   = 50 * time.Microsecond
	goalAddedP99   = time.Millisecond
	goalThroughput = 0.9
	goalTTFB       = time.Millisecond
	// goalMemoryPerRequest bounds what a body whose "model" comes first
	// adds per request in flight: a fixed buffer, not the body.
	goalMemoryPerRequest = 1 << 20
)

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func signedUS(d time.Duration) string {
	return fmt.Sprintf("%+.0f µs", float64(d)/float64(time.Microsecond))
}

// preciseUS is signedUS to a tenth, for a verdict near its bound.
func preciseUS(d time.Duration) string {
	return fmt.Sprintf("%+.1f µs", float64(d)/float64(time.Microsecond))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (r report) render() (string, error) {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("Run %s at %s, %s on %d × %s; %s in all.\n", r.Started.Format("2006-01-02 15:04 MST"), r.Commit, r.GoVersion, r.CPUs, r.CPU, r.Duration.Round(time.Second))
	w("Every part is its own process on loopback: the load generator (this test), the proxy, the upstream model server\n")
	w("stand-in (reads the whole request, answers a 311-byte chat completion, or five events 20 ms apart). `plain` is\n")
	w("`httputil.NewSingleHostReverseProxy` with Go's defaults; `router` is `modelroute router --model m` (a static\n")
	w("catalog); `sidecar` is `modelroute rewrite`, each request carrying the rewrite header, so every body is spliced.\n\n")

	w("**Latency**, %d requests one at a time per cell (after a warm-up), p50 / p99:\n\n", r.LatencyRequests)
	w("| body | direct | plain | router | sidecar | router − plain p50 / p99 | sidecar − plain p50 / p99 |\n|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cells {
		d, p, ro, s := c.of("direct"), c.of("plain"), c.of("router"), c.of("sidecar")
		w("| %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s |\n", c.label(),
			us(d.P50), us(d.P99), us(p.P50), us(p.P99), us(ro.P50), us(ro.P99), us(s.P50), us(s.P99),
			signedUS(ro.P50-p.P50), signedUS(ro.P99-p.P99), signedUS(s.P50-p.P50), signedUS(s.P99-p.P99))
	}
	w("\n**Throughput**, %d requests in flight for %s per cell, requests/s:\n\n", r.Concurrency, r.LoadDuration)
	w("| body | direct | plain | router | sidecar | router / plain | sidecar / plain |\n|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cells {
		d, p, ro, s := c.of("direct"), c.of("plain"), c.of("router"), c.of("sidecar")
		w("| %s | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f |\n", c.label(), d.RPS, p.RPS, ro.RPS, s.RPS, ro.RPS/p.RPS, s.RPS/p.RPS)
	}
	w("\n**Time to the first event** of a stream (`\"stream\": true`), %d requests one at a time, p50 / p99:\n\n", r.TTFBRequests)
	w("| direct | plain | router | sidecar |\n|---|---|---|---|\n|")
	for _, t := range r.TTFB {
		w(" %s / %s |", us(t.P50), us(t.P99))
	}
	w("\n\n**Memory**: the proxy's resident set before and at its peak (sampled every 5 ms) while %d bodies of %d MiB are\n", r.BigInFlight, r.BigBodyMiB)
	w("in flight at once, generated as they are sent:\n\n")
	w("| proxy | model | before | peak | added per request in flight |\n|---|---|---|---|---|\n")
	for _, m := range r.Memory {
		w("| %s | %s | %s | %s | %s |\n", m.Proxy, position(m.ModelLast), mib(m.Before), mib(m.Peak), mib((m.Peak-m.Before)/int64(r.BigInFlight)))
	}

	w("\n**Goals** (router and sidecar each):\n\n| goal | router | sidecar |\n|---|---|---|\n")
	goal := func(name string, check func(proxy string) (string, bool)) {
		rv, rok := check("router")
		sv, sok := check("sidecar")
		w("| %s | %s: %s | %s: %s |\n", name, rv, verdict(rok), sv, verdict(sok))
	}
	worstAt1K := func(proxy string, pick func(result) time.Duration) time.Duration {
		worst, seen := time.Duration(0), false
		for _, c := range r.Cells {
			if added := pick(c.of(proxy)) - pick(c.of("plain")); c.Size == 1<<10 && (!seen || added > worst) {
				worst, seen = added, true
			}
		}
		return worst
	}
	goal("added median ≤ 50 µs at 1 KiB (worse of model first/last, vs plain)", func(p string) (string, bool) {
		d := worstAt1K(p, func(r result) time.Duration { return r.P50 })
		return preciseUS(d), d <= goalAddedP50
	})
	goal("added p99 ≤ 1 ms at 1 KiB (vs plain)", func(p string) (string, bool) {
		d := worstAt1K(p, func(r result) time.Duration { return r.P99 })
		return preciseUS(d), d <= goalAddedP99
	})
	for _, last := range []bool{false, true} {
		goal(fmt.Sprintf("throughput ≥ 0.9 × plain, model %s (lowest of the sizes)", position(last)), func(p string) (string, bool) {
			lowest, at := 0.0, ""
			for _, c := range r.Cells {
				if ratio := c.of(p).RPS / c.of("plain").RPS; c.ModelLast == last && (at == "" || ratio < lowest) {
					lowest, at = ratio, c.label()
				}
			}
			return fmt.Sprintf("%.2f (%s)", lowest, at), lowest >= goalThroughput
		})
	}
	goal("first event within 1 ms of direct (p50)", func(p string) (string, bool) {
		var direct, got time.Duration
		for _, t := range r.TTFB {
			switch t.Proxy {
			case "direct":
				direct = t.P50
			case p:
				got = t.P50
			}
		}
		return preciseUS(got - direct), got-direct <= goalTTFB
	})
	goal(fmt.Sprintf("memory per request in flight, model first, ≤ %s (a fixed buffer)", mib(goalMemoryPerRequest)), func(p string) (string, bool) {
		for _, m := range r.Memory {
			if m.Proxy == p && !m.ModelLast {
				added := (m.Peak - m.Before) / int64(r.BigInFlight)
				return mib(added), added <= goalMemoryPerRequest
			}
		}
		return "not measured", false
	})
	return b.String(), nil
}
