package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The successors of InferenceModel: GIE v1.0 split it into
// InferenceObjective (priority) and, from v1.2, InferenceModelRewrite
// (model-name matches and weighted rewrites). The schemas match GIE v1.5.0's
// CRDs of this group and, apart from the group, llm-d-router's (llm-d.ai).

// InferenceModelRewrite rewrites the model of requests to a pool: each rule
// matches models by name and splits them over weighted target names.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Inference Pool",type=string,JSONPath=`.spec.poolRef.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InferenceModelRewrite struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   InferenceModelRewriteSpec   `json:"spec,omitempty"`
	Status InferenceModelRewriteStatus `json:"status,omitempty"`
}

// InferenceModelRewriteList is a list of InferenceModelRewrites.
//
// +kubebuilder:object:root=true
type InferenceModelRewriteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferenceModelRewrite `json:"items"`
}

// InferenceModelRewriteSpec is a pool and its rewrite rules. Upstream's
// precedence: an Exact match beats a catch-all rule (no matches), then the
// oldest object wins, then the first rule.
type InferenceModelRewriteSpec struct {
	// PoolRef is the pool whose requests are rewritten.
	//
	// +required
	PoolRef SuccessorPoolReference `json:"poolRef"`

	// Rules are tried in order.
	//
	// +required
	Rules []InferenceModelRewriteRule `json:"rules"`
}

// SuccessorPoolReference names an InferencePool; its group defaults to
// the v1 one (unlike InferenceModel's).
type SuccessorPoolReference struct {
	// Group is the pool's group.
	//
	// +optional
	// +kubebuilder:default="inference.networking.k8s.io"
	Group Group `json:"group,omitempty"`

	// Kind is the pool's kind.
	//
	// +optional
	// +kubebuilder:default="InferencePool"
	Kind Kind `json:"kind,omitempty"`

	// Name is the pool's name.
	//
	// +required
	Name ObjectName `json:"name"`
}

// InferenceModelRewriteRule matches models (none: every model, a catch-all)
// and sends them to weighted targets.
type InferenceModelRewriteRule struct {
	// Matches are the models this rule applies to; empty matches all.
	//
	// +optional
	Matches []Match `json:"matches,omitempty"`

	// Targets are the names requests are rewritten to, by weight.
	//
	// +optional
	// +kubebuilder:validation:MinItems=1
	Targets []TargetModelRewrite `json:"targets,omitempty"`
}

// Match selects requests by the model of their body.
type Match struct {
	// Model matches the body's "model".
	//
	// +required
	Model ModelMatch `json:"model"`
}

// ModelMatch is a string match on the model name.
type ModelMatch struct {
	// Type of match; only Exact.
	//
	// +optional
	// +kubebuilder:default=Exact
	Type *MatchType `json:"type,omitempty"`

	// Value is the model name.
	//
	// +required
	// +kubebuilder:validation:MinLength=1
	Value string `json:"value"`
}

// MatchType is how a model name is matched.
//
// +kubebuilder:validation:Enum=Exact
type MatchType string

// MatchExact matches the whole name.
const MatchExact MatchType = "Exact"

// TargetModelRewrite is one weighted target name.
type TargetModelRewrite struct {
	// ModelRewrite is the name the request's model becomes.
	//
	// +required
	ModelRewrite string `json:"modelRewrite"`

	// Weight is this target's share relative to the others' (set on all
	// targets of a rule or on none).
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	Weight *int32 `json:"weight,omitempty"`
}

// InferenceObjective gives the requests that name it (by a header) a
// priority in a pool; a negative priority is sheddable.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Inference Pool",type=string,JSONPath=`.spec.poolRef.name`
// +kubebuilder:printcolumn:name="Priority",type=string,JSONPath=`.spec.priority`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InferenceObjective struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   InferenceObjectiveSpec   `json:"spec,omitempty"`
	Status InferenceObjectiveStatus `json:"status,omitempty"`
}

// InferenceObjectiveList is a list of InferenceObjectives.
//
// +kubebuilder:object:root=true
type InferenceObjectiveList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferenceObjective `json:"items"`
}

// InferenceObjectiveSpec is a priority in a pool.
type InferenceObjectiveSpec struct {
	// Priority orders requests in the pool: higher first; negative values
	// are sheddable; unset is 0.
	//
	// +optional
	Priority *int `json:"priority,omitempty"`

	// PoolRef is the pool the objective applies to.
	//
	// +required
	PoolRef SuccessorPoolReference `json:"poolRef"`
}

// InferenceModelRewriteStatus is a rewrite's status; upstream defaults it
// to Accepted=Unknown.
type InferenceModelRewriteStatus struct {
	// Conditions of the object.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:default={{type: "Accepted", status: "Unknown", reason:"Pending", message:"Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// InferenceObjectiveStatus is an objective's status; upstream defaults it
// to Ready=Unknown.
type InferenceObjectiveStatus struct {
	// Conditions of the object.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:default={{type: "Ready", status: "Unknown", reason:"Pending", message:"Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
