package metrics

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/codepace/codepace/collectors"
)

// ErrEmptyGlob is returned by NewBots for an empty bot glob, which could
// never match an account.
var ErrEmptyGlob = errors.New("empty bot glob")

// Bots decides which accounts are bots. The zero value knows no globs and
// recognises only the accounts the sources flag themselves.
type Bots struct {
	globs []string // lower-cased path.Match patterns
	// seen remembers the answer of the globs for each (username, name,
	// email) asked about: a compute asks for every message author, and
	// matching took 5% of a full compute's CPU at a million changes.
	seen *sync.Map
}

// NewBots returns the Bots that match the configured globs. Each glob is a
// path.Match pattern matched case-insensitively against an account's
// Username, Name and Email. A malformed or empty glob is an error wrapping
// path.ErrBadPattern or ErrEmptyGlob.
func NewBots(globs []string) (Bots, error) {
	b := Bots{globs: make([]string, 0, len(globs)), seen: &sync.Map{}}
	for i, g := range globs {
		if g == "" {
			return Bots{}, fmt.Errorf("bots[%d]: %w: remove it or write a pattern such as \"*-bot\"", i, ErrEmptyGlob)
		}
		lg := strings.ToLower(g)
		if _, err := path.Match(lg, ""); err != nil {
			return Bots{}, fmt.Errorf("bots[%d] %q: %w: see the syntax of Go's path.Match", i, g, err)
		}
		b.globs = append(b.globs, lg)
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
	if b.seen == nil {
		return b.matches(a)
	}
	k := [3]string{a.Username, a.Name, a.Email}
	if bot, ok := b.seen.Load(k); ok {
		return bot.(bool)
	}
	bot := b.matches(a)
	b.seen.Store(k, bot)
	return bot
}

// matches tells whether a's username ends in "[bot]" or one of its
// username, name and email matches a glob.
func (b Bots) matches(a collectors.Account) bool {
	if strings.HasSuffix(strings.ToLower(a.Username), "[bot]") {
		return true
	}
	for _, field := range [...]string{a.Username, a.Name, a.Email} {
		if field == "" {
			continue
		}
		lf := strings.ToLower(field)
		for _, g := range b.globs {
			// The patterns were validated in NewBots.
			if ok, _ := path.Match(g, lf); ok {
				return true
			}
		}
	}
	return false
}
