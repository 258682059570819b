// Package modelserver is a stand-in for an OpenAI-compatible model server
// such as vLLM, as far as routing can tell: it serves only the model names
// it was started with (a base model and its LoRA adapters), answers any
// other name with vLLM's 404, reads the model from the request body (never
// from a header), says in the reply's "model" which name it served, and
// streams server-sent events ending in "data: [DONE]" when asked. Replies
// also carry the request as the server saw it (pod, namespace, path, host,
// headers), so that tests can tell where a request went and what reached
// the server. It generates nothing.
//
// The local stack (package localstack) runs one per pod, behind the
// target-rewrite sidecar, as a vLLM Deployment would with modelroute's
// sidecar added.
package modelserver

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Options configure a Server.
type Options struct {
	// Pod and Namespace name the server in its replies.
	Pod       string
	Namespace string
	// Models are the names served: requests for any other get 404. Like
	// vLLM, a request that names no model is served as the first (404 when
	// there is none, as before a pool's first model).
	Models []string
	// ChunkInterval is the pause between the events of a streamed reply
	// (0: none); the first event is sent at once.
	ChunkInterval time.Duration
}

// maxBody bounds what the stand-in reads of a request (vLLM has no such
// limit of its own; tests send up to a few MiB).
const maxBody = 256 << 20

// Server is a running stand-in.
type Server struct {
	opts Options
	// Addr is the HOST:PORT it listens on.
	Addr   string
	server *http.Server
}

// Start listens on addr (HOST:PORT; port 0 for any) and serves until
// Close.
func Start(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("model server %s on %s: %w", opts.Pod, addr, err)
	}
	s := &Server{opts: opts, Addr: ln.Addr().String()}
	s.server = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.server.Close() }

// Echo is the request as the server saw it, in the field names of the
// Gateway API conformance echo server. Every reply and every streamed
// event carries it.
type Echo struct {
	Path      string              `json:"path"`
	Host      string              `json:"host"`
	Method    string              `json:"method"`
	Proto     string              `json:"proto"`
	Headers   map[string][]string `json:"headers"`
	Namespace string              `json:"namespace"`
	Pod       string              `json:"pod"`
	// BodyBytes is the length of the JSON body received.
	BodyBytes int `json:"body_bytes,omitempty"`
}

// ServeHTTP implements http.Handler with vLLM's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	echo := Echo{Path: r.URL.RequestURI(), Host: r.Host, Method: r.Method, Proto: r.Proto,
		Headers: r.Header, Namespace: s.opts.Namespace, Pod: s.opts.Pod}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/health":
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		s.listModels(w)
	case r.Method == http.MethodPost && slices.Contains(jsonEndpoints, r.URL.Path):
		s.serveJSON(w, r, echo)
	case r.Method == http.MethodPost && slices.Contains(formEndpoints, r.URL.Path):
		s.serveForm(w, r, echo)
	default:
		// FastAPI's answer for a path it has no route for.
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	}
}

// The endpoints served: the JSON ones and the multipart ones.
var (
	jsonEndpoints = []string{"/v1/chat/completions", "/v1/completions", "/v1/embeddings"}
	formEndpoints = []string{"/v1/audio/transcriptions", "/v1/audio/translations"}
)

// request is what the stand-in reads of a JSON body.
type request struct {
	Model  *string `json:"model"`
	Stream bool    `json:"stream"`
}

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, echo Echo) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	echo.BodyBytes = len(raw)
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", "the request body is not valid JSON: "+err.Error())
		return
	}
	model := s.defaultModel()
	if req.Model != nil {
		model = *req.Model
	}
	if !s.serves(w, model) {
		return
	}
	kind := strings.TrimPrefix(r.URL.Path, "/v1/")
	if req.Stream && kind != "embeddings" {
		s.stream(w, r, kind, model, echo)
		return
	}
	writeJSON(w, http.StatusOK, reply(kind, model, echo))
}

func (s *Server) serveForm(w http.ResponseWriter, r *http.Request, echo Echo) {
	if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media != "multipart/form-data" {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", "want a multipart/form-data body")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	model := s.defaultModel()
	if models := r.MultipartForm.Value["model"]; len(models) > 0 {
		model = models[0]
	}
	if !s.serves(w, model) {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Text  string `json:"text"`
		Model string `json:"model"`
		Echo
	}{Text: said(echo.Pod, model), Model: model, Echo: echo})
}

// defaultModel is the name a request without one is served as: the first.
func (s *Server) defaultModel() string {
	if len(s.opts.Models) == 0 {
		return ""
	}
	return s.opts.Models[0]
}

// serves answers vLLM's 404 unless model is one of the served names.
func (s *Server) serves(w http.ResponseWriter, model string) bool {
	if slices.Contains(s.opts.Models, model) {
		return true
	}
	writeError(w, http.StatusNotFound, "NotFoundError", "model", fmt.Sprintf("The model `%s` does not exist.", model))
	return false
}

// said is the text a reply generates: which pod served which name.
func said(pod, model string) string {
	return fmt.Sprintf("served by %s as %s", pod, model)
}

// Reply is a non-streamed answer: the OpenAI object of the endpoint, with
// the request as the server saw it.
type Reply struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices,omitempty"`
	Data    []Vector `json:"data,omitempty"`
	Usage   Usage    `json:"usage"`
	Echo
}

// Choice is one choice of a completion or of a streamed chunk.
type Choice struct {
	Index        int      `json:"index"`
	Message      *Message `json:"message,omitempty"`
	Delta        *Message `json:"delta,omitempty"`
	Text         *string  `json:"text,omitempty"`
	FinishReason *string  `json:"finish_reason"`
}

// Message is a chat message or the delta of one.
type Message struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

// Vector is one embedding.
type Vector struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

// Usage counts no tokens: nothing is generated.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func reply(kind, model string, echo Echo) Reply {
	text := said(echo.Pod, model)
	stop := "stop"
	r := Reply{ID: "cmpl-" + echo.Pod, Created: time.Now().Unix(), Model: model, Echo: echo}
	switch kind {
	case "chat/completions":
		r.Object = "chat.completion"
		r.Choices = []Choice{{Message: &Message{Role: "assistant", Content: text}, FinishReason: &stop}}
	case "completions":
		r.Object = "text_completion"
		r.Choices = []Choice{{Text: &text, FinishReason: &stop}}
	case "embeddings":
		r.Object = "list"
		r.Data = []Vector{{Object: "embedding", Embedding: []float64{0, 0, 0}}}
	}
	return r
}

// stream sends the reply as server-sent events, each flushed as it is
// written: a first event at once, the text word by word, the finish, and
// "data: [DONE]".
func (s *Server) stream(w http.ResponseWriter, r *http.Request, kind, model string, echo Echo) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	object, chat := "text_completion", kind == "chat/completions"
	if chat {
		object = "chat.completion.chunk"
	}
	chunk := func(content string, role string, finish *string) Reply {
		c := Choice{FinishReason: finish}
		if chat {
			c.Delta = &Message{Role: role, Content: content}
		} else {
			c.Text = &content
		}
		return Reply{ID: "cmpl-" + echo.Pod, Object: object, Created: time.Now().Unix(), Model: model,
			Choices: []Choice{c}, Echo: echo}
	}
	events := []Reply{chunk("", "assistant", nil)}
	for _, word := range strings.Fields(said(echo.Pod, model)) {
		events = append(events, chunk(word+" ", "", nil))
	}
	stop := "stop"
	events = append(events, chunk("", "", &stop))
	for i, e := range events {
		if i > 0 && s.opts.ChunkInterval > 0 {
			select {
			case <-time.After(s.opts.ChunkInterval):
			case <-r.Context().Done():
				return
			}
		}
		data, _ := json.Marshal(e)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// modelList is vLLM's /v1/models.
type modelList struct {
	Object string        `json:"object"`
	Data   []modelObject `json:"data"`
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (s *Server) listModels(w http.ResponseWriter) {
	list := modelList{Object: "list", Data: []modelObject{}}
	for _, m := range s.opts.Models {
		list.Data = append(list.Data, modelObject{ID: m, Object: "model", Created: time.Now().Unix(), OwnedBy: "vllm"})
	}
	writeJSON(w, http.StatusOK, list)
}

// vllmError is vLLM's error body: OpenAI's shape, with the status as code.
type vllmError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Param   string `json:"param,omitempty"`
		Code    int    `json:"code"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, errType, param, message string) {
	var e vllmError
	e.Error.Message, e.Error.Type, e.Error.Param, e.Error.Code = message, errType, param, status
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, _ := json.Marshal(v) // the types written marshal without error
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
