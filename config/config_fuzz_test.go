package config_test

import (
	"errors"
	"testing"

	. "github.com/codepace/codepace/config"
)

// FuzzParse feeds arbitrary files to the config loader: it must never
// panic, every error it returns must be a located *Error (or several), and
// an accepted config must hold what validation promises.
func FuzzParse(f *testing.F) {
	f.Add(Example(types))
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
