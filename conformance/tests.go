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
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/pkg/features"

	"k8s.io/utils/ptr"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// The pools of manifests/pools.yaml and late-pool.yaml.
var (
	alphaPool = Pool{Group: translate.GroupInferenceAlpha, Name: "alpha-pool",
		Selector: map[string]string{"app": "alpha-pool"}, TargetPort: 18080, Replicas: 2}
	betaPool = Pool{Group: translate.GroupInferenceV1, Name: "beta-pool",
		Selector: map[string]string{"app": "beta-pool"}, TargetPort: 18080, Replicas: 2}
	latePool = Pool{Group: translate.GroupInferenceAlpha, Name: "late-pool",
		Selector: map[string]string{"app": "late-pool"}, TargetPort: 18080, Replicas: 1}
)

// Tests is the suite, in the order it runs.
var Tests = []ConformanceTest{
	ModelHeaderRouting, WeightedTargetSplit, ModelIDTargets, WeightEditedUnderTraffic, SingleTargetRewrite,
	PerTargetRewrite, CriticalityHeader, ModelNameConflict, ProgrammedFollowsGateway, PoolAppears, DriftRepair,
	ModelDeleted,
}

// deployPools starts the servers of the standard pools and waits until each
// of the models is Programmed.
func deployPools(t *testing.T, s *Suite, ns string, models ...string) {
	t.Helper()
	s.Deploy(t, ns, alphaPool)
	s.Deploy(t, ns, betaPool)
	for _, m := range models {
		s.WaitForCondition(t, ns, m, translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
	}
}

var ModelHeaderRouting = ConformanceTest{
	ShortName:   "ModelHeaderRouting",
	Description: "Two pools, three models: each request reaches only servers of its model's pool; an unknown model name is not routed.",
	Manifests:   []string{"pools.yaml", "header-routing.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "alpha-one", "alpha-two", "beta-one")
		s.ExpectRouted(t, ns, "hr-alpha-one", "alpha-pool-", nil, s.RewriteHeader)
		s.ExpectRouted(t, ns, "hr-alpha-two", "alpha-pool-", nil, s.RewriteHeader)
		s.ExpectRouted(t, ns, "hr-beta-one", "beta-pool-", nil, s.RewriteHeader)
		s.ExpectNotRouted(t, "hr-no-such-model")
	},
}

var WeightedTargetSplit = ConformanceTest{
	ShortName: "WeightedTargetSplit",
	Description: "Targets weighted 70/20/10: the share of requests delivered to each target (seen in the rewrite " +
		"header) is within statistical tolerance of its weight.",
	// Every target is in the same pool, so only the per-backend rewrite
	// header tells which backendRef a request went through.
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "weighted-split.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "split")
		s.ExpectRouted(t, ns, "ws-split", "alpha-pool-", nil)
		expectSplit(t, s, "ws-split", map[string]float64{"ws-lora-a": 0.7, "ws-lora-b": 0.2, "ws-lora-c": 0.1})
	},
}

var ModelIDTargets = ConformanceTest{
	ShortName: "ModelIDTargets",
	Description: "Four targets named as vLLM serves models and LoRA adapters (org/model, name:v2), weighted 55/25/12/8: " +
		"each request carries its target's name unchanged, in its weight's share.",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "model-id-targets.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "model-ids")
		s.ExpectRouted(t, ns, "mi-llama", "alpha-pool-", nil)
		expectSplit(t, s, "mi-llama", map[string]float64{
			"meta-llama/Llama-3.1-8B-Instruct": 0.55, "acme/support-lora": 0.25, "support-lora:v2": 0.12, "support-lora:v3-rc.1": 0.08,
		})
	},
}

var WeightEditedUnderTraffic = ConformanceTest{
	ShortName: "WeightEditedUnderTraffic",
	Description: "Weights edited from 90/10 to 20/80 while requests flow: once the model is Programmed for the new " +
		"generation the new split is seen, and no request fails or reaches another target meanwhile.",
	Features:  []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests: []string{"pools.yaml", "weight-edit.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "edited")
		s.ExpectRouted(t, ns, "we-model", "alpha-pool-", nil)
		expectSplit(t, s, "we-model", map[string]float64{"we-lora-v1": 0.9, "we-lora-v2": 0.1})

		traffic := startTraffic(s, "we-model", "we-lora-v1", "we-lora-v2")
		s.UpdateModel(t, ns, "edited", func(m *v1alpha2.InferenceModel) {
			m.Spec.TargetModels = []v1alpha2.TargetModel{
				{Name: "we-lora-v1", Weight: ptr.To[int32](20)}, {Name: "we-lora-v2", Weight: ptr.To[int32](80)},
			}
		})
		s.WaitForCondition(t, ns, "edited", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		expectSplitEventually(t, s, "we-model", map[string]float64{"we-lora-v1": 0.2, "we-lora-v2": 0.8})
		sent, failures := traffic.stop()
		if len(failures) > 0 {
			t.Errorf("%d of %d requests sent during the edit failed; the first: %v", len(failures), sent, failures[0])
		}
		t.Logf("%d requests sent during the edit, each answered for one of the model's targets", sent)
	},
}

var SingleTargetRewrite = ConformanceTest{
	ShortName:   "SingleTargetRewrite",
	Description: "A model with one target different from its name: the backend receives the rewrite header with the target's name; a target equal to the name adds no header.",
	Manifests:   []string{"pools.yaml", "single-target.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "alias", "itself")
		s.ExpectRouted(t, ns, "st-alias", "alpha-pool-", map[string]string{s.RewriteHeader: "st-real-model"})
		s.ExpectRouted(t, ns, "st-itself", "alpha-pool-", nil, s.RewriteHeader)
	},
}

var PerTargetRewrite = ConformanceTest{
	ShortName:   "PerTargetRewrite",
	Description: "A model with two targets: each backend sees the rewrite header of the target it was picked for, and both targets are picked.",
	Features:    []features.FeatureName{features.SupportHTTPRouteBackendRequestHeaderModification},
	Manifests:   []string{"pools.yaml", "per-target.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "per-target")
		s.ExpectRouted(t, ns, "pt-model", "alpha-pool-", nil)
		expectSplit(t, s, "pt-model", map[string]float64{"pt-lora-v1": 0.5, "pt-lora-v2": 0.5})
	},
}

var CriticalityHeader = ConformanceTest{
	ShortName:   "CriticalityHeader",
	Description: "With --criticality-header, the backend receives the model's criticality, Standard when unset.",
	Features:    []features.FeatureName{SupportCriticalityHeader},
	Manifests:   []string{"pools.yaml", "criticality.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "critical", "unset")
		s.ExpectRouted(t, ns, "cr-critical", "alpha-pool-", map[string]string{s.CriticalityHeader: "Critical"})
		s.ExpectRouted(t, ns, "cr-unset", "alpha-pool-", map[string]string{s.CriticalityHeader: "Standard"})
	},
}

var ModelNameConflict = ConformanceTest{
	ShortName:   "ModelNameConflict",
	Description: "Two models of one pool with one modelName: the younger gets no traffic and ModelNameInUse; once the older is deleted, traffic flows the younger one's way.",
	Manifests:   []string{"pools.yaml", "conflict.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "first")
		s.WaitForCondition(t, ns, "second", translate.ConditionAccepted, metav1.ConditionFalse, translate.ReasonModelNameInUse)
		s.ExpectRouted(t, ns, "mc-shared", "alpha-pool-", nil, s.RewriteHeader)
		deleteModel(t, s, ns, "first")
		s.WaitForCondition(t, ns, "second", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		s.ExpectRouted(t, ns, "mc-shared", "alpha-pool-", map[string]string{s.RewriteHeader: "mc-second-target"})
	},
}

var ProgrammedFollowsGateway = ConformanceTest{
	ShortName:   "ProgrammedFollowsGateway",
	Description: "Programmed=True once the Gateway accepted the route; a parentRef to a listener the Gateway lacks gives Programmed=False with the Gateway's reason.",
	Manifests:   []string{"pools.yaml", "programmed.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "attached")
		s.ExpectRouted(t, ns, "pg-attached", "alpha-pool-", nil)
		c := s.WaitForCondition(t, ns, "bad-section", translate.ConditionProgrammed, metav1.ConditionFalse, translate.ReasonRouteNotAccepted)
		if !strings.Contains(c.Message, "Accepted=False") || !strings.Contains(c.Message, s.Gateway.String()+"/no-such-listener") {
			t.Errorf("Programmed message %q: want the Gateway's Accepted=False verdict on %s/no-such-listener", c.Message, s.Gateway)
		}
		s.ExpectNotRouted(t, "pg-bad-section")
	},
}

var PoolAppears = ConformanceTest{
	ShortName:   "PoolAppears",
	Description: "A model before its pool: no route and PoolNotFound; once the pool is created, traffic flows.",
	Manifests:   []string{"pool-appears.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		s.WaitForCondition(t, ns, "early", translate.ConditionResolvedRefs, metav1.ConditionFalse, translate.ReasonPoolNotFound)
		s.WaitForAbsent(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("early")}})
		s.ExpectNotRouted(t, "pa-early")
		s.Deploy(t, ns, latePool)
		s.ApplyManifest(t, ns, "late-pool.yaml")
		s.WaitForCondition(t, ns, "early", translate.ConditionProgrammed, metav1.ConditionTrue, translate.ReasonProgrammed)
		s.ExpectRouted(t, ns, "pa-early", "late-pool-", nil)
	},
}

var DriftRepair = ConformanceTest{
	ShortName:   "DriftRepair",
	Description: "The generated route deleted, or edited by hand, is restored and traffic flows again.",
	Manifests:   []string{"pools.yaml", "drift.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "drifting")
		s.ExpectRouted(t, ns, "dr-drifting", "alpha-pool-", nil)
		key := types.NamespacedName{Namespace: ns, Name: translate.RouteName("drifting")}
		ctx := context.Background()

		route := &gatewayv1.HTTPRoute{}
		if err := s.Client.Get(ctx, key, route); err != nil {
			t.Fatal(err)
		}
		route.Spec.Rules[0].Matches[0].Headers[0].Value = "dr-hijacked"
		if err := s.Client.Update(ctx, route); err != nil {
			t.Fatalf("editing the route: %v", err)
		}
		s.ExpectRouted(t, ns, "dr-drifting", "alpha-pool-", nil)

		if err := s.Client.Delete(ctx, route); err != nil {
			t.Fatalf("deleting the route: %v", err)
		}
		s.ExpectRouted(t, ns, "dr-drifting", "alpha-pool-", nil)
		s.ExpectNotRouted(t, "dr-hijacked")
	},
}

var ModelDeleted = ConformanceTest{
	ShortName:   "ModelDeleted",
	Description: "A deleted model's route is garbage-collected and its name is no longer routed.",
	Manifests:   []string{"pools.yaml", "deleted.yaml"},
	Test: func(t *testing.T, s *Suite, ns string) {
		deployPools(t, s, ns, "doomed")
		s.ExpectRouted(t, ns, "md-doomed", "alpha-pool-", nil)
		deleteModel(t, s, ns, "doomed")
		s.WaitForAbsent(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("doomed")}})
		s.ExpectNotRouted(t, "md-doomed")
	},
}

func deleteModel(t *testing.T, s *Suite, ns, name string) {
	t.Helper()
	m := &v1alpha2.InferenceModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := s.Client.Delete(context.Background(), m); err != nil {
		t.Fatalf("deleting InferenceModel %s: %v", name, err)
	}
}

// expectSplit sends requests for modelName and checks that the share of
// each target (the rewrite header the backend saw) is within a statistical
// tolerance of its weight: the count of a target picked with probability p
// out of n is binomial, so it is held to n·p ± 5·sqrt(n·p·(1-p)), which a
// correct split misses about once in 1.7 million runs, while a split off by
// 10 points fails.
func expectSplit(t *testing.T, s *Suite, modelName string, weights map[string]float64) {
	t.Helper()
	counts, err := measureSplit(s, modelName)
	if err == nil {
		err = splitWithinTolerance(counts, splitRequests, weights)
	}
	if err != nil {
		t.Fatalf("split of %d requests for %s: %v", splitRequests, modelName, err)
	}
	t.Logf("split of %d requests for %s: %v matches %v", splitRequests, modelName, counts, weights)
}

// expectSplitEventually is expectSplit for a route the Gateway has just
// accepted: its data plane may still be loading it, so batches are measured
// until one has the split, within MaxTimeToConsistency.
func expectSplitEventually(t *testing.T, s *Suite, modelName string, weights map[string]float64) {
	t.Helper()
	var counts map[string]int
	err := poll(s.TimeoutConfig.MaxTimeToConsistency, func() (bool, error) {
		var err error
		if counts, err = measureSplit(s, modelName); err != nil {
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
func measureSplit(s *Suite, modelName string) (map[string]int, error) {
	counts := map[string]int{}
	client := &http.Client{Timeout: s.TimeoutConfig.RequestTimeout}
	body := s.modelRequest(modelName).Body
	for range splitRequests {
		target, err := sendForTarget(client, s, body, modelName)
		if err != nil {
			return nil, err
		}
		counts[target]++
	}
	return counts, nil
}

// traffic sends requests for one model name, one after another, until
// stopped, and keeps those that failed or went to an unexpected target.
type traffic struct {
	done     chan struct{}
	finished chan struct{}
	sent     int
	failures []error
}

func startTraffic(s *Suite, modelName string, targets ...string) *traffic {
	tr := &traffic{done: make(chan struct{}), finished: make(chan struct{})}
	client := &http.Client{Timeout: s.TimeoutConfig.RequestTimeout}
	body := s.modelRequest(modelName).Body
	go func() {
		defer close(tr.finished)
		for {
			select {
			case <-tr.done:
				return
			default:
			}
			target, err := sendForTarget(client, s, body, modelName)
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

// stop ends the traffic and returns how many requests were sent and the
// failures.
func (tr *traffic) stop() (int, []error) {
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

func sendForTarget(client *http.Client, s *Suite, body, modelName string) (string, error) {
	req, err := http.NewRequest("POST", "http://"+s.GatewayAddress+completionsPath, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set(s.ModelHeader, modelName)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var reply EchoReply
	if err := json.Unmarshal(raw, &reply); err != nil {
		return "", fmt.Errorf("not an echo reply: %v", err)
	}
	return http.Header(reply.Headers).Get(s.RewriteHeader), nil
}
