package controllers_test

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/controllers"
)

// laggingCache is a client whose reads are those of a cache that has seen
// no route yet, and whose writes reach the API server: the moment between
// a write and its watch event, made to last. It counts the route creates
// and their answers, and fails the test on any other route write.
type laggingCache struct {
	client.WithWatch
	creates []error
}

func newLaggingCache(t *testing.T) *laggingCache {
	direct, err := client.NewWithWatch(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	c := &laggingCache{}
	notWritten := func(verb string) error {
		t.Errorf("the writer sent a route %s", verb)
		return errors.New("unexpected write")
	}
	c.WithWatch = interceptor.NewClient(direct, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*gatewayv1.HTTPRoute); ok {
				return apierrors.NewNotFound(gatewayv1.Resource("httproutes"), key.Name)
			}
			return c.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			err := cl.Create(ctx, obj, opts...)
			c.creates = append(c.creates, err)
			return err
		},
		Apply: func(context.Context, client.WithWatch, runtime.ApplyConfiguration, ...client.ApplyOption) error {
			return notWritten("apply")
		},
		Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error {
			return notWritten("update")
		},
		Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			return notWritten("patch")
		},
		Delete: func(context.Context, client.WithWatch, client.Object, ...client.DeleteOption) error {
			return notWritten("delete")
		},
	})
	return c
}

// chatModel creates a pool and a model of it in ns, and returns the model
// and the route translate gives it.
func chatModel(t *testing.T, ns string) (*v1alpha2.InferenceModel, *gatewayv1.HTTPRoute) {
	model := newModel(ns, "chat", "chat", "pool-a", weighted("v1", 90), weighted("v2", 10))
	create(t, alphaPool(ns, "pool-a"), model)
	return model, translatedRoute(t, ns, "chat", testConfig())
}

// A route is created with a POST, which the API server refuses when any
// object holds the name, so no read has to confirm that the name is free
// first. These cases make the cache lag on purpose, which the controller's
// own tests meet only by chance.
func TestRouteCreateWhenTheCacheLags(t *testing.T) {
	t.Run("a foreign route the cache has not seen is refused and left alone", func(t *testing.T) {
		ns := newNamespace(t)
		model, desired := chatModel(t, ns)
		foreign := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: desired.Name, Labels: map[string]string{"team": "someone-else"}}}
		create(t, foreign)
		cache := newLaggingCache(t)

		outcome, err := controllers.NewRouteWriter(cache, k8s).Sync(testContext(t), model, desired)
		if err != nil || outcome != "foreign" {
			t.Fatalf("Sync = %q, %v; want foreign", outcome, err)
		}
		if len(cache.creates) != 1 || !apierrors.IsAlreadyExists(cache.creates[0]) {
			t.Fatalf("route creates answered %v; want one AlreadyExists", cache.creates)
		}
		after := mustGet(t, &gatewayv1.HTTPRoute{}, ns, desired.Name)
		if after.ResourceVersion != foreign.ResourceVersion || len(after.OwnerReferences) != 0 {
			t.Fatalf("the foreign route changed: resourceVersion %s → %s, owners %v", foreign.ResourceVersion, after.ResourceVersion, after.OwnerReferences)
		}
	})

	t.Run("its own route the cache has not seen yet is left alone until it has", func(t *testing.T) {
		ns := newNamespace(t)
		model, desired := chatModel(t, ns)
		cache := newLaggingCache(t)
		reader := &countingReader{Reader: k8s}
		writer := controllers.NewRouteWriter(cache, reader)

		if outcome, err := writer.Sync(testContext(t), model, desired); err != nil || outcome != "creating" {
			t.Fatalf("first Sync = %q, %v; want creating", outcome, err)
		}
		if outcome, err := writer.Sync(testContext(t), model, desired); err != nil || outcome != "unseen" {
			t.Fatalf("second Sync = %q, %v; want unseen (the route waits for the cache)", outcome, err)
		}
		if len(cache.creates) != 1 || cache.creates[0] != nil {
			t.Fatalf("route creates answered %v; want one, created", cache.creates)
		}
		if reader.gets != 0 {
			t.Fatalf("the writer read past the cache %d times; want none", reader.gets)
		}
		route := mustGet(t, &gatewayv1.HTTPRoute{}, ns, desired.Name)
		if !metav1.IsControlledBy(route, model) {
			t.Fatalf("the route is not controlled by the model: %v", route.OwnerReferences)
		}
	})
}

// countingReader counts the reads past the cache.
type countingReader struct {
	client.Reader
	gets int
}

func (r *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.gets++
	return r.Reader.Get(ctx, key, obj, opts...)
}
