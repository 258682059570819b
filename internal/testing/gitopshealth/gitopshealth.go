// Package gitopshealth judges an InferenceModel, InferenceModelRewrite or
// InferenceObjective,
// the way GitOps tools do,
// each through the library the tool itself runs: kstatus (Flux's default
// health check, `kubectl wait`), Flux's CEL evaluator with the
// healthCheckExprs modelroute ships, and the Lua health script modelroute
// ships for Argo CD, run by gopher-lua under Argo CD's contract.
package gitopshealth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fluxcd/pkg/apis/kustomize"
	fluxcel "github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

// The shipped files, relative to the repository's root.
const (
	FluxKustomizationPath = "config/flux/kustomization.yaml"
	ArgoCDDir             = "config/argocd/resource_customizations/inference.networking.x-k8s.io/InferenceModel"
	ArgoCDConfigMapPath   = "config/argocd/argocd-cm.yaml"
)

// Target is a kind the shipped checks cover: its Flux healthCheckExprs
// entry and its Argo CD health script.
type Target struct {
	APIVersion, Kind string
	// ArgoCDDir holds health.lua, relative to the repository's root.
	ArgoCDDir string
}

// ArgoCDHealthKey is the argocd-cm key of the target's health script.
func (t Target) ArgoCDHealthKey() string {
	group, _, _ := strings.Cut(t.APIVersion, "/")
	return "resource.customizations.health." + group + "_" + t.Kind
}

// Targets are the kinds the shipped checks cover: InferenceModel, and
// InferenceModelRewrite and InferenceObjective in both their groups.
var Targets = []Target{
	{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferenceModel", ArgoCDDir: ArgoCDDir},
	{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferenceModelRewrite",
		ArgoCDDir: "config/argocd/resource_customizations/inference.networking.x-k8s.io/InferenceModelRewrite"},
	{APIVersion: "llm-d.ai/v1alpha2", Kind: "InferenceModelRewrite",
		ArgoCDDir: "config/argocd/resource_customizations/llm-d.ai/InferenceModelRewrite"},
	{APIVersion: "inference.networking.x-k8s.io/v1alpha2", Kind: "InferenceObjective",
		ArgoCDDir: "config/argocd/resource_customizations/inference.networking.x-k8s.io/InferenceObjective"},
	{APIVersion: "llm-d.ai/v1alpha2", Kind: "InferenceObjective",
		ArgoCDDir: "config/argocd/resource_customizations/llm-d.ai/InferenceObjective"},
}

// Checks are the health checks modelroute ships, loaded from a checkout.
type Checks struct {
	flux      *fluxcel.StatusEvaluator
	argoCDLua string
}

// Load reads the shipped checks of InferenceModels from the repository at
// root.
func Load(root string) (*Checks, error) { return LoadFor(root, Targets[0]) }

// LoadFor reads the shipped checks of target from the repository at root.
func LoadFor(root string, target Target) (*Checks, error) {
	exprs, err := FluxExpressions(filepath.Join(root, FluxKustomizationPath), target.APIVersion, target.Kind)
	if err != nil {
		return nil, err
	}
	flux, err := fluxcel.NewStatusEvaluator(exprs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FluxKustomizationPath, err)
	}
	script, err := os.ReadFile(filepath.Join(root, target.ArgoCDDir, "health.lua"))
	if err != nil {
		return nil, err
	}
	return &Checks{flux: flux, argoCDLua: string(script)}, nil
}

// FluxExpressions returns the entry of healthCheckExprs for apiVersion and
// kind in the Flux Kustomization at path.
func FluxExpressions(path, apiVersion, kind string) (*kustomize.HealthCheckExpressions, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k struct {
		Spec struct {
			HealthCheckExprs []kustomize.CustomHealthCheck `json:"healthCheckExprs"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, hc := range k.Spec.HealthCheckExprs {
		if hc.APIVersion == apiVersion && hc.Kind == kind {
			return &hc.HealthCheckExpressions, nil
		}
	}
	return nil, fmt.Errorf("%s: no healthCheckExprs entry for %s %s", path, apiVersion, kind)
}

// Verdicts is what each tool makes of one object.
type Verdicts struct {
	// Kstatus is status.Compute's result.
	Kstatus *status.Result
	// Flux is the result of Flux's CEL evaluator with the shipped
	// expressions.
	Flux *status.Result
	// ArgoCD is the shipped Lua script's result.
	ArgoCD ArgoCDHealth
}

// Judge runs every check on obj.
func (c *Checks) Judge(ctx context.Context, obj *unstructured.Unstructured) (Verdicts, error) {
	var v Verdicts
	var err error
	if v.Kstatus, err = status.Compute(obj.DeepCopy()); err != nil {
		return v, fmt.Errorf("kstatus: %w", err)
	}
	flux, err := c.flux.Evaluate(ctx, obj.DeepCopy())
	if err != nil {
		return v, fmt.Errorf("flux: %w", err)
	}
	// Flux's evaluator returns its vendored kstatus's Result; the status
	// names are the same strings.
	v.Flux = &status.Result{Status: status.Status(flux.Status), Message: flux.Message}
	if v.ArgoCD, err = RunArgoCDHealth(ctx, c.argoCDLua, obj.Object); err != nil {
		return v, fmt.Errorf("argo cd: %w", err)
	}
	return v, nil
}
