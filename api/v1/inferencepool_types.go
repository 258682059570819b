package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InferencePool is the Schema for the InferencePools API.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=infpool
// +kubebuilder:metadata:annotations="api-approved.kubernetes.io=https://github.com/kubernetes-sigs/gateway-api-inference-extension/pull/1173"
type InferencePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec defines the desired state of the InferencePool.
	//
	// +kubebuilder:validation:Required
	Spec InferencePoolSpec `json:"spec"`

	// Status defines the observed state of the InferencePool.
	//
	// +optional
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
	// Selector picks the model server pods of the pool in its namespace.
	//
	// +kubebuilder:validation:Required
	Selector LabelSelector `json:"selector"`

	// TargetPorts are the ports exposed by the pool's model servers.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	// +kubebuilder:validation:XValidation:message="port number must be unique",rule="self.all(p1, self.exists_one(p2, p1.number==p2.number))"
	TargetPorts []Port `json:"targetPorts"`

	// AppProtocol is the application protocol of all target ports.
	//
	// +optional
	// +kubebuilder:default=http
	AppProtocol AppProtocol `json:"appProtocol,omitempty"`

	// EndpointPickerRef references the endpoint picker extension.
	//
	// +optional
	EndpointPickerRef *EndpointPickerRef `json:"endpointPickerRef,omitempty"`
}

// AppProtocol is the application protocol of a pool's target ports.
//
// +kubebuilder:validation:Enum=http;"kubernetes.io/h2c"
type AppProtocol string

// LabelSelector is a Service-selector-shaped label selector.
type LabelSelector struct {
	// MatchLabels are the {key,value} pairs a pod must all carry.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=64
	MatchLabels map[LabelKey]LabelValue `json:"matchLabels"`
}

// Port is a network port of the pool's model servers.
type Port struct {
	// Number is the port number, 1 to 65535.
	//
	// +kubebuilder:validation:Required
	Number PortNumber `json:"number"`
}

// EndpointPickerRef references the Endpoint Picker extension.
//
// +kubebuilder:validation:XValidation:rule="self.kind != 'Service' || has(self.port)",message="port is required when kind is 'Service' or unspecified (defaults to 'Service')"
type EndpointPickerRef struct {
	// Group is the group of the referent; "" is the core API group.
	//
	// +optional
	// +kubebuilder:default=""
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the referent. ExternalName Services are not supported.
	//
	// +optional
	// +kubebuilder:default=Service
	Kind Kind `json:"kind,omitempty"`

	// Name is the name of the referent.
	//
	// +kubebuilder:validation:Required
	Name ObjectName `json:"name"`

	// Port is the Service port of the extension; required for Services.
	//
	// +optional
	Port *Port `json:"port,omitempty"`

	// FailureMode is what the parent does when the extension does not answer.
	//
	// +optional
	// +kubebuilder:default="FailClose"
	FailureMode EndpointPickerFailureMode `json:"failureMode,omitempty"`
}

// EndpointPickerFailureMode is FailOpen or FailClose.
//
// +kubebuilder:validation:Enum=FailOpen;FailClose
type EndpointPickerFailureMode string

// InferencePoolStatus is the observed state of an InferencePool.
type InferencePoolStatus struct {
	// Parents lists the parents (usually Gateways) associated with the pool.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Parents []ParentStatus `json:"parents,omitempty"`
}

// ParentStatus is the state of an InferencePool with respect to one parent.
type ParentStatus struct {
	// Conditions: "Accepted" and "ResolvedRefs".
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ParentRef identifies the parent this status is about.
	//
	// +kubebuilder:validation:Required
	ParentRef ParentReference `json:"parentRef"`

	// ControllerName is the controller that wrote this status.
	//
	// +optional
	ControllerName ControllerName `json:"controllerName,omitempty"`
}

// ParentReference identifies a parent of an InferencePool.
type ParentReference struct {
	// Group is the group of the referent.
	//
	// +optional
	// +kubebuilder:default="gateway.networking.k8s.io"
	Group *Group `json:"group,omitempty"`

	// Kind is the kind of the referent.
	//
	// +optional
	// +kubebuilder:default=Gateway
	Kind Kind `json:"kind,omitempty"`

	// Name is the name of the referent.
	//
	// +kubebuilder:validation:Required
	Name ObjectName `json:"name"`

	// Namespace is the namespace of the referent; local when unset.
	//
	// +optional
	Namespace Namespace `json:"namespace,omitempty"`
}

// Group is the group of a referent; empty means the core API group.
//
// +kubebuilder:validation:MinLength=0
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type Group string

// Kind is the kind of a referent.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`
type Kind string

// ObjectName is the name of a referent.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
type ObjectName string

// Namespace is the namespace of a referent.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
type Namespace string

// PortNumber is a network port, 1 to 65535.
//
// +kubebuilder:validation:Minimum=1
// +kubebuilder:validation:Maximum=65535
type PortNumber int32

// ControllerName is a DOMAIN/PATH controller name.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$`
type ControllerName string

// LabelKey is the key of a label.
type LabelKey string

// LabelValue is the value of a label (at most 63 characters, may be empty).
//
// +kubebuilder:validation:MinLength=0
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string
