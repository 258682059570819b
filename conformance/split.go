package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"testing"

	"github.com/openai/openai-go/v3/option"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// DeleteModel deletes the InferenceModel ns/name.
func (s *Suite) DeleteModel(t *testing.T, ns, name string) {
	t.Helper()
	m := &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := s.Client.Delete(context.Background(), m); err != nil {
		t.Fatalf("deleting InferenceModel %s: %v", name, err)
	}
}

// ExpectSplit sends requests for modelName and checks that the share of
// each target (the name the servers served) is within a statistical
// tolerance of its weight: the count of a target picked with probability p
// out of n is binomial, so it is held to n·p ± 5·sqrt(n·p·(1-p)), which a
// correct split misses about once in 1.7 million runs, while a split off by
// 10 points fails.
func (s *Suite) ExpectSplit(t *testing.T, modelName string, weights map[string]float64) {
	t.Helper()
	counts, err := s.measureSplit(modelName)
	if err == nil {
		err = splitWithinTolerance(counts, splitRequests, weights)
	}
	if err != nil {
		t.Fatalf("split of %d requests for %s: %v", splitRequests, modelName, err)
	}
	t.Logf("split of %d requests for %s: %v matches %v", splitRequests, modelName, counts, weights)
}

// ExpectSplitEventually is ExpectSplit for a route the Gateway has just
// accepted: its data plane may still be loading it, so batches are measured
// until one has the split, within MaxTimeToConsistency.
func (s *Suite) ExpectSplitEventually(t *testing.T, modelName string, weights map[string]float64) {
	t.Helper()
	var counts map[string]int
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, s.TimeoutConfig.MaxTimeToConsistency, true, func(context.Context) (bool, error) {
		var err error
		if counts, err = s.measureSplit(modelName); err != nil {
			return false, err
		}
		return splitWithinTolerance(counts, splitRequests, weights) == nil, nil
	})
	if err != nil {
		t.Fatalf("split of %d requests for %s: last %v; want %v: %v", splitRequests, modelName, counts, weights, err)
	}
	t.Logf("split of %d requests for %s: %v matches %v", splitRequests, modelName, counts, weights)
}

// splitRequests is the sample size of a split measurement.
const splitRequests = 1000

// measureSplit sends splitRequests requests for modelName and counts the
// names the servers served.
func (s *Suite) measureSplit(modelName string) (map[string]int, error) {
	counts := map[string]int{}
	for range splitRequests {
		reply, err := s.Chat(context.Background(), modelName)
		if err != nil {
			return nil, err
		}
		counts[reply.Model]++
	}
	return counts, nil
}

// ExpectTargetsOnly sends requests for modelName with opts (the client's
// own headers, say), and checks that each is served as one of targets,
// every one of them picked, and that the server saw none of absent; until
// one batch in a row is so, within MaxTimeToConsistency (the data plane
// may still be loading the route).
func (s *Suite) ExpectTargetsOnly(t *testing.T, modelName string, targets []string, absent []string, opts ...option.RequestOption) {
	t.Helper()
	const batch = 100
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, s.TimeoutConfig.MaxTimeToConsistency, true, func(ctx context.Context) (bool, error) {
		picked := map[string]int{}
		for range batch {
			reply, err := s.Chat(ctx, modelName, opts...)
			if err != nil {
				last = err
				return false, nil
			}
			if !slices.Contains(targets, reply.Model) {
				last = fmt.Errorf("a server served %q; want one of %v", reply.Model, targets)
				return false, nil
			}
			for _, h := range absent {
				if v := http.Header(reply.Headers).Values(h); len(v) > 0 {
					last = fmt.Errorf("a server received %s: %q", h, v)
					return false, nil
				}
			}
			picked[reply.Model]++
		}
		if len(picked) != len(targets) {
			last = fmt.Errorf("%d requests picked only %v of %v", batch, picked, targets)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("requests for %s: %v", modelName, last)
	}
}

// Traffic sends requests for one model name, one after another, until
// stopped, and keeps those that failed or went to an unexpected target.
type Traffic struct {
	done     chan struct{}
	finished chan struct{}
	sent     int
	failures []error
}

// StartTraffic sends requests for modelName until Stop; each must be
// served as one of targets.
func (s *Suite) StartTraffic(modelName string, targets ...string) *Traffic {
	tr := &Traffic{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(tr.finished)
		for {
			select {
			case <-tr.done:
				return
			default:
			}
			reply, err := s.Chat(context.Background(), modelName)
			if err == nil && !slices.Contains(targets, reply.Model) {
				err = fmt.Errorf("served as %q, not one of %v", reply.Model, targets)
			}
			tr.sent++
			if err != nil {
				tr.failures = append(tr.failures, err)
			}
		}
	}()
	return tr
}

// Stop ends the traffic and returns how many requests were sent and the
// failures.
func (tr *Traffic) Stop() (int, []error) {
	close(tr.done)
	<-tr.finished
	return tr.sent, tr.failures
}

// splitWithinTolerance checks counts of n requests against the expected
// shares: each within 5 binomial standard deviations, nothing elsewhere.
func splitWithinTolerance(counts map[string]int, n int, weights map[string]float64) error {
	var errs []error
	for _, target := range slices.Sorted(maps.Keys(weights)) {
		p := weights[target]
		want, tolerance := float64(n)*p, 5*math.Sqrt(float64(n)*p*(1-p))
		if got := float64(counts[target]); math.Abs(got-want) > tolerance {
			errs = append(errs, fmt.Errorf("target %s: %d of %d requests; want %.0f ± %.0f", target, counts[target], n, want, tolerance))
		}
	}
	for target, count := range counts {
		if _, ok := weights[target]; !ok {
			errs = append(errs, fmt.Errorf("%d requests delivered to unexpected target %q", count, target))
		}
	}
	return errors.Join(errs...)
}
