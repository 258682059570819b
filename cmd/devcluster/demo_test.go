package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The demo on the embedded stack, as `make demo` runs it: on the samples,
// support-assistant's 90/10 LoRA split reaches the servers with each
// request's adapter; on a user's samples whose routes carry hostnames
// (annotation or --hostname), requests carry a Host of their route and are
// answered.
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
	}{
		{
			name: "samples", samples: filepath.Join("..", "..", "config", "samples"),
			want: []string{
				`support-assistant +200 OK×20 +llama3-8b-0×10, llama3-8b-1×10 +support-lora-v1×1[6-9], support-lora-v2×[1-4]\n`,
				`code-completion +200 OK×20 .* Qwen/Qwen2.5-Coder-7B-Instruct×20\n`,
				`no-such-model +404 Not Found×20`,
			},
		},
		{
			name: "hostnames", samples: hostSamples, flags: []string{"--hostname", "fallback.example.com"},
			want: []string{
				`chat +models.example.com +200 OK×20 .* chat-lora-v1×\d+, chat-lora-v2×\d+\n`,
				`wild +demo.ai.example.com +200 OK×20 `,
				`plain +fallback.example.com +200 OK×20 `,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := demoConfig(tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var out bytes.Buffer
			if err := runDemo(ctx, &out, demoOptions{samples: tc.samples, once: true, requests: 20, config: cfg}); err != nil {
				t.Fatalf("demo: %v\n%s", err, out.String())
			}
			table := out.String()[strings.Index(out.String(), "# 20 requests per model name"):]
			for _, want := range tc.want {
				if !regexp.MustCompile(want).MatchString(table) {
					t.Errorf("no row matches %q in:\n%s", want, table)
				}
			}
		})
	}
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
