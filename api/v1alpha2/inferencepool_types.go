package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InferencePool is the Schema for the InferencePools API.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
type InferencePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec InferencePoolSpec `json:"spec,omitempty"`

	// Status defines the observed state of InferencePool.
	//
	// +kubebuilder:default={parent: {{parentRef: {kind: "Status", name: "default"}, conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}}}
	Status InferencePoolStatus `json:"status,omitempty"`
}

// InferencePoolList contains a list of InferencePool.
//
// +kubebuilder:object:root=true
type InferencePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InferencePool `json:"items"`
}

// InferencePoolSpec is the desired state of an InferencePool.
type InferencePoolSpec struct {
	// Selector is the label map that picks model server pods in the pool's
	// namespace; it has the shape of a Service selector.
	//
	// +kubebuilder:validation:Required
	Selector map[LabelKey]LabelValue `json:"selector"`

	// TargetPortNumber is the port of the selected model servers.
	//
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Required
	TargetPortNumber int32 `json:"targetPortNumber"`

	EndpointPickerConfig `json:",inline"`
}

// EndpointPickerConfig selects the endpoint picker of a pool.
type EndpointPickerConfig struct {
	// Extension configures an endpoint picker as an extension service.
	//
	// +kubebuilder:validation:Required
	ExtensionRef *Extension `json:"extensionRef"`
}

// Extension is a reference to the endpoint picker service and how to reach it.
type Extension struct {
	ExtensionReference  `json:",inline"`
	ExtensionConnection `json:",inline"`
}

// ExtensionReference names the endpoint picker service.
type ExtensionReference struct {
	// Group is the group of the referent; "" is the core API group.
	//
	// +optional
	// +kubebuilder:default=""
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the referent. ExternalName Services are not supported.
	//
	// +optional
	// +kubebuilder:default=Service
	Kind *Kind `json:"kind,omitempty"`

	// Name is the name of the referent.
	//
	// +kubebuilder:validation:Required
	Name ObjectName `json:"name"`

	// PortNumber is the port of the extension service; 9002 when unset.
	//
	// +optional
	PortNumber *PortNumber `json:"portNumber,omitempty"`
}

// ExtensionConnection says how the gateway uses the extension.
type ExtensionConnection struct {
	// FailureMode is what the gateway does when the extension does not answer.
	//
	// +optional
	// +kubebuilder:default="FailClose"
	FailureMode *ExtensionFailureMode `json:"failureMode,omitempty"`
}

// ExtensionFailureMode is FailOpen or FailClose.
//
// +kubebuilder:validation:Enum=FailOpen;FailClose
type ExtensionFailureMode string

// InferencePoolStatus is the observed state of an InferencePool.
type InferencePoolStatus struct {
	// Parents lists the Gateways associated with the pool and its status
	// with respect to each.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Parents []PoolStatus `json:"parent,omitempty"`
}

// PoolStatus is the state of an InferencePool with respect to one Gateway.
type PoolStatus struct {
	// GatewayRef identifies the Gateway this status is about.
	//
	// +kubebuilder:validation:Required
	GatewayRef ParentGatewayReference `json:"parentRef"`

	// Conditions track the state of the InferencePool.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:default={{type: "Accepted", status: "Unknown", reason:"Pending", message:"Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ParentGatewayReference identifies a parent (usually a Gateway).
type ParentGatewayReference struct {
	// Group is the group of the referent.
	//
	// +optional
	// +kubebuilder:default="gateway.networking.k8s.io"
	Group *Group `json:"group"`

	// Kind is the kind of the referent.
	//
	// +optional
	// +kubebuilder:default=Gateway
	Kind *Kind `json:"kind"`

	// Name is the name of the referent.
	//
	// +kubebuilder:validation:Required
	Name ObjectName `json:"name"`

	// Namespace is the namespace of the referent; the referring object's
	// namespace when unset.
	//
	// +optional
	Namespace *Namespace `json:"namespace,omitempty"`
}
