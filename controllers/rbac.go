package controllers

// Leader election: a Lease, and the Events client-go's leader election
// records, in the controller's own namespace only.
//
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=modelroute-system,resources=leases,verbs=get;create;update
// +kubebuilder:rbac:groups="",namespace=modelroute-system,resources=events,verbs=create;patch
