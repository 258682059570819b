// Package servicebackend holds no code: only the RBAC markers of service
// backend mode (--backend=service), kept apart from package controllers so
// that `make manifests` writes them to their own file,
// config/components/service-backend/role.yaml, which the service-backend
// kustomize component adds to the install. The default install has no
// Service rights at all.
//
// They are the rights of PoolServiceReconciler (controllers/pool_controller.go),
// which keeps one headless shadow Service per InferencePool that models
// route to: it reads Services through the cache, creates and updates them
// by server-side apply (create, patch) and deletes them. Each Service's
// controller reference to its pool sets blockOwnerDeletion, which the
// OwnerReferencesPermissionEnforcement admission plugin allows only to
// whoever may update the pool's finalizers, in either InferencePool group.
package servicebackend

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;inference.networking.k8s.io,resources=inferencepools/finalizers,verbs=update
