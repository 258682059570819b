// Package config holds the kustomize manifests; this test builds them with
// kustomize's own library, so `kubectl apply -k` gets what README promises.
package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func build(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objs := map[string]map[string]any{}
	for _, r := range res.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs[r.GetKind()+"/"+r.GetNamespace()+"/"+r.GetName()] = m
	}
	return objs
}

func keys(objs map[string]map[string]any) []string {
	var out []string
	for k := range objs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestKustomizations(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"default", []string{
			"ClusterRole//modelroute",
			"ClusterRoleBinding//modelroute",
			"CustomResourceDefinition//inferencemodels.inference.networking.x-k8s.io",
			"Deployment/modelroute-system/modelroute",
			"Namespace//modelroute-system",
			"Role/modelroute-system/modelroute",
			"RoleBinding/modelroute-system/modelroute",
			"ServiceAccount/modelroute-system/modelroute",
		}},
		{"crd/inferencepools", []string{
			"CustomResourceDefinition//inferencepools.inference.networking.k8s.io",
			"CustomResourceDefinition//inferencepools.inference.networking.x-k8s.io",
		}},
		{"samples", nil}, // checked below
	} {
		t.Run(tc.dir, func(t *testing.T) {
			got := keys(build(t, tc.dir))
			if tc.want == nil {
				if len(got) == 0 {
					t.Fatal("no objects")
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeploymentIsLockedDown checks the security settings README promises.
func TestDeploymentIsLockedDown(t *testing.T) {
	dep := build(t, "default")["Deployment/modelroute-system/modelroute"]
	spec := dep["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	container := spec["containers"].([]any)[0].(map[string]any)
	sc := container["securityContext"].(map[string]any)
	want := map[string]any{
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem":   true,
		"runAsNonRoot":             true,
		"runAsUser":                65532,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
	}
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("container securityContext (-want +got):\n%s", diff)
	}
	args := strings.Join(toStrings(container["args"].([]any)), " ")
	for _, flag := range []string{"controller", "--leader-elect", "--health-probe-bind-address=:8081"} {
		if !strings.Contains(args, flag) {
			t.Errorf("args %q lack %q", args, flag)
		}
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		if container[probe] == nil {
			t.Errorf("no %s", probe)
		}
	}
	if container["resources"].(map[string]any)["requests"] == nil {
		t.Error("no resource requests")
	}
}

func toStrings(in []any) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i], _ = v.(string)
	}
	return out
}
