package tests

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/modelroute/modelroute/conformance"
)

func init() { ConformanceTests = append(ConformanceTests, UnknownModel) }

var UnknownModel = conformance.ConformanceTest{
	ShortName: "UnknownModel",
	Description: "A name nothing routes, and an adapter behind a public name asked for directly, get OpenAI's 404 " +
		"(the SDK's NotFoundError) naming the model, streamed or not.",
	Manifests: []string{"pools.yaml", "unknown_model.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "public")
		s.ExpectRouted(t, ns, "um-public", conformance.Routed{Backend: "alpha-pool-", Served: "um-lora"})
		client := s.OpenAI()
		ctx := context.Background()
		for _, name := range []string{"um-no-such-model", "um-lora"} {
			_, err := client.Chat.Completions.New(ctx, conformance.ChatParams(name, "hello"))
			expectNotFound(t, name, err)
			stream := client.Chat.Completions.NewStreaming(ctx, conformance.ChatParams(name, "hello"))
			for stream.Next() {
				t.Errorf("a streamed request for %s got an event: %s", name, stream.Current().RawJSON())
			}
			expectNotFound(t, name+" (streamed)", stream.Err())
		}
	},
}

func expectNotFound(t *testing.T, name string, err error) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("%s: %v, want a 404", name, err)
		return
	}
	if apiErr.Code != "model_not_found" || apiErr.Param != "model" || !strings.Contains(apiErr.Message, strings.TrimSuffix(name, " (streamed)")) {
		t.Errorf("%s: error %s: want code model_not_found, param model and a message naming the model", name, apiErr.RawJSON())
	}
}
