package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelroute/modelroute/internal/render"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestCommandGolden")

// TestCommandGolden runs `modelroute COMMAND` (render, migrate) on each
// case in testdata/COMMAND/<case>: `args` holds the arguments (one per line, run from
// the case directory), `stdin` (optional) is standard input, and
// stdout.golden, stderr.golden and exitcode.golden the expected results.
// Run with -update to rewrite the golden files after a deliberate change.
func TestCommandGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/*/args")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, argsFile := range cases {
		dir, err := filepath.Abs(filepath.Dir(argsFile))
		if err != nil {
			t.Fatal(err)
		}
		command := filepath.Base(filepath.Dir(dir))
		t.Run(command+"/"+filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Fields(strings.ReplaceAll(string(raw), "\n", " "))
			stdin := []byte{}
			if b, err := os.ReadFile(filepath.Join(dir, "stdin")); err == nil {
				stdin = b
			}
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			code := run(append([]string{command}, args...), bytes.NewReader(stdin), &stdout, &stderr)

			got := map[string]string{
				"stdout.golden":   stdout.String(),
				"stderr.golden":   stderr.String(),
				"exitcode.golden": strconv.Itoa(code) + "\n",
			}
			for name, content := range got {
				path := filepath.Join(dir, name)
				if *update {
					if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), content); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
			if code == 2 && stdout.Len() > 0 {
				t.Errorf("exit code 2 must print nothing on stdout, got:\n%s", stdout.String())
			}
		})
	}
}

// TestRenderIsDeterministic renders the samples twice, once with the input
// files in reverse order, and expects byte-identical output: the same
// objects on stdout, the same report on stderr, the same exit code (1: the
// samples hold broken models on purpose).
func TestRenderIsDeterministic(t *testing.T) {
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("samples: %v %v", files, err)
	}
	type result struct {
		Stdout, Stderr string
		Code           int
	}
	renderSamples := func(files []string) result {
		args := []string{"render", "--backend", "service"}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		var stdout, stderr bytes.Buffer
		code := run(args, nil, &stdout, &stderr)
		return result{stdout.String(), stderr.String(), code}
	}
	forward := renderSamples(files)
	if forward.Code != render.ExitNotReady || !strings.Contains(forward.Stdout, "kind: HTTPRoute") || forward.Stderr == "" {
		t.Fatalf("render of the samples: exit code %d, %d bytes of output, stderr:\n%s; want exit code %d, routes, and the broken models reported",
			forward.Code, len(forward.Stdout), forward.Stderr, render.ExitNotReady)
	}
	reversed := slices.Clone(files)
	slices.Reverse(reversed)
	if diff := cmp.Diff(forward, renderSamples(reversed)); diff != "" {
		t.Errorf("output depends on input order (-forward +reversed):\n%s", diff)
	}
}
