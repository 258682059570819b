package conformance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// pollInterval is how often the suite reads what it waits for.
const pollInterval = 200 * time.Millisecond

// Routed is where requests for a model name must go.
type Routed struct {
	// Backend is the start of the answering pods' names ("<pool>-").
	Backend string
	// Served is the name the server must serve; "" for the model name
	// asked for.
	Served string
	// Headers the server must receive, and Absent ones it must not.
	Headers map[string]string
	Absent  []string
}

// ExpectRouted waits until requests for modelName, sent by the OpenAI
// client with opts, are consistently answered by a server of ns as want
// says.
func (s *Suite) ExpectRouted(t *testing.T, ns, modelName string, want Routed, opts ...option.RequestOption) {
	t.Helper()
	served := cmp.Or(want.Served, modelName)
	s.Eventually(t, fmt.Sprintf("requests for %s answered by %s* in %s serving %s", modelName, want.Backend, ns, served), func(ctx context.Context) error {
		reply, err := s.Chat(ctx, modelName, opts...)
		if err != nil {
			return err
		}
		return want.check(reply, ns, served)
	})
}

// check compares a reply with what is wanted.
func (want Routed) check(reply Reply, ns, served string) error {
	var errs []error
	if reply.Namespace != ns || !strings.HasPrefix(reply.Pod, want.Backend) {
		errs = append(errs, fmt.Errorf("answered by %s/%s", reply.Namespace, reply.Pod))
	}
	if reply.Model != served {
		errs = append(errs, fmt.Errorf("served %q, want %q", reply.Model, served))
	}
	seen := http.Header(reply.Headers)
	for k, v := range want.Headers {
		if got := seen.Values(k); len(got) != 1 || got[0] != v {
			errs = append(errs, fmt.Errorf("the server saw %s: %q, want %q", k, got, v))
		}
	}
	for _, k := range want.Absent {
		if got := seen.Values(k); len(got) > 0 {
			errs = append(errs, fmt.Errorf("the server saw %s: %q", k, got))
		}
	}
	return errors.Join(errs...)
}

// ExpectNotRouted waits until requests for modelName consistently get 404
// both ways: from the router, in OpenAI's shape naming the model (what a
// client sees), and from the Gateway itself when the model header is set
// (no route matches it).
func (s *Suite) ExpectNotRouted(t *testing.T, modelName string) {
	t.Helper()
	s.Eventually(t, fmt.Sprintf("requests for %s answered 404", modelName), func(ctx context.Context) error {
		var errs []error
		_, err := s.Chat(ctx, modelName)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || !strings.Contains(apiErr.Message, modelName) {
			errs = append(errs, fmt.Errorf("through the router: %v, want a 404 naming the model", err))
		}
		if _, err := s.Chat(ctx, modelName, s.BypassRouter(modelName)...); StatusOf(err) != http.StatusNotFound {
			errs = append(errs, fmt.Errorf("straight to the Gateway: %v, want a 404", err))
		}
		return errors.Join(errs...)
	})
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

// Deploy starts the model servers of pool in ns, serving pool.Models or,
// if none are given, the names the pool's InferenceModels in ns need.
func (s *Suite) Deploy(t *testing.T, ns string, pool Pool) {
	t.Helper()
	ctx := context.Background()
	if len(pool.Models) == 0 {
		var models v1alpha2.InferenceModelList
		if err := s.Client.List(ctx, &models, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		pool.Models = ServedNames(models.Items, pool)
	}
	if err := s.Backends.Deploy(ctx, t, ns, pool); err != nil {
		t.Fatalf("deploying the servers of pool %s: %v", pool.Name, err)
	}
}

// RewriteServedNames are the names a pool's servers serve for rewrites:
// every target of a rewrite of the pool (its poolRef's group defaults to
// the v1 one).
func RewriteServedNames(rewrites []v1alpha2.InferenceModelRewrite, pool Pool) []string {
	names := sets.New[string]()
	for _, rw := range rewrites {
		ref := rw.Spec.PoolRef
		if string(ref.Name) != pool.Name || translate.PoolGroupOf(translate.KindInferenceModelRewrite, string(ref.Group)) != pool.Group {
			continue
		}
		for _, rule := range rw.Spec.Rules {
			for _, target := range rule.Targets {
				names.Insert(target.ModelRewrite)
			}
		}
	}
	return sets.List(names)
}

// ServedNames are the names a pool's servers serve for models: every
// target of a model of the pool, or its model name when it has none, as a
// vLLM server is started with its base model and the LoRA adapters the
// models name.
func ServedNames(models []v1alpha2.InferenceModel, pool Pool) []string {
	names := sets.New[string]()
	for _, m := range models {
		ref := m.Spec.PoolRef
		if string(ref.Name) != pool.Name || translate.PoolGroupOf(translate.KindInferenceModel, string(ref.Group)) != pool.Group {
			continue
		}
		if len(m.Spec.TargetModels) == 0 {
			names.Insert(m.Spec.ModelName)
		}
		for _, target := range m.Spec.TargetModels {
			names.Insert(target.Name)
		}
	}
	return sets.List(names)
}
