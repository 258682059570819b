package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

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
	childCreating                     // created by this process just now
	childUnseen                       // created by this process moments ago; the cache has yet to see it
	childReplacing                    // held by the child of a deleted owner of the same name: deleted
)

// syncResult is what sync did, and the object as it is now: the write's
// response, or the cached object when nothing was written; nil when there
// is none (absent, foreign, unseen).
type syncResult struct {
	outcome syncOutcome
	live    client.Object
}

// createdGrace is how long after creating an object the writer remembers
// the create: a reconcile in that time that does not find the object in
// the cache leaves it alone until the cache has seen it (rather than create
// it again, take it for absent, or spend a read past the cache on it), and
// the owner is reconciled once more when it ends, in case the object went
// before the cache ever saw it. The echo of the create does not reconcile
// the owner (see ownWrites).
const createdGrace = 30 * time.Second

// recentCreates remembers the objects this process created until the cache
// has seen them.
type recentCreates struct {
	at sync.Map // types.NamespacedName of the object, per kind → time.Time
}

type createdKey struct {
	kind string
	name types.NamespacedName
}

// within says whether key was created less than createdGrace ago, and how
// long the grace lasts still.
func (r *recentCreates) within(key createdKey) (time.Duration, bool) {
	at, ok := r.at.Load(key)
	if !ok {
		return 0, false
	}
	left := createdGrace - time.Since(at.(time.Time))
	if left <= 0 {
		r.at.Delete(key)
		return 0, false
	}
	return left, true
}

// childKind describes one kind of object modelroute owns.
type childKind struct {
	// kind names the kind in errors and Events.
	kind string
	// childName is the name modelroute gives the child of the owner a
	// controller reference names ("" when the reference is not to an owner
	// of such children).
	childName func(owner *metav1.OwnerReference) string
	newObject func() client.Object
	newList   func() client.ObjectList
	// drifted reports whether live must be written to match desired.
	drifted translate.Drift
	// owned lists the top-level spec fields modelroute owns even when it
	// sets them empty: applied as empty lists rather than left out, so that
	// an apply removes a value someone else added.
	owned []string
	// createOnly creates the object with a POST, which the API server
	// refuses when any object holds the name: no foreign object is ever
	// written, whatever the cache has seen, at the cost of no extra request.
	// Only for kinds whose every spec field modelroute sets is an atomic
	// list, so that the first later apply takes whole ownership of each
	// from the create's Update entry of the same manager. Other kinds are
	// confirmed absent with an uncached read, then created by an apply.
	createOnly bool
	// adoptOrphans: a child of modelroute's (its label) that has no
	// controller at all, left by an owner deleted with
	// --cascade=orphan, is taken over by the owner that wants it. That is
	// how routes pass from InferenceModels to the InferenceModelRewrites
	// that replace them without a gap: one write, of metadata only.
	adoptOrphans bool
}

// childWriter is the one guarded write path for every owned kind. Updates
// are server-side applies with field manager modelroute, forcing ownership
// of the fields it sets, so an apply removes what it no longer sets (a
// dropped hostname, a Service port that changed). It never touches an
// object the owner does not control: a create fails when anything holds
// the name (see childKind.createOnly), an update carries the live UID so
// that it fails rather than write into an object that replaced ours, and
// deletes carry a UID precondition. It writes only when live differs from
// desired.
type childWriter struct {
	client client.Client
	// reader reads past the cache, to see what holds a name the cache
	// says is free.
	reader client.Reader
	// created are the objects it created that the cache may not have seen.
	created *recentCreates
	// writes are the echoes of its creates to ignore.
	writes *ownWrites
}

// reconcile makes the object called name match desired (nil: absent) for
// owner, and deletes every other object of kind that owner controls in its
// namespace.
func (w childWriter) reconcile(ctx context.Context, kind childKind, owner client.Object, name types.NamespacedName, desired client.Object) (syncResult, error) {
	res, err := w.sync(ctx, kind, owner, name, desired)
	if err != nil {
		return res, err
	}
	keep := name.Name
	if desired == nil {
		keep = ""
	}
	return res, w.prune(ctx, kind, owner, keep)
}

// sync makes the object called name match desired (nil: absent) for owner.
func (w childWriter) sync(ctx context.Context, kind childKind, owner client.Object, name types.NamespacedName, desired client.Object) (syncResult, error) {
	live := kind.newObject()
	err := w.client.Get(ctx, name, live)
	key := createdKey{fmt.Sprintf("%T", live), name}
	if err == nil {
		w.created.at.Delete(key) // seen
	}
	if apierrors.IsNotFound(err) {
		_, recent := w.created.within(key)
		switch {
		case recent:
			// Created by us moments ago, and the cache has not seen it
			// yet: it is ours, and as desired unless the owner changed
			// since. The caller tries again shortly.
			return syncResult{outcome: childUnseen}, nil
		case desired != nil && kind.createOnly:
			// The manifest a later apply sends, empty owned lists included:
			// the same spec, so that such an apply changes no generation.
			created, merr := kind.manifest(desired)
			if merr != nil {
				return syncResult{outcome: childUnchanged}, merr
			}
			err = w.client.Create(ctx, created, client.FieldOwner(FieldManager))
			if err == nil {
				w.created.at.Store(key, time.Now())
				w.writes.wrote(created, "")
				typed, err := kind.typed(created)
				return syncResult{outcome: childCreating, live: typed}, err
			}
			if !apierrors.IsAlreadyExists(err) {
				return syncResult{outcome: childWritten}, fmt.Errorf("creating %s %s: %w", kind.kind, name, err)
			}
			// Held by an object the cache has not seen yet (ours, or not).
			err = w.reader.Get(ctx, name, live)
		case desired != nil:
			// Not held, or held by an object the cache has not seen yet.
			err = w.reader.Get(ctx, name, live)
		}
	}
	orphan := func() bool {
		return kind.adoptOrphans && desired != nil && managed(live) && metav1.GetControllerOf(live) == nil
	}
	if err == nil && orphan() {
		// Confirmed past the cache: a reconcile right after this owner
		// adopted it may still read the orphan there, and adopt it again.
		err = w.reader.Get(ctx, name, live)
	}
	switch {
	case apierrors.IsNotFound(err):
		if desired == nil {
			return syncResult{outcome: childUnchanged}, nil
		}
		applied, err := w.apply(ctx, kind, desired, "")
		return syncResult{outcome: childWritten, live: applied}, err
	case err != nil:
		return syncResult{outcome: childUnchanged}, err
	case formerChild(kind, live, owner, w.client.Scheme()):
		// The child of a deleted owner of the same name, which the
		// garbage collector has yet to remove: ours to delete now.
		return syncResult{outcome: childReplacing}, w.delete(ctx, kind, live)
	case !metav1.IsControlledBy(live, owner) && !orphan():
		return syncResult{outcome: childForeign}, nil
	case desired == nil:
		if !managed(live) {
			return syncResult{outcome: childForeign}, nil
		}
		return syncResult{outcome: childDeleted}, w.delete(ctx, kind, live)
	}
	want, err := kind.manifest(desired)
	if err != nil {
		return syncResult{outcome: childUnchanged}, err
	}
	have, err := translate.Manifest(live)
	if err != nil {
		return syncResult{outcome: childUnchanged}, err
	}
	if !kind.drifted(want, have) {
		return syncResult{outcome: childUnchanged, live: live}, nil
	}
	applied, err := w.applyManifest(ctx, kind, want, live.GetUID())
	return syncResult{outcome: childWritten, live: applied}, err
}

// managed reports whether obj carries modelroute's managed-by label: only
// such objects are deleted, even when they name a model as controller.
func managed(obj client.Object) bool {
	return obj.GetLabels()[translate.LabelManagedBy] == translate.ManagedByValue
}

// formerChild reports whether live is what kind makes for an earlier owner
// of owner's name, since deleted: modelroute's label, and a controller
// reference to an owner of the same kind and name with another UID (names
// are unique, so that owner is gone).
func formerChild(kind childKind, live, owner client.Object, scheme *runtime.Scheme) bool {
	ref := metav1.GetControllerOf(live)
	if ref == nil || !managed(live) || ref.Name != owner.GetName() || ref.UID == owner.GetUID() || kind.childName(ref) != live.GetName() {
		return false
	}
	// Of the same kind, too: an InferenceModel and an InferenceModelRewrite
	// of one name share a route name, and neither is the other's past.
	gvk, err := apiutil.GVKForObject(owner, scheme)
	return err == nil && ref.Kind == gvk.Kind && ref.APIVersion == gvk.GroupVersion().String()
}

// manifest is what modelroute writes of desired: translate's manifest,
// with the owned fields it leaves empty written as empty lists.
func (k childKind) manifest(desired client.Object) (*unstructured.Unstructured, error) {
	manifest, err := translate.Manifest(desired)
	if err != nil {
		return nil, err
	}
	for _, field := range k.owned {
		if _, set, _ := unstructured.NestedFieldNoCopy(manifest.Object, "spec", field); !set {
			if err := unstructured.SetNestedSlice(manifest.Object, []any{}, "spec", field); err != nil {
				return nil, err
			}
		}
	}
	return manifest, nil
}

// typed converts an object the API server answered with into kind's type.
func (k childKind) typed(u *unstructured.Unstructured) (client.Object, error) {
	obj := k.newObject()
	return obj, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj)
}

// apply server-side applies desired, forcing ownership of its fields (they
// are modelroute's: someone else's edit of them is drift to undo). A
// non-empty uid makes the apply fail on an object with another UID. It
// returns the object the API server answered with.
func (w childWriter) apply(ctx context.Context, kind childKind, desired client.Object, uid types.UID) (client.Object, error) {
	manifest, err := kind.manifest(desired)
	if err != nil {
		return nil, err
	}
	return w.applyManifest(ctx, kind, manifest, uid)
}

// applyManifest applies manifest (kind.manifest's), which it changes.
func (w childWriter) applyManifest(ctx context.Context, kind childKind, manifest *unstructured.Unstructured, uid types.UID) (client.Object, error) {
	if uid != "" {
		manifest.SetUID(uid)
	}
	if err := w.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(manifest),
		client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("applying %s %s/%s: %w", manifest.GetKind(), manifest.GetNamespace(), manifest.GetName(), err)
	}
	// The manifest now holds the API server's answer.
	return kind.typed(manifest)
}

// prune deletes the objects of kind in namespace controlled by owner under
// another name than its child's (sync handles that one), except the one
// named keep.
func (w childWriter) prune(ctx context.Context, kind childKind, owner client.Object, keep string) error {
	list := kind.newList()
	if err := w.client.List(ctx, list, client.InNamespace(owner.GetNamespace()),
		client.MatchingFields{IndexStrayChild: string(owner.GetUID())}); err != nil {
		return err
	}
	objs, err := metaItems(list)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if obj.GetName() != keep && metav1.IsControlledBy(obj, owner) && managed(obj) {
			if err := w.delete(ctx, kind, obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// delete deletes obj with a UID precondition: never an object that
// replaced it.
func (w childWriter) delete(ctx context.Context, kind childKind, obj client.Object) error {
	uid := obj.GetUID()
	err := w.client.Delete(ctx, obj, client.Preconditions{UID: &uid})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting %s %s/%s: %w", kind.kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
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
