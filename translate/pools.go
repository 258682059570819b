package translate

import (
	"k8s.io/apimachinery/pkg/types"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
	"github.com/modelroute/modelroute/api/v1alpha2"
)

// The InferencePool groups a poolRef may name.
const (
	GroupInferenceAlpha = "inference.networking.x-k8s.io"
	GroupInferenceV1    = "inference.networking.k8s.io"
	KindInferencePool   = "InferencePool"
)

// KindInferenceModel is the kind modelroute was built for.
const KindInferenceModel = "InferenceModel"

// The successors of InferenceModel, read in both groups: GIE's (the legacy
// one, GroupInferenceAlpha) and llm-d-router's.
const (
	GroupLLMD                 = "llm-d.ai"
	KindInferenceModelRewrite = "InferenceModelRewrite"
	KindInferenceObjective    = "InferenceObjective"
)

// poolKey identifies a pool the way a poolRef does.
type poolKey struct {
	Namespace, Group, Name string
}

// pool is the part of an InferencePool of either group that routes need.
type pool struct {
	key         poolKey
	apiVersion  string
	uid         types.UID
	annotations map[string]string
	selector    map[string]string
	targetPort  int32
	appProtocol string
	source      any // the object it came from, to order duplicates
}

func alphaPool(p *v1alpha2.InferencePool) pool {
	sel := make(map[string]string, len(p.Spec.Selector))
	for k, v := range p.Spec.Selector {
		sel[string(k)] = string(v)
	}
	return pool{
		key:         poolKey{Namespace: p.Namespace, Group: GroupInferenceAlpha, Name: p.Name},
		apiVersion:  v1alpha2.GroupVersion.String(),
		uid:         p.UID,
		annotations: p.Annotations,
		selector:    sel,
		targetPort:  p.Spec.TargetPortNumber,
		source:      p,
	}
}

func v1Pool(p *inferencev1.InferencePool) pool {
	sel := make(map[string]string, len(p.Spec.Selector.MatchLabels))
	for k, v := range p.Spec.Selector.MatchLabels {
		sel[string(k)] = string(v)
	}
	var port int32
	if len(p.Spec.TargetPorts) > 0 {
		port = int32(p.Spec.TargetPorts[0].Number)
	}
	return pool{
		key:         poolKey{Namespace: p.Namespace, Group: GroupInferenceV1, Name: p.Name},
		apiVersion:  inferencev1.GroupVersion.String(),
		uid:         p.UID,
		annotations: p.Annotations,
		selector:    sel,
		targetPort:  port,
		appProtocol: string(p.Spec.AppProtocol),
		source:      p,
	}
}

// PoolSummary is what routes need of an InferencePool of either group.
type PoolSummary struct {
	Group, Namespace, Name string
	Selector               map[string]string
	TargetPort             int32
}

// Pools summarizes the pools of in, of both groups, in their order there.
func Pools(in Input) []PoolSummary {
	var out []PoolSummary
	add := func(p pool) {
		out = append(out, PoolSummary{Group: p.key.Group, Namespace: p.key.Namespace, Name: p.key.Name, Selector: p.selector, TargetPort: p.targetPort})
	}
	for i := range in.AlphaPools {
		add(alphaPool(&in.AlphaPools[i]))
	}
	for i := range in.V1Pools {
		add(v1Pool(&in.V1Pools[i]))
	}
	return out
}
