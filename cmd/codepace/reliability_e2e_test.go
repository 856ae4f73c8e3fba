package main

// End-to-end reliability tests of issue 9 that the other e2e tests do not
// already make: ClickHouse restarted in the middle of a run, two runs
// started at once, collect and compute repeated, a migration cut short,
// secrets of every source, faults of the GitHub and Jenkins sources.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	ght "github.com/codepace/codepace/collectors/github/githubtest"
	jt "github.com/codepace/codepace/collectors/jenkins/jenkinstest"
)

// knownBug fails t: the assertion guards a bug the reliability tests
// found and that is fixed (docs/reliability.md lists them by id).
func knownBug(t *testing.T, id, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s (a fixed bug is back): %s", id, fmt.Sprintf(format, args...))
}

// viewQueries are the views compared between two databases holding the
// same data: every column but url, which names each test's own server, and
// today's backlog, taken at the moment of each compute.
var viewQueries = []string{
	`SELECT source, project, branch, number, subject, owner, owner_id, owner_is_bot, status, is_wip,
		created_at, updated_at, ready_at, first_review_at, merged_at, closed_at, time_to_first_review_s,
		time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions, deletions, owner_cohort
		FROM DB.change_metrics ORDER BY source, project, number`,
	`SELECT * FROM DB.review_actions ORDER BY source, project, number, message_id`,
	`SELECT * FROM DB.builds ORDER BY source, system, build_id`,
	`SELECT * FROM DB.newcomers ORDER BY source, person_id`,
	`SELECT * FROM DB.review_backlog_daily WHERE day < today() ORDER BY source, project, day`,
}

// sameViews compares every view of e with ref's.
func sameViews(t *testing.T, what string, e, ref *env) {
	t.Helper()
	for _, q := range viewQueries {
		want := ref.rows(t, q)
		if len(want) == 0 && !strings.Contains(q, "builds") {
			t.Fatalf("reference has no rows for %s", q)
		}
		diffRows(t, what+": "+q, e.rows(t, q), want)
	}
}

// snapshot returns every view's rows.
func snapshot(t *testing.T, e *env) [][]string {
	t.Helper()
	out := make([][]string, len(viewQueries))
	for i, q := range viewQueries {
		out[i] = e.rows(t, q)
	}
	return out
}

// running is a `codepace` process started in the background, its output
// collected line by line.
type running struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	seen chan string // each line, as it comes (dropped when nobody reads)
	done chan error
}

func startCodepace(t *testing.T, conf string, env []string, args ...string) *running {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--config", conf)...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	r := &running{cmd: cmd, seen: make(chan string, 1024), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.out.WriteString(line + "\n")
			r.mu.Unlock()
			select {
			case r.seen <- line:
			default:
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		r.done <- err
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return r
}

// wait waits for the process to exit and returns its output and error.
func (r *running) wait(t *testing.T, timeout time.Duration) (string, error) {
	t.Helper()
	select {
	case err := <-r.done:
		time.Sleep(50 * time.Millisecond) // the last lines
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.out.String(), err
	case <-time.After(timeout):
		_ = r.cmd.Process.Kill()
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("codepace still running after %v:\n%s", timeout, r.out.String())
		return "", nil
	}
}

// killWhen kills r as soon as query (run every few milliseconds) returns
// something other than 0, or at once for an empty query, unless r finished
// first. The kill lands at a point of the work, not of the clock, so a
// faster machine or a faster codepace cannot finish before it.
func (r *running) killWhen(t *testing.T, e *env, query string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for query != "" && time.Now().Before(deadline) {
		if got := e.rows(t, query); len(got) == 1 && got[0] != "0" {
			break
		}
		select {
		case err := <-r.done:
			r.done <- err // for wait
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	_ = r.cmd.Process.Kill()
}

// waitLine waits for a line of output containing s.
func (r *running) waitLine(t *testing.T, s string, timeout time.Duration) bool {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line := <-r.seen:
			if strings.Contains(line, s) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// eventuallyTrue polls cond until it holds or timeout passes.
func eventuallyTrue(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// checkCleanFailure asserts what a run that failed because ClickHouse went
// away must look like: a non-zero exit, an error that says ClickHouse (or
// its address) and what it was doing, no panic, no password.
func checkCleanFailure(t *testing.T, what, out string, err error, addr string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: the run exited 0 though ClickHouse died under it:\n%s", what, out)
		return
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("%s: exit %v, want status 1 (a clean failure, not a crash)", what, err)
	}
	if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
		t.Errorf("%s: the run crashed:\n%s", what, out)
	}
	last := out
	if i := strings.LastIndex(out, "codepace: "); i >= 0 {
		last = out[i:]
	} else {
		t.Errorf("%s: no final error line:\n%s", what, out)
	}
	if !strings.Contains(last, addr) && !strings.Contains(strings.ToLower(last), "clickhouse") && !strings.Contains(last, "store ") {
		t.Errorf("%s: the error does not say that storing into ClickHouse failed: %q", what, last)
	}
	if found := containsAny(out, secrets...); len(found) > 0 {
		t.Errorf("%s: secrets %q in the output:\n%s", what, found, out)
	}
}

// TestClickHouseRestartMidRun kills a ClickHouse server of the test's own
// with SIGKILL in the middle of `codepace run` and starts it again: first
// while the run collects (ClickHouse comes back while the run still goes
// on), then while the run computes (ClickHouse stays down until the run has
// exited). Each interrupted run exits 1 with an error about ClickHouse; the
// next run completes, and every view equals that of an uninterrupted run.
func TestClickHouseRestartMidRun(t *testing.T) {
	ch := newSecondClickHouse(t)
	history := gt.Generate(gt.GenOptions{Seed: 11, Changes: 3000, Start: time.Now().UTC().AddDate(-2, 0, 0), Years: 2})
	const pages = "    page_size: 100\n"
	ref := setup(t, history, "")
	rewrite(t, ref.conf, pages)
	began := time.Now()
	ref.mustRun(t, "run")
	t.Logf("an uninterrupted run took %v", time.Since(began))

	srv := gt.New(history, gt.WithAuth(map[string]string{"collector": "s3cret-pass"}))
	t.Cleanup(srv.Close)
	e := ch.env(t, srv.URL(), "codepace_restart", "")
	e.gerrit = srv
	rewrite(t, e.conf, pages)
	secrets := []string{"s3cret-pass", ch.password}
	runEnv := []string{"E2E_GERRIT_PASSWORD=s3cret-pass"}
	count := func(table string) uint64 {
		conn, err := ch.open()
		if err != nil {
			return 0
		}
		defer conn.Close()
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM codepace_restart."+table).Scan(&n); err != nil {
			return 0
		}
		return n
	}

	// 1. Restarted while the run collects.
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(10 * time.Millisecond)
		return false
	})
	run := startCodepace(t, e.conf, runEnv, "run")
	if !eventuallyTrue(60*time.Second, func() bool { return count("raw_changes") >= 300 }) {
		out, _ := run.wait(t, time.Minute)
		t.Fatalf("the run stored nothing within a minute:\n%s", out)
	}
	ch.kill(t)
	killedAt := time.Now()
	ch.start(t)
	t.Logf("ClickHouse back %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	if conn, err := ch.open(); err == nil {
		var up uint32
		if err := conn.QueryRow(context.Background(), "SELECT uptime()").Scan(&up); err != nil || up > 60 {
			t.Errorf("the server answering is not a fresh one: uptime %d s (%v)", up, err)
		}
		conn.Close()
	}
	out, err := run.wait(t, 3*time.Minute)
	checkCleanFailure(t, "restarted while collecting", out, err, ch.addr, secrets...)

	// 2. Killed while the run computes; back after the run has exited.
	srv.SetFault(nil)
	run = startCodepace(t, e.conf, runEnv, "run")
	computing := run.waitLine(t, "computing derived tables", 3*time.Minute)
	ch.kill(t)
	out, err = run.wait(t, 3*time.Minute)
	if !computing {
		t.Fatalf("the second run never reached compute:\n%s", out)
	}
	if err == nil && strings.Contains(out, "level=INFO msg=computed") {
		t.Logf("the compute finished before the kill landed; the failure path was not exercised this time:\n%s", out)
	} else {
		checkCleanFailure(t, "killed while computing", out, err, ch.addr, secrets...)
	}
	ch.start(t)
	ch.reconnect(t, e)

	// 3. The next run completes and the views are those of an
	// uninterrupted run.
	out, err = startCodepace(t, e.conf, runEnv, "run").wait(t, 3*time.Minute)
	if err != nil {
		t.Fatalf("the run after the restarts failed: %v\n%s", err, out)
	}
	if found := containsAny(out, secrets...); len(found) > 0 {
		t.Errorf("secrets %q in the output", found)
	}
	sameViews(t, "after ClickHouse restarts", e, ref)
	for _, r := range e.rows(t, `SELECT error FROM DB.collector_runs`) {
		if found := containsAny(r, secrets...); len(found) > 0 {
			t.Errorf("secrets %q in collector_runs: %s", found, r)
		}
	}
	// Run 1 could not record its end while ClickHouse was down: run 2
	// finds it running, its process gone, and marks it "interrupted" (as
	// sql/README.md documents for a run that died); or it is "failed" when
	// ClickHouse was back in time; never "ok" or left "running". Runs 2
	// and 3 collected fine.
	runs := e.rows(t, `SELECT status, count() FROM DB.collector_runs GROUP BY status ORDER BY status`)
	if !slicesEqual(runs, []string{"failed | 1", "ok | 2"}) && !slicesEqual(runs, []string{"interrupted | 1", "ok | 2"}) {
		t.Errorf("collector_runs statuses %v, want two ok and one interrupted or failed", runs)
	}
}

// TestTwoRunsAtOnce starts two `codepace run` on the same database at the
// same instant, as two cron entries or a cron entry and a hand do: without
// --lock-wait one exits 1 at once with the lock message and records
// nothing; with --lock-wait both complete, one after the other. Either way
// the views are those of one uninterrupted run.
func TestTwoRunsAtOnce(t *testing.T) {
	history := gt.Generate(gt.GenOptions{Seed: 5, Changes: 800, Start: time.Now().UTC().AddDate(-1, 0, 0), Years: 1})
	const pages = "    page_size: 50\n"
	ref := setup(t, history, "")
	rewrite(t, ref.conf, pages)
	ref.mustRun(t, "run")
	slow := func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(20 * time.Millisecond) // the first run holds the lock long enough
		return false
	}
	runEnv := []string{"E2E_GERRIT_PASSWORD=s3cret-pass"}
	both := func(t *testing.T, e *env, args ...string) (outs [2]string, errs [2]error) {
		t.Cleanup(func() { os.Remove(os.TempDir() + "/codepace-" + e.db + ".lock") })
		a := startCodepace(t, e.conf, runEnv, args...)
		b := startCodepace(t, e.conf, runEnv, args...)
		outs[0], errs[0] = a.wait(t, 3*time.Minute)
		outs[1], errs[1] = b.wait(t, 3*time.Minute)
		return outs, errs
	}

	t.Run("one exits with the lock message", func(t *testing.T) {
		e := setup(t, history, "")
		rewrite(t, e.conf, pages)
		e.gerrit.SetFault(slow)
		outs, errs := both(t, e, "run")
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("want exactly one run to fail: %v, %v\n--- first:\n%s--- second:\n%s", errs[0], errs[1], outs[0], outs[1])
		}
		loser := outs[0]
		if errs[0] == nil {
			loser = outs[1]
		}
		if !strings.Contains(loser, "another codepace run holds the lock") || !strings.Contains(loser, "this run did nothing") {
			t.Errorf("the losing run does not say why:\n%s", loser)
		}
		if strings.Contains(loser, "collecting") || strings.Contains(loser, "applied migration") {
			t.Errorf("the losing run did something:\n%s", loser)
		}
		diffRows(t, "collector_runs", e.rows(t, `SELECT status, items > 0 FROM DB.collector_runs`), []string{"ok | 1"})
		sameViews(t, "two runs at once", e, ref)
	})

	t.Run("both wait their turn", func(t *testing.T) {
		e := setup(t, history, "")
		rewrite(t, e.conf, pages)
		e.gerrit.SetFault(slow)
		outs, errs := both(t, e, "run", "--lock-wait", "2m")
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("runs with --lock-wait: %v, %v\n--- first:\n%s--- second:\n%s", errs[0], errs[1], outs[0], outs[1])
		}
		// The second collected incrementally after the first: one run
		// stored everything, the other what the overlap brings again.
		runs := e.rows(t, `SELECT status, count() FROM DB.collector_runs GROUP BY status`)
		diffRows(t, "collector_runs", runs, []string{"ok | 2"})
		sameViews(t, "two runs at once, waiting", e, ref)
	})
}

// TestRepeatedCollectAndCompute: compute run twice, a whole re-collection
// (collect --full), a collection of an overlapping window (--since) and an
// idle run never change a figure nor double a raw row.
func TestRepeatedCollectAndCompute(t *testing.T) {
	e := setup(t, history(), "")
	e.mustRun(t, "run")
	want := snapshot(t, e)
	raw := func() []string {
		var out []string
		for _, table := range []string{"raw_changes", "raw_revisions", "raw_messages", "raw_votes", "raw_builds"} {
			out = append(out, table+" "+strings.Join(e.rows(t, `SELECT count() FROM DB.`+table+` FINAL`), ""))
		}
		return out
	}
	wantRaw := raw()
	for _, step := range [][]string{
		{"compute"}, {"compute"},
		{"collect", "--full"}, {"compute"},
		{"collect", "--since", "2024-03-05"}, {"compute"},
		{"run"}, {"run", "--full"},
	} {
		e.mustRun(t, step...)
		got := snapshot(t, e)
		for i, q := range viewQueries {
			diffRows(t, "after "+strings.Join(step, " ")+": "+q, got[i], want[i])
		}
		diffRows(t, "raw rows after "+strings.Join(step, " "), raw(), wantRaw)
	}
}

// TestMigrationCutShortIsAppliedAgain: a run killed (or ClickHouse lost)
// after a migration's statements ran but before the migration was recorded
// in schema_migrations applies it again on the next run. Every statement
// must bear that, as store.Migrate promises; otherwise every later run
// fails and the database needs a hand.
func TestMigrationCutShortIsAppliedAgain(t *testing.T) {
	e := setup(t, history(), "")
	e.mustRun(t, "migrate")
	migrations := e.rows(t, `SELECT version, name FROM DB.schema_migrations ORDER BY version`)
	if len(migrations) < 2 {
		t.Fatalf("migrations %v", migrations)
	}
	ctx := context.Background()
	// From the last migration back to the first: the state a crash leaves
	// after migration v's statements, before its record.
	for v := len(migrations); v >= 1; v-- {
		for _, stmt := range []string{
			`DROP TABLE ` + e.db + `.schema_migrations`,
			`CREATE TABLE ` + e.db + `.schema_migrations (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = MergeTree() ORDER BY version`,
		} {
			if err := e.conn.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		if v > 1 {
			b, err := e.conn.PrepareBatch(ctx, `INSERT INTO `+e.db+`.schema_migrations (version, name, applied_at)`)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range migrations[:v-1] {
				var version uint32
				var name string
				fmt.Sscanf(m, "%d | %s", &version, &name)
				if err := b.Append(version, name, time.Now().UTC()); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Send(); err != nil {
				t.Fatal(err)
			}
		}
		out, err := e.codepace(t, "migrate")
		if err != nil {
			knownBug(t, "B2", "after a crash between migration %s's statements and its record, `codepace migrate` (and so every `codepace run`) fails for good: %s",
				migrations[v-1], strings.TrimSpace(out[strings.LastIndex(out, "codepace:"):]))
		}
		diffRows(t, fmt.Sprintf("schema_migrations after re-applying from %s", migrations[v-1]),
			e.rows(t, `SELECT version, name FROM DB.schema_migrations ORDER BY version`), migrations)
	}
	e.mustRun(t, "run")
	diffRows(t, "after the migrations were applied again", e.rows(t, `SELECT count() FROM DB.change_metrics`), []string{"4"})
}

// sourcesOfEveryKind are a GitHub repository with pull requests and
// Actions runs and a Jenkins with two jobs, for the config below.
func sourcesOfEveryKind(ghToken, jkToken string) (*ght.Server, *jt.Server) {
	org := &ght.User{Login: "acme", ID: 9001, Type: "Organization"}
	al := &ght.User{Login: "alice", ID: 1001, Type: "User"}
	bo := &ght.User{Login: "bob", ID: 1002, Type: "User"}
	commit := func(sha string, at time.Time) ght.Commit {
		return ght.Commit{SHA: sha, Author: al, AuthorName: "alice", AuthorEmail: "a@example.org", Authored: at, Committed: at}
	}
	pulls := []*ght.Pull{
		{Number: 1, ID: 11, Title: "Merged", User: al, State: "closed", Created: t0, Updated: t0.Add(2 * day),
			Closed: t0.Add(2 * day), Merged: t0.Add(2 * day), MergedBy: al, Commits: []ght.Commit{commit("a1", t0)},
			Reviews: []ght.Review{{ID: 21, User: bo, State: "APPROVED", Submitted: t0.Add(4 * hour)}}},
		{Number: 2, ID: 12, Title: "Open", User: bo, State: "open", Created: t0.Add(day), Updated: t0.Add(day + hour),
			Commits:  []ght.Commit{commit("b1", t0.Add(day))},
			Comments: []ght.Comment{{ID: 31, User: al, Body: "why?", Created: t0.Add(day + hour)}}},
	}
	runs := []*ght.Run{{ID: 100, Name: "CI", RunNumber: 1, Attempt: 1, Event: "pull_request", Status: "completed", Conclusion: "success",
		Created: t0.Add(hour), Updated: t0.Add(2 * hour), Started: t0.Add(hour), Pulls: []int{1},
		Jobs: []ght.Job{{ID: 1001, Name: "test", Attempt: 1, Status: "completed", Conclusion: "success",
			Created: t0.Add(hour), Started: t0.Add(hour + time.Minute), Completed: t0.Add(hour + 9*time.Minute)}}}}
	gh := ght.New(ghToken,
		&ght.Repo{Owner: org, Name: "widgets", ID: 1, Pulls: pulls, Runs: runs},
		&ght.Repo{Owner: org, Name: "gadgets", ID: 2, Pulls: []*ght.Pull{{Number: 7, ID: 17, Title: "Gadget", User: al, State: "open",
			Created: t0.Add(3 * day), Updated: t0.Add(3 * day), Commits: []ght.Commit{commit("g1", t0.Add(3*day))}}}})
	var builds []jt.Build
	for i := 1; i <= 5; i++ {
		builds = append(builds, jt.Build{Number: int64(i), Started: t0.Add(time.Duration(i) * hour), Duration: time.Duration(60*i) * time.Second,
			Result: "SUCCESS", Queued: -1, Params: []jt.Param{{Name: "GERRIT_CHANGE_NUMBER", Value: "1"}, {Name: "GERRIT_PROJECT", Value: "demo/alpha"}}})
	}
	jk := jt.New("collector", jkToken,
		&jt.Item{Name: "build", Builds: builds},
		&jt.Item{Name: "team", Items: []*jt.Item{{Name: "deploy", Builds: []jt.Build{{Number: 1, Started: t0.Add(day), Duration: time.Minute, Result: "FAILURE", Queued: -1}}}}})
	return gh, jk
}

// everySourceConfig is the part of a config after the Gerrit source for a
// GitHub and a Jenkins source on gh and jk.
func everySourceConfig(gh *ght.Server, jk *jt.Server, extraGitHub, extraJenkins string) string {
	return fmt.Sprintf(`  - name: hub
    type: github
    owner: acme
    repos: [widgets, gadgets]
    token_env: E2E_GITHUB_TOKEN
    base_url: %s
    since: 2024-01-01
    actions: true
%s  - name: ci
    type: jenkins
    url: %s
    username: collector
    token_env: E2E_JENKINS_TOKEN
    since: 2024-01-01
%s`, gh.URL(), extraGitHub, jk.URL(), extraJenkins)
}

// TestSecretsOfEverySource runs Gerrit (HTTP password), GitHub (token),
// Jenkins (API token, and a second source with a wrong one), Grafana
// (service account token) and ClickHouse's password where it is read,
// through `codepace run`, `codepace provision` (with --out and against a
// Grafana that refuses the token) and `codepace daemon`, with failures
// on purpose (a repository and a job that do not exist, a wrong token):
// no secret appears in the output, the errors, collector_runs, /metrics,
// /healthz or the dashboards' JSON.
func TestSecretsOfEverySource(t *testing.T) {
	const (
		ghToken    = "ghp_E2eS3cretGitHubToken0123456789"
		jkToken    = "11e2eS3cretJenkinsApiToken0123456"
		jkWrong    = "11e2eWr0ngJenkinsApiToken6543210"
		grafToken  = "glsa_E2eS3cretGrafanaToken_0123456"
		gerritPass = "s3cret-pass"
	)
	secrets := []string{ghToken, jkToken, jkWrong, grafToken, gerritPass}
	gh, jk := sourcesOfEveryKind(ghToken, jkToken)
	defer gh.Close()
	defer jk.Close()
	var grafanaAuth sync.Map
	grafana := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		grafanaAuth.Store(r.Header.Get("Authorization"), true)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"invalid API key","traceID":""}`)
	}))
	defer grafana.Close()
	extra := everySourceConfig(gh, jk, "", `    jobs: [build, team, gone]
  - name: ci-wrong
    type: jenkins
    url: `+jk.URL()+`
    username: collector
    token_env: E2E_JENKINS_WRONG
    since: 2024-01-01
`)
	e := setup(t, history(), extra+`grafana:
  url: `+grafana.URL+`
  token_env: E2E_GRAFANA_TOKEN
daemon:
  jitter: 0s
  grace_period: 1s
targets:
  - metric: time_to_first_review_p50_hours
    baseline: 10
    goal: "-10%"
    due: 2024-06-30
`)
	// The GitHub repository gadgets is renamed away: a 404 on purpose.
	gh.Update(func(repos []*ght.Repo) []*ght.Repo { repos[1].Name = "gadgets-renamed"; return repos })
	t.Setenv("E2E_GITHUB_TOKEN", ghToken)
	t.Setenv("E2E_JENKINS_TOKEN", jkToken)
	t.Setenv("E2E_JENKINS_WRONG", jkWrong)
	t.Setenv("E2E_GRAFANA_TOKEN", grafToken)
	t.Setenv("E2E_GERRIT_PASSWORD", gerritPass)
	check := func(what, text string) {
		t.Helper()
		if found := containsAny(text, secrets...); len(found) > 0 {
			t.Errorf("%s shows %q:\n%s", what, found, text)
		}
	}

	for _, format := range []string{"text", "json"} {
		out, err := e.codepace(t, "run", "--log-format", format)
		if err == nil {
			t.Fatalf("run with failing sources succeeded:\n%s", out)
		}
		for _, want := range []string{"HTTP 404", "HTTP 401", "gone", "gadgets"} {
			if !strings.Contains(out, want) {
				t.Errorf("the %s output lacks %q (the failures on purpose did not happen):\n%s", format, want, out)
			}
		}
		check("the "+format+" output of run", out)
	}
	runs := e.rows(t, `SELECT source, status, error FROM DB.collector_runs ORDER BY source, started_at`)
	check("collector_runs", strings.Join(runs, "\n"))
	statuses := e.rows(t, `SELECT source, status, count() FROM DB.collector_runs GROUP BY source, status ORDER BY source, status`)
	diffRows(t, "collector_runs", statuses, []string{"ci | failed | 2", "ci-wrong | failed | 2", "demo | ok | 2", "hub | failed | 2"})
	// What the failing sources could read was stored all the same.
	diffRows(t, "stored per source", e.rows(t, `SELECT source, count() FROM DB.change_metrics GROUP BY source ORDER BY source`),
		[]string{"demo | 4", "hub | 2"})
	diffRows(t, "builds per source", e.rows(t, `SELECT source, system, count() FROM DB.builds GROUP BY source, system ORDER BY source, system`),
		[]string{"ci | jenkins | 6", "demo | zuul | 3", "hub | github-actions | 1"})

	// provision: the dashboards' JSON, and a Grafana that refuses the token.
	dir := t.TempDir()
	out, err := e.codepace(t, "provision", "--dry-run", "--out", dir)
	if err != nil {
		t.Fatalf("provision --dry-run --out: %v\n%s", err, out)
	}
	check("provision --dry-run", out)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 5 {
		t.Errorf("provision --out wrote %v, want five dashboards", files)
	}
	for _, f := range files {
		check(f, readFile(t, f))
	}
	repoBoards, _ := filepath.Glob("../../dashboards/generated/*.json")
	if len(repoBoards) == 0 {
		t.Error("no dashboards/generated/*.json to check")
	}
	for _, f := range repoBoards {
		check(f, readFile(t, f))
	}
	out, err = e.codepace(t, "provision")
	if err == nil || !strings.Contains(out, "401") {
		t.Errorf("provision against a Grafana that refuses the token: %v\n%s", err, out)
	}
	check("provision's error", out)
	if _, ok := grafanaAuth.Load("Bearer " + grafToken); !ok {
		t.Error("the Grafana token was never sent: the test proves nothing about it")
	}

	// The daemon: its log, /metrics and /healthz, after every source ran.
	rewrite(t, e.conf, `    schedule: "@every 1s"
`)
	lock := filepath.Join(t.TempDir(), "codepace.lock")
	d := startDaemon(t, e, lock)
	eventually(t, 60*time.Second, "a daemon run of every source", func() bool {
		code, h := d.health(t)
		if code == 0 || len(h.Sources) != 4 {
			return false
		}
		for _, s := range h.Sources {
			if s.LastRunAt == nil {
				return false
			}
		}
		return true
	})
	for _, path := range []string{"/metrics", "/healthz"} {
		resp, err := http.Get("http://" + d.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/healthz" && !strings.Contains(string(body), "401") {
			t.Errorf("/healthz does not report the failures on purpose:\n%s", body)
		}
		check(path, string(body))
	}
	if err, _ := d.stop(t); err != nil {
		t.Errorf("daemon: %v", err)
	}
	check("the daemon's log", d.out.String())
	check("collector_runs after the daemon", strings.Join(e.rows(t, `SELECT error FROM DB.collector_runs`), "\n"))
}

// TestSourceFaultsThroughRun: GitHub and Jenkins throttle (429 and 503
// with Retry-After) and reset connections; the run waits as asked, says
// so, and completes. Then a GitHub repository fails for good: the run
// exits 1 naming it, keeps what it stored, leaves the GitHub cursor where
// it was, and the next run completes with views equal to a run without
// faults.
func TestSourceFaultsThroughRun(t *testing.T) {
	const ghToken, jkToken = "ghp_faults0123456789", "11faults0123456789"
	gh, jk := sourcesOfEveryKind(ghToken, jkToken)
	defer gh.Close()
	defer jk.Close()
	t.Setenv("E2E_GITHUB_TOKEN", ghToken)
	t.Setenv("E2E_JENKINS_TOKEN", jkToken)
	// REST: the faults below are on REST paths.
	extra := everySourceConfig(gh, jk, "    retries: 1\n    api: rest\n", "    retries: 2\n")
	ref := setup(t, history(), extra)
	ref.mustRun(t, "run")

	e := setup(t, history(), extra)
	var ghCalls, jkCalls atomic.Int32
	gh.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		switch ghCalls.Add(1) {
		case 2:
			ght.SecondaryLimit(w, http.StatusTooManyRequests, "1")
			return true
		case 4:
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return true
		}
		return false
	})
	jk.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if jkCalls.Add(1) == 2 {
			w.Header().Set("Retry-After", "1")
			jt.HTMLError(w, http.StatusServiceUnavailable, "Service Unavailable")
			return true
		}
		return false
	})
	start := time.Now()
	out := e.mustRun(t, "run")
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("the run took %v: the two Retry-After: 1 were not both waited out", took)
	}
	for _, want := range []string{"github secondary rate limit, backing off", "wait=1s", "jenkins request failed, retrying", "HTTP 503"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not report the wait (%q):\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`msg="github requests".* waited=1\.?\d*s`).MatchString(out) {
		t.Errorf("the GitHub summary does not say how long it waited:\n%s", out)
	}
	sameViews(t, "after throttling and resets", e, ref)

	// A repository that fails for good, after the other was stored.
	e2 := setup(t, history(), extra)
	gh.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/repos/acme/gadgets/") {
			ght.ServerError(w, http.StatusBadGateway)
			return true
		}
		return false
	})
	out, err := e2.codepace(t, "run")
	if err == nil || !strings.Contains(out, "acme/gadgets") || !strings.Contains(out, "HTTP 502") || !strings.Contains(out, "gave up after 2 attempts") {
		t.Fatalf("run with a failing repository: %v\n%s", err, out)
	}
	diffRows(t, "cursors after the failure", e2.rows(t, `SELECT source FROM DB.cursors FINAL ORDER BY source`), []string{"ci", "demo"})
	diffRows(t, "what the failing source stored", e2.rows(t, `SELECT project, number FROM DB.change_metrics WHERE source = 'hub' ORDER BY number`),
		[]string{"acme/widgets | 1", "acme/widgets | 2"})
	gh.SetFault(nil)
	e2.mustRun(t, "run")
	sameViews(t, "after the failing repository recovered", e2, ref)
}

// TestKilledDuringCompute kills `codepace compute --full` with SIGKILL at
// three points of its work (the crash test's kills land while collecting;
// these land while the derived tables are written; a compute with nothing
// touched is incremental and over too soon to be killed, which
// store.TestAbortedIncremental covers). While it is dead the views still
// show the last complete compute, row for row; the next compute, incremental,
// gives the same views again, and a full one leaves one generation.
func TestKilledDuringCompute(t *testing.T) {
	history := gt.Generate(gt.GenOptions{Seed: 3, Changes: 1500, Start: time.Now().UTC().AddDate(-2, 0, 0), Years: 2})
	e := setup(t, history, "")
	e.mustRun(t, "run")
	want := snapshot(t, e)
	runEnv := []string{"E2E_GERRIT_PASSWORD=s3cret-pass"}

	// The kills land as a compute starts, once its generation has its
	// first builds (written in batches of 10,000 while it reads the
	// changes), and once it has the changes' figures (written when the
	// changes are all read).
	killed := 0
	for _, at := range []struct{ point, query string }{
		{"at its start", ""},
		{"after its first builds", "SELECT count() FROM DB.builds_data WHERE generation > %d"},
		{"after its changes", "SELECT count() FROM DB.change_metrics_data WHERE generation > %d"},
	} {
		started := time.Now().UnixNano() // the compute's generation is later
		r := startCodepace(t, e.conf, runEnv, "compute", "--full")
		if !r.waitLine(t, "computing derived tables", time.Minute) {
			t.Fatal("no compute started")
		}
		query := at.query
		if query != "" {
			query = fmt.Sprintf(query, started)
		}
		r.killWhen(t, e, query)
		if _, err := r.wait(t, time.Minute); err != nil {
			killed++
		}
		got := snapshot(t, e)
		for i, q := range viewQueries {
			diffRows(t, fmt.Sprintf("views while a compute killed %s lies dead: %s", at.point, q), got[i], want[i])
		}
	}
	t.Logf("%d of 3 computes killed before they finished", killed)
	if killed < 2 {
		t.Errorf("only %d of 3 computes were killed before they finished", killed)
	}
	e.mustRun(t, "compute")
	got := snapshot(t, e)
	for i, q := range viewQueries {
		diffRows(t, "after a compute following the killed ones: "+q, got[i], want[i])
	}
	e.mustRun(t, "compute", "--full")
	got = snapshot(t, e)
	for i, q := range viewQueries {
		diffRows(t, "after a full compute following the killed ones: "+q, got[i], want[i])
	}
	// The killed computes' partial generations, and the incremental one's
	// layer, are dropped by the full compute.
	for _, table := range []string{"change_metrics_data", "review_actions_data", "builds_data", "newcomers_data", "review_backlog_daily_data"} {
		diffRows(t, "generations left in "+table, e.rows(t, `SELECT uniqExact(generation) FROM DB.`+table), []string{"1"})
	}
}

// TestHostileGitHubAnswerDoesNotCrashRun: a GitHub answer that decodes but
// holds a null where an object belongs (a null review, a null list of
// workflow runs) must end the run with an error naming the source, or skip
// the item, not crash the process with a panic.
func TestHostileGitHubAnswerDoesNotCrashRun(t *testing.T) {
	const ghToken, jkToken = "ghp_null0123456789", "11null0123456789"
	for _, tt := range []struct{ name, path, body string }{
		{"null review", "/repos/acme/widgets/pulls/1/reviews", `[null]`},
		{"null workflow runs", "/repos/acme/widgets/actions/runs", `null`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gh, jk := sourcesOfEveryKind(ghToken, jkToken)
			defer gh.Close()
			defer jk.Close()
			t.Setenv("E2E_GITHUB_TOKEN", ghToken)
			t.Setenv("E2E_JENKINS_TOKEN", jkToken)
			gh.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, tt.path) {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
					fmt.Fprint(w, tt.body)
					return true
				}
				return false
			})
			e := setup(t, history(), everySourceConfig(gh, jk, "", ""))
			out, err := e.codepace(t, "run")
			if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
				i := strings.Index(out, "panic:")
				knownBug(t, "B9/B10", "`codepace run` crashes on a %s from GitHub: %s", tt.name, strings.SplitN(out[max(i, 0):], "\n", 2)[0])
			}
			if err != nil && !strings.Contains(out, `github source "hub"`) {
				t.Errorf("the error does not name the source:\n%s", out)
			}
		})
	}
}
