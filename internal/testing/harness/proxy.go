package harness

import (
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Request is one kind of API request: its verb (GET, LIST, WATCH, POST,
// PUT, PATCH, APPLY for a server-side apply, DELETE), its resource (plural,
// "/subresource" appended; "(discovery)" for discovery and /version) and,
// when not 2xx, its status code, or NoAnswer.
type Request struct {
	Verb, Resource, Code string
}

func (r Request) String() string {
	s := r.Verb + " " + r.Resource
	if r.Code != "" {
		s += " → " + r.Code
	}
	return s
}

// IsWrite reports whether the request changes an object.
func (r Request) IsWrite() bool {
	switch r.Verb {
	case "POST", "PUT", "PATCH", "APPLY", "DELETE":
		return true
	}
	return false
}

// NoAnswer is the Code of a request the API server did not answer.
const NoAnswer = "no answer"

// Counts is a number of requests of each kind.
type Counts map[Request]int

// Minus returns c - before.
func (c Counts) Minus(before Counts) Counts {
	out := Counts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// Sum counts the requests keep selects.
func (c Counts) Sum(keep func(Request) bool) int {
	n := 0
	for k, v := range c {
		if keep(k) {
			n += v
		}
	}
	return n
}

// CompareRequests orders requests by resource, then verb, then code.
func CompareRequests(a, b Request) int {
	return strings.Compare(a.Resource+" "+a.Verb+" "+a.Code, b.Resource+" "+b.Verb+" "+b.Code)
}

// String lists the counts in CompareRequests' order, for messages.
func (c Counts) String() string {
	var out []string
	for _, k := range slices.SortedFunc(maps.Keys(c), CompareRequests) {
		out = append(out, fmt.Sprintf("%s ×%d", k, c[k]))
	}
	return strings.Join(out, ", ")
}

// CountingProxy is a reverse proxy to the API server for one client (a
// controller process, the benchmark's floor): the client talks plain HTTP
// to it on loopback, it talks to the API server with the credentials it was
// given, and it counts every request by verb and resource: a watch when it
// starts, any other request when its status is written. When the API
// server does not answer (it is down) the proxy drops the client's
// connection, so that the client sees what it would see without the proxy:
// a transport error, not a response.
type CountingProxy struct {
	URL    string
	server *http.Server

	mu       sync.Mutex
	counts   Counts
	sent     Counts    // by verb and resource only, as requests arrive
	inflight int       // requests other than watches being served
	last     time.Time // when the last of those ended
}

// StartCountingProxy serves a proxy to cfg's API server on a free loopback
// port.
func StartCountingProxy(cfg *rest.Config) (*CountingProxy, error) {
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
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			if rec, ok := w.(*statusRecorder); ok {
				rec.answered(NoAnswer)
			}
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &CountingProxy{URL: "http://" + ln.Addr().String(), counts: Counts{}, sent: Counts{}, last: time.Now()}
	p.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := classify(r)
		watch := req.Verb == "WATCH"
		p.mu.Lock()
		p.sent[req]++
		if watch {
			p.counts[req]++
		} else {
			p.inflight++
		}
		p.mu.Unlock()
		if watch {
			forward.ServeHTTP(w, r)
			return
		}
		// Deferred: the reverse proxy panics (http.ErrAbortHandler) when a
		// response breaks off after its header, and the request is over all
		// the same.
		defer func() {
			p.mu.Lock()
			p.inflight--
			p.last = time.Now()
			p.mu.Unlock()
		}()
		// Counted when the status is known, before the client can have the
		// whole response.
		forward.ServeHTTP(&statusRecorder{ResponseWriter: w, header: func(code string) {
			req.Code = code
			p.mu.Lock()
			p.counts[req]++
			p.mu.Unlock()
		}}, r)
	})}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// Snapshot returns the requests counted so far.
func (p *CountingProxy) Snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Sent returns the requests received so far, by verb and resource only:
// each is counted as it arrives, so that a request whose effect a client
// has seen is counted even when its answer is still on its way.
func (p *CountingProxy) Sent() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.sent)
}

// Quiet reports whether no request but watches has been served for d.
func (p *CountingProxy) Quiet(d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight == 0 && time.Since(p.last) >= d
}

// Close stops serving; open watches end.
func (p *CountingProxy) Close() { _ = p.server.Close() }

// WriteKubeconfig writes a kubeconfig for a client of the proxy.
func (p *CountingProxy) WriteKubeconfig(path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.URL}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	return clientcmd.WriteToFile(*cfg, path)
}

// classify names the verb and resource of an API request.
func classify(r *http.Request) Request {
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
		return Request{Verb: r.Method, Resource: "(discovery)"}
	}
	req := Request{Verb: r.Method, Resource: rest[0]}
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

// statusRecorder calls header with the status code of a response ("" for
// 2xx), once.
type statusRecorder struct {
	http.ResponseWriter
	header func(code string)
	done   bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if code >= 200 {
		if code/100 == 2 {
			s.answered("")
		} else {
			s.answered(strconv.Itoa(code))
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) answered(code string) {
	if !s.done {
		s.done = true
		s.header(code)
	}
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.done {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
