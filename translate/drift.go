package translate

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Drift reports whether a live child must be written to match the desired
// one. Both are manifests (see Manifest): no status, defaults written out.
type Drift func(desired, live *unstructured.Unstructured) bool

// SpecDrifted is the Drift of routes: the spec must be equal, so that a
// field added by hand anywhere in it is drift to repair; and see
// MetadataDrifted.
func SpecDrifted(desired, live *unstructured.Unstructured) bool {
	return !equality.Semantic.DeepEqual(desired.Object["spec"], live.Object["spec"]) || MetadataDrifted(desired, live)
}

// SetFieldsDrifted is the Drift of shadow Services: every top-level spec
// field modelroute sets must have exactly its value (a selector key or a
// port it no longer sets is drift too), while the fields the API server
// fills in (a Service's clusterIPs, ipFamilies…) are not compared; and see
// MetadataDrifted.
func SetFieldsDrifted(desired, live *unstructured.Unstructured) bool {
	want, _ := desired.Object["spec"].(map[string]any)
	have, _ := live.Object["spec"].(map[string]any)
	for k, v := range want {
		if !equality.Semantic.DeepEqual(v, have[k]) {
			return true
		}
	}
	return MetadataDrifted(desired, live)
}

// MetadataDrifted reports a missing or changed label of desired's, or a
// missing ownerReference of desired's; other labels and owners are not
// modelroute's.
func MetadataDrifted(desired, live *unstructured.Unstructured) bool {
	labels := live.GetLabels()
	for k, v := range desired.GetLabels() {
		if labels[k] != v {
			return true
		}
	}
	for _, want := range desired.GetOwnerReferences() {
		found := false
		for _, have := range live.GetOwnerReferences() {
			found = found || equality.Semantic.DeepEqual(want, have)
		}
		if !found {
			return true
		}
	}
	return false
}
