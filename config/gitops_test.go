package config

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/internal/testing/gitopshealth"
)

// The checks' agreed meaning: what Argo CD calls each kstatus verdict.
var argoCDFor = map[status.Status]string{
	status.CurrentStatus:    "Healthy",
	status.InProgressStatus: "Progressing",
	status.FailedStatus:     "Degraded",
}

// TestArgoCDHealthCases runs health.lua on its testdata, as Argo CD's own
// resource customization tests do: each case of health_test.yaml gives
// the health it names. The testdata are InferenceModels as the control
// plane returned them (controllers' TestGitOpsHealth writes and checks
// them); Flux's expressions must agree with the script on each.
func TestArgoCDHealthCases(t *testing.T) {
	checks, err := gitopshealth.Load("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", gitopshealth.ArgoCDDir)
	data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var index gitopshealth.ArgoCDTests
	if err := yaml.UnmarshalStrict(data, &index); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	verdicts := map[string]bool{}
	for _, tc := range index.Tests {
		listed = append(listed, filepath.Join(dir, tc.InputPath))
		verdicts[tc.HealthStatus.Status] = true
		t.Run(tc.InputPath, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.InputPath))
			if err != nil {
				t.Fatal(err)
			}
			// As the API server's JSON: whole numbers are int64.
			data, err = yaml.YAMLToJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			obj := &unstructured.Unstructured{}
			if err := obj.UnmarshalJSON(data); err != nil {
				t.Fatal(err)
			}
			got, err := checks.Judge(context.Background(), obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.HealthStatus, got.ArgoCD); diff != "" {
				t.Errorf("health.lua (-want +got):\n%s", diff)
			}
			if argo := argoCDFor[got.Flux.Status]; argo != got.ArgoCD.Status {
				t.Errorf("Flux's expressions say %s, Argo CD's script %s", got.Flux.Status, got.ArgoCD.Status)
			}
		})
	}
	slices.Sort(listed)
	if diff := cmp.Diff(files, listed); diff != "" {
		t.Errorf("testdata files and the cases of health_test.yaml (-files +cases):\n%s", diff)
	}
	for _, want := range []string{"Healthy", "Progressing", "Degraded"} {
		if !verdicts[want] {
			t.Errorf("no case is %s", want)
		}
	}
}

// TestArgoCDConfigMapHoldsTheScript: the argocd-cm snippet carries each
// health.lua as it is, under its kind's key, and every target's checks
// load.
func TestArgoCDConfigMapHoldsTheScript(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", gitopshealth.ArgoCDConfigMapPath))
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		t.Fatal(err)
	}
	for _, target := range gitopshealth.Targets {
		script, err := os.ReadFile(filepath.Join("..", target.ArgoCDDir, "health.lua"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(script), cm.Data[target.ArgoCDHealthKey()]); diff != "" {
			t.Errorf("argocd-cm's %s differs from health.lua (-health.lua +argocd-cm):\n%s", target.ArgoCDHealthKey(), diff)
		}
		if _, err := gitopshealth.LoadFor("..", target); err != nil {
			t.Errorf("%s %s: %v", target.APIVersion, target.Kind, err)
		}
	}
	if len(cm.Data) != len(gitopshealth.Targets) {
		t.Errorf("argocd-cm holds %d keys; want one per target (%d)", len(cm.Data), len(gitopshealth.Targets))
	}
}
