package main

// End-to-end tests of issue 18 with `codepace run` (and `daemon`) against
// hostile servers: servers that echo the credentials back, a Gerrit that
// pages for ever, and answers built to exhaust memory.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	ght "github.com/codepace/codepace/collectors/github/githubtest"
	jt "github.com/codepace/codepace/collectors/jenkins/jenkinstest"
	"github.com/codepace/codepace/daemon"
	"github.com/codepace/codepace/internal/testserver"
)

// Secrets of the hostile end-to-end tests (the Gerrit one is setup's).
const (
	hostileGitHubToken  = "ghp_E2eEch0edT0ken/With+Specials=0123"
	hostileJenkinsToken = "11e2e3/jenkins token&"
)

// hostileSecretForms are the forms of the configured secrets an echoing
// server sends back, which must appear nowhere.
func hostileSecretForms() []string {
	var forms []string
	for _, up := range [][2]string{{"collector", "s3cret-pass"}, {"", hostileGitHubToken}, {"collector", hostileJenkinsToken}} {
		forms = append(forms, up[1], url.QueryEscape(up[1]), url.PathEscape(up[1]))
		if up[0] != "" {
			basic := base64.StdEncoding.EncodeToString([]byte(up[0] + ":" + up[1]))
			forms = append(forms, basic, strings.TrimRight(basic, "="))
		}
	}
	return forms
}

// echo answers what a server that reflects the request does: the
// Authorization header and the secrets' other forms, in an error page.
func echo(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><head><title>Denied: %s</title></head><body>%s %s</body></html>",
		r.Header.Get("Authorization"), r.Header.Get("Authorization"), strings.Join(hostileSecretForms(), " "))
}

// echoingSources adds a GitHub and a Jenkins source to setup's Gerrit, and
// makes all three echo the credentials: Gerrit with a 401, GitHub with a
// login page (200, to GraphQL and REST), Jenkins with a 500.
func echoingSources(t *testing.T, daemonConfig string) *env {
	gh := ght.New(hostileGitHubToken)
	t.Cleanup(gh.Close)
	gh.SetFault(func(w http.ResponseWriter, r *http.Request) bool { echo(w, r, http.StatusOK); return true })
	jk := jt.New("collector", hostileJenkinsToken)
	t.Cleanup(jk.Close)
	jk.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		echo(w, r, http.StatusInternalServerError)
		return true
	})
	e := setup(t, history(), fmt.Sprintf(`    retries: 1
  - name: gh
    type: github
    owner: acme
    repos: [widgets]
    base_url: %s/api/v3/
    token_env: E2E_HOSTILE_GITHUB_TOKEN
    since: 2024-01-01
    retries: 1
  - name: ci
    type: jenkins
    url: %s
    username: collector
    token_env: E2E_HOSTILE_JENKINS_TOKEN
    since: 2024-01-01
    retries: 1
%s`, gh.URL(), jk.URL(), daemonConfig))
	e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool { echo(w, r, http.StatusUnauthorized); return true })
	t.Setenv("E2E_HOSTILE_GITHUB_TOKEN", hostileGitHubToken)
	t.Setenv("E2E_HOSTILE_JENKINS_TOKEN", hostileJenkinsToken)
	t.Setenv("E2E_GERRIT_PASSWORD", "s3cret-pass")
	return e
}

// noSecret fails t when text holds a form of a configured secret.
func noSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, f := range hostileSecretForms() {
		if strings.Contains(text, f) {
			t.Errorf("%s shows a secret (%q):\n%s", where, f, text)
		}
	}
}

// TestEchoedSecretsGoNowhere (issue 18.5): `codepace run` against three
// servers that echo the credentials back fails, and no form of any secret
// is in its output, in any table, or in the daemon's /healthz and /metrics.
func TestEchoedSecretsGoNowhere(t *testing.T) {
	e := echoingSources(t, `daemon:
  jitter: 0s
`)
	e.mustRun(t, "migrate")
	out, err := e.codepace(t, "run")
	if err == nil {
		t.Fatalf("codepace run succeeded against echoing servers:\n%s", out)
	}
	noSecret(t, "the output of codepace run", out)
	if !strings.Contains(out, "[REDACTED]") {
		t.Errorf("the output shows no redacted echo:\n%s", out)
	}
	runs := e.rows(t, `SELECT source, status, error FROM DB.collector_runs ORDER BY source`)
	if len(runs) != 3 {
		t.Errorf("collector_runs %q: want a row per source", runs)
	}
	for _, r := range runs {
		if !strings.Contains(r, "failed") {
			t.Errorf("collector_runs row %q: want failed", r)
		}
	}
	for _, table := range e.rows(t, `SELECT name FROM system.tables WHERE database = 'DB'`) {
		noSecret(t, "table "+table, strings.Join(e.rows(t, "SELECT * FROM DB."+table), "\n"))
	}

	d := startDaemon(t, e, filepath.Join(t.TempDir(), "codepace.lock"))
	var h daemon.Health
	eventually(t, 30*time.Second, "/healthz to report the failures", func() bool {
		var code int
		code, h = d.health(t)
		return code == http.StatusOK && h.Status == daemon.HealthDegraded && len(h.Sources) == 3 && h.Sources[2].LastError != ""
	})
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get("http://" + d.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		_, _ = fmt.Fprint(&body, readAll(t, resp))
		noSecret(t, path, body.String())
	}
	d.stop(t)
	noSecret(t, "the daemon's log", d.out.String())
}

// readAll returns a response's body and closes it.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestEndlessPagingEndsTheRun (issue 18.3): a Gerrit that answers the same
// page with _more_changes whatever S asks makes `codepace run` fail after
// a few requests with a clear error, recorded as failed in collector_runs.
// (The server answers an empty page after 200 requests so that the test
// ends even when the collector does not stop.) Windows without changes
// take one request each; only the window with changes pages.
func TestEndlessPagingEndsTheRun(t *testing.T) {
	e := setup(t, history(), "    page_size: 2\n    retries: 0\n")
	inner := gt.NewHandler(history(), gt.WithAuth(map[string]string{"collector": "s3cret-pass"}))
	var n, paged atomic.Int32
	e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("S") != "" {
			paged.Add(1)
		}
		if n.Add(1) > 200 {
			fmt.Fprint(w, ")]}'\n[]")
			return true
		}
		q := r.URL.Query()
		q.Del("S")
		r.URL.RawQuery = q.Encode()
		inner.ServeHTTP(w, r)
		return true
	})
	e.mustRun(t, "migrate")
	out, err := e.codepace(t, "run")
	if err == nil || !strings.Contains(out, "brought nothing new") {
		t.Errorf("codepace run: %v\n%s", err, out)
	}
	if paged.Load() > 5 {
		t.Errorf("%d requests for further pages to a server that pages for ever", paged.Load())
	}
	runs := e.rows(t, `SELECT status, error FROM DB.collector_runs`)
	if len(runs) != 1 || !strings.HasPrefix(runs[0], "failed") || !strings.Contains(runs[0], "paging makes no progress") {
		t.Errorf("collector_runs %q: want one failed run saying paging makes no progress", runs)
	}
}

// bigPage is a Gerrit answer of n changes of about 5.6 kB each: 9,000 make
// the 50 MB page of issue 18.
func bigPage(n int) []byte {
	var b strings.Builder
	b.WriteString(")]}'\n[")
	subject := strings.Repeat("x", 5500)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"project":"demo/alpha","branch":"master","_number":%d,"status":"NEW","created":"2024-03-04 09:00:00.000000000","updated":"2024-03-04 10:00:00.000000000","owner":{"_account_id":1000001},"subject":%q}`, i+1, subject)
	}
	b.WriteString("]")
	return []byte(b.String())
}

// runMeasured runs cmd and returns its combined output, its peak RSS in
// MiB (the largest VmHWM of /proc/PID/status, read every 2 ms while it
// runs) and its error. getrusage's ru_maxrss of a child would not do: it
// starts from the parent's at fork, here the test's own.
func runMeasured(t *testing.T, cmd *exec.Cmd) ([]byte, int64, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(status); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
					peak = max(peak, kib>>10)
				}
			}
		}
		select {
		case err := <-done:
			return out.Bytes(), peak, err
		case <-tick.C:
		}
	}
}

// TestHostileAnswersMemory (issue 18.2): `codepace run` against a 4 GiB
// gzip bomb (a few MB on the wire) and against a 50 MB page of 9,000
// changes where 500 were asked ends with a clear error, its peak RSS under
// 300 MiB. It logs the figures, beside an honest run's; rerun with
// -run TestHostileAnswersMemory -v.
func TestHostileAnswersMemory(t *testing.T) {
	page := bigPage(9000)
	tests := []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request)
		want  string
	}{
		{"an honest server, for comparison", nil, ""},
		{"4 GiB gzip bomb", func(w http.ResponseWriter, r *http.Request) { testserver.GzipBomb(4<<30)(w, r) },
			"larger than 67108864 bytes once decompressed (max_answer_bytes)"},
		{"50 MB page of 9,000 changes", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(page)
		}, "items where codepace asked for at most 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, history(), "    retries: 0\n")
			if tt.fault != nil {
				e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool { tt.fault(w, r); return true })
			}
			e.mustRun(t, "migrate")
			cmd := exec.Command(binary, "run", "--config", e.conf)
			cmd.Env = append(os.Environ(), "E2E_GERRIT_PASSWORD=s3cret-pass")
			out, rss, err := runMeasured(t, cmd)
			if (err == nil) != (tt.want == "") || !strings.Contains(string(out), tt.want) {
				t.Errorf("codepace run: %v, want an error saying %q\n%s", err, tt.want, out)
			}
			t.Logf("%s: peak RSS of codepace run %d MiB", tt.name, rss)
			if rss >= 300 {
				t.Errorf("peak RSS %d MiB, want under 300", rss)
			}
		})
	}
}

// TestMaxAnswerBytesFromConfig: a source's max_answer_bytes reaches its
// collector.
func TestMaxAnswerBytesFromConfig(t *testing.T) {
	e := setup(t, history(), "    retries: 0\n    max_answer_bytes: 1MiB\n")
	e.gerrit.SetFault(testserver.GzipBomb(2 << 20))
	e.mustRun(t, "migrate")
	out, err := e.codepace(t, "run")
	if err == nil || !strings.Contains(out, "larger than 1048576 bytes once decompressed (max_answer_bytes)") {
		t.Errorf("codepace run: %v\n%s", err, out)
	}
}
