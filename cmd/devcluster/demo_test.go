package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The demo on the embedded stack, as `make demo` runs it: on the samples,
// support-assistant's 3:1 LoRA split reaches the servers as each request's
// adapter, the alias is served as its target, an unknown name gets 404;
// the demo prints OPENAI_BASE_URL=… and keeps serving, and the official
// OpenAI Node.js SDK, pointed there, passes test/openai-node. On a user's
// samples whose routes carry hostnames (annotation or --hostname),
// requests carry a Host of their route and are answered.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded stack")
	}
	hostSamples := t.TempDir()
	if err := os.WriteFile(filepath.Join(hostSamples, "models.yaml"), []byte(hostnameSamples), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		samples string
		flags   []string
		// want are regular expressions, each matching a row of the table
		// of requests.
		want []string
		// node runs the Node.js SDK's acceptance against the running demo.
		node bool
	}{
		{
			name: "samples", samples: filepath.Join("..", "..", "config", "samples"), node: true,
			want: []string{
				`support-assistant +200 OK×100 +llama3-8b-0×\d+, llama3-8b-1×\d+ +support-lora-v1×\d+, support-lora-v2×\d+\n`,
				`code-completion +200 OK×100 .* Qwen/Qwen2.5-Coder-7B-Instruct×100\n`,
				`llama3-latest +200 OK×100 .* meta-llama/Llama-3.1-8B-Instruct×100\n`,
				`meta-llama/Llama-3.1-8B-Instruct +200 OK×100 .* meta-llama/Llama-3.1-8B-Instruct×100\n`,
				`no-such-model +404 Not Found×100`,
				`summarizer +404 Not Found×100`,
			},
		},
		{
			name: "hostnames", samples: hostSamples, flags: []string{"--hostname", "fallback.example.com"},
			want: []string{
				`chat +models.example.com +200 OK×100 .* chat-lora-v1×\d+, chat-lora-v2×\d+\n`,
				`wild +demo.ai.example.com +200 OK×100 .* wild×100\n`,
				`plain +fallback.example.com +200 OK×100 .* plain×100\n`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := demoConfig(tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			// The demo runs until ctx ends, as `make demo` does until
			// Ctrl-C; its output is read as it comes.
			out, w := io.Pipe()
			done := make(chan error, 1)
			go func() {
				err := runDemo(ctx, w, demoOptions{samples: tc.samples, requests: 100, config: cfg})
				_ = w.CloseWithError(io.EOF)
				done <- err
			}()
			printed, baseURL := readUntilBaseURL(t, out)
			if baseURL == "" {
				cancel()
				t.Fatalf("demo: %v; printed:\n%s", <-done, printed)
			}
			table := printed[strings.Index(printed, "# 100 requests per model name"):]
			for _, want := range tc.want {
				if !regexp.MustCompile(want).MatchString(table) {
					t.Errorf("no row matches %q in:\n%s", want, table)
				}
			}
			if tc.node {
				runNodeAcceptance(t, baseURL)
			}
			cancel()
			go func() { _, _ = io.Copy(io.Discard, out) }()
			if err := <-done; err != nil {
				t.Errorf("demo: %v", err)
			}
		})
	}
}

// readUntilBaseURL reads the demo's output up to its OPENAI_BASE_URL line
// and returns what it read and the URL ("" if the output ended first).
func readUntilBaseURL(t *testing.T, out io.Reader) (string, string) {
	t.Helper()
	var printed strings.Builder
	scanner := bufio.NewScanner(out)
	for scanner.Scan() {
		line := scanner.Text()
		printed.WriteString(line + "\n")
		if url, ok := strings.CutPrefix(line, "OPENAI_BASE_URL="); ok {
			return printed.String(), url
		}
	}
	return printed.String(), ""
}

// runNodeAcceptance runs test/openai-node with the official OpenAI Node.js
// SDK against baseURL. Without Node.js or the SDK installed (make test
// runs npm ci) it skips, unless MODELROUTE_REQUIRE_NODE_SDK is set, as CI
// sets it.
func runNodeAcceptance(t *testing.T, baseURL string) {
	t.Run("OpenAINodeSDK", func(t *testing.T) {
		dir := filepath.Join("..", "..", "test", "openai-node")
		node, err := exec.LookPath("node")
		if err == nil {
			_, err = os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json"))
		}
		if err != nil {
			if os.Getenv("MODELROUTE_REQUIRE_NODE_SDK") != "" {
				t.Fatalf("Node.js and the OpenAI SDK are required (MODELROUTE_REQUIRE_NODE_SDK): %v; run npm ci in %s", err, dir)
			}
			t.Skipf("Node.js or the OpenAI SDK missing (%v): run npm ci in %s", err, dir)
		}
		cmd := exec.Command(node, "--test", "acceptance.test.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "OPENAI_BASE_URL="+baseURL, "OPENAI_API_KEY=unused")
		output, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node --test: %v\n%s", err, output)
		}
		t.Logf("node --test acceptance.test.mjs:\n%s", output)
	})
}

// hostnameSamples: models whose routes carry hostnames, from an annotation
// (exact and wildcard) and from --hostname; the pool names no Gateway, so
// the demo's default parent-ref attaches the routes.
const hostnameSamples = `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: llama
spec:
  selector:
    matchLabels: {app: llama}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: llama-epp, port: {number: 9002}}
---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModel
metadata:
  name: chat
  annotations:
    modelroute.dev/hostnames: models.example.com
spec:
  modelName: chat
  poolRef: {group: inference.networking.k8s.io, name: llama}
  targetModels:
  - {name: chat-lora-v1, weight: 3}
  - {name: chat-lora-v2, weight: 1}
---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModel
metadata:
  name: wild
  annotations:
    modelroute.dev/hostnames: "*.ai.example.com"
spec:
  modelName: wild
  poolRef: {group: inference.networking.k8s.io, name: llama}
---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModel
metadata:
  name: plain
spec:
  modelName: plain
  poolRef: {group: inference.networking.k8s.io, name: llama}
`
