package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRunFailsClearly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, config, want string
	}{
		{"clickhouse down", `clickhouse: {addr: "127.0.0.1:1"}
sources: [{name: g, type: gerrit, url: "http://127.0.0.1:2/", since: 2024-01-01}]
`, "clickhouse 127.0.0.1:1 does not answer"},
		{"unknown key", `clickhouse: {addr: "127.0.0.1:1"}
sources:
  - name: g
    type: gerrit
    url: "http://127.0.0.1:2/"
    since: 2024-01-01
    pasword_env: X
`, `bad.yaml:7: sources[0].pasword_env: unknown key "pasword_env"`},
		{"inline secret", `sources:
  - {name: g, type: gerrit, url: "http://127.0.0.1:2/", since: 2024-01-01, username: u, password: hunter2}
`, "inline secrets are not allowed"},
		{"missing secret env", `sources:
  - {name: g, type: gerrit, url: "http://127.0.0.1:2/", since: 2024-01-01, username: u, password_env: CODEPACE_E2E_UNSET}
`, "CODEPACE_E2E_UNSET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := write("bad.yaml", tt.config)
			out, err := exec.Command(binary, "run", "--config", conf).CombinedOutput()
			if err == nil {
				t.Fatalf("codepace run succeeded:\n%s", out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if strings.Contains(string(out), "hunter2") {
				t.Errorf("the inline password is echoed:\n%s", out)
			}
		})
	}
}

// TestRunGerritFailure: a source that keeps failing makes run exit non-zero,
// records the failed run, and keeps the cursor where the stored data ends,
// so the next run completes what the failed one could not.
func TestRunGerritFailure(t *testing.T) {
	e := setup(t, history(), "")
	e.mustRun(t, "migrate")
	e.gerrit.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return true
	})
	// retries are bounded by the config; keep the test quick.
	rewrite(t, e.conf, "    retries: 1\n")
	out, err := e.codepace(t, "run")
	if err == nil {
		t.Fatalf("run succeeded against a failing Gerrit:\n%s", out)
	}
	if !strings.Contains(out, "HTTP 500") || !strings.Contains(out, e.gerrit.URL()) {
		t.Errorf("output should name the status and the URL:\n%s", out)
	}
	rows := e.rows(t, `SELECT status, items, error != '' FROM DB.collector_runs`)
	diffRows(t, "collector_runs after a failure", rows, []string{"failed | 0 | 1"})
	if got := e.rows(t, `SELECT count() FROM DB.cursors`); got[0] != "0" {
		t.Errorf("a cursor was saved by a run that stored nothing: %v", got)
	}
	e.gerrit.SetFault(nil)
	e.mustRun(t, "run")
	diffRows(t, "after recovery", e.rows(t, `SELECT count() FROM DB.change_metrics`), []string{"4"})
}

func TestRunLock(t *testing.T) {
	e := setup(t, history(), "")
	lock := filepath.Join(t.TempDir(), "run.lock")
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	out, err := e.codepace(t, "run", "--lock", lock)
	if err == nil || !strings.Contains(out, "another codepace run holds the lock") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	// migrate takes the same lock: a migration that rebuilds a table
	// must not meet a run half-way.
	out, err = e.codepace(t, "migrate", "--lock", lock)
	if err == nil || !strings.Contains(out, "another codepace run holds the lock") || !strings.Contains(out, "this migrate did nothing") {
		t.Fatalf("migrate beside a run: %v\n%s", err, out)
	}
	if n := e.rows(t, "SELECT count() FROM system.tables WHERE database = '"+e.db+"'"); n[0] != "0" {
		t.Fatalf("migrate beside a run created %s tables", n[0])
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	e.mustRun(t, "run", "--lock", lock)
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSecretsStayHidden runs with a wrong Gerrit password and a ClickHouse
// password file: neither value may appear in the output or in
// collector_runs.
func TestSecretsStayHidden(t *testing.T) {
	e := setup(t, history(), "")
	cmd := exec.Command(binary, "run", "--config", e.conf)
	cmd.Env = append(os.Environ(), "E2E_GERRIT_PASSWORD=wr0ng-Secret-Value")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "HTTP 401") {
		t.Fatalf("run with a wrong password: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "wr0ng-Secret-Value") {
		t.Errorf("the password appears in the output:\n%s", out)
	}
	for _, r := range e.rows(t, `SELECT error FROM DB.collector_runs`) {
		if strings.Contains(r, "wr0ng-Secret-Value") || !strings.Contains(r, "401") {
			t.Errorf("collector_runs error %q", r)
		}
	}
}
