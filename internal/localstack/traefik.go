package localstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/internal/localstack/controlplane"
)

// TraefikControllerName is the controllerName of Traefik's GatewayClasses.
const TraefikControllerName = "traefik.io/gateway-controller"

// traefikServiceAccount is the identity Traefik watches the cluster with.
const traefikServiceAccount = "traefik"

// TraefikBinary returns the path of the pinned Traefik, building it on
// first use with tools/traefik/build.sh (about 8 minutes cold; cached
// outside the tree and keyed by the pins). A TRAEFIK_BINARY naming an
// executable `traefik` wins. log receives the build's progress; nil
// discards it.
func TraefikBinary(log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	cmd := exec.Command("bash", filepath.Join(controlplane.RepoRoot(), "tools", "traefik", "build.sh"))
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building Traefik (tools/traefik/build.sh): %w", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return filepath.Join(lines[len(lines)-1], "traefik"), nil
}

// TraefikVersion is the version the binary reports (`traefik version`),
// e.g. "v3.6.12"; build.sh stamps it from the pinned module's version.
func TraefikVersion(binary string) (string, error) {
	out, err := exec.Command(binary, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", binary, err)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Version:"); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("%s version printed no version:\n%s", binary, out)
}

// setupTraefikAccess creates the Gateway's namespace, Traefik's
// ServiceAccount with the least privilege its Gateway API provider needs,
// and returns a token for it. Traefik watches every standard-channel route
// kind (TLSRoutes included, since v3.7) and never syncs, so never accepts
// its GatewayClass, without every one of these list/watch rights.
func setupTraefikAccess(ctx context.Context, c client.Client, cs kubernetes.Interface) (string, error) {
	list := []string{"list", "watch"}
	name := "modelroute-embedded-traefik"
	objects := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: GatewayNamespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: GatewayNamespace, Name: traefikServiceAccount}},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"namespaces", "services", "secrets", "configmaps"}, Verbs: list},
				{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: list},
				{APIGroups: []string{gatewayv1.GroupName}, Resources: []string{
					"gatewayclasses", "gateways", "httproutes", "grpcroutes", "tlsroutes", "referencegrants", "backendtlspolicies",
				}, Verbs: list},
				{APIGroups: []string{gatewayv1.GroupName}, Resources: []string{
					"gatewayclasses/status", "gateways/status", "httproutes/status", "grpcroutes/status", "tlsroutes/status",
					"backendtlspolicies/status",
				}, Verbs: []string{"update"}},
			},
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects: []rbacv1.Subject{{
				Kind: rbacv1.ServiceAccountKind, Namespace: GatewayNamespace, Name: traefikServiceAccount,
			}},
		},
	}
	for _, o := range objects {
		if err := c.Create(ctx, o); err != nil {
			return "", fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	token, err := cs.CoreV1().ServiceAccounts(GatewayNamespace).CreateToken(ctx, traefikServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			// As long as anyone may keep a demo running.
			ExpirationSeconds: ptr.To(int64(30 * 24 * 3600)),
		}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token for Traefik: %w", err)
	}
	return token.Status.Token, nil
}

// createGateway creates Traefik's GatewayClass and the Gateway, with one
// HTTP listener on port, the port of Traefik's entry point.
func createGateway(ctx context.Context, c client.Client, port int) error {
	class := &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: GatewayClassName},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: TraefikControllerName},
	}
	gateway := &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: GatewayNamespace, Name: GatewayName},
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: GatewayClassName,
			Listeners: []gatewayv1.Listener{{
				Name:     ListenerName,
				Protocol: gatewayv1.HTTPProtocolType,
				Port:     gatewayv1.PortNumber(port),
				AllowedRoutes: &gatewayv1.AllowedRoutes{
					Namespaces: &gatewayv1.RouteNamespaces{From: ptr.To(gatewayv1.NamespacesFromAll)},
				},
			}, {
				// Routes from labelled namespaces only, for one hostname.
				Name:     gatewayv1.SectionName(RestrictedListener.Section),
				Protocol: gatewayv1.HTTPProtocolType,
				Port:     gatewayv1.PortNumber(port),
				Hostname: ptr.To(gatewayv1.Hostname(RestrictedListener.Hostname)),
				AllowedRoutes: &gatewayv1.AllowedRoutes{
					Namespaces: &gatewayv1.RouteNamespaces{
						From:     ptr.To(gatewayv1.NamespacesFromSelector),
						Selector: &metav1.LabelSelector{MatchLabels: RestrictedListener.Label},
					},
				},
			}},
		},
	}
	for _, o := range []client.Object{class, gateway} {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// startTraefik runs Traefik with its Gateway API provider on the API
// server, authenticated with token, and one entry point, web, on
// 127.0.0.1:port. The experimental channel stays off: only the standard
// channel CRDs are installed.
func startTraefik(binary, dir string, cfg *rest.Config, token string, port int, out io.Writer) (*controlplane.Process, error) {
	caFile := filepath.Join(dir, "apiserver-ca.crt")
	if err := os.WriteFile(caFile, cfg.CAData, 0o600); err != nil {
		return nil, err
	}
	endpoint := cfg.Host
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	cmd := exec.Command(binary,
		"--global.checkNewVersion=false",
		"--global.sendAnonymousUsage=false",
		fmt.Sprintf("--entrypoints.web.address=127.0.0.1:%d", port),
		"--providers.kubernetesgateway=true",
		"--providers.kubernetesgateway.endpoint="+endpoint,
		"--providers.kubernetesgateway.token="+token,
		"--providers.kubernetesgateway.certAuthFilePath="+caFile,
		"--log.level=INFO",
		"--log.noColor=true",
	)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := controlplane.StartProcess(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting Traefik: %w", err)
	}
	return p, nil
}

// waitForGateway waits until Traefik has accepted the GatewayClass and
// published its supported features, programmed the Gateway, and listens
// on address; it returns the supported features.
func waitForGateway(ctx context.Context, c client.Client, traefik *controlplane.Process, address string) ([]gatewayv1.SupportedFeature, error) {
	state := "nothing read yet"
	var supported []gatewayv1.SupportedFeature
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		select {
		case <-traefik.Done():
			return false, fmt.Errorf("Traefik exited: %v", traefik.Err())
		default:
		}
		class := &gatewayv1.GatewayClass{}
		if err := c.Get(ctx, client.ObjectKey{Name: GatewayClassName}, class); err != nil {
			return false, err
		}
		gateway := &gatewayv1.Gateway{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: GatewayNamespace, Name: GatewayName}, gateway); err != nil {
			return false, err
		}
		accepted := meta.IsStatusConditionTrue(class.Status.Conditions, string(gatewayv1.GatewayClassConditionStatusAccepted))
		programmed := meta.IsStatusConditionTrue(gateway.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed))
		state = fmt.Sprintf("GatewayClass %s Accepted=%v with %d supported features, Gateway %s/%s Programmed=%v",
			GatewayClassName, accepted, len(class.Status.SupportedFeatures), GatewayNamespace, GatewayName, programmed)
		if !accepted || len(class.Status.SupportedFeatures) == 0 || !programmed {
			return false, nil
		}
		conn, err := net.DialTimeout("tcp", address, time.Second)
		if err != nil {
			state += fmt.Sprintf(", %s: %v", address, err)
			return false, nil
		}
		_ = conn.Close()
		supported = class.Status.SupportedFeatures
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("Traefik did not program the Gateway: %s: %w", state, err)
	}
	return supported, nil
}
