package install

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/types"
)

func TestParseImage(t *testing.T) {
	const digest = "sha256:0123456789012345678901234567890123456789012345678901234567890123"
	for ref, want := range map[string]types.Image{
		"modelroute:dev":                      {Name: "modelroute", NewName: "modelroute", NewTag: "dev"},
		"ghcr.io/org/modelroute:v1.2.3":       {Name: "modelroute", NewName: "ghcr.io/org/modelroute", NewTag: "v1.2.3"},
		"localhost:5000/modelroute:v1":        {Name: "modelroute", NewName: "localhost:5000/modelroute", NewTag: "v1"},
		"reg.example/modelroute@" + digest:    {Name: "modelroute", NewName: "reg.example/modelroute", Digest: digest},
		"reg.example/modelroute:v1@" + digest: {Name: "modelroute", NewName: "reg.example/modelroute", NewTag: "v1", Digest: digest},
	} {
		got, err := parseImage(ref)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ref, diff)
		}
	}
	for _, ref := range []string{"", "modelroute", "localhost:5000/modelroute"} {
		if _, err := parseImage(ref); err == nil {
			t.Errorf("%q: no error", ref)
		}
	}
}

// TestManifestsOrderAndImage: one `kubectl apply -f` needs the Namespace and
// CRDs before what lives in or uses them; every container gets the image.
func TestManifestsOrderAndImage(t *testing.T) {
	const ref = "registry.example/modelroute:v9.9.9"
	yml, err := Manifests("../../config/default", ref)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	images := 0
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(yml), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, u.GetKind())
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			if img := c.(map[string]any)["image"]; img != ref {
				t.Errorf("%s/%s: image %v, want %s", u.GetKind(), u.GetName(), img, ref)
			}
			images++
		}
	}
	if len(kinds) < 2 || kinds[0] != "Namespace" || kinds[1] != "CustomResourceDefinition" || kinds[len(kinds)-1] != "Deployment" {
		t.Errorf("kinds in order %v: want Namespace, CRDs first and the Deployment last", kinds)
	}
	if images == 0 {
		t.Error("no container images")
	}
	if strings.Contains(string(yml), "modelroute:latest") {
		t.Error("placeholder image modelroute:latest left in the output")
	}
}

func TestManifestsErrors(t *testing.T) {
	if _, err := Manifests("../../config/default", "no-tag"); err == nil {
		t.Error("image without tag or digest: no error")
	}
	if _, err := Manifests(t.TempDir(), "x:1"); err == nil {
		t.Error("directory without kustomization: no error")
	}
}
