package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals stop codepace gracefully: the run in flight is cancelled
// and recorded as interrupted, what it stored is kept, and the daemon lets
// running jobs finish within its grace period. SIGHUP (a closed terminal
// or SSH session, or a `kill -HUP` meant as "reload") is one of them:
// codepace reads its config only at start, so there is nothing to reload,
// and it stops as for SIGTERM; start it again to read a changed config.
var stopSignals = map[os.Signal]string{
	os.Interrupt:    "SIGINT",
	syscall.SIGTERM: "SIGTERM",
	syscall.SIGHUP:  "SIGHUP",
}

// signalled is the cause of the cancellation when a signal stops codepace.
type signalled struct{ name string }

func (s signalled) Error() string { return "received " + s.name }

// notifySignals returns a context cancelled, with a signalled cause, when
// one of stopSignals arrives; stop releases the signals.
func notifySignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	for sig := range stopSignals {
		// Under nohup SIGHUP is ignored, and Notify would undo that.
		if !signal.Ignored(sig) {
			signal.Notify(ch, sig)
		}
	}
	go func() {
		select {
		case sig := <-ch:
			cancel(signalled{stopSignals[sig]})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// signalName returns the name of the signal that cancelled ctx, or "" when
// none did.
func signalName(ctx context.Context) string {
	var s signalled
	if errors.As(context.Cause(ctx), &s) {
		return s.name
	}
	return ""
}

// logSignal logs, once ctx is cancelled by a signal, that codepace is
// stopping and why; the returned function stops watching.
func (m *Main) logSignal(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		if name := signalName(ctx); name != "" {
			m.Log.Warn("stopping: received "+name+"; the run in flight is recorded as interrupted", "signal", name)
		}
	})
}
