// Package config holds the kustomize manifests; this test builds them with
// kustomize's own library, so `kubectl apply -k` gets what README promises.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func build(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objs := map[string]map[string]any{}
	for _, r := range res.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs[r.GetKind()+"/"+r.GetNamespace()+"/"+r.GetName()] = m
	}
	return objs
}

func keys(objs map[string]map[string]any) []string {
	var out []string
	for k := range objs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestKustomizations(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"default", []string{
			"ClusterRole//modelroute",
			"ClusterRole//modelroute-gateways",
			"ClusterRole//modelroute-metrics-auth",
			"ClusterRole//modelroute-metrics-reader",
			"ClusterRoleBinding//modelroute",
			"ClusterRoleBinding//modelroute-gateways",
			"ClusterRoleBinding//modelroute-metrics-auth",
			"Deployment/modelroute-system/modelroute",
			"Namespace//modelroute-system",
			"PodDisruptionBudget/modelroute-system/modelroute",
			"Role/modelroute-system/modelroute-leader-election",
			"RoleBinding/modelroute-system/modelroute-leader-election",
			"ServiceAccount/modelroute-system/modelroute",
		}},
		// On its own, so that removing config/default keeps the CRD and
		// every model.
		{"crd", []string{
			"CustomResourceDefinition//inferencemodels.inference.networking.x-k8s.io",
		}},
		{"crd/inferencepools", []string{
			"CustomResourceDefinition//inferencepools.inference.networking.k8s.io",
			"CustomResourceDefinition//inferencepools.inference.networking.x-k8s.io",
		}},
		// The body-based router, installed on its own next to the
		// controller, in the controller's namespace.
		{"router", []string{
			"ClusterRole//modelroute-router",
			"ClusterRoleBinding//modelroute-router",
			"Deployment/modelroute-system/modelroute-router",
			"PodDisruptionBudget/modelroute-system/modelroute-router",
			"Service/modelroute-system/modelroute-router",
			"ServiceAccount/modelroute-system/modelroute-router",
		}},
		{"samples", nil}, // checked below
	} {
		t.Run(tc.dir, func(t *testing.T) {
			got := keys(build(t, tc.dir))
			if tc.want == nil {
				if len(got) == 0 {
					t.Fatal("no objects")
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

// deployment decodes the Deployment config/default installs.
func deployment(t *testing.T) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	return deploymentOf(t, "default", "modelroute")
}

// deploymentOf decodes the Deployment modelroute-system/name of the
// kustomization in dir.
func deploymentOf(t *testing.T, dir, name string) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	var dep appsv1.Deployment
	obj := build(t, dir)["Deployment/modelroute-system/"+name]
	if obj == nil {
		t.Fatalf("config/%s has no Deployment modelroute-system/%s", dir, name)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, &dep, true); err != nil {
		t.Fatalf("decoding the Deployment: %v", err)
	}
	if n := len(dep.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers, want 1", n)
	}
	return &dep, &dep.Spec.Template.Spec.Containers[0]
}

// The Deployments of config/: the controller's and the router's.
var deployments = []struct{ dir, name string }{{"default", "modelroute"}, {"router", "modelroute-router"}}

// TestDeploymentIsLockedDown checks the security settings README promises,
// on top of (and more strictly than) Pod Security restricted below.
func TestDeploymentIsLockedDown(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			dep, c := deploymentOf(t, d.dir, d.name)
			lockedDown(t, dep, c)
		})
	}
}

func lockedDown(t *testing.T, dep *appsv1.Deployment, c *corev1.Container) {
	pod := dep.Spec.Template.Spec.SecurityContext
	if pod == nil || !ptr.Deref(pod.RunAsNonRoot, false) {
		t.Error("pod securityContext: runAsNonRoot is not true")
	}
	if pod == nil || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod securityContext: seccompProfile is not RuntimeDefault")
	}
	want := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
		RunAsUser:                ptr.To[int64](65532), // the image's user
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if diff := cmp.Diff(want, c.SecurityContext); diff != "" {
		t.Errorf("container securityContext (-want +got):\n%s", diff)
	}
}

// TestDeploymentMeetsPodSecurityRestricted runs Pod Security admission's own
// checks on the pod template, at the level the namespace enforces.
func TestDeploymentMeetsPodSecurityRestricted(t *testing.T) {
	objs := build(t, "default")
	ns := objs["Namespace//modelroute-system"]
	labels, _ := ns["metadata"].(map[string]any)["labels"].(map[string]any)
	if got := labels[psaapi.EnforceLevelLabel]; got != string(psaapi.LevelRestricted) {
		t.Errorf("namespace label %s=%v, want %s", psaapi.EnforceLevelLabel, got, psaapi.LevelRestricted)
	}

	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	forbidden := func(tmpl *corev1.PodTemplateSpec) []string {
		var out []string
		for _, r := range evaluator.EvaluatePod(restricted, &tmpl.ObjectMeta, &tmpl.Spec) {
			if !r.Allowed {
				out = append(out, r.ForbiddenReason+": "+r.ForbiddenDetail)
			}
		}
		return out
	}

	for _, d := range deployments {
		dep, _ := deploymentOf(t, d.dir, d.name)
		if f := forbidden(&dep.Spec.Template); len(f) > 0 {
			t.Errorf("%s: pod template violates Pod Security restricted:\n%s", d.name, strings.Join(f, "\n"))
		}
	}
	dep, _ := deployment(t)
	// The same checks must catch a weakened copy, or the pass above proves
	// nothing.
	weak := dep.Spec.Template.DeepCopy()
	weak.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = ptr.To(true)
	if len(forbidden(weak)) == 0 {
		t.Error("Pod Security checks accepted allowPrivilegeEscalation: true")
	}
}

// TestDeploymentLeaderElection: with more than one replica, all but one must
// stand by, so the controller must run with leader election.
func TestDeploymentLeaderElection(t *testing.T) {
	dep, c := deployment(t)
	replicas := ptr.Deref(dep.Spec.Replicas, 1)
	elect, err := boolFlag(c.Args, "leader-elect")
	if err != nil {
		t.Fatal(err)
	}
	if replicas > 1 && !elect {
		t.Errorf("%d replicas without --leader-elect (args %q)", replicas, c.Args)
	}
	if len(c.Args) == 0 || c.Args[0] != "controller" {
		t.Errorf("args %q do not start with the controller command", c.Args)
	}
}

// boolFlag returns a Go bool flag's value as package flag would parse args:
// the last -name, --name or --name=VALUE wins.
func boolFlag(args []string, name string) (bool, error) {
	return boolFlagDefault(args, name, false)
}

// boolFlagDefault is boolFlag for a flag that defaults to def.
func boolFlagDefault(args []string, name string, def bool) (bool, error) {
	v := def
	for _, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		k, val, hasVal := strings.Cut(a, "=")
		if k != name {
			continue
		}
		if !hasVal {
			v = true
			continue
		}
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false, fmt.Errorf("--%s=%s: %v", name, val, err)
		}
		v = b
	}
	return v, nil
}

func TestBoolFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"controller", "--leader-elect"}, true},
		{[]string{"-leader-elect=true"}, true},
		{[]string{"--leader-elect", "--leader-elect=false"}, false},
		{[]string{"--leader-elect-x"}, false},
		{[]string{"--leader-election-id=x"}, false},
	} {
		got, err := boolFlag(tc.args, "leader-elect")
		if err != nil || got != tc.want {
			t.Errorf("%q: %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
}

// TestDeploymentProbes: liveness and readiness hit the manager's /healthz and
// /readyz on the port it serves them on.
func TestDeploymentProbes(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			_, c := deploymentOf(t, d.dir, d.name)
			probesServed(t, c)
		})
	}
}

func probesServed(t *testing.T, c *corev1.Container) {
	addr := flagValue(c.Args, "health-probe-bind-address")
	if addr == "" {
		addr = ":8081" // the controller's default
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("--health-probe-bind-address=%s: %v", addr, err)
	}
	for name, tc := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"livenessProbe":  {c.LivenessProbe, "/healthz"},
		"readinessProbe": {c.ReadinessProbe, "/readyz"},
	} {
		if tc.probe == nil || tc.probe.HTTPGet == nil {
			t.Errorf("no HTTP %s", name)
			continue
		}
		if tc.probe.HTTPGet.Path != tc.path {
			t.Errorf("%s path %q, want %q", name, tc.probe.HTTPGet.Path, tc.path)
		}
		if got := containerPort(c, tc.probe.HTTPGet.Port); strconv.Itoa(int(got)) != port {
			t.Errorf("%s port %s is %d, but the probes are served on %s", name, tc.probe.HTTPGet.Port.String(), got, port)
		}
	}
}

func flagValue(args []string, name string) string {
	v := ""
	for _, a := range args {
		if k, val, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "="); ok && k == name {
			v = val
		}
	}
	return v
}

// containerPort resolves a probe's port, by name or number.
func containerPort(c *corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return 0
}

// TestDeploymentResources: requests and limits are set (their values come
// from config/manager/resources.yaml).
func TestDeploymentResources(t *testing.T) {
	_, c := deployment(t)
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
			t.Errorf("no %s request", r)
		}
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || q.IsZero() {
		t.Error("no memory limit")
	}
	if c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) < 0 {
		t.Errorf("memory limit %s below its request %s", c.Resources.Limits.Memory(), c.Resources.Requests.Memory())
	}
}

// TestDeploymentMemoryLimitHeadroom: the controller learns the container's
// memory limit and sets Go's soft limit below it (cmd/modelroute). A
// GOMEMLIMIT in the environment would win, and one equal to the limit
// leaves no headroom: the runtime would collect hard only as the kernel
// kills the process.
func TestDeploymentMemoryLimitHeadroom(t *testing.T) {
	_, c := deployment(t)
	var limit *corev1.EnvVar
	for i, e := range c.Env {
		switch e.Name {
		case "GOMEMLIMIT":
			t.Errorf("GOMEMLIMIT is set (%+v): it overrides the controller's headroom below the container's limit", e)
		case "MODELROUTE_CONTAINER_MEMORY_LIMIT": // cmd/modelroute's containerMemoryLimitEnv
			limit = &c.Env[i]
		}
	}
	if limit == nil || limit.ValueFrom == nil || limit.ValueFrom.ResourceFieldRef == nil ||
		limit.ValueFrom.ResourceFieldRef.Resource != "limits.memory" || limit.ValueFrom.ResourceFieldRef.Divisor.Cmp(resource.MustParse("1")) > 0 {
		t.Errorf("MODELROUTE_CONTAINER_MEMORY_LIMIT is %+v; want the container's limits.memory in bytes", limit)
	}
}

// The controller's defaults of the flags below (cmd/modelroute).
const (
	defaultGracefulShutdownTimeout = 30 * time.Second
	defaultRenewDeadline           = 10 * time.Second
)

// TestDeploymentGracePeriod: on SIGTERM the controller waits up to
// --graceful-shutdown-timeout for running reconciles, then hands back the
// Lease, which may take up to --leader-election-renew-deadline; a kill
// before that leaves the standby waiting out the lease duration.
func TestDeploymentGracePeriod(t *testing.T) {
	dep, c := deployment(t)
	shutdown := durationFlag(t, c.Args, "graceful-shutdown-timeout", defaultGracefulShutdownTimeout)
	renew := durationFlag(t, c.Args, "leader-election-renew-deadline", defaultRenewDeadline)
	grace := time.Duration(ptr.Deref(dep.Spec.Template.Spec.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)) * time.Second
	if grace <= shutdown+renew {
		t.Errorf("terminationGracePeriodSeconds %s; want more than --graceful-shutdown-timeout %s plus --leader-election-renew-deadline %s", grace, shutdown, renew)
	}
}

// TestRouterGracePeriod: on SIGTERM the router lets requests in flight,
// streams among them, finish for --shutdown-timeout; the kubelet must wait
// longer.
func TestRouterGracePeriod(t *testing.T) {
	dep, c := deploymentOf(t, "router", "modelroute-router")
	shutdown := durationFlag(t, c.Args, "shutdown-timeout", 30*time.Second)
	grace := time.Duration(ptr.Deref(dep.Spec.Template.Spec.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)) * time.Second
	if grace <= shutdown {
		t.Errorf("terminationGracePeriodSeconds %s; want more than --shutdown-timeout %s", grace, shutdown)
	}
	if c.Resources.Limits.Memory().IsZero() {
		t.Error("no memory limit: requests buffered up to their model would grow without one")
	}
}

func durationFlag(t *testing.T, args []string, name string, def time.Duration) time.Duration {
	t.Helper()
	v := flagValue(args, name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("--%s=%s: %v", name, v, err)
	}
	return d
}

// TestPodDisruptionBudget: a drain evicts one replica at a time and the
// other stays up to take over the Lease, and a drain is never blocked.
func TestPodDisruptionBudget(t *testing.T) {
	dep, _ := deployment(t)
	var pdb policyv1.PodDisruptionBudget
	obj := build(t, "default")["PodDisruptionBudget/modelroute-system/modelroute"]
	if obj == nil {
		t.Fatal("config/default has no PodDisruptionBudget modelroute-system/modelroute")
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, &pdb, true); err != nil {
		t.Fatalf("decoding the PodDisruptionBudget: %v", err)
	}
	selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || selector.Empty() || !selector.Matches(labels.Set(dep.Spec.Template.Labels)) {
		t.Errorf("PodDisruptionBudget selector %v (%v) does not select the pods, labelled %v", pdb.Spec.Selector, err, dep.Spec.Template.Labels)
	}
	replicas := int(ptr.Deref(dep.Spec.Replicas, 1))
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MinAvailable != nil {
		t.Fatalf("PodDisruptionBudget sets minAvailable %v, maxUnavailable %v; want maxUnavailable only (minAvailable blocks every drain of a single replica)", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
	}
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, replicas, true)
	if err != nil {
		t.Fatal(err)
	}
	if unavailable < 1 || replicas-unavailable < 1 {
		t.Errorf("maxUnavailable %s of %d replicas; want drains to go on, one replica at a time, with one left", pdb.Spec.MaxUnavailable.String(), replicas)
	}
}

// TestDeploymentAntiAffinity: the scheduler prefers to put the replicas on
// different nodes, so that losing one node does not stop both (preferred:
// a one-node cluster still runs both).
func TestDeploymentAntiAffinity(t *testing.T) {
	dep, _ := deployment(t)
	spec := dep.Spec.Template.Spec
	if spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
		t.Fatal("no pod anti-affinity")
	}
	if n := len(spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution); n > 0 {
		t.Errorf("%d required anti-affinity terms: a cluster with fewer nodes than replicas could not schedule them all", n)
	}
	found := false
	for _, term := range spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		selector, err := metav1.LabelSelectorAsSelector(term.PodAffinityTerm.LabelSelector)
		if err == nil && !selector.Empty() && selector.Matches(labels.Set(dep.Spec.Template.Labels)) &&
			term.PodAffinityTerm.TopologyKey == corev1.LabelHostname && term.Weight > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("anti-affinity %+v; want a preferred term on %s selecting the pods", spec.Affinity.PodAntiAffinity, corev1.LabelHostname)
	}
}

// TestMetricsAuthenticated: the metrics are served over HTTPS on the
// container port named metrics, to clients the API server authenticates
// and authorizes; the controller has the rights that takes, and the role
// for scrapers is there but not granted to the controller.
func TestMetricsAuthenticated(t *testing.T) {
	_, c := deployment(t)
	secure, err := boolFlagDefault(c.Args, "metrics-secure", true)
	if err != nil {
		t.Fatal(err)
	}
	if !secure {
		t.Errorf("args %q serve the metrics without authentication", c.Args)
	}
	addr := flagValue(c.Args, "metrics-bind-address")
	if addr == "" {
		addr = ":8443" // the controller's default
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("--metrics-bind-address=%s: %v", addr, err)
	}
	if got := containerPort(c, intstr.FromString("metrics")); strconv.Itoa(int(got)) != port {
		t.Errorf("container port metrics is %d, but the metrics are served on %s", got, port)
	}

	objs := build(t, "default")
	granted := map[string]bool{} // verb resource.group, for the controller
	for _, obj := range objs {
		if obj["kind"] != "ClusterRoleBinding" {
			continue
		}
		var b rbacv1.ClusterRoleBinding
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &b); err != nil {
			t.Fatal(err)
		}
		var role rbacv1.ClusterRole
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs["ClusterRole//"+b.RoleRef.Name], &role); err != nil {
			t.Fatal(err)
		}
		for _, r := range role.Rules {
			for _, verb := range r.Verbs {
				for _, res := range r.Resources {
					for _, g := range r.APIGroups {
						granted[verb+" "+res+"."+g] = true
					}
				}
				for _, url := range r.NonResourceURLs {
					granted[verb+" "+url] = true
				}
			}
		}
	}
	for _, want := range []string{"create tokenreviews.authentication.k8s.io", "create subjectaccessreviews.authorization.k8s.io"} {
		if !granted[want] {
			t.Errorf("the controller may not %s, which checking a scrape's token takes", want)
		}
	}
	if granted["get /metrics"] {
		t.Error("the controller is bound to GET /metrics; only scrapers need it")
	}
	var reader rbacv1.ClusterRole
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs["ClusterRole//modelroute-metrics-reader"], &reader); err != nil {
		t.Fatal(err)
	}
	want := []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}}
	if diff := cmp.Diff(want, reader.Rules); diff != "" {
		t.Errorf("ClusterRole modelroute-metrics-reader (-want +got):\n%s", diff)
	}
}

// TestRewriteSidecarComponent builds the component onto a vLLM Deployment
// labelled for it and one that is not: only the first gets the sidecar, in
// front of the model server's port, and the container alone passes Pod
// Security restricted (model servers' own containers often cannot).
func TestRewriteSidecarComponent(t *testing.T) {
	dir := t.TempDir()
	vllm := func(name string, labelled bool) string {
		label := ""
		if labelled {
			label = "\n  labels:\n    modelroute.dev/rewrite-sidecar: \"true\""
		}
		return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s%s
spec:
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:latest
        ports: [{containerPort: 8000}]
`, name, label)
	}
	files := map[string]string{
		"kustomization.yaml": "resources: [vllm.yaml]\ncomponents: [" + relativeTo(t, dir, "components/rewrite-sidecar") + "]\n",
		"vllm.yaml":          vllm("llama", true) + "---\n" + vllm("other", false),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	containers := map[string][]corev1.Container{}
	for _, r := range res.Resources() {
		obj, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		var dep appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, &dep, true); err != nil {
			t.Fatal(err)
		}
		containers[dep.Name] = dep.Spec.Template.Spec.Containers
	}
	if n := len(containers["other"]); n != 1 {
		t.Errorf("the unlabelled Deployment has %d containers, want its own alone", n)
	}
	if n := len(containers["llama"]); n != 2 {
		t.Fatalf("the labelled Deployment has %d containers, want 2", n)
	}
	sidecar := containers["llama"][1]
	if got := flagValue(sidecar.Args, "upstream"); got != "http://127.0.0.1:8000" {
		t.Errorf("--upstream=%s, want the model server's port in the pod", got)
	}
	if sidecar.Args[0] != "rewrite" || flagValue(sidecar.Args, "listen") != ":8001" || sidecar.Ports[0].ContainerPort != 8001 {
		t.Errorf("sidecar args %v, ports %v", sidecar.Args, sidecar.Ports)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, r := range evaluator.EvaluatePod(restricted, &metav1.ObjectMeta{}, &corev1.PodSpec{Containers: []corev1.Container{sidecar}}) {
		if !r.Allowed {
			t.Errorf("the sidecar alone violates Pod Security restricted: %s: %s", r.ForbiddenReason, r.ForbiddenDetail)
		}
	}
}

// relativeTo is path as seen from dir: kustomize refuses absolute roots.
func relativeTo(t *testing.T, dir, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.Rel(dir, abs)
	}
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(abs)
}
