package translate

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// BenchmarkTranslate translates one model with 10 weighted targets (each
// its own backendRef and header filter) against its pool.
func BenchmarkTranslate(b *testing.B) {
	model := v1alpha2.InferenceModel{
		ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "ns", UID: "uid", Generation: 1},
		Spec: v1alpha2.InferenceModelSpec{
			ModelName: "chat",
			PoolRef:   v1alpha2.PoolObjectReference{Name: "pool"},
		},
	}
	for i := range 10 {
		model.Spec.TargetModels = append(model.Spec.TargetModels,
			v1alpha2.TargetModel{Name: fmt.Sprintf("chat-lora-%d", i), Weight: ptr.To(int32(10 * (i + 1)))})
	}
	in := Input{
		Models: []v1alpha2.InferenceModel{model},
		AlphaPools: []v1alpha2.InferencePool{{
			ObjectMeta: metav1.ObjectMeta{Name: "pool", Namespace: "ns", UID: "pool-uid"},
			Spec:       v1alpha2.InferencePoolSpec{Selector: map[v1alpha2.LabelKey]v1alpha2.LabelValue{"app": "llm"}, TargetPortNumber: 8000},
		}},
	}
	cfg := DefaultConfig()
	ref, err := ParseParentRef("infra/gw")
	if err != nil {
		b.Fatal(err)
	}
	cfg.ParentRefs = append(cfg.ParentRefs, ref)
	b.ReportAllocs()
	for b.Loop() {
		out, err := translateWith(in, cfg)
		if err != nil || out.Models[0].Route == nil {
			b.Fatalf("no route: %v", err)
		}
	}
}
