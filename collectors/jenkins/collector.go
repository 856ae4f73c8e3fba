// Package jenkins collects CI builds from a Jenkins server's JSON API
// (/api/json with `tree=`).
//
// # What a collection reads
//
// The jobs are the configured job paths ("folder/job"; a path that names a
// folder or multibranch project stands for every job below it), or, when
// none is configured, every job of the server: folders, organisation
// folders and multibranch projects are walked through their
// jobs[name,url,_class], at any depth. Item names are used as Jenkins
// spells them: a multibranch branch "feature/x" is the item "feature%2Fx",
// requested as /job/project/job/feature%252Fx/.
//
// Each item is read with one request whose tree asks both for its jobs (a
// folder answers with them) and for the first page of its builds (a job
// answers with them):
//
//	_class,jobs[name,url,_class],allBuilds[number,timestamp,duration,result,building,url,queueId,actions[parameters[name,value],queuingDurationMillis]]{0,N}
//
// where N is at most 25: an incremental run usually needs only the few
// newest builds of each job. Builds come newest first; further pages ask
// for allBuilds{M,M+PageSize} (the `builds` property stops at 100) until a
// page ends with a build that started before the window's start, or the
// history ends. Only builds that started at or after the window's start
// are stored.
//
// # The cursor and running builds
//
// A build still running (building true, result null) is not stored: its
// duration and result are not known yet. So that the next collection reads
// it again, the cursor saved at the end is the earlier of the collection's
// start and the start of the earliest build seen running; the next
// collection then starts at or before that build's start (minus the
// overlap) and stores it once it has finished. A build that has been
// running for longer than Options.MaxRunning (a stuck build) no longer
// holds the cursor back; it is logged, and stored only if it finishes
// while still inside a later collection's span.
//
// The cursor is saved only when every job was read. A job or folder that
// cannot be read (a configured path that no longer exists, an answer that
// is not valid JSON, or JSON that is not the item asked for: `null`, `{}`,
// an object with none of _class, jobs and allBuilds, a page of builds
// without allBuilds) is reported and the others are still read, but the
// cursor stays; a job that vanished while the folders were walked
// (deleted meanwhile) is logged and skipped. Credentials that Jenkins
// refuses, an HTML login page, and a server that keeps failing end the
// collection at once.
//
// # How it maps onto records
//
// One collectors.Build per finished build: System "jenkins", Pipeline the
// folder path of the job ("" at the top level; for a multibranch branch
// the multibranch project's path), Job the job's full name, BuildID and URL
// the build's URL, Result as Jenkins says (SUCCESS, UNSTABLE, FAILURE,
// ABORTED, NOT_BUILT), Started the build's timestamp, Finished timestamp +
// duration, DurationS the duration in whole seconds, QueuedS the metrics
// plugin's queuingDurationMillis when present. A build whose parameters
// carry GERRIT_CHANGE_NUMBER / GERRIT_PATCHSET_NUMBER (Gerrit Trigger) or
// ZUUL_CHANGE / ZUUL_PATCHSET (Zuul v2) is linked to that change (Change,
// Patchset), and Project is GERRIT_PROJECT or ZUUL_PROJECT when present.
//
// A finished build that cannot be mapped is skipped, logged and counted in
// Stats.Skipped, and the cursor still moves (reading the job again would
// not make it readable): a build without a number, without a start time,
// with a negative duration, with a duration longer than the storable span
// (about 136 years: no such build can start and finish where ClickHouse
// can store it, and beyond 292 years time.Duration would overflow), or
// whose start or finish falls outside the instants ClickHouse's DateTime
// holds (collectors.CheckTime: 1970 to 2105). Starts and finishes in the
// future within that span are stored as Jenkins reports them.
//
// The collection ends with one log line "jenkins requests" giving the
// requests sent, jobs read, builds stored and skipped, the total time
// waited before retries (waited) and the time the collection took.
package jenkins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// Options configures a Jenkins collector.
type Options struct {
	Name string // source name, stored in every record
	// URL is the Jenkins root URL (the page that lists the jobs), without
	// credentials.
	URL string
	// Jobs are job paths such as "folder/job"; a folder or multibranch
	// project stands for every job below it. Empty means every job.
	Jobs []string
	// Username and Token authenticate with HTTP Basic (a user and one of
	// its API tokens); empty Username sends anonymous requests.
	Username string
	Token    string
	// PageSize is how many builds one request asks for (default 100);
	// the first request of each job asks for at most 25.
	PageSize int
	// MaxAnswerBytes bounds one answer once decompressed (default
	// httpx.DefaultMaxAnswerBytes).
	MaxAnswerBytes int64
	// Timeout bounds one HTTP request (default, as httpx's: 1 minute).
	Timeout time.Duration
	// Retries is how many times a retryable failure (429, 408, 5xx,
	// network, an answer cut short) is retried; Backoff the first wait
	// (default 1s), doubled each time.
	Retries int
	Backoff time.Duration
	// MaxRunning is how long a running build holds the cursor back
	// (default 48h); see the package documentation.
	MaxRunning time.Duration
	Logger     *slog.Logger
	// Progress, when set, is called after every job.
	Progress func(collectors.Progress)
	// Now returns the current time; tests set it.
	Now func() time.Time
}

// firstPage bounds the builds the first request of each job asks for.
const firstPage = 25

// Defaults.
const (
	defaultPageSize   = 100
	defaultMaxRunning = 48 * time.Hour
)

// Collector reads the builds of one Jenkins source.
type Collector struct {
	opts Options
	jobs []job
	c    *client
	log  *slog.Logger
}

// New validates opts and returns a collector; it makes no request.
func New(opts Options) (*Collector, error) {
	if opts.Name == "" {
		return nil, fmt.Errorf("jenkins source: no name")
	}
	u, err := url.Parse(strings.TrimSpace(opts.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("jenkins source %q: url: want the Jenkins root URL, such as https://jenkins.example.org/", opts.Name)
	}
	if u.User != nil {
		return nil, fmt.Errorf("jenkins source %q: url: remove user:password@ from the URL; set username and token instead", opts.Name)
	}
	u.RawQuery, u.Fragment = "", ""
	base := strings.TrimSuffix(u.String(), "/") + "/"
	var jobs []job
	for _, s := range opts.Jobs {
		j, err := parseJob(s)
		if err != nil {
			return nil, fmt.Errorf("jenkins source %q: %w", opts.Name, err)
		}
		jobs = append(jobs, j)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = defaultPageSize
	}
	if opts.MaxRunning <= 0 {
		opts.MaxRunning = defaultMaxRunning
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hx, err := httpx.New(httpx.Config{System: "Jenkins", BaseURL: base, Username: opts.Username, Password: opts.Token,
		Timeout: opts.Timeout, Retries: opts.Retries, Backoff: opts.Backoff, MaxAnswerBytes: opts.MaxAnswerBytes,
		Items: treeItems, Hints: hints, Logger: opts.Logger.With("source", opts.Name)})
	if err != nil {
		return nil, fmt.Errorf("jenkins source %q: %w", opts.Name, err)
	}
	log := hx.Redactor().Logger(opts.Logger).With("source", opts.Name)
	return &Collector{opts: opts, jobs: jobs, c: &client{hx: hx, base: base}, log: log}, nil
}

// Name returns the source name.
func (j *Collector) Name() string { return j.opts.Name }

// run is the state of one collection.
type run struct {
	from     time.Time // builds that started before are not stored
	start    time.Time // when the collection started
	hold     time.Time // the cursor to save: start, or the earliest running build's start
	sink     collectors.Sink
	st       *collectors.Stats
	jobs     int
	seenJobs map[string]bool
	errs     []error
}

// Collect stores every build of the source's jobs that started since
// w.From and has finished, job by job, and saves the cursor once every job
// was read (see the package documentation for which instant).
func (j *Collector) Collect(ctx context.Context, w collectors.Window, sink collectors.Sink) (st collectors.Stats, err error) {
	req0, waited0 := j.c.hx.Requests(), j.c.hx.Waited()
	started := time.Now()
	r := &run{from: w.From.UTC(), start: j.opts.Now().UTC(), sink: sink, st: &st, seenJobs: map[string]bool{}}
	r.hold = r.start
	defer func() {
		st.Requests = j.c.hx.Requests() - req0
		err = j.c.hx.Redactor().Error(err)
		j.log.Info("jenkins requests", "requests", st.Requests, "jobs", r.jobs, "builds", st.Builds,
			"skipped", st.Skipped, "waited", (j.c.hx.Waited() - waited0).Round(time.Millisecond).String(),
			"took", time.Since(started).Round(time.Millisecond).String())
	}()
	roots := j.jobs
	if len(roots) == 0 {
		roots = []job{nil} // the Jenkins root: every job
	}
	for _, root := range roots {
		if err := j.walk(ctx, root, true, r); err != nil {
			return st, fmt.Errorf("jenkins source %q: %w", j.opts.Name, errors.Join(append(r.errs, err)...))
		}
	}
	if len(r.errs) > 0 {
		return st, fmt.Errorf("jenkins source %q: %w", j.opts.Name, errors.Join(r.errs...))
	}
	if r.hold.Before(r.start) {
		j.log.Info("a running build holds the cursor back", "cursor", r.hold.Format(time.RFC3339))
	}
	if err := sink.SaveCursor(ctx, j.opts.Name, r.hold); err != nil {
		return st, err
	}
	return st, nil
}

// firstTree asks for an item's jobs (a folder) and the first page of its
// builds (a job).
func firstTree(n int) string {
	return "_class,jobs[name,url,_class],allBuilds[" + buildFields + "]{0," + strconv.Itoa(n) + "}"
}

// apiPath is the JSON API path of an item with the given tree.
func apiPath(j job, tree string) string {
	return j.path() + "api/json?tree=" + url.QueryEscape(tree)
}

// walk reads the item at path p: the jobs below it when it is a folder,
// its builds when it is a job. configured is true for a path the
// configuration names (or the root). It returns only errors that end the
// collection; others are added to r.errs.
func (j *Collector) walk(ctx context.Context, p job, configured bool, r *run) error {
	var item itemJSON
	err := j.c.getJSON(ctx, apiPath(p, firstTree(min(j.opts.PageSize, firstPage))), &item)
	if err != nil {
		return j.itemError(ctx, p, configured, err, r)
	}
	if len(p) == 0 || item.Jobs != nil || isFolder(item.Class) {
		if len(item.Jobs) == 0 && len(p) > 0 {
			j.log.Debug("empty folder", "folder", p.FullName())
		}
		for _, c := range item.Jobs {
			if c.Name == "" {
				r.st.Skipped++
				j.log.Error("skipped an item Jenkins listed without a name", "folder", p.FullName(), "class", c.Class)
				continue
			}
			child := append(append(job{}, p...), c.Name)
			if err := j.walk(ctx, child, false, r); err != nil {
				return err
			}
		}
		return nil
	}
	return j.job(ctx, p, configured, item.AllBuilds, r)
}

// itemError decides what an error reading item p means: a job deleted
// while walking is skipped, a configured path that cannot be read is
// reported (the others are still read), and anything that would fail for
// every job ends the collection.
func (j *Collector) itemError(ctx context.Context, p job, configured bool, err error, r *run) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	what := "job " + strconv.Quote(p.FullName())
	if len(p) == 0 {
		what = "the job list"
	}
	switch status := httpx.StatusOf(err); {
	case status == http.StatusNotFound && !configured:
		r.st.Skipped++
		j.log.Warn("a job vanished while codepace read the folders (deleted or renamed meanwhile); skipped", "job", p.FullName(), "error", err.Error())
		return nil
	case status == http.StatusNotFound && len(p) > 0:
		r.errs = append(r.errs, fmt.Errorf("%s: %w; fix jobs in the configuration (the cursor does not move until every job is read)", what, err))
		return nil
	case errors.Is(err, httpx.ErrNotJSON) && !errors.Is(err, httpx.ErrHTML):
		r.errs = append(r.errs, fmt.Errorf("%s: %w", what, err))
		j.log.Error("job not collected; the cursor will not move", "job", p.FullName(), "error", err.Error())
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// job stores the finished builds of job p that started since r.from; first
// is the first page of its builds, newest first.
func (j *Collector) job(ctx context.Context, p job, configured bool, first []buildJSON, r *run) error {
	name := p.FullName()
	if r.seenJobs[name] {
		return nil // named twice, through a folder and on its own
	}
	r.seenJobs[name] = true
	page, lo, n := first, 0, min(j.opts.PageSize, firstPage)
	seen := map[int64]bool{}
	pager := httpx.Pager{What: "builds of job " + strconv.Quote(name)}
	for {
		keys := make([]string, len(page))
		for i := range page {
			keys[i] = strconv.FormatInt(page[i].Number, 10)
		}
		var batch collectors.Batch
		for i := range page {
			b := &page[i]
			if b.Number <= 0 {
				// Jenkins numbers builds from 1: a `null` or `{}` entry.
				r.st.Skipped++
				j.log.Error("skipped a build codepace cannot read", "job", name, "error", "a build without a number (not a Jenkins build)")
				continue
			}
			if seen[b.Number] {
				continue // moved to this page by builds started while paging
			}
			seen[b.Number] = true
			if b.running() {
				j.hold(p, b, r)
				continue
			}
			if b.Timestamp > 0 && b.started().Before(r.from) {
				continue
			}
			rec, err := toBuild(j.opts.Name, j.c.base, p, b)
			if err == nil {
				err = storable(p, b, rec)
			}
			if err != nil {
				r.st.Skipped++
				j.log.Error("skipped a build codepace cannot read", "job", name, "error", err.Error())
				continue
			}
			batch.Builds = append(batch.Builds, rec)
		}
		if len(batch.Builds) > 0 {
			if err := r.sink.Write(ctx, batch); err != nil {
				return err
			}
			r.st.Builds += len(batch.Builds)
		}
		if len(page) < n || page[len(page)-1].started().Before(r.from) {
			break
		}
		lo, n = lo+n, j.opts.PageSize
		if err := pager.Page(keys, strconv.Itoa(lo)); err != nil {
			return err
		}
		var more pageJSON
		tree := "allBuilds[" + buildFields + "]{" + strconv.Itoa(lo) + "," + strconv.Itoa(lo+n) + "}"
		if err := j.c.getJSON(ctx, apiPath(p, tree), &more); err != nil {
			return j.itemError(ctx, p, configured, err, r)
		}
		page = more.AllBuilds
	}
	r.jobs++
	if j.opts.Progress != nil {
		j.opts.Progress(collectors.Progress{Source: j.opts.Name, Item: name, Items: r.jobs, Builds: r.st.Builds})
	}
	return nil
}

// hold keeps the cursor at or before the start of running build b, unless
// it has run for longer than MaxRunning.
func (j *Collector) hold(p job, b *buildJSON, r *run) {
	if b.Timestamp <= 0 {
		return // not started yet: it will start after this collection began
	}
	s := b.started()
	if r.start.Sub(s) > j.opts.MaxRunning {
		j.log.Warn("a build has been running for longer than max_running; it no longer holds the cursor back and is stored only if it finishes within a later collection's span",
			"job", p.FullName(), "build", b.Number, "started", s.Format(time.RFC3339))
		return
	}
	if s.Before(r.hold) {
		r.hold = s
	}
}
