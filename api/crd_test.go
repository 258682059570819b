package api_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// referenceDir holds the upstream CRDs our generated ones must match (see
// its README for their origin and versions).
const referenceDir = "testdata/upstream"

var crdFiles = []string{
	"inference.networking.x-k8s.io_inferencemodels.yaml",
	"inference.networking.x-k8s.io_inferencepools.yaml",
	"inference.networking.k8s.io_inferencepools.yaml",
	"inference.networking.x-k8s.io_inferencemodelrewrites.yaml",
	"inference.networking.x-k8s.io_inferenceobjectives.yaml",
	"llm-d.ai_inferencemodelrewrites.yaml",
	"llm-d.ai_inferenceobjectives.yaml",
}

// TestGeneratedCRDsMatchReference proves that the CRDs controller-gen makes
// from our Go types are the upstream ones in all but description text.
func TestGeneratedCRDsMatchReference(t *testing.T) {
	for _, name := range crdFiles {
		t.Run(name, func(t *testing.T) {
			want := readCRD(t, filepath.Join(referenceDir, name))
			got := readCRD(t, filepath.Join("..", "config", "crd", "bases", name))
			if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
				t.Errorf("generated CRD differs from reference (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.Name, got.Name); diff != "" {
				t.Errorf("CRD name (-want +got):\n%s", diff)
			}
			// Protected groups (*.k8s.io) need the approval annotation or the
			// API server refuses the CRD.
			const approval = "api-approved.kubernetes.io"
			if diff := cmp.Diff(want.Annotations[approval], got.Annotations[approval]); diff != "" {
				t.Errorf("annotation %s (-want +got):\n%s", approval, diff)
			}
		})
	}
}

func readCRD(t *testing.T, path string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for i := range crd.Spec.Versions {
		if s := crd.Spec.Versions[i].Schema; s != nil && s.OpenAPIV3Schema != nil {
			dropDescriptions(s.OpenAPIV3Schema)
		}
	}
	return crd
}

// dropDescriptions clears every description in a schema: prose may differ,
// everything else must not.
func dropDescriptions(s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	s.Description = ""
	for k, p := range s.Properties {
		dropDescriptions(&p)
		s.Properties[k] = p
	}
	if s.Items != nil {
		dropDescriptions(s.Items.Schema)
		for i := range s.Items.JSONSchemas {
			dropDescriptions(&s.Items.JSONSchemas[i])
		}
	}
	if s.AdditionalProperties != nil {
		dropDescriptions(s.AdditionalProperties.Schema)
	}
	for _, list := range [][]apiextensionsv1.JSONSchemaProps{s.AllOf, s.OneOf, s.AnyOf} {
		for i := range list {
			dropDescriptions(&list[i])
		}
	}
	dropDescriptions(s.Not)
}
