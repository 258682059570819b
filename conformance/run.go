package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/pkg/features"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/internal/manifests"
)

// Test results in the report.
const (
	Passed  = "passed"
	Skipped = "skipped"
	Failed  = "failed"
)

// Report is an upstream ConformanceReport with modelroute's settings and a
// result, with the reason for a skip, for every test.
type Report struct {
	confv1.ConformanceReport `json:",inline"`
	BackendMode              string       `json:"backendMode"`
	SupportedFeatures        []string     `json:"supportedFeatures"`
	Tests                    []TestResult `json:"tests"`
}

// TestResult is one test's outcome.
type TestResult struct {
	Name     string   `json:"name"`
	Result   string   `json:"result"`
	Reason   string   `json:"reason,omitempty"`
	Features []string `json:"features,omitempty"`
}

// Run runs the tests as subtests of t, skipping (and reporting why) those
// whose features s does not support, and returns the report.
func Run(t *testing.T, s *Suite, tests []ConformanceTest) Report {
	results := make([]TestResult, 0, len(tests))
	for _, test := range tests {
		res := TestResult{Name: test.ShortName, Features: featureNames(test.Features)}
		if missing := s.missingFeatures(test.Features); len(missing) > 0 {
			res.Result, res.Reason = Skipped, "unsupported features: "+strings.Join(missing, ", ")
			t.Run(test.ShortName, func(t *testing.T) { t.Skip(res.Reason) })
			results = append(results, res)
			continue
		}
		passed := t.Run(test.ShortName, func(t *testing.T) {
			t.Logf("%s: %s", test.ShortName, test.Description)
			ns := s.namespace(t, test.ShortName)
			for _, m := range test.Manifests {
				s.ApplyManifest(t, ns, m)
			}
			test.Test(t, s, ns)
		})
		res.Result = Passed
		if !passed {
			res.Result = Failed
		}
		results = append(results, res)
	}
	return s.report(results)
}

func featureNames(fs []features.FeatureName) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

func (s *Suite) missingFeatures(needed []features.FeatureName) []string {
	if s.Backend == "inferencepool" {
		needed = append(slices.Clone(needed), SupportInferencePoolBackend)
	}
	var missing []string
	for _, f := range needed {
		if !s.SupportedFeatures.Has(f) {
			missing = append(missing, string(f))
		}
	}
	return missing
}

// namespace creates the test's namespace and deletes it afterwards.
func (s *Suite) namespace(t *testing.T, test string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "mr-" + strings.ToLower(test) + "-"}}
	ctx := context.Background()
	if err := s.Client.Create(ctx, ns); err != nil {
		t.Fatalf("creating the test namespace: %v", err)
	}
	t.Cleanup(func() { _ = s.Client.Delete(context.Background(), ns) })
	return ns.Name
}

// ExtraNamespace creates a second namespace for a test that needs two,
// and deletes it afterwards.
func (s *Suite) ExtraNamespace(t *testing.T, prefix string) string {
	t.Helper()
	return s.namespace(t, prefix)
}

// ApplyManifest server-side applies every object of the manifest name of
// s.ManifestFS into ns, after putting the Gateway in place of {{GATEWAY}}.
func (s *Suite) ApplyManifest(t *testing.T, ns, name string) {
	t.Helper()
	data, err := fs.ReadFile(s.ManifestFS, name)
	if err != nil {
		t.Fatalf("manifest %s: %v", name, err)
	}
	data = bytes.ReplaceAll(data, []byte("{{GATEWAY}}"), []byte(s.Gateway.String()))
	objs, err := manifests.Objects(data)
	if err != nil {
		t.Fatalf("manifest %s: %v", name, err)
	}
	for _, obj := range objs {
		obj.SetNamespace(ns)
	}
	if err := manifests.Apply(context.Background(), s.Client, objs, "modelroute-conformance", true); err != nil {
		t.Fatalf("manifest %s: %v", name, err)
	}
}

func (s *Suite) report(results []TestResult) Report {
	core := confv1.Status{Result: confv1.Success}
	extended := &confv1.ExtendedStatus{Status: confv1.Status{Result: confv1.Success}}
	for _, r := range results {
		status := &core
		if len(r.Features) > 0 {
			status = &extended.Status
		}
		switch r.Result {
		case Passed:
			status.Statistics.Passed++
		case Skipped:
			status.Statistics.Skipped++
			status.SkippedTests = append(status.SkippedTests, r.Name)
		case Failed:
			status.Statistics.Failed++
			status.FailedTests = append(status.FailedTests, r.Name)
			status.Result = confv1.Failure
		}
	}
	supported := make([]string, 0, s.SupportedFeatures.Len())
	for f := range s.SupportedFeatures {
		supported = append(supported, string(f))
	}
	slices.Sort(supported)
	extended.SupportedFeatures = supported
	report := Report{
		ConformanceReport: confv1.ConformanceReport{
			TypeMeta:          metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "ConformanceReport"},
			Implementation:    s.Implementation,
			Date:              time.Now().UTC().Format(time.RFC3339),
			GatewayAPIVersion: "v1.6.3",
			GatewayAPIChannel: "standard",
			Mode:              s.Mode,
			ProfileReports: []confv1.ProfileReport{{
				Name:     "modelroute-HTTP",
				Summary:  fmt.Sprintf("core: %d passed, %d failed; extended: %d passed, %d failed, %d skipped", core.Statistics.Passed, core.Statistics.Failed, extended.Statistics.Passed, extended.Statistics.Failed, extended.Statistics.Skipped),
				Core:     core,
				Extended: extended,
			}},
		},
		BackendMode:       string(s.Backend),
		SupportedFeatures: supported,
		Tests:             results,
	}
	return report
}

// WriteReport writes the report as YAML to path.
func WriteReport(path string, r Report) error {
	data, err := yaml.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
