package modelproxy

// The router's rights (ClusterRole modelroute-router, generated into
// config/router/role.yaml by `make manifests`): ClusterCatalog reads the
// routes modelroute wrote, nothing else, and writes nothing.
//
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch
