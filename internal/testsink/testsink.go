// Package testsink is the in-memory collectors.Sink of the collectors'
// tests. What each collector's tests keep of a batch differs (changes by
// number, or by project and number); the lock, the cursors, the builds by
// id and the failures the tests inject do not.
package testsink

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/codepace/codepace/collectors"
)

// Sink keeps what a collection stores: the builds by BuildID, the cursors
// saved, the Write calls; Keep, when set, is handed each batch written
// for what else a test keeps. Keep runs under the Sink's lock, which a
// test's own methods take too.
type Sink struct {
	sync.Mutex
	Builds  map[string]collectors.Build // the last written of each BuildID
	Cursors []time.Time
	Calls   int  // Write calls, failed ones included
	Fail    bool // fail every Write
	FailAt  int  // fail the Write call with this 1-based number; 0: none
	Keep    func(collectors.Batch)
}

// ErrDown is the error of a Write the test makes fail.
var ErrDown = errors.New("clickhouse is down")

// Write keeps b, or fails as the test asked.
func (s *Sink) Write(_ context.Context, b collectors.Batch) error {
	s.Lock()
	defer s.Unlock()
	s.Calls++
	if s.Fail || s.Calls == s.FailAt {
		return ErrDown
	}
	s.KeepLocked(b)
	return nil
}

// KeepLocked keeps b as Write does, without counting a call: for a test's
// own ways of storing (Gerrit's streams). The caller holds the lock.
func (s *Sink) KeepLocked(b collectors.Batch) {
	if s.Builds == nil {
		s.Builds = map[string]collectors.Build{}
	}
	for _, x := range b.Builds {
		s.Builds[x.BuildID] = x
	}
	if s.Keep != nil {
		s.Keep(b)
	}
}

// SaveCursor keeps at.
func (s *Sink) SaveCursor(_ context.Context, _ string, at time.Time) error {
	s.Lock()
	defer s.Unlock()
	s.Cursors = append(s.Cursors, at)
	return nil
}
