package store

import (
	"context"
	"time"
)

// task is a step of a compute run alongside the caller's, on its own
// connections: the builds, which do not depend on the changes, and the
// newcomers, which do not depend on the backlog.
type task struct {
	done   chan struct{}
	cancel context.CancelFunc
	err    error
	took   time.Duration
}

// startTask runs fn on its own goroutine, with a context stop cancels.
func startTask(ctx context.Context, fn func(context.Context) error) *task {
	ctx, cancel := context.WithCancel(ctx)
	t := &task{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(t.done)
		begin := time.Now()
		t.err = fn(ctx)
		t.took = time.Since(begin)
	}()
	return t
}

// wait returns fn's error once it has returned.
func (t *task) wait() error {
	<-t.done
	return t.err
}

// stop cancels fn and waits for it to return: after stop, the task
// writes nothing more. It is deferred by the caller, for the paths that
// return without waiting.
func (t *task) stop() {
	t.cancel()
	<-t.done
}
