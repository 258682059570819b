package translate

// Limits of the pinned Gateway API (sigs.k8s.io/gateway-api v1.6.3), taken
// from its validation markers; limits_test.go checks each one against the
// module's standard-channel HTTPRoute CRD, so a version bump cannot drift.
const (
	// HTTPRouteSpec.ParentRefs: +kubebuilder:validation:MaxItems=32
	MaxParentRefs = 32
	// HTTPRouteSpec.Hostnames: +kubebuilder:validation:MaxItems=16
	MaxHostnames = 16
	// Hostname: +kubebuilder:validation:MaxLength=253
	MaxHostnameLength = 253
	// HTTPRouteSpec.Rules: +kubebuilder:validation:MaxItems=16
	MaxRulesPerRoute = 16
	// HTTPRouteRule.Matches: +kubebuilder:validation:MaxItems=64
	MaxMatchesPerRule = 64
	// HTTPRouteSpec.Rules: total matches across rules <= 128 (CEL rule)
	MaxMatchesPerRoute = 128
	// HTTPRouteRule.BackendRefs: +kubebuilder:validation:MaxItems=16
	MaxBackendRefsPerRule = 16
	// HTTPHeaderMatch.Value and HTTPHeader.Value: MaxLength=4096
	MaxHeaderValueLength = 4096
	// HTTPHeaderName: MaxLength=256
	MaxHeaderNameLength = 256
	// HTTPPathMatch.Value: MaxLength=1024
	MaxPathLength = 1024
	// BackendRef.Weight: Maximum=1000000
	MaxBackendWeight = 1000000
	// HTTPHeaderFilter.Set: MaxItems=16
	MaxHeaderSets = 16
	// HTTPHeaderFilter.Remove: MaxItems=16
	MaxHeaderRemoves = 16
)

// Limits of Kubernetes object metadata.
const (
	MaxObjectNameLength  = 253 // DNS-1123 subdomain (HTTPRoute names)
	MaxServiceNameLength = 63  // DNS-1035 label (Service names)
	MaxLabelValueLength  = 63
)

// Limits of the InferenceModel v1alpha2 schema, enforced here too because
// render reads files no API server has validated.
const (
	MaxModelNameLength  = 256
	MaxTargetModels     = 10
	MaxTargetNameLength = 253
	MinTargetWeight     = 1
	MaxTargetWeight     = 1000000
)
