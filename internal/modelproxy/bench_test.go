package modelproxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

// BenchmarkRouterBody is the router's own cost per request, in-process,
// next to a plain httputil.ReverseProxy's: bodies of 1 KiB and 1 MiB whose
// model comes first or last, to an upstream that reads them whole. make
// bench-proxy measures the deployed processes.
func BenchmarkRouterBody(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer upstream.Close()
	gateway, _ := url.Parse(upstream.URL)
	router := NewRouter(RouterOptions{Gateway: gateway, ModelHeader: "X-Gateway-Model-Name", MaxBody: DefaultMaxBody,
		Catalog: StaticCatalog{"m"}, Log: logr.Discard()})
	plain := httputil.NewSingleHostReverseProxy(gateway)
	for _, size := range []int{1 << 10, 1 << 20} {
		pad := strings.Repeat("a", size)
		for name, body := range map[string][]byte{
			"model-first": []byte(`{"model":"m","messages":[{"role":"user","content":"` + pad + `"}]}`),
			"model-last":  []byte(`{"messages":[{"role":"user","content":"` + pad + `"}],"model":"m"}`),
		} {
			for proxyName, proxy := range map[string]http.Handler{"router": router, "plain": plain} {
				if proxyName == "plain" && name == "model-last" {
					continue // the same as model-first to a plain proxy
				}
				b.Run(fmt.Sprintf("%s/%dKiB/%s", proxyName, size>>10, name), func(b *testing.B) {
					benchmarkHandler(b, proxy, body)
				})
			}
		}
	}
}

func benchmarkHandler(b *testing.B, h http.Handler, body []byte) {
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
