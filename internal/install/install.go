// Package install renders the single-file install manifests: a
// kustomization (config/default) built with kustomize's library, its
// `modelroute` image replaced by a release image reference, in the variant
// asked for (backend mode, cluster-wide or one namespace); and the CRDs
// (config/crd), which are installed and removed on their own.
package install

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/translate"
)

// ImageName is the image name the manifests in config/ use as a placeholder.
const ImageName = "modelroute"

// ServiceBackendComponent is the kustomize component of service backend
// mode, relative to the directory of the kustomization Manifests builds
// (config/default): config/components/service-backend.
var ServiceBackendComponent = filepath.Join("..", "components", "service-backend")

// EPPAPIComponent is the kustomize component of --epp-api, relative to
// the directory of the kustomization Manifests builds:
// config/components/epp-api.
var EPPAPIComponent = filepath.Join("..", "components", "epp-api")

// perNamespaceRoles are the ClusterRoles, each bound by a
// ClusterRoleBinding of the same name, that hold what the controller does
// only in the namespaces it watches (generated from the markers in
// controllers/rbac.go, controllers/servicebackend and controllers/eppapi). A namespaced install
// turns them into a Role and a RoleBinding in the watched namespace. The
// other ClusterRoles (Gateways, read in every namespace; the metrics
// endpoint's token and access reviews, which are cluster-scoped) stay.
var perNamespaceRoles = []string{"modelroute", "modelroute-service-backend", "modelroute-epp-api"}

// Options select the variant Manifests builds.
type Options struct {
	// Image replaces the placeholder image: NAME:TAG, NAME@DIGEST or
	// NAME:TAG@DIGEST.
	Image string
	// Backend is the controller's --backend; translate.BackendService adds
	// the service-backend component. Empty means the default,
	// translate.BackendInferencePool.
	Backend translate.BackendMode
	// EPPAPI adds the epp-api component: --epp-api=auto and the rights to
	// write InferenceModelRewrites and InferenceObjectives. inferencepool
	// mode only.
	EPPAPI bool
	// Namespace, when set, makes the controller watch only this namespace
	// (--namespace), with what it does there granted by Roles in it
	// instead of ClusterRoles. Empty: every namespace.
	Namespace string
}

// Manifests builds the kustomization in dir in the variant opts selects
// and returns it as one multi-document YAML, in an order one
// `kubectl apply -f` accepts.
func Manifests(dir string, opts Options) ([]byte, error) {
	img, err := parseImage(opts.Image)
	if err != nil {
		return nil, err
	}
	var components []string
	switch opts.Backend {
	case "", translate.BackendInferencePool:
	case translate.BackendService:
		components = append(components, ServiceBackendComponent)
	default:
		return nil, fmt.Errorf("mode %q: want %s or %s", opts.Backend, translate.BackendInferencePool, translate.BackendService)
	}
	if opts.EPPAPI {
		if opts.Backend == translate.BackendService {
			return nil, fmt.Errorf("the EPP API needs mode %s: only an endpoint picker reads InferenceModelRewrites", translate.BackendInferencePool)
		}
		components = append(components, EPPAPIComponent)
	}
	var patches []types.Patch
	if opts.Namespace != "" {
		if errs := validation.IsDNS1123Label(opts.Namespace); len(errs) > 0 {
			return nil, fmt.Errorf("namespace %q: %s", opts.Namespace, strings.Join(errs, "; "))
		}
		if patches, err = namespacedPatches(opts.Namespace); err != nil {
			return nil, err
		}
	}
	res, err := build(dir, func(base string) types.Kustomization {
		k := types.Kustomization{Resources: []string{base}, Images: []types.Image{img}, Patches: patches}
		for _, c := range components {
			k.Components = append(k.Components, filepath.ToSlash(filepath.Join(base, c)))
		}
		return k
	})
	if err != nil {
		return nil, err
	}
	if opts.Namespace != "" {
		if err := checkNamespaced(res, opts.Namespace); err != nil {
			return nil, err
		}
	}
	return res.AsYaml()
}

// CRDs builds the kustomization of the CRDs in dir (config/crd) as one
// multi-document YAML.
func CRDs(dir string) ([]byte, error) {
	res, err := build(dir, func(base string) types.Kustomization {
		return types.Kustomization{Resources: []string{base}}
	})
	if err != nil {
		return nil, err
	}
	return res.AsYaml()
}

// build writes the kustomization overlay returns, with the path of dir
// relative to it, to a temporary directory, and builds that: the variant
// is set the way an overlay of one's own would set it, without touching
// config/.
func build(dir string, overlay func(base string) types.Kustomization) (resmap.ResMap, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "modelroute-install-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// kustomize refuses absolute roots, so the overlay names dir relatively.
	base, err := filepath.Rel(tmp, abs)
	if err != nil {
		return nil, err
	}
	k := overlay(filepath.ToSlash(base))
	k.TypeMeta = types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind}
	raw, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "kustomization.yaml"), raw, 0o644); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	// The order `kustomize build` prints by default: Namespace, CRDs and
	// RBAC before the Deployment, so one `kubectl apply -f` succeeds.
	opts.Reorder = krusty.ReorderOptionLegacy
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), tmp)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return res, nil
}

// jsonPatchOp is one RFC 6902 operation. JSON patches, unlike strategic
// merge ones, may change an object's kind and namespace.
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// namespacedPatches turn each per-namespace ClusterRole and its binding
// into a Role and a RoleBinding in ns, and make the controller watch ns.
func namespacedPatches(ns string) ([]types.Patch, error) {
	var patches []types.Patch
	add := func(kind, name string, ops ...jsonPatchOp) error {
		raw, err := json.Marshal(ops)
		if err != nil {
			return err
		}
		patches = append(patches, types.Patch{
			Patch:  string(raw),
			Target: &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Kind: kind}, Name: name}},
		})
		return nil
	}
	for _, name := range perNamespaceRoles {
		// An absent role (the service-backend one in inferencepool mode,
		// the epp-api one without it)
		// selects nothing; checkNamespaced catches a renamed one.
		if err := add("ClusterRole", name,
			jsonPatchOp{"replace", "/kind", "Role"},
			jsonPatchOp{"add", "/metadata/namespace", ns},
		); err != nil {
			return nil, err
		}
		if err := add("ClusterRoleBinding", name,
			jsonPatchOp{"replace", "/kind", "RoleBinding"},
			jsonPatchOp{"add", "/metadata/namespace", ns},
			jsonPatchOp{"replace", "/roleRef/kind", "Role"},
		); err != nil {
			return nil, err
		}
	}
	if err := add("Deployment", "modelroute",
		jsonPatchOp{"add", "/spec/template/spec/containers/0/args/-", "--namespace=" + ns},
	); err != nil {
		return nil, err
	}
	return patches, nil
}

// checkNamespaced holds a namespaced install to its promise: no
// cluster-wide writes (a role renamed in config/ would otherwise stay a
// ClusterRole), and the controller's rights in ns.
func checkNamespaced(res resmap.ResMap, ns string) error {
	clusterRoles := map[string][]rbacv1.PolicyRule{}
	var bindings []rbacv1.ClusterRoleBinding
	hasRole := false
	for _, r := range res.Resources() {
		obj, err := r.Map()
		if err != nil {
			return err
		}
		switch r.GetKind() {
		case "ClusterRole":
			var role rbacv1.ClusterRole
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &role); err != nil {
				return err
			}
			clusterRoles[role.Name] = role.Rules
		case "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &b); err != nil {
				return err
			}
			bindings = append(bindings, b)
		case "Role":
			hasRole = hasRole || (r.GetNamespace() == ns && r.GetName() == perNamespaceRoles[0])
		}
	}
	for _, b := range bindings {
		for _, rule := range clusterRoles[b.RoleRef.Name] {
			if w := ClusterWideWrites(rule); len(w) > 0 {
				return fmt.Errorf("namespace %s: ClusterRoleBinding %s grants %s cluster-wide", ns, b.Name, strings.Join(w, ", "))
			}
		}
	}
	if !hasRole {
		return fmt.Errorf("namespace %s: no Role %s in it (was ClusterRole %[2]s renamed?)", ns, perNamespaceRoles[0])
	}
	return nil
}

// ClusterWideWrites lists the verbs of rule other than reads, bar the one
// cluster-wide create a namespaced install keeps: the TokenReviews and
// SubjectAccessReviews of the metrics endpoint's authentication and
// authorization, cluster-scoped APIs that store nothing.
func ClusterWideWrites(rule rbacv1.PolicyRule) []string {
	reviews := len(rule.Resources) > 0 && !slices.ContainsFunc(rule.Resources, func(r string) bool {
		return r != "tokenreviews" && r != "subjectaccessreviews"
	})
	var out []string
	for _, verb := range rule.Verbs {
		switch {
		case verb == "get" || verb == "list" || verb == "watch":
		case verb == "create" && reviews:
		default:
			out = append(out, fmt.Sprintf("%s on %v (groups %q, URLs %v)", verb, rule.Resources, rule.APIGroups, rule.NonResourceURLs))
		}
	}
	return out
}

// parseImage splits a reference with kustomize's own parser. A release
// install must pin a tag or a digest: a bare name would leave the
// placeholder's tag in place.
func parseImage(ref string) (types.Image, error) {
	name, tag, digest := util.SplitImageName(ref)
	if name == "" || (tag == "" && digest == "") {
		return types.Image{}, fmt.Errorf("image %q: want NAME:TAG or NAME@DIGEST", ref)
	}
	return types.Image{Name: ImageName, NewName: name, NewTag: tag, Digest: digest}, nil
}
