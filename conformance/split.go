package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

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
// each target (the rewrite header the backend saw) is within a statistical
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
// targets the backends were told.
func (s *Suite) measureSplit(modelName string) (map[string]int, error) {
	counts := map[string]int{}
	client := &http.Client{Timeout: s.TimeoutConfig.RequestTimeout}
	body := s.ModelRequest(modelName).Body
	for range splitRequests {
		seen, err := sendForHeaders(client, s, body, modelName, nil)
		if err != nil {
			return nil, err
		}
		counts[seen.Get(s.RewriteHeader)]++
	}
	return counts, nil
}

// ExpectTargetsOnly sends requests for modelName carrying clientHeaders,
// and checks that each reaches a backend with the rewrite header set to
// one of targets, every one of them picked, and none of absent; until one
// batch in a row is so, within MaxTimeToConsistency (the data plane may
// still be loading the route).
func (s *Suite) ExpectTargetsOnly(t *testing.T, modelName string, clientHeaders map[string]string, targets []string, absent ...string) {
	t.Helper()
	const batch = 100
	client := &http.Client{Timeout: s.TimeoutConfig.RequestTimeout}
	body := s.ModelRequest(modelName).Body
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, s.TimeoutConfig.MaxTimeToConsistency, true, func(context.Context) (bool, error) {
		picked := map[string]int{}
		for range batch {
			seen, err := sendForHeaders(client, s, body, modelName, clientHeaders)
			if err != nil {
				last = err
				return false, nil
			}
			target := seen.Get(s.RewriteHeader)
			if !slices.Contains(targets, target) {
				last = fmt.Errorf("a backend was told the target %q; want one of %v", target, targets)
				return false, nil
			}
			for _, h := range absent {
				if v := seen.Values(h); len(v) > 0 {
					last = fmt.Errorf("a backend received %s: %q", h, v)
					return false, nil
				}
			}
			picked[target]++
		}
		if len(picked) != len(targets) {
			last = fmt.Errorf("%d requests picked only %v of %v", batch, picked, targets)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("requests for %s with client headers %v: %v", modelName, clientHeaders, last)
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
// answered for one of targets.
func (s *Suite) StartTraffic(modelName string, targets ...string) *Traffic {
	tr := &Traffic{done: make(chan struct{}), finished: make(chan struct{})}
	client := &http.Client{Timeout: s.TimeoutConfig.RequestTimeout}
	body := s.ModelRequest(modelName).Body
	go func() {
		defer close(tr.finished)
		for {
			select {
			case <-tr.done:
				return
			default:
			}
			seen, err := sendForHeaders(client, s, body, modelName, nil)
			target := seen.Get(s.RewriteHeader)
			if err == nil && !slices.Contains(targets, target) {
				err = fmt.Errorf("delivered to target %q, not one of %v", target, targets)
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

// sendForHeaders sends a request for modelName, with the client's extra
// headers, and returns the headers the backend that answered received.
func sendForHeaders(client *http.Client, s *Suite, body, modelName string, extra map[string]string) (http.Header, error) {
	req, err := http.NewRequest("POST", "http://"+s.GatewayAddress+completionsPath, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	req.Header.Set(s.ModelHeader, modelName)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var reply EchoReply
	if err := json.Unmarshal(raw, &reply); err != nil {
		return nil, fmt.Errorf("not an echo reply: %v", err)
	}
	return http.Header(reply.Headers), nil
}
