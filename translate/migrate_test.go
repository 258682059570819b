package translate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// migrationModels are the shapes a migration meets.
func migrationModels() []v1alpha2.InferenceModel {
	return []v1alpha2.InferenceModel{
		model("plain", "plain"),
		model("same", "same", targets(target("same"))),
		model("alias", "alias", targets(target("base"))),
		model("even", "even", targets(target("a"), target("b"))),
		model("weighted", "weighted", targets(weightedTarget("v1", 90), weightedTarget("v2", 10)), criticality("Critical")),
		model("shed", "shed", criticality("Sheddable")),
		model("v1pool", "v1pool", onPool("vpool"), poolRefGroup(v1Group), targets(target("x"))),
		model("elsewhere", "elsewhere", parentRefsAnnotation("gw/other"), hostnamesAnnotation("a.example.com")),
	}
}

// routesBySpec is each route's name and spec.
func routesBySpec(results []translate.ModelResult) map[string]gatewayv1.HTTPRouteSpec {
	out := map[string]gatewayv1.HTTPRouteSpec{}
	for _, r := range results {
		if r.Route != nil {
			out[r.Route.Name] = r.Route.Spec
		}
	}
	return out
}

// Zero churn in service mode: the routes of the migrated rewrites have the
// models' routes' names and specs, for every shape. In inferencepool mode
// the endpoint picker splits from the rewrite, so only the models without
// a split or alias keep their route unchanged.
func TestMigratedRoutesEqualModelRoutes(t *testing.T) {
	ms := migrationModels()
	pools := []any{alphaPool("pool"), v1Pool("vpool")}
	for _, tc := range []struct {
		name      string
		cfg       translate.Config
		unchanged []string // nil: all
	}{
		{name: "service", cfg: config(serviceMode)},
		{name: "inferencepool", cfg: config(), unchanged: []string{"plain", "same", "shed", "elsewhere"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := translate.NewTranslator(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := input(pools...)
			before.Models = ms
			migration := translate.Migrate(ms, llmdGroup)
			if len(migration.Notes) != 0 {
				t.Fatalf("notes: %q", migration.Notes)
			}
			after := input(pools...)
			after.Rewrites = migration.Rewrites
			want, got := routesBySpec(tr.Translate(before).Models), routesBySpec(tr.Translate(after).Rewrites)
			if len(want) != len(ms) || len(got) != len(ms) {
				t.Fatalf("%d model routes, %d rewrite routes; want %d each", len(want), len(got), len(ms))
			}
			if tc.unchanged != nil {
				keep := map[string]gatewayv1.HTTPRouteSpec{}
				for _, name := range tc.unchanged {
					keep[name+"-modelroute"] = got[name+"-modelroute"]
				}
				got = keep
				for name := range want {
					if _, ok := got[name]; !ok {
						delete(want, name)
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("routes (-models +rewrites):\n%s", diff)
			}
		})
	}
}

// The objectives: one per model with a criticality, its priority mapped
// (Critical 1, Standard 0, Sheddable -1); the objects carry the model's
// metadata but kubectl's last-applied record; the legacy group on request.
func TestMigrateObjectivesAndGroup(t *testing.T) {
	ms := migrationModels()
	ms[0].Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"}
	migration := translate.Migrate(ms, alphaGroup)
	got := map[string]int{}
	for _, o := range migration.Objectives {
		if o.APIVersion != alphaGroup+"/v1alpha2" || o.Spec.PoolRef.Group != alphaGroup {
			t.Errorf("objective %s: apiVersion %s, pool group %q", o.Name, o.APIVersion, o.Spec.PoolRef.Group)
		}
		got[o.Name] = *o.Spec.Priority
	}
	if diff := cmp.Diff(map[string]int{"weighted": 1, "shed": -1}, got); diff != "" {
		t.Errorf("priorities (-want +got):\n%s", diff)
	}
	for _, rw := range migration.Rewrites {
		if rw.Name == "plain" {
			if diff := cmp.Diff(map[string]string{"team": "a"}, rw.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		}
	}
}

// What cannot be migrated exactly is a note: a modelName two models of a
// pool claim (the younger gets no traffic today; created anew, both would
// be as old), and an invalid model.
func TestMigrateNotes(t *testing.T) {
	migration := translate.Migrate([]v1alpha2.InferenceModel{
		model("first", "chat"),
		model("second", "chat", createdAfter(time.Hour)),
		model("bad", "bad", targets(weightedTarget("a", 1), target("b"))),
	}, llmdGroup)
	want := []string{
		`InferenceModel ns/bad is not migrated: InvalidTargetModels`,
		`InferenceModel ns/second: modelName "chat" is already served from InferencePool "pool" by InferenceModel "first", which is older`,
	}
	if len(migration.Notes) != len(want) {
		t.Fatalf("notes %q, want %d", migration.Notes, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(migration.Notes[i], w) {
			t.Errorf("note %d: %q, want it to start %q", i, migration.Notes[i], w)
		}
	}
	if len(migration.Rewrites) != 2 {
		t.Errorf("%d rewrites; want the two valid models'", len(migration.Rewrites))
	}
}
