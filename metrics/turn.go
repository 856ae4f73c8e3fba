package metrics

import (
	"slices"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/zuul"
)

// Whom an open and ready change waits on (docs/definitions.md §19).
const (
	WaitingOnReviewer = "reviewer"
	WaitingOnAuthor   = "author"
)

// TurnSpan is a span of time during which an open and ready change waits
// on one side: its reviewers or its author (docs/definitions.md §19).
type TurnSpan struct {
	Interval
	OnAuthor bool
	// Since is waiting_since: when the change last entered this state.
	Since time.Time
}

// WaitingOn is WaitingOnAuthor or WaitingOnReviewer.
func (s TurnSpan) WaitingOn() string {
	if s.OnAuthor {
		return WaitingOnAuthor
	}
	return WaitingOnReviewer
}

// Turns implements docs/definitions.md §19 "Whose turn": it splits the
// change's open and ready spans (ReadyIntervals) into spans waiting on a
// reviewer or on the author, each with its waiting_since.
//
// The change waits on its author while, on its current patch set (the
// latest uploaded, see sideChanges), some human non-owner's latest
// Code-Review vote is negative or the latest CI verdict is a failure; else
// on a reviewer. waiting_since is when the change last entered that state,
// but never before the start of the ready span it is in: becoming ready
// again (ready after WIP, restored after abandon) starts a new wait. A new
// patch set clears the votes and the verdict, so it ends a wait on the
// author; one that finds the change waiting on a reviewer changes nothing.
//
// runs are the change's CI job runs that are not messages on it (GitHub
// Actions jobs, see CIRun); nil when there are none.
//
// The spans partition ready: same instants, ascending, the last one open
// (zero To) when the last ready span is.
func Turns(c collectors.Change, bots Bots, ready []Interval, runs []CIRun) []TurnSpan {
	if len(ready) == 0 {
		return nil
	}
	flips := sideChanges(c, bots, runs)
	out := make([]TurnSpan, 0, len(ready))
	i := 0 // flips[:i] happened at or before the current instant
	for _, iv := range ready {
		for i < len(flips) && !flips[i].at.After(iv.From) {
			i++
		}
		onAuthor := i > 0 && flips[i-1].onAuthor
		span := TurnSpan{Interval: Interval{From: iv.From}, OnAuthor: onAuthor, Since: iv.From}
		for ; i < len(flips) && (iv.To.IsZero() || flips[i].at.Before(iv.To)); i++ {
			if flips[i].onAuthor == span.OnAuthor {
				continue
			}
			span.To = flips[i].at
			out = append(out, span)
			span = TurnSpan{Interval: Interval{From: flips[i].at}, OnAuthor: flips[i].onAuthor, Since: flips[i].at}
		}
		span.To = iv.To
		out = append(out, span)
	}
	return out
}

// CIRun is one finished run of a CI job on a commit of a change, from a
// system whose results are not messages on the change (GitHub Actions;
// docs/definitions.md §19). Each attempt of a job is a CIRun of its own.
type CIRun struct {
	Commit string    // SHA of the commit the job ran on
	Job    string    // the same for every attempt of one job (workflow and job name)
	At     time.Time // when it finished
	Failed bool      // see CIFailed
}

// CIPassing are the GitHub Actions job results (conclusions, upper-cased)
// that are not a failing verdict (docs/definitions.md §19).
var CIPassing = []string{"SUCCESS", "SKIPPED", "NEUTRAL"}

// CIFailed tells whether a GitHub Actions job result is a failing verdict:
// any but CIPassing, so FAILURE, CANCELLED, TIMED_OUT, ACTION_REQUIRED,
// STARTUP_FAILURE and STALE fail.
func CIFailed(result string) bool { return !slices.Contains(CIPassing, result) }

func cmpCIRunAt(a, b CIRun) int { return a.At.Compare(b.At) }

// sideFlip is an instant at which the side a change waits on may change.
type sideFlip struct {
	at       time.Time
	onAuthor bool
}

// sideChanges replays the change's uploads and messages in time order and
// returns the instants at which the side it would wait on (whether open
// and ready or not) changes, starting on the reviewer side.
//
// Uploads are c.Revisions (by Created; an upload makes its patch set
// current and clears votes and verdict); without revisions, the first
// message that refers to a higher patch set stands for its upload. A
// message refers to its Revision, else to N of a first line "Patch Set N:",
// else to the current patch set; a message on an earlier patch set is
// ignored, and one on a later patch set first makes that one current.
//
// Votes (see turnVotes): a review action (IsReviewAction) setting
// Code-Review (Gerrit "Code-Review-1", "-Code-Review" for a removed vote;
// GitHub reviews CHANGES_REQUESTED as −1, APPROVED as +1, DISMISSED as 0,
// COMMENTED leaves the vote as it is). CI verdicts (see ciVerdict), from
// any author: a Verified vote, or a Zuul report (zuul.ParseReport). CI
// runs (by At; an upload at the same instant comes first): the latest run
// of each job on a commit is that job's verdict on the commit; while the
// current patch set's commit (its Revision.Commit) has a job whose latest
// run failed, its CI verdict is a failure. Runs on other commits do not
// count.
func sideChanges(c collectors.Change, bots Bots, runs []CIRun) []sideFlip {
	revs := c.Revisions
	if !slices.IsSortedFunc(revs, cmpRevisionDate) {
		revs = slices.Clone(revs)
		slices.SortStableFunc(revs, cmpRevisionDate)
	}
	if !slices.IsSortedFunc(runs, cmpCIRunAt) {
		runs = slices.Clone(runs)
		slices.SortStableFunc(runs, cmpCIRunAt)
	}
	var st turnState
	if len(runs) > 0 { // the commits matter only with runs
		st.revs = c.Revisions
	}
	var out []sideFlip
	onAuthor := false
	note := func(at time.Time) {
		if a := st.onAuthor(); a != onAuthor {
			onAuthor = a
			out = append(out, sideFlip{at: at, onAuthor: a})
		}
	}
	r, k := 0, 0
	// until replays the uploads and CI runs up to t (all when zero), in
	// time order.
	until := func(t time.Time) {
		for {
			rev := r < len(revs) && (t.IsZero() || !revs[r].Created.After(t))
			run := k < len(runs) && (t.IsZero() || !runs[k].At.After(t))
			switch {
			case rev && (!run || !runs[k].At.Before(revs[r].Created)):
				st.upload(revs[r].Number)
				note(revs[r].Created)
				r++
			case run:
				st.ciRun(runs[k])
				note(runs[k].At)
				k++
			default:
				return
			}
		}
	}
	var isBot botMemo
	for _, m := range byDate(c.Messages) {
		until(m.Date)
		ps := messagePatchset(m)
		switch {
		case ps == 0:
			ps = st.patchset
		case ps < st.patchset:
			continue
		case ps > st.patchset:
			st.upload(ps)
		}
		// Only an untagged message can be a bot's report or a review
		// action; ask the globs once per author.
		generated := strings.HasPrefix(m.Tag, "autogenerated:")
		fromBot := !generated && m.Author.Present() && isBot.of(m.Author, bots)
		if v, ok := ciVerdict(m, fromBot); ok {
			st.ciFailed = v
		}
		// IsReviewAction, with the bot test above.
		if !generated && m.Author.Present() && m.Author.ID != c.Owner.ID && !fromBot {
			if v, ok := codeReview(m); ok {
				st.vote(m.Author.ID, v)
			}
		}
		note(m.Date)
	}
	until(time.Time{})
	return out
}

func cmpRevisionDate(a, b collectors.Revision) int { return a.Created.Compare(b.Created) }

// botMemo remembers, per account id, whether the bots' globs match: a
// change has few authors and many messages.
type botMemo []struct {
	id  string
	bot bool
}

func (b *botMemo) of(a collectors.Account, bots Bots) bool {
	for _, e := range *b {
		if e.id == a.ID {
			return e.bot
		}
	}
	bot := bots.IsBot(a)
	*b = append(*b, struct {
		id  string
		bot bool
	}{a.ID, bot})
	return bot
}

// turnState is what decides whose turn it is: the current patch set, the
// Code-Review votes on it and whether its latest CI verdict failed.
type turnState struct {
	patchset int
	votes    []voterVote // latest vote per voter, on the current patch set
	ciFailed bool        // from messages (Verified votes, Zuul reports)
	revs     []collectors.Revision
	commit   string  // of the current patch set, "" when unknown
	jobs     []ciJob // latest run of each job, on every commit
}

// ciJob is the verdict of a job's latest run on a commit.
type ciJob struct {
	commit, job string
	failed      bool
}

// ciRun records a CI run as its job's latest on its commit.
func (s *turnState) ciRun(r CIRun) {
	if r.Commit == "" {
		return
	}
	for i := range s.jobs {
		if s.jobs[i].commit == r.Commit && s.jobs[i].job == r.Job {
			s.jobs[i].failed = r.Failed
			return
		}
	}
	s.jobs = append(s.jobs, ciJob{r.Commit, r.Job, r.Failed})
}

type voterVote struct {
	voter string
	value int
}

// upload makes patch set n current, unless it already is.
func (s *turnState) upload(n int) {
	if n == s.patchset && n != 0 {
		return
	}
	s.patchset, s.votes, s.ciFailed, s.commit = n, s.votes[:0], false, ""
	for _, r := range s.revs {
		if r.Number == n {
			s.commit = r.Commit
		}
	}
}

// vote records a voter's latest Code-Review vote.
func (s *turnState) vote(voter string, value int) {
	for i := range s.votes {
		if s.votes[i].voter == voter {
			s.votes[i].value = value
			return
		}
	}
	s.votes = append(s.votes, voterVote{voter, value})
}

func (s *turnState) onAuthor() bool {
	if s.ciFailed {
		return true
	}
	for _, j := range s.jobs {
		if j.failed && j.commit == s.commit && s.commit != "" {
			return true
		}
	}
	for _, v := range s.votes {
		if v.value < 0 {
			return true
		}
	}
	return false
}

// messagePatchset is the patch set a message refers to: its Revision, else
// N of a first line "Patch Set N: ...", else 0 (unknown).
func messagePatchset(m collectors.Message) int {
	if m.Revision > 0 {
		return m.Revision
	}
	rest, ok := strings.CutPrefix(m.Text, "Patch Set ")
	if !ok {
		return 0
	}
	n := 0
	for i := 0; i < len(rest) && i < 9 && isDigit(rest[i]); i++ {
		n = n*10 + int(rest[i]-'0')
	}
	return n
}

// voteTokens returns the part of a Gerrit message's first line "Patch Set
// N: <votes> ..." after the colon (see actionKind), where the vote tokens
// are; "" when the line is not of that form.
func voteTokens(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Patch Set ")
	if !ok {
		return ""
	}
	num, rest, ok := strings.Cut(rest, ":")
	if !ok || !allDigits(num) {
		return ""
	}
	return rest
}

// labelVote reads label's value from the vote tokens that start tokens
// (see voteTokens; the first word that is not a vote ends them): "Label+2"
// is 2, "Label-1" −1, "-Label" (removed) 0. ok is false when the label is
// not among them; the last token for the label wins. It does not
// allocate: it runs once per message of every change.
func labelVote(tokens, label string) (value int, ok bool) {
	for tokens != "" {
		tokens = strings.TrimLeft(tokens, " \t")
		end := strings.IndexAny(tokens, " \t")
		if end < 0 {
			end = len(tokens)
		}
		tok := tokens[:end]
		tokens = tokens[end:]
		if tok == "" || !isVoteToken(tok) {
			break
		}
		if len(tok) == len(label)+1 && tok[0] == '-' && tok[1:] == label {
			value, ok = 0, true
			continue
		}
		rest, found := strings.CutPrefix(tok, label)
		if !found || len(rest) < 2 || (rest[0] != '+' && rest[0] != '-') || !allDigits(rest[1:]) {
			continue
		}
		n := 0
		for i := 1; i < len(rest) && i < 10; i++ {
			n = n*10 + int(rest[i]-'0')
		}
		if rest[0] == '-' {
			n = -n
		}
		value, ok = n, true
	}
	return value, ok
}

// codeReview reads the Code-Review vote a review message sets: Gerrit's
// Code-Review token, or a review state where the source has no votes
// (collectors.ReviewPrefix; GitHub): CHANGES_REQUESTED −1, APPROVED +1,
// DISMISSED 0. ok is false when it sets none.
func codeReview(m collectors.Message) (value int, ok bool) {
	line, _, _ := strings.Cut(m.Text, "\n")
	if state, isReview := reviewState(strings.TrimSpace(line)); isReview {
		switch state {
		case collectors.ReviewChangesRequested:
			return -1, true
		case collectors.ReviewApproved:
			return 1, true
		case collectors.ReviewDismissed:
			return 0, true
		}
		return 0, false
	}
	return labelVote(voteTokens(m.Text), "Code-Review")
}

// ciVerdict reads the CI verdict a message carries, whoever wrote it:
// failed is true for a Verified vote below 0 or a Zuul report
// (zuul.ParseReport; an untagged one counts when fromBot) with a
// voting job whose result is not SUCCESS, false for a Verified vote of 0
// or more (a removed vote included) or a report whose voting jobs all
// succeeded. ok is false when the message carries no verdict.
func ciVerdict(m collectors.Message, fromBot bool) (failed, ok bool) {
	if v, has := labelVote(voteTokens(m.Text), "Verified"); has {
		failed, ok = v < 0, true
	}
	if m.Tag == "" && !fromBot || m.Tag != "" && !strings.HasPrefix(m.Tag, "autogenerated:") || failed {
		return failed, ok // not a CI report, or a failure whatever the report says
	}
	// A job line is "- NAME [URL] : RESULT ...", split at its first " : ":
	// when every " : " of the text is followed by SUCCESS no job failed,
	// and with a Verified vote the verdict is known without parsing.
	if ok && strings.Count(m.Text, " : ") == strings.Count(m.Text, " : SUCCESS") {
		return failed, ok
	}
	if r, isReport := zuul.ParseReport(m.Tag, m.Text, fromBot); isReport {
		ok = true
		for _, j := range r.Jobs {
			if j.Voting && j.Result != "SUCCESS" {
				failed = true
			}
		}
	}
	return failed, ok
}
