// Package install renders the single-file install manifest: a kustomization
// (config/default) built with kustomize's library, its `modelroute` image
// replaced by a release image reference.
package install

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// ImageName is the image name the manifests in config/ use as a placeholder.
const ImageName = "modelroute"

// Manifests builds the kustomization in dir with every `modelroute` image set
// to image (NAME:TAG, NAME@DIGEST or NAME:TAG@DIGEST) and returns it as one
// multi-document YAML.
func Manifests(dir, image string) ([]byte, error) {
	img, err := parseImage(image)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// An overlay in a temporary directory sets the image the way
	// `kustomize edit set image` would, without touching config/.
	overlay, err := os.MkdirTemp("", "modelroute-install-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(overlay)
	// kustomize refuses absolute roots, so the overlay names dir relatively.
	base, err := filepath.Rel(overlay, abs)
	if err != nil {
		return nil, err
	}
	k, err := yaml.Marshal(types.Kustomization{
		TypeMeta:  types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Resources: []string{filepath.ToSlash(base)},
		Images:    []types.Image{img},
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), k, 0o644); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	// The order `kustomize build` prints by default: Namespace, CRDs and
	// RBAC before the Deployment, so one `kubectl apply -f` succeeds.
	opts.Reorder = krusty.ReorderOptionLegacy
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), overlay)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return res.AsYaml()
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
