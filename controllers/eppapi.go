package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/translateflags"
	"github.com/modelroute/modelroute/translate"
)

// eppAPIGroups are the groups --epp-api=auto tries, in order: the first in
// which the API server serves InferenceModelRewrites and
// InferenceObjectives is picked at start.
var eppAPIGroups = []string{translate.GroupLLMD, translate.GroupInferenceAlpha}

// resolveEPPAPI returns the group --epp-api=value names, once the API
// server is known to serve both successor kinds in it.
func resolveEPPAPI(mapper meta.RESTMapper, value string) (string, error) {
	candidates := []string{value}
	if value == translateflags.AutoEPPAPI {
		candidates = eppAPIGroups
	}
	var why []string
	for _, group := range candidates {
		if !slices.Contains(eppAPIGroups, group) {
			why = append(why, fmt.Sprintf("want %s, %s or %s", translate.GroupLLMD, translate.GroupInferenceAlpha, translateflags.AutoEPPAPI))
			continue
		}
		var missing []string
		for _, kind := range eppKinds {
			if g, ok := kindGroupOf(kind, group); ok {
				if reason := unserved(mapper, g.gvk()); reason != "" {
					missing = append(missing, reason)
				}
			}
		}
		if len(missing) == 0 {
			return group, nil
		}
		why = append(why, missing...)
	}
	return "", fmt.Errorf("--epp-api=%s: %s", value, strings.Join(why, "; "))
}

// eppChildren are the kinds --epp-api makes per model, in its group: the
// InferenceModelRewrite first, so that the endpoint picker knows a model's
// targets before its route sends it requests.
type eppChildren []childKind

// eppKinds are the kinds --epp-api makes, in the order it writes them.
var eppKinds = []string{translate.KindInferenceModelRewrite, translate.KindInferenceObjective}

func newEPPChildren(group string) eppChildren {
	var kinds eppChildren
	for _, kind := range eppKinds {
		if g, ok := kindGroupOf(kind, group); ok {
			kinds = append(kinds, eppChildKind(g))
		}
	}
	return kinds
}

func eppChildKind(g kindGroup) childKind {
	return childKind{
		kind: g.Kind,
		// Named as the model's route.
		childName: func(owner *metav1.OwnerReference) string {
			if owner.Kind != "InferenceModel" || owner.APIVersion != v1alpha2.GroupVersion.String() {
				return ""
			}
			return translate.RouteName(owner.Name)
		},
		newObject: g.newObject,
		newList:   g.newList,
		// Every spec field is set (defaults included): one of them changed
		// is drift.
		drifted: translate.SetFieldsDrifted,
	}
}

// sync makes the model's InferenceModelRewrite and InferenceObjective
// match res (--epp-api). An object of another owner under either name is
// an error: modelroute leaves it alone, and the model's status says so.
func (k eppChildren) sync(ctx context.Context, w childWriter, model *v1alpha2.InferenceModel, res translate.ModelResult) (time.Duration, error) {
	name := types.NamespacedName{Namespace: model.Namespace, Name: translate.RouteName(model.Name)}
	var retry time.Duration
	for _, kind := range k {
		var desired client.Object
		switch {
		case kind.kind == translate.KindInferenceModelRewrite && res.EPPRewrite != nil:
			desired = res.EPPRewrite
		case kind.kind == translate.KindInferenceObjective && res.EPPObjective != nil:
			desired = res.EPPObjective
		}
		sync, err := w.reconcile(ctx, kind, model, name, desired)
		if err != nil {
			return 0, err
		}
		switch {
		case sync.outcome == childForeign && desired != nil:
			return foreignRetry, fmt.Errorf("%s %s is not modelroute's: another object holds the name, which modelroute leaves alone; rename or delete it", kind.kind, name)
		case sync.outcome == childReplacing || sync.outcome == childUnseen:
			retry = unseenRetry
		}
	}
	return retry, nil
}
