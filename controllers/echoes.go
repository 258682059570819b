package controllers

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ownWrites remembers, per object, this process's last write to it: the
// resourceVersion it was made against and the one it left. The watch event
// that brings the latter back (the echo of the write) tells the reconcilers
// nothing they do not know: notEcho drops it. Without this, a new model is
// reconciled again for the echo of its route's create and for that of its
// status patch, and each of those reconciles also lists the models that
// share its modelName.
type ownWrites struct {
	writes sync.Map // writeKey → write
}

type writeKey struct {
	kind string
	name types.NamespacedName
}

type write struct{ from, to string }

func keyOf(obj client.Object) writeKey {
	return writeKey{fmt.Sprintf("%T", obj), types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}}
}

// wrote records a write made against resourceVersion from (empty for a
// create); obj is the write's response.
func (w *ownWrites) wrote(obj client.Object, from string) {
	if to := obj.GetResourceVersion(); to != "" {
		w.writes.Store(keyOf(obj), write{from: from, to: to})
	}
}

// unseen reports whether obj, as read from the cache, is still at the
// version our last write to it was made against: the cache has yet to see
// that write.
func (w *ownWrites) unseen(obj client.Object) bool {
	v, ok := w.writes.Load(keyOf(obj))
	return ok && v.(write).from != "" && v.(write).from == obj.GetResourceVersion()
}

// forget drops what is known of the object kind/name.
func (w *ownWrites) forget(obj client.Object) {
	w.writes.Delete(keyOf(obj))
}

// echo reports whether obj is at the version our last write to it left.
// An object at another version has been written since: its entry goes.
func (w *ownWrites) echo(obj client.Object) bool {
	key := keyOf(obj)
	v, ok := w.writes.Load(key)
	if !ok {
		return false
	}
	if v.(write).to == obj.GetResourceVersion() {
		return true
	}
	if v.(write).from != obj.GetResourceVersion() {
		w.writes.CompareAndDelete(key, v)
	}
	return false
}

// notEcho passes every event but the create or update that is the echo of
// our own write. Several handlers may judge the same event, so an echo is
// not forgotten when seen; a later version, or the delete, forgets it. A
// resync hands every cached object over again as an update from a version
// to itself: that always passes, so that the resync reaches every object,
// also one whose last event was our own write.
func (w *ownWrites) notEcho() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !w.echo(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion() || !w.echo(e.ObjectNew)
		},
		DeleteFunc: func(e event.DeleteEvent) bool {
			w.forget(e.Object)
			return true
		},
	}
}
