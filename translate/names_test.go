package translate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/modelroute/modelroute/translate"
)

// weirdNames are object names of every shape, valid or not, that the name
// functions must turn into valid, stable and distinct names.
var weirdNames = []string{
	"m", "m1", "llama-3-8b", "my.model", "a.b.c", "0", "9lives",
	"A", "a", "UPPER", "Mixed.Case-Name", "a_b", "a-b", "a.b", "a b", "a/b", "a:b",
	"-", "--", ".", "..", "-a-", ".a.", "a..b", "a.-b", "a-.b", "a--b",
	"", " ", "\x00", "\n", "モデル", "é", "a\u00e9b",
	strings.Repeat("a", 52), strings.Repeat("a", 53), strings.Repeat("a", 62), strings.Repeat("a", 63),
	strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("b", 64),
	strings.Repeat("a", 241), strings.Repeat("a", 242), strings.Repeat("a", 243),
	strings.Repeat("a", 253), strings.Repeat("a", 300), strings.Repeat("a", 1000),
	strings.Repeat("a.", 130), strings.Repeat("-", 300), strings.Repeat("x", 231) + ".-" + strings.Repeat("y", 30),
	strings.Repeat("a", 230) + "-" + strings.Repeat("b", 30),
	strings.Repeat("a", 230) + "." + strings.Repeat("b", 30),
	strings.Repeat("a", 51) + "-" + strings.Repeat("b", 20),
	strings.Repeat("a", 51) + "." + strings.Repeat("b", 20),
	strings.Repeat("Z", 70), strings.Repeat("_", 70), "x" + strings.Repeat("_", 70),
}

func TestRouteNameExamples(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"m1", "m1-modelroute"},
		{"llama-3-8b", "llama-3-8b-modelroute"},
		{"my.model", "my.model-modelroute"},
		{"0", "0-modelroute"},
		// 242 + len("-modelroute") = 253: still the plain name.
		{strings.Repeat("a", 242), strings.Repeat("a", 242) + "-modelroute"},
		// Cut and hashed: 231 + "-" + 10 + "-modelroute" = 253. The hash is
		// sha256 of the original name, computed outside Go.
		{strings.Repeat("a", 250), strings.Repeat("a", 231) + "-3f3e35e0a7-modelroute"},
		// Sanitized: hash of the original name.
		{"A", "a-559aead082-modelroute"},
	} {
		if got := translate.RouteName(tc.in); got != tc.want {
			t.Errorf("RouteName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestModelOfRoute(t *testing.T) {
	for _, tc := range []struct {
		route, model string
		ok           bool
	}{
		{"m1-modelroute", "m1", true},
		{strings.Repeat("a", 242) + "-modelroute", strings.Repeat("a", 242), true},
		// Also RouteName("A")'s and that of a 250-character name: found as
		// the model whose name is the route's without the suffix.
		{"a-559aead082-modelroute", "a-559aead082", true},
		{strings.Repeat("a", 231) + "-3f3e35e0a7-modelroute", strings.Repeat("a", 231) + "-3f3e35e0a7", true},
		// No model's name gives these.
		{strings.Repeat("a", 243) + "-modelroute", "", false},
		{"-modelroute", "", false},
		{"m1", "", false},
		{"M1-modelroute", "", false},
	} {
		model, ok := translate.ModelOfRoute(tc.route)
		if model != tc.model || ok != tc.ok {
			t.Errorf("ModelOfRoute(%q) = %q, %v; want %q, %v", tc.route, model, ok, tc.model, tc.ok)
		}
	}
	// Whatever it finds has that route.
	for _, in := range weirdNames {
		route := translate.RouteName(in)
		if model, ok := translate.ModelOfRoute(route); ok && translate.RouteName(model) != route {
			t.Errorf("ModelOfRoute(%q) = %q, whose route is %q", route, model, translate.RouteName(model))
		}
	}
}

func TestRouteNameValidStableDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, in := range weirdNames {
		got := translate.RouteName(in)
		if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Errorf("RouteName(%q) = %q: not a DNS subdomain: %v", in, got, errs)
		}
		if len(got) > 253 {
			t.Errorf("RouteName(%q) = %q: %d characters", in, got, len(got))
		}
		if !strings.HasSuffix(got, "-modelroute") {
			t.Errorf("RouteName(%q) = %q: no -modelroute suffix", in, got)
		}
		if again := translate.RouteName(in); again != got {
			t.Errorf("RouteName(%q) unstable: %q then %q", in, got, again)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("RouteName(%q) = RouteName(%q) = %q", in, prev, got)
		}
		seen[got] = in
	}
}

func TestServiceNameExamples(t *testing.T) {
	for _, tc := range []struct{ group, pool, want string }{
		{"inference.networking.x-k8s.io", "pool", "pool-34668d12dc"},
		{"inference.networking.k8s.io", "pool", "pool-7d3223a482"},
		{"inference.networking.x-k8s.io", "pool-b", "pool-b-ac519df767"},
		{"inference.networking.k8s.io", "vpool", "vpool-8dde92d947"},
	} {
		if got := translate.ServiceName(tc.group, tc.pool); got != tc.want {
			t.Errorf("ServiceName(%q, %q) = %q, want %q", tc.group, tc.pool, got, tc.want)
		}
	}
}

func TestServiceNameValidStableDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, group := range []string{"inference.networking.x-k8s.io", "inference.networking.k8s.io"} {
		for _, pool := range weirdNames {
			key := group + " " + pool
			got := translate.ServiceName(group, pool)
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Errorf("ServiceName(%q, %q) = %q: not a DNS-1123 label: %v", group, pool, got, errs)
			}
			if errs := validation.IsDNS1035Label(got); len(errs) > 0 {
				t.Errorf("ServiceName(%q, %q) = %q: not a DNS-1035 label (Service names): %v", group, pool, got, errs)
			}
			if again := translate.ServiceName(group, pool); again != got {
				t.Errorf("ServiceName(%q, %q) unstable: %q then %q", group, pool, got, again)
			}
			if prev, ok := seen[got]; ok {
				t.Errorf("ServiceName(%s) = ServiceName(%s) = %q", key, prev, got)
			}
			seen[got] = key
		}
	}
}

func TestLabelValueExamples(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"m1", "m1"},
		{"my.model", "my.model"},
		{"llama-3-8b", "llama-3-8b"},
		{strings.Repeat("a", 63), strings.Repeat("a", 63)},
		// 52 + "-" + 10 = 63; hash of the whole name, computed outside Go.
		{strings.Repeat("a", 250), strings.Repeat("a", 52) + "-3f3e35e0a7"},
		{strings.Repeat("m", 64), strings.Repeat("m", 52) + "-55d24d1e5b"},
	} {
		if got := translate.LabelValue(tc.in); got != tc.want {
			t.Errorf("LabelValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLabelValueValidStableDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, in := range weirdNames {
		got := translate.LabelValue(in)
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
			t.Errorf("LabelValue(%q) = %q: not a label value: %v", in, got, errs)
		}
		if again := translate.LabelValue(in); again != got {
			t.Errorf("LabelValue(%q) unstable: %q then %q", in, got, again)
		}
		// A valid object name that fits is used as is.
		if len(validation.IsDNS1123Subdomain(in)) == 0 && len(in) <= 63 && got != in {
			t.Errorf("LabelValue(%q) = %q, want the name itself", in, got)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("LabelValue(%q) = LabelValue(%q) = %q", in, prev, got)
		}
		seen[got] = in
	}
}

// Names of real objects (valid DNS subdomains) that fit are kept readable.
func TestNamesKeepValidNames(t *testing.T) {
	for _, in := range []string{"m", "llama-3-8b", "my.model", "a.b.c", "0", strings.Repeat("a", 63)} {
		if diff := cmp.Diff(in+"-modelroute", translate.RouteName(in)); diff != "" {
			t.Errorf("RouteName(%q) (-want +got):\n%s", in, diff)
		}
		if diff := cmp.Diff(in, translate.LabelValue(in)); diff != "" {
			t.Errorf("LabelValue(%q) (-want +got):\n%s", in, diff)
		}
	}
}

// TestRouteNameClash: the cut-and-hash form of a long name is itself a valid
// object name, so two models can map to one route name. The older keeps the
// route; the younger gets none and Programmed=False, RouteConflict.
func TestRouteNameClash(t *testing.T) {
	long := strings.Repeat("a", 243)
	crafted := strings.Repeat("a", 231) + "-0a4845f78a"
	if translate.RouteName(long) != translate.RouteName(crafted) {
		t.Fatalf("the inputs no longer clash: %q vs %q", translate.RouteName(long), translate.RouteName(crafted))
	}
	out, err := translateWith(input(
		model(long, "llama", createdAfter(0), parentRefsAnnotation("gw/main")),
		model(crafted, "mistral", createdAfter(time.Hour), parentRefsAnnotation("gw/main")),
		alphaPool("pool"),
	), config())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]translate.ModelResult{}
	for _, r := range out.Models {
		byName[r.Name] = r
	}
	if byName[long].Route == nil {
		t.Errorf("the older model %q lost its route", long)
	}
	young := byName[crafted]
	if young.Route != nil {
		t.Errorf("the younger model got a route named %q", young.Route.Name)
	}
	c := young.Condition(condProgrammed)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != "RouteConflict" || !strings.Contains(c.Message, long) {
		t.Errorf("Programmed = %+v, want False/RouteConflict naming %q", c, long)
	}
}
