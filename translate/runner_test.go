package translate_test

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/translate"
)

// ---------------------------------------------------------------------------
// Runner

// translateCase is one table case: Translate(in, config() with cfg applied)
// must give want, in order, and exactly the Services svcs.
type translateCase struct {
	name string
	cfg  func(*translate.Config)
	in   translate.Input
	want []wantModel
	svcs []*corev1.Service
}

var equateEmpty = cmpopts.EquateEmpty()

// allOfOutput compares Outputs whole, what Observe decides from included.
var allOfOutput = gocmp.AllowUnexported(translate.ModelResult{})

// translateWith is Translate with cfg, validated first.
func translateWith(in translate.Input, cfg translate.Config) (translate.Output, error) {
	t, err := translate.NewTranslator(cfg)
	if err != nil {
		return translate.Output{}, err
	}
	return t.Translate(in), nil
}

// checkConditions compares conditions without their messages, then checks
// that every message is non-empty and holds each line of the wanted message.
func checkConditions(t *testing.T, what string, want, got []metav1.Condition) {
	t.Helper()
	strip := func(cs []metav1.Condition) []metav1.Condition {
		out := make([]metav1.Condition, 0, len(cs))
		for _, c := range cs {
			c.Message = ""
			out = append(out, c)
		}
		return out
	}
	if diff := gocmp.Diff(strip(want), strip(got), equateEmpty); diff != "" {
		t.Errorf("%s: conditions (-want +got):\n%s", what, diff)
		return
	}
	for i := range want {
		if got[i].Message == "" {
			t.Errorf("%s: condition %s has an empty message", what, got[i].Type)
		}
		for _, part := range strings.Split(want[i].Message, "\n") {
			if !strings.Contains(got[i].Message, part) {
				t.Errorf("%s: condition %s message %q does not contain %q", what, got[i].Type, got[i].Message, part)
			}
		}
	}
}

// withHealth is conds with the summary conditions a model with them gets:
// Ready, True when the three are, else like the first of them that is
// False, else like Programmed when it is Unknown; then Stalled, like the
// first of them that is False for a reason a person must fix; else
// Reconciling, like the first that is False for a reason that resolves on
// its own (PoolNotFound, GatewayNotFound), or Unknown. The tables list the
// three; TestHealth checks the rule itself.
func withHealth(conds []metav1.Condition) []metav1.Condition {
	out := slices.Clone(conds)
	find := func(t string) *metav1.Condition {
		for i := range conds {
			if conds[i].Type == t {
				return &conds[i]
			}
		}
		return nil
	}
	like := func(c *metav1.Condition, typ string, status metav1.ConditionStatus) metav1.Condition {
		d := *c
		d.Type, d.Status = typ, status
		return d
	}
	var falsy, stalled, waiting *metav1.Condition
	for _, t := range []string{"ResolvedRefs", "Accepted", "Programmed"} {
		c := find(t)
		switch {
		case c == nil || c.Status == metav1.ConditionTrue:
		case c.Status == metav1.ConditionFalse && falsy == nil:
			falsy = c
			fallthrough
		case c.Status == metav1.ConditionFalse:
			if c.Reason == "PoolNotFound" || c.Reason == "GatewayNotFound" {
				waiting = cmp.Or(waiting, c)
			} else {
				stalled = cmp.Or(stalled, c)
			}
		default:
			waiting = cmp.Or(waiting, c)
		}
	}
	switch p := find("Programmed"); {
	case falsy != nil:
		out = append(out, like(falsy, "Ready", metav1.ConditionFalse))
	case waiting != nil:
		out = append(out, like(waiting, "Ready", metav1.ConditionUnknown))
	case p != nil:
		ready := like(p, "Ready", metav1.ConditionTrue)
		ready.Reason = "Ready"
		out = append(out, ready)
	}
	switch {
	case stalled != nil:
		out = append(out, like(stalled, "Stalled", metav1.ConditionTrue))
	case waiting != nil:
		out = append(out, like(waiting, "Reconciling", metav1.ConditionTrue))
	}
	return out
}

// checkOutput compares the models (by namespace/name, conditions, route) and
// the Services of an Output with the expected ones.
func checkOutput(t *testing.T, got translate.Output, want []wantModel, wantSvcs []*corev1.Service) {
	t.Helper()
	var wantNames, gotNames []string
	for _, w := range want {
		wantNames = append(wantNames, w.ns+"/"+w.name)
	}
	for _, g := range got.Models {
		gotNames = append(gotNames, g.Namespace+"/"+g.Name)
	}
	if diff := gocmp.Diff(wantNames, gotNames); diff != "" {
		t.Fatalf("models (-want +got):\n%s", diff)
	}
	for i, w := range want {
		g := got.Models[i]
		what := w.ns + "/" + w.name
		checkConditions(t, what, withHealth(w.conds), g.Conditions)
		if diff := gocmp.Diff(w.route, g.Route, equateEmpty); diff != "" {
			t.Errorf("%s: route (-want +got):\n%s", what, diff)
		}
	}
	if diff := gocmp.Diff(wantSvcs, got.Services, equateEmpty); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
}

// runCases runs each case as a subtest: checks the output, that Translate
// left its input unmodified, and that four shuffled inputs give the same output.
func runCases(t *testing.T, cases []translateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			before := deepCopyInput(tc.in)
			got, err := translateWith(tc.in, cfg)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			checkOutput(t, got, tc.want, tc.svcs)
			if diff := gocmp.Diff(before, tc.in); diff != "" {
				t.Errorf("Translate modified its input (-before +after):\n%s", diff)
			}
			for seed := uint64(1); seed <= 4; seed++ {
				again, err := translateWith(shuffled(tc.in, seed), cfg)
				if err != nil {
					t.Fatalf("Translate (shuffled): %v", err)
				}
				if diff := gocmp.Diff(got, again, allOfOutput); diff != "" {
					t.Errorf("output depends on input order (seed %d) (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
}

// deepCopyInput deep-copies every model and pool of an Input.
func deepCopyInput(in translate.Input) translate.Input {
	var out translate.Input
	for i := range in.Models {
		out.Models = append(out.Models, *in.Models[i].DeepCopy())
	}
	for i := range in.AlphaPools {
		out.AlphaPools = append(out.AlphaPools, *in.AlphaPools[i].DeepCopy())
	}
	for i := range in.V1Pools {
		out.V1Pools = append(out.V1Pools, *in.V1Pools[i].DeepCopy())
	}
	for i := range in.Rewrites {
		out.Rewrites = append(out.Rewrites, *in.Rewrites[i].DeepCopy())
	}
	for i := range in.Objectives {
		out.Objectives = append(out.Objectives, *in.Objectives[i].DeepCopy())
	}
	return out
}

// shuffled is a deep copy of in with every list shuffled by seed.
func shuffled(in translate.Input, seed uint64) translate.Input {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	out := deepCopyInput(in)
	r.Shuffle(len(out.Models), func(i, j int) { out.Models[i], out.Models[j] = out.Models[j], out.Models[i] })
	r.Shuffle(len(out.AlphaPools), func(i, j int) {
		out.AlphaPools[i], out.AlphaPools[j] = out.AlphaPools[j], out.AlphaPools[i]
	})
	r.Shuffle(len(out.V1Pools), func(i, j int) { out.V1Pools[i], out.V1Pools[j] = out.V1Pools[j], out.V1Pools[i] })
	r.Shuffle(len(out.Rewrites), func(i, j int) { out.Rewrites[i], out.Rewrites[j] = out.Rewrites[j], out.Rewrites[i] })
	r.Shuffle(len(out.Objectives), func(i, j int) {
		out.Objectives[i], out.Objectives[j] = out.Objectives[j], out.Objectives[i]
	})
	return out
}
