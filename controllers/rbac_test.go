package controllers_test

// Least privilege, proven: the controller runs as a ServiceAccount bound to
// exactly the roles of config/rbac/ (the kube-apiserver of the suite
// authorizes with RBAC), does its work without a single request denied, and
// can do nothing else of note.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/localcluster"
	"github.com/modelroute/modelroute/translate"
)

// rbacNamespace is the controller's namespace in config/rbac/.
const rbacNamespace = "modelroute-system"

// leaderElectionID is `modelroute controller`'s default Lease name.
const leaderElectionID = "modelroute.dev"

// rbacManifests reads the objects of config/rbac/ that its kustomization
// lists.
func rbacManifests(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	dir := filepath.Join(localcluster.RepoRoot(), "config", "rbac")
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kustomization struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(raw, &kustomization); err != nil {
		t.Fatalf("config/rbac/kustomization.yaml: %v", err)
	}
	var objs []*unstructured.Unstructured
	for _, file := range kustomization.Resources {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("config/rbac/%s: %v", file, err)
			}
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
				t.Fatalf("config/rbac/%s: %v", file, err)
			}
			if len(obj.Object) > 0 {
				objs = append(objs, obj)
			}
		}
	}
	return objs
}

// installRBAC applies config/rbac/ with the controller's namespace
// modelroute-system replaced by saNS (and the cluster-wide objects renamed
// after it, so that each run has its own) and returns a client config
// authenticated as its ServiceAccount with a token from the TokenRequest
// API.
func installRBAC(t *testing.T, ctx context.Context, saNS string) *rest.Config {
	t.Helper()
	objs := rbacManifests(t)
	var kinds []string
	for _, obj := range objs {
		kinds = append(kinds, obj.GetKind())
	}
	slices.Sort(kinds)
	if want := []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}; !slices.Equal(kinds, want) {
		t.Fatalf("config/rbac/ holds %v; want %v (update this test with the RBAC)", kinds, want)
	}
	clusterName := func(name string) string { return name + "-" + saNS }
	for _, obj := range objs {
		switch obj.GetKind() {
		case "ClusterRole", "ClusterRoleBinding":
			obj.SetName(clusterName(obj.GetName()))
		default:
			if obj.GetNamespace() != rbacNamespace {
				t.Fatalf("%s %s is in namespace %q; want the controller's, %s", obj.GetKind(), obj.GetName(), obj.GetNamespace(), rbacNamespace)
			}
			obj.SetNamespace(saNS)
		}
		if obj.GetKind() == "ClusterRoleBinding" {
			if err := unstructured.SetNestedField(obj.Object, clusterName(obj.Object["roleRef"].(map[string]any)["name"].(string)), "roleRef", "name"); err != nil {
				t.Fatal(err)
			}
		}
		if subjects, ok := obj.Object["subjects"].([]any); ok {
			for _, s := range subjects {
				subject := s.(map[string]any)
				if subject["kind"] != "ServiceAccount" || subject["namespace"] != rbacNamespace || subject["name"] != "modelroute" {
					t.Fatalf("%s %s binds %v; want only the ServiceAccount %s/modelroute", obj.GetKind(), obj.GetName(), subject, rbacNamespace)
				}
				subject["namespace"] = saNS
			}
		}
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
		if obj.GetNamespace() == "" {
			t.Cleanup(func() {
				if err := k8s.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
					t.Errorf("deleting %s %s: %v", obj.GetKind(), obj.GetName(), err)
				}
			})
		}
	}

	admin, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	token, err := admin.CoreV1().ServiceAccounts(saNS).CreateToken(ctx, "modelroute", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for the ServiceAccount: %v", err)
	}
	return &rest.Config{
		Host:            cluster.Config.Host,
		BearerToken:     token.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: cluster.Config.CAData},
		// `modelroute controller`'s defaults.
		QPS: 50, Burst: 100,
	}
}

func TestLeastPrivilege(t *testing.T) {
	ctx := testContext(t)
	saNS, ns := newNamespace(t), newNamespace(t)
	saConfig := installRBAC(t, ctx, saNS)
	sa, err := kubernetes.NewForConfig(saConfig)
	if err != nil {
		t.Fatal(err)
	}
	saClient, err := client.New(saConfig, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}

	// The token authenticates as the ServiceAccount, and RBAC authorizes
	// its requests: the API server refuses what no role grants.
	review, err := sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:" + saNS + ":modelroute"; review.Status.UserInfo.Username != want {
		t.Fatalf("the token authenticates as %q; want %q", review.Status.UserInfo.Username, want)
	}
	if err := saClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "any"}, &corev1.Secret{}); !apierrors.IsForbidden(err) {
		t.Fatalf("reading a Secret as the ServiceAccount: %v; want 403 Forbidden (is RBAC authorization on?)", err)
	}

	t.Run("what it may do", func(t *testing.T) {
		for _, a := range []authorizationv1.ResourceAttributes{
			{Verb: "list", Group: alphaGroup, Resource: "inferencemodels"},
			{Verb: "watch", Group: alphaGroup, Resource: "inferencemodels"},
			{Verb: "patch", Group: alphaGroup, Resource: "inferencemodels", Subresource: "status", Namespace: ns},
			{Verb: "watch", Group: alphaGroup, Resource: "inferencepools"},
			{Verb: "watch", Group: v1Group, Resource: "inferencepools"},
			{Verb: "watch", Group: gatewayv1.GroupName, Resource: "httproutes"},
			{Verb: "create", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
			{Verb: "patch", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
			{Verb: "delete", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
			{Verb: "watch", Resource: "services"},
			{Verb: "patch", Resource: "services", Namespace: ns},
			{Verb: "delete", Resource: "services", Namespace: ns},
			{Verb: "create", Group: "events.k8s.io", Resource: "events", Namespace: ns},
			{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: saNS, Name: leaderElectionID},
			{Verb: "create", Resource: "events", Namespace: saNS},
		} {
			if allowed, reason := canI(t, ctx, sa, a); !allowed {
				t.Errorf("the ServiceAccount may not %s: %s", describe(a), reason)
			}
		}
	})

	t.Run("what it may not do", func(t *testing.T) {
		var denied []authorizationv1.ResourceAttributes
		for _, namespace := range []string{"", ns, saNS} {
			for _, verb := range []string{"get", "list", "watch"} {
				denied = append(denied, authorizationv1.ResourceAttributes{Verb: verb, Resource: "secrets", Namespace: namespace})
			}
		}
		for _, verb := range []string{"create", "update", "patch", "delete", "deletecollection"} {
			for _, r := range []struct{ group, resource, subresource string }{
				{"", "configmaps", ""},
				{"apps", "deployments", ""},
				{"", "pods", ""},
				{alphaGroup, "inferencepools", ""},
				{v1Group, "inferencepools", ""},
				{alphaGroup, "inferencemodels", ""},
				{gatewayv1.GroupName, "httproutes", "status"},
				{gatewayv1.GroupName, "gateways", ""},
				{"rbac.authorization.k8s.io", "rolebindings", ""},
				{"rbac.authorization.k8s.io", "clusterroles", ""},
			} {
				denied = append(denied, authorizationv1.ResourceAttributes{Verb: verb, Group: r.group, Resource: r.resource, Subresource: r.subresource, Namespace: ns})
			}
		}
		denied = append(denied,
			authorizationv1.ResourceAttributes{Verb: "update", Group: alphaGroup, Resource: "inferencemodels", Subresource: "status", Namespace: ns},
			// Leader election and its Events: only in its own namespace.
			authorizationv1.ResourceAttributes{Verb: "create", Group: "coordination.k8s.io", Resource: "leases", Namespace: ns},
			authorizationv1.ResourceAttributes{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: "kube-system", Name: "kube-controller-manager"},
			authorizationv1.ResourceAttributes{Verb: "create", Resource: "events", Namespace: ns},
			authorizationv1.ResourceAttributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: saNS, Name: "modelroute"},
			authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "users", Name: "admin"},
			authorizationv1.ResourceAttributes{Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"},
			authorizationv1.ResourceAttributes{Verb: "escalate", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "modelroute-" + saNS},
			authorizationv1.ResourceAttributes{Verb: "delete", Resource: "namespaces", Name: ns},
			authorizationv1.ResourceAttributes{Verb: "list", Resource: "nodes"},
		)
		for _, a := range denied {
			if allowed, _ := canI(t, ctx, sa, a); allowed {
				t.Errorf("the ServiceAccount may %s", describe(a))
			}
		}

		// And for real: each request is refused with 403 and changes nothing.
		create(t, alphaPool(ns, "pool-x"), newModel(ns, "model-x", "model-x", "pool-x"))
		forbidden := func(what string, err error) {
			t.Helper()
			if !apierrors.IsForbidden(err) {
				t.Errorf("%s as the ServiceAccount: %v; want 403 Forbidden", what, err)
			}
		}
		forbidden("listing Secrets", saClient.List(ctx, &corev1.SecretList{}, client.InNamespace(ns)))
		forbidden("listing Secrets cluster-wide", saClient.List(ctx, &corev1.SecretList{}))
		forbidden("creating a ConfigMap", saClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}}))
		forbidden("creating a Deployment", saClient.Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}},
				},
			},
		}))
		forbidden("creating an InferencePool", saClient.Create(ctx, alphaPool(ns, "pool-y")))
		forbidden("creating a v1 InferencePool", saClient.Create(ctx, v1Pool(ns, "pool-z")))
		pool := mustGet(t, &v1alpha2.InferencePool{}, ns, "pool-x")
		pool.Spec.TargetPortNumber = 1
		forbidden("updating an InferencePool", saClient.Update(ctx, pool))
		forbidden("deleting an InferencePool", saClient.Delete(ctx, pool))
		model := mustGet(t, &v1alpha2.InferenceModel{}, ns, "model-x")
		forbidden("patching an InferenceModel's spec", saClient.Patch(ctx, model, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"poolRef":{"name":"elsewhere"}}}`))))
		model.Spec.TargetModels = []v1alpha2.TargetModel{{Name: "hijack"}}
		forbidden("updating an InferenceModel", saClient.Update(ctx, model))
		forbidden("deleting an InferenceModel", saClient.Delete(ctx, model))
		forbidden("creating a Lease outside its namespace", saClient.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}}))
		if got := mustGet(t, &v1alpha2.InferenceModel{}, ns, "model-x"); got.Generation != 1 || got.Spec.PoolRef.Name != "pool-x" {
			t.Errorf("the model changed: generation %d, poolRef %q", got.Generation, got.Spec.PoolRef.Name)
		}
		if got := mustGet(t, &v1alpha2.InferencePool{}, ns, "pool-x"); got.Spec.TargetPortNumber != 8000 {
			t.Errorf("the pool changed: targetPortNumber %d", got.Spec.TargetPortNumber)
		}
	})

	// The controller at work with that identity, leader election included.
	// Each manager caches only ns, as `modelroute controller -namespace`
	// does (a cluster-wide one would act on other tests' namespaces too);
	// the list and watch rights it uses are cluster-wide, checked above.
	spec := managerSpec{
		restConfig: saConfig, namespaces: []string{ns}, config: testConfig(),
		leaderElectionNamespace: saNS, leaderElectionID: leaderElectionID,
	}
	var managers []*specManager
	t.Run("routes and status", func(t *testing.T) {
		m := startManagerWith(t, spec)
		managers = append(managers, m)
		eventually(t, func() error {
			lease := &coordinationv1.Lease{}
			if err := get(lease, saNS, leaderElectionID); err != nil {
				return err
			}
			if ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
				return errors.New("the Lease has no holder")
			}
			return nil
		})
		eventually(t, func() error {
			var events corev1.EventList
			if err := k8s.List(ctx, &events, client.InNamespace(saNS)); err != nil {
				return err
			}
			for _, e := range events.Items {
				if e.Reason == "LeaderElection" && e.InvolvedObject.Kind == "Lease" {
					return nil
				}
			}
			return fmt.Errorf("no LeaderElection Event in %s: %v", saNS, events.Items)
		})

		model := newModel(ns, "chat", "chat", "pool-a", weighted("v1", 90), weighted("v2", 10))
		create(t, alphaPool(ns, "pool-a"), model)
		eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
		eventually(t, hasTranslatedRoute(t, ns, "chat", testConfig()))
		// The Gateway's verdict, read from the route.
		setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
			return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
		})
		eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))
		eventually(t, func() error {
			events, err := findEvents(ns, model, "Accepted")
			if err == nil && len(events) == 0 {
				err = errors.New("no Accepted Event about the model")
			}
			return err
		})
		// A hand edit is repaired.
		update(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat-modelroute"}}, func(r *gatewayv1.HTTPRoute) {
			r.Spec.Rules[0].BackendRefs[0].Weight = ptr.To[int32](999)
		})
		eventually(t, func() error {
			if w := backendWeights(mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")); !slices.Equal(w, []int32{90, 10}) {
				return fmt.Errorf("route weights %v", w)
			}
			return nil
		})
		// A foreign route with the generated name is seen past the cache
		// and left alone.
		foreign := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken-modelroute"}}
		create(t, foreign, alphaPool(ns, "pool-b"), newModel(ns, "taken", "taken", "pool-b"))
		eventually(t, hasConditions(ns, "taken", resolved(1, "pool-b", alphaGroup), accepted(1, "taken"),
			condition(translate.ConditionProgrammed, metav1.ConditionFalse, "RouteConflict", 1,
				`HTTPRoute "taken-modelroute" already exists and is not controlled by this InferenceModel; modelroute leaves it untouched: delete or rename it`)))
		// The pool goes: modelroute deletes the route.
		remove(t, mustGet(t, &v1alpha2.InferencePool{}, ns, "pool-a"))
		eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "chat-modelroute"))
		eventually(t, hasConditions(ns, "chat", accepted(1, "chat"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
			`InferencePool "pool-a" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)))
		if deletes := matching(m.Writes.Requests(), "DELETE", "/httproutes/chat-modelroute", "200 OK"); len(deletes) != 1 {
			t.Errorf("route deletions by the controller: %q; want one", deletes)
		}

		// Stopped, it hands the Lease back.
		checkHealthy(t, m)
		m.Stop()
		eventually(t, func() error {
			lease := &coordinationv1.Lease{}
			if err := get(lease, saNS, leaderElectionID); err != nil {
				return err
			}
			if holder := ptr.Deref(lease.Spec.HolderIdentity, ""); holder != "" {
				return fmt.Errorf("the Lease is still held by %q", holder)
			}
			return nil
		})
	})

	t.Run("service backend", func(t *testing.T) {
		spec := spec
		spec.config.Backend = translate.BackendService
		m := startManagerWith(t, spec)
		managers = append(managers, m)
		pool := v1Pool(ns, "pool-v1")
		model := newModel(ns, "embed", "embed", "pool-v1")
		model.Spec.PoolRef.Group = v1Group
		create(t, pool, model)
		service := translate.ServiceName(v1Group, "pool-v1")
		eventually(t, hasConditions(ns, "embed", resolved(1, "pool-v1", v1Group), accepted(1, "embed"), pending(1, "embed", 1)))
		eventually(t, hasTranslatedRoute(t, ns, "embed", spec.config))
		eventually(t, func() error {
			svc := &corev1.Service{}
			if err := get(svc, ns, service); err != nil {
				return err
			}
			owner := mustGet(t, &inferencev1.InferencePool{}, ns, "pool-v1")
			if !metav1.IsControlledBy(svc, owner) || svc.Spec.ClusterIP != corev1.ClusterIPNone {
				return fmt.Errorf("Service %s: owners %v, clusterIP %q", service, svc.OwnerReferences, svc.Spec.ClusterIP)
			}
			return nil
		})
		// The pool's last model goes: modelroute deletes the Service.
		remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "embed"))
		eventually(t, absent(&corev1.Service{}, ns, service))
		if deletes := matching(m.Writes.Requests(), "DELETE", "/services/"+service, "200 OK"); len(deletes) != 1 {
			t.Errorf("Service deletions by the controller: %q; want one", deletes)
		}
		checkHealthy(t, m)
		m.Stop()
	})

	// Nothing the controller asked for was denied, reads and watches
	// included: the roles give it all it needs.
	for i, m := range managers {
		if denied := m.Denied.Requests(); len(denied) != 0 {
			t.Errorf("manager %d: requests denied to the ServiceAccount:\n%s", i+1, strings.Join(denied, "\n"))
		}
		if rejected := m.Writes.Rejected(); len(rejected) != 0 {
			t.Errorf("manager %d: writes refused as invalid:\n%s", i+1, strings.Join(rejected, "\n"))
		}
		for _, w := range m.Writes.Requests() {
			if !strings.Contains(w, "/namespaces/"+ns+"/") && !strings.Contains(w, "/namespaces/"+saNS+"/") {
				t.Errorf("manager %d wrote outside the model's and its own namespace: %s", i+1, w)
			}
		}
	}
	if len(managers) != 2 {
		t.Errorf("%d managers ran; want 2", len(managers))
	}
}

// canI asks the API server whether the ServiceAccount may do a.
func canI(t *testing.T, ctx context.Context, sa kubernetes.Interface, a authorizationv1.ResourceAttributes) (bool, string) {
	t.Helper()
	review, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectAccessReview: %v", err)
	}
	return review.Status.Allowed, review.Status.Reason + review.Status.EvaluationError
}

func describe(a authorizationv1.ResourceAttributes) string {
	resource := a.Resource
	if a.Subresource != "" {
		resource += "/" + a.Subresource
	}
	if a.Group != "" {
		resource += "." + a.Group
	}
	if a.Name != "" {
		resource += " " + a.Name
	}
	where := "cluster-wide"
	if a.Namespace != "" {
		where = "in namespace " + a.Namespace
	}
	return fmt.Sprintf("%s %s %s", a.Verb, resource, where)
}
