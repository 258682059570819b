package harness

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// RequestLog records what a client sent to the API server: every request
// other than a GET (reads, lists and watches), and every request answered
// 403 Forbidden. A write is recorded as "METHOD path -> status", with
// InFlight as its status until its response has arrived.
type RequestLog struct {
	mu       sync.Mutex
	writes   []string
	rejected []string // writes answered 400 or 422: rejected by validation
	denied   []string // any request answered 403, with its query
}

// InFlight is the status of a logged write not answered yet.
const InFlight = "(in flight)"

// Wrap is a transport wrapper (rest.Config.WrapTransport) that records
// into the log.
func (l *RequestLog) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		// A write is logged as it is sent, its status once answered: a test
		// that saw the write's effect (which the API server makes before it
		// answers) then always finds the write in the log.
		written := -1
		if req.Method != http.MethodGet {
			l.mu.Lock()
			written = len(l.writes)
			l.writes = append(l.writes, fmt.Sprintf("%s %s -> %s", req.Method, req.URL.Path, InFlight))
			l.mu.Unlock()
		}
		resp, err := rt.RoundTrip(req)
		status := "error: " + fmt.Sprint(err)
		if err == nil {
			status = resp.Status
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if err == nil && resp.StatusCode == http.StatusForbidden {
			l.denied = append(l.denied, fmt.Sprintf("%s %s?%s -> %s", req.Method, req.URL.Path, req.URL.RawQuery, status))
		}
		if written < 0 {
			return resp, err
		}
		line := fmt.Sprintf("%s %s -> %s", req.Method, req.URL.Path, status)
		l.writes[written] = line
		if err == nil && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity) {
			l.rejected = append(l.rejected, line)
		}
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// Writes returns the requests other than GETs so far.
func (l *RequestLog) Writes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.writes)
}

// Rejected returns the writes the API server rejected as invalid.
func (l *RequestLog) Rejected() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.rejected)
}

// Denied returns the requests answered 403 Forbidden.
func (l *RequestLog) Denied() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.denied)
}

// Matching returns the requests whose line contains every part.
func Matching(requests []string, parts ...string) []string {
	var out []string
	for _, r := range requests {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(r, p) }) {
			out = append(out, r)
		}
	}
	return out
}
