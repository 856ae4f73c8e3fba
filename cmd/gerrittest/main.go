// Command gerrittest serves a generated Gerrit change history on a real
// address, answering the change query endpoint as Gerrit 3.10 does, for
// demos and end-to-end runs of the collector:
//
//	gerrittest -addr 127.0.0.1:8080 -changes 2000 -seed 1 -start 2021-01-01
//
// It logs the URL and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/codepace/codepace/collectors/gerrit/gerrittest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Log: log.New(os.Stderr, "gerrittest: ", log.LstdFlags)}
	if err := m.ParseFlags(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "gerrittest:", err)
		os.Exit(2)
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "gerrittest:", err)
		os.Exit(1)
	}
}

// Main is the program: flags, then a server until the context ends.
type Main struct {
	Addr    string
	Changes int
	Seed    int64
	Start   time.Time
	Years   float64
	// Users maps usernames to HTTP passwords for /a/; empty accepts any.
	Users map[string]string
	// Touch enables POST /_test/touch?percent=P&seed=S, which updates P%
	// of the changes now with a mix of new changes, comments, votes, CI
	// reports, merges, abandons and restores, the same for the same seed
	// (default 1), for benchmarks of incremental runs. It answers
	// "TOTAL new=N comment=N vote=N build=N merge=N abandon=N restore=N".
	Touch bool
	Log   *log.Logger
}

// ParseFlags reads the command line into m.
func (m *Main) ParseFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gerrittest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&m.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.IntVar(&m.Changes, "changes", 2000, "number of changes to generate")
	fs.Int64Var(&m.Seed, "seed", 1, "generator seed")
	start := fs.String("start", "2021-01-01", "first day of the history (UTC, YYYY-MM-DD)")
	fs.Float64Var(&m.Years, "years", 5, "length of the history in years")
	fs.BoolVar(&m.Touch, "touch", false, "serve POST /_test/touch?percent=P&seed=S to update P% of the changes (new changes, comments, votes, CI reports, merges, abandons, restores)")
	auth := fs.String("auth", "", "comma-separated user:password pairs required under /a/ (default: any credentials)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	t, err := time.Parse("2006-01-02", *start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	m.Start = t
	if m.Changes <= 0 {
		return fmt.Errorf("-changes must be positive, got %d", m.Changes)
	}
	if *auth != "" {
		m.Users = map[string]string{}
		for _, pair := range strings.Split(*auth, ",") {
			u, p, ok := strings.Cut(pair, ":")
			if !ok || u == "" {
				return fmt.Errorf("-auth: %q is not user:password", pair)
			}
			m.Users[u] = p
		}
	}
	return nil
}

// Run generates the history and serves it until ctx is cancelled.
func (m *Main) Run(ctx context.Context) error {
	began := time.Now()
	changes := gerrittest.Generate(gerrittest.GenOptions{Seed: m.Seed, Changes: m.Changes, Start: m.Start, Years: m.Years})
	var opts []gerrittest.Option
	if m.Users != nil {
		opts = append(opts, gerrittest.WithAuth(m.Users))
	}
	h := gerrittest.NewHandler(changes, opts...)
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var handler http.Handler = h
	if m.Touch {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		mux.HandleFunc("POST /_test/touch", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			u, err := touch(h, q.Get("percent"), q.Get("seed"), time.Now().UTC())
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintln(w, u)
		})
		handler = mux
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	m.Log.Printf("serving %d changes (seed %d, generated in %v) at http://%s/", len(changes), m.Seed, time.Since(began).Round(time.Millisecond), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	m.Log.Printf("stopping after %d change queries", h.Requests())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// touch applies an update of percent% of the changes (see mutate) at now
// and returns what it touched.
func touch(h *gerrittest.Handler, percent, seed string, now time.Time) (updateCounts, error) {
	p, sd, err := parseUpdate(percent, seed)
	if err != nil {
		return updateCounts{}, err
	}
	var u updateCounts
	h.Update(func(changes []gerrittest.Change) []gerrittest.Change {
		changes, u = mutate(changes, p, sd, now)
		return changes
	})
	return u, nil
}
