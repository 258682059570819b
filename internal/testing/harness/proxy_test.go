package harness

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

func TestCountingProxyCountsByVerbAndResource(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/taken") {
			w.WriteHeader(http.StatusConflict)
			return
		}
		_, _ = w.Write([]byte("{}"))
	}))
	defer upstream.Close()
	p, err := StartCountingProxy(&rest.Config{Host: upstream.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	routes := "/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes"
	for _, r := range []struct{ method, path, contentType string }{
		{http.MethodGet, "/apis", ""},
		{http.MethodGet, routes, ""},
		{http.MethodGet, routes + "?watch=true", ""},
		{http.MethodGet, routes + "/r", ""},
		{http.MethodPost, routes, "application/json"},
		{http.MethodPost, routes, "application/json"},
		{http.MethodPatch, routes + "/r", "application/apply-patch+yaml"},
		{http.MethodPatch, "/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/ns/inferencemodels/m/status", "application/merge-patch+json"},
		{http.MethodPut, "/apis/coordination.k8s.io/v1/namespaces/ns/leases/taken", "application/json"},
		{http.MethodPost, "/api/v1/namespaces/ns/events", "application/json"},
	} {
		req, err := http.NewRequest(r.method, p.URL+r.path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", r.contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		resp.Body.Close()
	}
	want := Counts{
		{Verb: "GET", Resource: "(discovery)"}:              1,
		{Verb: "LIST", Resource: "httproutes"}:              1,
		{Verb: "WATCH", Resource: "httproutes"}:             1,
		{Verb: "GET", Resource: "httproutes"}:               1,
		{Verb: "POST", Resource: "httproutes"}:              2,
		{Verb: "APPLY", Resource: "httproutes"}:             1,
		{Verb: "PATCH", Resource: "inferencemodels/status"}: 1,
		{Verb: "PUT", Resource: "leases", Code: "409"}:      1,
		{Verb: "POST", Resource: "events"}:                  1,
	}
	if diff := cmp.Diff(want, p.Snapshot()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// Sent counts the same requests by verb and resource only.
	sent := Counts{}
	for r, n := range want {
		r.Code = ""
		sent[r] += n
	}
	if diff := cmp.Diff(sent, p.Sent()); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	if got := p.Snapshot().Sum(Request.IsWrite); got != 6 {
		t.Errorf("%d writes; want 6", got)
	}
}

// With the API server gone, the client sees its connection dropped, as it
// would without the proxy, and the request counts as not answered.
func TestCountingProxyDropsTheConnectionWhenTheAPIServerIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String()
	ln.Close()
	p, err := StartCountingProxy(&rest.Config{Host: gone})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, err := http.Post(p.URL+"/api/v1/namespaces/ns/events", "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%s); want a transport error", resp.Status)
	}
	want := Counts{{Verb: "POST", Resource: "events", Code: NoAnswer}: 1}
	if diff := cmp.Diff(want, p.Snapshot()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// A response that breaks off after its header ends the request all the
// same: the proxy is quiet again, rather than wait for it for ever.
func TestCountingProxyIsQuietAfterABrokenResponse(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("{"))
		http.NewResponseController(w).Flush()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer upstream.Close()
	p, err := StartCountingProxy(&rest.Config{Host: upstream.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, err := http.Post(p.URL+"/api/v1/namespaces/ns/events", "application/json", strings.NewReader("{}"))
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("the client read the whole response; want it broken off")
	}
	err = Await(context.Background(), 10*time.Second, 10*time.Millisecond, func() error {
		if !p.Quiet(0) {
			return errors.New("the proxy still counts the request as being served")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{{Verb: "POST", Resource: "events"}: 1}
	if diff := cmp.Diff(want, p.Snapshot()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
