package collectors

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/codepace/codepace/config"
)

// SourceType is one kind of system codepace collects from: its
// configuration (config.SourceType: name, typed config with defaults and
// Validate, example) and the constructor of its collector. Each type's
// package provides one, and collectors/sources lists them.
type SourceType interface {
	config.SourceType
	// NewCollector returns the collector of one configured source; cfg is
	// what this type's DefaultConfig returned, decoded and validated. It
	// reads the source's secrets and makes no request.
	NewCollector(cfg config.SourceConfig, env Env) (Collector, error)
}

// Env is what every collector gets beside its own configuration.
type Env struct {
	// Logger receives the collector's logs; discarded when nil.
	Logger *slog.Logger
	// Progress, when set, is called as a collection advances (after a page
	// or a job is stored), one call at a time.
	Progress func(Progress)
	// IsBot tells whether an account is a bot by the source's bots globs;
	// nil counts only the accounts the source itself flags (Service).
	IsBot func(Account) bool
}

// Progress tells how far one collection is; a collector fills what applies
// to it.
type Progress struct {
	Source string
	// Item is what was just read: a repository ("owner/name") or a job;
	// empty when a collector reads the whole source at once.
	Item string
	// From is the start of the span being collected; At how far the
	// collection has come (the end of the window read, or the update time
	// of the last item stored: GitHub reads newest first, so At goes back
	// in time); To the end of the span. Zero when they do not apply.
	From, At, To time.Time
	// Changes and Builds are how many were stored so far; Items how many
	// repositories or jobs were read so far.
	Changes, Builds, Items int
}

// NewSourceType makes the SourceType of a type from its parts: its name,
// its example, the function returning its configuration's defaults and
// its constructor. P is the pointer to the configuration struct C.
func NewSourceType[C any, P interface {
	*C
	config.SourceConfig
}](name, example string, defaults func() C, build func(*C, Env) (Collector, error)) SourceType {
	return sourceType[C, P]{name: name, example: example, defaults: defaults, build: build}
}

// sourceType is a SourceType made by NewSourceType.
type sourceType[C any, P interface {
	*C
	config.SourceConfig
}] struct {
	name, example string
	defaults      func() C
	build         func(*C, Env) (Collector, error)
}

func (t sourceType[C, P]) Name() string    { return t.name }
func (t sourceType[C, P]) Example() string { return t.example }

func (t sourceType[C, P]) DefaultConfig() config.SourceConfig {
	c := t.defaults()
	return P(&c)
}

func (t sourceType[C, P]) NewCollector(cfg config.SourceConfig, env Env) (Collector, error) {
	c, ok := cfg.(P)
	if !ok {
		return nil, fmt.Errorf("source type %s: got a configuration of type %T", t.name, cfg)
	}
	return t.build((*C)(c), env)
}
