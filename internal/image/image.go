// Package image assembles modelroute's multi-platform OCI image from static
// binaries that were already built, with no container daemon and no base
// image to pull: each platform's image is one layer holding /modelroute.
package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What every platform's image runs, and as whom. 65532 is the "nonroot" user
// of distroless images, so the Dockerfile and config/manager agree with it.
const (
	BinaryPath = "/modelroute"
	UID        = 65532
	User       = "65532:65532"
	Command    = "controller"
)

// OCI annotation keys used as image labels and index annotations.
const (
	LabelTitle       = "org.opencontainers.image.title"
	LabelDescription = "org.opencontainers.image.description"
	LabelSource      = "org.opencontainers.image.source"
	LabelVersion     = "org.opencontainers.image.version"
	LabelRevision    = "org.opencontainers.image.revision"
	LabelCreated     = "org.opencontainers.image.created"
	// AnnotationRefName names the index in an OCI layout's index.json, so
	// that tools reading the layout can select it by tag.
	AnnotationRefName = "org.opencontainers.image.ref.name"
)

// Fixed label values. The repository states no license, so there is no
// org.opencontainers.image.licenses label.
const (
	Title       = "modelroute"
	Description = "Kubernetes controller that turns InferenceModels into Gateway API HTTPRoutes"
	Source      = "https://github.com/modelroute/modelroute"
)

// Binary is a static modelroute executable built for one platform.
type Binary struct {
	OS, Architecture string
	Path             string
}

// Options describe the image index to build.
type Options struct {
	// Binaries holds one static binary per platform, in index order.
	Binaries []Binary
	// Version is the org.opencontainers.image.version label (the same
	// string the binaries were linked with).
	Version string
	// Revision is the source commit; empty means "unknown".
	Revision string
	// Created is the creation time written into configs, history, labels
	// and file times. It must be set by the caller (e.g. from
	// SOURCE_DATE_EPOCH) so that the same inputs give the same digests.
	Created time.Time
}

// Labels returns the org.opencontainers.image.* labels for o.
func (o Options) Labels() map[string]string {
	rev := o.Revision
	if rev == "" {
		rev = "unknown"
	}
	return map[string]string{
		LabelTitle:       Title,
		LabelDescription: Description,
		LabelSource:      Source,
		LabelVersion:     o.Version,
		LabelRevision:    rev,
		LabelCreated:     o.Created.UTC().Format(time.RFC3339),
	}
}

// Build returns an OCI image index with one image per binary.
func Build(o Options) (v1.ImageIndex, error) {
	if len(o.Binaries) == 0 {
		return nil, errors.New("no binaries")
	}
	if o.Version == "" {
		return nil, errors.New("no version")
	}
	if o.Created.IsZero() {
		return nil, errors.New("no creation time")
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	seen := map[string]bool{}
	for _, b := range o.Binaries {
		platform := b.OS + "/" + b.Architecture
		if b.OS == "" || b.Architecture == "" {
			return nil, fmt.Errorf("binary %s: platform %q lacks an OS or architecture", b.Path, platform)
		}
		if seen[platform] {
			return nil, fmt.Errorf("two binaries for %s", platform)
		}
		seen[platform] = true
		img, err := platformImage(o, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", platform, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: b.OS, Architecture: b.Architecture}},
		})
	}
	// Registries and UIs read these from the index, not from a config.
	ann := o.Labels()
	delete(ann, LabelDescription)
	return mutate.Annotations(idx, ann).(v1.ImageIndex), nil
}

func platformImage(o Options, b Binary) (v1.Image, error) {
	layer, err := binaryLayer(b.Path, o.Created)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.Created},
			CreatedBy: "modelroute internal/image: " + BinaryPath,
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = b.OS
	cf.Architecture = b.Architecture
	cf.Created = v1.Time{Time: o.Created}
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{Command},
		Labels:     o.Labels(),
	}
	return mutate.ConfigFile(img, cf)
}

// binaryLayer makes the single layer: the binary at BinaryPath, executable
// and owned by the nonroot user. The tar is built in memory (the binary is
// tens of MB) so the layer needs no temporary file.
func binaryLayer(path string, modTime time.Time) (v1.Layer, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     BinaryPath[1:],
		Mode:     0o755,
		Uid:      UID,
		Gid:      UID,
		Size:     int64(len(bin)),
		ModTime:  modTime.UTC(),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// WriteLayout writes idx as an OCI image layout at dir, whose index.json
// holds the one index tagged refName (the form crane and skopeo read). A
// layout already at dir is replaced; any other non-empty dir is an error,
// so a wrong -o cannot wipe unrelated files.
func WriteLayout(dir string, idx v1.ImageIndex, refName string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) == 0:
	default:
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s is neither empty nor an OCI layout; not replacing it", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{AnnotationRefName: refName}))
}
