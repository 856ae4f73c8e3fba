// Command codepace-bench measures codepace against the Gerrit test server
// over loopback and a real ClickHouse, for histories of several sizes:
//
//	go run ./cmd/codepace-bench -sizes 10000,200000,1000000
//
// For each size it builds codepace and the test server, serves a generated
// history from a separate process, and reports: the full backfill (`run`:
// migrate, collect and compute) with wall time, changes per second, peak RSS
// and API requests; the fetch-and-decode floor, that is the same pages
// fetched and JSON-decoded by a minimal client doing nothing else; the
// database's bytes on disk per change; an incremental run with nothing
// changed, then one after 0.1% and one after 1% of the changes were
// updated (the test server's mix of new changes, comments, votes, CI
// reports, merges, abandons and restores); `compute` alone; and the
// latency of every dashboard query (each
// panel, variable and annotation query of the dashboards as Grafana expands
// it, with every variable All and with every variable set, and the alert
// rules' queries): one warm-up and -latency-runs timed runs each, reading
// every row, summed up as the median of the medians and the worst median.
// It ends with issue 16's targets as a Markdown table, judged at the
// largest size. BENCHMARKS.md records the figures.
//
// -github measures GitHub collection through REST and GraphQL instead (see
// github.go). -latency-only measures only the dashboard queries, against an
// existing database that `codepace run` filled:
//
//	go run ./cmd/codepace-bench -latency-only codepace -queries
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/codepace/codepace/collectors/gerrit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "codepace-bench:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	sizes      []int
	clickhouse string
	seed       int64
	keep       bool
	// latencyRuns is how many timed runs of each dashboard query.
	latencyRuns int
	// allQueries prints every dashboard query's latency, not only the
	// slowest.
	allQueries bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("codepace-bench", flag.ContinueOnError)
	sizes := fs.String("sizes", "10000,200000,1000000", "history sizes (changes), comma-separated")
	var o options
	fs.StringVar(&o.clickhouse, "clickhouse", "127.0.0.1:9000", "ClickHouse native address")
	fs.Int64Var(&o.seed, "seed", 1, "generator seed")
	fs.BoolVar(&o.keep, "keep", false, "keep the benchmark databases")
	fs.IntVar(&o.latencyRuns, "latency-runs", 5, "timed runs of each dashboard query (after one warm-up)")
	fs.BoolVar(&o.allQueries, "queries", false, "print the latency of every dashboard query, not only the 5 slowest")
	latencyOnly := fs.String("latency-only", "", "measure only the dashboard queries, against this existing database")
	github := fs.Bool("github", false, "measure GitHub collection through REST and GraphQL instead (sizes in pull requests, default 1000,10000)")
	fs.StringVar(&logDir, "log-dir", "", "keep codepace's log of every command in this directory (NN-verb.log)")
	delay := fs.Duration("delay", 0, "with -github: delay every answer of the GitHub test server by this much")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.latencyRuns < 1 {
		return fmt.Errorf("-latency-runs: %d is not a positive number", o.latencyRuns)
	}
	if *latencyOnly != "" {
		l, err := measureLatency(ctx, o.clickhouse, *latencyOnly, o.latencyRuns)
		if err != nil {
			return err
		}
		reportLatency(out, []latency{l}, o.allQueries)
		return nil
	}
	if *github {
		sizesSet := false
		fs.Visit(func(f *flag.Flag) { sizesSet = sizesSet || f.Name == "sizes" })
		if !sizesSet {
			*sizes = "1000,10000"
		}
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if *github {
		return measureGitHub(ctx, out, o, *delay)
	}
	dir, err := os.MkdirTemp("", "codepace-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, pkg := range []string{"codepace", "gerrittest"} {
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, pkg), "./cmd/"+pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s (run from the repository root): %v\n%s", pkg, err, b)
		}
	}
	var results []result
	var latencies []latency
	for _, n := range o.sizes {
		r, err := measure(ctx, dir, n, o)
		if err != nil {
			return fmt.Errorf("%d changes: %w", n, err)
		}
		results = append(results, r)
		latencies = append(latencies, r.latency)
		report(out, results)
		reportRuns(out, r)
		reportLatency(out, latencies, o.allQueries)
	}
	reportTargets(out, results)
	return nil
}

// step is one measured command.
type step struct {
	wall     time.Duration
	rssKB    int64
	requests int
	changes  int
	// collect is how long the collection took, by codepace's log.
	collect time.Duration
	// compute is what codepace's compute did, from its log: "skipped",
	// "full" or "incremental" with why, the touched changes, its time and
	// its steps' times.
	compute computeLog
}

// computeLog is codepace's account of one compute (its "computed" or
// "skipping compute" log line).
type computeLog struct {
	kind, why, steps string
	touched          int
	took             time.Duration
}

// result holds the figures of one history size.
type result struct {
	n               int
	backfill, floor step
	idle, compute   step
	// updates are the runs after each of updatePercents of the changes
	// were updated, in that order.
	updates     []update
	diskBytes   int64         // the database's active parts on disk, after the backfill
	serverStart time.Duration // generating and serving the history
	serverRSSKB int64         // the test server's peak RSS, at the end
	latency     latency       // of the dashboard queries, after the runs
}

// updatePercents are the shares of the changes each update run touches,
// one after the other, on the same database.
var updatePercents = []float64{0.1, 1}

// update is one update of the served history and the run after it.
type update struct {
	percent float64
	// touched is the test server's account of the update: "N new=N
	// comment=N vote=N build=N merge=N abandon=N restore=N".
	touched string
	run     step
}

func measure(ctx context.Context, dir string, n int, o options) (result, error) {
	r := result{n: n}
	port, err := freePort()
	if err != nil {
		return r, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	start, years := history(time.Now())
	began := time.Now()
	srv := exec.CommandContext(ctx, filepath.Join(dir, "gerrittest"), "-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"-changes", strconv.Itoa(n), "-seed", strconv.FormatInt(o.seed, 10), "-start", start, "-years", years, "-touch")
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		return r, err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	if err := waitFor(ctx, base+"config/server/version", 5*time.Minute); err != nil {
		return r, err
	}
	r.serverStart = time.Since(began)

	db := fmt.Sprintf("codepace_bench_%d", n)
	conf := filepath.Join(dir, db+".yaml")
	body := fmt.Sprintf("clickhouse: {addr: %q, database: %s}\nsources:\n  - {name: bench, type: gerrit, url: %q, since: %s, bots: [\"*-bot\"]}\n",
		o.clickhouse, db, base, start)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return r, err
	}
	codepace := func(args ...string) (step, error) {
		return timed(ctx, filepath.Join(dir, "codepace"), append(args, "--config", conf)...)
	}
	if err := dropDatabase(ctx, db); err != nil {
		return r, err
	}
	if !o.keep {
		defer dropDatabase(context.WithoutCancel(ctx), db)
	}

	if r.floor, err = floor(ctx, base, start); err != nil {
		return r, fmt.Errorf("floor: %w", err)
	}
	if r.backfill, err = codepace("run"); err != nil {
		return r, err
	}
	if r.diskBytes, err = diskBytes(ctx, db); err != nil {
		return r, err
	}
	if r.idle, err = codepace("run"); err != nil {
		return r, err
	}
	for i, p := range updatePercents {
		u := update{percent: p}
		if u.touched, err = touch(base, p, o.seed+int64(i)); err != nil {
			return r, err
		}
		if u.run, err = codepace("run"); err != nil {
			return r, err
		}
		r.updates = append(r.updates, u)
	}
	if r.compute, err = codepace("compute"); err != nil {
		return r, err
	}
	if r.latency, err = measureLatency(ctx, o.clickhouse, db, o.latencyRuns); err != nil {
		return r, fmt.Errorf("dashboard queries: %w", err)
	}
	r.serverRSSKB, _ = vmHWM(fmt.Sprintf("/proc/%d/status", srv.Process.Pid))
	return r, nil
}

// history is the generated history's first day and length in years
// (gerrittest's -start and -years): about five years, ending an hour before
// now. The generator's year is 365.25 days, so five years from a date
// five calendar years ago can end hours after now, and every run would
// collect again the changes updated after now, as if they had changed.
func history(now time.Time) (start, years string) {
	from := now.UTC().AddDate(-5, 0, 0).Truncate(24 * time.Hour)
	span := now.Add(-time.Hour).Sub(from)
	return from.Format("2006-01-02"), strconv.FormatFloat(span.Hours()/24/365.25, 'f', 9, 64)
}

// touch asks the test server to update percent% of its changes (a mix of
// new changes, comments, votes, CI reports, merges, abandons and restores,
// drawn by seed) and returns its account of what it touched.
func touch(base string, percent float64, seed int64) (string, error) {
	resp, err := http.Post(fmt.Sprintf("%s_test/touch?percent=%g&seed=%d", base, percent, seed), "text/plain", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("update of %g%%: %s %v %s", percent, resp.Status, err, b)
	}
	return strings.TrimSpace(string(b)), nil
}

// diskBytes is the size on disk of the database's active parts.
func diskBytes(ctx context.Context, db string) (int64, error) {
	q := "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = '" + db + "'"
	out, err := exec.CommandContext(ctx, "clickhouse-client", "-q", q).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("bytes on disk of %s: %v %s", db, err, out)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bytes on disk of %s: %q: %v", db, out, err)
	}
	return n, nil
}

// collectedLine is codepace's log line at the end of a collection.
var collectedLine = regexp.MustCompile(`msg=collected .*changes=(\d+) .*requests=(\d+).* took=(\S+)`)

// computedLine and skippedLine are codepace's log lines at the end of a
// compute and when a run skips it.
var (
	computedLine = regexp.MustCompile(`msg=computed kind=(\w+) why=("(?:[^"\\]|\\.)*"|\S+) touched=(\d+) .* took=(\S+) steps=("(?:[^"\\]|\\.)*"|\S+)`)
	skippedLine  = regexp.MustCompile(`msg="skipping compute: ((?:[^"\\]|\\.)*)"`)
)

// unquote is a log value without the quotes the log puts around values
// with spaces.
func unquote(v string) string {
	if u, err := strconv.Unquote(v); err == nil {
		return u
	}
	return v
}

// readLog fills s's collection and compute figures from codepace's log.
func (s *step) readLog(log string) {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := collectedLine.FindStringSubmatch(line); m != nil {
			c, _ := strconv.Atoi(m[1])
			q, _ := strconv.Atoi(m[2])
			d, _ := time.ParseDuration(m[3])
			s.changes += c
			s.requests += q
			s.collect += d
		}
		if m := computedLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[3])
			d, _ := time.ParseDuration(m[4])
			s.compute = computeLog{kind: m[1], why: unquote(m[2]), touched: n, took: d, steps: unquote(m[5])}
		}
		if m := skippedLine.FindStringSubmatch(line); m != nil {
			s.compute = computeLog{kind: "skipped", why: m[1]}
		}
	}
}

// timed runs a command and measures its wall time and peak RSS; for
// codepace it reads the changes and requests from its log.
func timed(ctx context.Context, name string, args ...string) (step, error) {
	var s step
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	began := time.Now()
	err := cmd.Start()
	if err == nil {
		s.rssKB, err = peakRSS(cmd)
	}
	s.wall = time.Since(began)
	if err != nil {
		return s, fmt.Errorf("%s %s: %v after %.1fs\n%s", filepath.Base(name), strings.Join(args, " "), err, s.wall.Seconds(), logTail(stderr.String()))
	}
	s.readLog(stderr.String())
	return s, keepLog(name, args, stderr.Bytes())
}

// logDir, when set (-log-dir), keeps the log of every command run by
// timed; logs counts them.
var (
	logDir string
	logs   int
)

// keepLog writes a command's log into logDir as NN-name-verb.log.
func keepLog(name string, args []string, log []byte) error {
	if logDir == "" {
		return nil
	}
	logs++
	file := fmt.Sprintf("%02d-%s", logs, filepath.Base(name))
	if len(args) > 0 {
		file += "-" + args[0]
	}
	return os.WriteFile(filepath.Join(logDir, file+".log"), log, 0o644)
}

// logTail is a failed command's log without its progress lines (a
// backfill of 1,000,000 changes logs hundreds), keeping the last of them.
func logTail(log string) string {
	var kept []string
	progress := ""
	for _, line := range strings.Split(strings.TrimRight(log, "\n"), "\n") {
		if strings.Contains(line, " msg=progress ") {
			progress = line
			continue
		}
		if progress != "" {
			kept = append(kept, progress)
			progress = ""
		}
		kept = append(kept, line)
	}
	if progress != "" {
		kept = append(kept, progress)
	}
	return strings.Join(kept, "\n")
}

// decodeAnswer decodes a page as codepace's Gerrit collector does
// (collectors/httpx, collectors/gerrit): the gzipped answer read whole,
// then decompressed with klauspost/compress's reader, a chunk at a time,
// into a gerrit.PageStream after the )]}' guard; base is the server's URL.
func decodeAnswer(resp *http.Response, base string) (changes, bad int, more bool, err error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, false, err
	}
	var r io.Reader = bytes.NewReader(body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if r, err = gzip.NewReader(r); err != nil {
			return 0, 0, false, err
		}
	}
	guard := make([]byte, 4)
	if _, err := io.ReadFull(r, guard); err != nil || string(guard) != ")]}'" {
		return 0, 0, false, fmt.Errorf("an answer without Gerrit's guard (%v)", err)
	}
	ps := gerrit.NewPageStream("bench", base)
	if _, err := io.CopyBuffer(ps, r, make([]byte, 64<<10)); err != nil {
		return 0, 0, false, err
	}
	if err := ps.Close(); err != nil {
		return 0, 0, false, err
	}
	cs, bad, more := ps.Page()
	return len(cs), bad, more, nil
}

// floor fetches the pages a backfill fetches (the same windows, options
// and page size as codepace's defaults) and decodes them (gunzip and JSON)
// as codepace does, nothing else.
func floor(ctx context.Context, base, since string) (step, error) {
	var s step
	from, err := time.Parse("2006-01-02", since)
	if err != nil {
		return s, err
	}
	began := time.Now()
	end := time.Now().UTC()
	const window = 30 * 24 * time.Hour
	for ; from.Before(end); from = from.Add(window) {
		to := from.Add(window)
		q := `after:"` + from.Format("2006-01-02 15:04:05") + `"`
		bounded := to.Before(end)
		if bounded {
			q += ` before:"` + to.Format("2006-01-02 15:04:05") + `"`
		}
		for skip := 0; ; {
			v := url.Values{"q": {q}, "n": {"500"}, "o": {"MESSAGES", "DETAILED_LABELS", "DETAILED_ACCOUNTS", "ALL_REVISIONS", "CURRENT_COMMIT"}}
			if skip > 0 {
				v.Set("S", strconv.Itoa(skip))
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"changes/?"+v.Encode(), nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return s, err
			}
			changes, bad, more, err := decodeAnswer(resp, base)
			if err != nil {
				return s, err
			}
			s.requests++
			n := changes + bad
			s.changes += n
			if n == 0 || !more {
				break
			}
			step := n
			if bounded && step > 10 {
				step -= 10 // codepace's page overlap in bounded windows
			}
			skip += step
		}
	}
	s.wall = time.Since(began)
	return s, nil
}

func report(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "changes\tbackfill s\tchanges/s\tpeak RSS MB\trequests\tfloor s\tcodepace/floor\tdisk B/change\tidle run s\tidle requests\t"
	for _, p := range updatePercents {
		head += fmt.Sprintf("%g%% run s\t%g%% requests\t%g%% collected\t", p, p, p)
	}
	fmt.Fprintln(tw, head+"compute s\tcompute RSS MB\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.0f\t%d\t%.1f\t%.2f\t%.0f\t%.2f\t%d\t",
			r.n, r.backfill.wall.Seconds(), float64(r.backfill.changes)/r.backfill.wall.Seconds(),
			float64(r.backfill.rssKB)/1024, r.backfill.requests, r.floor.wall.Seconds(),
			r.backfill.wall.Seconds()/r.floor.wall.Seconds(), float64(r.diskBytes)/float64(r.n), r.idle.wall.Seconds(), r.idle.requests)
		for _, u := range r.updates {
			fmt.Fprintf(tw, "%.2f\t%d\t%d\t", u.run.wall.Seconds(), u.run.requests, u.run.changes)
		}
		fmt.Fprintf(tw, "%.1f\t%.0f\t\n", r.compute.wall.Seconds(), float64(r.compute.rssKB)/1024)
	}
	tw.Flush()
	last := results[len(results)-1]
	fmt.Fprintf(w, "(%d changes: the server generated and served them in %.1fs, its peak RSS %.0f MB; backfill collected %d changes, floor decoded %d; database %.1f MB on disk after the backfill",
		last.n, last.serverStart.Seconds(), float64(last.serverRSSKB)/1024, last.backfill.changes, last.floor.changes, float64(last.diskBytes)/1e6)
	for _, u := range last.updates {
		fmt.Fprintf(w, "; the %g%% update touched %s, the run collected %d", u.percent, u.touched, u.run.changes)
	}
	fmt.Fprint(w, ")\n\n")
}

// reportRuns prints, for every run and compute of the last size, what
// codepace says it did: the collection's time, requests and changes, and
// whether the compute was full or incremental, why, how many changes it
// touched, and how long it and each of its steps took; and the command's
// peak RSS.
func reportRuns(w io.Writer, r result) {
	fmt.Fprintf(w, "what each command did at %d changes:\n", r.n)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "command\twall s\tpeak RSS MB\tcollect s\trequests\tcollected\tcompute\ttouched\tcompute s\twhy\tsteps")
	line := func(name string, s step) {
		c := s.compute
		took := "-"
		if c.kind != "skipped" && c.kind != "" {
			took = fmt.Sprintf("%.2f", c.took.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%.2f\t%d\t%d\t%s\t%d\t%s\t%s\t%s\n", name, s.wall.Seconds(), float64(s.rssKB)/1024,
			s.collect.Seconds(), s.requests, s.changes, c.kind, c.touched, took, c.why, c.steps)
	}
	line("run (backfill)", r.backfill)
	line("run (idle)", r.idle)
	for _, u := range r.updates {
		line(fmt.Sprintf("run after %g%%", u.percent), u.run)
	}
	line("compute", r.compute)
	tw.Flush()
	fmt.Fprintln(w)
}

// reportTargets prints issue 16's targets, judged at the sizes measured,
// as a Markdown table: figure, target, measured, met or not.
func reportTargets(w io.Writer, results []result) {
	if len(results) == 0 {
		return
	}
	small, big := results[0], results[0]
	for _, r := range results {
		if r.n < small.n {
			small = r
		}
		if r.n > big.n {
			big = r
		}
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	fmt.Fprintf(w, "targets of issue 16 (set at 1,000,000 changes; judged here at %d, the largest size measured):\n\n", big.n)
	fmt.Fprintln(w, "| figure | target | measured | |\n|---|---|---|---|")
	row := func(figure, target, measured string, ok bool) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", figure, target, measured, met(ok))
	}
	bf := big.backfill.wall
	row(fmt.Sprintf("backfill of %d changes, end to end", big.n), "under 8 minutes", fmt.Sprintf("%.1f s", bf.Seconds()), bf < 8*time.Minute)
	var ratios []string
	ratioOK := true
	for _, r := range results {
		x := r.backfill.wall.Seconds() / r.floor.wall.Seconds()
		ratios = append(ratios, fmt.Sprintf("%.2f× at %d", x, r.n))
		if r.n >= 200000 || r.n == big.n {
			ratioOK = ratioOK && x <= 1.6
		}
	}
	row("backfill / floor", "at most 1.6× at 200k and at 1M", strings.Join(ratios, ", "), ratioOK)
	var peak int64
	for _, r := range results {
		peak = max(peak, r.backfill.rssKB, r.compute.rssKB)
		for _, u := range r.updates {
			peak = max(peak, u.run.rssKB)
		}
	}
	growth := float64(big.backfill.rssKB)/float64(small.backfill.rssKB) - 1
	row("peak RSS, any size", "under 300 MB, and 1M no more than 20% above 10k",
		fmt.Sprintf("%.0f MB at most; backfill %.0f MB at %d, %.0f MB at %d (%+.0f%%)", float64(peak)/1024,
			float64(small.backfill.rssKB)/1024, small.n, float64(big.backfill.rssKB)/1024, big.n, 100*growth),
		peak < 300*1024 && growth <= 0.2)
	for i := len(big.updates) - 1; i >= 0; i-- {
		u := big.updates[i]
		limit := 15 * time.Second
		if u.percent < 1 {
			limit = 5 * time.Second
		}
		row(fmt.Sprintf("run after %g%% of %d changed", u.percent, big.n), fmt.Sprintf("under %.0f s, collect + compute", limit.Seconds()),
			fmt.Sprintf("%.2f s (%d requests, %d changes collected)", u.run.wall.Seconds(), u.run.requests, u.run.changes), u.run.wall < limit)
	}
	row(fmt.Sprintf("idle run at %d", big.n), "under 1 s, at most 2 requests per source",
		fmt.Sprintf("%.2f s, %d requests (1 source)", big.idle.wall.Seconds(), big.idle.requests), big.idle.wall < time.Second && big.idle.requests <= 2)
	var worstMedian, worstRun time.Duration
	for _, q := range big.latency.queries {
		worstMedian, worstRun = max(worstMedian, q.median), max(worstRun, q.worst)
	}
	row(fmt.Sprintf("every dashboard query at %d", big.n), "median under 300 ms, worst under 1 s",
		fmt.Sprintf("worst median %.1f ms, worst run %.1f ms (%d queries)", ms(worstMedian), ms(worstRun), len(big.latency.queries)),
		worstMedian < latencyTarget && worstRun < time.Second)
	fmt.Fprintf(w, "| ClickHouse bytes on disk per change | (no target) | %.0f B at %d (%.1f MB) | |\n", float64(big.diskBytes)/float64(big.n), big.n, float64(big.diskBytes)/1e6)
}

// dropDatabase removes a benchmark database with clickhouse-client.
func dropDatabase(ctx context.Context, db string) error {
	cmd := exec.CommandContext(ctx, "clickhouse-client", "-q", "DROP DATABASE IF EXISTS "+db)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("drop %s (is clickhouse-client installed?): %v %s", db, err, out)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitFor(ctx context.Context, u string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("the test server did not answer at " + u)
}
