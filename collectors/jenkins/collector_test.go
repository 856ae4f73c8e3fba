package jenkins

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
	jt "github.com/codepace/codepace/collectors/jenkins/jenkinstest"
	"github.com/codepace/codepace/internal/testlog"
	"github.com/codepace/codepace/internal/testsink"
)

const (
	user  = "collector"
	token = "11a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7" // an API token; must never show
)

var (
	t0  = time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	now = t0.Add(40 * time.Hour)
)

// memSink keeps what a collection stored, in memory.
type memSink struct {
	testsink.Sink
	writes int // builds written, duplicates included
}

func newSink() *memSink {
	s := &memSink{}
	s.Keep = func(b collectors.Batch) { s.writes += len(b.Builds) }
	return s
}

// ids returns the stored builds' "job#number" sorted.
func (s *memSink) ids() []string {
	var out []string
	for _, b := range s.Builds {
		i := strings.LastIndex(strings.TrimSuffix(b.URL, "/"), "/")
		out = append(out, b.Job+"#"+strings.TrimSuffix(b.URL, "/")[i+1:])
	}
	slices.Sort(out)
	return out
}

func newCollector(t *testing.T, srv *jt.Server, mod func(*Options)) (*Collector, *testlog.Buffer) {
	t.Helper()
	log, logs := testlog.Logger(t, token)
	o := Options{Name: "ci", URL: srv.URL(), Username: user, Token: token, PageSize: 100,
		Retries: 2, Backoff: time.Millisecond, Logger: log, Now: func() time.Time { return now }}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func gerritParams(change, ps int, project string) []jt.Param {
	return []jt.Param{
		{Name: "GERRIT_PROJECT", Value: project}, {Name: "GERRIT_BRANCH", Value: "main"},
		{Name: "GERRIT_CHANGE_NUMBER", Value: fmt.Sprint(change)}, {Name: "GERRIT_PATCHSET_NUMBER", Value: fmt.Sprint(ps)},
		{Name: "DRY_RUN", Value: false},
	}
}

// scenario is a Jenkins with a top-level job, nested folders and a
// multibranch project whose branch name needs %-encoding.
func scenario() []*jt.Item {
	at := func(h float64) time.Time { return t0.Add(hours(h)) }
	return []*jt.Item{
		{Name: "build", Builds: []jt.Build{
			{Number: 1, Started: at(-48), Duration: 5 * time.Minute, Result: "SUCCESS", Queued: -1}, // before the window
			{Number: 2, Started: at(1), Duration: 7*time.Minute + 1500*time.Millisecond, Result: "SUCCESS",
				Queued: 42500 * time.Millisecond, Params: gerritParams(12345, 3, "core/lib"), QueueID: 901},
			{Number: 3, Started: at(2), Duration: 9 * time.Minute, Result: "FAILURE", Queued: -1,
				Params: []jt.Param{{Name: "ZUUL_PROJECT", Value: "core/app"}, {Name: "ZUUL_CHANGE", Value: "777"}, {Name: "ZUUL_PATCHSET", Value: "2"}, {Name: "ZUUL_PIPELINE", Value: "gate"}}},
			{Number: 4, Started: at(3), Result: "", Queued: time.Second}, // running
			{Number: 5, Started: at(4), Duration: time.Minute, Result: "ABORTED", Queued: 0,
				Params: []jt.Param{{Name: "GERRIT_CHANGE_NUMBER", Value: 99}, {Name: "GERRIT_PATCHSET_NUMBER", Value: "x"}}},
		}},
		{Name: "team", Items: []*jt.Item{
			{Name: "sub folder", Items: []*jt.Item{
				{Name: "deploy", Class: jt.ClassPipeline, Builds: []jt.Build{
					{Number: 10, Started: at(5), Duration: 30 * time.Minute, Result: "UNSTABLE", Queued: -1},
				}},
			}},
			{Name: "empty", Items: []*jt.Item{}},
		}},
		{Name: "app", Class: jt.ClassMultiBranch, Items: []*jt.Item{
			{Name: "main", Class: jt.ClassPipeline, Builds: []jt.Build{
				{Number: 1, Started: at(6), Duration: 3 * time.Minute, Result: "SUCCESS", Queued: -1},
			}},
			{Name: "feature%2Flogin", Class: jt.ClassPipeline, Builds: []jt.Build{
				{Number: 1, Started: at(7), Duration: 4 * time.Minute, Result: "SUCCESS", Queued: -1},
			}},
		}},
	}
}

func TestCollectScenario(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	sink := newSink()
	c, _ := newCollector(t, srv, nil)
	st, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app/feature%2Flogin#1", "app/main#1", "build#2", "build#3", "build#5", "team/sub folder/deploy#10"}
	if got := sink.ids(); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	if st.Builds != 6 || sink.writes != 6 || st.Requests != srv.Requests() || st.Skipped != 0 {
		t.Errorf("stats %+v, writes %d, server requests %d", st, sink.writes, srv.Requests())
	}
	// The running build #4 of "build" holds the cursor at its start.
	if !slices.Equal(sink.Cursors, []time.Time{t0.Add(3 * time.Hour)}) {
		t.Errorf("cursors %v, want the running build's start %v", sink.Cursors, t0.Add(3*time.Hour))
	}

	base := srv.URL()
	two := sink.Builds[base+"job/build/2/"]
	q := int64(42)
	wantTwo := collectors.Build{Source: "ci", System: collectors.SystemJenkins, Pipeline: "", Job: "build",
		BuildID: base + "job/build/2/", URL: base + "job/build/2/", Project: "core/lib", Change: 12345, Patchset: 3,
		Result: "SUCCESS", Voting: true, Started: t0.Add(time.Hour),
		Finished: t0.Add(time.Hour + 7*time.Minute + 1500*time.Millisecond), DurationS: 421, QueuedS: &q}
	if two.QueuedS == nil || *two.QueuedS != q {
		t.Errorf("build #2 queued %v, want 42", two.QueuedS)
	}
	two.QueuedS, wantTwo.QueuedS = nil, nil
	if two != wantTwo {
		t.Errorf("build #2:\n got %+v\nwant %+v", two, wantTwo)
	}
	three := sink.Builds[base+"job/build/3/"]
	if three.Change != 777 || three.Patchset != 2 || three.Project != "core/app" || three.Result != "FAILURE" || three.QueuedS != nil {
		t.Errorf("build #3 (Zuul parameters): %+v", three)
	}
	five := sink.Builds[base+"job/build/5/"]
	if five.Change != 99 || five.Patchset != 0 || five.Project != "" || five.QueuedS == nil || *five.QueuedS != 0 {
		t.Errorf("build #5 (numeric change, bad patch set): %+v", five)
	}
	deploy := sink.Builds[base+"job/team/job/sub%20folder/job/deploy/10/"]
	if deploy.Pipeline != "team/sub folder" || deploy.Job != "team/sub folder/deploy" || deploy.DurationS != 1800 || deploy.Result != "UNSTABLE" {
		t.Errorf("nested job: %+v", deploy)
	}
	branch := sink.Builds[base+"job/app/job/feature%252Flogin/1/"]
	if branch.Pipeline != "app" || branch.Job != "app/feature%2Flogin" {
		t.Errorf("multibranch branch: %+v", branch)
	}
	var sawBranch bool
	for _, p := range srv.Log() {
		if strings.HasPrefix(p, "/job/app/job/feature%252Flogin/api/json?tree=") {
			sawBranch = true
		}
	}
	if !sawBranch {
		t.Errorf("the branch was not requested with its name escaped twice: %v", srv.Log())
	}
}

func TestCollectIncremental(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	sink := newSink()
	c, _ := newCollector(t, srv, nil)
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err != nil {
		t.Fatal(err)
	}
	cursor := sink.Cursors[0]
	// Build #4 finishes, #6 starts and finishes, #7 is running.
	srv.Update(func(root []*jt.Item) []*jt.Item {
		b := root[0]
		b.Builds[3].Result, b.Builds[3].Duration = "SUCCESS", 2*time.Hour
		b.Builds = append(b.Builds,
			jt.Build{Number: 6, Started: t0.Add(30 * time.Hour), Duration: time.Minute, Result: "SUCCESS", Queued: -1},
			jt.Build{Number: 7, Started: t0.Add(31 * time.Hour), Queued: -1})
		return root
	})
	sink2 := newSink()
	st, err := c.Collect(context.Background(), collectors.Window{From: cursor.Add(-10 * time.Minute)}, sink2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app/feature%2Flogin#1", "app/main#1", "build#4", "build#5", "build#6", "team/sub folder/deploy#10"}
	if got := sink2.ids(); !slices.Equal(got, want) {
		t.Errorf("second run stored %v, want %v", got, want)
	}
	if st.Builds != len(want) {
		t.Errorf("stats %+v", st)
	}
	if four := sink2.Builds[srv.URL()+"job/build/4/"]; four.DurationS != 7200 || four.QueuedS == nil || *four.QueuedS != 1 {
		t.Errorf("build #4 once finished: %+v", four)
	}
	if !slices.Equal(sink2.Cursors, []time.Time{t0.Add(31 * time.Hour)}) {
		t.Errorf("cursor %v, want the start of running #7", sink2.Cursors)
	}
}

// history returns n builds of one job, one an hour from t0, all finished.
func history(n int) []jt.Build {
	bs := make([]jt.Build, n)
	for i := range bs {
		bs[i] = jt.Build{Number: int64(i + 1), Started: t0.Add(time.Duration(i) * time.Hour),
			Duration: time.Duration(60+i) * time.Second, Result: "SUCCESS", Queued: -1}
	}
	return bs
}

func TestPaging(t *testing.T) {
	tests := []struct {
		name   string
		from   time.Time
		stored int
		ranges []string // allBuilds ranges requested, in order
	}{
		{"backfill reads every page", t0.Add(-time.Hour), 250, []string{"{0,25}", "{25,125}", "{125,225}", "{225,325}"}},
		{"stops at the first page older than the window", t0.Add(70 * time.Hour), 180, []string{"{0,25}", "{25,125}", "{125,225}"}},
		{"one page when the window is short", t0.Add(240 * time.Hour), 10, []string{"{0,25}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := jt.New(user, token, &jt.Item{Name: "long", Builds: history(250)})
			defer srv.Close()
			sink := newSink()
			c, _ := newCollector(t, srv, func(o *Options) {
				o.Jobs = []string{"long"}
				o.Now = func() time.Time { return t0.Add(300 * time.Hour) }
			})
			st, err := c.Collect(context.Background(), collectors.Window{From: tt.from}, sink)
			if err != nil {
				t.Fatal(err)
			}
			if len(sink.Builds) != tt.stored || st.Builds != tt.stored {
				t.Errorf("stored %d (stats %d), want %d", len(sink.Builds), st.Builds, tt.stored)
			}
			var ranges []string
			for _, p := range srv.Log() {
				i := strings.Index(p, "%5D%7B")
				if i < 0 {
					t.Fatalf("request without a range: %s", p)
				}
				r := strings.NewReplacer("%7B", "{", "%7D", "}", "%2C", ",").Replace(p[i+3:])
				ranges = append(ranges, r)
			}
			if !slices.Equal(ranges, tt.ranges) {
				t.Errorf("ranges %v, want %v", ranges, tt.ranges)
			}
		})
	}
}

func TestPagingWhileBuildsStart(t *testing.T) {
	srv := jt.New(user, token, &jt.Item{Name: "long", Builds: history(150)})
	defer srv.Close()
	// A build starts between the first and the second page: the second
	// page repeats the first page's last build.
	var n atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1) == 3 { // after the job list and the first page
			srv.Update(func(root []*jt.Item) []*jt.Item {
				root[0].Builds = append(root[0].Builds, jt.Build{Number: 151, Started: t0.Add(151 * time.Hour), Duration: time.Second, Result: "SUCCESS", Queued: -1})
				return root
			})
		}
		return false
	})
	sink := newSink()
	c, _ := newCollector(t, srv, func(o *Options) { o.Now = func() time.Time { return t0.Add(200 * time.Hour) } })
	st, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Builds != 150 || sink.writes != 150 || len(sink.Builds) != 150 {
		t.Errorf("stats %+v, writes %d, stored %d; want 150 each (#151 started after the first page)", st, sink.writes, len(sink.Builds))
	}
}

func TestConfiguredJobs(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	sink := newSink()
	c, _ := newCollector(t, srv, func(o *Options) {
		o.Jobs = []string{"team/sub folder/deploy", "app", "app/main"}
	})
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err != nil {
		t.Fatal(err)
	}
	want := []string{"app/feature%2Flogin#1", "app/main#1", "team/sub folder/deploy#10"}
	if got := sink.ids(); !slices.Equal(got, want) || sink.writes != 3 {
		t.Errorf("stored %v (%d writes), want %v", got, sink.writes, want)
	}
	for _, p := range srv.Log() {
		if strings.HasPrefix(p, "/api/json") || strings.HasPrefix(p, "/job/build/") {
			t.Errorf("read %s, which is not configured", p)
		}
	}
	if len(sink.Cursors) != 1 || !sink.Cursors[0].Equal(now) {
		t.Errorf("cursors %v, want [%v]", sink.Cursors, now)
	}
}

func TestDeletedJobs(t *testing.T) {
	t.Run("configured job gone", func(t *testing.T) {
		srv := jt.New(user, token, scenario()...)
		defer srv.Close()
		sink := newSink()
		c, _ := newCollector(t, srv, func(o *Options) { o.Jobs = []string{"team/gone", "app/main"} })
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != http.StatusNotFound {
			t.Fatalf("error %v, want a 404 *httpx.Error", err)
		}
		for _, s := range []string{`job "team/gone"`, "HTTP 404", "no such job", "fix jobs", srv.URL() + "job/team/job/gone/api/json"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not say %q", err, s)
			}
		}
		if got := sink.ids(); !slices.Equal(got, []string{"app/main#1"}) {
			t.Errorf("the other job was not collected: %v", got)
		}
		if len(sink.Cursors) != 0 {
			t.Errorf("the cursor moved: %v", sink.Cursors)
		}
	})
	t.Run("job deleted while walking", func(t *testing.T) {
		srv := jt.New(user, token, scenario()...)
		defer srv.Close()
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasPrefix(r.URL.Path, "/job/team/job/sub folder/job/deploy/") {
				jt.HTMLError(w, http.StatusNotFound, "Not Found")
				return true
			}
			return false
		})
		sink := newSink()
		c, logs := newCollector(t, srv, nil)
		st, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		if err != nil {
			t.Fatal(err)
		}
		if st.Skipped != 1 || len(sink.Builds) != 5 || len(sink.Cursors) != 1 {
			t.Errorf("stats %+v, stored %v, cursors %v", st, sink.ids(), sink.Cursors)
		}
		if !strings.Contains(logs.String(), "vanished") {
			t.Errorf("the skipped job is not logged:\n%s", logs)
		}
	})
}

func TestBadAnswers(t *testing.T) {
	only := func(path string, f func(w http.ResponseWriter)) jt.FaultFunc {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if path == "" || strings.HasPrefix(r.URL.Path, path) {
				f(w)
				return true
			}
			return false
		}
	}
	tests := []struct {
		name    string
		mod     func(*Options)
		fault   jt.FaultFunc
		want    []string // in the error
		is      error
		status  int // of an *httpx.Error, when not 0
		partial bool
	}{
		{name: "wrong token", mod: func(o *Options) { o.Token = "wrong-" + token },
			want: []string{"HTTP 401", "refused the credentials", "token_env", "Invalid password/token"}, status: 401},
		{name: "anonymous on a secured Jenkins", mod: func(o *Options) { o.Username, o.Token = "", "" },
			want: []string{"HTTP 403", "Overall/Read", "anonymous", "an HTML page"}, status: 403},
		{name: "login page instead of JSON",
			fault: only("", func(w http.ResponseWriter) { jt.SignInPage(w) }),
			want:  []string{"HTML page", `"Sign in [Jenkins]"`, "login page", "token_env", "GET "}, is: httpx.ErrNotJSON},
		{name: "JSON cut short",
			fault: only("/job/team/", func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json;charset=utf-8")
				w.Write([]byte(`{"_class":"com.cloudbees.hudson.plugins.folder.Folder","jobs":[{"_class":"com.cloudb`))
			}),
			want: []string{`job "team"`, "not valid JSON", "cut short", "/job/team/api/json"}, is: httpx.ErrNotJSON, partial: true},
		{name: "connection closed before the announced length, every time",
			fault: only("", func(w http.ResponseWriter) {
				w.Header().Set("Content-Length", "5000")
				w.Write([]byte(`{"_class":"hudson.model.Hudson","jobs":[`))
			}),
			want: []string{"reading the answer", "unexpected EOF", "gave up after 3 attempts"}},
		{name: "server errors that do not stop",
			fault: only("", func(w http.ResponseWriter) { jt.HTMLError(w, http.StatusBadGateway, "Bad Gateway") }),
			want:  []string{"HTTP 502", "gave up after 3 attempts"}, status: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := jt.New(user, token, scenario()...)
			defer srv.Close()
			srv.SetFault(tt.fault)
			sink := newSink()
			c, _ := newCollector(t, srv, tt.mod)
			_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range append(tt.want, `"ci"`) {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error shows the token: %v", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			var he *httpx.Error
			if tt.status != 0 && (!errors.As(err, &he) || he.Status != tt.status) {
				t.Errorf("error %v is not an *httpx.Error with status %d", err, tt.status)
			}
			if len(sink.Cursors) != 0 {
				t.Errorf("the cursor moved: %v", sink.Cursors)
			}
			if tt.partial && len(sink.Builds) != 5 {
				t.Errorf("the jobs outside the broken folder were not all collected: %v", sink.ids())
			}
		})
	}
}

func TestRetries(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	var calls atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			jt.HTMLError(w, http.StatusTooManyRequests, "Too Many Requests")
			return true
		case 2:
			jt.HTMLError(w, http.StatusServiceUnavailable, "Service Unavailable")
			return true
		case 3: // cut short: the body is shorter than announced
			w.Header().Set("Content-Length", "900")
			w.Write([]byte(`{"_class":"hudson.model.Hudson","jo`))
			return true
		}
		return false
	})
	sink := newSink()
	c, logs := newCollector(t, srv, func(o *Options) { o.Retries = 3 })
	st, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.Builds) != 6 || st.Requests != srv.Requests() {
		t.Errorf("stored %d, stats %+v, server %d", len(sink.Builds), st, srv.Requests())
	}
	if n := strings.Count(logs.String(), "retrying"); n != 3 {
		t.Errorf("%d retries logged, want 3:\n%s", n, logs)
	}
}

func TestStuckBuildDoesNotHoldTheCursor(t *testing.T) {
	srv := jt.New(user, token, &jt.Item{Name: "j", Builds: []jt.Build{
		{Number: 1, Started: now.Add(-72 * time.Hour), Queued: -1}, // running for 3 days
		{Number: 2, Started: now.Add(-time.Hour), Duration: time.Minute, Result: "SUCCESS", Queued: -1},
	}})
	defer srv.Close()
	sink := newSink()
	c, logs := newCollector(t, srv, func(o *Options) { o.MaxRunning = 24 * time.Hour })
	if _, err := c.Collect(context.Background(), collectors.Window{From: now.Add(-100 * time.Hour)}, sink); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.Cursors, []time.Time{now}) || len(sink.Builds) != 1 {
		t.Errorf("cursors %v, builds %v", sink.Cursors, sink.ids())
	}
	if !strings.Contains(logs.String(), "longer than max_running") {
		t.Errorf("the stuck build is not logged:\n%s", logs)
	}
}

func TestBasePathAndSinkFailure(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	sink := newSink()
	c, _ := newCollector(t, srv, func(o *Options) { o.URL = srv.URL() + "jenkins" })
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err != nil {
		t.Fatal(err)
	}
	if b, ok := sink.Builds[srv.URL()+"jenkins/job/build/2/"]; !ok || b.Job != "build" {
		t.Errorf("builds under /jenkins/: %v", sink.ids())
	}

	sink = newSink()
	sink.Fail = true
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err == nil || !strings.Contains(err.Error(), "clickhouse is down") {
		t.Errorf("a failing sink gave %v", err)
	}
	if len(sink.Cursors) != 0 {
		t.Errorf("the cursor moved past builds not stored: %v", sink.Cursors)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []Options{
		{URL: "https://ci.example.org/"},
		{Name: "ci", URL: "ci.example.org"},
		{Name: "ci", URL: "https://user:" + token + "@ci.example.org/"},
		{Name: "ci", URL: "https://ci.example.org/", Jobs: []string{"a//b"}},
		{Name: "ci", URL: "https://ci.example.org/", Jobs: []string{" "}},
	} {
		_, err := New(o)
		if err == nil {
			t.Errorf("New(%+v) accepted", o)
			continue
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func TestStalledAnswerIsRetried(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	var calls atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if calls.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return true
		}
		return false
	})
	sink := newSink()
	c, logs := newCollector(t, srv, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.Builds) != 6 || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("stored %d; log:\n%s", len(sink.Builds), logs)
	}
}

func TestUnauthorizedIsNotRetried(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	c, _ := newCollector(t, srv, func(o *Options) { o.Token = "nope" })
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink()); err == nil {
		t.Fatal("no error")
	}
	if srv.Requests() != 1 {
		t.Errorf("%d requests; a 401 is not worth retrying", srv.Requests())
	}
}
