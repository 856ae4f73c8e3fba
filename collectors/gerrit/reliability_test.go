package gerrit

// Reliability tests of issue 9 for the Gerrit collector that the other
// tests do not already make: 503 with Retry-After, a server slow page
// after page, hostile values and timestamps in the future carried through
// unchanged, answers that are JSON but not a list.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/internal/testlog"
	"github.com/codepace/codepace/internal/testserver"
)

func logTo(buf *testlog.Buffer) func(*Options) {
	return func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(buf, nil)) }
}

// TestRetryAfterIsHonoured: a 503 (and a 429) with Retry-After is waited
// out for as long as Gerrit asks, not the 1 ms backoff of the test; the
// wait is logged with its length and cause; the collection completes.
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := gt.New(simple(10))
			defer srv.Close()
			var n atomic.Int32
			srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
				if n.Add(1) == 2 {
					w.Header().Set("Retry-After", "1")
					http.Error(w, http.StatusText(status), status)
					return true
				}
				return false
			})
			logs := &testlog.Buffer{}
			sink := newSink()
			start := time.Now()
			st, err := newCollector(t, srv, logTo(logs)).Collect(context.Background(), collectors.Window{From: base}, sink)
			if err != nil {
				t.Fatal(err)
			}
			testlog.RetryAfterWaited(t, logs, time.Since(start), status)
			if len(sink.changes) != 10 || sink.writes != 10 || st.Requests != srv.Requests() {
				t.Errorf("stored %d in %d writes, %d requests (server %d)", len(sink.changes), sink.writes, st.Requests, srv.Requests())
			}
		})
	}
}

// TestSlowPageAfterPage: each answer takes a while but comes within the
// timeout; with small pages, every page of every window is read, nothing
// is retried, nothing stored twice.
func TestSlowPageAfterPage(t *testing.T) {
	srv := gt.New(simple(120))
	defer srv.Close()
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(40 * time.Millisecond)
		return false
	})
	logs := &testlog.Buffer{}
	sink := newSink()
	st, err := newCollector(t, srv, func(o *Options) {
		logTo(logs)(o)
		o.PageSize = 25
		o.Timeout = 2 * time.Second
	}).Collect(context.Background(), collectors.Window{From: base}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.changes) != 120 || sink.writes != 120 || st.Changes != 120 {
		t.Errorf("stored %d in %d writes (stats %d), want 120", len(sink.changes), sink.writes, st.Changes)
	}
	if st.Requests < 120/15 || len(sink.Cursors) != 7 {
		t.Errorf("%d requests, cursors %v", st.Requests, sink.Cursors)
	}
	if strings.Contains(logs.String(), "retrying") {
		t.Errorf("a slow answer within the timeout was retried:\n%s", logs)
	}
}

// TestHostileValuesPassThrough: a 1 MB message, a project name with quotes
// and SQL, control characters and Unicode in names and subjects,
// timestamps in the future, messages listed out of order. The collector
// carries each exactly as Gerrit sent it (the store keeps it so, and
// orders messages by date: store's TestMessagesOutOfOrder), and the cursor
// is the end of the window read, never a timestamp from the data.
func TestHostileValuesPassThrough(t *testing.T) {
	evil := gt.Account{ID: 1000666, Name: "Robert'); DELETE FROM raw_messages; --", Username: "bob\x00\x1b[31m", Email: "ü@例え.jp"}
	huge := strings.Repeat("A review of one megabyte. ", 1<<20/26+1)
	project := `it's "quoted"'); DROP TABLE raw_changes; --`
	future := now.AddDate(1, 0, 0)
	cs := simple(3)
	cs[0].Project, cs[0].Subject, cs[0].Branch = project, "\t\r\n\x1b[31m😀 \u202e", "rel/ü"
	cs[0].Messages = append(cs[0].Messages,
		gt.Message{ID: "late", Author: &evil, Date: cs[0].Created.Add(3 * time.Hour), Message: "Patch Set 1: Code-Review+1\n\n" + huge, Revision: 1},
		gt.Message{ID: "early", Author: &evil, Date: cs[0].Created.Add(time.Hour), Message: "Patch Set 1:\n\nfirst", Revision: 1})
	cs[0].Updated = cs[0].Created.Add(3 * time.Hour)
	cs[1].Created, cs[1].Updated = future, future.Add(time.Hour)
	cs[1].Revisions[0].Created = future
	cs[1].Messages[0].Date = future
	srv := gt.New(cs, gt.WithClock(func() time.Time { return now }))
	defer srv.Close()
	sink := newSink()
	st, err := newCollector(t, srv, nil).Collect(context.Background(), collectors.Window{From: base}, sink)
	if err != nil {
		t.Fatal(err)
	}
	// The change updated a year ahead comes in the last window, which has
	// no before: bound.
	if st.Skipped != 0 || len(sink.changes) != 3 || sink.writes != 3 {
		t.Errorf("stored %d changes in %d writes (skipped %d), want 3", len(sink.changes), sink.writes, st.Skipped)
	}
	c := sink.changes[1]
	if c.Project != project || c.Subject != cs[0].Subject || c.Branch != "rel/ü" {
		t.Errorf("values changed on the way: %q %q %q", c.Project, c.Subject, c.Branch)
	}
	var order []string
	for _, m := range c.Messages {
		order = append(order, m.ID)
		if m.ID == "late" && (len(m.Text) != len("Patch Set 1: Code-Review+1\n\n")+len(huge) || m.Author.Name != evil.Name || m.Author.Username != evil.Username || m.Author.Email != evil.Email) {
			t.Errorf("the 1 MB message came back with %d bytes by %+v", len(m.Text), m.Author)
		}
	}
	if len(order) != 3 || !strings.HasSuffix(strings.Join(order, ","), ",late,early") {
		t.Errorf("messages %v: want them in the order Gerrit listed them", order)
	}
	if f := sink.changes[2]; !f.Created.Equal(future) || !f.Updated.Equal(future.Add(time.Hour)) || !f.Messages[0].Date.Equal(future) {
		t.Errorf("change from the future: created %v updated %v", f.Created, f.Updated)
	}
	for _, at := range sink.Cursors {
		if at.After(now) {
			t.Errorf("cursor %v is after the collection's end %v", at, now)
		}
	}
}

// TestJSONThatIsNotAPage: answers that are valid JSON after the prefix
// but not a list of changes (an error object, null, a bare number, nothing
// after the prefix, an empty body, a list followed by more) are refused
// as a whole, naming the request.
func TestJSONThatIsNotAPage(t *testing.T) {
	for _, body := range []string{")]}'\nnull", ")]}'\n{\"message\":\"quota\"}", ")]}'\n42", ")]}'", ")]}'\n", "", "[]", ")]}'\n[] []", ")]}'\n[]x"} {
		t.Run(fmt.Sprintf("%q", body), func(t *testing.T) {
			srv := gt.New(simple(5))
			defer srv.Close()
			srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				fmt.Fprint(w, body)
				return true
			})
			sink := newSink()
			_, err := newCollector(t, srv, nil).Collect(context.Background(), collectors.Window{From: base}, sink)
			if err == nil || !errors.Is(err, httpx.ErrNotJSON) || !regexp.MustCompile(`GET http://127\.0\.0\.1:\d+/changes/\?`).MatchString(err.Error()) {
				t.Errorf("error %v: want ErrNotJSON naming the request", err)
			}
			if len(sink.Cursors) != 0 || len(sink.changes) != 0 {
				t.Errorf("cursors %v, %d changes", sink.Cursors, len(sink.changes))
			}
		})
	}
}

// TestInvalidUTF8ProjectNames: project names that are not valid UTF-8,
// as raw bytes or as an unpaired surrogate escape, would both decode to
// "team/\uFFFD" and merge; such changes are skipped, counted and logged,
// and the others stored.
func TestInvalidUTF8ProjectNames(t *testing.T) {
	cs := simple(3)
	cs[0].Project, cs[1].Project, cs[2].Project = "team/one", "team/two", "team/three"
	srv := gt.New(cs, gt.WithGzip(false), gt.WithClock(func() time.Time { return now }))
	defer srv.Close()
	srv.SetFault(testserver.Rewrite(srv.Handler(), func(r *http.Request) bool { return true }, func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(`"team/one"`), []byte("\"team/\xff\""))
		return bytes.ReplaceAll(b, []byte(`"team/two"`), []byte(`"team/\ud800"`))
	}))
	logs := &testlog.Buffer{}
	sink := newSink()
	st, err := newCollector(t, srv, logTo(logs)).Collect(context.Background(), collectors.Window{From: base}, sink)
	if err != nil {
		t.Fatal(err)
	}
	var projects []string
	for _, c := range sink.changes {
		projects = append(projects, c.Project)
	}
	if st.Skipped != 2 || len(projects) != 1 || projects[0] != "team/three" {
		t.Errorf("skipped %d, stored projects %q; want the two changes with invalid project names skipped", st.Skipped, projects)
	}
	if n := strings.Count(logs.String(), "not valid UTF-8"); n != 2 {
		t.Errorf("%d log lines name the invalid project names, want 2:\n%s", n, logs)
	}
}

func TestExactString(t *testing.T) {
	for tok, want := range map[string]bool{
		`"plain/ü"`:            true,
		`"\ud83d\ude00 pair"`:  true,
		`"\ufffd said so"`:     true,
		"\"\xef\xbf\xbd\"":     true,
		`"\\ud800 not escape"`: true,
		`"a\"b\\"`:             true,
		"\"\xff\"":             false,
		`"\ud800"`:             false,
		`"\udc00 low first"`:   false,
		`"\ud83d\u0041"`:       false,
		`"\ud83d"`:             false,
	} {
		if got := exactString([]byte(tok)); got != want {
			t.Errorf("exactString(%s) = %v, want %v", tok, got, want)
		}
	}
}
