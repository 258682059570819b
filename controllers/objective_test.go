package controllers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/gitopshealth"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// objectiveState is what a test reads of an objective's conditions.
type objectiveState struct {
	Type, Status, Reason string
}

func objectiveConditions(obj client.Object) func() ([]objectiveState, []metav1.Condition, error) {
	return func() ([]objectiveState, []metav1.Condition, error) {
		if err := get(obj, obj.GetNamespace(), obj.GetName()); err != nil {
			return nil, nil, err
		}
		var conditions []metav1.Condition
		switch o := obj.(type) {
		case *llmdv1alpha2.InferenceObjective:
			conditions = o.Status.Conditions
		case *v1alpha2.InferenceObjective:
			conditions = o.Status.Conditions
		}
		var got []objectiveState
		for _, c := range conditions {
			if c.ObservedGeneration == obj.GetGeneration() {
				got = append(got, objectiveState{c.Type, string(c.Status), c.Reason})
			}
		}
		return got, conditions, nil
	}
}

// hasObjectiveConditions waits for exactly want, of the objective's
// current generation, and no condition of another generation.
func hasObjectiveConditions(obj client.Object, want ...objectiveState) func() error {
	read := objectiveConditions(obj)
	return func() error {
		got, all, err := read()
		if err != nil {
			return err
		}
		if len(all) != len(got) {
			return fmt.Errorf("conditions of another generation, or the CRD's default: %+v", all)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("conditions (-want +got):\n%s", diff)
		}
		return nil
	}
}

// health is each GitOps tool's verdict on an objective as the API server
// holds it: kstatus, Flux with the shipped healthCheckExprs, and Argo CD
// with the shipped health.lua of the objective's group.
type health struct {
	Kstatus, Flux status.Status
	ArgoCD        string
}

func healthOf(t *testing.T, obj client.Object, target gitopshealth.Target) health {
	t.Helper()
	if err := get(obj, obj.GetNamespace(), obj.GetName()); err != nil {
		t.Fatal(err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetAPIVersion(target.APIVersion)
	u.SetKind(target.Kind)
	checks, err := gitopshealth.LoadFor("..", target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checks.Judge(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return health{Kstatus: got.Kstatus.Status, Flux: got.Flux.Status, ArgoCD: got.ArgoCD.Status}
}

// TestObjectiveStatus: modelroute writes the status of InferenceObjectives
// of both groups, which nobody else does: the CRD's default Ready=Unknown
// (Pending, forever) gives way to ResolvedRefs and Accepted with Ready;
// a pool that is missing (the v1 group by default) is PoolNotFound and
// Reconciling (kstatus and Flux InProgress, Argo CD Progressing), and its
// creation makes the objective Ready (Current, Healthy) without any change
// to the objective. A poolRef to another kind is Stalled (Failed,
// Degraded).
func TestObjectiveStatus(t *testing.T) {
	ns := newNamespace(t)
	llmd := &llmdv1alpha2.InferenceObjective{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "batch"},
		Spec:       llmdv1alpha2.InferenceObjectiveSpec{Priority: ptr.To(int32(-1)), PoolRef: v1alpha2.SuccessorPoolReference{Name: "pool-v1"}},
	}
	legacy := &v1alpha2.InferenceObjective{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "interactive"},
		Spec: v1alpha2.InferenceObjectiveSpec{Priority: ptr.To(10),
			PoolRef: v1alpha2.SuccessorPoolReference{Group: v1alpha2.Group(translate.GroupInferenceAlpha), Name: "pool-a"}},
	}
	wrongKind := &llmdv1alpha2.InferenceObjective{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wrong-kind"},
		Spec:       llmdv1alpha2.InferenceObjectiveSpec{PoolRef: v1alpha2.SuccessorPoolReference{Kind: "Service", Name: "pool-a"}},
	}
	create(t, alphaPool(ns, "pool-a"), llmd, legacy, wrongKind)
	startManager(t, ns, testConfig())

	ready := []objectiveState{{"ResolvedRefs", "True", "ResolvedRefs"}, {"Accepted", "True", "Accepted"}, {"Ready", "True", "Ready"}}
	harness.Eventually(t, hasObjectiveConditions(legacy, ready...))
	harness.Eventually(t, hasObjectiveConditions(llmd,
		objectiveState{"ResolvedRefs", "False", "PoolNotFound"}, objectiveState{"Accepted", "True", "Accepted"},
		objectiveState{"Ready", "False", "PoolNotFound"}, objectiveState{"Reconciling", "True", "PoolNotFound"}))
	legacyTarget, llmdTarget := gitopshealth.Targets[3], gitopshealth.Targets[4]
	waiting := health{status.InProgressStatus, status.InProgressStatus, "Progressing"}
	healthy := health{status.CurrentStatus, status.CurrentStatus, "Healthy"}
	if diff := cmp.Diff(waiting, healthOf(t, llmd, llmdTarget)); diff != "" {
		t.Errorf("health of the objective whose pool is missing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(healthy, healthOf(t, legacy, legacyTarget)); diff != "" {
		t.Errorf("health of the ready objective (-want +got):\n%s", diff)
	}
	harness.Eventually(t, hasObjectiveConditions(wrongKind,
		objectiveState{"ResolvedRefs", "False", "InvalidKind"}, objectiveState{"Accepted", "True", "Accepted"},
		objectiveState{"Ready", "False", "InvalidKind"}, objectiveState{"Stalled", "True", "InvalidKind"}))
	if diff := cmp.Diff(health{status.FailedStatus, status.FailedStatus, "Degraded"}, healthOf(t, wrongKind, llmdTarget)); diff != "" {
		t.Errorf("health of the objective naming a Service (-want +got):\n%s", diff)
	}
	_, conditions, err := objectiveConditions(llmd)()
	if err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(conditions, "Accepted"); c == nil || c.Message != "priority -1 (negative: sheddable)" {
		t.Errorf("Accepted: %+v", c)
	}

	create(t, v1Pool(ns, "pool-v1"))
	harness.Eventually(t, hasObjectiveConditions(llmd, ready...))
	if diff := cmp.Diff(healthy, healthOf(t, llmd, llmdTarget)); diff != "" {
		t.Errorf("health once the pool exists (-want +got):\n%s", diff)
	}
	if err := k8s.Delete(context.Background(), v1Pool(ns, "pool-v1")); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, hasObjectiveConditions(llmd,
		objectiveState{"ResolvedRefs", "False", "PoolNotFound"}, objectiveState{"Accepted", "True", "Accepted"},
		objectiveState{"Ready", "False", "PoolNotFound"}, objectiveState{"Reconciling", "True", "PoolNotFound"}))
}
