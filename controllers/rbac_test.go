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
	"github.com/modelroute/modelroute/internal/testing/harness"
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

// privilegeEnv is a ServiceAccount bound to exactly config/rbac, and a
// namespace for models.
type privilegeEnv struct {
	saNS, ns string
	// config authenticates as the ServiceAccount.
	config *rest.Config
	sa     kubernetes.Interface
	client client.Client
}

func newPrivilegeEnv(t *testing.T) privilegeEnv {
	t.Helper()
	ctx := testContext(t)
	env := privilegeEnv{saNS: newNamespace(t), ns: newNamespace(t)}
	env.config = installRBAC(t, ctx, env.saNS)
	var err error
	if env.sa, err = kubernetes.NewForConfig(env.config); err != nil {
		t.Fatal(err)
	}
	if env.client, err = client.New(env.config, client.Options{Scheme: scheme}); err != nil {
		t.Fatal(err)
	}
	// The token authenticates as the ServiceAccount, and RBAC authorizes
	// its requests: the API server refuses what no role grants.
	review, err := env.sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:" + env.saNS + ":modelroute"; review.Status.UserInfo.Username != want {
		t.Fatalf("the token authenticates as %q; want %q", review.Status.UserInfo.Username, want)
	}
	if err := env.client.Get(ctx, client.ObjectKey{Namespace: env.ns, Name: "any"}, &corev1.Secret{}); !apierrors.IsForbidden(err) {
		t.Fatalf("reading a Secret as the ServiceAccount: %v; want 403 Forbidden (is RBAC authorization on?)", err)
	}
	return env
}

// allowed is what the controller needs: every right of config/rbac.
func (env privilegeEnv) allowed() []authorizationv1.ResourceAttributes {
	ns, saNS := env.ns, env.saNS
	return []authorizationv1.ResourceAttributes{
		{Verb: "list", Group: alphaGroup, Resource: "inferencemodels"},
		{Verb: "watch", Group: alphaGroup, Resource: "inferencemodels"},
		{Verb: "patch", Group: alphaGroup, Resource: "inferencemodels", Subresource: "status", Namespace: ns},
		{Verb: "watch", Group: alphaGroup, Resource: "inferencepools"},
		{Verb: "watch", Group: v1Group, Resource: "inferencepools"},
		{Verb: "watch", Group: gatewayv1.GroupName, Resource: "httproutes"},
		{Verb: "create", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
		{Verb: "patch", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
		{Verb: "delete", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
		{Verb: "watch", Group: gatewayv1.GroupName, Resource: "gateways"},
		{Verb: "watch", Group: gatewayv1.GroupName, Resource: "gatewayclasses"},
		{Verb: "watch", Resource: "services"},
		{Verb: "patch", Resource: "services", Namespace: ns},
		{Verb: "delete", Resource: "services", Namespace: ns},
		{Verb: "create", Group: "events.k8s.io", Resource: "events", Namespace: ns},
		{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: saNS, Name: leaderElectionID},
		{Verb: "create", Resource: "events", Namespace: saNS},
	}
}

// denied is what the controller must not be able to do.
func (env privilegeEnv) denied() []authorizationv1.ResourceAttributes {
	ns, saNS := env.ns, env.saNS
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
			{gatewayv1.GroupName, "gatewayclasses", ""},
			{gatewayv1.GroupName, "gatewayclasses", "status"},
			{"rbac.authorization.k8s.io", "rolebindings", ""},
			{"rbac.authorization.k8s.io", "clusterroles", ""},
		} {
			denied = append(denied, authorizationv1.ResourceAttributes{Verb: verb, Group: r.group, Resource: r.resource, Subresource: r.subresource, Namespace: ns})
		}
	}
	return append(denied,
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
}

// getPool reads the alpha pool ns/name as the tests' admin.
func getPool(ns, name string) (*v1alpha2.InferencePool, error) {
	p := &v1alpha2.InferencePool{}
	return p, get(p, ns, name)
}

// forbiddenRequest is a request the ServiceAccount sends for real, which
// the API server must refuse with 403.
type forbiddenRequest struct {
	what string
	send func(ctx context.Context, c client.Client) error
}

func (env privilegeEnv) forbiddenRequests() []forbiddenRequest {
	ns := env.ns
	deployment := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}},
			},
		},
	}
	return []forbiddenRequest{
		{"listing Secrets", func(ctx context.Context, c client.Client) error {
			return c.List(ctx, &corev1.SecretList{}, client.InNamespace(ns))
		}},
		{"listing Secrets cluster-wide", func(ctx context.Context, c client.Client) error { return c.List(ctx, &corev1.SecretList{}) }},
		{"creating a ConfigMap", func(ctx context.Context, c client.Client) error {
			return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}})
		}},
		{"creating a Deployment", func(ctx context.Context, c client.Client) error { return c.Create(ctx, deployment.DeepCopy()) }},
		{"creating an InferencePool", func(ctx context.Context, c client.Client) error { return c.Create(ctx, alphaPool(ns, "pool-y")) }},
		{"creating a v1 InferencePool", func(ctx context.Context, c client.Client) error { return c.Create(ctx, v1Pool(ns, "pool-z")) }},
		{"updating an InferencePool", func(ctx context.Context, c client.Client) error {
			pool, err := getPool(ns, "pool-x")
			if err != nil {
				return err
			}
			pool.Spec.TargetPortNumber = 1
			return c.Update(ctx, pool)
		}},
		{"deleting an InferencePool", func(ctx context.Context, c client.Client) error {
			pool, err := getPool(ns, "pool-x")
			if err != nil {
				return err
			}
			return c.Delete(ctx, pool)
		}},
		{"patching an InferenceModel's spec", func(ctx context.Context, c client.Client) error {
			model, err := getModel(ns, "model-x")
			if err != nil {
				return err
			}
			return c.Patch(ctx, model, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"poolRef":{"name":"elsewhere"}}}`)))
		}},
		{"updating an InferenceModel", func(ctx context.Context, c client.Client) error {
			model, err := getModel(ns, "model-x")
			if err != nil {
				return err
			}
			model.Spec.TargetModels = []v1alpha2.TargetModel{{Name: "hijack"}}
			return c.Update(ctx, model)
		}},
		{"deleting an InferenceModel", func(ctx context.Context, c client.Client) error {
			model, err := getModel(ns, "model-x")
			if err != nil {
				return err
			}
			return c.Delete(ctx, model)
		}},
		{"creating a Lease outside its namespace", func(ctx context.Context, c client.Client) error {
			return c.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}})
		}},
		{"writing a GatewayClass's status", func(ctx context.Context, c client.Client) error {
			class := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "any"}}
			return c.Status().Patch(ctx, class, client.RawPatch("application/merge-patch+json", []byte(`{"status":{}}`)))
		}},
	}
}

// TestLeastPrivilege runs the controller as a ServiceAccount bound to
// exactly config/rbac, with RBAC authorization on: what it may do, what it
// may not (asked, and tried for real), and the controller at work with
// that identity, leader election included, none of its requests denied.
func TestLeastPrivilege(t *testing.T) {
	env := newPrivilegeEnv(t)
	ctx := testContext(t)
	t.Run("may", func(t *testing.T) {
		for _, a := range env.allowed() {
			t.Run(describe(a), func(t *testing.T) {
				if allowed, reason := canI(t, ctx, env.sa, a); !allowed {
					t.Errorf("the ServiceAccount may not %s: %s", describe(a), reason)
				}
			})
		}
	})
	t.Run("may not", func(t *testing.T) {
		for _, a := range env.denied() {
			t.Run(describe(a), func(t *testing.T) {
				if allowed, _ := canI(t, ctx, env.sa, a); allowed {
					t.Errorf("the ServiceAccount may %s", describe(a))
				}
			})
		}
	})
	t.Run("refused", func(t *testing.T) {
		create(t, alphaPool(env.ns, "pool-x"), newModel(env.ns, "model-x", "model-x", "pool-x"))
		for _, r := range env.forbiddenRequests() {
			t.Run(r.what, func(t *testing.T) {
				if err := r.send(ctx, env.client); !apierrors.IsForbidden(err) {
					t.Errorf("%s as the ServiceAccount: %v; want 403 Forbidden", r.what, err)
				}
			})
		}
		// Each request changed nothing.
		if got := mustGet(t, &v1alpha2.InferenceModel{}, env.ns, "model-x"); got.Generation != 1 || got.Spec.PoolRef.Name != "pool-x" {
			t.Errorf("the model changed: generation %d, poolRef %q", got.Generation, got.Spec.PoolRef.Name)
		}
		if got := mustGet(t, &v1alpha2.InferencePool{}, env.ns, "pool-x"); got.Spec.TargetPortNumber != 8000 {
			t.Errorf("the pool changed: targetPortNumber %d", got.Spec.TargetPortNumber)
		}
	})
	// The controller at work with that identity. Each manager caches only
	// ns, as `modelroute controller --namespace` does (a cluster-wide one
	// would act on other tests' namespaces too); the list and watch rights
	// it uses are cluster-wide, checked above.
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, env privilegeEnv, m *harness.Manager, cfg translate.Config)
		cfg  func() translate.Config
	}{
		{"routes and status", routesAsServiceAccount, testConfig},
		{"service backend", servicesAsServiceAccount, func() translate.Config {
			cfg := testConfig()
			cfg.Backend = translate.BackendService
			return cfg
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg()
			m := harness.StartManager(t, harness.ManagerOptions{
				RestConfig: env.config, Namespaces: []string{env.ns}, Config: cfg,
				LeaderElectionNamespace: env.saNS, LeaderElectionID: leaderElectionID,
			})
			tc.run(t, env, m, cfg)
			checkHealthy(t, m)
			// Stopped, it hands the Lease back.
			m.Stop()
			harness.Eventually(t, func() error {
				lease := &coordinationv1.Lease{}
				if err := get(lease, env.saNS, leaderElectionID); err != nil {
					return err
				}
				if holder := ptr.Deref(lease.Spec.HolderIdentity, ""); holder != "" {
					return fmt.Errorf("the Lease is still held by %q", holder)
				}
				return nil
			})
			// Nothing the controller asked for was denied, reads and
			// watches included: the roles give it all it needs.
			if denied := m.Requests.Denied(); len(denied) != 0 {
				t.Errorf("requests denied to the ServiceAccount:\n%s", strings.Join(denied, "\n"))
			}
			if rejected := m.Requests.Rejected(); len(rejected) != 0 {
				t.Errorf("writes refused as invalid:\n%s", strings.Join(rejected, "\n"))
			}
			for _, w := range m.Requests.Writes() {
				if !strings.Contains(w, "/namespaces/"+env.ns+"/") && !strings.Contains(w, "/namespaces/"+env.saNS+"/") {
					t.Errorf("wrote outside the model's and its own namespace: %s", w)
				}
			}
		})
	}
}

// routesAsServiceAccount: leader election, a route and its status, the
// Gateway's verdict, drift repair, a foreign route left alone, and a route
// deleted with its pool.
func routesAsServiceAccount(t *testing.T, env privilegeEnv, m *harness.Manager, cfg translate.Config) {
	ns, saNS := env.ns, env.saNS
	harness.Eventually(t, func() error {
		lease := &coordinationv1.Lease{}
		if err := get(lease, saNS, leaderElectionID); err != nil {
			return err
		}
		if ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
			return errors.New("the Lease has no holder")
		}
		return nil
	})
	harness.Eventually(t, func() error {
		var events corev1.EventList
		if err := k8s.List(testContext(t), &events, client.InNamespace(saNS)); err != nil {
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
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), pending(1, "chat", 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "chat", cfg))
	// The Gateway's verdict, read from the route.
	setRouteStatus(t, ns, "chat", func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, "chat", resolved(1, "pool-a", alphaGroup), accepted(1, "chat"), programmed(1, "chat")))
	harness.Eventually(t, func() error {
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
	harness.Eventually(t, func() error {
		if w := backendWeights(mustGet(t, &gatewayv1.HTTPRoute{}, ns, "chat-modelroute")); !slices.Equal(w, []int32{90, 10}) {
			return fmt.Errorf("route weights %v", w)
		}
		return nil
	})
	// A foreign route with the generated name is seen past the cache and
	// left alone.
	foreign := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken-modelroute"}}
	create(t, foreign, alphaPool(ns, "pool-b"), newModel(ns, "taken", "taken", "pool-b"))
	harness.Eventually(t, hasConditions(ns, "taken", resolved(1, "pool-b", alphaGroup), accepted(1, "taken"),
		condition(translate.ConditionProgrammed, metav1.ConditionFalse, "RouteConflict", 1,
			`HTTPRoute "taken-modelroute" already exists and is not controlled by this InferenceModel; modelroute leaves it untouched: delete or rename it`)))
	// The pool goes: modelroute deletes the route. The route is gone once
	// the DELETE is answered, and recorded only after: wait for the record.
	remove(t, mustGet(t, &v1alpha2.InferencePool{}, ns, "pool-a"))
	harness.Eventually(t, absent(&gatewayv1.HTTPRoute{}, ns, "chat-modelroute"))
	harness.Eventually(t, hasConditions(ns, "chat", accepted(1, "chat"), condition(translate.ConditionResolvedRefs, metav1.ConditionFalse, "PoolNotFound", 1,
		`InferencePool "pool-a" (group inference.networking.x-k8s.io) not found in namespace %q`, ns)))
	harness.Eventually(t, oneRequest(m, "DELETE", "/httproutes/chat-modelroute", "200 OK"))
}

// servicesAsServiceAccount: a shadow Service made for a pool's model, and
// deleted with the pool's last model.
func servicesAsServiceAccount(t *testing.T, env privilegeEnv, m *harness.Manager, cfg translate.Config) {
	ns := env.ns
	pool := v1Pool(ns, "pool-v1")
	model := newModel(ns, "embed", "embed", "pool-v1")
	model.Spec.PoolRef.Group = v1Group
	create(t, pool, model)
	service := translate.ServiceName(v1Group, "pool-v1")
	harness.Eventually(t, hasConditions(ns, "embed", resolved(1, "pool-v1", v1Group), accepted(1, "embed"), pending(1, "embed", 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, "embed", cfg))
	harness.Eventually(t, func() error {
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
	// The pool's last model goes: modelroute deletes the Service (recorded
	// once the DELETE is answered, after the Service is gone).
	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "embed"))
	harness.Eventually(t, absent(&corev1.Service{}, ns, service))
	harness.Eventually(t, oneRequest(m, "DELETE", "/services/"+service, "200 OK"))
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
