package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yamlv2 "go.yaml.in/yaml/v2"
)

// yamlCases are values whose YAML the writer must get byte for byte as
// yaml.v2 does: layout, key order, and every way a scalar gets quoted.
var yamlCases = map[string]any{
	"route-shaped": map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "r", "labels": map[string]any{"app.kubernetes.io/managed-by": "modelroute"}},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "gw", "namespace": "infra"}},
			"hostnames":  []any{},
			"rules": []any{map[string]any{
				"backendRefs": []any{map[string]any{"name": "pool", "weight": int64(90), "port": int64(8000)}},
				"matches":     []any{map[string]any{"headers": []any{map[string]any{"value": "meta-llama/Llama-3.1-8B-Instruct"}}}},
			}},
		},
	},
	"scalars that resolve to other types": map[string]any{
		"a": "true", "b": "yes", "c": "~", "d": "null", "e": "8000", "f": "1e3", "g": "0x1F", "h": ".inf", "i": "1:20",
		"j": "", "k": "-", "l": "-1", "m": "0o17", "n": "1_000", "o": "Off", "p": "y", "q": ".5",
	},
	"scalars with indicators": map[string]any{
		"a": "#comment", "b": "key:value", "c": "*alias", "d": "&anchor", "e": "!tag", "f": "|literal", "g": ">folded",
		"h": "'quoted'", "i": `"quoted"`, "j": "%percent", "k": "@at", "l": "`tick`", "m": "---", "n": "...", "o": "[a]",
		"p": "{a}", "q": "a,b", "r": "?", "s": "a\tb", "t": "é", "u": "模型/聊天", "v": "🦙", "w": "\u200d", "x": "a\u0085b",
	},
	"keys": map[string]any{
		"a10": 1, "a9": 2, "a09": 3, "A": 4, "_": 5, "1": 6, "10": 7, "2": 8, "é": 9, "true": 10, "": 11, "b-c": 12,
		strings.Repeat("k", 129): 13, "with space": 14,
	},
	"left to yaml.v2": map[string]any{
		"float": 1.5, "spaces": "a b", "long": strings.Repeat("word ", 40), "lines": "a\nb",
	},
	"nesting": map[string]any{
		"lists":   []any{[]any{"a", []any{}}, []any{map[string]any{}}, map[string]any{"x": []any{"y"}}, nil, true, int64(-7)},
		"empties": map[string]any{"m": map[string]any{}, "l": []any{}},
	},
	"empty map":   map[string]any{},
	"empty list":  []any{},
	"root list":   []any{"a", map[string]any{"b": "c"}},
	"root scalar": "x",
}

func TestYAMLWriterMatchesYAMLv2(t *testing.T) {
	var w yamlWriter
	for name, v := range yamlCases {
		t.Run(name, func(t *testing.T) {
			want, wantErr, stable := stableMarshal(v)
			if !stable {
				t.Fatal("yaml.v2's own output varies: pick other keys")
			}
			got, err := w.marshalYAML(v)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v; yaml.v2 says %v", err, wantErr)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("YAML (-yaml.v2 +writer):\n%s", diff)
			}
		})
	}
}

// FuzzYAMLWriter checks the writer against yaml.v2 on arbitrary YAML
// documents, read back as JSON-shaped values.
func FuzzYAMLWriter(f *testing.F) {
	for _, v := range yamlCases {
		b, err := yamlv2.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var w yamlWriter
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc any
		if yamlv2.Unmarshal(data, &doc) != nil {
			return
		}
		v, ok := jsonShaped(doc, 0)
		if !ok {
			return
		}
		want, wantErr, stable := stableMarshal(v)
		if !stable {
			t.Skip("yaml.v2's own output varies for these keys")
		}
		got, err := w.marshalYAML(v)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || string(got) != string(want) {
			t.Fatalf("for %#v:\nyaml.v2 (%v):\n%s\nwriter (%v):\n%s", v, wantErr, want, err, got)
		}
	})
}

// stableMarshal is yaml.v2.Marshal(v), and whether yaml.v2 wrote the same
// ten times.
func stableMarshal(v any) ([]byte, error, bool) {
	want, wantErr := yamlv2.Marshal(v)
	for range 10 {
		again, err := yamlv2.Marshal(v)
		if string(again) != string(want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			return nil, nil, false
		}
	}
	return want, wantErr, true
}

// jsonShaped converts what yaml.v2 decodes into the shapes render writes:
// maps with string keys, []any, and scalars; false for anything else or
// nesting beyond 50.
func jsonShaped(v any, depth int) (any, bool) {
	if depth > 50 {
		return nil, false
	}
	switch v := v.(type) {
	case map[any]any:
		out := map[string]any{}
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			c, ok := jsonShaped(e, depth+1)
			if !ok {
				return nil, false
			}
			out[ks] = c
		}
		return out, true
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := jsonShaped(e, depth+1)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case int:
		return int64(v), true
	case string, bool, nil, float64, int64:
		return v, true
	}
	return nil, false
}
