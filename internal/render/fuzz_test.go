package render

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/modelroute/modelroute/translate"
)

// FuzzLoad feeds arbitrary bytes to Load as standard input and checks that
// it never panics and either fails with an *InputError or returns objects
// with valid, unique names, which translate then turns into objects that
// stay in their own namespace; loading twice gives the same result. The seed
// corpus in testdata/fuzz/FuzzLoad holds valid multi-document YAML, JSON and
// Lists, garbage, deep nesting, huge numbers, duplicate keys, anchors and
// alias bombs, bad names, BOMs and UTF-16.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceModel\n" +
		"metadata: {name: m}\nspec: {modelName: m, poolRef: {name: p}}\n"))
	cfg := translate.DefaultConfig()
	ref, err := translate.ParseParentRef("infra/gw")
	if err != nil {
		f.Fatal(err)
	}
	cfg.ParentRefs = append(cfg.ParentRefs, ref)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Load([]string{Stdin}, bytes.NewReader(data), "default")
		if err != nil {
			var inputErr *InputError
			if !errors.As(err, &inputErr) || err != error(inputErr) {
				t.Fatalf("Load returned %T %v; want an *InputError", err, err)
			}
			if inputErr.Source != "<stdin>" || !strings.HasPrefix(err.Error(), "<stdin>: ") {
				t.Fatalf("error %q does not name its source", err)
			}
			return
		}
		again, err := Load([]string{Stdin}, bytes.NewReader(data), "default")
		if err != nil {
			t.Fatalf("second Load failed: %v", err)
		}
		if diff := cmp.Diff(in, again); diff != "" {
			t.Fatalf("Load is not deterministic (-first +second):\n%s", diff)
		}
		seen := map[string]bool{}
		check := func(kind, namespace, name string) {
			if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
				t.Errorf("%s name %q: %v", kind, name, errs)
			}
			if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
				t.Errorf("%s %s namespace %q: %v", kind, name, namespace, errs)
			}
			id := kind + " " + namespace + "/" + name
			if seen[id] {
				t.Errorf("%s loaded twice", id)
			}
			seen[id] = true
		}
		for _, m := range in.Models {
			check("InferenceModel", m.Namespace, m.Name)
		}
		for _, p := range in.AlphaPools {
			check("v1alpha2 InferencePool", p.Namespace, p.Name)
		}
		for _, p := range in.V1Pools {
			check("v1 InferencePool", p.Namespace, p.Name)
		}
		for _, backend := range []translate.BackendMode{translate.BackendInferencePool, translate.BackendService} {
			cfg.Backend = backend
			translator, err := translate.NewTranslator(cfg)
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			out := translator.Translate(in)
			if len(out.Models) != len(in.Models) {
				t.Fatalf("translate has %d results for %d models", len(out.Models), len(in.Models))
			}
			for _, res := range out.Models {
				if res.Route == nil {
					continue
				}
				if res.Route.Namespace != res.Namespace {
					t.Errorf("model %s/%s gets a route in namespace %q", res.Namespace, res.Name, res.Route.Namespace)
				}
				if errs := validation.IsDNS1123Subdomain(res.Route.Name); len(errs) > 0 {
					t.Errorf("route name %q: %v", res.Route.Name, errs)
				}
			}
			for _, svc := range out.Services {
				if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
					t.Errorf("service name %q: %v", svc.Name, errs)
				}
				if !seen["v1alpha2 InferencePool "+svc.Namespace+"/"+svc.Labels["modelroute.dev/inference-pool"]] &&
					!seen["v1 InferencePool "+svc.Namespace+"/"+svc.Labels["modelroute.dev/inference-pool"]] {
					t.Errorf("Service %s/%s is not in the namespace of its pool %q", svc.Namespace, svc.Name, svc.Labels["modelroute.dev/inference-pool"])
				}
			}
			if _, err := ObjectStream(out); err != nil {
				t.Fatalf("ObjectStream: %v", err)
			}
			if _, err := StatusStream(in, out); err != nil {
				t.Fatalf("StatusStream: %v", err)
			}
		}
	})
}

// loadAllocating loads data from stdin and returns the bytes allocated.
func loadAllocating(data []byte) (translate.Input, error, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	in, err := Load([]string{Stdin}, bytes.NewReader(data), "default")
	runtime.ReadMemStats(&after)
	return in, err, after.TotalAlloc - before.TotalAlloc
}

// Anchors and aliases: allowed within reason; a document that aliases would
// blow up is refused before it takes memory. Before the bound, the "long
// string" bomb below (130 KB) took 16 GB and 45 s.
func TestLoadBoundsAliasExpansion(t *testing.T) {
	model := "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceModel\n"
	var laughs strings.Builder
	laughs.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i, prev := range "abcdefgh" {
		name := string("bcdefghi"[i])
		fmt.Fprintf(&laughs, "  %s: &%s [%s]\n", name, name, strings.TrimSuffix(strings.Repeat("*"+string(prev)+", ", 9), ", "))
	}
	longString := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata:\n  a: &a \"" +
		strings.Repeat("x", 100000) + "\"\n  b: [" + strings.Repeat("*a, ", 10000) + "*a]\n"
	bigMaps := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: maps}\ndata:\n  a: &a {" +
		strings.Repeat("k: "+strings.Repeat("v", 1000)+", ", 1) + "z: 1}\n  b: [" + strings.Repeat("*a, ", 9000) + "*a]\n"
	for _, tc := range []struct {
		name, doc string
		wantErr   string
	}{
		{"aliases and merge keys in reason", model + "metadata: {name: chat, namespace: ns, labels: &labels {team: a}, annotations: *labels}\n" +
			"spec:\n  <<: {modelName: chat, poolRef: {name: pool}}\n  targetModels: [&t {name: a, weight: 1}, *t]\n", ""},
		{"anchor from another document", model + "metadata: {name: chat, labels: &labels {team: a}}\nspec: {modelName: chat, poolRef: {name: pool}}\n" +
			"---\n" + model + "metadata: {name: chat-2, labels: *labels}\nspec: {modelName: chat, poolRef: {name: pool}}\n", "unknown anchor"},
		{"billion laughs", laughs.String(), "excessive aliasing"},
		{"long string referenced 10000 times", longString, "YAML aliases expand the document to more than 8388608 bytes"},
		{"map referenced 9000 times", bigMaps, "YAML aliases expand the document to more than 8388608 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err, allocated := loadAllocating([]byte(tc.doc))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Load returned %v; want an error with %q", err, tc.wantErr)
			}
			if limit := uint64(200 << 20); allocated > limit {
				t.Fatalf("Load allocated %d MB; want at most %d", allocated>>20, limit>>20)
			}
		})
	}
}

// A key given twice in one of our objects is an error, as with an API
// server's strict field validation: a reviewer must not read one modelName
// while modelroute routes another. Merge keys overridden by an explicit key
// count as well. Objects of other kinds stay ignored.
func TestLoadRejectsDuplicateKeys(t *testing.T) {
	ignored := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b, a: c}\n---\n" +
		"apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceModel\nmetadata: {name: chat}\nspec: {modelName: m, poolRef: {name: p}}\n"
	if in, err := Load([]string{Stdin}, strings.NewReader(ignored), "default"); err != nil || len(in.Models) != 1 {
		t.Errorf("a ConfigMap with a duplicate key next to a model: %d models, %v; want the model and no error", len(in.Models), err)
	}
	for name, doc := range map[string]string{
		"yaml": "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceModel\nmetadata: {name: chat}\n" +
			"spec:\n  modelName: reviewed\n  poolRef: {name: pool}\n  modelName: routed\n",
		"json": `{"apiVersion": "inference.networking.x-k8s.io/v1alpha2", "kind": "InferenceModel", "metadata": {"name": "chat"},` +
			`"spec": {"modelName": "reviewed", "poolRef": {"name": "pool"}, "modelName": "routed"}}`,
		"merge": "apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferenceModel\nmetadata: {name: chat}\n" +
			"spec:\n  <<: {modelName: reviewed, poolRef: {name: pool}}\n  modelName: routed\n",
		"list item": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: inference.networking.x-k8s.io/v1alpha2\n  kind: InferenceModel\n" +
			"  metadata: {name: chat, name: other}\n  spec: {modelName: m, poolRef: {name: pool}}\n",
	} {
		t.Run(name, func(t *testing.T) {
			in, err := Load([]string{Stdin}, strings.NewReader(doc), "default")
			if err == nil || !strings.Contains(err.Error(), "already set in map") {
				t.Fatalf("Load returned %+v, %v; want a duplicate key error", in.Models, err)
			}
		})
	}
}

// Lists within Lists are decoded up to maxListDepth levels; deeper is an
// error rather than quadratic work (1,000 levels, 44 KB, took 3 GB and 7 s).
func TestLoadBoundsNestedLists(t *testing.T) {
	nested := func(depth int) []byte {
		return []byte(strings.Repeat(`{"apiVersion": "v1", "kind": "List", "items": [`, depth) +
			`{"apiVersion": "inference.networking.x-k8s.io/v1alpha2", "kind": "InferenceModel", "metadata": {"name": "m"}, "spec": {"modelName": "m", "poolRef": {"name": "p"}}}` +
			strings.Repeat(`]}`, depth))
	}
	in, err := Load([]string{Stdin}, bytes.NewReader(nested(maxListDepth)), "default")
	if err != nil || len(in.Models) != 1 {
		t.Fatalf("%d nested Lists: %d models, %v; want 1 model", maxListDepth, len(in.Models), err)
	}
	for _, depth := range []int{maxListDepth + 1, 1000, 4000} {
		_, err, allocated := loadAllocating(nested(depth))
		if err == nil || !strings.Contains(err.Error(), "Lists nested more than 8 deep are not supported") && !strings.Contains(err.Error(), "exceeded max depth") {
			t.Errorf("%d nested Lists: %v; want an error", depth, err)
		}
		if allocated > 100<<20 {
			t.Errorf("%d nested Lists: allocated %d MB", depth, allocated>>20)
		}
	}
}
