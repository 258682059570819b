package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/modelroute/modelroute/translate"
)

// BenchmarkRender10000Models runs all of `modelroute render` (read and
// decode the files, translate, print YAML) on 10,000 models spread over
// 1,000 pools, 1 to 10 targets each.
func BenchmarkRender10000Models(b *testing.B) {
	dir := b.TempDir()
	writeSyntheticInput(b, filepath.Join(dir, "models.yaml"), 10000, 1000)
	cfg := translate.DefaultConfig()
	ref, err := translate.ParseParentRef("infra/gw")
	if err != nil {
		b.Fatal(err)
	}
	cfg.ParentRefs = append(cfg.ParentRefs, ref)
	opts := Options{Paths: []string{dir}, DefaultNamespace: "default", Config: cfg}
	b.ReportAllocs()
	for b.Loop() {
		var stderr bytes.Buffer
		if code := Run(opts, nil, io.Discard, &stderr); code != ExitOK {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}

func writeSyntheticInput(b *testing.B, path string, models, pools int) {
	var buf bytes.Buffer
	for p := range pools {
		fmt.Fprintf(&buf, "---\napiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferencePool\n"+
			"metadata: {name: pool-%d, namespace: ns-%d}\nspec: {selector: {app: pool-%d}, targetPortNumber: 8000, extensionRef: {name: epp-%d}}\n",
			p, p%10, p, p)
	}
	for m := range models {
		p := m % pools
		fmt.Fprintf(&buf, "---\napiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceModel\n"+
			"metadata: {name: model-%d, namespace: ns-%d}\nspec:\n  modelName: model-%d\n  poolRef: {name: pool-%d}\n  targetModels:\n",
			m, p%10, m, p)
		for t := range m%10 + 1 {
			fmt.Fprintf(&buf, "  - {name: model-%d-lora-%d, weight: %d}\n", m, t, t+1)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRenderCommand10000Models runs the `modelroute render` binary on
// the same input as BenchmarkRender10000Models, as a user would, and
// reports its wall time and peak resident set size.
func BenchmarkRenderCommand10000Models(b *testing.B) {
	dir := b.TempDir()
	input := filepath.Join(dir, "models.yaml")
	writeSyntheticInput(b, input, 10000, 1000)
	bin := filepath.Join(dir, "modelroute")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "../../cmd/modelroute")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building modelroute: %v\n%s", err, out)
	}
	peak := int64(0)
	for b.Loop() {
		cmd := exec.Command(bin, "render", "-f", input, "--parent-ref", "infra/gw")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v: %s", err, stderr.String())
		}
		peak = max(peak, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) // KiB on Linux
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
}
