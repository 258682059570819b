package translate

import (
	llmdv1alpha2 "github.com/modelroute/modelroute/api/llmd/v1alpha2"
	"github.com/modelroute/modelroute/api/v1alpha2"
)

// RewriteFromLLMD is an llm-d.ai InferenceModelRewrite in the legacy
// group's Go type, which has the same schema; its apiVersion still says
// llm-d.ai.
func RewriteFromLLMD(o *llmdv1alpha2.InferenceModelRewrite) v1alpha2.InferenceModelRewrite {
	return v1alpha2.InferenceModelRewrite{TypeMeta: o.TypeMeta, ObjectMeta: o.ObjectMeta, Spec: o.Spec, Status: o.Status}
}

// ObjectiveFromLLMD is an llm-d.ai InferenceObjective in the legacy
// group's Go type, whose unsized priority holds llm-d.ai's int32; its
// apiVersion still says llm-d.ai.
func ObjectiveFromLLMD(o *llmdv1alpha2.InferenceObjective) v1alpha2.InferenceObjective {
	out := v1alpha2.InferenceObjective{TypeMeta: o.TypeMeta, ObjectMeta: o.ObjectMeta, Status: o.Status}
	out.Spec.PoolRef = o.Spec.PoolRef
	if o.Spec.Priority != nil {
		p := int(*o.Spec.Priority)
		out.Spec.Priority = &p
	}
	return out
}
