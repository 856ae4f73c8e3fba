package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/codepace/codepace/keyresults"
	"github.com/codepace/codepace/keyresults/page"
)

// writeReportHTML writes the scoreboard as of at as an HTML page (the page
// of `report --format html`) to path atomically: into a temporary file
// beside it, synced, then renamed over it, so that whoever reads path (a
// web server, a browser, a mail job) sees the previous page or the new
// one, never a part of it.
func writeReportHTML(path string, at time.Time, results []keyresults.Result) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("daemon.report_html: %w", err)
	}
	defer os.Remove(f.Name()) // nothing left there once renamed
	w := bufio.NewWriter(f)
	err = page.Write(w, at, results)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it 0600; the page is for readers
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("daemon.report_html: write %s: %w", path, err)
	}
	return nil
}

// checkReportHTML says whether the daemon can write daemon.report_html:
// its directory must exist.
func checkReportHTML(path string) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("daemon.report_html: %s: the directory %s does not exist", path, dir)
	}
	return nil
}
