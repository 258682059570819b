package translate

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
)

// Object is an API object: what the controller's client reads.
type Object interface {
	metav1.Object
	runtime.Object
}

// ObjectList is a list of API objects.
type ObjectList interface {
	metav1.ListInterface
	runtime.Object
}

// InputKind is one kind of object translate reads, in one group: its
// Go types and where its objects go in an Input. InputKinds is the one
// table of them, which render, migrate, the controller and the demo read.
type InputKind struct {
	schema.GroupVersionKind
	NewObject func() Object
	NewList   func() ObjectList
	// AddTo appends obj, one of NewObject's, to in (a successor of the
	// llm-d.ai group as the legacy group's Go type, its apiVersion kept).
	AddTo       func(in *Input, obj runtime.Object)
	AddToScheme func(*runtime.Scheme) error
	// DefaultPoolGroup is the group a poolRef of this kind names when it
	// leaves the group out; empty for the pools themselves.
	DefaultPoolGroup string
}

// InputKinds are the kinds translate reads, pools first.
var InputKinds = []InputKind{
	{
		GroupVersionKind: v1alpha2.GroupVersion.WithKind(KindInferencePool),
		NewObject:        func() Object { return &v1alpha2.InferencePool{} },
		NewList:          func() ObjectList { return &v1alpha2.InferencePoolList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			in.AlphaPools = append(in.AlphaPools, *obj.(*v1alpha2.InferencePool))
		},
		AddToScheme: v1alpha2.AddToScheme,
	},
	{
		GroupVersionKind: inferencev1.GroupVersion.WithKind(KindInferencePool),
		NewObject:        func() Object { return &inferencev1.InferencePool{} },
		NewList:          func() ObjectList { return &inferencev1.InferencePoolList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			in.V1Pools = append(in.V1Pools, *obj.(*inferencev1.InferencePool))
		},
		AddToScheme: inferencev1.AddToScheme,
	},
	{
		GroupVersionKind: v1alpha2.GroupVersion.WithKind("InferenceModel"),
		DefaultPoolGroup: GroupInferenceAlpha,
		NewObject:        func() Object { return &v1alpha2.InferenceModel{} },
		NewList:          func() ObjectList { return &v1alpha2.InferenceModelList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			in.Models = append(in.Models, *obj.(*v1alpha2.InferenceModel))
		},
		AddToScheme: v1alpha2.AddToScheme,
	},
	{
		GroupVersionKind: v1alpha2.GroupVersion.WithKind(KindInferenceModelRewrite),
		DefaultPoolGroup: GroupInferenceV1,
		NewObject:        func() Object { return &v1alpha2.InferenceModelRewrite{} },
		NewList:          func() ObjectList { return &v1alpha2.InferenceModelRewriteList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			rw := *obj.(*v1alpha2.InferenceModelRewrite)
			rw.APIVersion = v1alpha2.GroupVersion.String()
			in.Rewrites = append(in.Rewrites, rw)
		},
		AddToScheme: v1alpha2.AddToScheme,
	},
	{
		GroupVersionKind: llmdv1alpha2.GroupVersion.WithKind(KindInferenceModelRewrite),
		DefaultPoolGroup: GroupInferenceV1,
		NewObject:        func() Object { return &llmdv1alpha2.InferenceModelRewrite{} },
		NewList:          func() ObjectList { return &llmdv1alpha2.InferenceModelRewriteList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			rw := RewriteFromLLMD(obj.(*llmdv1alpha2.InferenceModelRewrite))
			rw.APIVersion = llmdv1alpha2.GroupVersion.String()
			in.Rewrites = append(in.Rewrites, rw)
		},
		AddToScheme: llmdv1alpha2.AddToScheme,
	},
	{
		GroupVersionKind: v1alpha2.GroupVersion.WithKind(KindInferenceObjective),
		DefaultPoolGroup: GroupInferenceV1,
		NewObject:        func() Object { return &v1alpha2.InferenceObjective{} },
		NewList:          func() ObjectList { return &v1alpha2.InferenceObjectiveList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			o := *obj.(*v1alpha2.InferenceObjective)
			o.APIVersion = v1alpha2.GroupVersion.String()
			in.Objectives = append(in.Objectives, o)
		},
		AddToScheme: v1alpha2.AddToScheme,
	},
	{
		GroupVersionKind: llmdv1alpha2.GroupVersion.WithKind(KindInferenceObjective),
		DefaultPoolGroup: GroupInferenceV1,
		NewObject:        func() Object { return &llmdv1alpha2.InferenceObjective{} },
		NewList:          func() ObjectList { return &llmdv1alpha2.InferenceObjectiveList{} },
		AddTo: func(in *Input, obj runtime.Object) {
			o := ObjectiveFromLLMD(obj.(*llmdv1alpha2.InferenceObjective))
			o.APIVersion = llmdv1alpha2.GroupVersion.String()
			in.Objectives = append(in.Objectives, o)
		},
		AddToScheme: llmdv1alpha2.AddToScheme,
	},
}

// PoolGroupOf is the group of a poolRef of kind whose group is group:
// group, or kind's default when it is empty. InferenceModel's default is
// its own group; its successors' is the v1 group.
func PoolGroupOf(kind, group string) string {
	if group != "" {
		return group
	}
	for _, k := range KindsOf(kind) {
		if k.DefaultPoolGroup != "" {
			return k.DefaultPoolGroup
		}
	}
	return ""
}

// KindsOf are the InputKinds of kind, in InputKinds' order.
func KindsOf(kind string) []InputKind {
	var out []InputKind
	for _, k := range InputKinds {
		if k.Kind == kind {
			out = append(out, k)
		}
	}
	return out
}

// InputKindOf returns the InputKind of gvk, or false.
func InputKindOf(gvk schema.GroupVersionKind) (InputKind, bool) {
	for _, k := range InputKinds {
		if k.GroupVersionKind == gvk {
			return k, true
		}
	}
	return InputKind{}, false
}

// isPoolGroup reports whether InputKinds has InferencePools of group.
func isPoolGroup(group string) bool {
	for _, k := range KindsOf(KindInferencePool) {
		if k.Group == group {
			return true
		}
	}
	return false
}
