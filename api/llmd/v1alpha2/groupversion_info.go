// Package v1alpha2 holds the successor kinds of InferenceModel under
// llm-d-router's group (llm-d.ai, since llm-d-router v0.9.0). They reuse
// the legacy group's types: the schemas of llm-d-router v0.10.0 differ from
// GIE v1.5.0's only in the group and in the format of an objective's
// priority (int32 here).
//
// +kubebuilder:object:generate=true
// +groupName=llm-d.ai
package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every type in this package.
var GroupVersion = schema.GroupVersion{Group: "llm-d.ai", Version: "v1alpha2"}

var (
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme registers this package's types with a scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&InferenceModelRewrite{}, &InferenceModelRewriteList{},
		&InferenceObjective{}, &InferenceObjectiveList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
