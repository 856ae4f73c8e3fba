package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/sources"
	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/metrics"
	schema "github.com/codepace/codepace/sql"
	"github.com/codepace/codepace/store"
)

// Main holds what one command needs: its output, the loaded config and the
// open store.
type Main struct {
	Stdout, Stderr io.Writer
	Config         *config.Config
	Store          *store.Store
	Log            *slog.Logger

	configPath string
	logFormat  string
	lock       *os.File
	stopLog    func() bool // stops logSignal
	// reportHTML is where compute writes the scoreboard as an HTML page
	// after each compute (daemon.report_html, in the daemon only).
	reportHTML string

	// built holds each source's collector once made (see collectorFor),
	// so that a daemon keeps what a collector learns between runs.
	mu    sync.Mutex
	built map[string]collectors.Collector
}

// flagSet returns a verb's flags with the ones every verb shares.
func (m *Main) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("codepace "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&m.configPath, "config", os.Getenv("CODEPACE_CONFIG"), "config file (default $CODEPACE_CONFIG)")
	fs.StringVar(&m.logFormat, "log-format", "text", "log format: text or json")
	return fs
}

// parse parses a verb's flags and rejects stray arguments.
func (m *Main) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// open loads the config and connects to ClickHouse.
func (m *Main) open(ctx context.Context) error {
	switch m.logFormat {
	case "text":
		m.Log = slog.New(slog.NewTextHandler(m.Stderr, nil))
	case "json":
		m.Log = slog.New(slog.NewJSONHandler(m.Stderr, nil))
	default:
		return fmt.Errorf("--log-format %q: use text or json", m.logFormat)
	}
	m.stopLog = m.logSignal(ctx)
	if m.configPath == "" {
		return errors.New("no config: pass --config FILE or set CODEPACE_CONFIG")
	}
	cfg, err := config.Load(m.configPath, sources.Config())
	if err != nil {
		return err
	}
	m.Config = cfg
	ch := cfg.ClickHouse
	opts := store.Options{Addr: ch.Addr, Database: ch.Database, Username: ch.Username, DialTimeout: ch.DialTimeout,
		Cluster: ch.Cluster}
	if ch.Password.IsSet() {
		if opts.Password, err = ch.Password.Value(); err != nil {
			return fmt.Errorf("clickhouse.password: %w", err)
		}
	}
	m.Store, err = store.Open(ctx, opts)
	return err
}

// openMigrated is open for the verbs that read or write the tables but do
// not migrate: it refuses a database that lacks migrations, naming them
// and the verb that applies them, rather than let a query fail on a
// missing table or column.
func (m *Main) openMigrated(ctx context.Context) error {
	if err := m.open(ctx); err != nil {
		return err
	}
	pending, err := m.Store.Pending(ctx)
	if err != nil {
		return err
	}
	all, err := schema.Migrations()
	if err != nil {
		return err
	}
	db := m.Config.ClickHouse.Database
	switch {
	case len(pending) == 0:
		return nil
	case pending[0] == all[0].Name:
		return fmt.Errorf("database %s has no codepace tables: run `codepace migrate --config %s` first", db, m.configPath)
	default:
		return fmt.Errorf("database %s lacks migrations %s of this codepace: run `codepace migrate --config %s` first",
			db, strings.Join(pending, ", "), m.configPath)
	}
}

// Close releases the lock and the store.
func (m *Main) Close() {
	if m.stopLog != nil {
		m.stopLog()
	}
	if m.Store != nil {
		m.Store.Close()
	}
	if m.lock != nil {
		m.lock.Close()
	}
}

// computeOptions turns the config into compute parameters.
func (m *Main) computeOptions() (store.ComputeOptions, error) {
	cfg := m.Config
	o := store.ComputeOptions{
		Bots:         map[string]metrics.Bots{},
		NewcomerDays: cfg.Metrics.NewcomerDays,
		Spike: metrics.SpikeConfig{
			Ratio: cfg.Metrics.Spike.Ratio, FloorS: cfg.Metrics.Spike.FloorS,
			WindowDays: cfg.Metrics.Spike.WindowDays, MinBuilds: cfg.Metrics.Spike.MinBuilds,
		},
	}
	accounts := map[string][]string{}
	o.WorkTime = metrics.WorkTime{Default: calendar(cfg.Calendar), Teams: map[string]*metrics.Calendar{}, TeamOf: map[string]string{}}
	for _, p := range cfg.People {
		accounts[p.Name] = p.Accounts
		o.WorkTime.TeamOf[p.Name] = p.Team
	}
	for name, t := range cfg.Teams {
		if t.Calendar != nil {
			o.WorkTime.Teams[name] = calendar(*t.Calendar)
		}
	}
	o.People = metrics.NewPeople(accounts)
	bots := map[string][]string{}
	for _, s := range cfg.Sources {
		b, err := metrics.NewBots(s.Bots())
		if err != nil {
			return o, fmt.Errorf("sources %s: bots: %w", s.Name, err)
		}
		o.Bots[s.Name] = b
		bots[s.Name] = s.Bots()
	}
	// The fingerprint covers every setting the definitions read, and the
	// binary itself, whose code is the definitions.
	h := sha256.New()
	settings, err := json.Marshal(struct {
		Bots     map[string][]string
		People   []config.Person
		Metric   config.Metrics
		Calendar config.Calendar
		Teams    map[string]config.Team
	}{bots, cfg.People, cfg.Metrics, cfg.Calendar, cfg.Teams})
	if err != nil {
		return o, err
	}
	h.Write(settings)
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			_, _ = io.Copy(h, f)
			f.Close()
		}
	}
	o.Fingerprint = hex.EncodeToString(h.Sum(nil))
	return o, nil
}

// calendar is a configured calendar as the metrics use it.
func calendar(c config.Calendar) *metrics.Calendar {
	return metrics.NewCalendar(c.Location, c.Workdays, c.Start, c.End, c.Holidays)
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
