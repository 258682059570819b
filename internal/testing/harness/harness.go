// Package harness is the test support shared by modelroute's integration
// tests and its scale benchmark: waiting for a condition, recording a
// manager's API requests, running the reconcilers in-process, running the
// modelroute binary as a child process and reading its metrics, and
// counting a process's API requests through a proxy. The
// control plane itself is package localstack/controlplane's.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/modelroute/modelroute/internal/localstack/controlplane"
)

// Default polling of Eventually and Consistently.
const (
	DefaultTimeout  = 20 * time.Second
	DefaultInterval = 100 * time.Millisecond
)

// Eventually checks every DefaultInterval until check returns nil, and
// fails t with check's last error after DefaultTimeout.
func Eventually(t testing.TB, check func() error) {
	t.Helper()
	EventuallyWithin(t, DefaultTimeout, DefaultInterval, check)
}

// EventuallyWithin checks every interval until check returns nil, and fails
// t with check's last error after timeout. It returns how long it waited.
func EventuallyWithin(t testing.TB, timeout, interval time.Duration, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	if err := Await(context.Background(), timeout, interval, check); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// Await checks every interval until check returns nil; after timeout (or
// once ctx ends) it returns check's last error.
func Await(ctx context.Context, timeout, interval time.Duration, check func() error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(context.Context) (bool, error) {
		last = check()
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("still not true after %s: %w", timeout, last)
	}
	return nil
}

// Consistently checks every DefaultInterval, for d, that check keeps
// returning nil, and fails t at the first error.
func Consistently(t testing.TB, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if err := check(); err != nil {
			t.Fatalf("stopped being true within %s: %v", d, err)
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(DefaultInterval)
	}
}

// BuildModelroute builds the modelroute binary into dir and returns its
// path (the Go build cache makes it a link step after the first time).
func BuildModelroute(dir string) (string, error) {
	bin := filepath.Join(dir, "modelroute")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/modelroute")
	cmd.Dir = controlplane.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/modelroute: %w\n%s", err, out)
	}
	return bin, nil
}

// SyncBuffer is an io.Writer safe for concurrent writers (a process's
// stdout and stderr, a logger's goroutines).
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
