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
// 403 Forbidden. Each is recorded once its response has arrived, as
// "METHOD path -> status".
type RequestLog struct {
	mu       sync.Mutex
	writes   []string
	rejected []string // writes answered 400 or 422: rejected by validation
	denied   []string // any request answered 403, with its query
}

// Wrap is a transport wrapper (rest.Config.WrapTransport) that records
// into the log.
func (l *RequestLog) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
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
		if req.Method == http.MethodGet {
			return resp, err
		}
		line := fmt.Sprintf("%s %s -> %s", req.Method, req.URL.Path, status)
		l.writes = append(l.writes, line)
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
