package modelproxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
)

// seen is what an upstream received.
type seen struct {
	Header http.Header
	Body   string
	Host   string
}

// upstream records each request it gets and answers 200 with the model
// its body names.
func upstream(t *testing.T) (*url.URL, chan seen) {
	t.Helper()
	got := make(chan seen, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		got <- seen{Header: r.Header.Clone(), Body: string(body), Host: r.Host}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"chat.completion","answered":true}`)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u, got
}

func newTestRouter(gateway *url.URL, maxBody int64) *Router {
	return NewRouter(RouterOptions{
		Gateway: gateway, ModelHeader: "X-Gateway-Model-Name",
		Untrusted: []string{"X-Gateway-Model-Name-Rewrite", "x-llm-d-model-name-rewrite"},
		MaxBody:   maxBody, Catalog: StaticCatalog{"llama", "whisper"}, Log: logr.Discard(),
	})
}

// apiErrorOf decodes an OpenAI error body.
func apiErrorOf(t *testing.T, body []byte) apiErrorDetail {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not an OpenAI error: %s", body)
	}
	return e.Error
}

func TestRouter(t *testing.T) {
	gateway, got := upstream(t)
	router := httptest.NewServer(newTestRouter(gateway, 1<<20))
	defer router.Close()
	post := func(body string, headers map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", router.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	t.Run("the body's model goes in the header; the client's target headers go", func(t *testing.T) {
		body := `{"messages":[{"role":"user","content":"hi"}],"model":"llama"}`
		resp, _ := post(body, map[string]string{
			"X-Gateway-Model-Name": "whisper", "X-Gateway-Model-Name-Rewrite": "evil", "X-Llm-D-Model-Name-Rewrite": "evil",
		})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		s := <-got
		if diff := cmp.Diff(seen{Body: body, Host: strings.TrimPrefix(router.URL, "http://")},
			seen{Body: s.Body, Host: s.Host}); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if m := s.Header.Get("X-Gateway-Model-Name"); m != "llama" {
			t.Errorf("model header %q; want llama", m)
		}
		for _, h := range []string{"X-Gateway-Model-Name-Rewrite", "X-Llm-D-Model-Name-Rewrite"} {
			if v := s.Header.Values(h); len(v) != 0 {
				t.Errorf("the gateway received %s: %q", h, v)
			}
		}
	})
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"an unknown model: 404 naming it", `{"model":"gpt-5"}`, 404, "model_not_found"},
		{"not JSON: 400", `model=llama`, 400, "invalid_body"},
		{"no model: 400", `{"messages":[]}`, 400, "missing_model"},
		{"a model that is no string: 400", `{"model":7}`, 400, "missing_model"},
		{"the model twice: 400", `{"model":"llama","model":"whisper"}`, 400, "duplicate_model"},
		{"over the limit before the model: 413", `{"messages":"` + strings.Repeat("x", 1<<20) + `","model":"llama"}`, 413, "request_too_large"},
		{"over the limit after the model: 413", `{"model":"llama","messages":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "request_too_large"},
		{"the model twice, the second after the stream began: 400", `{"model":"llama","messages":"` + strings.Repeat("x", 100<<10) + `","model":"whisper"}`, 400, "duplicate_model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(tc.body, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s); want %d", resp.StatusCode, body, tc.status)
			}
			if e := apiErrorOf(t, body); e.Code != tc.code || e.Message == "" || e.Type == "" {
				t.Errorf("error %+v; want code %s", e, tc.code)
			}
			if tc.code == "model_not_found" && !strings.Contains(string(body), "gpt-5") {
				t.Errorf("the 404 does not name the model: %s", body)
			}
		})
	}
	t.Run("/v1/models", func(t *testing.T) {
		resp, err := http.Get(router.URL + "/v1/models")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var list struct {
			Object string        `json:"object"`
			Data   []modelObject `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		want := []modelObject{{ID: "llama", Object: "model", OwnedBy: "modelroute"}, {ID: "whisper", Object: "model", OwnedBy: "modelroute"}}
		if diff := cmp.Diff(want, list.Data); list.Object != "list" || diff != "" {
			t.Errorf("object %q, data (-want +got):\n%s", list.Object, diff)
		}
	})
}

func TestRouterGatewayUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	gateway, _ := url.Parse(dead.URL)
	dead.Close()
	router := httptest.NewServer(newTestRouter(gateway, 1<<20))
	defer router.Close()
	resp, err := http.Post(router.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"llama"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway || apiErrorOf(t, body).Code != "upstream_unreachable" {
		t.Errorf("status %d %s; want a 502", resp.StatusCode, body)
	}
}

// Streams pass through one write at a time: the client reads the first
// event before the server writes the second, for server-sent events and
// for any response of unknown length (newline-delimited JSON, say).
func TestRouterStreamsEvents(t *testing.T) {
	for _, contentType := range []string{"text/event-stream", "application/x-ndjson"} {
		t.Run(contentType, func(t *testing.T) {
			next := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", contentType)
				fmt.Fprint(w, "data: {\"n\":1}\n\n")
				w.(http.Flusher).Flush()
				<-next
				fmt.Fprint(w, "data: [DONE]\n\n")
			}))
			defer srv.Close()
			gateway, _ := url.Parse(srv.URL)
			router := httptest.NewServer(newTestRouter(gateway, 1<<20))
			defer router.Close()
			resp, err := http.Post(router.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"llama","stream":true}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lines := bufio.NewReader(resp.Body)
			first, err := lines.ReadString('\n')
			if err != nil || first != "data: {\"n\":1}\n" {
				t.Fatalf("first event %q (%v)", first, err)
			}
			close(next)
			rest, _ := io.ReadAll(lines)
			if !strings.Contains(string(rest), "data: [DONE]") {
				t.Errorf("the stream's end: %q", rest)
			}
		})
	}
}

func TestRouterMultipart(t *testing.T) {
	gateway, got := upstream(t)
	router := httptest.NewServer(newTestRouter(gateway, 1<<20))
	defer router.Close()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", "a.wav")
	_, _ = fw.Write(bytes.Repeat([]byte{1, 2, 3}, 10000))
	_ = w.WriteField("model", "whisper")
	_ = w.Close()
	resp, err := http.Post(router.URL+"/v1/audio/transcriptions", w.FormDataContentType(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := <-got
	if resp.StatusCode != 200 || s.Header.Get("X-Gateway-Model-Name") != "whisper" || s.Body != buf.String() {
		t.Errorf("status %d, model header %q, body intact %v", resp.StatusCode, s.Header.Get("X-Gateway-Model-Name"), s.Body == buf.String())
	}
}

func TestRewriter(t *testing.T) {
	server, got := upstream(t)
	rewriter := httptest.NewServer(NewRewriter(RewriterOptions{
		Upstream: server, Header: "X-Gateway-Model-Name-Rewrite", Aliases: []string{"x-llm-d-model-name-rewrite"},
		MaxBody: 1 << 20, Log: logr.Discard(),
	}))
	defer rewriter.Close()
	send := func(body string, headers map[string]string) (int, seen) {
		req, _ := http.NewRequest("POST", rewriter.URL+"/v1/chat/completions", strings.NewReader(body))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return resp.StatusCode, seen{}
		}
		return resp.StatusCode, <-got
	}
	body := `{"model": "support-assistant", "messages": [{"role": "user", "content": "hi", "model": "x"}], "stream": true}`
	t.Run("the target spliced into the body, the header gone", func(t *testing.T) {
		_, s := send(body, map[string]string{"X-Gateway-Model-Name-Rewrite": "support-lora-v2", "X-Llm-D-Model-Name-Rewrite": "other"})
		want := strings.Replace(body, `"support-assistant"`, `"support-lora-v2"`, 1)
		if s.Body != want {
			t.Errorf("body %s; want %s", s.Body, want)
		}
		if s.Header.Get("Content-Length") != fmt.Sprint(len(want)) {
			t.Errorf("Content-Length %q; want %d", s.Header.Get("Content-Length"), len(want))
		}
		for _, h := range []string{"X-Gateway-Model-Name-Rewrite", "X-Llm-D-Model-Name-Rewrite"} {
			if v := s.Header.Values(h); len(v) != 0 {
				t.Errorf("the model server received %s: %q", h, v)
			}
		}
	})
	t.Run("no header: the body untouched", func(t *testing.T) {
		if _, s := send(body, nil); s.Body != body {
			t.Errorf("body %s; want it untouched", s.Body)
		}
	})
	t.Run("a header with a body that names no model: 400", func(t *testing.T) {
		if status, _ := send(`{"messages":[]}`, map[string]string{"X-Gateway-Model-Name-Rewrite": "lora"}); status != 400 {
			t.Errorf("status %d; want 400", status)
		}
	})
	t.Run("a multipart form: the field replaced", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("model", "whisper")
		_ = w.WriteField("language", "en")
		_ = w.Close()
		req, _ := http.NewRequest("POST", rewriter.URL+"/v1/audio/transcriptions", bytes.NewReader(buf.Bytes()))
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("X-Gateway-Model-Name-Rewrite", "whisper-lora")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		s := <-got
		if want := strings.Replace(buf.String(), "\r\n\r\nwhisper\r\n", "\r\n\r\nwhisper-lora\r\n", 1); s.Body != want {
			t.Errorf("body %q; want %q", s.Body, want)
		}
	})
}

// A slow upstream does not hold the router's answer to a bad request.
func TestRouterAnswersBadInputAtOnce(t *testing.T) {
	gateway, _ := upstream(t)
	router := httptest.NewServer(newTestRouter(gateway, 1<<20))
	defer router.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(router.URL+"/v1/embeddings", "application/json", strings.NewReader(`{`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status %d; want 400", resp.StatusCode)
	}
}
