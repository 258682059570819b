package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", Options{Pod: "llama-0", Namespace: "ns", Models: []string{"base", "lora-a"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func sdk(s *Server) openai.Client {
	return openai.NewClient(option.WithBaseURL("http://"+s.Addr+"/v1"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

// The official SDK reads the stand-in's replies: the served name in
// "model", the echo beside it.
func TestServedNamesWithTheSDK(t *testing.T) {
	s := start(t)
	client := sdk(s)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{Model: "lora-a", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	got, err := client.Chat.Completions.New(ctx, params, option.WithHeader("X-Trace", "t1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "lora-a" || got.Choices[0].Message.Content != "served by llama-0 as lora-a" {
		t.Errorf("reply: model %q, content %q", got.Model, got.Choices[0].Message.Content)
	}
	var echo Echo
	if err := json.Unmarshal([]byte(got.RawJSON()), &echo); err != nil {
		t.Fatal(err)
	}
	if echo.Pod != "llama-0" || echo.Namespace != "ns" || http.Header(echo.Headers).Get("X-Trace") != "t1" || echo.Path != "/v1/chat/completions" {
		t.Errorf("echo: %+v", echo)
	}

	params.Model = "lora-b"
	_, err = client.Chat.Completions.New(ctx, params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Fatalf("unserved name: want a 404, got %v", err)
	}
	if want := "The model `lora-b` does not exist."; apiErr.Message != want || apiErr.Type != "NotFoundError" || apiErr.Param != "model" {
		t.Errorf("404 body %s: want vLLM's, message %q", apiErr.RawJSON(), want)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "base", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var text strings.Builder
	events := 0
	for stream.Next() {
		c := stream.Current()
		events++
		if c.Model != "base" {
			t.Errorf("chunk for model %q", c.Model)
		}
		if len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(text.String()); got != "served by llama-0 as base" || events < 3 {
		t.Errorf("streamed %d events saying %q", events, got)
	}

	models, err := client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff([]string{"base", "lora-a"}, ids); diff != "" {
		t.Errorf("/v1/models (-want +got):\n%s", diff)
	}
}

// The raw wire: events end with data: [DONE]; bad bodies get 400, a body
// without a model is the first served name's; the
// multipart audio endpoints read the form's model.
func TestWire(t *testing.T) {
	s := start(t)
	post := func(path, contentType string, body io.Reader) (int, string) {
		t.Helper()
		resp, err := http.Post("http://"+s.Addr+path, contentType, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	status, body := post("/v1/completions", "application/json", strings.NewReader(`{"model":"base","prompt":"x","stream":true}`))
	if status != 200 || !strings.HasSuffix(body, "data: [DONE]\n\n") || !strings.Contains(body, `"object":"text_completion"`) {
		t.Errorf("streamed completion: %d %q", status, body)
	}
	// vLLM serves a body without "model" as its first served name.
	if status, body := post("/v1/chat/completions", "application/json", strings.NewReader(`{"messages":[]}`)); status != 200 || !strings.Contains(body, `"model":"base"`) {
		t.Errorf("no model: %d %s", status, body)
	}
	for _, bad := range []string{`{"model":"base"`, `{"model":7}`} {
		if status, body := post("/v1/chat/completions", "application/json", strings.NewReader(bad)); status != 400 || !strings.Contains(body, "BadRequestError") {
			t.Errorf("body %s: %d %s", bad, status, body)
		}
	}
	if status, _ := post("/v1/nothing", "application/json", strings.NewReader(`{}`)); status != 404 {
		t.Errorf("unknown path: %d", status)
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "a.wav")
	_, _ = fw.Write([]byte("RIFF...."))
	_ = mw.WriteField("model", "lora-a")
	_ = mw.Close()
	status, body = post("/v1/audio/transcriptions", mw.FormDataContentType(), &form)
	if status != 200 || !strings.Contains(body, `"model":"lora-a"`) {
		t.Errorf("transcription: %d %s", status, body)
	}
}
