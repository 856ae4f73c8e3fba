package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/store"
)

// inFlight holds the ids of the collector runs this process has in
// flight, so that it never takes one of its own for a dead process's
// (after a restart in a container, the new process often has the pid of
// the old one).
var inFlight = struct {
	sync.Mutex
	ids map[string]bool
}{ids: map[string]bool{}}

// startRun marks the runs that dead processes on this host left running
// as interrupted, then records that a run of source begins.
func (m *Main) startRun(ctx context.Context, source string, log *slog.Logger) (store.Run, error) {
	host, _ := os.Hostname()
	run := store.Run{ID: newRunID(), Source: source, Started: time.Now().UTC(), Status: store.RunRunning,
		Host: host, PID: os.Getpid()}
	if host != "" {
		if err := m.markDeadRuns(ctx, host, log); err != nil {
			return run, err
		}
	}
	inFlight.Lock()
	inFlight.ids[run.ID] = true
	inFlight.Unlock()
	if err := m.Store.RecordRun(ctx, run); err != nil {
		m.endRun(run)
		return run, err
	}
	return run, nil
}

// finishRun records how run ended: ok, failed, or interrupted when ctx
// was cancelled (a signal, the daemon's shutdown). The outcome is recorded
// even when ctx is cancelled.
func (m *Main) finishRun(ctx context.Context, run store.Run, st collectors.Stats, err error) (store.Run, error) {
	defer m.endRun(run)
	run.Finished = time.Now().UTC()
	run.Items, run.Requests, run.Skipped = st.Changes+st.Builds, st.Requests, st.Skipped
	run.Status = store.RunOK
	switch {
	case err != nil && ctx.Err() != nil:
		run.Status, run.Error = store.RunInterrupted, "interrupted: "+err.Error()
		if name := signalName(ctx); name != "" {
			run.Error = "interrupted by " + name + ": " + err.Error()
		}
	case err != nil:
		run.Status, run.Error = store.RunFailed, err.Error()
	}
	return run, m.Store.RecordRun(context.WithoutCancel(ctx), run)
}

func (m *Main) endRun(run store.Run) {
	inFlight.Lock()
	delete(inFlight.ids, run.ID)
	inFlight.Unlock()
}

// markDeadRuns records as interrupted every run that a codepace process on
// host left running and that no live process runs: its process is gone
// (SIGKILL, a crash, a power cut), or it has this process's pid but is
// not one of its runs. A run of a live process, or of another host, is
// left alone. Its finish time stays NULL: when the process died is not
// known.
func (m *Main) markDeadRuns(ctx context.Context, host string, log *slog.Logger) error {
	runs, err := m.Store.RunningOn(ctx, host)
	if err != nil {
		return err
	}
	self := os.Getpid()
	var errs []error
	for _, r := range runs {
		inFlight.Lock()
		mine := inFlight.ids[r.ID]
		inFlight.Unlock()
		if mine || r.PID <= 0 || (r.PID != self && processAlive(r.PID)) {
			continue
		}
		r.Status = store.RunInterrupted
		r.Error = fmt.Sprintf("interrupted: process %d on %s ended without recording the end of this run (found by process %d at %s)",
			r.PID, host, self, time.Now().UTC().Format(time.RFC3339))
		log.Warn("a run left running by a process that is gone is marked interrupted",
			"run_id", r.ID, "run_source", r.Source, "started", r.Started.Format(time.RFC3339), "pid", r.PID)
		errs = append(errs, m.Store.RecordRun(ctx, r))
	}
	return errors.Join(errs...)
}

// processAlive reports whether a process with this pid exists (one of
// another user's included).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
