package main

import (
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stall makes the fake Gerrit hold every change query until the client
// gives up, and returns a channel that receives when one arrives.
func stall(e *env) <-chan struct{} {
	stalled := make(chan struct{}, 1)
	e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/changes") {
			return false
		}
		select {
		case stalled <- struct{}{}:
		default:
		}
		<-r.Context().Done()
		return true
	})
	return stalled
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) }

// TestSIGHUPStopsLikeSIGTERM: SIGHUP while `run` or `daemon` waits on
// Gerrit ends the process as SIGTERM does (run: status 1, daemon: status
// 0), says so in the log, and leaves no `running` row: the run is
// `interrupted`, its error naming the signal.
func TestSIGHUPStopsLikeSIGTERM(t *testing.T) {
	for _, tc := range []struct {
		verb     string
		args     func(t *testing.T) []string
		wantExit int
	}{
		{"run", func(t *testing.T) []string { return []string{"run", "--lock", filepath.Join(t.TempDir(), "lock")} }, 1},
		{"daemon", func(t *testing.T) []string {
			return []string{"daemon", "--listen", freeAddr(t), "--lock", filepath.Join(t.TempDir(), "lock")}
		}, 0},
	} {
		t.Run(tc.verb, func(t *testing.T) {
			e := setup(t, history(), "    timeout: 60s\n    schedule: \"@every 1h\"\ndaemon:\n  jitter: 0s\n  grace_period: 1s\n")
			stalled := stall(e)
			r := startCodepace(t, e.conf, []string{"E2E_GERRIT_PASSWORD=s3cret-pass"}, tc.args(t)...)
			select {
			case <-stalled:
			case <-time.After(30 * time.Second):
				t.Fatal("codepace never reached the stalled Gerrit")
			}
			if err := r.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			out, err := r.wait(t, 30*time.Second)
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode() // -1 when a signal killed it
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tc.wantExit {
				t.Errorf("exit %v (status %d), want status %d as for SIGTERM\n%s", err, exit, tc.wantExit, out)
			}
			if !strings.Contains(out, "received SIGHUP") {
				t.Errorf("no log line says SIGHUP stopped it:\n%s", out)
			}
			diffRows(t, "collector runs", e.rows(t, `SELECT source, status, finished_at IS NOT NULL,
				position(error, 'interrupted by SIGHUP') = 1 FROM DB.collector_runs`),
				[]string{"demo | interrupted | 1 | 1"})
		})
	}
}

// TestDeadProcessRunIsMarked: a run whose process was killed (SIGKILL)
// stays `running` until the next run on the host starts, which marks it
// `interrupted` with the dead process's pid.
func TestDeadProcessRunIsMarked(t *testing.T) {
	e := setup(t, history(), "    timeout: 60s\n")
	stalled := stall(e)
	r := startCodepace(t, e.conf, []string{"E2E_GERRIT_PASSWORD=s3cret-pass"}, "run")
	select {
	case <-stalled:
	case <-time.After(30 * time.Second):
		t.Fatal("codepace never reached the stalled Gerrit")
	}
	killed := r.cmd.Process.Pid
	r.killWhen(t, e, "")
	if _, err := r.wait(t, 30*time.Second); err == nil {
		t.Fatal("the killed run exited 0")
	}
	diffRows(t, "after SIGKILL", e.rows(t, `SELECT status FROM DB.collector_runs`), []string{"running"})

	e.gerrit.SetFault(nil)
	out := e.mustRun(t, "run")
	if !strings.Contains(out, "marked interrupted") {
		t.Errorf("the marking is not logged:\n%s", out)
	}
	diffRows(t, "after the next run", e.rows(t, `SELECT status, finished_at IS NULL,
		position(error, 'process `+strconv.Itoa(killed)+` on ') > 0 FROM DB.collector_runs ORDER BY status`),
		[]string{"interrupted | 1 | 1", "ok | 0 | 0"})
}
