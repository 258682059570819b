package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RouteWriter exposes the guarded write path for routes to the tests of
// package controllers_test, with a cache and a reader of their choosing.
type RouteWriter struct{ w childWriter }

// NewRouteWriter writes through cached, which also serves the reads the
// controller makes from its cache, and reads past the cache with reader.
func NewRouteWriter(cached client.Client, reader client.Reader) RouteWriter {
	return RouteWriter{childWriter{client: cached, reader: reader, created: &recentCreates{}, writes: &ownWrites{}}}
}

// Sync makes owner's route match desired and names what it did.
func (r RouteWriter) Sync(ctx context.Context, owner, desired client.Object) (string, error) {
	res, err := r.w.sync(ctx, routeKind, owner, client.ObjectKeyFromObject(desired), desired)
	return map[syncOutcome]string{
		childUnchanged: "unchanged",
		childWritten:   "written",
		childDeleted:   "deleted",
		childForeign:   "foreign",
		childCreating:  "creating",
		childUnseen:    "unseen",
		childReplacing: "replacing",
	}[res.outcome], err
}
