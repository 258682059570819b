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

// TestManifestsWritesInstallYAML runs what `make release-manifests` runs,
// in each mode and scope, and checks the file an admin would apply.
func TestManifestsWritesInstallYAML(t *testing.T) {
	const ref = "registry.example:5000/team/modelroute:v1.2.3"
	for _, tc := range []struct {
		flags []string
		// kinds counts the objects by kind; args are the flags the
		// variant adds to the controller's.
		kinds map[string]int
		args  []string
	}{
		{
			kinds: map[string]int{"Namespace": 1, "ServiceAccount": 1, "ClusterRole": 4, "ClusterRoleBinding": 3,
				"Role": 1, "RoleBinding": 1, "Deployment": 1, "PodDisruptionBudget": 1},
		},
		{
			flags: []string{"-mode", "service"},
			kinds: map[string]int{"Namespace": 1, "ServiceAccount": 1, "ClusterRole": 5, "ClusterRoleBinding": 4,
				"Role": 1, "RoleBinding": 1, "Deployment": 1, "PodDisruptionBudget": 1},
			args: []string{"--backend=service"},
		},
		{
			flags: []string{"-mode", "service", "-namespace", "team-a"},
			kinds: map[string]int{"Namespace": 1, "ServiceAccount": 1, "ClusterRole": 3, "ClusterRoleBinding": 2,
				"Role": 3, "RoleBinding": 3, "Deployment": 1, "PodDisruptionBudget": 1},
			args: []string{"--backend=service", "--namespace=team-a"},
		},
	} {
		t.Run(strings.Join(append([]string{"flags"}, tc.flags...), " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bin", "install.yaml")
			args := append([]string{"manifests", "-config", "../../config/default", "-image", ref, "-o", out}, tc.flags...)
			if code, _, stderr := runArgs(t, args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			objs, err := manifests.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			// internal/install and config/config_test.go check what the
			// variants hold; here, that install.yaml holds the variant
			// asked for, with the image set.
			var deployment *unstructured.Unstructured
			kinds := map[string]int{}
			for _, u := range objs {
				kinds[u.GetKind()]++
				if u.GetKind() == "Deployment" {
					deployment = u
				}
			}
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" {
				t.Errorf("objects in install.yaml by kind (-want +got):\n%s", diff)
			}
			if deployment == nil {
				t.Fatal("no Deployment")
			}
			containers, _, _ := unstructured.NestedSlice(deployment.Object, "spec", "template", "spec", "containers")
			if len(containers) != 1 || containers[0].(map[string]any)["image"] != ref {
				t.Fatalf("containers %v: want one with image %s", containers, ref)
			}
			got, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
			var added []string
			for _, a := range got {
				if strings.HasPrefix(a, "--backend=") || strings.HasPrefix(a, "--namespace=") {
					added = append(added, a)
				}
			}
			if diff := cmp.Diff(tc.args, added); diff != "" {
				t.Errorf("--backend and --namespace args (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCRDsWritesCRDsYAML: the CRD the install no longer holds.
func TestCRDsWritesCRDsYAML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bin", "crds.yaml")
	if code, _, stderr := runArgs(t, "crds", "-config", "../../config/crd", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs, err := manifests.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GetKind() != "CustomResourceDefinition" || objs[0].GetName() != "inferencemodels.inference.networking.x-k8s.io" {
		t.Errorf("crds.yaml holds %d objects, want the InferenceModel CRD alone", len(objs))
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
		{"manifests", "-image", "x:1", "-mode", "pool"},
		{"crds", "extra"},
		{"crds", "-unknown"},
	} {
		if code, _, _ := runArgs(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := runArgs(t, "manifests", "-image", "no-tag", "-config", "../../config/default", "-o", filepath.Join(t.TempDir(), "x.yaml")); code != 1 {
		t.Errorf("image without a tag: exit %d, want 1", code)
	}
	if code, _, _ := runArgs(t, "manifests", "-image", "x:1", "-namespace", "Team_A", "-config", "../../config/default", "-o", filepath.Join(t.TempDir(), "x.yaml")); code != 1 {
		t.Errorf("namespace that is not a DNS label: exit %d, want 1", code)
	}
}
