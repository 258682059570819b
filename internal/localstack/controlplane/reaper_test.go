package controlplane

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reaperChildEnv makes the test binary play the process that dies: it starts
// `sleep`, registers it (and releases it when asked), prints its PID and
// exits without stopping it.
const reaperChildEnv = "MODELROUTE_REAPER_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(reaperChildEnv); mode != "" {
		os.Exit(reaperChild(mode))
	}
	os.Exit(m.Run())
}

func reaperChild(mode string) int {
	sleep := exec.Command("sleep", "300")
	sleep.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sleep.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	release := Reap(sleep.Process.Pid)
	if mode == "release" {
		release()
	}
	fmt.Println(sleep.Process.Pid)
	// Dies like a test binary on a panic: no cleanup.
	return 3
}

func TestReaperKillsRegisteredChildrenOfADeadProcess(t *testing.T) {
	for _, tc := range []struct {
		mode      string
		wantAlive bool
	}{
		{mode: "keep", wantAlive: false},
		{mode: "release", wantAlive: true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			child := exec.Command(os.Args[0], "-test.run=^$")
			child.Env = append(os.Environ(), reaperChildEnv+"="+tc.mode)
			out, err := child.Output()
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 3 {
				t.Fatalf("child: %v", err)
			}
			line, _ := bufio.NewReader(strings.NewReader(string(out))).ReadString('\n')
			pid, err := strconv.Atoi(strings.TrimSpace(line))
			if err != nil {
				t.Fatalf("child printed %q", out)
			}
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			// The reaper acts as soon as the child's end of the pipe closes.
			wait := 5 * time.Second
			if tc.wantAlive {
				wait = time.Second
			}
			deadline := time.Now().Add(wait)
			for (tc.wantAlive || alive(pid)) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if got := alive(pid); got != tc.wantAlive {
				t.Errorf("sleep (pid %d) alive = %v, want %v", pid, got, tc.wantAlive)
			}
		})
	}
}

// alive reports whether pid runs (exists and is not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}
