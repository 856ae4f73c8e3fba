package config_test

import (
	"errors"
	"strings"
	"testing"

	. "github.com/codepace/codepace/config"
)

// FuzzParse feeds arbitrary files to the config loader: it must never
// panic, every error it returns must be a located *Error (or several), and
// an accepted config must hold what validation promises.
//
// The seeds are the example cut in pieces, each a few hundred bytes: the
// fuzzer minimizes every new input it finds for up to a minute, and seeded
// with the whole example (5 KB) it spent most of a 30 s run minimizing.
func FuzzParse(f *testing.F) {
	const source = "sources: [{name: g, type: gerrit, url: 'http://g/', since: 2024-01-01}]\n"
	for _, section := range sections(string(Example(types))) {
		if strings.HasPrefix(section, "sources:") {
			continue // each type's entry is a seed below
		}
		f.Add([]byte(section + source))
	}
	for _, typ := range types {
		f.Add([]byte("sources:\n" + typ.Example()))
	}
	f.Add([]byte("sources: [{name: g, type: gerrit, url: 'http://g/', since: 2024-01-01}]\n"))
	f.Add([]byte("clickhouse: {addr: x}\n"))
	f.Add([]byte(":\n  - [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml", types)
		if err != nil {
			var located *Error
			if !errors.As(err, &located) {
				t.Fatalf("error without a location: %v", err)
			}
			return
		}
		if len(cfg.Sources) == 0 {
			t.Fatal("accepted a config without sources")
		}
		seen := map[string]bool{}
		for _, s := range cfg.Sources {
			if s.Name == "" || seen[s.Name] || s.Since.IsZero() {
				t.Fatalf("accepted a bad source %+v", s)
			}
			seen[s.Name] = true
		}
	})
}

// sections cuts a YAML file into its top-level sections, comments left out.
func sections(doc string) []string {
	var out []string
	var b strings.Builder
	for _, line := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if line[0] != ' ' && b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
		b.WriteString(line)
	}
	return append(out, b.String())
}
