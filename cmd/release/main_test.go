package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/modelroute/modelroute/internal/manifests"
)

func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestManifestsWritesInstallYAML runs what `make release-manifests` runs
// and checks the file an admin would apply.
func TestManifestsWritesInstallYAML(t *testing.T) {
	const ref = "registry.example:5000/team/modelroute:v1.2.3"
	out := filepath.Join(t.TempDir(), "bin", "install.yaml")
	if code, _, stderr := runArgs(t, "manifests", "-config", "../../config/default", "-image", ref, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs, err := manifests.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// config/config_test.go checks what config/default holds; here, that
	// install.yaml holds it all, with the image set.
	var deployment *unstructured.Unstructured
	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
		if u.GetKind() == "Deployment" {
			deployment = u
		}
	}
	want := map[string]int{"Namespace": 1, "CustomResourceDefinition": 1, "ServiceAccount": 1, "ClusterRole": 1,
		"ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1, "Deployment": 1}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("objects in install.yaml by kind (-want +got):\n%s", diff)
	}
	if deployment == nil {
		t.Fatal("no Deployment")
	}
	containers, _, _ := unstructured.NestedSlice(deployment.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 || containers[0].(map[string]any)["image"] != ref {
		t.Errorf("containers %v: want one with image %s", containers, ref)
	}
}

func TestImageWritesLayout(t *testing.T) {
	dir := t.TempDir()
	var flags []string
	for _, arch := range []string{"amd64", "arm64"} {
		path := filepath.Join(dir, arch)
		if err := os.WriteFile(path, []byte(arch), 0o755); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, "-binary", "linux/"+arch+"="+path)
	}
	out := filepath.Join(dir, "image")
	args := append([]string{"image", "-o", out, "-version", "v1", "-created", "0"}, flags...)
	code, stdout, stderr := runArgs(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "2 platforms") {
		t.Errorf("stdout %q", stdout)
	}
	if _, err := layout.ImageIndexFromPath(out); err != nil {
		t.Errorf("reading the layout back: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"nope"},
		{"image", "-version", "v1"},
		{"image", "-binary", "linux/amd64=/x"},
		{"image", "-binary", "amd64=/x", "-version", "v1"},
		{"image", "-binary", "linux/amd64", "-version", "v1"},
		{"manifests"},
		{"manifests", "-image", "x:1", "extra"},
		{"manifests", "-unknown"},
	} {
		if code, _, _ := runArgs(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := runArgs(t, "manifests", "-image", "no-tag", "-config", "../../config/default", "-o", filepath.Join(t.TempDir(), "x.yaml")); code != 1 {
		t.Errorf("image without a tag: exit %d, want 1", code)
	}
}
