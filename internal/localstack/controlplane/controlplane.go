// Package controlplane starts a real local Kubernetes control plane —
// etcd, kube-apiserver and, where garbage collection or namespace deletion
// matters, kube-controller-manager — built from pinned Go modules by
// tools/controlplane/build.sh, with the Gateway API and Inference CRDs
// installed. Tests, `make run` and the conformance suite share it.
//
// Every process it starts is stopped by Cluster.Stop and, should this
// process die without calling it, killed by the reaper (see Reap), which
// callers also use for processes of their own.
package controlplane

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Options say which parts to start.
type Options struct {
	// ControllerManager also starts kube-controller-manager with its garbage
	// collector and namespace controllers.
	ControllerManager bool
	// Log receives the output of the builds and of kube-controller-manager;
	// nil discards it.
	Log io.Writer
	// CRDs, when not nil, replaces CRDPaths(): the CRD files or directories
	// to install (a test leaving out the InferencePool CRDs, say).
	CRDs []string
}

// Cluster is a running local control plane.
type Cluster struct {
	// Config is an admin (system:masters) client config.
	Config *rest.Config
	// Env is the envtest environment, for adding users.
	Env *envtest.Environment

	kcm    *Process
	kcmDir string
	// releaseEnv forget etcd and kube-apiserver (envtest's processes) in
	// the reaper.
	releaseEnv []func()
}

// RepoRoot is the root of the modelroute source tree.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Assets returns the directory holding the pinned etcd, kube-apiserver and
// kube-controller-manager, building them on first use (several minutes
// cold; cached outside the tree and keyed by the pins). A KUBEBUILDER_ASSETS
// that already holds them wins.
func Assets(log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "tools", "controlplane", "build.sh"))
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the control plane (tools/controlplane/build.sh): %w", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1], nil
}

// CRDPaths are the CRDs every cluster gets: the pinned Gateway API's
// standard channel and ours from config/crd/bases.
func CRDPaths() ([]string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("locating the gateway-api module: %w", err)
	}
	return []string{
		filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard"),
		filepath.Join(RepoRoot(), "config", "crd", "bases"),
	}, nil
}

// AdmissionPlugins are enabled on kube-apiserver beyond its defaults.
var AdmissionPlugins = []string{"OwnerReferencesPermissionEnforcement"}

// envtestProcesses are the command names of the processes envtest starts.
var envtestProcesses = []string{"etcd", "kube-apiserver"}

// Start brings up the control plane.
func Start(opts Options) (*Cluster, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	assets, err := Assets(opts.Log)
	if err != nil {
		return nil, err
	}
	crds := opts.CRDs
	if crds == nil {
		if crds, err = CRDPaths(); err != nil {
			return nil, err
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: crds},
		// Start copies this over CRDInstallOptions.ErrorIfPathMissing.
		ErrorIfCRDPathMissing: true,
	}
	// etcd's default 2 GiB quota is spent by the scale benchmark's largest
	// round (200,000 models, their routes and Events, and the revisions
	// of their status writes); 8 GiB is etcd's suggested maximum.
	env.ControlPlane.Etcd = &envtest.Etcd{}
	env.ControlPlane.Etcd.Configure().Set("quota-backend-bytes", strconv.FormatInt(8<<30, 10))
	// Hardened like the clusters modelroute runs on (OpenShift enables it):
	// setting an ownerReference needs the right to delete the object, and
	// blockOwnerDeletion the right to update the owner's finalizers. Added
	// to the default plugins, which stay on.
	env.ControlPlane.GetAPIServer().Configure().Append("enable-admission-plugins", AdmissionPlugins...)
	// envtest does not expose the PIDs of etcd and kube-apiserver; they are
	// the children of those names that Start adds.
	before := ChildPIDs(envtestProcesses...)
	cfg, err := env.Start()
	var releaseEnv []func()
	for _, pid := range ChildPIDs(envtestProcesses...) {
		if !slices.Contains(before, pid) {
			releaseEnv = append(releaseEnv, Reap(pid))
		}
	}
	if err != nil {
		// env.Start leaves etcd and kube-apiserver running when a step after
		// starting them (installing the CRDs…) fails.
		err = errors.Join(fmt.Errorf("starting envtest: %w", err), env.Stop())
		if err == nil {
			for _, release := range releaseEnv {
				release()
			}
		}
		return nil, err
	}
	c := &Cluster{Config: cfg, Env: env, releaseEnv: releaseEnv}
	if opts.ControllerManager {
		if err := c.startControllerManager(assets, opts.Log); err != nil {
			_ = c.Stop()
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) startControllerManager(assets string, log io.Writer) error {
	var err error
	c.kcmDir, err = os.MkdirTemp("", "modelroute-kcm-")
	if err != nil {
		return err
	}
	path := filepath.Join(c.kcmDir, "kubeconfig")
	if err := c.WriteKubeconfig(path, "kube-controller-manager"); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+path,
		"--controllers=garbagecollector,namespace",
		"--leader-elect=false",
		"--secure-port=0",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if c.kcm, err = StartProcess(cmd); err != nil {
		return fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	return nil
}

// Stop ends every process the cluster started.
func (c *Cluster) Stop() error {
	var errs []error
	if c.kcm != nil {
		c.kcm.Stop(10 * time.Second)
	}
	if c.kcmDir != "" {
		errs = append(errs, os.RemoveAll(c.kcmDir))
	}
	if err := c.Env.Stop(); err != nil {
		// Maybe still running: the reaper keeps them registered.
		errs = append(errs, err)
	} else {
		for _, release := range c.releaseEnv {
			release()
		}
	}
	return errors.Join(errs...)
}

// WriteKubeconfig writes to path a kubeconfig of a new user of the cluster
// in group system:masters.
func (c *Cluster) WriteKubeconfig(path, user string) error {
	u, err := c.Env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding user %s: %w", user, err)
	}
	data, err := u.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// FreeAddr returns a 127.0.0.1 address whose port nobody listens on at the
// time of the call.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
