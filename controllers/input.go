package controllers

import (
	"cmp"
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// inputReader gathers from the cache what translate needs to decide about
// some modelNames: every model with one of them (they contend for the name
// in their pool and on shared Gateways) and the pools those models name.
type inputReader struct {
	client client.Client
	// installed says which InferencePool groups have their CRD installed.
	installed map[string]bool
}

func (r inputReader) read(ctx context.Context, modelNames ...string) (translate.Input, error) {
	in := translate.Input{}
	for _, g := range poolGroups {
		if !r.installed[g.group] {
			in.MissingPoolGroups = append(in.MissingPoolGroups, g.group)
		}
	}
	slices.Sort(modelNames)
	for _, name := range slices.Compact(modelNames) {
		var models v1alpha2.InferenceModelList
		if err := r.client.List(ctx, &models, client.MatchingFields{IndexModelName: name}); err != nil {
			return in, err
		}
		in.Models = append(in.Models, models.Items...)
	}
	seen := map[string]bool{}
	for i := range in.Models {
		m := &in.Models[i]
		key := modelPoolKey(m)
		if seen[key] || (m.Spec.PoolRef.Kind != "" && m.Spec.PoolRef.Kind != translate.KindInferencePool) {
			continue
		}
		seen[key] = true
		name := types.NamespacedName{Namespace: m.Namespace, Name: string(m.Spec.PoolRef.Name)}
		g := poolGroupOf(cmp.Or(string(m.Spec.PoolRef.Group), translate.GroupInferenceAlpha))
		if name.Name == "" || g == nil || !r.installed[g.group] {
			continue
		}
		pool := g.newObject()
		if ok, err := r.get(ctx, name, pool); err != nil {
			return in, err
		} else if ok {
			g.addTo(&in, pool)
		}
	}
	return in, nil
}

func (r inputReader) get(ctx context.Context, name types.NamespacedName, obj client.Object) (bool, error) {
	err := r.client.Get(ctx, name, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
