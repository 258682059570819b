package translate_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/modelroute/modelroute/translate"
)

// The registry: one entry per group, version and kind; each entry's Go
// types are its scheme's for that kind; AddTo puts one object in Input,
// saying its group.
func TestInputKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range translate.InputKinds {
		if seen[k.GroupVersionKind.String()] {
			t.Errorf("%s twice", k.GroupVersionKind)
		}
		seen[k.GroupVersionKind.String()] = true
		scheme := runtime.NewScheme()
		if err := k.AddToScheme(scheme); err != nil {
			t.Fatal(err)
		}
		for _, obj := range []runtime.Object{k.NewObject(), k.NewList()} {
			gvks, _, err := scheme.ObjectKinds(obj)
			if err != nil || len(gvks) != 1 || gvks[0].GroupVersion() != k.GroupVersion() {
				t.Errorf("%s: %T is %v in its scheme (%v)", k.GroupVersionKind, obj, gvks, err)
			}
		}
		var in translate.Input
		k.AddTo(&in, k.NewObject())
		added := len(in.Models) + len(in.AlphaPools) + len(in.V1Pools) + len(in.Rewrites) + len(in.Objectives)
		if added != 1 {
			t.Errorf("%s: AddTo added %d objects", k.GroupVersionKind, added)
		}
		for _, apiVersion := range []string{rewriteAPIVersion(in), objectiveAPIVersion(in)} {
			if apiVersion != "" && apiVersion != k.GroupVersion().String() {
				t.Errorf("%s: added with apiVersion %q", k.GroupVersionKind, apiVersion)
			}
		}
	}
	for kind, groups := range map[string]int{"InferencePool": 2, "InferenceModel": 1, "InferenceModelRewrite": 2, "InferenceObjective": 2} {
		if n := len(translate.KindsOf(kind)); n != groups {
			t.Errorf("%s: %d groups, want %d", kind, n, groups)
		}
	}
}

func rewriteAPIVersion(in translate.Input) string {
	if len(in.Rewrites) == 0 {
		return ""
	}
	return in.Rewrites[0].APIVersion
}

func objectiveAPIVersion(in translate.Input) string {
	if len(in.Objectives) == 0 {
		return ""
	}
	return in.Objectives[0].APIVersion
}

// TestPoolGroupOf: a poolRef without a group names InferenceModel's own
// group from a model, and the v1 group from its successors (their CRDs'
// default); a group written out is kept.
func TestPoolGroupOf(t *testing.T) {
	for _, tc := range []struct{ kind, group, want string }{
		{"InferenceModel", "", alphaGroup},
		{"InferenceModelRewrite", "", v1Group},
		{"InferenceObjective", "", v1Group},
		{"InferenceModel", v1Group, v1Group},
		{"InferenceModelRewrite", alphaGroup, alphaGroup},
	} {
		if got := translate.PoolGroupOf(tc.kind, tc.group); got != tc.want {
			t.Errorf("PoolGroupOf(%q, %q) = %q; want %q", tc.kind, tc.group, got, tc.want)
		}
	}
}
