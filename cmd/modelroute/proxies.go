package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/modelroute/modelroute/controllers"
	"github.com/modelroute/modelroute/internal/modelproxy"
	"github.com/modelroute/modelroute/internal/translateflags"
	"github.com/modelroute/modelroute/translate"
)

// serverFlags are the HTTP serving settings the router and the sidecar
// share.
type serverFlags struct {
	listen          string
	probes          string
	maxBody         string
	timeouts        modelproxy.Timeouts
	shutdownTimeout time.Duration
	rewriteHeader   string
	aliases         translateflags.StringList
	zap             zap.Options
}

func bindServerFlags(fs *flag.FlagSet, listen string) *serverFlags {
	f := &serverFlags{}
	fs.StringVar(&f.listen, "listen", listen, "address to serve on")
	fs.StringVar(&f.probes, "health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 disables them")
	fs.StringVar(&f.maxBody, "max-body", resource.NewQuantity(modelproxy.DefaultMaxBody, resource.BinarySI).String(), "largest request body taken (a quantity: 64Mi, 1Gi…); larger ones get 413")
	fs.DurationVar(&f.timeouts.ReadHeader, "read-header-timeout", modelproxy.DefaultTimeouts.ReadHeader, "time a client has to send the request's headers")
	fs.DurationVar(&f.timeouts.Read, "read-timeout", modelproxy.DefaultTimeouts.Read, "time a client has to send a whole request, body included; 0 for none")
	fs.DurationVar(&f.timeouts.Idle, "idle-timeout", modelproxy.DefaultTimeouts.Idle, "how long an idle keep-alive connection is kept")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "time requests in flight get to finish on SIGTERM")
	fs.StringVar(&f.rewriteHeader, "rewrite-header", translate.DefaultRewriteHeader, "the header a route sets to the target model it picked")
	fs.Var(&f.aliases, "rewrite-header-alias", "another target header, removed like the rewrite header; repeatable (default \""+translate.DefaultRewriteHeaderAlias+"\"); --rewrite-header-alias= for none")
	f.zap.BindFlags(fs)
	return f
}

// aliasList is the aliases flag, with its default.
func (f *serverFlags) aliasList() []string {
	if len(f.aliases) == 0 {
		return []string{translate.DefaultRewriteHeaderAlias}
	}
	var out []string
	for _, a := range f.aliases {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (f *serverFlags) maxBodyBytes() (int64, error) {
	q, err := resource.ParseQuantity(f.maxBody)
	if err != nil || q.Value() < 1 {
		return 0, fmt.Errorf("--max-body %q: want a positive quantity such as 64Mi", f.maxBody)
	}
	return q.Value(), nil
}

// serve runs handler until SIGINT or SIGTERM, then lets the requests in
// flight finish; ready says when /readyz answers 200.
func (f *serverFlags) serve(handler http.Handler, ready func() error, log logr.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	srv := f.timeouts.Server(handler)
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(ln) }()
	var probes *http.Server
	if f.probes != "0" {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
			if err := ready(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ok")
		})
		probes = &http.Server{Addr: f.probes, Handler: mux, ReadHeaderTimeout: f.timeouts.ReadHeader}
		go func() { errs <- probes.ListenAndServe() }()
	}
	log.Info("serving", "address", ln.Addr().String())
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for requests in flight", "timeout", f.shutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if probes != nil {
		_ = probes.Shutdown(shutdown)
	}
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func parseUpstream(flagName, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--%s %q: want http://HOST:PORT", flagName, raw)
	}
	return u, nil
}

// runRouter is `modelroute router`: the body-based router in front of a
// Gateway.
func runRouter(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := bindServerFlags(fs, ":8080")
	gatewayURL := fs.String("gateway", "", "the Gateway's HTTP listener, http://HOST:PORT (required)")
	gatewayRef := fs.String("gateway-ref", "", "the Gateway as NAMESPACE/NAME: routes to models Programmed on it (the cluster's InferenceModels are read)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file; default: $KUBECONFIG, in-cluster config, then ~/.kube/config")
	namespace := fs.String("namespace", "", "only read the models of this namespace (default: all namespaces)")
	modelHeader := fs.String("model-header", translate.DefaultModelHeader, "the header the routes match: set to the body's model")
	keepAlive := fs.Bool("gateway-keep-alive", true, "reuse connections to the Gateway; false opens one per request (Traefik v3 cuts off some chunked responses on reused connections, traefik/traefik#11767)")
	var static translateflags.StringList
	fs.Var(&static, "model", "route this model name without reading a cluster; repeatable; instead of --gateway-ref")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: modelroute router --gateway http://HOST:PORT (--gateway-ref NAMESPACE/NAME | --model NAME...) [flags]\n\n"+
			"Point OpenAI clients at it (base URL http://ROUTER/v1): it reads each request body's \"model\", sets the model header the\n"+
			"generated HTTPRoutes match, removes the target headers a client may not set, and forwards to the Gateway.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "error: "+format+"\n", args...)
		return 2
	}
	gateway, err := parseUpstream("gateway", *gatewayURL)
	if err != nil {
		return usageErr("%v", err)
	}
	maxBody, err := sf.maxBodyBytes()
	if err != nil {
		return usageErr("%v", err)
	}
	if (*gatewayRef == "") == (len(static) == 0) {
		return usageErr("give either --gateway-ref NAMESPACE/NAME or --model NAME")
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&sf.zap), zap.WriteTo(stderr)))
	log := ctrl.Log.WithName("router")
	var catalog modelproxy.Catalog = modelproxy.StaticCatalog(static)
	ready := func() error { return nil }
	if *gatewayRef != "" {
		ns, name, ok := strings.Cut(*gatewayRef, "/")
		if !ok || ns == "" || name == "" {
			return usageErr("--gateway-ref %q: want NAMESPACE/NAME", *gatewayRef)
		}
		restConfig, err := loadRESTConfig(*kubeconfig)
		if err != nil {
			log.Error(err, "loading kubeconfig")
			return 1
		}
		scheme, err := controllers.NewScheme()
		if err != nil {
			log.Error(err, "building the scheme")
			return 1
		}
		var namespaces []string
		if *namespace != "" {
			namespaces = []string{*namespace}
		}
		cc, err := modelproxy.NewClusterCatalog(context.Background(), restConfig, scheme, types.NamespacedName{Namespace: ns, Name: name}, *modelHeader, namespaces...)
		if err != nil {
			log.Error(err, "reading the cluster's models")
			return 1
		}
		catalog = cc
	}
	toGateway := http.DefaultTransport.(*http.Transport).Clone()
	toGateway.DisableKeepAlives = !*keepAlive
	router := modelproxy.NewRouter(modelproxy.RouterOptions{
		Gateway: gateway, ModelHeader: *modelHeader, Transport: toGateway,
		Untrusted: append([]string{sf.rewriteHeader}, sf.aliasList()...),
		MaxBody:   maxBody, Catalog: catalog, Log: log,
	})
	if err := sf.serve(router, ready, log); err != nil {
		log.Error(err, "stopped")
		return 1
	}
	return 0
}

// runRewrite is `modelroute rewrite`: the target-rewrite sidecar in front
// of a model server.
func runRewrite(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("rewrite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := bindServerFlags(fs, ":8001")
	upstreamURL := fs.String("upstream", "http://127.0.0.1:8000", "the model server in the pod, http://HOST:PORT")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: modelroute rewrite [--upstream http://127.0.0.1:8000] [flags]\n\n"+
			"Runs beside a model server (vLLM, SGLang, TGI): a request with the rewrite header gets the header's target model in its\n"+
			"body's \"model\" (the bytes spliced, nothing else touched), without the header; other requests pass untouched.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	upstream, err := parseUpstream("upstream", *upstreamURL)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	maxBody, err := sf.maxBodyBytes()
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&sf.zap), zap.WriteTo(stderr)))
	log := ctrl.Log.WithName("rewrite")
	rewriter := modelproxy.NewRewriter(modelproxy.RewriterOptions{
		Upstream: upstream, Header: sf.rewriteHeader, Aliases: sf.aliasList(), MaxBody: maxBody, Log: log,
	})
	if err := sf.serve(rewriter, func() error { return nil }, log); err != nil {
		log.Error(err, "stopped")
		return 1
	}
	return 0
}
