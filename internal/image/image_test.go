package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

const testVersion = "v0.0.0-imagetest"

var created = time.Unix(1700000000, 0).UTC()

// buildBinaries cross-compiles cmd/modelroute the way `make image` does
// (same flags, so the Go build cache serves both).
func buildBinaries(t *testing.T, platforms ...string) []Binary {
	t.Helper()
	dir := t.TempDir()
	var out []Binary
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		path := filepath.Join(dir, goos, goarch, "modelroute")
		cmd := exec.Command("go", "build", "-trimpath",
			"-ldflags", "-s -w -X main.version="+testVersion,
			"-o", path, "github.com/modelroute/modelroute/cmd/modelroute")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build for %s: %v\n%s", p, err, b)
		}
		out = append(out, Binary{OS: goos, Architecture: goarch, Path: path})
	}
	return out
}

// TestImageLayout builds the real image, writes it as an OCI layout, reads
// it back with go-containerregistry's layout package and runs the binary.
func TestImageLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles modelroute twice")
	}
	opts := Options{
		Binaries: buildBinaries(t, "linux/amd64", "linux/arm64"),
		Version:  testVersion,
		Revision: "0123456789abcdef0123456789abcdef01234567",
		Created:  created,
	}
	idx, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image")
	if err := WriteLayout(dir, idx, testVersion); err != nil {
		t.Fatal(err)
	}

	top := readLayoutIndex(t, dir)
	topManifest, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(topManifest.Manifests) != 1 {
		t.Fatalf("index.json has %d entries, want 1 (the image index)", len(topManifest.Manifests))
	}
	entry := topManifest.Manifests[0]
	if entry.MediaType != types.OCIImageIndex {
		t.Errorf("index.json entry media type %s, want %s", entry.MediaType, types.OCIImageIndex)
	}
	if got := entry.Annotations[AnnotationRefName]; got != testVersion {
		t.Errorf("ref name %q, want %q", got, testVersion)
	}
	index, err := top.ImageIndex(entry.Digest)
	if err != nil {
		t.Fatal(err)
	}
	// Digests, sizes, diff IDs and media types agree throughout.
	if err := validate.Index(index); err != nil {
		t.Fatalf("invalid index: %v", err)
	}
	im, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s", im.MediaType)
	}
	if im.Annotations[LabelRevision] != opts.Revision || im.Annotations[LabelVersion] != testVersion {
		t.Errorf("index annotations %v", im.Annotations)
	}

	var platforms []string
	for _, desc := range im.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		platforms = append(platforms, desc.Platform.OS+"/"+desc.Platform.Architecture)
	}
	slices.Sort(platforms)
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Fatalf("platforms (-want +got):\n%s", diff)
	}

	wantLabels := map[string]string{
		"org.opencontainers.image.title":       "modelroute",
		"org.opencontainers.image.description": Description,
		"org.opencontainers.image.source":      "https://github.com/modelroute/modelroute",
		"org.opencontainers.image.version":     testVersion,
		"org.opencontainers.image.revision":    opts.Revision,
		"org.opencontainers.image.created":     "2023-11-14T22:13:20Z",
	}
	ranVersion := false
	for _, desc := range im.Manifests {
		platform := desc.Platform.OS + "/" + desc.Platform.Architecture
		t.Run(platform, func(t *testing.T) {
			if desc.MediaType != types.OCIManifestSchema1 {
				t.Errorf("manifest media type %s", desc.MediaType)
			}
			img, err := index.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS != desc.Platform.OS || cf.Architecture != desc.Platform.Architecture {
				t.Errorf("config platform %s/%s", cf.OS, cf.Architecture)
			}
			if !cf.Created.Time.Equal(created) {
				t.Errorf("created %v, want %v", cf.Created.Time, created)
			}
			want := v1.Config{
				User:       "65532:65532",
				Entrypoint: []string{"/modelroute"},
				Cmd:        []string{"controller"},
				Labels:     wantLabels,
			}
			if diff := cmp.Diff(want, cf.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			bin := onlyFile(t, img)
			checkELF(t, bin, desc.Platform.Architecture)
			if runtime.GOOS == desc.Platform.OS && runtime.GOARCH == desc.Platform.Architecture {
				runVersion(t, bin)
				ranVersion = true
			}
		})
	}
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && !ranVersion {
		t.Errorf("no image for this host's platform %s/%s to run", runtime.GOOS, runtime.GOARCH)
	}
}

// onlyFile checks the image has one layer holding just /modelroute, 0755,
// owned by 65532, and returns its content.
func onlyFile(t *testing.T, img v1.Image) []byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("layer media type %s", mt)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var content []byte
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Name != "modelroute" {
			continue
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Mode != 0o755 || hdr.Uid != 65532 || hdr.Gid != 65532 {
			t.Errorf("modelroute: type %c mode %o uid %d gid %d, want regular 0755 65532:65532",
				hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid)
		}
		if !hdr.ModTime.Equal(created) {
			t.Errorf("modelroute mtime %v, want %v", hdr.ModTime, created)
		}
		if content, err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"modelroute"}, names); diff != "" {
		t.Fatalf("layer files (-want +got):\n%s", diff)
	}
	return content
}

// checkELF: built for the platform it is listed under, and static (no
// dynamic loader), since the image has no libc.
func checkELF(t *testing.T, bin []byte, arch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want {
		t.Errorf("ELF machine %v, want %v", f.Machine, want)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("binary is dynamically linked")
		}
	}
}

func runVersion(t *testing.T, bin []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "modelroute")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("modelroute version: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "modelroute "+testVersion+" ") {
		t.Errorf("modelroute version printed %q, want it to start with %q", out, "modelroute "+testVersion+" ")
	}
}

// fakeBinaries stands in for real ones where only the image structure matters.
func fakeBinaries(t *testing.T) []Binary {
	t.Helper()
	dir := t.TempDir()
	var out []Binary
	for _, arch := range []string{"amd64", "arm64"} {
		path := filepath.Join(dir, arch)
		if err := os.WriteFile(path, []byte("not really "+arch), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, Binary{OS: "linux", Architecture: arch, Path: path})
	}
	return out
}

func TestBuildIsReproducible(t *testing.T) {
	opts := Options{Binaries: fakeBinaries(t), Version: "v1", Created: created}
	digest := func() v1.Hash {
		idx, err := Build(opts)
		if err != nil {
			t.Fatal(err)
		}
		h, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two builds of the same inputs: %s and %s", a, b)
	}
}

func TestBuildRevisionDefaultsToUnknown(t *testing.T) {
	if got := (Options{}).Labels()[LabelRevision]; got != "unknown" {
		t.Errorf("revision label %q, want unknown", got)
	}
}

func TestBuildRejects(t *testing.T) {
	bins := fakeBinaries(t)
	for name, o := range map[string]Options{
		"no binaries":  {Version: "v1", Created: created},
		"no version":   {Binaries: bins, Created: created},
		"no created":   {Binaries: bins, Version: "v1"},
		"duplicate":    {Binaries: []Binary{bins[0], bins[0]}, Version: "v1", Created: created},
		"no arch":      {Binaries: []Binary{{OS: "linux", Path: bins[0].Path}}, Version: "v1", Created: created},
		"missing file": {Binaries: []Binary{{OS: "linux", Architecture: "amd64", Path: "/nonexistent"}}, Version: "v1", Created: created},
	} {
		if _, err := Build(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestWriteLayoutReplacesOnlyALayout(t *testing.T) {
	idx, err := Build(Options{Binaries: fakeBinaries(t), Version: "v1", Created: created})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image")
	for range 2 { // the second write replaces the first
		if err := WriteLayout(dir, idx, "v1"); err != nil {
			t.Fatal(err)
		}
	}
	top := readLayoutIndex(t, dir)
	if m, err := top.IndexManifest(); err != nil || len(m.Manifests) != 1 {
		t.Fatalf("after two writes: index.json %+v, err %v", m, err)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(other, idx, "v1"); err == nil {
		t.Error("wrote over a directory that is not an OCI layout")
	}
	if _, err := os.Stat(filepath.Join(other, "keep")); err != nil {
		t.Errorf("unrelated file gone: %v", err)
	}
}

// readLayoutIndex reads back the top-level index of the OCI layout in dir.
func readLayoutIndex(t *testing.T, dir string) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	return top
}
