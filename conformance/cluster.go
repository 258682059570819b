package conformance

import (
	"context"
	"maps"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultEchoImage is the Gateway API conformance echo server, which answers
// with the request it saw, its pod name and namespace.
const DefaultEchoImage = "registry.k8s.io/gateway-api/echo-basic:v1.5.1"

// ClusterBackends runs the echo model servers as Deployments in a real
// cluster: pods labelled with the pool's selector, so the pool (and, in
// service mode, modelroute's shadow Service) selects them, named
// "<pool>-<hash>-<hash>".
type ClusterBackends struct {
	Client client.Client
	Image  string
}

// Deploy implements Backends and waits until every replica is ready.
func (c ClusterBackends) Deploy(ctx context.Context, t Scope, ns string, pool Pool) error {
	labels := maps.Clone(pool.Selector)
	fieldEnv := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: pool.Name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(pool.Replicas)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "echo",
					Image: c.Image,
					Env: []corev1.EnvVar{
						fieldEnv("POD_NAME", "metadata.name"),
						fieldEnv("NAMESPACE", "metadata.namespace"),
						{Name: "HTTP_PORT", Value: strconv.Itoa(int(pool.TargetPort))},
					},
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: pool.TargetPort}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
						TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(pool.TargetPort)},
					}},
				}}},
			},
		},
	}
	if err := c.Client.Create(ctx, dep); err != nil {
		return err
	}
	t.Cleanup(func() { _ = c.Client.Delete(context.Background(), dep) })
	ready := int32(-1)
	return wait.PollUntilContextTimeout(ctx, pollInterval, DefaultTimeoutConfig().MaxTimeToConsistency*3, true, func(ctx context.Context) (bool, error) {
		if err := c.Client.Get(ctx, client.ObjectKeyFromObject(dep), dep); err != nil {
			return false, err
		}
		if dep.Status.ReadyReplicas != ready {
			ready = dep.Status.ReadyReplicas
			t.Logf("Deployment %s/%s: %d of %d replicas ready", ns, pool.Name, ready, pool.Replicas)
		}
		return ready == int32(pool.Replicas), nil
	})
}
