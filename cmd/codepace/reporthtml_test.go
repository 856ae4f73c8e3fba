package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/keyresults"
)

func TestWriteReportHTMLReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key-results.html")
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	v := 3.5
	results := []keyresults.Result{{Metric: "developer_satisfaction", Manual: true, Status: keyresults.NoData, At: at,
		Start: at.AddDate(-1, 0, 0), DueAt: at.AddDate(0, 6, 0), Due: "2026-09-30", Trend: []keyresults.Point{{At: at, Value: &v}}}}
	if err := os.WriteFile(path, []byte("the previous page"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeReportHTML(path, at, results); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), "developer_satisfaction") {
		t.Fatalf("page %q, %v", b, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	// A directory that is not there: an error naming the key, the old page
	// untouched elsewhere.
	missing := filepath.Join(dir, "no", "such", "page.html")
	if err := writeReportHTML(missing, at, results); err == nil || !strings.Contains(err.Error(), "daemon.report_html") {
		t.Errorf("write into a missing directory: %v", err)
	}
	if err := checkReportHTML(missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("checkReportHTML(%s) = %v", missing, err)
	}
	if err := checkReportHTML(path); err != nil {
		t.Errorf("checkReportHTML(%s) = %v", path, err)
	}
}
