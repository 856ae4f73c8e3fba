// Package testlog gives tests a log destination that the code under test
// may write from several goroutines at once.
package testlog

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
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
