package localstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/modelproxy"
)

// RouterOptions configure StartRouter.
type RouterOptions struct {
	// Config reaches the cluster whose models the router lists.
	Config *rest.Config
	// Gateway the models must be Programmed on, and the address of its
	// HTTP listener.
	Gateway        types.NamespacedName
	GatewayAddress string
	// ModelHeader, RewriteHeader and RewriteHeaderAliases are the
	// controller's.
	ModelHeader          string
	RewriteHeader        string
	RewriteHeaderAliases []string
	Log                  logr.Logger
}

// Router is a body-based router (`modelroute router`) running in this
// process in front of a Gateway.
type Router struct {
	// BaseURL is what an OpenAI client takes as its base URL:
	// http://127.0.0.1:PORT/v1.
	BaseURL string
	server  *http.Server
	cancel  context.CancelFunc
}

// StartRouter starts a router on a free 127.0.0.1 port, reading the
// cluster's models as `modelroute router --gateway-ref` does, and returns
// once its cache has synced.
func StartRouter(ctx context.Context, opts RouterOptions) (*Router, error) {
	scheme, err := controllers.NewScheme()
	if err != nil {
		return nil, err
	}
	// The catalog's cache lives as long as the router, not as ctx.
	cacheCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	started := make(chan error, 1)
	var catalog *modelproxy.ClusterCatalog
	go func() {
		var err error
		catalog, err = modelproxy.NewClusterCatalog(cacheCtx, opts.Config, scheme, opts.Gateway, opts.ModelHeader)
		started <- err
	}()
	select {
	case err = <-started:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("the router's cache of models: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		return nil, err
	}
	// No keep-alive to Traefik: on a reused connection it cuts off about
	// 3% of chunked responses, streams among them (seen here with Traefik
	// v3.7.13: the request's context is canceled mid-response;
	// traefik/traefik#11767). A new connection per request avoids it.
	toGateway := http.DefaultTransport.(*http.Transport).Clone()
	toGateway.DisableKeepAlives = true
	handler := modelproxy.NewRouter(modelproxy.RouterOptions{
		Transport:   toGateway,
		Gateway:     &url.URL{Scheme: "http", Host: opts.GatewayAddress},
		ModelHeader: opts.ModelHeader,
		Untrusted:   append([]string{opts.RewriteHeader}, opts.RewriteHeaderAliases...),
		MaxBody:     modelproxy.DefaultMaxBody,
		Catalog:     catalog,
		Log:         opts.Log,
	})
	r := &Router{BaseURL: "http://" + ln.Addr().String() + "/v1", server: modelproxy.DefaultTimeouts.Server(handler), cancel: cancel}
	go func() { _ = r.server.Serve(ln) }()
	return r, nil
}

// Stop stops the router and its cache.
func (r *Router) Stop() error {
	defer r.cancel()
	if err := r.server.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
