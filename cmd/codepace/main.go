// Command codepace measures how code flows through review and CI: it
// collects changes, reviews and builds into ClickHouse, computes the
// documented figures, and reports progress toward key results.
//
// Usage:
//
//	codepace <verb> --config FILE [flags]
//
// The verbs are migrate, collect, compute, run, report, record, figures,
// daemon and provision; `codepace help` lists them. The config file may also come
// from CODEPACE_CONFIG.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	// The IANA time zones of calendar: and daemon.time_zone, for systems
	// without /usr/share/zoneinfo (distroless images).
	_ "time/tzdata"
)

// defaultMemoryLimit is the soft memory limit codepace runs under unless
// the GOMEMLIMIT environment variable sets another. Collection and compute
// hold a working set that does not grow with the history (pages in flight,
// one insert per table: 30 to 50 MB live at 1,000,000 changes with the
// default page size and concurrency); without a limit Go's collector lets
// the heap reach twice the live data before it runs, which made the peak
// depend on how full the pages were rather than on what codepace needs.
// Near the limit the collector runs more often, for at most half the CPU,
// so a bigger working set (larger pages, more concurrency) is slower,
// never killed; set GOMEMLIMIT higher for those. A lower default costs
// CPU where the live heap nears it: 60 MiB took a quarter more CPU at
// 1,000,000 changes (BENCHMARKS.md).
const defaultMemoryLimit = 100 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := notifySignals(context.Background())
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "codepace:", err)
		}
		os.Exit(1)
	}
}

// errUsage marks an error already explained by the usage text.
var errUsage = errors.New("usage")

// verb is one subcommand.
type verb struct {
	name, args, help string
	run              func(ctx context.Context, m *Main, args []string) error
}

var verbs = []verb{
	{"migrate", "", "apply the ClickHouse schema (idempotent, versioned)", runMigrate},
	{"collect", "[--source NAME] [--since DATE] [--full]", "run collectors once, incrementally from the stored cursor", runCollect},
	{"compute", "", "compute the derived tables from the raw facts (--full: every row)", runCompute},
	{"run", "", "migrate + collect + compute once, under a lock (safe under cron)", runRun},
	{"report", "[--format table|json|csv] [--at DATE] [--weeks N]", "print the key-result scoreboard", runReport},
	{"record", "METRIC VALUE [--at DATE] [--note TEXT] | --file FILE.csv", "store a value of a manual target (a survey score)", runRecord},
	{"figures", "", "list every figure name a target can use, with its definition", runFigures},
	{"queue", "[--project GLOB] [--waiting-on reviewer|author] [--cohort new|ramped] [--limit N] [--format table|json|csv]", "print the changes open and ready, longest wait first: whose turn it is and since when", runQueue},
	{"daemon", "[--listen ADDR] [--lock FILE]", "each source on its own schedule, /healthz and /metrics, until SIGTERM, SIGINT or SIGHUP", runDaemon},
	{"provision", "[--dry-run] [--out DIR]", "create or update the Grafana data source, folder, dashboards and alert rules (idempotent)", runProvision},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: codepace <verb> --config FILE [flags]   (config also from CODEPACE_CONFIG)")
	fmt.Fprintln(w, "\nverbs:")
	for _, v := range verbs {
		fmt.Fprintf(w, "  %-9s %-40s %s\n", v.name, v.args, v.help)
	}
}

// Run executes one codepace command line.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, v := range verbs {
		if v.name == args[0] {
			m := &Main{Stdout: stdout, Stderr: stderr}
			defer m.Close()
			return v.run(ctx, m, args[1:])
		}
	}
	fmt.Fprintf(stderr, "codepace: unknown verb %q\n\n", args[0])
	usage(stderr)
	return errUsage
}
