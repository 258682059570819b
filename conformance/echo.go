package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// EchoReply is what an echo model server answers: an OpenAI-shaped chat
// completion saying which server answered, plus the request as the server
// saw it in the fields of the Gateway API conformance echo server (path,
// host, method, proto, headers, namespace, pod), so that the upstream
// round-trip helpers can compare it.
type EchoReply struct {
	// OpenAI chat completion fields.
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []EchoChoice `json:"choices"`
	Usage   EchoUsage    `json:"usage"`
	// The request as received.
	Path      string              `json:"path"`
	Host      string              `json:"host"`
	Method    string              `json:"method"`
	Proto     string              `json:"proto"`
	Headers   map[string][]string `json:"headers"`
	Namespace string              `json:"namespace"`
	Pod       string              `json:"pod"`
}

// EchoChoice is one completion choice.
type EchoChoice struct {
	Index        int         `json:"index"`
	Message      EchoMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// EchoMessage is a chat message.
type EchoMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// EchoUsage counts no tokens: nothing is generated.
type EchoUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// EchoServer is a model server stand-in on a loopback address.
type EchoServer struct {
	// Pod names the server as a pod would be named: "<pool>-<n>".
	Pod       string
	Namespace string
	// Addr is host:port it listens on.
	Addr   string
	server *http.Server
}

// StartEchoServer listens on addr and answers every request with an
// EchoReply naming pod and namespace.
func StartEchoServer(pod, namespace, addr string) (*EchoServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("echo server %s on %s: %w", pod, addr, err)
	}
	e := &EchoServer{Pod: pod, Namespace: namespace, Addr: ln.Addr().String()}
	e.server = &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.server.Serve(ln) }()
	return e, nil
}

// Close stops the server.
func (e *EchoServer) Close() error { return e.server.Close() }

// ServeHTTP implements http.Handler.
func (e *EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model string `json:"model"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(raw, &body)
	reply := EchoReply{
		ID: "chatcmpl-" + e.Pod, Object: "chat.completion", Created: time.Now().Unix(), Model: body.Model,
		Choices: []EchoChoice{{Message: EchoMessage{Role: "assistant",
			Content: fmt.Sprintf("served by %s for model %q", e.Pod, body.Model)}, FinishReason: "stop"}},
		Path: r.URL.RequestURI(), Host: r.Host, Method: r.Method, Proto: r.Proto,
		Headers: r.Header, Namespace: e.Namespace, Pod: e.Pod,
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply)
}
