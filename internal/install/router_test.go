package install

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const routerDir = "../../config/router"

// TestRouter: the Gateway flags are replaced where they stand, every other
// flag kept; the image set.
func TestRouter(t *testing.T) {
	yml, err := Router(routerDir, RouterOptions{Image: "reg.example/modelroute:v2", GatewayURL: "http://envoy-gw.envoy-gateway-system.svc:8080", GatewayRef: "team-a/ai-gateway"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, u := range objects(t, yml) {
		if u.GetKind() != "Deployment" {
			continue
		}
		found = true
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		c := containers[0].(map[string]any)
		args, _, _ := unstructured.NestedStringSlice(c, "args")
		want := []string{"router", "--gateway=http://envoy-gw.envoy-gateway-system.svc:8080", "--gateway-ref=team-a/ai-gateway",
			"--listen=:8080", "--health-probe-bind-address=:8081", "--max-body=64Mi", "--shutdown-timeout=30s"}
		if diff := cmp.Diff(want, args); diff != "" {
			t.Errorf("args (-want +got):\n%s", diff)
		}
		if c["image"] != "reg.example/modelroute:v2" {
			t.Errorf("image %v", c["image"])
		}
	}
	if !found {
		t.Fatal("no Deployment")
	}
}

func TestRouterErrors(t *testing.T) {
	ok := RouterOptions{Image: "x:1", GatewayURL: "http://gw.ns.svc:80", GatewayRef: "ns/gw"}
	for name, tc := range map[string]struct {
		change func(*RouterOptions)
		want   string
	}{
		"image without tag":   {func(o *RouterOptions) { o.Image = "x" }, "want NAME:TAG"},
		"gateway not http":    {func(o *RouterOptions) { o.GatewayURL = "gw.ns.svc:80" }, "want http://HOST:PORT"},
		"gateway with a path": {func(o *RouterOptions) { o.GatewayURL = "http://gw/v1" }, "want http://HOST:PORT"},
		"ref without slash":   {func(o *RouterOptions) { o.GatewayRef = "gw" }, "want NAMESPACE/NAME"},
		"ref bad namespace":   {func(o *RouterOptions) { o.GatewayRef = "Team_A/gw" }, "want NAMESPACE/NAME"},
	} {
		opts := ok
		tc.change(&opts)
		if _, err := Router(routerDir, opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", name, err, tc.want)
		}
	}
}
