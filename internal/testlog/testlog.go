// Package testlog gives tests a log destination that the code under test
// may write from several goroutines at once.
package testlog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer safe for concurrent writes and reads.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Logger returns a logger of every level, as text, into a new Buffer, and
// the Buffer. When the test ends it fails if any of secrets (a token the
// code under test was given) shows in what was logged.
func Logger(t testing.TB, secrets ...string) (*slog.Logger, *Buffer) {
	b := &Buffer{}
	t.Cleanup(func() {
		for _, s := range secrets {
			if s != "" && strings.Contains(b.String(), s) {
				t.Errorf("a secret shows in the log:\n%s", b)
			}
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// RetryAfterWaited fails t unless a collection that met one answer with
// status and Retry-After: 1 waited that second out (it took at least
// took) and logged the wait with its length and its cause.
func RetryAfterWaited(t testing.TB, logs *Buffer, took time.Duration, status int) {
	t.Helper()
	if took < time.Second {
		t.Errorf("took %v: Retry-After: 1 was not waited out", took)
	}
	if !strings.Contains(logs.String(), "wait=1s") || !strings.Contains(logs.String(), fmt.Sprintf("HTTP %d", status)) {
		t.Errorf("the wait is not reported with its length and cause:\n%s", logs)
	}
}
