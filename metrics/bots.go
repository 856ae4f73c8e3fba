package metrics

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/codepace/codepace/collectors"
)

// ErrEmptyGlob is returned by NewBots for an empty bot glob, which could
// never match an account.
var ErrEmptyGlob = errors.New("empty bot glob")

// Bots decides which accounts are bots. The zero value knows no globs and
// recognises only the accounts the sources flag themselves.
type Bots struct {
	globs []glob
}

// glob is a lower-cased path.Match pattern. One whose only metacharacter
// is a leading or trailing *, or that has none (most bot globs: "*-bot",
// "jenkins*", "zuul"), is matched by comparing its literal text, as
// path.Match would (a * matches no /): path.Match took 5% of a full
// compute's CPU at a million changes.
type glob struct {
	pattern string
	lit     string // the pattern without its *
	star    byte   // '<' for a leading *, '>' for a trailing one, '=' for none, 0: path.Match
}

// newGlob returns the glob of the lower-cased pattern g.
func newGlob(g string) glob {
	out := glob{pattern: g}
	lit := strings.TrimPrefix(strings.TrimSuffix(g, "*"), "*")
	if strings.ContainsAny(lit, `*?[\`) || len(g)-len(lit) > 1 {
		return out
	}
	switch {
	case strings.HasPrefix(g, "*"):
		out.star = '<'
	case strings.HasSuffix(g, "*"):
		out.star = '>'
	default:
		out.star = '='
	}
	out.lit = lit
	return out
}

// match tells whether the lower-cased s matches the glob.
func (g glob) match(s string) bool {
	switch g.star {
	case '=':
		return s == g.lit
	case '<':
		return strings.HasSuffix(s, g.lit) && !strings.Contains(s[:len(s)-len(g.lit)], "/")
	case '>':
		return strings.HasPrefix(s, g.lit) && !strings.Contains(s[len(g.lit):], "/")
	}
	ok, _ := path.Match(g.pattern, s) // validated in NewBots
	return ok
}

// NewBots returns the Bots that match the configured globs. Each glob is a
// path.Match pattern matched case-insensitively against an account's
// Username, Name and Email. A malformed or empty glob is an error wrapping
// path.ErrBadPattern or ErrEmptyGlob.
func NewBots(globs []string) (Bots, error) {
	b := Bots{globs: make([]glob, 0, len(globs))}
	for i, g := range globs {
		if g == "" {
			return Bots{}, fmt.Errorf("bots[%d]: %w: remove it or write a pattern such as \"*-bot\"", i, ErrEmptyGlob)
		}
		lg := strings.ToLower(g)
		if _, err := path.Match(lg, ""); err != nil {
			return Bots{}, fmt.Errorf("bots[%d] %q: %w: see the syntax of Go's path.Match", i, g, err)
		}
		b.globs = append(b.globs, newGlob(lg))
	}
	return b, nil
}

// IsBot implements docs/definitions.md §2 "Bot": an account matching the
// configured bots globs (on its username, name or email, case-insensitively),
// or flagged by its source (a.Service: Gerrit SERVICE_USER, GitHub type Bot),
// or a GitHub login ending in "[bot]".
func (b Bots) IsBot(a collectors.Account) bool {
	if a.Service {
		return true
	}
	if strings.HasSuffix(strings.ToLower(a.Username), "[bot]") {
		return true
	}
	for _, field := range [...]string{a.Username, a.Name, a.Email} {
		if field == "" {
			continue
		}
		lf := strings.ToLower(field)
		for _, g := range b.globs {
			if g.match(lf) {
				return true
			}
		}
	}
	return false
}
