// Package gerrit collects changes, revisions, messages and votes from a
// Gerrit server's REST API, and the CI builds that Zuul reports on them.
//
// A collection walks the span since the cursor in windows on `updated`,
// oldest window first. Inside a window it pages newest-first with `S`
// offsets until `_more_changes` stops; because offsets shift when changes
// are updated while paging, bounded windows are re-read with a few items of
// overlap per page and every change is written whole, so reading one twice
// does no harm. The cursor moves to the end of a window only after all of it
// is stored.
package gerrit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/collectors/zuul"
)

// Options configures a Gerrit collector.
type Options struct {
	Name     string // source name, stored in every record
	URL      string // Gerrit root URL
	Projects []string
	Username string // HTTP auth user; empty for anonymous access
	Password string // HTTP password
	PageSize int    // changes per request (capped by the server's queryLimit)
	// Concurrency is how many windows are read at once (default 3).
	Concurrency int
	// Window is the span of `updated` one query covers during a backfill.
	Window time.Duration
	// Timeout bounds one HTTP request.
	Timeout time.Duration
	// MaxAnswerBytes bounds one answer once decompressed (default
	// httpx.DefaultMaxAnswerBytes).
	MaxAnswerBytes int64
	// Retries is how many times a retryable failure (429, 5xx, network) is
	// retried; Backoff the first wait, doubled each time.
	Retries int
	Backoff time.Duration
	// IsBot tells whether an account is a bot; untagged CI reports count
	// only from bots.
	IsBot  func(collectors.Account) bool
	Logger *slog.Logger
	// Progress, when set, is called after every stored page, one call at
	// a time.
	Progress func(collectors.Progress)
	// Now returns the current time; tests set it.
	Now func() time.Time
}

// queryOptions are the ChangeInfo parts the metric definitions need.
var queryOptions = []string{
	"MESSAGES",          // review actions, WIP/ready, abandon/restore, Zuul reports
	"DETAILED_LABELS",   // votes with their dates
	"DETAILED_ACCOUNTS", // names, usernames, emails, SERVICE_USER tags
	"ALL_REVISIONS",     // patch sets and when they were uploaded (review rounds)
	"CURRENT_COMMIT",    // author date of the current commit (cycle time)
}

// errNotStarted marks the windows after a failed one; Collect reports the
// failure itself, which comes first in window order.
var errNotStarted = errors.New("not started: an earlier window failed")

// pageOverlap is how many items each page of a bounded window re-reads from
// the page before, to absorb changes that left the window while paging.
const pageOverlap = 10

// Collector reads one Gerrit source.
type Collector struct {
	opts Options
	c    *client
	log  *slog.Logger
}

// New validates opts and returns a collector; it makes no request.
func New(opts Options) (*Collector, error) {
	if opts.Name == "" {
		return nil, fmt.Errorf("gerrit source: no name")
	}
	if opts.PageSize <= 0 {
		opts.PageSize = defaultPageSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultConcurrency
	}
	if opts.Window <= 0 {
		opts.Window = 30 * 24 * time.Hour
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.IsBot == nil {
		opts.IsBot = func(a collectors.Account) bool { return a.Service }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	base := strings.TrimSuffix(opts.URL, "/") + "/"
	hx, err := httpx.New(httpx.Config{System: "Gerrit", BaseURL: base, Username: opts.Username, Password: opts.Password,
		Timeout: opts.Timeout, Retries: opts.Retries, Backoff: opts.Backoff, MaxAnswerBytes: opts.MaxAnswerBytes,
		Items: queryItems, Hints: hints, Logger: opts.Logger.With("source", opts.Name)})
	if err != nil {
		return nil, fmt.Errorf("gerrit source %q: %w", opts.Name, err)
	}
	cl := &client{hx: hx, base: base}
	if opts.Username != "" {
		cl.prefix = "a/"
	}
	log := hx.Redactor().Logger(opts.Logger).With("source", opts.Name)
	return &Collector{opts: opts, c: cl, log: log}, nil
}

// Name returns the source name.
func (g *Collector) Name() string { return g.opts.Name }

// span is one window of a collection: changes updated in [from, to]; the
// last one is unbounded (no before: in its query).
type span struct {
	from, to time.Time
	bounded  bool
}

// collection is the state one Collect call shares between its windows,
// which run concurrently.
type collection struct {
	mu sync.Mutex
	// edges holds the update time of each change stored by this run that
	// was updated within a second of its window's start or end: Gerrit's
	// after: and before: take whole seconds, so the windows on both sides
	// of an edge can both bring it. Any other change comes in one window
	// only, and is read again only by that window's next page (see
	// pageKeys). Held only for edges, this stays a few changes, where
	// every change of the windows in flight (16,700 a window at 1,000,000
	// changes) took 5.9 MB of the collection's heap (BENCHMARKS.md).
	edges map[changeKey]time.Time
	st    collectors.Stats
}

// pageKeys are the changes of one page of a window, with their update
// times. The window's next page reads the last ones again: its overlap,
// or the end of the page pushed down by changes updated meanwhile.
type pageKeys map[changeKey]time.Time

// changeKey names a change on a server: numbers are unique per server in
// general, but not on servers with changes imported from another, where
// two projects can hold the same number.
type changeKey struct {
	project string
	number  int64
}

func keyOf(c collectors.Change) changeKey { return changeKey{c.Project, c.Number} }

// fresh keeps the changes of a page of window sp that this run has not
// stored: not on the window's previous page (prev) or earlier on this
// one with the same update time, nor stored by another window on an
// edge. It returns them, and this page's keys for the next page.
func (c *collection) fresh(sp span, prev pageKeys, changes []collectors.Change) ([]collectors.Change, pageKeys) {
	page := make(pageKeys, len(changes))
	out := changes[:0]
	for _, ch := range changes {
		k := keyOf(ch)
		if u, ok := prev[k]; ok && u.Equal(ch.Updated) {
			page[k] = ch.Updated
			continue
		}
		if u, ok := page[k]; ok && u.Equal(ch.Updated) {
			continue
		}
		page[k] = ch.Updated
		if sp.onEdge(ch.Updated) && !c.firstOnEdge(k, ch.Updated) {
			continue
		}
		out = append(out, ch)
	}
	return out, page
}

// firstOnEdge records a change updated on an edge at u, and tells
// whether no window stored it before.
func (c *collection) firstOnEdge(k changeKey, u time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.edges[k]; ok && prev.Equal(u) {
		return false
	}
	c.edges[k] = u
	return true
}

// onEdge tells whether t is within a second of the span's start, or of
// its end when it has one.
func (sp span) onEdge(t time.Time) bool {
	near := func(edge time.Time) bool {
		d := t.Sub(edge)
		return d > -time.Second && d < time.Second
	}
	return near(sp.from) || sp.bounded && near(sp.to)
}

// Collect stores every change updated since w.From. It splits the span
// into windows and reads up to Concurrency of them at once, but saves the
// cursor in window order, each time all windows up to it are stored.
func (g *Collector) Collect(ctx context.Context, w collectors.Window, sink collectors.Sink) (collectors.Stats, error) {
	start := g.c.hx.Requests()
	end := g.opts.Now().UTC()
	var spans []span
	for from := w.From.UTC(); from.Before(end); {
		to := from.Add(g.opts.Window)
		bounded := to.Before(end)
		if !bounded {
			to = end
		}
		spans = append(spans, span{from, to, bounded})
		from = to
	}
	run := &collection{edges: map[changeKey]time.Time{}}
	stats := func() collectors.Stats {
		run.mu.Lock()
		defer run.mu.Unlock()
		st := run.st
		st.Requests = g.c.hx.Requests() - start
		return st
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // no window writes after Collect returns
	defer cancel()  // windows after a failed one stop
	done := make([]chan error, len(spans))
	for i := range done {
		done[i] = make(chan error, 1)
	}
	// failed is set by a window that fails, before its slot frees, so that
	// no later window starts; earlier windows still running finish, so the
	// cursor gets as far as the stored data goes.
	var failed atomic.Bool
	wg.Add(1)
	go func() { // starts windows in order, Concurrency at a time
		defer wg.Done()
		slots := make(chan struct{}, g.opts.Concurrency)
		for i, sp := range spans {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
			}
			if failed.Load() || ctx.Err() != nil {
				done[i] <- errNotStarted
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := g.window(ctx, sp, end, run, sink)
				if err != nil {
					failed.Store(true)
				}
				done[i] <- err
				<-slots
			}()
		}
	}()
	for i, sp := range spans {
		if err := <-done[i]; err != nil {
			return stats(), g.c.hx.Redactor().Error(fmt.Errorf("gerrit source %q: %w", g.opts.Name, err))
		}
		if err := sink.SaveCursor(ctx, g.opts.Name, sp.to); err != nil {
			return stats(), err
		}
		// Only changes on the edge can come again in a later window.
		run.mu.Lock()
		for n, u := range run.edges {
			if u.Before(sp.to.Add(-time.Second)) {
				delete(run.edges, n)
			}
		}
		run.mu.Unlock()
	}
	return stats(), nil
}

// window stores every change updated in the span; an unbounded span (the
// last one) has no upper limit in the query, so changes updated while it
// runs come in too.
func (g *Collector) window(ctx context.Context, sp span, end time.Time, run *collection, sink collectors.Sink) error {
	q := "after:" + quoteTime(sp.from)
	if sp.bounded {
		q += " before:" + quoteTime(sp.to)
	}
	q += projectFilter(g.opts.Projects)
	pager := httpx.Pager{What: "changes " + q}
	write, stored, perWrite := pageWriter(sink)
	defer stored(false)
	var prev pageKeys
	isBot := memoBots(g.opts.IsBot)
	for skip := 0; ; {
		p, shown, err := g.c.query(ctx, q, g.opts.PageSize, skip, queryOptions, g.opts.Name)
		if err != nil {
			return err
		}
		keys := make([]string, len(p.changes))
		for i, c := range p.changes {
			keys[i] = c.Project + "\x00" + strconv.FormatInt(c.Number, 10)
		}
		for _, bad := range p.bad {
			g.log.Error("skipped a change Gerrit sent that codepace cannot read", "query", q, "error", bad)
		}
		n := len(p.changes) + len(p.bad)
		var fresh []collectors.Change
		fresh, prev = run.fresh(sp, prev, p.changes)
		// The builds first, so that the changes' rows are stored after
		// everything their page gives, as within one batch.
		builds, err := g.writeBuilds(ctx, write, fresh, isBot, perWrite)
		if err != nil {
			return err
		}
		if err := write(ctx, collectors.Batch{Changes: fresh}); err != nil {
			return err
		}
		run.mu.Lock()
		run.st.Skipped += len(p.bad)
		run.st.Changes += len(fresh)
		run.st.Builds += builds
		if g.opts.Progress != nil {
			g.opts.Progress(collectors.Progress{Source: g.opts.Name, At: sp.to, To: end, Changes: run.st.Changes, Builds: run.st.Builds})
		}
		run.mu.Unlock()
		if !p.more || n == 0 {
			return stored(true)
		}
		step := n
		if sp.bounded && n > pageOverlap {
			step = n - pageOverlap
		}
		skip += step
		if err := pager.Page(keys, strconv.Itoa(skip)); err != nil {
			return fmt.Errorf("GET %s: %w", shown, err)
		}
	}
}

// buildsPerWrite is about how many builds a window writes into a stream
// at once. A page's builds (7,300 at 1,000,000 changes, 14.7 per change)
// written together were 5.5 MB of the collection's peak heap, three
// windows' worth (BENCHMARKS.md).
const buildsPerWrite = 1024

// writeBuilds writes the builds the changes' CI reports give (zuul), about
// perWrite at a time, and returns how many.
func (g *Collector) writeBuilds(ctx context.Context, write func(context.Context, collectors.Batch) error,
	changes []collectors.Change, isBot func(collectors.Account) bool, perWrite int) (int, error) {
	n := 0
	var builds []collectors.Build
	for i, c := range changes {
		if builds == nil {
			builds = make([]collectors.Build, 0, min(perWrite, buildsPerWrite)+buildsPerWrite/4)
		}
		builds = zuul.AppendBuilds(builds, g.opts.Name, c, isBot)
		if len(builds) >= perWrite || i == len(changes)-1 && len(builds) > 0 {
			if err := write(ctx, collectors.Batch{Builds: builds}); err != nil {
				return n, err
			}
			n, builds = n+len(builds), nil
		}
	}
	return n, nil
}

// memoBots remembers isBot's answer for each account a window meets: the
// same few CI accounts post most untagged messages, and judging each
// message's author again (lower-casing, matching every glob) was a fifth
// of turning reports into builds.
func memoBots(isBot func(collectors.Account) bool) func(collectors.Account) bool {
	seen := map[collectors.Account]bool{}
	return func(a collectors.Account) bool {
		bot, ok := seen[a]
		if !ok {
			bot = isBot(a)
			seen[a] = bot
		}
		return bot
	}
}

// pageWriter returns how a window writes its pages: into a stream when
// the sink has one free (one insert per table for the whole window, far
// fewer parts for ClickHouse to merge), else batch by batch. stored(true)
// stores what the stream took, before the window reports success and its
// cursor can be saved; stored(false) drops what was not stored. perWrite
// is how many builds to write at once: buildsPerWrite into a stream, a
// page's all batch by batch, where each write is a part.
func pageWriter(sink collectors.Sink) (write func(context.Context, collectors.Batch) error, stored func(ok bool) error, perWrite int) {
	var stream collectors.Stream
	if st, ok := sink.(collectors.Streamer); ok {
		stream = st.Stream()
	}
	if stream == nil {
		return sink.Write, func(bool) error { return nil }, math.MaxInt
	}
	return stream.Write, func(ok bool) error {
		if ok {
			return stream.Close()
		}
		stream.Abort()
		return nil
	}, buildsPerWrite
}

// quoteTime renders t for Gerrit's after:/before: operators.
func quoteTime(t time.Time) string {
	return `"` + t.UTC().Format("2006-01-02 15:04:05") + `"`
}

// projectFilter renders the optional project list as a query clause.
func projectFilter(projects []string) string {
	if len(projects) == 0 {
		return ""
	}
	terms := make([]string, len(projects))
	for i, p := range projects {
		terms[i] = "project:" + quoteTerm(p)
	}
	if len(terms) == 1 {
		return " " + terms[0]
	}
	return " (" + strings.Join(terms, " OR ") + ")"
}

// quoteTerm quotes a query value when it holds characters the query
// parser would split on.
func quoteTerm(s string) string {
	if !strings.ContainsAny(s, " \t\"():{}") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
