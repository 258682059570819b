package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, LargeBodyModelLast) }

// largeMessage is the size of the long conversation: the router holds the
// body up to "model", which comes after it.
const largeMessage = 4 << 20

var LargeBodyModelLast = conformance.ConformanceTest{
	ShortName: "LargeBodyModelLast",
	Description: "A 4 MiB message before \"model\" (the SDK writes the messages first): the router finds the model, " +
		"the sidecar rewrites it to the target, and the server receives the whole body.",
	Manifests: []string{"pools.yaml", "large_body_model_last.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "long")
		s.ExpectRouted(t, ns, "lb-long", conformance.Routed{Backend: "alpha-pool-", Served: "lb-long-context"})
		client := s.OpenAI()
		completion, err := client.Chat.Completions.New(context.Background(),
			conformance.ChatParams("lb-long", strings.Repeat("All work and no play. ", largeMessage/22)))
		if err != nil {
			t.Fatal(err)
		}
		reply, err := s.ReplyOf(completion.RawJSON(), completion.Model, "lb-long")
		if err != nil {
			t.Fatal(err)
		}
		if reply.Model != "lb-long-context" {
			t.Errorf("served %q, want lb-long-context", reply.Model)
		}
		if reply.BodyBytes != 0 && reply.BodyBytes < largeMessage {
			t.Errorf("the server received a body of %d bytes, want more than %d", reply.BodyBytes, largeMessage)
		}
		t.Logf("the server received %d bytes, served as %s", reply.BodyBytes, reply.Model)
	},
}
