package translate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/modelroute/modelroute/translate"
)

func TestDrift(t *testing.T) {
	object := func(labels map[string]any, owners []any, spec map[string]any) *unstructured.Unstructured {
		metadata := map[string]any{"name": "x", "namespace": "ns"}
		if labels != nil {
			metadata["labels"] = labels
		}
		if owners != nil {
			metadata["ownerReferences"] = owners
		}
		return &unstructured.Unstructured{Object: map[string]any{"metadata": metadata, "spec": spec}}
	}
	ours := map[string]any{"app.kubernetes.io/managed-by": "modelroute"}
	owner := map[string]any{"apiVersion": "v1", "kind": "K", "name": "o", "uid": "u1", "controller": true}
	other := map[string]any{"apiVersion": "v1", "kind": "K", "name": "p", "uid": "u2"}
	spec := map[string]any{"rules": []any{"r1"}, "parentRefs": []any{"gw"}}
	desired := object(ours, []any{owner}, spec)
	// digested is obj as the controller's cache keeps a route: the digest
	// of a spec instead of the spec.
	digested := func(obj *unstructured.Unstructured, digestOf map[string]any) *unstructured.Unstructured {
		out := obj.DeepCopy()
		delete(out.Object, "spec")
		out.SetAnnotations(map[string]string{translate.AnnotationSpecDigest: translate.SpecDigest(object(nil, nil, digestOf))})
		return out
	}
	type drift struct{ Spec, SetFields, Metadata bool }
	for _, tc := range []struct {
		name string
		live *unstructured.Unstructured
		want drift
	}{
		{"equal", object(ours, []any{owner}, spec), drift{}},
		{"another manager's label and owner are not ours",
			object(map[string]any{"app.kubernetes.io/managed-by": "modelroute", "team": "a"}, []any{other, owner}, spec), drift{}},
		{"our label changed", object(map[string]any{"app.kubernetes.io/managed-by": "someone"}, []any{owner}, spec),
			drift{true, true, true}},
		{"our label missing", object(nil, []any{owner}, spec), drift{true, true, true}},
		{"our owner missing", object(ours, []any{other}, spec), drift{true, true, true}},
		{"a field we set has another value", object(ours, []any{owner}, map[string]any{"rules": []any{"r2"}, "parentRefs": []any{"gw"}}),
			drift{true, true, false}},
		{"a field we do not own was added (a server default, another manager's field)", object(ours, []any{owner},
			map[string]any{"rules": []any{"r1"}, "parentRefs": []any{"gw"}, "useDefaultGateways": "All"}),
			drift{false, false, false}},
		{"hostnames, which we own, were added", object(ours, []any{owner},
			map[string]any{"rules": []any{"r1"}, "parentRefs": []any{"gw"}, "hostnames": []any{"h.example.com"}}),
			drift{true, false, false}},
		// A live route always has rules (the API server defaults them):
		// the digest annotation counts only on the cache's copy, which has
		// none.
		{"a digest annotation on a live route changes nothing", func() *unstructured.Unstructured {
			o := object(ours, []any{owner}, map[string]any{"rules": []any{"edited"}, "parentRefs": []any{"gw"}})
			o.SetAnnotations(map[string]string{translate.AnnotationSpecDigest: translate.SpecDigest(desired)})
			return o
		}(), drift{true, true, false}},
		{"a field we set is missing", object(ours, []any{owner}, map[string]any{"rules": []any{"r1"}}),
			drift{true, true, false}},
		// Services are never digested: SetFields sees no spec.
		{"the digest of the same spec", digested(object(ours, []any{owner}, nil), spec), drift{false, true, false}},
		{"the digest of the same spec, keys in another order", digested(object(ours, []any{owner}, nil),
			map[string]any{"parentRefs": []any{"gw"}, "rules": []any{"r1"}}), drift{false, true, false}},
		{"the digest of the same spec with null and empty fields", digested(object(ours, []any{owner}, nil),
			map[string]any{"rules": []any{"r1"}, "parentRefs": []any{"gw"}, "hostnames": []any{}, "timeouts": nil, "x": map[string]any{"y": nil}}),
			drift{false, true, false}},
		{"the digest of another spec", digested(object(ours, []any{owner}, nil), map[string]any{"rules": []any{"r2"}, "parentRefs": []any{"gw"}}),
			drift{true, true, false}},
		{"the digest of the same spec, our owner missing", digested(object(ours, []any{other}, nil), spec), drift{true, true, true}},
		{"an empty digest", func() *unstructured.Unstructured {
			o := digested(object(ours, []any{owner}, nil), spec)
			o.SetAnnotations(map[string]string{translate.AnnotationSpecDigest: ""})
			return o
		}(), drift{true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := drift{
				Spec:      translate.SpecDrifted(desired, tc.live),
				SetFields: translate.SetFieldsDrifted(desired, tc.live),
				Metadata:  translate.MetadataDrifted(desired, tc.live),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("drift (-want +got):\n%s", diff)
			}
		})
	}
}
