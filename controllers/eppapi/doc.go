// Package eppapi holds no code: only the RBAC markers of --epp-api, kept
// apart from package controllers so that `make manifests` writes them to
// their own file, config/components/epp-api/role.yaml, which the epp-api
// kustomize component adds to the install. Without it the controller only
// reads InferenceModelRewrites and InferenceObjectives, and writes their
// status.
//
// They are the rights of ModelReconciler with --epp-api
// (controllers/eppapi.go), which keeps one InferenceModelRewrite and, for a
// model with a criticality, one InferenceObjective per model, in the group
// the flag picks: it reads them through the cache (the default role's
// rights), creates and updates them by server-side apply (create, patch)
// and deletes them. Their controller reference to the model sets
// blockOwnerDeletion, which the default role's inferencemodels/finalizers
// right already allows.
package eppapi

// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;llm-d.ai,resources=inferencemodelrewrites;inferenceobjectives,verbs=create;patch;delete
