package render_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/internal/localstack/controlplane"
	"github.com/modelroute/modelroute/internal/manifests"
	"github.com/modelroute/modelroute/internal/render"
	"github.com/modelroute/modelroute/translate"
)

// `modelroute migrate -f config/samples` in both groups: the real API
// server, with the vendored upstream CRDs only, takes every object under
// strict field validation, and the objects it returns translate to the
// samples' routes (names and specs) in service mode: no more, no fewer. A
// model another pool's older model shadows has no route, and neither has
// its rewrite (RouteShadowed too).
func TestMigratedSamplesOnAPIServer(t *testing.T) {
	cluster, err := controlplane.Start(controlplane.Options{
		CRDs: []string{filepath.Join(controlplane.RepoRoot(), "api", "testdata", "upstream")},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{v1alpha2.AddToScheme, llmdv1alpha2.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	k8s, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(controlplane.RepoRoot(), "config", "samples")
	models, err := render.Load([]string{samples}, nil, "default")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := translate.NewTranslator(translate.Config{
		ModelHeader:          "X-Gateway-Model-Name",
		RewriteHeader:        "X-Gateway-Model-Name-Rewrite",
		RewriteHeaderAliases: []string{"x-llm-d-model-name-rewrite"},
		PathPrefixes:         []string{"/"},
		Backend:              translate.BackendService,
		ParentRefs:           []gatewayv1.ParentReference{{Namespace: ptr.To(gatewayv1.Namespace("gateway-system")), Name: "inference-gateway"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The samples' own rewrite is not migrated: the routes compared are
	// the models'.
	models.Rewrites = nil
	before := tr.Translate(models)
	want := map[string]gatewayv1.HTTPRouteSpec{}
	shadowed := map[string]bool{}
	for _, m := range before.Models {
		if m.Route != nil {
			want[m.Route.Name] = m.Route.Spec
		}
		if c := m.Condition(translate.ConditionProgrammed); c != nil && c.Reason == translate.ReasonRouteShadowed {
			shadowed[m.Name] = true
		}
	}
	if len(shadowed) == 0 {
		t.Fatal("no sample model is shadowed: the round trip no longer covers shadowing")
	}

	for _, group := range []string{translate.GroupLLMD, translate.GroupInferenceAlpha} {
		t.Run(group, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := render.Migrate(render.MigrateOptions{Paths: []string{samples}, DefaultNamespace: "default", Group: group}, nil, &stdout, &stderr)
			// The samples hold one modelName conflict, which gets a note.
			if code != render.ExitNotReady || strings.Count(stderr.String(), "note: ") != 1 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
			}
			err := manifests.Documents(stdout.Bytes(), func(_ int, raw []byte) error {
				u := &unstructured.Unstructured{}
				if err := yaml.UnmarshalStrict(raw, &u.Object); err != nil {
					return err
				}
				return k8s.Create(context.Background(), u, client.FieldValidation("Strict"))
			})
			if err != nil {
				t.Fatalf("creating the migrated objects: %v", err)
			}

			var after translate.Input
			after.V1Pools, after.AlphaPools = models.V1Pools, models.AlphaPools
			if group == translate.GroupLLMD {
				var list llmdv1alpha2.InferenceModelRewriteList
				if err := k8s.List(context.Background(), &list, client.InNamespace("default")); err != nil {
					t.Fatal(err)
				}
				for i := range list.Items {
					rw := translate.RewriteFromLLMD(&list.Items[i])
					rw.APIVersion = group + "/v1alpha2" // a List's items carry no TypeMeta
					after.Rewrites = append(after.Rewrites, rw)
				}
			} else {
				var list v1alpha2.InferenceModelRewriteList
				if err := k8s.List(context.Background(), &list, client.InNamespace("default")); err != nil {
					t.Fatal(err)
				}
				for _, rw := range list.Items {
					rw.APIVersion = group + "/v1alpha2"
					after.Rewrites = append(after.Rewrites, rw)
				}
			}
			got := map[string]gatewayv1.HTTPRouteSpec{}
			for _, r := range tr.Translate(after).Rewrites {
				if r.Route != nil {
					got[r.Route.Name] = r.Route.Spec
				}
				c := r.Condition(translate.ConditionProgrammed)
				if isShadowed := c != nil && c.Reason == translate.ReasonRouteShadowed; isShadowed != shadowed[r.Name] {
					t.Errorf("rewrite %s: Programmed %+v; RouteShadowed as its model: %v", r.Name, c, shadowed[r.Name])
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("routes (-from the samples' models +from the migrated objects as the API server returned them):\n%s", diff)
			}
		})
	}
}
