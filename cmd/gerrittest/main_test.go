package main

import (
	"context"
	"io"
	"log"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	var m Main
	err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-changes", "50", "-seed", "3", "-start", "2022-06-01", "-auth", "u:p,v:w"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if m.Addr != "127.0.0.1:0" || m.Changes != 50 || m.Seed != 3 || !m.Start.Equal(time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		m.Users["u"] != "p" || m.Users["v"] != "w" {
		t.Errorf("parsed %+v", m)
	}
	for _, bad := range [][]string{{"-start", "June"}, {"-changes", "0"}, {"-auth", "nopassword"}, {"extra"}} {
		if err := new(Main).ParseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	var logs strings.Builder
	m := &Main{Log: log.New(&logs, "", 0)}
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-changes", "100"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "serving 100 changes") || !strings.Contains(logs.String(), "http://127.0.0.1:") {
		t.Errorf("log: %s", logs.String())
	}
}
