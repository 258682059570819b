package modelproxy

// The router's rights (ClusterRole modelroute-router, generated into
// config/router/role.yaml by `make manifests`): ClusterCatalog reads the
// models and the routes modelroute wrote for them, nothing else, and
// writes nothing.
//
// +kubebuilder:rbac:groups=inference.networking.x-k8s.io,resources=inferencemodels,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch
