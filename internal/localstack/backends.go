package localstack

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"

	"github.com/go-logr/logr"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/internal/modelproxy"
	"github.com/modelroute/modelroute/internal/modelserver"
	"github.com/modelroute/modelroute/translate"
)

// EndpointSliceManager is the endpointslice.kubernetes.io/managed-by value
// of the slices LoopbackBackends writes.
const EndpointSliceManager = "conformance.modelroute.dev"

// LoopbackBackends implements conformance.Backends with model-server pods
// in this process, each on a loopback address of its own, and one FQDN
// EndpointSlice per pool that makes them the endpoints of the pool's shadow
// Service (see the package documentation for why). Service mode only.
//
// A pod is what a vLLM Deployment with modelroute's sidecar runs: the
// target-rewrite sidecar (modelproxy.Rewriter) on the pool's target port,
// in front of a vLLM stand-in (package modelserver) that serves only the
// pool's names on another port of the same address.
type LoopbackBackends struct {
	Client  client.Client
	Backend translate.BackendMode
	// RewriteHeader and RewriteHeaderAliases are the sidecar's: the
	// controller's.
	RewriteHeader        string
	RewriteHeaderAliases []string
}

var _ conformance.Backends = (*LoopbackBackends)(nil)

// Deploy starts pool.Replicas pods named "<pool>-<n>", serving pool.Models,
// the sidecar on <address>:<target port>, and the EndpointSlice of the
// pool's shadow Service in ns. All go away when t ends.
func (b *LoopbackBackends) Deploy(ctx context.Context, t conformance.Scope, ns string, pool conformance.Pool) error {
	if b.Backend != translate.BackendService {
		return fmt.Errorf("loopback backends need modelroute in --backend %s (endpoints of its shadow Services), not %q",
			translate.BackendService, b.Backend)
	}
	if pool.Group == "" || pool.Name == "" {
		return fmt.Errorf("pool %q of group %q: both group and name are needed to name its shadow Service", pool.Name, pool.Group)
	}
	if pool.TargetPort < 1 || pool.TargetPort > 65535 {
		return fmt.Errorf("pool %s: target port %d is not 1 to 65535", pool.Name, pool.TargetPort)
	}
	service := translate.ServiceName(pool.Group, pool.Name)
	var pods []*pod
	closeAll := func() {
		for _, p := range pods {
			p.close()
		}
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:    ns,
			GenerateName: service + "-",
			Labels: map[string]string{
				discoveryv1.LabelServiceName: service,
				discoveryv1.LabelManagedBy:   EndpointSliceManager,
			},
		},
		AddressType: discoveryv1.AddressTypeFQDN,
		Ports: []discoveryv1.EndpointPort{{
			// The port of the shadow Service.
			Name:     ptr.To("http"),
			Port:     ptr.To(pool.TargetPort),
			Protocol: ptr.To(corev1.ProtocolTCP),
		}},
		Endpoints: []discoveryv1.Endpoint{},
	}
	for i := range pool.Replicas {
		p, err := b.startPod(modelserver.Options{Pod: fmt.Sprintf("%s-%d", pool.Name, i), Namespace: ns, Models: pool.Models}, pool.TargetPort)
		if err != nil {
			closeAll()
			return err
		}
		pods = append(pods, p)
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{p.ip},
			// Nothing else would say so: there is no kubelet.
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
	if err := b.Client.Create(ctx, slice); err != nil {
		closeAll()
		return fmt.Errorf("creating the EndpointSlice of Service %s/%s: %w", ns, service, err)
	}
	t.Cleanup(func() {
		// The namespace may be gone already.
		if err := b.Client.Delete(context.Background(), slice); client.IgnoreNotFound(err) != nil {
			t.Errorf("deleting EndpointSlice %s/%s: %v", ns, slice.Name, err)
		}
		closeAll()
	})
	return nil
}

// pod is a model server and its sidecar on one loopback address.
type pod struct {
	ip      string
	server  *modelserver.Server
	sidecar *http.Server
}

func (p *pod) close() {
	_ = p.sidecar.Close()
	_ = p.server.Close()
}

// startPod starts a pod on a fresh loopback address, skipping addresses
// another process holds the port of.
func (b *LoopbackBackends) startPod(opts modelserver.Options, port int32) (*pod, error) {
	var errs []error
	for range 20 {
		ip, err := nextLoopbackIP()
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
		if errors.Is(err, syscall.EADDRINUSE) {
			errs = append(errs, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		server, err := modelserver.Start(net.JoinHostPort(ip, "0"), opts)
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		sidecar := modelproxy.DefaultTimeouts.Server(modelproxy.NewRewriter(modelproxy.RewriterOptions{
			Upstream: &url.URL{Scheme: "http", Host: server.Addr},
			Header:   b.RewriteHeader, Aliases: b.RewriteHeaderAliases,
			MaxBody: modelproxy.DefaultMaxBody, Log: logr.Discard(),
		}))
		go func() { _ = sidecar.Serve(ln) }()
		return &pod{ip: ip, server: server, sidecar: sidecar}, nil
	}
	return nil, errors.Join(errs...)
}

// Loopback addresses 127.0.X.Y with Y in 2..254: never 127.0.0.1, nor a
// network or broadcast-looking address.
const (
	loopbackPerBlock = 253
	loopbackTotal    = 256 * loopbackPerBlock
)

var loopback struct {
	mu    sync.Mutex
	next  int // index of the next address, from a random start
	given int
}

// nextLoopbackIP returns a loopback address this process has not handed out
// before. The sequence starts at a random point, so that test binaries
// running at the same time (`go test ./...`) rarely meet.
func nextLoopbackIP() (string, error) {
	loopback.mu.Lock()
	defer loopback.mu.Unlock()
	if loopback.given == 0 {
		loopback.next = rand.IntN(loopbackTotal)
	}
	if loopback.given >= loopbackTotal {
		return "", errors.New("every loopback address 127.0.X.Y has been used once in this process")
	}
	n := (loopback.next + loopback.given) % loopbackTotal
	loopback.given++
	return fmt.Sprintf("127.0.%d.%d", n/loopbackPerBlock, n%loopbackPerBlock+2), nil
}
