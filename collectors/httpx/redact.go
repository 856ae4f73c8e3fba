package httpx

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// redacted replaces a secret in anything codepace writes.
const redacted = "[REDACTED]"

// Redactor removes configured secrets, in every form a server could echo
// them back in, from text: plain, base64 of user:secret (HTTP Basic) and
// of the secret alone, URL-encoded (query and path), JSON- and
// Go-quoted. It is the one place secrets are scrubbed; the zero Redactor
// removes nothing.
type Redactor struct {
	forms []string // longest first, so that no form is cut by a shorter one
}

// NewRedactor returns a Redactor for the given secrets; user is the
// HTTP Basic user name that goes with them ("" when none). The user name
// alone is not a secret.
func NewRedactor(user string, secrets ...string) Redactor {
	var forms []string
	add := func(s string) {
		if s != "" && !slices.Contains(forms, s) {
			forms = append(forms, s)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, v := range []string{s, user + ":" + s} {
			if v == user+":"+s && user == "" {
				continue
			}
			add(v)
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				add(enc.EncodeToString([]byte(v)))
			}
			add(url.QueryEscape(v))
			add(url.PathEscape(v))
			if q, err := json.Marshal(v); err == nil {
				add(string(q[1 : len(q)-1]))
				add(strings.ReplaceAll(string(q[1:len(q)-1]), "/", `\/`)) // PHP's, Java's
			}
			q := strconv.Quote(v)
			add(q[1 : len(q)-1])
		}
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return Redactor{forms: forms}
}

// String returns s with every form of every secret replaced.
func (r Redactor) String(s string) string {
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, redacted)
		}
	}
	return s
}

// Error returns err with its text redacted; errors.Is and errors.As still
// see the errors it wraps. nil stays nil.
func (r Redactor) Error(err error) error {
	if err == nil || len(r.forms) == 0 {
		return err
	}
	var done *redactedError
	if errors.As(err, &done) && done.r.covers(r) {
		return err
	}
	return &redactedError{err: err, r: r}
}

// covers tells whether r removes every form o removes.
func (r Redactor) covers(o Redactor) bool {
	for _, f := range o.forms {
		if !slices.Contains(r.forms, f) {
			return false
		}
	}
	return true
}

// redactedError is an error whose text is redacted.
type redactedError struct {
	err error
	r   Redactor
}

func (e *redactedError) Error() string { return e.r.String(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }

// Logger returns l with every message and attribute value redacted.
func (r Redactor) Logger(l *slog.Logger) *slog.Logger {
	if len(r.forms) == 0 {
		return l
	}
	return slog.New(&redactHandler{next: l.Handler(), r: r})
}

// redactHandler redacts records before its next handler sees them.
type redactHandler struct {
	next slog.Handler
	r    Redactor
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(red), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), r: h.r}
}

// attr redacts one attribute: strings, errors and anything printed as
// text; groups member by member.
func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, m := range g {
			red[i] = h.attr(m)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.r.String(err.Error()))
		}
		return slog.String(a.Key, h.r.String(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
