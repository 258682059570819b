package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ConditionMetrics exports how many InferenceModels have each condition
// (type, status, reason), computed at scrape time from the last status the
// reconciler saw for each model.
type ConditionMetrics struct {
	mu     sync.Mutex
	models map[types.NamespacedName][]conditionKey
	desc   *prometheus.Desc
}

// conditionKey is what the metric counts of a condition; keeping only this
// (not the message) keeps the collector small with many models.
type conditionKey struct{ t, s, r string }

// NewConditionMetrics returns an empty collector; register it once.
func NewConditionMetrics() *ConditionMetrics {
	return &ConditionMetrics{
		models: map[types.NamespacedName][]conditionKey{},
		desc: prometheus.NewDesc("modelroute_inference_models",
			"InferenceModels by condition type, status and reason.",
			[]string{"type", "status", "reason"}, nil),
	}
}

// Set records a model's current conditions.
func (m *ConditionMetrics) Set(key types.NamespacedName, conditions []metav1.Condition) {
	keys := make([]conditionKey, len(conditions))
	for i, c := range conditions {
		keys[i] = conditionKey{c.Type, string(c.Status), c.Reason}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.models[key] = keys
}

// Forget drops a deleted model.
func (m *ConditionMetrics) Forget(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.models, key)
}

// Describe implements prometheus.Collector.
func (m *ConditionMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

// Collect implements prometheus.Collector.
func (m *ConditionMetrics) Collect(ch chan<- prometheus.Metric) {
	counts := map[conditionKey]int{}
	m.mu.Lock()
	for _, keys := range m.models {
		for _, k := range keys {
			counts[k]++
		}
	}
	m.mu.Unlock()
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, float64(n), k.t, k.s, k.r)
	}
}
