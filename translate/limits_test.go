package translate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
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
		"MaxParentRefs":         ptr.Deref(spec.Properties["parentRefs"].MaxItems, 0),
		"MaxHostnames":          ptr.Deref(spec.Properties["hostnames"].MaxItems, 0),
		"MaxHostnameLength":     ptr.Deref(spec.Properties["hostnames"].Items.Schema.MaxLength, 0),
		"MaxMatchesPerRule":     ptr.Deref(rule.Properties["matches"].MaxItems, 0),
		"MaxRulesPerRoute":      ptr.Deref(spec.Properties["rules"].MaxItems, 0),
		"MaxBackendRefsPerRule": ptr.Deref(rule.Properties["backendRefs"].MaxItems, 0),
		"MaxHeaderValueLength":  ptr.Deref(header.Properties["value"].MaxLength, 0),
		"MaxHeaderNameLength":   ptr.Deref(header.Properties["name"].MaxLength, 0),
		"MaxPathLength":         ptr.Deref(match.Properties["path"].Properties["value"].MaxLength, 0),
		"MaxBackendWeight":      int64(ptr.Deref(backend.Properties["weight"].Maximum, 0)),
		"MaxHeaderSets":         ptr.Deref(headerSet.MaxItems, 0),
		"MaxHeaderRemoves":      ptr.Deref(filter.Properties["requestHeaderModifier"].Properties["remove"].MaxItems, 0),
		"SetHeaderValueLength":  ptr.Deref(headerSet.Items.Schema.Properties["value"].MaxLength, 0),
	}
	want := map[string]int64{
		"MaxParentRefs":         MaxParentRefs,
		"MaxHostnames":          MaxHostnames,
		"MaxHostnameLength":     MaxHostnameLength,
		"MaxMatchesPerRule":     MaxMatchesPerRule,
		"MaxRulesPerRoute":      MaxRulesPerRoute,
		"MaxBackendRefsPerRule": MaxBackendRefsPerRule,
		"MaxHeaderValueLength":  MaxHeaderValueLength,
		"MaxHeaderNameLength":   MaxHeaderNameLength,
		"MaxPathLength":         MaxPathLength,
		"MaxBackendWeight":      MaxBackendWeight,
		"MaxHeaderSets":         MaxHeaderSets,
		"MaxHeaderRemoves":      MaxHeaderRemoves,
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
