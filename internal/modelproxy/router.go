package modelproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/go-logr/logr"

	"github.com/modelroute/modelroute/internal/openaibody"
)

// Catalog says which model names are routable through the Gateway.
type Catalog interface {
	// Routable reports whether requests for name reach a model server.
	Routable(ctx context.Context, name string) (bool, error)
	// Models lists the routable names, sorted.
	Models(ctx context.Context) ([]Model, error)
}

// Model is one routable model name, as /v1/models lists it.
type Model struct {
	ID      string
	Created int64 // Unix seconds
}

// RouterOptions configure a Router.
type RouterOptions struct {
	// Gateway is where requests go: http://HOST:PORT of its listener.
	Gateway *url.URL
	// ModelHeader is set to the body's model (the header the routes
	// match).
	ModelHeader string
	// Untrusted are headers a client may not set, removed from every
	// request: the rewrite header and its aliases.
	Untrusted []string
	// MaxBody is the largest request body taken, in bytes.
	MaxBody int64
	Catalog Catalog
	// Transport to the Gateway; nil for http.DefaultTransport.
	Transport http.RoundTripper
	Log       logr.Logger
}

// Router is the body-based router: an http.Handler.
type Router struct {
	opts  RouterOptions
	proxy *httputil.ReverseProxy
}

// NewRouter returns a router with opts.
func NewRouter(opts RouterOptions) *Router {
	r := &Router{opts: opts}
	r.proxy = newProxy(opts.Gateway, opts.Transport, opts.Log, func(pr *httputil.ProxyRequest) {
		for _, h := range opts.Untrusted {
			pr.Out.Header.Del(h)
		}
		// The model was read from the body: whatever the client said in
		// the header goes.
		pr.Out.Header.Set(opts.ModelHeader, pr.In.Header.Get(opts.ModelHeader))
	})
	return r
}

// ServeHTTP routes one request.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.Method == http.MethodGet && req.URL.Path == "/v1/models":
		r.listModels(w, req)
		return
	case req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/v1/models/"):
		r.getModel(w, req, strings.TrimPrefix(req.URL.Path, "/v1/models/"))
		return
	}
	body, err := openaibody.Read(req.Body, req.Header.Get("Content-Type"), r.opts.MaxBody, req.ContentLength)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	routable, err := r.opts.Catalog.Routable(req.Context(), body.Model)
	switch {
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "server_error", "catalog_unavailable", "", err.Error())
		return
	case !routable:
		writeNotFound(w, body.Model)
		return
	}
	// The proxy's rewrite reads the model from the inbound header.
	req.Header.Set(r.opts.ModelHeader, body.Model)
	r.proxy.ServeHTTP(w, track(req, body.Reader()))
}

func writeNotFound(w http.ResponseWriter, model string) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
		fmt.Sprintf("The model `%s` does not exist or is not routable through this gateway.", model))
}

// modelObject is a model as OpenAI's /v1/models lists it.
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (r *Router) listModels(w http.ResponseWriter, req *http.Request) {
	models, err := r.opts.Catalog.Models(req.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "server_error", "catalog_unavailable", "", err.Error())
		return
	}
	list := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list", Data: []modelObject{}}
	for _, m := range models {
		list.Data = append(list.Data, modelObject{ID: m.ID, Object: "model", Created: m.Created, OwnedBy: "modelroute"})
	}
	writeJSON(w, list)
}

func (r *Router) getModel(w http.ResponseWriter, req *http.Request, id string) {
	if unescaped, err := url.PathUnescape(id); err == nil {
		id = unescaped
	}
	models, err := r.opts.Catalog.Models(req.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "server_error", "catalog_unavailable", "", err.Error())
		return
	}
	for _, m := range models {
		if m.ID == id {
			writeJSON(w, modelObject{ID: m.ID, Object: "model", Created: m.Created, OwnedBy: "modelroute"})
			return
		}
	}
	writeNotFound(w, id)
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
