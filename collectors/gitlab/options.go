package gitlab

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// Options configures a GitLab collector.
type Options struct {
	Name string // source name, stored in every record
	// URL is the GitLab instance, such as https://gitlab.com/ (the API
	// path /api/v4/ is added).
	URL string
	// Group is a group's full path (or id) whose merge requests, and
	// whose subgroups', are read; Projects are project paths
	// ("group/sub/name") read instead. One of them is required.
	Group    string
	Projects []string
	// Token is a personal, group or project access token with the read_api
	// scope; empty sends anonymous requests (public projects only).
	Token string
	// CI makes a collection also read the GitLab CI jobs of the projects
	// as builds (ci.go).
	CI bool
	// PageSize is how many items a list request asks for, at most 100
	// (the default).
	PageSize int
	// Timeout bounds one HTTP request (default 1 minute).
	Timeout time.Duration
	// Retries is how many times a 429 or 5xx answer or a network error is
	// retried; Backoff the first wait (default 1s), doubled each time;
	// MaxWait the longest wait a collection accepts (default 10 minutes:
	// GitLab's limits reset every minute).
	Retries int
	Backoff time.Duration
	MaxWait time.Duration
	// MaxAnswerBytes bounds one answer (default 64 MiB).
	MaxAnswerBytes int64
	// Now returns the current time; tests set it.
	Now func() time.Time
	// Progress, when set, is called after every stored page of merge
	// requests or pipelines.
	Progress func(collectors.Progress)
	Logger   *slog.Logger
}

// Defaults, and GitLab's bound of per_page.
const (
	defaultBackoff = time.Second
	defaultMaxBody = 64 << 20
	defaultMaxWait = 10 * time.Minute
	defaultTimeout = time.Minute
	maxPageSize    = 100
)

// Collector reads one GitLab source. It remembers which accounts are bots
// as long as it lives.
type Collector struct {
	opts Options
	gl   *gl.Client
	api  *api
	log  *slog.Logger
	// red removes the token, in every form a server could echo it back
	// in, from what the collector logs and returns.
	red  httpx.Redactor
	bots map[int64]bool // account id: the account's bot flag
}

// New validates opts and returns a collector; it makes no request.
func New(opts Options) (*Collector, error) {
	if opts.Name == "" {
		return nil, fmt.Errorf("gitlab source: no name")
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("gitlab source %q: url: want the GitLab instance's address without credentials, such as https://gitlab.com/", opts.Name)
	}
	if (opts.Group == "") == (len(opts.Projects) == 0) {
		return nil, fmt.Errorf("gitlab source %q: set either group (a group's full path) or projects (project paths such as group/name)", opts.Name)
	}
	for _, p := range opts.Projects {
		if strings.Trim(p, "/") == "" || !strings.Contains(p, "/") {
			return nil, fmt.Errorf("gitlab source %q: projects: %q: want a project's full path such as group/name", opts.Name, p)
		}
	}
	opts = opts.withDefaults()
	red := httpx.NewRedactor("", opts.Token)
	log := red.Logger(opts.Logger).With("source", opts.Name)
	c, a, err := newClient(opts, log)
	if err != nil {
		return nil, fmt.Errorf("gitlab source %q: %w", opts.Name, err)
	}
	if opts.Token == "" {
		log.Warn("gitlab source has no token: only public projects can be read")
	}
	return &Collector{opts: opts, gl: c, api: a, log: log, red: red, bots: map[int64]bool{}}, nil
}

// withDefaults fills in what o leaves unset (zero or negative).
func (o Options) withDefaults() Options {
	if o.PageSize <= 0 || o.PageSize > maxPageSize {
		o.PageSize = maxPageSize
	}
	positive := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	positive(&o.Timeout, defaultTimeout)
	positive(&o.Backoff, defaultBackoff)
	positive(&o.MaxWait, defaultMaxWait)
	o.Retries = max(o.Retries, 0)
	o.MaxAnswerBytes = cmp.Or(max(o.MaxAnswerBytes, 0), defaultMaxBody)
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
