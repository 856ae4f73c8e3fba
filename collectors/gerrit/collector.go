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
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	gerrit "github.com/andygrunwald/go-gerrit"

	"github.com/codepace/codepace/collectors"
)

// Options configures a Gerrit collector.
type Options struct {
	Name     string // source name, stored in every record
	URL      string // Gerrit root URL
	Projects []string
	Username string // HTTP auth user; empty for anonymous access
	Password string // HTTP password
	PageSize int    // changes per request (capped by the server's queryLimit)
	// Window is the span of `updated` one query covers during a backfill.
	Window time.Duration
	// Timeout bounds one HTTP request.
	Timeout time.Duration
	// Retries is how many times a retryable failure (429, 5xx, network) is
	// retried; Backoff the first wait, doubled each time.
	Retries int
	Backoff time.Duration
	// IsBot tells whether an account is a bot; untagged CI reports count
	// only from bots.
	IsBot  func(collectors.Account) bool
	Logger *slog.Logger
	// Progress, when set, is called after every stored page.
	Progress func(Progress)
	// Now returns the current time; tests set it.
	Now func() time.Time
}

// Progress tells how far a collection is.
type Progress struct {
	Source  string
	From    time.Time // start of the span being collected
	At      time.Time // end of the window being read
	To      time.Time // end of the span
	Changes int       // changes stored so far
}

// queryOptions are the ChangeInfo parts the metric definitions need.
var queryOptions = []string{
	"MESSAGES",          // review actions, WIP/ready, abandon/restore, Zuul reports
	"DETAILED_LABELS",   // votes with their dates
	"DETAILED_ACCOUNTS", // names, usernames, emails, SERVICE_USER tags
	"ALL_REVISIONS",     // patch sets and when they were uploaded (review rounds)
	"CURRENT_COMMIT",    // author date of the current commit (cycle time)
}

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
		opts.PageSize = 500
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
	gc, err := gerrit.NewClient(context.Background(), base, &http.Client{Timeout: opts.Timeout})
	if err != nil {
		return nil, fmt.Errorf("gerrit source %q: url %q: %w", opts.Name, opts.URL, err)
	}
	cl := &client{gc: gc, base: base, retries: opts.Retries, backoff: opts.Backoff}
	if opts.Username != "" {
		gc.Authentication.SetBasicAuth(opts.Username, opts.Password)
		cl.prefix = "a/"
	}
	log := opts.Logger.With("source", opts.Name)
	cl.log = log.Warn
	return &Collector{opts: opts, c: cl, log: log}, nil
}

// Name returns the source name.
func (g *Collector) Name() string { return g.opts.Name }

// Collect stores every change updated since w.From, window by window, and
// saves the cursor after each window.
func (g *Collector) Collect(ctx context.Context, w collectors.Window, sink collectors.Sink) (st collectors.Stats, err error) {
	start := g.c.requests
	defer func() { st.Requests = g.c.requests - start }()
	end := g.opts.Now().UTC()
	// seen holds the update time of each change stored by this run, so one
	// read again (through page overlap, or on the boundary two windows
	// share) is not written twice.
	seen := map[int64]time.Time{}
	for from := w.From.UTC(); from.Before(end); {
		to := from.Add(g.opts.Window)
		bounded := to.Before(end)
		if !bounded {
			to = end
		}
		if err := g.window(ctx, from, to, bounded, end, seen, sink, &st); err != nil {
			return st, fmt.Errorf("gerrit source %q: %w", g.opts.Name, err)
		}
		if err := sink.SaveCursor(ctx, g.opts.Name, to); err != nil {
			return st, err
		}
		// Only changes on the boundary can come again in the next window.
		for n, u := range seen {
			if u.Before(to) {
				delete(seen, n)
			}
		}
		from = to
	}
	return st, nil
}

// window stores every change updated in [from, to]; an unbounded window
// (the last one) has no upper limit in the query, so changes updated while
// it runs come in too.
func (g *Collector) window(ctx context.Context, from, to time.Time, bounded bool, end time.Time, seen map[int64]time.Time, sink collectors.Sink, st *collectors.Stats) error {
	q := "after:" + quoteTime(from)
	if bounded {
		q += " before:" + quoteTime(to)
	}
	q += projectFilter(g.opts.Projects)
	for skip := 0; ; {
		body, shown, err := g.c.query(ctx, q, g.opts.PageSize, skip, queryOptions)
		if err != nil {
			return err
		}
		p, err := decodePage(body, g.opts.Name, g.c.base)
		if err != nil {
			return fmt.Errorf("GET %s: %w", shown, err)
		}
		for _, bad := range p.bad {
			st.Skipped++
			g.log.Error("skipped a change Gerrit sent that codepace cannot read", "query", q, "error", bad)
		}
		var batch collectors.Batch
		for _, c := range p.changes {
			if prev, ok := seen[c.Number]; ok && prev.Equal(c.Updated) {
				continue // read again through page overlap
			}
			seen[c.Number] = c.Updated
			batch.Changes = append(batch.Changes, c)
			batch.Builds = append(batch.Builds, ZuulBuilds(g.opts.Name, c, g.opts.IsBot)...)
		}
		if err := sink.Write(ctx, batch); err != nil {
			return err
		}
		st.Changes += len(batch.Changes)
		st.Builds += len(batch.Builds)
		if g.opts.Progress != nil {
			g.opts.Progress(Progress{Source: g.opts.Name, At: to, To: end, Changes: st.Changes})
		}
		n := len(p.changes) + len(p.bad)
		if !p.more || n == 0 {
			return nil
		}
		step := n
		if bounded && n > pageOverlap {
			step = n - pageOverlap
		}
		skip += step
	}
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
