package collectors

import (
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
