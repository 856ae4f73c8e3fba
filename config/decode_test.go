package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "30d", want: 720 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "1d12h30m", want: 36*time.Hour + 30*time.Minute},
		{in: "90s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "0", want: 0},
		{in: "-2d", want: -48 * time.Hour},
		{in: "d", bad: true},
		{in: "2d-1h", bad: true},
		{in: "1e3d", bad: true},
		{in: "xd", bad: true},
		{in: "2dd", bad: true},
		{in: "10", bad: true},
		{in: "999999999d", bad: true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseDuration(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestExampleShowsSectionKeys checks that every key of the sections other
// than sources appears in example.yaml, so that it documents all.
func TestExampleShowsSectionKeys(t *testing.T) {
	keys := slices.Concat(rootKeys, structKeys(reflect.TypeFor[Metrics]()), structKeys(reflect.TypeFor[Spike]()), targetKeys, baselineKeys, filterKeys,
		calendarKeys, teamKeys,
		structKeys(reflect.TypeFor[ClickHouse]()), structKeys(reflect.TypeFor[Grafana]()), structKeys(reflect.TypeFor[Daemon]()))
	for _, k := range keys {
		if !strings.Contains(example, k+":") {
			t.Errorf("example.yaml does not show key %q", k)
		}
	}
}
