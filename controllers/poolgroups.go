package controllers

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/translate"
)

// kindGroup is one group of an input kind, from translate.InputKinds: how
// to read its objects and hand them to translate.
type kindGroup struct {
	translate.InputKind
}

func (g kindGroup) newObject() client.Object     { return g.NewObject() }
func (g kindGroup) newList() client.ObjectList   { return g.NewList() }
func (g kindGroup) gvk() schema.GroupVersionKind { return g.GroupVersionKind }

// addTo appends obj, of this group, to translate's input.
func (g kindGroup) addTo(in *translate.Input, obj client.Object) { g.AddTo(in, obj) }

// groupsOf are the groups of kind in translate.InputKinds.
func groupsOf(kind string) []kindGroup {
	var out []kindGroup
	for _, k := range translate.KindsOf(kind) {
		out = append(out, kindGroup{k})
	}
	return out
}

// kindGroupOf is kind in group, if translate.InputKinds has it.
func kindGroupOf(kind, group string) (kindGroup, bool) {
	for _, g := range groupsOf(kind) {
		if g.Group == group {
			return g, true
		}
	}
	return kindGroup{}, false
}

// poolGroups are the InferencePool groups modelroute reads, each watched
// only when its CRD is installed.
var poolGroups = groupsOf(translate.KindInferencePool)

// poolGroupOf returns the group named group, or nil.
func poolGroupOf(group string) *kindGroup {
	for i := range poolGroups {
		if poolGroups[i].Group == group {
			return &poolGroups[i]
		}
	}
	return nil
}
