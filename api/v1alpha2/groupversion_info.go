// Package v1alpha2 holds the inference.networking.x-k8s.io/v1alpha2 types that
// modelroute reads: InferenceModel and InferencePool, matching the Gateway API
// Inference Extension v0.5.1 schema.
//
// +kubebuilder:object:generate=true
// +groupName=inference.networking.x-k8s.io
package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every type in this package.
var GroupVersion = schema.GroupVersion{Group: "inference.networking.x-k8s.io", Version: "v1alpha2"}

var (
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme registers this package's types with a scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&InferenceModel{}, &InferenceModelList{},
		&InferencePool{}, &InferencePoolList{},
		&InferenceModelRewrite{}, &InferenceModelRewriteList{},
		&InferenceObjective{}, &InferenceObjectiveList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
