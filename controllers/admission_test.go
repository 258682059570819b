package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/modelroute/modelroute/internal/testing/harness"
)

// denyCreate makes the API server refuse to create obj (an HTTPRoute or a
// Service): a ValidatingAdmissionPolicy, bound to obj's namespace, as on a
// cluster with a policy engine. It returns once a dry run of the create is
// refused; the returned function lifts the policy, as does the test's end.
func denyCreate(t *testing.T, obj client.Object) (lift func()) {
	t.Helper()
	return denyWrites(t, obj, admissionregistrationv1.Create, func() error {
		return k8s.Create(context.Background(), obj.DeepCopyObject().(client.Object), client.DryRunAll)
	})
}

// denyUpdate is denyCreate for updates (and so patches and applies) of the
// existing obj.
func denyUpdate(t *testing.T, obj client.Object) (lift func()) {
	t.Helper()
	return denyWrites(t, obj, admissionregistrationv1.Update, func() error {
		live := obj.DeepCopyObject().(client.Object)
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), live); err != nil {
			return err
		}
		live.SetAnnotations(map[string]string{"modelroute.test/probe": "x"})
		return k8s.Update(context.Background(), live, client.DryRunAll)
	})
}

// denyWrites refuses op on obj until lifted, once probe is refused.
func denyWrites(t *testing.T, obj client.Object, op admissionregistrationv1.OperationType, probe func() error) (lift func()) {
	t.Helper()
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		t.Fatal(err)
	}
	resource := map[string]string{"HTTPRoute": "httproutes", "Service": "services"}[gvk.Kind]
	ns := obj.GetNamespace()
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-deny-" + strings.ToLower(string(op)) + "-" + resource},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{op},
						Rule: admissionregistrationv1.Rule{
							APIGroups: []string{gvk.Group}, APIVersions: []string{"*"}, Resources: []string{resource},
						},
					},
				}},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression: fmt.Sprintf("object.metadata.name != %q", obj.GetName()),
				Message:    "refused by the test's admission policy",
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
			}},
		},
	}
	create(t, policy, binding)
	lift = func() {
		for _, o := range []client.Object{binding, policy} {
			if err := k8s.Delete(context.Background(), o); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting %T %s: %v", o, o.GetName(), err)
			}
		}
	}
	t.Cleanup(lift)
	// The API server loads policies in the background.
	harness.Eventually(t, func() error {
		err := probe()
		if err != nil && strings.Contains(err.Error(), "refused by the test's admission policy") {
			return nil
		}
		return fmt.Errorf("a dry run of the %s was answered %v; want the policy's refusal", op, err)
	})
	return lift
}
