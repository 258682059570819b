package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Drift reports whether a live child must be written to match the desired
// one. Both are manifests (see Manifest): no status, defaults written out.
type Drift func(desired, live *unstructured.Unstructured) bool

// SpecDrifted is the Drift of routes: the spec must be equal, so that a
// field added by hand anywhere in it is drift to repair; and see
// MetadataDrifted. A live object annotated with AnnotationSpecDigest is
// compared by that digest, not by its spec.
func SpecDrifted(desired, live *unstructured.Unstructured) bool {
	if digest, ok := live.GetAnnotations()[AnnotationSpecDigest]; ok {
		return digest == "" || SpecDigest(desired) != digest || MetadataDrifted(desired, live)
	}
	return !equality.Semantic.DeepEqual(desired.Object["spec"], live.Object["spec"]) || MetadataDrifted(desired, live)
}

// AnnotationSpecDigest is set, on a copy of a live object kept in memory
// only (the controller's cache, which drops the spec to save memory), to
// the SpecDigest of the object's manifest.
const AnnotationSpecDigest = AnnotationPrefix + "spec-digest"

// SpecDigest is the SHA-256 of the JSON of a manifest's spec (see
// Manifest), without its null, empty-list and empty-object fields: specs
// that SpecDrifted finds equal (its comparison takes nil and empty for the
// same) give equal digests, since JSON objects have their keys sorted. It
// is empty when the spec has no JSON form.
func SpecDigest(manifest *unstructured.Unstructured) string {
	data, err := json.Marshal(withoutEmpty(manifest.Object["spec"]))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// withoutEmpty is v without the fields of its objects, at any depth, whose
// value is null, [] or {} (once their own fields are dropped).
func withoutEmpty(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e = withoutEmpty(e); !isEmpty(e) {
				out[k] = e
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutEmpty(e)
		}
		return out
	}
	return v
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
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
