package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

func init() { ConformanceTests = append(ConformanceTests, ModelsListed) }

var ModelsListed = conformance.ConformanceTest{
	ShortName: "ModelsListed",
	Description: "GET /v1/models, as OpenAI clients fill their model pickers, lists the names routable through the Gateway: " +
		"not a model whose route the Gateway refuses, not one attached nowhere, not the targets behind a public name.",
	Manifests: []string{"pools.yaml", "models_listed.yaml"},
	Test: func(t *testing.T, s *conformance.Suite, ns string) {
		deployPools(t, s, ns, "plain", "split")
		s.WaitForCondition(t, ns, "refused", translate.ConditionProgrammed, metav1.ConditionFalse, translate.ReasonRouteNotAccepted)
		s.WaitForCondition(t, ns, "unexposed", translate.ConditionProgrammed, metav1.ConditionFalse, translate.ReasonNoParentRefs)
		client := s.OpenAI()
		ctx := context.Background()
		want := []string{"lm-plain", "lm-split"}
		var got []string
		// The router reads the models from a cache of its own.
		s.Eventually(t, "GET /v1/models lists "+strings.Join(want, ", "), func(ctx context.Context) error {
			page, err := client.Models.List(ctx)
			if err != nil {
				return err
			}
			got = nil
			for _, m := range page.Data {
				// Other tests' models may be listed while their namespaces go.
				if strings.HasPrefix(m.ID, "lm-") {
					got = append(got, m.ID)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				return fmt.Errorf("(-want +got):\n%s", diff)
			}
			return nil
		})
		model, err := client.Models.Get(ctx, "lm-split")
		if err != nil || model.ID != "lm-split" || model.Object != "model" {
			t.Errorf("GET /v1/models/lm-split: %+v, %v", model, err)
		}
		if _, err := client.Models.Get(ctx, "lm-refused"); conformance.StatusOf(err) != http.StatusNotFound {
			t.Errorf("GET /v1/models/lm-refused: %v, want a 404", err)
		}
	},
}
