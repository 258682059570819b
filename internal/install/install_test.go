package install

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/modelroute/modelroute/internal/manifests"
	"github.com/modelroute/modelroute/translate"
)

const defaultDir = "../../config/default"

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

func objects(t *testing.T, yml []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := manifests.Objects(yml)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestManifestsOrderAndImage: one `kubectl apply -f` needs the Namespace
// and the RBAC before what lives in or uses them; every container gets the
// image.
func TestManifestsOrderAndImage(t *testing.T) {
	const ref = "registry.example/modelroute:v9.9.9"
	yml, err := Manifests(defaultDir, Options{Image: ref})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	images := 0
	for _, u := range objects(t, yml) {
		kinds = append(kinds, u.GetKind())
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			if img := c.(map[string]any)["image"]; img != ref {
				t.Errorf("%s/%s: image %v, want %s", u.GetKind(), u.GetName(), img, ref)
			}
			images++
		}
	}
	if len(kinds) == 0 || kinds[0] != "Namespace" {
		t.Errorf("kinds in order %v: want the Namespace first", kinds)
	}
	deployment := slices.Index(kinds, "Deployment")
	for i, kind := range kinds {
		if strings.Contains(kind, "Role") && i > deployment {
			t.Errorf("kinds in order %v: %s after the Deployment", kinds, kind)
		}
	}
	if slices.Contains(kinds, "CustomResourceDefinition") {
		t.Errorf("kinds %v: the install holds a CRD; uninstalling it would delete every model", kinds)
	}
	if images == 0 {
		t.Error("no container images")
	}
	if strings.Contains(string(yml), "modelroute:latest") {
		t.Error("placeholder image modelroute:latest left in the output")
	}
}

// variant is what one install variant must hold.
type variant struct {
	opts Options
	// roles are the Roles and ClusterRoles, as KIND/NAMESPACE/NAME.
	roles []string
	args  []string // beyond config/default's
}

var variants = map[string]variant{
	"inferencepool, cluster-wide": {
		opts: Options{Image: "m:1"},
		roles: []string{
			"ClusterRole//modelroute", "ClusterRole//modelroute-gateways", "ClusterRole//modelroute-metrics-auth",
			"ClusterRole//modelroute-metrics-reader", "Role/modelroute-system/modelroute-leader-election",
		},
	},
	"service, cluster-wide": {
		opts: Options{Image: "m:1", Backend: translate.BackendService},
		roles: []string{
			"ClusterRole//modelroute", "ClusterRole//modelroute-gateways", "ClusterRole//modelroute-metrics-auth",
			"ClusterRole//modelroute-metrics-reader", "ClusterRole//modelroute-service-backend",
			"Role/modelroute-system/modelroute-leader-election",
		},
		args: []string{"--backend=service"},
	},
	"inferencepool, namespace team-a": {
		opts: Options{Image: "m:1", Backend: translate.BackendInferencePool, Namespace: "team-a"},
		roles: []string{
			"ClusterRole//modelroute-gateways", "ClusterRole//modelroute-metrics-auth", "ClusterRole//modelroute-metrics-reader",
			"Role/modelroute-system/modelroute-leader-election", "Role/team-a/modelroute",
		},
		args: []string{"--namespace=team-a"},
	},
	"service, namespace team-a": {
		opts: Options{Image: "m:1", Backend: translate.BackendService, Namespace: "team-a"},
		roles: []string{
			"ClusterRole//modelroute-gateways", "ClusterRole//modelroute-metrics-auth", "ClusterRole//modelroute-metrics-reader",
			"Role/modelroute-system/modelroute-leader-election", "Role/team-a/modelroute", "Role/team-a/modelroute-service-backend",
		},
		args: []string{"--backend=service", "--namespace=team-a"},
	},
	"inferencepool with the EPP API, cluster-wide": {
		opts: Options{Image: "m:1", EPPAPI: true},
		roles: []string{
			"ClusterRole//modelroute", "ClusterRole//modelroute-epp-api", "ClusterRole//modelroute-gateways", "ClusterRole//modelroute-metrics-auth",
			"ClusterRole//modelroute-metrics-reader", "Role/modelroute-system/modelroute-leader-election",
		},
		args: []string{"--epp-api=auto"},
	},
	"inferencepool with the EPP API, namespace team-a": {
		opts: Options{Image: "m:1", EPPAPI: true, Namespace: "team-a"},
		roles: []string{
			"ClusterRole//modelroute-gateways", "ClusterRole//modelroute-metrics-auth", "ClusterRole//modelroute-metrics-reader",
			"Role/modelroute-system/modelroute-leader-election", "Role/team-a/modelroute", "Role/team-a/modelroute-epp-api",
		},
		args: []string{"--epp-api=auto", "--namespace=team-a"},
	},
}

// TestManifestsVariants checks each variant's roles, bindings and flags.
// The real authorizer's verdict on them is controllers' TestLeastPrivilege.
func TestManifestsVariants(t *testing.T) {
	base := deploymentArgs(t, Options{Image: "m:1"})
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			yml, err := Manifests(defaultDir, v.opts)
			if err != nil {
				t.Fatal(err)
			}
			objs := objects(t, yml)
			roles := map[string][]rbacv1.PolicyRule{}
			var bindings []string
			for _, u := range objs {
				id := u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
				switch u.GetKind() {
				case "Role", "ClusterRole":
					var role rbacv1.ClusterRole // a Role's fields are a subset
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &role); err != nil {
						t.Fatal(err)
					}
					roles[id] = role.Rules
				case "RoleBinding", "ClusterRoleBinding":
					var b rbacv1.RoleBinding
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &b); err != nil {
						t.Fatal(err)
					}
					ns := u.GetNamespace()
					if b.RoleRef.Kind == "ClusterRole" {
						ns = ""
					}
					bindings = append(bindings, b.RoleRef.Kind+"/"+ns+"/"+b.RoleRef.Name)
					if len(b.Subjects) != 1 || b.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: "modelroute", Namespace: "modelroute-system"}) {
						t.Errorf("%s binds %v; want only the ServiceAccount modelroute-system/modelroute", id, b.Subjects)
					}
				}
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for id := range roles {
					if !yield(id) {
						return
					}
				}
			})
			if diff := cmp.Diff(v.roles, got); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			// Every role is bound to the controller, but the one for
			// whoever reads its metrics.
			slices.Sort(bindings)
			wantBindings := slices.DeleteFunc(slices.Clone(v.roles), func(id string) bool { return id == "ClusterRole//modelroute-metrics-reader" })
			if diff := cmp.Diff(wantBindings, bindings); diff != "" {
				t.Errorf("bound roles (-want +got):\n%s", diff)
			}
			for id, rules := range roles {
				for _, r := range rules {
					if v.opts.Backend != translate.BackendService && (slices.Contains(r.Resources, "services") || slices.Contains(r.Resources, "inferencepools/finalizers")) {
						t.Errorf("%s grants %v on %v without service mode", id, r.Verbs, r.Resources)
					}
					if v.opts.Namespace != "" && strings.HasPrefix(id, "ClusterRole/") && id != "ClusterRole//modelroute-metrics-reader" {
						if w := ClusterWideWrites(r); len(w) > 0 {
							t.Errorf("%s: cluster-wide %v in the namespaced variant", id, w)
						}
					}
				}
			}
			if diff := cmp.Diff(append(slices.Clone(base), v.args...), deploymentArgs(t, v.opts)); diff != "" {
				t.Errorf("controller args (-want +got):\n%s", diff)
			}
		})
	}
}

func deploymentArgs(t *testing.T, opts Options) []string {
	t.Helper()
	yml, err := Manifests(defaultDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range objects(t, yml) {
		if u.GetKind() != "Deployment" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
		return args
	}
	t.Fatal("no Deployment")
	return nil
}

// TestCRDs: the CRD comes on its own, so that uninstalling the controller
// keeps it, and every model.
func TestCRDs(t *testing.T) {
	yml, err := CRDs("../../config/crd")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range objects(t, yml) {
		got = append(got, u.GetKind()+"/"+u.GetName())
	}
	if want := []string{"CustomResourceDefinition/inferencemodels.inference.networking.x-k8s.io"}; !slices.Equal(got, want) {
		t.Errorf("objects %v; want %v", got, want)
	}
}

func TestManifestsErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		dir  string
		opts Options
		want string
	}{
		"image without tag or digest":     {defaultDir, Options{Image: "no-tag"}, "want NAME:TAG"},
		"unknown mode":                    {defaultDir, Options{Image: "x:1", Backend: "pool"}, `mode "pool"`},
		"namespace not a DNS label":       {defaultDir, Options{Image: "x:1", Namespace: "Team_A"}, `namespace "Team_A"`},
		"directory without kustomization": {t.TempDir(), Options{Image: "x:1"}, "kustomize build"},
	} {
		if _, err := Manifests(tc.dir, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", name, err, tc.want)
		}
	}
}

// TestNamespacedRenamedRole: a per-namespace role renamed in config/ must
// fail the namespaced build, not stay cluster-wide.
func TestNamespacedRenamedRole(t *testing.T) {
	defer func(saved []string) { perNamespaceRoles = saved }(perNamespaceRoles)
	perNamespaceRoles = []string{"modelroute"} // as if the service-backend role had another name
	_, err := Manifests(defaultDir, Options{Image: "x:1", Backend: translate.BackendService, Namespace: "team-a"})
	if err == nil || !strings.Contains(err.Error(), "ClusterRoleBinding modelroute-service-backend grants create") {
		t.Errorf("%v; want an error about the cluster-wide Service rights", err)
	}
	perNamespaceRoles = []string{"modelroute-models", "modelroute-service-backend"}
	_, err = Manifests(defaultDir, Options{Image: "x:1", Namespace: "team-a"})
	if err == nil || !strings.Contains(err.Error(), "ClusterRoleBinding modelroute grants create") {
		t.Errorf("%v; want an error about the cluster-wide route rights", err)
	}
}
