// Package config owns codepace's configuration: the typed settings every
// other package reads, loaded from one YAML file and validated before any
// work starts. A mistake is reported with the file, the line and the key
// path, for example
//
//	codepace.yaml:14: sources[1].schedule: bad cron spec "*/x * * * *": ...
//
// Secrets are never part of the file: a key such as password or token must
// be given as <key>_env (an environment variable) or <key>_file (a file),
// and is read only when a Secret's Value is asked for.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/codepace/codepace/keyresults/figure"
)

// Owner cohorts a target can be filtered by.
const (
	CohortNew    = "new"
	CohortRamped = "ramped"
)

// Defaults applied when a key is absent (or null).
const (
	DefaultClickHouseAddr        = "127.0.0.1:9000"
	DefaultClickHouseDatabase    = "codepace"
	DefaultClickHouseUsername    = "default"
	DefaultClickHouseDialTimeout = 10 * time.Second

	DefaultNewcomerDays      = 90
	DefaultSpikeRatio        = 1.5
	DefaultSpikeFloorS       = 120
	DefaultSpikeWindowDays   = 14
	DefaultSpikeMinBuilds    = 5
	DefaultGrafanaFolder     = "codepace"
	DefaultDaemonListen      = "127.0.0.1:9464"
	DefaultDaemonTimeZone    = "UTC"
	DefaultDaemonJitter      = 30 * time.Second
	DefaultDaemonGracePeriod = 30 * time.Second
	// DefaultMinN is a target's min_n: a current value made of fewer
	// values is no_data (docs/definitions.md §18).
	DefaultMinN = 20
)

// Config is the whole configuration of codepace, with defaults applied.
// The yaml tags name the sections; the decoder derives the known keys from
// them.
type Config struct {
	ClickHouse ClickHouse `yaml:"clickhouse"`
	Sources    []Source   `yaml:"sources"`
	Metrics    Metrics    `yaml:"metrics"`
	Targets    []Target   `yaml:"targets"`
	People     []Person   `yaml:"people"`
	// Calendar is the working time of changes whose owner's team has no
	// calendar of its own (DefaultCalendar without a `calendar:` key).
	Calendar Calendar `yaml:"calendar"`
	// Teams holds the teams' settings, by name.
	Teams   map[string]Team `yaml:"teams"`
	Grafana Grafana         `yaml:"grafana"`
	Daemon  Daemon          `yaml:"daemon"`
}

// ClickHouse says where the facts and figures are stored.
type ClickHouse struct {
	// Addr is host:port of the native protocol, or several separated by
	// commas (see Addrs).
	Addr     string `yaml:"addr"`
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"` // password_env / password_file; optional
	// Cluster, when set, is the ClickHouse cluster DDL runs ON CLUSTER.
	Cluster     string        `yaml:"cluster"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
}

// DefaultClickHouse returns the clickhouse section's defaults.
func DefaultClickHouse() ClickHouse {
	return ClickHouse{
		Addr:        DefaultClickHouseAddr,
		Database:    DefaultClickHouseDatabase,
		Username:    DefaultClickHouseUsername,
		DialTimeout: DefaultClickHouseDialTimeout,
	}
}

// validate checks what the decoder cannot; FieldErrors.
func (c *ClickHouse) validate() error {
	errs := []error{
		Positive("dial_timeout", c.DialTimeout),
	}
	if strings.TrimSpace(c.Addr) == "" {
		errs = append(errs, KeyError("addr", "must not be empty; want host:port such as %s", DefaultClickHouseAddr))
	}
	for _, a := range c.Addrs() {
		if err := hostPort(a); err != nil {
			errs = append(errs, KeyError("addr", "%w (the native protocol address, such as %s)", err, DefaultClickHouseAddr))
		}
	}
	if !databaseRE.MatchString(c.Database) {
		errs = append(errs, KeyError("database", "bad database name %q: want letters, digits and _", c.Database))
	}
	if c.Username == "" {
		errs = append(errs, KeyError("username", "must not be empty"))
	}
	if c.Cluster != "" && !clusterRE.MatchString(c.Cluster) {
		errs = append(errs, KeyError("cluster", "bad cluster name %q: want letters, digits, _, . and -", c.Cluster))
	}
	return errors.Join(errs...)
}

// Addrs returns the host:port addresses in Addr.
func (c ClickHouse) Addrs() []string {
	var addrs []string
	for _, a := range strings.Split(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// Metrics holds the parameters of the metric definitions.
type Metrics struct {
	// NewcomerDays is how long after a person's first change their changes
	// count in the `new` cohort.
	NewcomerDays int   `yaml:"newcomer_days"`
	Spike        Spike `yaml:"spike"`
}

// DefaultMetrics returns the metrics section's defaults.
func DefaultMetrics() Metrics {
	return Metrics{
		NewcomerDays: DefaultNewcomerDays,
		Spike: Spike{
			Ratio:      DefaultSpikeRatio,
			FloorS:     DefaultSpikeFloorS,
			WindowDays: DefaultSpikeWindowDays,
			MinBuilds:  DefaultSpikeMinBuilds,
		},
	}
}

// validate checks what the decoder cannot; FieldErrors.
func (m *Metrics) validate() error {
	return Between("newcomer_days", m.NewcomerDays, 1, 100000)
}

// Spike defines a build spike: a build longer than both Ratio × the median of
// the same job's successful builds in the preceding WindowDays and that
// median + FloorS seconds, given at least MinBuilds such builds.
type Spike struct {
	Ratio      float64 `yaml:"ratio"`
	FloorS     int64   `yaml:"floor_s"`
	WindowDays int     `yaml:"window_days"`
	MinBuilds  int     `yaml:"min_builds"`
}

// validate checks what the decoder cannot; FieldErrors.
func (s *Spike) validate() error {
	var errs []error
	if s.Ratio <= 1 {
		errs = append(errs, KeyError("ratio", "must be more than 1, got %v", s.Ratio))
	}
	if s.FloorS < 0 {
		errs = append(errs, KeyError("floor_s", "must be at least 0, got %d", s.FloorS))
	}
	if s.MinBuilds < 1 {
		errs = append(errs, KeyError("min_builds", "must be at least 1, got %d", s.MinBuilds))
	}
	return errors.Join(append(errs, Between("window_days", s.WindowDays, 1, 100000))...)
}

// Target is a key result (docs/definitions.md §18): a figure, its
// baseline, a goal and a due date.
type Target struct {
	// Metric is a figure name (see package keyresults/figure) or, for a
	// manual target, the free name values are recorded under.
	Metric string
	// Figure is Metric parsed; zero for a manual target.
	Figure figure.Figure
	// Manual targets read the values stored by `codepace record`.
	Manual bool
	// Baseline is the starting value, unless the baseline is a period
	// (HasBaselinePeriod), when it is 0 and the figure over
	// [BaselineFrom, BaselineTo] (both days included) is the baseline.
	Baseline     float64
	BaselineFrom time.Time
	BaselineTo   time.Time
	// Goal is the value to reach or, when GoalRelative, the change from the
	// baseline in percent (-10 means 10% below the baseline).
	Goal         float64
	GoalRelative bool
	// Due is the day the goal is due (its end, 24:00 UTC, counts).
	Due time.Time
	// Start is where the glide path starts (00:00 UTC of that day); zero
	// for the default: the end of the baseline period, else Due minus one
	// year.
	Start time.Time
	// MinN is how many values a current value needs to be judged.
	MinN   int
	Filter Filter
}

// HasBaselinePeriod reports whether the baseline is to be computed over
// [BaselineFrom, BaselineTo] rather than given as a number.
func (t Target) HasBaselinePeriod() bool { return !t.BaselineFrom.IsZero() }

// GoalValue returns the absolute goal for a baseline value: Goal itself, or
// the baseline changed by Goal percent when GoalRelative.
func (t Target) GoalValue(baseline float64) float64 {
	if t.GoalRelative {
		return baseline * (1 + t.Goal/100)
	}
	return t.Goal
}

// Filter narrows the items a target counts; empty fields match
// everything.
type Filter = figure.Filter

// Person names the accounts that belong to one human, so that newcomer
// milestones and cohorts count people rather than accounts. An account is
// "source:value", where value is the source's account id or username
// (GitHub login), or an email address, which matches in every source.
type Person struct {
	Name     string
	Accounts []string
	// Team is the team the person belongs to, for the team filter of
	// targets; empty for none.
	Team string
}

// TeamMembers returns the names of the people of team, in config order.
func (c *Config) TeamMembers(team string) []string {
	var out []string
	for _, p := range c.People {
		if p.Team == team {
			out = append(out, p.Name)
		}
	}
	return out
}

// Grafana says where dashboards are provisioned.
type Grafana struct {
	// URL is Grafana's base URL; empty when provisioning is not used.
	URL    URL    `yaml:"url"`
	Token  Secret `yaml:"token"` // token_env / token_file
	Folder string `yaml:"folder"`
}

// validate checks what the decoder cannot; FieldErrors.
func (g *Grafana) validate() error {
	if strings.TrimSpace(g.Folder) == "" {
		return KeyError("folder", "must not be empty")
	}
	return nil
}

// Daemon holds the settings of the long-running mode.
type Daemon struct {
	// Listen is the host:port of /metrics and /healthz.
	Listen string `yaml:"listen"`
	// TimeZone is the IANA zone the cron schedules are read in.
	TimeZone string `yaml:"time_zone"`
	// Jitter is the largest random delay added before a scheduled run
	// (never more than a tenth of the source's schedule interval).
	Jitter time.Duration `yaml:"jitter"`
	// GracePeriod is how long a shutdown waits for running work.
	GracePeriod time.Duration `yaml:"grace_period"`
	// ReportHTML is the file the daemon writes the scoreboard to as an
	// HTML page (`report --format html`) after each compute; empty for
	// none.
	ReportHTML string `yaml:"report_html"`
}

// DefaultDaemon returns the daemon section's defaults.
func DefaultDaemon() Daemon {
	return Daemon{
		Listen:      DefaultDaemonListen,
		TimeZone:    DefaultDaemonTimeZone,
		Jitter:      DefaultDaemonJitter,
		GracePeriod: DefaultDaemonGracePeriod,
	}
}

// validate checks what the decoder cannot; FieldErrors.
func (c *Daemon) validate() error {
	var errs []error
	if err := hostPort(c.Listen); err != nil {
		errs = append(errs, KeyError("listen", "%w (such as %s)", err, DefaultDaemonListen))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		errs = append(errs, KeyError("time_zone", "unknown time zone %q; want an IANA name such as UTC or Europe/Berlin", c.TimeZone))
	}
	if strings.HasSuffix(c.ReportHTML, "/") {
		errs = append(errs, KeyError("report_html", "want the path of a file, such as /var/lib/codepace/key-results.html"))
	}
	return errors.Join(errs...)
}

// Source returns the source named name.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Error is one problem found in a configuration file: where it is and what
// is wrong. Parse returns one *Error, or several joined with errors.Join.
type Error struct {
	File string
	Line int    // 1-based; 0 when the problem has no single line
	Path string // key path such as sources[1].schedule; empty for the file
	Err  error
}

// Error formats the problem as FILE:LINE: PATH: MESSAGE.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Load reads and parses the configuration file at path; types are the
// source types a source may have (collectors/sources lists them). Errors
// name the path.
func Load(path string, types []SourceType) (*Config, error) {
	data, err := readRegular(path, maxConfigBytes, "configuration file")
	if err != nil {
		return nil, err
	}
	return Parse(data, path, types)
}

// Parse parses and validates a YAML configuration and applies defaults;
// types are the source types a source may have. name is used in error
// messages (usually the file's path). Every problem found is reported, each
// as an *Error naming name, the line and the key path; when there are
// several they are joined with errors.Join, in line order. No error ever
// contains a secret's value.
func Parse(data []byte, name string, types []SourceType) (*Config, error) {
	if name == "" {
		name = "config"
	}
	root, err := parseYAML(data, name)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name, reg: newRegistry(types)}
	cfg := d.config(root)
	if err := d.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

//go:embed example.yaml
var example string

// sourcesMarker is the line of example.yaml that Example replaces with the
// source types' examples.
const sourcesMarker = "  # (one example per source type)\n"

// Example returns a complete, commented example configuration that parses
// without error: example.yaml, with the example of each of types as the
// entries of sources. Every key is shown with its default or a typical
// value.
func Example(types []SourceType) []byte {
	var b strings.Builder
	for i, t := range types {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(t.Example())
	}
	return []byte(strings.Replace(example, sourcesMarker, b.String(), 1))
}
