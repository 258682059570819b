package modelproxy

import (
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/go-logr/logr"

	"github.com/modelroute/modelroute/internal/openaibody"
)

// RewriterOptions configure a Rewriter.
type RewriterOptions struct {
	// Upstream is the model server: http://127.0.0.1:PORT in its pod.
	Upstream *url.URL
	// Header carries the target the route picked (the rewrite header).
	Header string
	// Aliases are other target headers, removed as the header is.
	Aliases []string
	// MaxBody is the largest request body rewritten, in bytes.
	MaxBody int64
	// Transport to the upstream; nil for http.DefaultTransport.
	Transport http.RoundTripper
	Log       logr.Logger
}

// Rewriter is the target-rewrite sidecar: an http.Handler.
type Rewriter struct {
	opts  RewriterOptions
	proxy *httputil.ReverseProxy
}

// NewRewriter returns a rewriter with opts.
func NewRewriter(opts RewriterOptions) *Rewriter {
	r := &Rewriter{opts: opts}
	r.proxy = newProxy(opts.Upstream, opts.Transport, opts.Log, func(pr *httputil.ProxyRequest) {
		// The model server acts on the body alone.
		pr.Out.Header.Del(opts.Header)
		for _, h := range opts.Aliases {
			pr.Out.Header.Del(h)
		}
	})
	return r
}

// ServeHTTP forwards one request, its body's model replaced by the target
// when the rewrite header names one, untouched otherwise.
func (r *Rewriter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	target := req.Header.Get(r.opts.Header)
	if target == "" || req.Body == nil || req.Body == http.NoBody {
		r.proxy.ServeHTTP(w, req)
		return
	}
	body, err := openaibody.Read(req.Body, req.Header.Get("Content-Type"), r.opts.MaxBody, req.ContentLength)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	rewritten, delta := body.Rewritten(target)
	req = track(req, rewritten)
	if req.ContentLength >= 0 {
		req.ContentLength += int64(delta)
	}
	r.proxy.ServeHTTP(w, req)
}
