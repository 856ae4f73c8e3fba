package metrics

import (
	"errors"
	"path"
	"testing"

	"github.com/codepace/codepace/collectors"
)

func TestNewBotsErrors(t *testing.T) {
	tests := []struct {
		name  string
		globs []string
		want  error
	}{
		{"valid", []string{"*-bot", "zuul", "ci-[a-z]*"}, nil},
		{"none", nil, nil},
		{"bad class", []string{"ok", "[a-"}, path.ErrBadPattern},
		{"bad escape", []string{`bot\`}, path.ErrBadPattern},
		{"empty", []string{""}, ErrEmptyGlob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBots(tt.globs)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("NewBots(%q) error = %v, want %v", tt.globs, err, tt.want)
			}
		})
	}
}

func TestIsBot(t *testing.T) {
	bots := mustBots([]string{"*-bot", "Jenkins*", "*@bots.example.org", "zuul"})
	tests := []struct {
		name string
		a    collectors.Account
		want bool
	}{
		{"human", alice, false},
		{"username glob", collectors.Account{ID: "9", Username: "sonar-bot"}, true},
		{"username glob, other case", collectors.Account{ID: "9", Username: "Sonar-BOT"}, true},
		{"name glob, case-insensitive", collectors.Account{ID: "9", Name: "jenkins CI"}, true},
		{"email glob", collectors.Account{ID: "9", Username: "x", Email: "ci@Bots.Example.org"}, true},
		{"exact name", collectors.Account{ID: "9", Name: "Zuul"}, true},
		{"glob is anchored", collectors.Account{ID: "9", Username: "zuul2", Name: "my-bot-friend"}, false},
		{"service user", collectors.Account{ID: "9", Username: "x", Service: true}, true},
		{"github [bot] login", collectors.Account{ID: "9", Username: "dependabot[bot]"}, true},
		{"empty fields never match", collectors.Account{ID: "9"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bots.IsBot(tt.a); got != tt.want {
				t.Errorf("IsBot(%+v) = %v, want %v", tt.a, got, tt.want)
			}
		})
	}
	if (Bots{}).IsBot(collectors.Account{ID: "9", Username: "a-bot"}) {
		t.Error("zero Bots matched a glob it does not have")
	}
}

// TestGlobMatchesAsPathMatch: the literal comparisons of the simple globs
// answer as path.Match does, a * matching no / included.
func TestGlobMatchesAsPathMatch(t *testing.T) {
	patterns := []string{"*-bot", "jenkins*", "zuul", "*", "", "*@bots.example.org", "*x*", "a*b", "ci-?", "[a-c]*", `\*bot`, "**"}
	inputs := []string{"", "sonar-bot", "-bot", "a/b-bot", "jenkins", "jenkins ci", "jenkins/ci", "zuul", "zuul2", "ci@bots.example.org",
		"x", "axb", "ab", "ci-1", "bot", "*bot", "c-bot", "a/b"}
	for _, p := range patterns {
		g := newGlob(p)
		for _, s := range inputs {
			want, _ := path.Match(p, s)
			if got := g.match(s); got != want {
				t.Errorf("glob %q on %q: %v, path.Match says %v", p, s, got, want)
			}
		}
	}
}
