package controlplane

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The reaper makes sure that the processes this one starts (etcd,
// kube-apiserver, kube-controller-manager, a Gateway…) do not outlive it
// when it dies without stopping them: a panic in a test, `go test -timeout`,
// a SIGKILL. Stopping them on a normal return or on a signal is the
// callers' job (Cluster.Stop and the like); the reaper only covers death.
//
// It is a shell, started on first use in its own process group (so that a
// ^C to the terminal does not reach it), reading "add PID" and "del PID"
// lines from a pipe whose other end only this process holds. When the pipe
// closes — whenever this process exits, however — it kills with SIGKILL
// every PID still registered, and the process group that PID leads.
var reaper struct {
	mu      sync.Mutex
	started bool
	stdin   io.WriteCloser // nil when the reaper could not start
	pid     int
}

const reaperScript = `set --
while read -r op pid; do
  case "$op" in
    add) set -- "$@" "$pid" ;;
    del) d=; for p do shift; if [ -z "$d" ] && [ "$p" = "$pid" ]; then d=1; else set -- "$@" "$p"; fi; done ;;
  esac
done
for p do kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
exit 0`

// Reap registers pid, a child process of this one, with the reaper: if this
// process exits while it is registered, the reaper kills it (and the
// process group it leads, if any). Call release once the process has been
// stopped and waited for, so that its PID, which may then be reused, is
// forgotten. When the reaper cannot start, Reap warns on stderr once and
// the process is not protected.
func Reap(pid int) (release func()) {
	if !send("add", pid) {
		return func() {}
	}
	var once sync.Once
	return func() { once.Do(func() { send("del", pid) }) }
}

func send(op string, pid int) bool {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if !reaper.started {
		reaper.started = true
		cmd := exec.Command("sh", "-c", reaperScript, "modelroute-reaper")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		stdin, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "warning: starting the reaper:", err, "(child processes are not killed if this process dies)")
			return false
		}
		// Nobody waits for it: it lives as long as this process.
		reaper.stdin, reaper.pid = stdin, cmd.Process.Pid
	}
	if reaper.stdin == nil {
		return false
	}
	if _, err := fmt.Fprintf(reaper.stdin, "%s %d\n", op, pid); err != nil {
		fmt.Fprintln(os.Stderr, "warning: writing to the reaper:", err)
		return false
	}
	return true
}

// Child is a child process of this one.
type Child struct {
	PID int
	// Name is the command name, as in /proc/PID/stat: at most 15
	// characters.
	Name string
}

// Children returns this process's children, zombies (children not waited
// for) included, but the reaper. Linux only; nil elsewhere.
func Children() []Child {
	self := strconv.Itoa(os.Getpid())
	reaper.mu.Lock()
	reaperPID := reaper.pid
	reaper.mu.Unlock()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var children []Child
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(string(b[closing+1:]))
		if len(f) < 2 || f[1] != self {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil || pid == reaperPID {
			continue
		}
		children = append(children, Child{PID: pid, Name: string(b[open+1 : closing])})
	}
	return children
}

// ChildPIDs returns the PIDs of this process's children whose command name
// is one of names, or of all of them when names is empty.
func ChildPIDs(names ...string) []int {
	var pids []int
	for _, c := range Children() {
		if len(names) == 0 || slices.Contains(names, c.Name) {
			pids = append(pids, c.PID)
		}
	}
	return pids
}
