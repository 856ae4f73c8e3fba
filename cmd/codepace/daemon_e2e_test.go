package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	ght "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/daemon"
	"github.com/codepace/codepace/internal/testlog"
)

// daemonRun is `codepace daemon` running in this process.
type daemonRun struct {
	addr   string
	out    *testlog.Buffer
	cancel context.CancelFunc
	done   chan error
}

func startDaemon(t *testing.T, e *env, lock string) *daemonRun {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonRun{addr: addr, out: &testlog.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		m := &Main{Stdout: d.out, Stderr: d.out}
		defer m.Close()
		d.done <- runDaemon(ctx, m, []string{"--config", e.conf, "--listen", addr, "--lock", lock})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
		}
		if t.Failed() {
			t.Logf("daemon output:\n%s", d.out)
		}
	})
	return d
}

// stop is SIGTERM: cancel the context and wait for runDaemon to return.
func (d *daemonRun) stop(t *testing.T) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	d.cancel()
	select {
	case err := <-d.done:
		d.done <- err // for the cleanup
		return err, time.Since(start)
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon did not stop 30s after SIGTERM\n%s", d.out)
		return nil, 0
	}
}

func (d *daemonRun) health(t *testing.T) (int, daemon.Health) {
	t.Helper()
	resp, err := http.Get("http://" + d.addr + "/healthz")
	if err != nil {
		return 0, daemon.Health{}
	}
	defer resp.Body.Close()
	var h daemon.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	return resp.StatusCode, h
}

func (d *daemonRun) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("/metrics has no %s", series)
	return 0
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDaemonEndToEnd runs `codepace daemon` with a two-second schedule
// against the Gerrit test server and ClickHouse: a catch-up run at start,
// scheduled runs that pick up new changes, the lock against `codepace run`,
// a failing source in /healthz, a SIGTERM mid-run that cancels after the
// grace period and leaves consistent data, and a restart that resumes.
func TestDaemonEndToEnd(t *testing.T) {
	pages := t.TempDir()
	e := setup(t, history(), `    schedule: "@every 2s"
    retries: 0
daemon:
  jitter: 0s
  grace_period: 1s
  report_html: `+filepath.Join(pages, "key-results.html")+`
targets:
  - metric: changes_merged
    baseline: 1
    goal: 2
    due: 2030-01-01
`)
	t.Setenv("E2E_GERRIT_PASSWORD", "s3cret-pass")
	lock := filepath.Join(t.TempDir(), "codepace.lock")
	d := startDaemon(t, e, lock)

	// Never collected: the catch-up run at start-up collects and computes.
	eventually(t, 30*time.Second, "the first run", func() bool {
		code, h := d.health(t)
		return code == http.StatusOK && h.Status == daemon.HealthOK && h.Sources[0].Status == daemon.SourceOK
	})
	diffRows(t, "after the first run", e.rows(t, `SELECT count() FROM DB.change_metrics`), []string{"4"})
	// The compute wrote the scoreboard page (daemon.report_html), and
	// nothing else beside it.
	html, err := os.ReadFile(filepath.Join(pages, "key-results.html"))
	if err != nil || !strings.Contains(string(html), "<h2>changes_merged</h2>") {
		t.Errorf("daemon.report_html after the first run: %v\n%s", err, html)
	}
	if entries, _ := os.ReadDir(pages); len(entries) != 1 {
		t.Errorf("beside the page: %v", entries)
	}

	// `codepace run` on the same lock exits at once while the daemon runs.
	if out, err := e.codepace(t, "run", "--lock", lock); err == nil || !strings.Contains(out, "another codepace run holds the lock") {
		t.Errorf("codepace run beside the daemon: %v\n%s", err, out)
	}

	// A new change is picked up by a scheduled run, then computed.
	now := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	e.gerrit.Update(func(cs []gt.Change) []gt.Change {
		return append(cs, gt.Change{
			Number: 5, Project: "demo/alpha", Branch: "master", Subject: "Fresh", Status: "NEW", Owner: bob, Created: now,
			Revisions: []gt.Revision{{Number: 1, Created: now, Uploader: bob}},
			Messages:  []gt.Message{msg("5a", &bob, now, "autogenerated:gerrit:newPatchSet", "Uploaded patch set 1.", 1)},
		})
	})
	eventually(t, 15*time.Second, "a scheduled run to collect the new change", func() bool {
		r := e.rows(t, `SELECT count() FROM DB.change_metrics`)
		return len(r) == 1 && r[0] == "5"
	})

	// A failing source makes /healthz degraded, with the reason.
	e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return true
	})
	var h daemon.Health
	eventually(t, 15*time.Second, "/healthz to report the failure", func() bool {
		var code int
		code, h = d.health(t)
		return code == http.StatusOK && h.Status == daemon.HealthDegraded
	})
	if !strings.Contains(h.Reason, "source demo failed its last run") || !strings.Contains(h.Reason, "503") {
		t.Errorf("degraded reason %q", h.Reason)
	}
	e.gerrit.SetFault(nil)
	eventually(t, 15*time.Second, "recovery", func() bool {
		_, h := d.health(t)
		return h.Status == daemon.HealthOK
	})
	if v := d.metric(t, `codepace_runs_total{source="demo",status="failed"}`); v < 1 {
		t.Errorf("failed runs = %v", v)
	}
	if v := d.metric(t, `codepace_runs_total{source="demo",status="ok"}`); v < 3 {
		t.Errorf("ok runs = %v, want >= 3", v)
	}
	if v := d.metric(t, `codepace_last_success_timestamp_seconds{source="demo"}`); time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Errorf("last success timestamp %v", v)
	}

	// SIGTERM while a run is stuck on Gerrit: after the 1s grace period the
	// run is cancelled, recorded as failed, and the daemon exits with nil.
	stalled := make(chan struct{}, 1)
	e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case stalled <- struct{}{}:
		default:
		}
		<-r.Context().Done()
		return true
	})
	select {
	case <-stalled:
	case <-time.After(15 * time.Second):
		t.Fatal("no run reached the stalled Gerrit")
	}
	err, took := d.stop(t)
	if err != nil {
		t.Fatalf("daemon after SIGTERM: %v (want exit status 0)", err)
	}
	if took < time.Second || took > 15*time.Second {
		t.Errorf("shutdown took %v with a 1s grace period and a stuck run", took)
	}
	e.gerrit.SetFault(nil)
	diffRows(t, "runs still marked running", e.rows(t,
		`SELECT count() FROM DB.collector_runs WHERE status = 'running'`), []string{"0"})
	diffRows(t, "after SIGTERM", e.rows(t, `SELECT count() FROM DB.change_metrics`), []string{"5"})

	// A restart resumes: the last success is older than one interval, so it
	// runs at once, and nothing is duplicated.
	time.Sleep(2 * time.Second)
	d2 := startDaemon(t, e, lock)
	eventually(t, 30*time.Second, "the catch-up run after restart", func() bool {
		_, h := d2.health(t)
		return len(h.Sources) == 1 && h.Sources[0].Status == daemon.SourceOK
	})
	diffRows(t, "after restart", e.rows(t, `SELECT count() FROM DB.change_metrics`), []string{"5"})
	if err, _ := d2.stop(t); err != nil {
		t.Fatal(err)
	}
	if out := d.out.String() + d2.out.String(); strings.Contains(out, "s3cret-pass") {
		t.Error("the Gerrit password appears in the daemon's output")
	}
}

// TestDaemonKeepsGitHubETags checks that the daemon keeps a source's
// collector between runs: the GitHub collector's second run sends the ETag
// of the first one's answers, so an unchanged list is a 304, which costs no
// rate limit. A collector made afresh for each run would send none. (REST:
// GraphQL queries are POSTs, never conditional.)
func TestDaemonKeepsGitHubETags(t *testing.T) {
	org := &ght.User{Login: "acme", ID: 9001, Type: "Organization"}
	al := &ght.User{Login: "alice", ID: 1001, Type: "User"}
	repo := &ght.Repo{Owner: org, Name: "widgets", ID: 1, Pulls: []*ght.Pull{
		{Number: 1, ID: 11, Title: "Open", User: al, State: "open", Created: t0, Updated: t0.Add(hour),
			Commits: []ght.Commit{{SHA: "a1", Author: al, AuthorName: "alice", AuthorEmail: "a@example.org", Authored: t0, Committed: t0}}},
	}}
	gh := ght.New("gh-s3cret", repo)
	defer gh.Close()
	e := setup(t, history(), fmt.Sprintf(`    schedule: "@every 1h"
  - name: hub
    type: github
    owner: acme
    repos: [widgets]
    token_env: E2E_GITHUB_TOKEN
    base_url: %s
    since: 2024-01-01
    schedule: "@every 1s"
    retries: 0
    api: rest
daemon:
  jitter: 0s
  grace_period: 1s
`, gh.URL()))
	t.Setenv("E2E_GERRIT_PASSWORD", "s3cret-pass")
	t.Setenv("E2E_GITHUB_TOKEN", "gh-s3cret")
	d := startDaemon(t, e, filepath.Join(t.TempDir(), "codepace.lock"))
	eventually(t, 30*time.Second, "the first run of both sources", func() bool {
		code, h := d.health(t)
		return code == http.StatusOK && h.Status == daemon.HealthOK && len(h.Sources) == 2 &&
			h.Sources[0].Status == daemon.SourceOK && h.Sources[1].Status == daemon.SourceOK
	})
	eventually(t, 30*time.Second, "a later GitHub run answered 304", func() bool {
		return gh.NotModified() >= 1
	})
	// The 304s cost no budget: after the first run, only the pages that
	// changed would; none did.
	used := gh.Used()
	runs := d.metric(t, `codepace_runs_total{source="hub",status="ok"}`)
	eventually(t, 30*time.Second, "two more GitHub runs", func() bool {
		return d.metric(t, `codepace_runs_total{source="hub",status="ok"}`) >= runs+2
	})
	if got := gh.Used(); got != used {
		t.Errorf("unchanged runs used %d units of the rate limit, want 0", got-used)
	}
}
