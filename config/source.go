package config

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

// SourceType is one kind of system codepace collects from (gerrit, github,
// ...), as the configuration sees it. Each type lives in its own package
// under collectors/, and collectors/sources lists them; the decoder derives
// a type's keys from the yaml tags of its configuration struct.
type SourceType interface {
	// Name is the value of a source's type key, such as "gerrit".
	Name() string
	// DefaultConfig returns a new configuration of this type holding every
	// default: a pointer to a struct that embeds SourceCommon with
	// `yaml:",inline"`. Its fields may be string, bool, int, int64, []string,
	// time.Duration, time.Time (a date), Secret (keys KEY_env and KEY_file),
	// URL, Globs, ByteSize or inline structs of these.
	DefaultConfig() SourceConfig
	// Example returns a commented YAML example of one entry of sources,
	// showing every key of the type (indented by two spaces, starting with
	// "- name:").
	Example() string
}

// SourceConfig is the typed configuration of one source. Its Validate
// checks what the decoder cannot (required keys, ranges, keys that go
// together) and returns FieldErrors, joined with errors.Join, so that each
// problem is reported at its key's line; the settings of SourceCommon are
// checked by the decoder.
type SourceConfig interface {
	Common() *SourceCommon
	Validate() error
}

// Defaults of the settings every source has.
const (
	DefaultSchedule = "*/30 * * * *"
	DefaultWindow   = 30 * 24 * time.Hour
	DefaultOverlap  = 10 * time.Minute
	DefaultTimeout  = 60 * time.Second
	DefaultRetries  = 5
	// DefaultMaxAnswerBytes bounds the size of one API answer.
	DefaultMaxAnswerBytes ByteSize = 64 << 20
)

// SourceCommon holds the settings every source has, whatever its type. A
// type's configuration embeds it with `yaml:",inline"`.
type SourceCommon struct {
	// Name is unique among sources and becomes the `source` column.
	Name string `yaml:"name"`
	// Type names the SourceType.
	Type string `yaml:"type"`
	// Since is where the first run's backfill starts.
	Since time.Time `yaml:"since"`
	// Schedule is the standard cron spec of the daemon's runs.
	Schedule string `yaml:"schedule"`
	// PageSize is how many items one request asks for; each type sets its
	// own default and bound.
	PageSize int `yaml:"page_size"`
	// Window is the length of one backfill window.
	Window time.Duration `yaml:"window"`
	// Overlap is how far before the stored cursor a run starts again.
	Overlap time.Duration `yaml:"overlap"`
	// Timeout bounds one HTTP request.
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many times a retryable HTTP error is retried.
	Retries int `yaml:"retries"`
	// MaxAnswerBytes bounds the size of one API answer; a larger one fails
	// the request rather than filling the memory.
	MaxAnswerBytes ByteSize `yaml:"max_answer_bytes"`
}

// DefaultSourceCommon returns the common settings' defaults, with the page
// size a type gives.
func DefaultSourceCommon(typ string, pageSize int) SourceCommon {
	return SourceCommon{
		Type:           typ,
		Schedule:       DefaultSchedule,
		PageSize:       pageSize,
		Window:         DefaultWindow,
		Overlap:        DefaultOverlap,
		Timeout:        DefaultTimeout,
		Retries:        DefaultRetries,
		MaxAnswerBytes: DefaultMaxAnswerBytes,
	}
}

// Common returns c itself; a type's configuration gets it by embedding.
func (c *SourceCommon) Common() *SourceCommon { return c }

// Source is one configured source: its common settings, and the whole
// typed configuration that collectors/sources turns into a collector.
type Source struct {
	*SourceCommon
	// Settings is the configuration of the source's type, such as a
	// *gerrit.Config.
	Settings SourceConfig
}

// Bots returns the source's bot globs, or nil when its type has none.
func (s Source) Bots() []string {
	if b, ok := s.Settings.(interface{ BotGlobs() []string }); ok {
		return b.BotGlobs()
	}
	return nil
}

// Secrets returns every Secret of the source's configuration, set or not.
func (s Source) Secrets() []Secret {
	var out []Secret
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			switch {
			case f.Type() == reflect.TypeFor[Secret]():
				out = append(out, f.Interface().(Secret))
			case f.Kind() == reflect.Struct && v.Type().Field(i).Anonymous:
				walk(f)
			}
		}
	}
	walk(reflect.ValueOf(s.Settings).Elem())
	return out
}

// BotsSetting is the bots key, embedded with `yaml:",inline"` by the
// configuration of a type whose records name accounts.
type BotsSetting struct {
	// Bots are path.Match globs on account username, name or email.
	Bots Globs `yaml:"bots"`
}

// BotGlobs returns the bot globs.
func (b *BotsSetting) BotGlobs() []string { return b.Bots }

// URL is an absolute http or https URL without credentials, query or
// fragment; empty when the key is absent.
type URL string

// Globs is a list of path.Match patterns, checked when decoded.
type Globs []string

// ByteSize is a size in bytes; the configuration accepts an integer or a
// number with a unit such as 64MiB, 512KiB or 1GiB.
type ByteSize int64

// FieldError is a problem with one key of a source's configuration, as
// Validate returns it: the decoder reports it at the key's line (or the
// source's when the key is absent).
type FieldError struct {
	// Key is the yaml key, such as "url" or "token_env".
	Key string
	// Index is the position in a list value the problem is at, or -1.
	Index int
	Err   error
}

// Error formats the problem as KEY: MESSAGE.
func (e *FieldError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("%s[%d]: %v", e.Key, e.Index, e.Err)
	}
	return e.Key + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// KeyError returns a FieldError for key.
func KeyError(key, format string, args ...any) error {
	return &FieldError{Key: key, Index: -1, Err: fmt.Errorf(format, args...)}
}

// ItemError returns a FieldError for item i of the list under key.
func ItemError(key string, i int, format string, args ...any) error {
	return &FieldError{Key: key, Index: i, Err: fmt.Errorf(format, args...)}
}

// Required returns a FieldError saying key is required, with what it
// should hold, when empty is true; else nil.
func Required(empty bool, key, what string) error {
	if !empty {
		return nil
	}
	return KeyError(key, "required: %s", what)
}

// Between returns a FieldError unless lo <= v <= hi.
func Between(key string, v, lo, hi int) error {
	if v < lo || v > hi {
		return KeyError(key, "must be between %d and %d, got %d", lo, hi, v)
	}
	return nil
}

// Positive returns a FieldError unless d is more than zero.
func Positive(key string, d time.Duration) error {
	if d <= 0 {
		return KeyError(key, "must be more than zero, got %s", d)
	}
	return nil
}

// validateCommon checks the settings every source has; maxPage is the
// page size bound of the decoded type (PageSize's default when larger).
func validateCommon(c *SourceCommon) error {
	errs := []error{
		Required(c.Since.IsZero(), "since", "the backfill start of the first run, such as 2019-07-01"),
		Between("page_size", c.PageSize, 1, 10000),
		Positive("window", c.Window),
		Positive("timeout", c.Timeout),
		Between("retries", c.Retries, 0, 20),
	}
	if c.Overlap >= c.Window && c.Window > 0 {
		errs = append(errs, KeyError("overlap", "overlap (%s) must be shorter than window (%s)", c.Overlap, c.Window))
	}
	if c.MaxAnswerBytes < 1<<10 {
		errs = append(errs, KeyError("max_answer_bytes", "must be at least 1KiB, got %d bytes", c.MaxAnswerBytes))
	}
	return errors.Join(errs...)
}

// UserSecret checks that a username and its secret (keys BASE_env or
// BASE_file) come together.
func UserSecret(user string, secret Secret, base string) error {
	switch {
	case secret.IsSet() && user == "":
		key := base + "_env"
		if secret.Env == "" {
			key = base + "_file"
		}
		return KeyError(key, "needs username: HTTP authentication takes a username with the %s", base)
	case user != "" && !secret.IsSet():
		return KeyError("username", "needs %s_env or %s_file: HTTP authentication takes a %s with the username", base, base, base)
	}
	return nil
}
