package controllers

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// poolGroup is one InferencePool API group: how to read its pools and hand
// them to translate.
type poolGroup struct {
	group string
	// version is the version modelroute reads.
	version   string
	newObject func() client.Object
	// addTo appends a pool of this group to translate's input.
	addTo func(in *translate.Input, pool client.Object)
}

// poolGroups are the InferencePool groups modelroute reads, each watched
// only when its CRD is installed.
var poolGroups = []poolGroup{
	{
		group:     translate.GroupInferenceAlpha,
		version:   v1alpha2.GroupVersion.Version,
		newObject: func() client.Object { return &v1alpha2.InferencePool{} },
		addTo: func(in *translate.Input, pool client.Object) {
			in.AlphaPools = append(in.AlphaPools, *pool.(*v1alpha2.InferencePool))
		},
	},
	{
		group:     translate.GroupInferenceV1,
		version:   inferencev1.GroupVersion.Version,
		newObject: func() client.Object { return &inferencev1.InferencePool{} },
		addTo: func(in *translate.Input, pool client.Object) {
			in.V1Pools = append(in.V1Pools, *pool.(*inferencev1.InferencePool))
		},
	},
}

func (g poolGroup) gvk() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: g.group, Version: g.version, Kind: translate.KindInferencePool}
}

// poolGroupOf returns the group named group, or nil.
func poolGroupOf(group string) *poolGroup {
	for i := range poolGroups {
		if poolGroups[i].group == group {
			return &poolGroups[i]
		}
	}
	return nil
}
