package controlplane

import (
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a child process started by StartProcess.
type Process struct {
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
	release func()
	stop    sync.Once
}

// StartProcess starts cmd in a process group of its own, like envtest's
// etcd and kube-apiserver: a ^C at the terminal reaches only the caller,
// which stops everything in order. It is registered with the reaper (see
// Reap) until Stop.
func StartProcess(cmd *exec.Cmd) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), release: Reap(cmd.Process.Pid)}
	go func() {
		p.err = cmd.Wait()
		// Its PID may be reused from now on.
		p.release()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process's id, and the id of its process group.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and its output been copied.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is what exec.Cmd.Wait returned; valid once Done is closed.
func (p *Process) Err() error { return p.err }

// Stop sends SIGTERM to the process and, when it has not exited after
// grace, SIGKILL to its process group. It returns once the process has
// been waited for (which also forgets it in the reaper). Idempotent.
func (p *Process) Stop(grace time.Duration) {
	p.stop.Do(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(grace):
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
	})
}
