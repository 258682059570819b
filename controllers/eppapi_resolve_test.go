package controllers

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// servingMapper is a RESTMapper that serves kinds, each as
// "group/version/Kind".
func servingMapper(kinds ...string) meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range kinds {
		parts := strings.Split(k, "/")
		m.Add(schema.GroupVersionKind{Group: parts[0], Version: parts[1], Kind: parts[2]}, meta.RESTScopeNamespace)
	}
	return m
}

// TestResolveEPPAPI: --epp-api=auto picks llm-d.ai when the cluster serves
// both successor kinds there, else the legacy group; a group that serves
// one kind only, or none, is refused at start with the reason.
func TestResolveEPPAPI(t *testing.T) {
	llmd := []string{"llm-d.ai/v1alpha2/InferenceModelRewrite", "llm-d.ai/v1alpha2/InferenceObjective"}
	legacy := []string{"inference.networking.x-k8s.io/v1alpha2/InferenceModelRewrite", "inference.networking.x-k8s.io/v1alpha2/InferenceObjective"}
	for _, tc := range []struct {
		name, value string
		served      []string
		want        string
		wantErr     []string
	}{
		{"auto, both groups", "auto", append(llmd, legacy...), "llm-d.ai", nil},
		{"auto, legacy only", "auto", legacy, "inference.networking.x-k8s.io", nil},
		{"auto, llm-d.ai without objectives", "auto", append(llmd[:1:1], legacy...), "inference.networking.x-k8s.io", nil},
		{"explicit legacy group with both served", "inference.networking.x-k8s.io", append(llmd, legacy...), "inference.networking.x-k8s.io", nil},
		{"auto, none", "auto", nil, "", []string{"--epp-api=auto", "InferenceModelRewrite CRD (group llm-d.ai) is not installed",
			"InferenceObjective CRD (group inference.networking.x-k8s.io) is not installed"}},
		{"explicit llm-d.ai, not served", "llm-d.ai", legacy, "", []string{"--epp-api=llm-d.ai", "group llm-d.ai) is not installed"}},
		{"unknown group", "example.com", llmd, "", []string{"--epp-api=example.com", "want llm-d.ai"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveEPPAPI(servingMapper(tc.served...), tc.value)
			if got != tc.want {
				t.Errorf("group %q; want %q", got, tc.want)
			}
			if (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("error %v; want one: %v", err, tc.wantErr != nil)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
