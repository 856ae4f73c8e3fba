package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
)

// TestKilledRunsResume kills `codepace run` with SIGKILL at random points of
// a backfill, several times, then lets it finish: every view must then be
// what one uninterrupted run gives.
func TestKilledRunsResume(t *testing.T) {
	history := gt.Generate(gt.GenOptions{Seed: 7, Changes: 3000, Start: time.Now().UTC().AddDate(-2, 0, 0), Years: 2})
	slow := func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(15 * time.Millisecond) // so that kills land mid-run
		return false
	}
	const pages = "    page_size: 200\n"
	ref := setup(t, history, "")
	rewrite(t, ref.conf, pages)
	ref.gerrit.SetFault(slow)
	ref.mustRun(t, "run")

	// Each kill lands once the run has stored one to three more pages of
	// changes (each page is one insert, so one more part of raw_changes).
	e := setup(t, history, "")
	rewrite(t, e.conf, pages)
	e.gerrit.SetFault(slow)
	parts := fmt.Sprintf(`SELECT count() FROM system.parts WHERE database = '%s' AND table = 'raw_changes'`, e.db)
	rng := rand.New(rand.NewPCG(1, 2))
	interrupted := 0
	for i := 0; i < 4; i++ {
		before, _ := strconv.Atoi(e.rows(t, parts)[0])
		r := startCodepace(t, e.conf, []string{"E2E_GERRIT_PASSWORD=s3cret-pass"}, "run")
		r.killWhen(t, e, fmt.Sprintf("SELECT (%s) >= %d", parts, before+1+rng.IntN(3)))
		if _, err := r.wait(t, time.Minute); err != nil {
			interrupted++
		}
	}
	t.Logf("%d of 4 runs killed before they finished", interrupted)
	if interrupted < 3 {
		t.Fatalf("only %d of 4 runs were killed before they finished; slow the server down", interrupted)
	}
	e.gerrit.SetFault(nil)
	e.mustRun(t, "run")

	for _, q := range []string{
		// Every column but url, which names each test's own server.
		`SELECT source, project, branch, number, subject, owner, owner_id, owner_is_bot, status, is_wip,
			created_at, updated_at, ready_at, first_review_at, merged_at, closed_at, time_to_first_review_s,
			time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions, deletions, owner_cohort
			FROM DB.change_metrics ORDER BY source, project, number`,
		`SELECT * FROM DB.review_actions ORDER BY source, project, number, message_id`,
		`SELECT * FROM DB.builds ORDER BY source, system, build_id`,
		`SELECT * FROM DB.newcomers ORDER BY source, person_id`,
		// Today's backlog is taken at the moment of each compute.
		`SELECT * FROM DB.review_backlog_daily WHERE day < today() ORDER BY source, project, day`,
	} {
		want := ref.rows(t, q)
		if len(want) == 0 {
			t.Fatalf("reference run has no rows for %s", q)
		}
		diffRows(t, "after killed runs: "+q, e.rows(t, q), want)
	}
}

// rewrite adds lines to the source block of a test config.
func rewrite(t *testing.T, conf, lines string) {
	t.Helper()
	body := strings.Replace(readFile(t, conf), "    bots:", lines+"    bots:", 1)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
