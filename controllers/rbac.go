package controllers

// Every right the reconcilers use in the default (--backend=inferencepool)
// mode, in one place; `make manifests` turns these markers into
// config/rbac/role.yaml. Service mode adds the markers of package
// servicebackend (config/components/service-backend). TestLeastPrivilege
// proves each install variant sufficient and minimal.
//
// Each roleName is a separate role because the variants bind them
// differently: `make release-manifests NAMESPACE=...` turns the
// per-namespace roles (modelroute, modelroute-service-backend) into Roles
// in the watched namespace and keeps the others cluster-wide.

// The model reconciler, in the namespaces it watches: models and pools
// (read), the models' status, their HTTPRoutes, and Events about them.
// The finalizers right is what OwnerReferencesPermissionEnforcement (on in
// OpenShift) asks of a route whose ownerReference to its model sets
// blockOwnerDeletion; modelroute never sets a finalizer.
//
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencemodels,verbs=get;list;watch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencemodels/status,verbs=get;patch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencemodels/finalizers,verbs=update
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencepools,verbs=get;list;watch
// +kubebuilder:rbac:groups=inference.networking.k8s.io,resources=inferencepools,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// The rewrite reconcilers: InferenceModelRewrites of both groups (read),
// their status, and the finalizers right blockOwnerDeletion on their
// routes' ownerReferences needs (see above).
//
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;llm-d.ai,resources=inferencemodelrewrites,verbs=get;list;watch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;llm-d.ai,resources=inferencemodelrewrites/status,verbs=get;patch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;llm-d.ai,resources=inferencemodelrewrites/finalizers,verbs=update

// The objective reconcilers: InferenceObjectives of both groups (read),
// and their status.
//
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;llm-d.ai,resources=inferenceobjectives,verbs=get;list;watch
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io;llm-d.ai,resources=inferenceobjectives/status,verbs=get;patch

// Gateways and their classes, read in every namespace even when only one
// is watched: routes attach to Gateways in other namespaces (CacheOptions).
//
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gateways;gatewayclasses,verbs=get;list;watch,roleName=modelroute-gateways

// The metrics endpoint's authentication and authorization
// (internal/manager): each scrape's token is checked with a TokenReview
// and its right to GET /metrics with a SubjectAccessReview. Both review
// APIs are cluster-scoped, so this stays a ClusterRole in every variant.
//
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create,roleName=modelroute-metrics-auth
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create,roleName=modelroute-metrics-auth

// Leader election: a Lease, and the Events client-go's leader election
// records, in the controller's own namespace only.
//
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=modelroute-system,resources=leases,verbs=get;create;update,roleName=modelroute-leader-election
// +kubebuilder:rbac:groups="",namespace=modelroute-system,resources=events,verbs=create;patch,roleName=modelroute-leader-election
