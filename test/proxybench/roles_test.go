//go:build bench

package proxybench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"
)

// The test binary plays two more parts, picked by environment variables.
const (
	roleEnv     = "PROXYBENCH_ROLE" // "upstream" or "plain"
	listenEnv   = "PROXYBENCH_LISTEN"
	upstreamEnv = "PROXYBENCH_UPSTREAM"
)

// streamHeader asks the upstream for a server-sent event stream.
const streamHeader = "X-Bench-Stream"

// streamGap is the pause before each event after the first: a proxy that
// held the first event back would show it in the time to the first event.
const streamGap = 20 * time.Millisecond

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "upstream":
		serve(http.HandlerFunc(upstream))
	case "plain":
		target, err := url.Parse(os.Getenv(upstreamEnv))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// What one would write instead of modelroute router: a reverse
		// proxy to the Gateway, with Go's defaults (responses of
		// text/event-stream are flushed at once either way).
		serve(httputil.NewSingleHostReverseProxy(target))
	default:
		os.Exit(m.Run())
	}
}

func serve(h http.Handler) {
	srv := &http.Server{Addr: os.Getenv(listenEnv), Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, srv.ListenAndServe())
	os.Exit(1)
}

// chatReply is a chat completion of realistic size.
var chatReply = []byte(`{"id":"cmpl-bench","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,` +
	`"message":{"role":"assistant","content":"A short answer from the model server stand-in."},"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":8,"completion_tokens":9,"total_tokens":17}}`)

// upstream is the model server: it reads the whole request and answers a
// chat completion, or five events 20 ms apart.
func upstream(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Header.Get(streamHeader) == "" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(chatReply)))
		_, _ = w.Write(chatReply)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	for i := range 5 {
		if i > 0 {
			time.Sleep(streamGap)
		}
		fmt.Fprintf(w, "data: {\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%d \"}}]}\n\n", i)
		flusher.Flush()
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
}
