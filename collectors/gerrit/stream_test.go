package gerrit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/collectors/zuul"
)

// streamSink is a memSink that also opens streams: what a stream takes
// reaches the memSink only when it closes. It fails a cursor that covers
// a change still held by an open stream, and the Close of stream failClose
// (1-based; 0: never).
type streamSink struct {
	*memSink
	open      map[*memStream]bool
	opened    int
	failClose int
	early     []string     // cursors saved over changes not stored
	streams   []*memStream // every stream opened
}

type memStream struct {
	sink    *streamSink
	batches []collectors.Batch
	n       int
}

func (s *streamSink) Stream() collectors.Stream {
	s.Lock()
	defer s.Unlock()
	s.opened++
	st := &memStream{sink: s, n: s.opened}
	s.open[st] = true
	s.streams = append(s.streams, st)
	return st
}

func (st *memStream) Write(_ context.Context, b collectors.Batch) error {
	st.batches = append(st.batches, b)
	return nil
}

func (st *memStream) Close() error {
	st.sink.Lock()
	defer st.sink.Unlock()
	if !st.sink.open[st] {
		return nil
	}
	delete(st.sink.open, st)
	if st.n == st.sink.failClose {
		return errors.New("clickhouse is down")
	}
	for _, b := range st.batches {
		st.sink.KeepLocked(b)
	}
	return nil
}

func (st *memStream) Abort() {
	st.sink.Lock()
	defer st.sink.Unlock()
	delete(st.sink.open, st)
}

func (s *streamSink) SaveCursor(ctx context.Context, source string, at time.Time) error {
	s.Lock()
	for st := range s.open {
		for _, b := range st.batches {
			for _, c := range b.Changes {
				if c.Updated.Before(at) {
					s.early = append(s.early, at.String())
				}
			}
		}
	}
	s.Unlock()
	return s.memSink.SaveCursor(ctx, source, at)
}

func TestCollectThroughStreams(t *testing.T) {
	srv := gt.New(simple(1500), gt.WithQueryLimit(500))
	defer srv.Close()
	sink := &streamSink{memSink: newSink(), open: map[*memStream]bool{}}
	st, err := newCollector(t, srv, func(o *Options) { o.Concurrency = 3 }).
		Collect(context.Background(), collectors.Window{From: base}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.changes) != 1500 || st.Changes != 1500 || sink.Calls != 0 {
		t.Errorf("stored %d changes (stats %+v), %d batch-by-batch writes; want 1500 through streams", len(sink.changes), st, sink.Calls)
	}
	if sink.opened != 7 || len(sink.open) != 0 || len(sink.early) != 0 {
		t.Errorf("%d streams opened (want one per window), %d left open, cursors saved before their data: %v", sink.opened, len(sink.open), sink.early)
	}
	if len(sink.Cursors) != 7 {
		t.Errorf("cursors %v: want one per window", sink.Cursors)
	}
}

func TestCollectStreamFailureKeepsTheCursor(t *testing.T) {
	srv := gt.New(simple(100))
	defer srv.Close()
	sink := &streamSink{memSink: newSink(), open: map[*memStream]bool{}, failClose: 2}
	_, err := newCollector(t, srv, func(o *Options) { o.Window = 5 * 24 * time.Hour }).
		Collect(context.Background(), collectors.Window{From: base}, sink)
	if err == nil || !strings.Contains(err.Error(), "clickhouse is down") {
		t.Fatalf("error %v", err)
	}
	if len(sink.Cursors) != 1 || len(sink.open) != 0 {
		t.Errorf("cursors %v, %d streams left open: want only the window before the failed one, none open", sink.Cursors, len(sink.open))
	}
	for _, c := range sink.changes {
		if !c.Updated.Before(sink.Cursors[0]) {
			t.Errorf("change %d updated %v stored, after the failed window's start", c.Number, c.Updated)
		}
	}
}

// TestWindowWritesBuildsAFewChangesAtATime: into a stream, a window
// writes a page's builds in batches of about buildsPerWrite, apart from
// and before the page's changes, and the builds written are those of
// every change, each once; batch by batch, a page's builds in one write.
func TestWindowWritesBuildsAFewChangesAtATime(t *testing.T) {
	srv := gt.New(gt.Generate(gt.GenOptions{Seed: 7, Changes: 600, Start: base, Years: 0.4}))
	defer srv.Close()
	sink := &streamSink{memSink: newSink(), open: map[*memStream]bool{}}
	c := newCollector(t, srv, func(o *Options) { o.PageSize, o.Window = 500, 365*24*time.Hour })
	st, err := c.Collect(context.Background(), collectors.Window{From: base}, sink)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, ch := range sink.changes {
		want += len(zuul.Builds("g", ch, c.opts.IsBot))
	}
	if want <= 2*buildsPerWrite || st.Builds != want || len(sink.Builds) != want {
		t.Fatalf("%d builds stored, stats %d, want the %d of the changes' reports (over %d)",
			len(sink.Builds), st.Builds, want, 2*buildsPerWrite)
	}
	written, batches := 0, 0
	for _, s := range sink.streams {
		for i, b := range s.batches {
			if len(b.Builds) > 0 && (len(b.Changes) > 0 || i == len(s.batches)-1) {
				t.Fatalf("batch %d of %d: %d changes, %d builds; want builds apart, before their page's changes",
					i+1, len(s.batches), len(b.Changes), len(b.Builds))
			}
			if len(b.Builds) > buildsPerWrite+100 {
				t.Fatalf("a batch of %d builds, want about %d", len(b.Builds), buildsPerWrite)
			}
			written += len(b.Builds)
			batches += min(len(b.Builds), 1)
		}
	}
	if written != want || batches < want/(buildsPerWrite+100) {
		t.Fatalf("%d builds written in %d batches, want %d", written, batches, want)
	}

	// Batch by batch, where each write is a part, a page's builds go in
	// one write.
	plain := newSink()
	keep := plain.Keep
	var sizes []int
	plain.Keep = func(b collectors.Batch) {
		if len(b.Builds) > 0 {
			sizes = append(sizes, len(b.Builds))
		}
		keep(b)
	}
	if _, err := c.Collect(context.Background(), collectors.Window{From: base}, plain); err != nil {
		t.Fatal(err)
	}
	if len(plain.Builds) != want || len(sizes) > 2 || slices.Max(sizes) <= buildsPerWrite+100 {
		t.Fatalf("batch by batch: %d builds in writes of %v, want %d in one write per page (2 pages)", len(plain.Builds), sizes, want)
	}
}
