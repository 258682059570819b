package controllers_test

// Least privilege, proven for each install variant: the controller runs as
// a ServiceAccount bound to exactly the roles `make release-manifests`
// ships for that variant (built by internal/install from config/), on a
// kube-apiserver that authorizes with RBAC and enforces
// OwnerReferencesPermissionEnforcement; it does its work without a single
// request denied, can do nothing else of note, and serves its metrics
// only to whom the API server authenticates and authorizes.

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/install"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/manifests"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

// rbacNamespace is the controller's namespace in config/.
const rbacNamespace = "modelroute-system"

// leaderElectionID is `modelroute controller`'s default Lease name.
const leaderElectionID = "modelroute.dev"

// metricsReaderRole is the ClusterRole config/rbac ships for scrapers.
const metricsReaderRole = "modelroute-metrics-reader"

// rbacVariant is one install variant of `make release-manifests`.
type rbacVariant struct {
	name       string
	backend    translate.BackendMode
	namespaced bool
	// eppAPI adds the epp-api component (EPP_API=1).
	eppAPI bool
}

var rbacVariants = []rbacVariant{
	{"inferencepool cluster-wide", translate.BackendInferencePool, false, false},
	{"service cluster-wide", translate.BackendService, false, false},
	{"inferencepool namespaced", translate.BackendInferencePool, true, false},
	{"service namespaced", translate.BackendService, true, false},
	{"inferencepool with the EPP API cluster-wide", translate.BackendInferencePool, false, true},
	{"inferencepool with the EPP API namespaced", translate.BackendInferencePool, true, true},
}

// successorResources are the resources --epp-api writes, in both groups.
var successorResources = []struct{ group, resource string }{
	{alphaGroup, "inferencemodelrewrites"}, {"llm-d.ai", "inferencemodelrewrites"},
	{alphaGroup, "inferenceobjectives"}, {"llm-d.ai", "inferenceobjectives"},
}

// eppAPIVerbs are the verbs --epp-api uses on them.
var eppAPIVerbs = []string{"create", "patch", "delete"}

// privilegeEnv is a ServiceAccount bound to exactly one variant's roles,
// and a namespace for models (the watched one of a namespaced variant).
type privilegeEnv struct {
	variant  rbacVariant
	saNS, ns string
	// config authenticates as the ServiceAccount.
	config *rest.Config
	sa     kubernetes.Interface
	client client.Client
	// args are the controller's args in the variant's Deployment.
	args []string
	// rules are those of every role the ServiceAccount is bound to.
	rules []rbacv1.PolicyRule
	// metricsReaderRole is the name the variant's metrics-reader
	// ClusterRole was installed under.
	metricsReaderRole string
}

// variantObjects builds the variant as `make release-manifests` does and
// returns its objects.
func variantObjects(t *testing.T, v rbacVariant, watched string) []*unstructured.Unstructured {
	t.Helper()
	opts := install.Options{Image: "modelroute:test", Backend: v.backend, EPPAPI: v.eppAPI}
	if v.namespaced {
		opts.Namespace = watched
	}
	yml, err := install.Manifests(filepath.Join(controlplane.RepoRoot(), "config", "default"), opts)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifests.Objects(yml)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// installRBAC applies the ServiceAccount, roles and bindings of a
// variant, with the controller's namespace modelroute-system replaced by
// env.saNS and the cluster-wide objects renamed after it, so that each run
// has its own; and fills in env's config, authenticated as the
// ServiceAccount with a token from the TokenRequest API, its rules and the
// Deployment's args.
func installRBAC(t *testing.T, ctx context.Context, env *privilegeEnv) {
	t.Helper()
	clusterName := func(name string) string { return name + "-" + env.saNS }
	var kinds []string
	var rbacObjs []*unstructured.Unstructured
	for _, obj := range variantObjects(t, env.variant, env.ns) {
		switch obj.GetKind() {
		case "Namespace", "PodDisruptionBudget":
		case "Deployment":
			containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
			env.args, _, _ = unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			kinds = append(kinds, obj.GetKind())
			rbacObjs = append(rbacObjs, obj)
		default:
			t.Fatalf("the install holds a %s %s; update this test with the install", obj.GetKind(), obj.GetName())
		}
	}
	if !slices.Contains(kinds, "ServiceAccount") || env.args == nil {
		t.Fatalf("the install holds %v and args %q; want a ServiceAccount and a Deployment", kinds, env.args)
	}

	roles := map[string][]rbacv1.PolicyRule{} // by kind/namespace/name, as installed
	var bound []string
	for _, obj := range rbacObjs {
		switch obj.GetKind() {
		case "ClusterRole", "ClusterRoleBinding":
			obj.SetName(clusterName(obj.GetName()))
		default:
			switch obj.GetNamespace() {
			case rbacNamespace:
				obj.SetNamespace(env.saNS)
			case env.ns:
				if !env.variant.namespaced {
					t.Fatalf("%s %s is in namespace %s in a cluster-wide install", obj.GetKind(), obj.GetName(), env.ns)
				}
			default:
				t.Fatalf("%s %s is in namespace %q; want the controller's, %s, or the watched one", obj.GetKind(), obj.GetName(), obj.GetNamespace(), rbacNamespace)
			}
		}
		switch obj.GetKind() {
		case "ClusterRole", "Role":
			var role rbacv1.ClusterRole // a Role's fields are a subset
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &role); err != nil {
				t.Fatal(err)
			}
			roles[obj.GetKind()+"/"+obj.GetNamespace()+"/"+obj.GetName()] = role.Rules
			if obj.GetName() == clusterName(metricsReaderRole) {
				env.metricsReaderRole = obj.GetName()
			}
		case "ClusterRoleBinding", "RoleBinding":
			ref := obj.Object["roleRef"].(map[string]any)
			roleNS := obj.GetNamespace()
			if ref["kind"] == "ClusterRole" {
				ref["name"], roleNS = clusterName(ref["name"].(string)), ""
			}
			bound = append(bound, fmt.Sprintf("%s/%s/%s", ref["kind"], roleNS, ref["name"]))
		}
		if subjects, ok := obj.Object["subjects"].([]any); ok {
			for _, s := range subjects {
				subject := s.(map[string]any)
				if subject["kind"] != "ServiceAccount" || subject["namespace"] != rbacNamespace || subject["name"] != "modelroute" {
					t.Fatalf("%s %s binds %v; want only the ServiceAccount %s/modelroute", obj.GetKind(), obj.GetName(), subject, rbacNamespace)
				}
				subject["namespace"] = env.saNS
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
	if env.metricsReaderRole == "" {
		t.Fatalf("the install has no ClusterRole %s", metricsReaderRole)
	}
	for _, role := range bound {
		rules, ok := roles[role]
		if !ok {
			t.Fatalf("a binding refers to %s, which the install does not hold", role)
		}
		env.rules = append(env.rules, rules...)
	}
	env.config = serviceAccountConfig(t, ctx, env.saNS, "modelroute")
}

// serviceAccountConfig is a client config that authenticates as the
// ServiceAccount ns/name, with a token from the TokenRequest API.
func serviceAccountConfig(t *testing.T, ctx context.Context, ns, name string) *rest.Config {
	t.Helper()
	admin, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	token, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for the ServiceAccount %s/%s: %v", ns, name, err)
	}
	return &rest.Config{
		Host:            cluster.Config.Host,
		BearerToken:     token.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: cluster.Config.CAData},
		// `modelroute controller`'s defaults.
		QPS: 50, Burst: 100,
	}
}

// newServiceAccount creates a ServiceAccount ns/name, bound to nothing.
func newServiceAccount(t *testing.T, ctx context.Context, ns, name string) *rest.Config {
	t.Helper()
	if err := k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
		t.Fatal(err)
	}
	return serviceAccountConfig(t, ctx, ns, name)
}

func newPrivilegeEnv(t *testing.T, v rbacVariant) *privilegeEnv {
	t.Helper()
	ctx := testContext(t)
	env := &privilegeEnv{variant: v, saNS: newNamespace(t), ns: newNamespace(t)}
	installRBAC(t, ctx, env)
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

// flag is the value of the controller's --name=VALUE in the variant's
// Deployment, "" without one.
func (env *privilegeEnv) flag(name string) string {
	v := ""
	for _, a := range env.args {
		if k, val, ok := strings.Cut(strings.TrimLeft(a, "-"), "="); ok && k == name {
			v = val
		}
	}
	return v
}

// listScope is the namespace where the controller lists and watches what
// it manages: every namespace ("") or the watched one.
func (env *privilegeEnv) listScope() string {
	if env.variant.namespaced {
		return env.ns
	}
	return ""
}

// allowed is what the controller needs.
func (env *privilegeEnv) allowed() []authorizationv1.ResourceAttributes {
	ns, saNS, scope := env.ns, env.saNS, env.listScope()
	allowed := []authorizationv1.ResourceAttributes{
		{Verb: "list", Group: alphaGroup, Resource: "inferencemodels", Namespace: scope},
		{Verb: "watch", Group: alphaGroup, Resource: "inferencemodels", Namespace: scope},
		{Verb: "patch", Group: alphaGroup, Resource: "inferencemodels", Subresource: "status", Namespace: ns},
		// blockOwnerDeletion on a route's ownerReference to its model.
		{Verb: "update", Group: alphaGroup, Resource: "inferencemodels", Subresource: "finalizers", Namespace: ns, Name: "model-x"},
		{Verb: "watch", Group: alphaGroup, Resource: "inferencepools", Namespace: scope},
		{Verb: "watch", Group: v1Group, Resource: "inferencepools", Namespace: scope},
		{Verb: "watch", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: scope},
		{Verb: "create", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
		{Verb: "patch", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
		{Verb: "delete", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: ns},
		// InferenceModelRewrites of both groups, their status, and
		// blockOwnerDeletion on a route's ownerReference to one.
		{Verb: "watch", Group: alphaGroup, Resource: "inferencemodelrewrites", Namespace: scope},
		{Verb: "watch", Group: "llm-d.ai", Resource: "inferencemodelrewrites", Namespace: scope},
		{Verb: "patch", Group: alphaGroup, Resource: "inferencemodelrewrites", Subresource: "status", Namespace: ns},
		{Verb: "patch", Group: "llm-d.ai", Resource: "inferencemodelrewrites", Subresource: "status", Namespace: ns},
		{Verb: "update", Group: "llm-d.ai", Resource: "inferencemodelrewrites", Subresource: "finalizers", Namespace: ns},
		// InferenceObjectives of both groups, and their status.
		{Verb: "watch", Group: alphaGroup, Resource: "inferenceobjectives", Namespace: scope},
		{Verb: "watch", Group: "llm-d.ai", Resource: "inferenceobjectives", Namespace: scope},
		{Verb: "patch", Group: alphaGroup, Resource: "inferenceobjectives", Subresource: "status", Namespace: ns},
		{Verb: "patch", Group: "llm-d.ai", Resource: "inferenceobjectives", Subresource: "status", Namespace: ns},
		// Gateways in every namespace, whatever the scope.
		{Verb: "watch", Group: gatewayv1.GroupName, Resource: "gateways"},
		{Verb: "watch", Group: gatewayv1.GroupName, Resource: "gatewayclasses"},
		{Verb: "create", Group: "events.k8s.io", Resource: "events", Namespace: ns},
		{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: saNS, Name: leaderElectionID},
		{Verb: "create", Resource: "events", Namespace: saNS},
		// The metrics endpoint's reviews.
		{Verb: "create", Group: "authentication.k8s.io", Resource: "tokenreviews"},
		{Verb: "create", Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
	}
	if env.variant.backend == translate.BackendService {
		allowed = append(allowed,
			authorizationv1.ResourceAttributes{Verb: "watch", Resource: "services", Namespace: scope},
			authorizationv1.ResourceAttributes{Verb: "create", Resource: "services", Namespace: ns},
			authorizationv1.ResourceAttributes{Verb: "patch", Resource: "services", Namespace: ns},
			authorizationv1.ResourceAttributes{Verb: "delete", Resource: "services", Namespace: ns},
			// blockOwnerDeletion on a shadow Service's ownerReference to its pool.
			authorizationv1.ResourceAttributes{Verb: "update", Group: alphaGroup, Resource: "inferencepools", Subresource: "finalizers", Namespace: ns},
			authorizationv1.ResourceAttributes{Verb: "update", Group: v1Group, Resource: "inferencepools", Subresource: "finalizers", Namespace: ns},
		)
	}
	if env.variant.eppAPI {
		for _, r := range successorResources {
			for _, verb := range eppAPIVerbs {
				allowed = append(allowed, authorizationv1.ResourceAttributes{Verb: verb, Group: r.group, Resource: r.resource, Namespace: ns})
			}
		}
	}
	return allowed
}

// writeVerbs are the verbs that change something.
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// denied is what the controller must not be able to do.
func (env *privilegeEnv) denied() []authorizationv1.ResourceAttributes {
	ns, saNS := env.ns, env.saNS
	var denied []authorizationv1.ResourceAttributes
	for _, namespace := range []string{"", ns, saNS} {
		for _, verb := range []string{"get", "list", "watch"} {
			denied = append(denied, authorizationv1.ResourceAttributes{Verb: verb, Resource: "secrets", Namespace: namespace})
		}
	}
	for _, verb := range writeVerbs {
		for _, r := range []struct{ group, resource, subresource string }{
			{"", "configmaps", ""},
			{"apps", "deployments", ""},
			{"", "pods", ""},
			{alphaGroup, "inferencepools", ""},
			{v1Group, "inferencepools", ""},
			{alphaGroup, "inferencemodels", ""},
			{alphaGroup, "inferenceobjectives", ""},
			{"llm-d.ai", "inferenceobjectives", ""},
			{alphaGroup, "inferencemodelrewrites", ""},
			{"llm-d.ai", "inferencemodelrewrites", ""},
			{gatewayv1.GroupName, "httproutes", "status"},
			{gatewayv1.GroupName, "gateways", ""},
			{gatewayv1.GroupName, "gatewayclasses", ""},
			{gatewayv1.GroupName, "gatewayclasses", "status"},
			{"rbac.authorization.k8s.io", "rolebindings", ""},
			{"rbac.authorization.k8s.io", "clusterroles", ""},
		} {
			if env.variant.eppAPI && slices.Contains(eppAPIVerbs, verb) && slices.ContainsFunc(successorResources, func(w struct{ group, resource string }) bool {
				return w.group == r.group && w.resource == r.resource && r.subresource == ""
			}) {
				continue // its rights, checked in allowed
			}
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
		// Scraping metrics is for the metrics-reader role, not the controller's.
		authorizationv1.ResourceAttributes{Verb: "get", Resource: "nonresource:/metrics"},
	)
	if env.variant.backend != translate.BackendService {
		// No Service rights at all, nor the pools' finalizers.
		for _, namespace := range []string{"", ns} {
			for _, verb := range append([]string{"get", "list", "watch"}, writeVerbs...) {
				denied = append(denied, authorizationv1.ResourceAttributes{Verb: verb, Resource: "services", Namespace: namespace})
			}
			for _, group := range []string{alphaGroup, v1Group} {
				denied = append(denied, authorizationv1.ResourceAttributes{Verb: "update", Group: group, Resource: "inferencepools", Subresource: "finalizers", Namespace: namespace})
			}
		}
	}
	if env.variant.namespaced {
		// Nothing beyond the watched namespace but the Gateways: no
		// cluster-wide list, and no write in another namespace.
		denied = append(denied,
			authorizationv1.ResourceAttributes{Verb: "list", Group: alphaGroup, Resource: "inferencemodels"},
			authorizationv1.ResourceAttributes{Verb: "watch", Group: gatewayv1.GroupName, Resource: "httproutes"},
			authorizationv1.ResourceAttributes{Verb: "create", Group: gatewayv1.GroupName, Resource: "httproutes", Namespace: "default"},
			authorizationv1.ResourceAttributes{Verb: "patch", Group: alphaGroup, Resource: "inferencemodels", Subresource: "status", Namespace: "default"},
			authorizationv1.ResourceAttributes{Verb: "create", Group: "events.k8s.io", Resource: "events", Namespace: "default"},
			authorizationv1.ResourceAttributes{Verb: "watch", Resource: "services"},
			authorizationv1.ResourceAttributes{Verb: "create", Resource: "services", Namespace: "default"},
		)
		// No cluster-wide write on any resource the roles name.
		denied = append(denied, env.clusterWideWrites()...)
	}
	return denied
}

// clusterWideWrites asks, for every resource any of the ServiceAccount's
// roles names, each write verb across all namespaces; the reviews of the
// metrics endpoint are the one exception, cluster-scoped APIs that store
// nothing.
func (env *privilegeEnv) clusterWideWrites() []authorizationv1.ResourceAttributes {
	var out []authorizationv1.ResourceAttributes
	seen := map[string]bool{}
	for _, rule := range env.rules {
		for _, group := range rule.APIGroups {
			for _, resource := range rule.Resources {
				name, sub, _ := strings.Cut(resource, "/")
				for _, verb := range writeVerbs {
					if verb == "create" && (resource == "tokenreviews" || resource == "subjectaccessreviews") {
						continue
					}
					a := authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: name, Subresource: sub}
					if key := describe(a); !seen[key] {
						seen[key] = true
						out = append(out, a)
					}
				}
			}
		}
	}
	return out
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
	// because, when set, is part of the refusal's message.
	because string
}

func (env *privilegeEnv) forbiddenRequests() []forbiddenRequest {
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
	requests := []forbiddenRequest{
		{what: "listing Secrets", send: func(ctx context.Context, c client.Client) error {
			return c.List(ctx, &corev1.SecretList{}, client.InNamespace(ns))
		}},
		{what: "listing Secrets cluster-wide", send: func(ctx context.Context, c client.Client) error { return c.List(ctx, &corev1.SecretList{}) }},
		{what: "creating a ConfigMap", send: func(ctx context.Context, c client.Client) error {
			return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}})
		}},
		{what: "creating a Deployment", send: func(ctx context.Context, c client.Client) error { return c.Create(ctx, deployment.DeepCopy()) }},
		{what: "creating an InferencePool", send: func(ctx context.Context, c client.Client) error { return c.Create(ctx, alphaPool(ns, "pool-y")) }},
		{what: "creating a v1 InferencePool", send: func(ctx context.Context, c client.Client) error { return c.Create(ctx, v1Pool(ns, "pool-z")) }},
		{what: "updating an InferencePool", send: func(ctx context.Context, c client.Client) error {
			pool, err := getPool(ns, "pool-x")
			if err != nil {
				return err
			}
			pool.Spec.TargetPortNumber = 1
			return c.Update(ctx, pool)
		}},
		{what: "deleting an InferencePool", send: func(ctx context.Context, c client.Client) error {
			pool, err := getPool(ns, "pool-x")
			if err != nil {
				return err
			}
			return c.Delete(ctx, pool)
		}},
		{what: "patching an InferenceModel's spec", send: func(ctx context.Context, c client.Client) error {
			model, err := getModel(ns, "model-x")
			if err != nil {
				return err
			}
			return c.Patch(ctx, model, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"poolRef":{"name":"elsewhere"}}}`)))
		}},
		{what: "updating an InferenceModel", send: func(ctx context.Context, c client.Client) error {
			model, err := getModel(ns, "model-x")
			if err != nil {
				return err
			}
			model.Spec.TargetModels = []v1alpha2.TargetModel{{Name: "hijack"}}
			return c.Update(ctx, model)
		}},
		{what: "deleting an InferenceModel", send: func(ctx context.Context, c client.Client) error {
			model, err := getModel(ns, "model-x")
			if err != nil {
				return err
			}
			return c.Delete(ctx, model)
		}},
		{what: "creating a Lease outside its namespace", send: func(ctx context.Context, c client.Client) error {
			return c.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}})
		}},
		{what: "writing a GatewayClass's status", send: func(ctx context.Context, c client.Client) error {
			class := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "any"}}
			return c.Status().Patch(ctx, class, client.RawPatch("application/merge-patch+json", []byte(`{"status":{}}`)))
		}},
		// The ServiceAccount may create routes, but the admission plugin
		// refuses blockOwnerDeletion on an owner whose finalizers it may
		// not update: the plugin is on, so the routes the controller
		// creates below prove the finalizers rights.
		{what: "creating a route that blocks a ConfigMap's deletion", because: "cannot set blockOwnerDeletion", send: func(ctx context.Context, c client.Client) error {
			owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "owner"}}
			if err := k8s.Create(ctx, owner); err != nil {
				return err
			}
			route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "blocking", OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID, BlockOwnerDeletion: ptr.To(true),
			}}}}
			return c.Create(ctx, route)
		}},
	}
	if env.variant.backend != translate.BackendService {
		requests = append(requests, forbiddenRequest{what: "listing Services", send: func(ctx context.Context, c client.Client) error {
			return c.List(ctx, &corev1.ServiceList{}, client.InNamespace(ns))
		}}, forbiddenRequest{what: "creating a Service", send: func(ctx context.Context, c client.Client) error {
			return c.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}})
		}})
	}
	if env.variant.namespaced {
		requests = append(requests, forbiddenRequest{what: "listing InferenceModels cluster-wide", send: func(ctx context.Context, c client.Client) error {
			return c.List(ctx, &v1alpha2.InferenceModelList{})
		}}, forbiddenRequest{what: "creating a route in another namespace", send: func(ctx context.Context, c client.Client) error {
			return c.Create(ctx, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: env.saNS, Name: "elsewhere"}})
		}})
	}
	return requests
}

// TestLeastPrivilege runs the controller as a ServiceAccount bound to
// exactly the roles of each install variant, under RBAC authorization and
// OwnerReferencesPermissionEnforcement: what it may do, what it may not
// (asked, and tried for real), and the controller at work with that
// identity, leader election and metrics included, none of its requests
// denied.
func TestLeastPrivilege(t *testing.T) {
	if !slices.Contains(controlplane.AdmissionPlugins, "OwnerReferencesPermissionEnforcement") {
		t.Fatalf("the control plane's admission plugins %v lack OwnerReferencesPermissionEnforcement", controlplane.AdmissionPlugins)
	}
	for _, v := range rbacVariants {
		t.Run(v.name, func(t *testing.T) { leastPrivilege(t, v) })
	}
}

func leastPrivilege(t *testing.T, v rbacVariant) {
	env := newPrivilegeEnv(t, v)
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
	if v.namespaced {
		t.Run("no cluster-wide writes", func(t *testing.T) { checkNoClusterWideWrites(t, ctx, env) })
	}
	t.Run("refused", func(t *testing.T) {
		create(t, alphaPool(env.ns, "pool-x"), newModel(env.ns, "model-x", "model-x", "pool-x"))
		for _, r := range env.forbiddenRequests() {
			t.Run(r.what, func(t *testing.T) {
				err := r.send(ctx, env.client)
				if !apierrors.IsForbidden(err) {
					t.Errorf("%s as the ServiceAccount: %v; want 403 Forbidden", r.what, err)
				} else if !strings.Contains(err.Error(), r.because) {
					t.Errorf("%s as the ServiceAccount: %v; want a refusal for %q", r.what, err, r.because)
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

	// The controller at work with that identity, configured as the
	// variant's Deployment configures it. A cluster-wide variant's manager
	// caches only ns all the same, as `--namespace` would (one watching
	// every namespace would act on other tests' namespaces too); its list
	// and watch rights are cluster-wide, checked above.
	cfg := testConfig()
	cfg.Backend = translate.BackendMode(cmp.Or(env.flag("backend"), string(translate.BackendInferencePool)))
	if cfg.Backend != v.backend {
		t.Fatalf("the Deployment runs --backend=%s; want %s", cfg.Backend, v.backend)
	}
	cfg.EPPAPI = env.flag("epp-api")
	if want := map[bool]string{true: "auto"}[v.eppAPI]; cfg.EPPAPI != want {
		t.Fatalf("the Deployment runs --epp-api=%q; want %q", cfg.EPPAPI, want)
	}
	watched := env.ns
	if v.namespaced {
		if watched = env.flag("namespace"); watched != env.ns {
			t.Fatalf("the Deployment runs --namespace=%q; want %s", watched, env.ns)
		}
	} else if ns := env.flag("namespace"); ns != "" {
		t.Fatalf("the cluster-wide Deployment runs --namespace=%s", ns)
	}
	metricsAddr := freeAddress(t)
	m := harness.StartManager(t, harness.ManagerOptions{
		RestConfig: env.config, Namespaces: []string{watched}, Config: cfg,
		LeaderElectionNamespace: env.saNS, LeaderElectionID: leaderElectionID,
		MetricsBindAddress: metricsAddr,
	})
	leaderElected(t, env)
	switch {
	case v.backend == translate.BackendService:
		servicesAsServiceAccount(t, env, m, cfg)
	case v.eppAPI:
		// The test's own translator takes the group auto picks here.
		cfg.EPPAPI = translate.GroupLLMD
		eppAPIAsServiceAccount(t, env, cfg)
	default:
		routesAsServiceAccount(t, env, m, cfg)
	}
	t.Run("metrics", func(t *testing.T) { metricsAuthenticated(t, ctx, env, metricsAddr) })
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
	// Nothing the controller asked for was denied, reads and watches
	// included: the roles give it all it needs.
	if denied := m.Requests.Denied(); len(denied) != 0 {
		t.Errorf("requests denied to the ServiceAccount:\n%s", strings.Join(denied, "\n"))
	}
	if rejected := m.Requests.Rejected(); len(rejected) != 0 {
		t.Errorf("writes refused as invalid:\n%s", strings.Join(rejected, "\n"))
	}
	for _, w := range m.Requests.Writes() {
		// The metrics endpoint's reviews are the controller's only
		// cluster-scoped writes, and store nothing.
		if strings.Contains(w, "/tokenreviews") || strings.Contains(w, "/subjectaccessreviews") {
			continue
		}
		if !strings.Contains(w, "/namespaces/"+env.ns+"/") && !strings.Contains(w, "/namespaces/"+env.saNS+"/") {
			t.Errorf("wrote outside the model's and its own namespace: %s", w)
		}
	}
}

// checkNoClusterWideWrites lists, with a SelfSubjectRulesReview, the rules
// that apply to the ServiceAccount in a namespace it has no Role in:
// those the install grants cluster-wide, on top of what every
// authenticated user has (a ServiceAccount bound to nothing, the
// baseline). None of them may write, bar the metrics endpoint's reviews.
func checkNoClusterWideWrites(t *testing.T, ctx context.Context, env *privilegeEnv) {
	nobody, err := kubernetes.NewForConfig(newServiceAccount(t, ctx, env.saNS, "nobody"))
	if err != nil {
		t.Fatal(err)
	}
	rules := func(cs kubernetes.Interface) *authorizationv1.SubjectRulesReviewStatus {
		review, err := cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SelfSubjectRulesReview: %v", err)
		}
		if review.Status.Incomplete {
			t.Fatalf("SelfSubjectRulesReview incomplete: %s", review.Status.EvaluationError)
		}
		return &review.Status
	}
	baseline, granted := rules(nobody), rules(env.sa)
	added := 0
	for _, r := range granted.ResourceRules {
		if slices.ContainsFunc(baseline.ResourceRules, func(b authorizationv1.ResourceRule) bool { return equalRule(b, r) }) {
			continue
		}
		added++
		if w := install.ClusterWideWrites(rbacv1.PolicyRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames}); len(w) > 0 {
			t.Errorf("granted cluster-wide: %s", strings.Join(w, "; "))
		}
	}
	for _, r := range granted.NonResourceRules {
		if !slices.ContainsFunc(baseline.NonResourceRules, func(b authorizationv1.NonResourceRule) bool {
			return slices.Equal(b.Verbs, r.Verbs) && slices.Equal(b.NonResourceURLs, r.NonResourceURLs)
		}) {
			t.Errorf("granted cluster-wide: %v on %v", r.Verbs, r.NonResourceURLs)
		}
	}
	// The Gateways' reads and the reviews, at least: the check saw them.
	if added == 0 {
		t.Error("no cluster-wide rule beyond the baseline; want the Gateways' reads and the metrics reviews")
	}
}

func equalRule(a, b authorizationv1.ResourceRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) &&
		slices.Equal(a.Resources, b.Resources) && slices.Equal(a.ResourceNames, b.ResourceNames)
}

// leaderElected: the controller holds the Lease in its own namespace, and
// recorded the Event of it there.
func leaderElected(t *testing.T, env *privilegeEnv) {
	t.Helper()
	harness.Eventually(t, func() error {
		lease := &coordinationv1.Lease{}
		if err := get(lease, env.saNS, leaderElectionID); err != nil {
			return err
		}
		if ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
			return errors.New("the Lease has no holder")
		}
		return nil
	})
	harness.Eventually(t, func() error {
		var events corev1.EventList
		if err := k8s.List(testContext(t), &events, client.InNamespace(env.saNS)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "LeaderElection" && e.InvolvedObject.Kind == "Lease" {
				return nil
			}
		}
		return fmt.Errorf("no LeaderElection Event in %s: %v", env.saNS, events.Items)
	})
}

// programmedRoute: the model's route is created (under the admission
// plugin, with blockOwnerDeletion on its ownerReference) and the Gateway's
// verdict makes the model Programmed.
func programmedRoute(t *testing.T, ns, model, pool, group string, cfg translate.Config) {
	t.Helper()
	harness.Eventually(t, hasConditions(ns, model, resolved(1, pool, group), accepted(1, model), pending(1, model, 1)))
	harness.Eventually(t, hasTranslatedRoute(t, ns, model, cfg))
	route := mustGet(t, &gatewayv1.HTTPRoute{}, ns, model+"-modelroute")
	if refs := route.OwnerReferences; len(refs) != 1 || !ptr.Deref(refs[0].BlockOwnerDeletion, false) {
		t.Errorf("route owners %v; want the model, blocking its deletion", refs)
	}
	setRouteStatus(t, ns, model, func(gen int64) []metav1.Condition {
		return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
	})
	harness.Eventually(t, hasConditions(ns, model, resolved(1, pool, group), accepted(1, model), programmed(1, model)))
}

// routesAsServiceAccount: a route and its status, the Gateway's verdict,
// drift repair, a foreign route left alone, and a route deleted with its
// pool.
func routesAsServiceAccount(t *testing.T, env *privilegeEnv, m *harness.Manager, cfg translate.Config) {
	ns := env.ns
	model := newModel(ns, "chat", "chat", "pool-a", weighted("v1", 90), weighted("v2", 10))
	create(t, alphaPool(ns, "pool-a"), model)
	programmedRoute(t, ns, "chat", "pool-a", alphaGroup, cfg)
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

// eppAPIAsServiceAccount: a model's InferenceModelRewrite and
// InferenceObjective, owned by it (blockOwnerDeletion needs the model's
// finalizers right), and its Programmed route; the objective deleted when
// the model drops its criticality.
func eppAPIAsServiceAccount(t *testing.T, env *privilegeEnv, cfg translate.Config) {
	ns := env.ns
	model := newModel(ns, "chat", "chat", "pool-a", weighted("v1", 90), weighted("v2", 10))
	model.Spec.Criticality = ptr.To(v1alpha2.Standard)
	create(t, alphaPool(ns, "pool-a"), model)
	programmedRoute(t, ns, "chat", "pool-a", alphaGroup, cfg)
	harness.Eventually(t, hasEPPRewrite(ns, "chat", v1alpha2.InferenceModelRewriteRule{Matches: exactMatch("chat"), Targets: []v1alpha2.TargetModelRewrite{
		{ModelRewrite: "v1", Weight: ptr.To(int32(90))}, {ModelRewrite: "v2", Weight: ptr.To(int32(10))},
	}}))
	objective := mustGet(t, &llmdv1alpha2.InferenceObjective{}, ns, "chat-modelroute")
	if refs := objective.OwnerReferences; len(refs) != 1 || !ptr.Deref(refs[0].BlockOwnerDeletion, false) || ptr.Deref(objective.Spec.Priority, -1) != 0 {
		t.Errorf("objective owners %v, priority %v; want the model, blocking its deletion, and 0", refs, objective.Spec.Priority)
	}
	update(t, model, func(m *v1alpha2.InferenceModel) { m.Spec.Criticality = nil })
	harness.Eventually(t, absent(&llmdv1alpha2.InferenceObjective{}, ns, "chat-modelroute"))
}

// servicesAsServiceAccount: for a pool of each group, a shadow Service
// owned by the pool (blockOwnerDeletion needs the pool's finalizers
// right) and a Programmed route to it; the Service deleted with the pool's
// last model.
func servicesAsServiceAccount(t *testing.T, env *privilegeEnv, m *harness.Manager, cfg translate.Config) {
	ns := env.ns
	v1Model := newModel(ns, "embed", "embed", "pool-v1")
	v1Model.Spec.PoolRef.Group = v1Group
	create(t, v1Pool(ns, "pool-v1"), v1Model, alphaPool(ns, "pool-alpha"), newModel(ns, "chat", "chat", "pool-alpha"))
	for _, tc := range []struct {
		model, pool, group string
		owner              client.Object
	}{
		{"embed", "pool-v1", v1Group, &inferencev1.InferencePool{}},
		{"chat", "pool-alpha", alphaGroup, &v1alpha2.InferencePool{}},
	} {
		programmedRoute(t, ns, tc.model, tc.pool, tc.group, cfg)
		service := translate.ServiceName(tc.group, tc.pool)
		harness.Eventually(t, func() error {
			svc := &corev1.Service{}
			if err := get(svc, ns, service); err != nil {
				return err
			}
			owner := mustGet(t, tc.owner, ns, tc.pool)
			if !metav1.IsControlledBy(svc, owner) || svc.Spec.ClusterIP != corev1.ClusterIPNone ||
				!ptr.Deref(svc.OwnerReferences[0].BlockOwnerDeletion, false) {
				return fmt.Errorf("Service %s: owners %v, clusterIP %q", service, svc.OwnerReferences, svc.Spec.ClusterIP)
			}
			return nil
		})
	}
	// The pool's last model goes: modelroute deletes the Service (recorded
	// once the DELETE is answered, after the Service is gone).
	service := translate.ServiceName(v1Group, "pool-v1")
	remove(t, mustGet(t, &v1alpha2.InferenceModel{}, ns, "embed"))
	harness.Eventually(t, absent(&corev1.Service{}, ns, service))
	harness.Eventually(t, oneRequest(m, "DELETE", "/services/"+service, "200 OK"))
}

// freeAddress is a loopback address with a port free a moment ago.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// metricsAuthenticated scrapes the controller's metrics endpoint as
// Prometheus would: refused without a token (401), refused to an identity
// without the metrics-reader role (403), served to one with it. The
// controller asks the API server, with its own identity, to review each
// token and each access.
func metricsAuthenticated(t *testing.T, ctx context.Context, env *privilegeEnv, addr string) {
	withoutRole := newServiceAccount(t, ctx, env.saNS, "scraper-without-role")
	reader := newServiceAccount(t, ctx, env.saNS, "scraper")
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "modelroute-metrics-scraper-" + env.saNS},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: env.metricsReaderRole},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: env.saNS, Name: "scraper"}},
	}
	if err := k8s.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k8s.Delete(context.Background(), binding); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting ClusterRoleBinding %s: %v", binding.Name, err)
		}
	})
	// Scrape only once the binding authorizes: the endpoint caches a
	// denial for 30 seconds.
	readerClient, err := kubernetes.NewForConfig(reader)
	if err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, func() error {
		if allowed, reason := canI(t, ctx, readerClient, authorizationv1.ResourceAttributes{Verb: "get", Resource: "nonresource:/metrics"}); !allowed {
			return fmt.Errorf("the scraper may not GET /metrics yet: %s", reason)
		}
		return nil
	})
	// The certificate is controller-runtime's self-signed one: nothing to
	// verify it against. What is tested is who gets the metrics.
	scraper := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	scrape := func(token string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			return 0, "", err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := scraper.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	for _, tc := range []struct {
		who   string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		// controller-runtime's filter answers 500, not 401, when the
		// TokenReview rejects a token with an error, as it does a token
		// that is no JWT: refused all the same.
		{"an invalid token", "not-a-token", http.StatusInternalServerError},
		{"a ServiceAccount without the metrics-reader role", withoutRole.BearerToken, http.StatusForbidden},
		{"the controller itself", env.config.BearerToken, http.StatusForbidden},
		{"a ServiceAccount bound to " + metricsReaderRole, reader.BearerToken, http.StatusOK},
	} {
		// The endpoint may still be starting.
		harness.Eventually(t, func() error {
			code, body, err := scrape(tc.token)
			if err != nil {
				return fmt.Errorf("scraping with %s: %w", tc.who, err)
			}
			if code != tc.want {
				return fmt.Errorf("scraping with %s: %d %s; want %d", tc.who, code, strings.TrimSpace(body), tc.want)
			}
			if served := strings.Contains(body, "modelroute_inference_models{"); served != (code == http.StatusOK) {
				return fmt.Errorf("scraping with %s: %d, metrics served: %v:\n%s", tc.who, code, served, body)
			}
			return nil
		})
	}
}

// canI asks the API server whether the ServiceAccount may do a.
func canI(t *testing.T, ctx context.Context, sa kubernetes.Interface, a authorizationv1.ResourceAttributes) (bool, string) {
	t.Helper()
	spec := authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a}
	if url, ok := strings.CutPrefix(a.Resource, "nonresource:"); ok {
		spec = authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: url, Verb: a.Verb}}
	}
	review, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
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
