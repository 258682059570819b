package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/translate"
)

// FieldManager is the field manager of every write modelroute makes.
const FieldManager = "modelroute"

// syncOutcome says what syncChild did.
type syncOutcome int

const (
	childUnchanged syncOutcome = iota // live already equals desired (or both absent)
	childWritten                      // created or applied
	childDeleted                      // removed because no longer desired
	childForeign                      // an object we do not control holds the name: untouched
)

// childKind describes one kind of object modelroute owns.
type childKind struct {
	newObject func() client.Object
	newList   func() client.ObjectList
	// drifted reports whether live must be written to match desired.
	drifted translate.Drift
	// owned lists the top-level spec fields modelroute owns even when it
	// sets them empty: applied as empty lists rather than left out, so that
	// an apply removes a value someone else added.
	owned []string
}

// childWriter is the one guarded write path for every owned kind. Every
// write is a server-side apply with field manager modelroute, so modelroute
// owns exactly the fields it sets and an apply removes what it no longer
// sets (a dropped hostname, a Service port that changed). It never touches
// an object the owner does not control: an absent object is confirmed
// absent with an uncached read before the apply creates it, an update
// carries the live UID so that it fails rather than write into an object
// that replaced ours, and deletes carry a UID precondition. It writes only
// when live differs from desired.
type childWriter struct {
	client client.Client
	// reader reads past the cache, to confirm that an object is absent.
	reader client.Reader
}

// reconcile makes the object called name match desired (nil: absent) for
// owner, and deletes every other object of kind that owner controls in its
// namespace.
func (w childWriter) reconcile(ctx context.Context, kind childKind, owner client.Object, name types.NamespacedName, desired client.Object) (syncOutcome, error) {
	outcome, err := w.sync(ctx, kind, owner, name, desired)
	if err != nil {
		return outcome, err
	}
	keep := name.Name
	if desired == nil {
		keep = ""
	}
	return outcome, w.prune(ctx, kind, owner, keep)
}

// sync makes the object called name match desired (nil: absent) for owner.
func (w childWriter) sync(ctx context.Context, kind childKind, owner client.Object, name types.NamespacedName, desired client.Object) (syncOutcome, error) {
	live := kind.newObject()
	err := w.client.Get(ctx, name, live)
	if apierrors.IsNotFound(err) && desired != nil {
		err = w.reader.Get(ctx, name, live) // the cache may not have seen it yet
	}
	switch {
	case apierrors.IsNotFound(err):
		if desired == nil {
			return childUnchanged, nil
		}
		return childWritten, w.apply(ctx, kind, desired, "")
	case err != nil:
		return childUnchanged, err
	case !metav1.IsControlledBy(live, owner):
		return childForeign, nil
	case desired == nil:
		return childDeleted, w.delete(ctx, live)
	}
	want, err := translate.Manifest(desired)
	if err != nil {
		return childUnchanged, err
	}
	have, err := translate.Manifest(live)
	if err != nil {
		return childUnchanged, err
	}
	if !kind.drifted(want, have) {
		return childUnchanged, nil
	}
	return childWritten, w.apply(ctx, kind, desired, live.GetUID())
}

// apply server-side applies desired, forcing ownership of its fields (they
// are modelroute's: someone else's edit of them is drift to undo). A
// non-empty uid makes the apply fail on an object with another UID.
func (w childWriter) apply(ctx context.Context, kind childKind, desired client.Object, uid types.UID) error {
	manifest, err := translate.Manifest(desired)
	if err != nil {
		return err
	}
	for _, field := range kind.owned {
		if _, set, _ := unstructured.NestedFieldNoCopy(manifest.Object, "spec", field); !set {
			if err := unstructured.SetNestedSlice(manifest.Object, []any{}, "spec", field); err != nil {
				return err
			}
		}
	}
	if uid != "" {
		manifest.SetUID(uid)
	}
	if err := w.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(manifest),
		client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", manifest.GetKind(), manifest.GetNamespace(), manifest.GetName(), err)
	}
	return nil
}

// prune deletes the objects of kind in namespace controlled by owner, except
// the one named keep.
func (w childWriter) prune(ctx context.Context, kind childKind, owner client.Object, keep string) error {
	list := kind.newList()
	if err := w.client.List(ctx, list, client.InNamespace(owner.GetNamespace()),
		client.MatchingFields{IndexController: string(owner.GetUID())}); err != nil {
		return err
	}
	objs, err := metaItems(list)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if obj.GetName() != keep && metav1.IsControlledBy(obj, owner) {
			if err := w.delete(ctx, obj); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w childWriter) delete(ctx context.Context, obj client.Object) error {
	uid := obj.GetUID()
	err := w.client.Delete(ctx, obj, client.Preconditions{UID: &uid})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func metaItems(list client.ObjectList) ([]client.Object, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	objs := make([]client.Object, 0, len(items))
	for _, item := range items {
		obj, ok := item.(client.Object)
		if !ok {
			return nil, fmt.Errorf("list item %T is not an object", item)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}
