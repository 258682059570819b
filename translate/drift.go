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

// OwnedRouteFields are the fields of a route's spec modelroute sets and
// owns; other managers' fields (say, spec.useDefaultGateways) are theirs.
var OwnedRouteFields = []string{"parentRefs", "hostnames", "rules"}

// SpecDrifted is the Drift of routes: the spec fields modelroute owns
// (OwnedRouteFields) must be equal, so that a hand edit anywhere in them is
// drift to repair, while a field another manager added is not; and see
// MetadataDrifted. live is the manifest of a live route, or of the copy the
// controller's cache keeps, which has no rules and carries the SpecDigest
// of the live spec in AnnotationSpecDigest instead. A route the API server
// returns always has rules (it defaults them), so the annotation is only
// read on such a copy: set on a live route, it changes nothing.
func SpecDrifted(desired, live *unstructured.Unstructured) bool {
	have := SpecDigest(live)
	if rules, _, _ := unstructured.NestedSlice(live.Object, "spec", "rules"); len(rules) == 0 {
		if digest, ok := live.GetAnnotations()[AnnotationSpecDigest]; ok {
			have = digest
		}
	}
	return have == "" || have != SpecDigest(desired) || MetadataDrifted(desired, live)
}

// AnnotationSpecDigest is set, on a copy of a live route kept in memory
// only (the controller's cache, which drops the rules to save memory), to
// the SpecDigest of the route's manifest.
const AnnotationSpecDigest = AnnotationPrefix + "spec-digest"

// SpecDigest is the SHA-256 of the JSON of the OwnedRouteFields of a
// manifest's spec, without their null, empty-list and empty-object fields:
// specs whose owned fields are equal but for fields left empty give equal
// digests, since JSON objects have their keys sorted. It is empty when the
// spec has no JSON form.
func SpecDigest(manifest *unstructured.Unstructured) string {
	spec, _ := manifest.Object["spec"].(map[string]any)
	owned := make(map[string]any, len(OwnedRouteFields))
	for _, f := range OwnedRouteFields {
		owned[f] = spec[f]
	}
	data, err := json.Marshal(withoutEmpty(owned))
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
