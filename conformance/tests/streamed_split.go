package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/gateway-api/pkg/features"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, StreamedSplit) }

var StreamedSplit = conformance.ConformanceTest{
	ShortName: "StreamedSplit",
	Description: "\"stream\": true for a model split 50/50: every event of a stream comes from the server of one target, " +
		"the SDK reads the events to data: [DONE], and both targets are picked.",
	Features: []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification,
		conformance.SupportStreamingModelServers},
	Manifests: []string{"pools.yaml", "streamed_split.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "streamed")
		targets := []string{"ss-lora-a", "ss-lora-b"}
		s.ExpectTargetsOnly(t, "ss-model", targets, nil)
		picked := map[string]int{}
		cuts := 0
		for range 40 {
			events, cut, err := s.Stream(context.Background(), "ss-model")
			cuts += cut
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			var models []string
			var text strings.Builder
			pod := ""
			for _, chunk := range events {
				models = append(models, chunk.Model)
				if len(chunk.Choices) > 0 {
					text.WriteString(chunk.Choices[0].Delta.Content)
				}
				reply, err := s.ReplyOf(chunk.RawJSON(), chunk.Model, "ss-model")
				if err != nil {
					t.Fatal(err)
				}
				pod = reply.Pod
			}
			if len(models) < 3 {
				t.Fatalf("%d events, want a stream of several", len(models))
			}
			for _, m := range models {
				if m != models[0] {
					t.Fatalf("one stream's events came for %v", models)
				}
			}
			// The stand-in's text names the pod and the name it served;
			// a server that does not stream (a cluster run's echo server)
			// sends none.
			if got, want := strings.TrimSpace(text.String()), fmt.Sprintf("served by %s as %s", pod, models[0]); got != "" && got != want {
				t.Errorf("streamed text %q, want %q", got, want)
			}
			picked[models[0]]++
		}
		for _, target := range targets {
			if picked[target] == 0 {
				t.Errorf("40 streams picked %v: never %s", picked, target)
			}
		}
		t.Logf("40 streams picked %v; %d cut off by the data plane and sent again", picked, cuts)
	},
}
