package translate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestLimitsMatchPinnedGatewayAPI reads the standard-channel HTTPRoute CRD
// shipped in the pinned gateway-api module and checks every limit constant
// against it, so that bumping the module cannot leave a stale limit behind.
func TestLimitsMatchPinnedGatewayAPI(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("locating the gateway-api module: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "gateway.networking.k8s.io_httproutes.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	var schema *apiextensionsv1.JSONSchemaProps
	for _, v := range crd.Spec.Versions {
		if v.Name == "v1" {
			schema = v.Schema.OpenAPIV3Schema
		}
	}
	if schema == nil {
		t.Fatal("no v1 version in the HTTPRoute CRD")
	}
	spec := schema.Properties["spec"]
	rule := spec.Properties["rules"].Items.Schema
	match := rule.Properties["matches"].Items.Schema
	header := match.Properties["headers"].Items.Schema
	backend := rule.Properties["backendRefs"].Items.Schema
	filter := rule.Properties["filters"].Items.Schema
	headerSet := filter.Properties["requestHeaderModifier"].Properties["set"]

	got := map[string]int64{
		"MaxParentRefs":         deref(spec.Properties["parentRefs"].MaxItems),
		"MaxHostnames":          deref(spec.Properties["hostnames"].MaxItems),
		"MaxHostnameLength":     deref(spec.Properties["hostnames"].Items.Schema.MaxLength),
		"MaxMatchesPerRule":     deref(rule.Properties["matches"].MaxItems),
		"MaxBackendRefsPerRule": deref(rule.Properties["backendRefs"].MaxItems),
		"MaxHeaderValueLength":  deref(header.Properties["value"].MaxLength),
		"MaxHeaderNameLength":   deref(header.Properties["name"].MaxLength),
		"MaxPathLength":         deref(match.Properties["path"].Properties["value"].MaxLength),
		"MaxBackendWeight":      int64(deref(backend.Properties["weight"].Maximum)),
		"MaxHeaderSets":         deref(headerSet.MaxItems),
		"SetHeaderValueLength":  deref(headerSet.Items.Schema.Properties["value"].MaxLength),
	}
	want := map[string]int64{
		"MaxParentRefs":         MaxParentRefs,
		"MaxHostnames":          MaxHostnames,
		"MaxHostnameLength":     MaxHostnameLength,
		"MaxMatchesPerRule":     MaxMatchesPerRule,
		"MaxBackendRefsPerRule": MaxBackendRefsPerRule,
		"MaxHeaderValueLength":  MaxHeaderValueLength,
		"MaxHeaderNameLength":   MaxHeaderNameLength,
		"MaxPathLength":         MaxPathLength,
		"MaxBackendWeight":      MaxBackendWeight,
		"MaxHeaderSets":         MaxHeaderSets,
		"SetHeaderValueLength":  MaxHeaderValueLength,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limits differ from %s (-want +got):\n%s", path, diff)
	}
	var total bool
	for _, rule := range spec.Properties["rules"].XValidations {
		total = total || strings.HasSuffix(rule.Rule, "<= 128") && MaxMatchesPerRoute == 128
	}
	if !total {
		t.Errorf("no CEL rule limits the matches of a route to %d", MaxMatchesPerRoute)
	}
}
