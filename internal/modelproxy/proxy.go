package modelproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"

	"github.com/go-logr/logr"
)

// newProxy is a reverse proxy to target that streams both ways: the
// request body as it is read, every write of a streamed response flushed
// at once (a model server's server-sent events arrive one by one). rewrite
// adjusts each outgoing request. A request body that fails (see
// trackedBody) is answered as the client's fault; anything else the
// upstream or the way to it did is a 502.
func newProxy(target *url.URL, transport http.RoundTripper, log logr.Logger, rewrite func(*httputil.ProxyRequest)) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The Gateway matches routes by the host the client asked for.
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			rewrite(pr)
		},
		Transport: transport,
		// FlushInterval 0: httputil flushes every write of a response
		// that is text/event-stream or has no length (a model's stream)
		// at once by itself; a response of known length is written whole,
		// without a flush after its header (a write less per request).
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if tb, ok := r.Context().Value(trackedKey{}).(*trackedBody); ok {
				if berr := tb.failure(); berr != nil && bodyError(berr) {
					writeBodyError(w, berr)
					return
				}
			}
			if errors.Is(err, context.Canceled) {
				return // the client went away
			}
			log.Info("upstream unreachable", "upstream", target.Host, "error", err.Error())
			writeError(w, http.StatusBadGateway, "server_error", "upstream_unreachable", "",
				"the gateway cannot be reached: "+err.Error())
		},
	}
}

// trackedBody is a request body that remembers why it failed.
type trackedBody struct {
	io.Reader
	closer io.Closer
	mu     sync.Mutex
	err    error
}

// trackedKey holds a request's trackedBody in its context: the proxy
// hands its error handler the outgoing request, whose body it wraps.
type trackedKey struct{}

// track makes r, read in place of req's body (closed by closing that),
// the body of the request returned.
func track(req *http.Request, r io.Reader) *http.Request {
	tb := &trackedBody{Reader: r, closer: req.Body}
	req = req.WithContext(context.WithValue(req.Context(), trackedKey{}, tb))
	req.Body = tb
	return req
}

func (t *trackedBody) Read(p []byte) (int, error) {
	n, err := t.Reader.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
	return n, err
}

func (t *trackedBody) Close() error { return t.closer.Close() }

func (t *trackedBody) failure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}
