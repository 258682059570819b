//go:build bench

package scale_test

import (
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// request is one kind of API request: its verb (GET, LIST, WATCH, POST,
// PUT, PATCH, APPLY for a server-side apply, DELETE), its resource (plural,
// "/subresource" appended; "(discovery)" for discovery and /version) and,
// when not 2xx, its status code.
type request struct {
	Verb, Resource, Code string
}

func (r request) String() string {
	s := r.Verb + " " + r.Resource
	if r.Code != "" {
		s += " → " + r.Code
	}
	return s
}

// write reports whether the request changes an object.
func (r request) write() bool {
	switch r.Verb {
	case "POST", "PUT", "PATCH", "APPLY", "DELETE":
		return true
	}
	return false
}

// startup reports whether the request is one every start makes once
// whatever the number of models: discovery, or an informer's watch.
func (r request) startup() bool { return r.Resource == "(discovery)" || r.Verb == "WATCH" }

// counts is a number of requests of each kind.
type counts map[request]int

// minus returns c - before.
func (c counts) minus(before counts) counts {
	out := counts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// sum counts the requests keep selects.
func (c counts) sum(keep func(request) bool) int {
	n := 0
	for k, v := range c {
		if keep(k) {
			n += v
		}
	}
	return n
}

// countingProxy is a reverse proxy to the API server for one client (the
// controller, the floor): the client talks plain HTTP to it on loopback, it
// talks to the API server with the benchmark's admin credentials, and it
// counts every request by verb and resource: a watch when it starts, any
// other request when its status is written.
type countingProxy struct {
	URL    string
	server *http.Server

	mu       sync.Mutex
	counts   counts
	inflight int       // requests other than watches being served
	last     time.Time // when the last of those ended
}

func startProxy(cfg *rest.Config) (*countingProxy, error) {
	target, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, err
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	forward := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     transport,
		FlushInterval: -1, // watches stream
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{URL: "http://" + ln.Addr().String(), counts: counts{}, last: time.Now()}
	p.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := classify(r)
		if req.Verb == "WATCH" {
			p.mu.Lock()
			p.counts[req]++
			p.mu.Unlock()
			forward.ServeHTTP(w, r)
			return
		}
		p.mu.Lock()
		p.inflight++
		p.mu.Unlock()
		// Counted when the status is known, before the client can have the
		// whole response.
		forward.ServeHTTP(&statusRecorder{ResponseWriter: w, header: func(code int) {
			if code/100 != 2 {
				req.Code = strconv.Itoa(code)
			}
			p.mu.Lock()
			p.counts[req]++
			p.mu.Unlock()
		}}, r)
		p.mu.Lock()
		p.inflight--
		p.last = time.Now()
		p.mu.Unlock()
	})}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// snapshot returns the requests counted so far.
func (p *countingProxy) snapshot() counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// quiet reports whether no request but watches has been served for d.
func (p *countingProxy) quiet(d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight == 0 && time.Since(p.last) >= d
}

func (p *countingProxy) close() { _ = p.server.Close() }

// classify names the verb and resource of an API request.
func classify(r *http.Request) request {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var rest []string // [resource [name [subresource]]]
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		rest = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		rest = parts[3:]
	}
	if len(rest) > 2 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	if len(rest) == 0 {
		return request{Verb: r.Method, Resource: "(discovery)"}
	}
	req := request{Verb: r.Method, Resource: rest[0]}
	if len(rest) > 2 {
		req.Resource += "/" + rest[2]
	}
	switch r.Method {
	case http.MethodGet:
		if w := r.URL.Query().Get("watch"); w == "true" || w == "1" {
			req.Verb = "WATCH"
		} else if len(rest) == 1 {
			req.Verb = "LIST"
		}
	case http.MethodPatch:
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/apply-patch") {
			req.Verb = "APPLY"
		}
	}
	return req
}

// statusRecorder calls header with the status code of a response, once.
type statusRecorder struct {
	http.ResponseWriter
	header func(code int)
	done   bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.done && code >= 200 {
		s.done = true
		s.header(code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.done {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
