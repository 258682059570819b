package conformance

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwhttp "sigs.k8s.io/gateway-api/conformance/utils/http"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// completionsPath is where an OpenAI client sends chat requests.
const completionsPath = "/v1/chat/completions"

// pollInterval is how often the suite reads what it waits for.
const pollInterval = 200 * time.Millisecond

// ModelRequest is an OpenAI chat request for modelName. Body-Based Routing
// would copy the body's "model" into the model header; the suite plays its
// part and sends both.
func (s *Suite) ModelRequest(modelName string) gwhttp.Request {
	return gwhttp.Request{
		Method: "POST",
		Path:   completionsPath,
		Headers: map[string]string{
			s.ModelHeader:  modelName,
			"Content-Type": "application/json",
		},
		Body: fmt.Sprintf(`{"model": %q, "messages": [{"role": "user", "content": "Which server are you?"}]}`, modelName),
	}
}

// ExpectRouted waits until requests for modelName consistently reach a
// server of the pool (pod names start with backend) in ns, carrying
// headers and none of absent.
func (s *Suite) ExpectRouted(t *testing.T, ns, modelName, backend string, headers map[string]string, absent ...string) {
	t.Helper()
	s.ExpectRequestRouted(t, ns, s.ModelRequest(modelName), backend, headers, absent...)
}

// ExpectRequestRouted is ExpectRouted for a request of the caller's: one
// that carries headers of the client's own, or a Host.
func (s *Suite) ExpectRequestRouted(t *testing.T, ns string, req gwhttp.Request, backend string, headers map[string]string, absent ...string) {
	t.Helper()
	expected := gwhttp.ExpectedResponse{
		Request: req,
		ExpectedRequest: &gwhttp.ExpectedRequest{
			Request:       gwhttp.Request{Method: "POST", Path: completionsPath, Headers: headers},
			AbsentHeaders: absent,
		},
		Response:  gwhttp.Response{StatusCodes: []int{200}},
		Backend:   backend,
		Namespace: ns,
	}
	gwhttp.MakeRequestAndExpectEventuallyConsistentResponse(t, s.RoundTripper, s.TimeoutConfig, s.GatewayAddress, expected)
}

// Request is a request the suite sends through the Gateway.
type Request = gwhttp.Request

// WithHeaders is req with headers added, as a client would send them.
func WithHeaders(req Request, headers map[string]string) Request {
	out := req
	out.Headers = maps.Clone(req.Headers)
	maps.Copy(out.Headers, headers)
	return out
}

// ExpectNotRouted waits until requests for modelName consistently get 404.
func (s *Suite) ExpectNotRouted(t *testing.T, modelName string) {
	t.Helper()
	gwhttp.MakeRequestAndExpectEventuallyConsistentResponse(t, s.RoundTripper, s.TimeoutConfig, s.GatewayAddress,
		gwhttp.ExpectedResponse{Request: s.ModelRequest(modelName), Response: gwhttp.Response{StatusCodes: []int{404}}})
}

// WaitForCondition waits until the model has the condition with status and
// reason for its current generation, and returns it.
func (s *Suite) WaitForCondition(t *testing.T, ns, model, condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	var last *metav1.Condition
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, s.TimeoutConfig.MaxTimeToConsistency, true, func(ctx context.Context) (bool, error) {
		m := &v1alpha2.InferenceModel{}
		if err := s.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: model}, m); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		last = meta.FindStatusCondition(m.Status.Conditions, condType)
		return last != nil && last.Status == status && last.Reason == reason && last.ObservedGeneration == m.Generation, nil
	})
	if err != nil {
		t.Fatalf("InferenceModel %s/%s: want %s=%s %s, last seen %+v: %v", ns, model, condType, status, reason, last, err)
	}
	return *last
}

// UpdateModel applies change to the live model, again on a conflict with
// another writer.
func (s *Suite) UpdateModel(t *testing.T, ns, name string, change func(*v1alpha2.InferenceModel)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		m := &v1alpha2.InferenceModel{}
		if err := s.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, m); err != nil {
			return err
		}
		change(m)
		return s.Client.Update(context.Background(), m)
	})
	if err != nil {
		t.Fatalf("updating InferenceModel %s/%s: %v", ns, name, err)
	}
}

// WaitForAbsent waits until obj (with namespace and name set) is gone.
func (s *Suite) WaitForAbsent(t *testing.T, obj client.Object) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, s.TimeoutConfig.MaxTimeToConsistency, true, func(ctx context.Context) (bool, error) {
		err := s.Client.Get(ctx, key, obj)
		return client.IgnoreNotFound(err) == nil && err != nil, client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("%T %s still exists: %v", obj, key, err)
	}
}

// Deploy starts the echo servers of pool in ns.
func (s *Suite) Deploy(t *testing.T, ns string, pool Pool) {
	t.Helper()
	if err := s.Backends.Deploy(context.Background(), t, ns, pool); err != nil {
		t.Fatalf("deploying the servers of pool %s: %v", pool.Name, err)
	}
}
