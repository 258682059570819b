package controllers_test

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	gocmpopts "github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubectlwait "k8s.io/kubectl/pkg/cmd/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/testing/gitopshealth"
	"github.com/modelroute/modelroute/internal/testing/harness"
	"github.com/modelroute/modelroute/translate"
)

var updateHealthTestdata = flag.Bool("update-health-testdata", false,
	"rewrite the Argo CD testdata and health_test.yaml from TestGitOpsHealth's live objects")

// healthCase is one InferenceModel in a state GitOps tools must judge.
type healthCase struct {
	// name is the model's name and its testdata file's.
	name string
	// setup runs first, then objects are created (the model is built by
	// model).
	setup   func(t *testing.T, ns string)
	objects func(ns string) []client.Object
	model   func(ns string) *v1alpha2.InferenceModel
	// then plays the Gateway once the model's route exists.
	then func(t *testing.T, ns string)
	// decider is the condition whose verdict the tools must report, at the
	// model's generation; for Failed, its False reason.
	decider, reason string
	// want is kstatus's and Flux's verdict.
	want status.Status
	// argo is Argo CD's; its message is the decider's.
	argo string
}

// TestGitOpsHealth reads back InferenceModels in every state modelroute
// reports, from the control plane, and judges them with kstatus, with
// Flux's CEL evaluator and the healthCheckExprs of config/flux, and with
// the Argo CD script of config/argocd: Current/Healthy when routed,
// InProgress/Progressing while work is pending, Failed/Degraded for every
// False reason. The objects are also the Argo CD testdata (one file per
// case, compared here, rewritten with -update-health-testdata).
//
// InvalidCriticality cannot be read back: the CRD's enum refuses such a
// model (TestHostileInput proves the 422), so only translate's tables and
// render see it.
func TestGitOpsHealth(t *testing.T) {
	checks, err := gitopshealth.Load("..")
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	gatewayClass := ns + "-no-header-filters"
	newGatewayClass(t, gatewayClass, "HTTPRoute")
	accept := func(t *testing.T, ns, model string) {
		setRouteStatus(t, ns, model, func(gen int64) []metav1.Condition {
			return verdict(metav1.ConditionTrue, "Accepted", "accepted", gen)
		})
	}
	plain := func(name string, annotations ...string) func(ns string) *v1alpha2.InferenceModel {
		return func(ns string) *v1alpha2.InferenceModel {
			m := newModel(ns, name, name, "pool-a")
			for i := 0; i+1 < len(annotations); i += 2 {
				metav1.SetMetaDataAnnotation(&m.ObjectMeta, annotations[i], annotations[i+1])
			}
			return m
		}
	}
	failed := func(decider, reason string, c healthCase) healthCase {
		c.decider, c.reason, c.want, c.argo = decider, reason, status.FailedStatus, "Degraded"
		if c.model == nil {
			c.model = plain(c.name)
		}
		return c
	}
	// waiting: False for a reason that resolves without a person (what is
	// missing comes in the same rollout): Reconciling, not Stalled.
	waiting := func(decider, reason string, c healthCase) healthCase {
		c = failed(decider, reason, c)
		c.want, c.argo = status.InProgressStatus, "Progressing"
		return c
	}
	cases := []healthCase{
		{name: "routed", model: plain("routed"), then: func(t *testing.T, ns string) { accept(t, ns, "routed") },
			decider: translate.ConditionProgrammed, want: status.CurrentStatus, argo: "Healthy"},
		{name: "awaiting-gateway", model: plain("awaiting-gateway"),
			decider: translate.ConditionReconciling, want: status.InProgressStatus, argo: "Progressing"},

		waiting(translate.ConditionResolvedRefs, translate.ReasonPoolNotFound, healthCase{name: "pool-not-found",
			model: func(ns string) *v1alpha2.InferenceModel {
				return newModel(ns, "pool-not-found", "pool-not-found", "no-such-pool")
			}}),
		waiting(translate.ConditionProgrammed, translate.ReasonGatewayNotFound, healthCase{name: "gateway-not-found",
			model: func(ns string) *v1alpha2.InferenceModel {
				return plain("gateway-not-found", translate.AnnotationParentRefs, ns+"/no-such-gateway")(ns)
			}}),
		failed(translate.ConditionProgrammed, translate.ReasonRouteWriteFailed, healthCase{name: "route-write-failed",
			setup: func(t *testing.T, ns string) {
				denyCreate(t, &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("route-write-failed")}})
			}}),
		failed(translate.ConditionResolvedRefs, translate.ReasonInvalidKind, healthCase{name: "invalid-kind",
			model: func(ns string) *v1alpha2.InferenceModel {
				m := newModel(ns, "invalid-kind", "invalid-kind", "pool-a")
				m.Spec.PoolRef.Kind = "Service"
				return m
			}}),
		failed(translate.ConditionAccepted, translate.ReasonInvalidModelName, healthCase{name: "invalid-model-name",
			model: func(ns string) *v1alpha2.InferenceModel {
				return newModel(ns, "invalid-model-name", "chat\r\nX-Injected: 1", "pool-a")
			}}),
		failed(translate.ConditionAccepted, translate.ReasonInvalidTargetModels, healthCase{name: "invalid-target-models",
			model: func(ns string) *v1alpha2.InferenceModel {
				return newModel(ns, "invalid-target-models", "invalid-target-models", "pool-a",
					weighted("ok", 1), weighted("bad\r\nX-Injected: 1", 1))
			}}),
		failed(translate.ConditionAccepted, translate.ReasonModelNameInUse, healthCase{name: "model-name-in-use",
			objects: func(ns string) []client.Object {
				return []client.Object{newModel(ns, "aaa-name-holder", "taken", "pool-a")}
			},
			model: func(ns string) *v1alpha2.InferenceModel {
				return newModel(ns, "model-name-in-use", "taken", "pool-a")
			}}),
		failed(translate.ConditionAccepted, translate.ReasonInvalidParentRefs, healthCase{name: "invalid-parent-refs",
			model: plain("invalid-parent-refs", translate.AnnotationParentRefs, "a/b/c/d")}),
		failed(translate.ConditionAccepted, translate.ReasonTooManyParentRefs, healthCase{name: "too-many-parent-refs",
			model: plain("too-many-parent-refs", translate.AnnotationParentRefs, numbered("gateways/gw-%d", translate.MaxParentRefs+1))}),
		failed(translate.ConditionAccepted, translate.ReasonInvalidHostnames, healthCase{name: "invalid-hostnames",
			model: plain("invalid-hostnames", translate.AnnotationHostnames, "not a hostname")}),
		failed(translate.ConditionAccepted, translate.ReasonTooManyHostnames, healthCase{name: "too-many-hostnames",
			model: plain("too-many-hostnames", translate.AnnotationHostnames, numbered("h%d.example.com", translate.MaxHostnames+1))}),
		failed(translate.ConditionProgrammed, translate.ReasonNoParentRefs, healthCase{name: "no-parent-refs",
			model: plain("no-parent-refs", translate.AnnotationParentRefs, "")}),
		failed(translate.ConditionProgrammed, translate.ReasonRouteShadowed, healthCase{name: "route-shadowed",
			objects: func(ns string) []client.Object {
				return []client.Object{alphaPool(ns, "pool-b"), newModel(ns, "aaa-route-holder", "shadowed", "pool-b")}
			},
			model: func(ns string) *v1alpha2.InferenceModel {
				return newModel(ns, "route-shadowed", "shadowed", "pool-a")
			}}),
		failed(translate.ConditionProgrammed, translate.ReasonRouteNotAccepted, healthCase{name: "route-not-accepted",
			then: func(t *testing.T, ns string) {
				setRouteStatus(t, ns, "route-not-accepted", func(gen int64) []metav1.Condition {
					return verdict(metav1.ConditionFalse, "NotAllowedByListeners", "no listener allows routes from this namespace", gen)
				})
			}}),
		failed(translate.ConditionProgrammed, translate.ReasonRouteConflict, healthCase{name: "route-conflict",
			objects: func(ns string) []client.Object {
				return []client.Object{&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.RouteName("route-conflict")}}}
			}}),
		failed(translate.ConditionProgrammed, translate.ReasonUnsupportedFeature, healthCase{name: "unsupported-feature",
			objects: func(ns string) []client.Object {
				return []client.Object{&gatewayv1.Gateway{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
					Spec: gatewayv1.GatewaySpec{
						GatewayClassName: gatewayv1.ObjectName(gatewayClass),
						Listeners:        []gatewayv1.Listener{{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}},
					},
				}}
			},
			model: func(ns string) *v1alpha2.InferenceModel {
				m := newModel(ns, "unsupported-feature", "unsupported-feature", "pool-a", weighted("lora-v1", 9), weighted("lora-v2", 1))
				metav1.SetMetaDataAnnotation(&m.ObjectMeta, translate.AnnotationParentRefs, ns+"/gw")
				return m
			}}),
	}

	create(t, alphaPool(ns, "pool-a"))
	for _, c := range cases {
		if c.setup != nil {
			c.setup(t, ns)
		}
		if c.objects != nil {
			create(t, c.objects(ns)...)
		}
	}
	for _, c := range cases {
		create(t, c.model(ns))
	}
	startManager(t, ns, testConfig())
	var got []judged
	// verdicts are kstatus's, Flux's and Argo CD's, by the decider's reason.
	verdicts := map[string][3]string{}
	record := func(c healthCase, j judged) {
		got = append(got, j)
		reason := c.reason
		if reason == "" {
			var m v1alpha2.InferenceModel
			if err := runtimeFromUnstructured(j.object, &m); err == nil {
				if d := meta.FindStatusCondition(m.Status.Conditions, c.decider); d != nil {
					reason = d.Reason
				}
			}
		}
		verdicts[reason] = [3]string{string(c.want), string(c.want), c.argo}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.then != nil {
				harness.Eventually(t, func() error { _, err := getRoute(ns, c.name); return err })
				c.then(t, ns)
			}
			obj := awaitDecider(t, ns, c.name, c.decider, c.reason)
			record(c, judge(t, checks, c, obj))
		})
	}

	// InvalidPool needs service mode: another manager, another namespace.
	t.Run("invalid-pool", func(t *testing.T) {
		ns := newNamespace(t)
		pool := alphaPool(ns, "pool-a")
		pool.Spec.Selector = map[v1alpha2.LabelKey]v1alpha2.LabelValue{"bad key": "x"}
		c := failed(translate.ConditionResolvedRefs, translate.ReasonInvalidPool, healthCase{name: "invalid-pool"})
		create(t, pool, c.model(ns))
		cfg := testConfig()
		cfg.Backend = translate.BackendService
		startManager(t, ns, cfg)
		record(c, judge(t, checks, c, awaitDecider(t, ns, c.name, c.decider, c.reason)))
	})

	// ServiceWriteFailed needs service mode too.
	t.Run("service-write-failed", func(t *testing.T) {
		ns := newNamespace(t)
		c := failed(translate.ConditionProgrammed, translate.ReasonServiceWriteFailed, healthCase{name: "service-write-failed"})
		denyCreate(t, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: translate.ServiceName(alphaGroup, "pool-a")},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 8000}}},
		})
		create(t, alphaPool(ns, "pool-a"), c.model(ns))
		cfg := testConfig()
		cfg.Backend = translate.BackendService
		startManager(t, ns, cfg)
		record(c, judge(t, checks, c, awaitDecider(t, ns, c.name, c.decider, c.reason)))
	})

	// Between create and modelroute's first reconcile the model has no
	// status: kstatus sees nothing wrong (Current), which is why the Flux
	// expressions exist.
	t.Run("not-reconciled", func(t *testing.T) {
		ns := newNamespace(t) // no manager watches it
		model := plain("not-reconciled")(ns)
		create(t, alphaPool(ns, "pool-a"), model)
		obj := readBack(t, ns, model.Name)
		if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "status"); found {
			t.Fatalf("a model no controller reconciled has a status: %v", obj.Object["status"])
		}
		got = append(got, judge(t, checks, healthCase{name: "not-reconciled", want: status.InProgressStatus, argo: "Progressing"}, obj))
	})

	// After an edit and before modelroute sees it, the conditions are of
	// the previous generation: the same gap, after creation.
	t.Run("generation-not-observed", func(t *testing.T) {
		ns := newNamespace(t)
		model := plain("generation-not-observed")(ns)
		create(t, alphaPool(ns, "pool-a"), model)
		m := startManager(t, ns, testConfig())
		harness.Eventually(t, func() error { _, err := getRoute(ns, model.Name); return err })
		accept(t, ns, model.Name)
		awaitDecider(t, ns, model.Name, translate.ConditionProgrammed, "")
		m.Stop()
		update(t, model, func(m *v1alpha2.InferenceModel) { m.Spec.TargetModels = []v1alpha2.TargetModel{{Name: "v2"}} })
		obj := readBack(t, ns, model.Name)
		if obj.GetGeneration() != 2 {
			t.Fatalf("generation %d after one edit; want 2", obj.GetGeneration())
		}
		got = append(got, judge(t, checks, healthCase{name: "generation-not-observed", want: status.InProgressStatus, argo: "Progressing"}, obj))
	})

	checkArgoCDTestdata(t, got)
	checkReasonTable(t, verdicts)

	// What KServe and Knative users type: kubectl's own wait, run
	// in-process. It returns for a routed model, and times out for one
	// whose route still waits for its Gateway.
	t.Run("kubectl wait --for=condition=Ready", func(t *testing.T) {
		if err := kubectlWait(t, ns, "routed", "condition=Ready", 20*time.Second); err != nil {
			t.Errorf("kubectl wait on the routed model: %v", err)
		}
		if err := kubectlWait(t, ns, "awaiting-gateway", "condition=Ready", 2*time.Second); err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("kubectl wait on a model waiting for its Gateway: %v; want a timeout", err)
		}
	})
}

// kubectlWait runs `kubectl wait inferencemodel/NAME -n NS --for=FOR
// --timeout=TIMEOUT` with kubectl's own code (the command's Run would exit
// the process on an error).
func kubectlWait(t *testing.T, ns, name, forCondition string, timeout time.Duration) error {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.WriteKubeconfig(kubeconfig, "kubectl"); err != nil {
		t.Fatal(err)
	}
	getter := genericclioptions.NewConfigFlags(true)
	getter.KubeConfig, getter.Namespace, getter.CacheDir = &kubeconfig, &ns, ptr.To(t.TempDir())
	var out, errOut bytes.Buffer
	flags := kubectlwait.NewWaitFlags(getter, genericiooptions.IOStreams{Out: &out, ErrOut: &errOut})
	flags.ForCondition, flags.Timeout = []string{forCondition}, timeout
	o, err := flags.ToOptions([]string{"inferencemodel/" + name})
	if err != nil {
		return err
	}
	if err := o.RunWaitContext(context.Background()); err != nil {
		return fmt.Errorf("%w (%s)", err, strings.TrimSpace(errOut.String()))
	}
	if want := "inferencemodel.inference.networking.x-k8s.io/" + name + " condition met"; strings.TrimSpace(out.String()) != want {
		return fmt.Errorf("kubectl printed %q; want %q", out.String(), want)
	}
	return nil
}

// checkReasonTable checks the table of every reason in docs/gitops.md
// against the verdicts the tools gave: one row per reason judged here.
func checkReasonTable(t *testing.T, verdicts map[string][3]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "gitops.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(data), "## Every reason")
	table, _, _ = strings.Cut(table, "\n## ")
	rows := map[string][3]string{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 7 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		reason := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[reason] = [3]string{strings.TrimSpace(cells[3]), strings.TrimSpace(cells[4]), strings.TrimSpace(cells[5])}
	}
	if diff := gocmp.Diff(verdicts, rows); diff != "" {
		t.Errorf("docs/gitops.md's table of every reason differs from the tools' verdicts (-tools +docs):\n%s", diff)
	}
}

// numbered is a comma-separated list of n names from format.
func numbered(format string, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(format, i)
	}
	return strings.Join(items, ",")
}

// awaitDecider waits until the model's decider condition is of its current
// generation (and False with reason, if reason is set; True for
// Programmed, Reconciling's own True otherwise), and returns the model as
// read then.
func awaitDecider(t *testing.T, ns, name, decider, reason string) *unstructured.Unstructured {
	t.Helper()
	var obj *unstructured.Unstructured
	harness.Eventually(t, func() error {
		obj = readBack(t, ns, name)
		var m v1alpha2.InferenceModel
		if err := runtimeFromUnstructured(obj, &m); err != nil {
			return err
		}
		c := meta.FindStatusCondition(m.Status.Conditions, decider)
		switch {
		case c == nil || c.ObservedGeneration != m.Generation:
			return fmt.Errorf("no %s condition of generation %d: %v", decider, m.Generation, m.Status.Conditions)
		case reason != "" && (c.Status != metav1.ConditionFalse || c.Reason != reason):
			return fmt.Errorf("%s is %s/%s; want False/%s", decider, c.Status, c.Reason, reason)
		case reason == "" && c.Status != metav1.ConditionTrue:
			return fmt.Errorf("%s is %s/%s; want True", decider, c.Status, c.Reason)
		}
		return nil
	})
	return obj
}

func readBack(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(v1alpha2.GroupVersion.String())
	obj.SetKind("InferenceModel")
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// judged is one case's object, as Argo CD testdata, and Argo CD's verdict.
type judged struct {
	name   string
	object *unstructured.Unstructured
	argo   gitopshealth.ArgoCDHealth
}

// judge checks each tool's verdict on obj, and each message: the decider's
// message (with its reason, for Argo CD), or the script's own when
// modelroute has said nothing yet of this generation.
func judge(t *testing.T, checks *gitopshealth.Checks, c healthCase, obj *unstructured.Unstructured) judged {
	t.Helper()
	got, err := checks.Judge(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	var m v1alpha2.InferenceModel
	if err := runtimeFromUnstructured(obj, &m); err != nil {
		t.Fatal(err)
	}
	wantArgo := gitopshealth.ArgoCDHealth{Status: c.argo,
		Message: fmt.Sprintf("Waiting for modelroute to reconcile generation %d", m.Generation)}
	wantKstatus := c.want
	if c.decider == "" {
		// kstatus's blind spot, the reason for the Flux expressions.
		wantKstatus = status.CurrentStatus
	}
	if d := meta.FindStatusCondition(m.Status.Conditions, c.decider); d != nil {
		switch c.want {
		case status.CurrentStatus:
			wantArgo.Message = d.Message
		default:
			wantArgo.Message = d.Reason + ": " + d.Message
			if got.Kstatus.Message != d.Message {
				t.Errorf("kstatus message %q; want the %s condition's %q", got.Kstatus.Message, d.Type, d.Message)
			}
		}
		summary := map[status.Status]string{status.FailedStatus: translate.ConditionStalled, status.InProgressStatus: translate.ConditionReconciling}[c.want]
		if s := meta.FindStatusCondition(m.Status.Conditions, summary); summary != "" && d.Type != summary &&
			(s == nil || s.Status != metav1.ConditionTrue || s.Reason != d.Reason || s.Message != d.Message) {
			t.Errorf("%s is %v; want True with %s's reason and message", summary, s, d.Type)
		}
		checkReady(t, m, d)
	}
	if got.Kstatus.Status != wantKstatus {
		t.Errorf("kstatus says %s (%s); want %s", got.Kstatus.Status, got.Kstatus.Message, wantKstatus)
	}
	if got.Flux.Status != c.want {
		t.Errorf("Flux's CEL expressions say %s; want %s", got.Flux.Status, c.want)
	}
	if diff := gocmp.Diff(wantArgo, got.ArgoCD); diff != "" {
		t.Errorf("Argo CD health (-want +got):\n%s", diff)
	}
	return judged{name: c.name, object: obj, argo: got.ArgoCD}
}

// checkReady checks the model's Ready condition against the decider d:
// True when Programmed is True; else False with the reason and message of
// a False decider, Unknown with Reconciling's otherwise.
func checkReady(t *testing.T, m v1alpha2.InferenceModel, d *metav1.Condition) {
	t.Helper()
	want := metav1.Condition{Type: translate.ConditionReady, Status: d.Status, Reason: d.Reason, Message: d.Message, ObservedGeneration: m.Generation}
	switch {
	case d.Type == translate.ConditionProgrammed && d.Status == metav1.ConditionTrue:
		want.Reason = translate.ReasonReady
	case d.Type == translate.ConditionReconciling:
		want.Status = metav1.ConditionUnknown
	}
	got := meta.FindStatusCondition(m.Status.Conditions, translate.ConditionReady)
	if diff := gocmp.Diff(&want, got, gocmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
		t.Errorf("Ready (-want +got):\n%s", diff)
	}
}

func runtimeFromUnstructured(obj *unstructured.Unstructured, into *v1alpha2.InferenceModel) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into)
}

// checkArgoCDTestdata compares the judged objects, made comparable (see
// argoCDTestdata), and health_test.yaml with the checked-in ones.
func checkArgoCDTestdata(t *testing.T, cases []judged) {
	t.Helper()
	dir := filepath.Join("..", gitopshealth.ArgoCDDir)
	index := gitopshealth.ArgoCDTests{}
	for _, c := range cases {
		input := filepath.ToSlash(filepath.Join("testdata", c.name+".yaml"))
		health := c.argo
		health.Message = strings.ReplaceAll(health.Message, c.object.GetNamespace(), "models")
		index.Tests = append(index.Tests, gitopshealth.ArgoCDTest{HealthStatus: health, InputPath: input})
		data, err := yaml.Marshal(argoCDTestdata(c.object))
		if err != nil {
			t.Fatal(err)
		}
		compareOrWrite(t, filepath.Join(dir, input), data)
	}
	data, err := yaml.Marshal(index)
	if err != nil {
		t.Fatal(err)
	}
	compareOrWrite(t, filepath.Join(dir, "health_test.yaml"), data)
}

func compareOrWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if *updateHealthTestdata {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-health-testdata to write it)", err)
	}
	if diff := gocmp.Diff(string(want), string(data)); diff != "" {
		t.Errorf("%s is not what the control plane gives now (-file +live); rerun with -update-health-testdata if that is intended:\n%s", path, diff)
	}
}

// argoCDTestdata is obj without what differs from run to run: its
// namespace (a generated name, also in messages) becomes "models", and
// uid, resourceVersion, timestamps and managedFields' field sets go.
func argoCDTestdata(obj *unstructured.Unstructured) map[string]any {
	out := obj.DeepCopy()
	ns := out.GetNamespace()
	out.SetNamespace("models")
	out.SetUID("")
	out.SetResourceVersion("")
	out.SetCreationTimestamp(metav1.Time{})
	fields := out.GetManagedFields()
	for i := range fields {
		fields[i].Time, fields[i].FieldsV1 = nil, nil
	}
	// Ordered by the API server by time, which may tie.
	slices.SortFunc(fields, func(a, b metav1.ManagedFieldsEntry) int {
		return cmp.Or(strings.Compare(a.Manager, b.Manager), strings.Compare(a.Subresource, b.Subresource))
	})
	out.SetManagedFields(fields)
	if conds, found, _ := unstructured.NestedSlice(out.Object, "status", "conditions"); found {
		for _, c := range conds {
			c := c.(map[string]any)
			c["lastTransitionTime"] = "2026-01-01T00:00:00Z"
			if msg, ok := c["message"].(string); ok {
				c["message"] = strings.ReplaceAll(msg, ns, "models")
			}
		}
		_ = unstructured.SetNestedSlice(out.Object, conds, "status", "conditions")
	}
	for _, path := range [][]string{{"metadata", "annotations", translate.AnnotationParentRefs}} {
		if v, found, _ := unstructured.NestedString(out.Object, path...); found {
			_ = unstructured.SetNestedField(out.Object, strings.ReplaceAll(v, ns, "models"), path...)
		}
	}
	return out.Object
}
