package main

import (
	"cmp"
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors/gerrit/gerrittest"
)

// update kinds, in the order the summary reports them.
const (
	kindNew = iota
	kindComment
	kindVote
	kindBuild
	kindMerge
	kindAbandon
	kindRestore
	nKinds
)

var kindNames = [nKinds]string{"new", "comment", "vote", "build", "merge", "abandon", "restore"}

// updateCounts are how many changes an update touched, by kind.
type updateCounts [nKinds]int

// total is the number of changes touched.
func (u updateCounts) total() int {
	n := 0
	for _, c := range u {
		n += c
	}
	return n
}

// String is the total, then each kind: "100 new=10 comment=31 ...".
func (u updateCounts) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(u.total()))
	for k, c := range u {
		fmt.Fprintf(&b, " %s=%d", kindNames[k], c)
	}
	return b.String()
}

// parseUpdate reads the percent and seed of an update request.
func parseUpdate(percent, seed string) (float64, int64, error) {
	p, err := strconv.ParseFloat(percent, 64)
	if err != nil || !(p > 0 && p <= 100) {
		return 0, 0, fmt.Errorf("percent %q: want a number in (0, 100]", percent)
	}
	var s int64 = 1
	if seed != "" {
		if s, err = strconv.ParseInt(seed, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("seed %q: want an integer", seed)
		}
	}
	return p, s, nil
}

// mutate touches percent% of the changes at now with a mix of what a busy
// Gerrit sees between two runs, the same for the same history and seed: a
// tenth are new changes; the rest are existing changes, open and abandoned
// ones four times as likely as merged ones, each getting one of a review
// comment, a Code-Review vote, a Zuul report (a new build of each job of
// its last report, or of one job), a merge (with its +2), an abandon or a
// restore, as its status allows.
func mutate(changes []gerrittest.Change, percent float64, seed int64, now time.Time) ([]gerrittest.Change, updateCounts) {
	var u updateCounts
	n := len(changes)
	k := int(float64(n)*percent/100 + 0.5)
	if k == 0 || n == 0 {
		return changes, u
	}
	r := rand.New(rand.NewSource(seed))
	// The served order depends on earlier updates' times; number order
	// does not.
	order := make([]int32, n)
	maxNumber := 0
	for i := range order {
		order[i] = int32(i)
		maxNumber = max(maxNumber, changes[i].Number)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(changes[a].Number, changes[b].Number) })
	nNew := k / 10
	touched := make(map[int32]bool, k-nNew)
	for len(touched) < min(k-nNew, n) {
		i := order[r.Intn(n)]
		if touched[i] || changes[i].Status == gerrittest.StatusMerged && r.Intn(4) != 0 {
			continue
		}
		touched[i] = true
	}
	picked := make([]int32, 0, len(touched))
	for i := range touched {
		picked = append(picked, i)
	}
	slices.SortFunc(picked, func(a, b int32) int { return cmp.Compare(changes[a].Number, changes[b].Number) })
	for _, i := range picked {
		c := &changes[i]
		other := &changes[order[r.Intn(n)]].Owner
		kind := pickKind(c.Status, r)
		applyKind(c, kind, *other, r, now)
		u[kind]++
	}
	for j := range nNew {
		tmpl := &changes[order[r.Intn(n)]]
		owner := changes[order[r.Intn(n)]].Owner
		changes = append(changes, newChange(maxNumber+1+j, tmpl.Project, tmpl.Branch, owner, r, now))
		u[kindNew]++
	}
	return changes, u
}

// pickKind draws what happens to an existing change of a status.
func pickKind(status string, r *rand.Rand) int {
	x := r.Intn(100)
	switch status {
	case gerrittest.StatusAbandoned:
		if x < 60 {
			return kindRestore
		}
		return kindComment
	case gerrittest.StatusMerged:
		if x < 80 {
			return kindComment
		}
		return kindVote
	}
	switch {
	case x < 30:
		return kindComment
	case x < 55:
		return kindVote
	case x < 80:
		return kindBuild
	case x < 92:
		return kindMerge
	default:
		return kindAbandon
	}
}

// applyKind applies one update to c at now; reviewer is someone else's
// account (the change's owner when they are the same).
func applyKind(c *gerrittest.Change, kind int, reviewer gerrittest.Account, r *rand.Rand, now time.Time) {
	ps := 1
	if cur := c.Current(); cur != nil {
		ps = cur.Number
	}
	patchSet := "Patch Set " + strconv.Itoa(ps) + ":"
	owner := c.Owner
	say := func(who *gerrittest.Account, t time.Time, tag, text string) {
		c.Messages = append(c.Messages, gerrittest.Message{Author: who, Date: t, Tag: tag, Message: text, Revision: ps})
	}
	switch kind {
	case kindComment:
		say(&reviewer, now, "", patchSet+"\n\n("+strconv.Itoa(1+r.Intn(4))+" comments)")
	case kindVote:
		v := 1
		if r.Intn(5) == 0 {
			v = -1
		}
		setVote(c, "Code-Review", reviewer, v, now)
		say(&reviewer, now, "", fmt.Sprintf("%s Code-Review%+d", patchSet, v))
	case kindBuild:
		ci, text, tag, v := zuulReport(c, patchSet, r)
		setVote(c, "Verified", *ci, v, now)
		say(ci, now, tag, text)
	case kindMerge:
		setVote(c, "Code-Review", reviewer, 2, now.Add(-time.Second))
		say(&reviewer, now.Add(-time.Second), "", patchSet+" Code-Review+2")
		say(&reviewer, now, gerrittest.TagMerged, "Change has been successfully merged by "+reviewer.Name)
		c.Status, c.Submitted, c.Submitter, c.WIP = gerrittest.StatusMerged, now, &reviewer, false
	case kindAbandon:
		say(&owner, now, gerrittest.TagAbandon, "Abandoned\n\nNo longer needed.")
		c.Status, c.WIP = gerrittest.StatusAbandoned, false
	case kindRestore:
		say(&owner, now, gerrittest.TagRestore, "Restored")
		c.Status = gerrittest.StatusNew
	}
	c.Updated = now
}

// setVote records a vote on the current patch set, replacing the voter's
// earlier vote on the label.
func setVote(c *gerrittest.Change, label string, who gerrittest.Account, v int, t time.Time) {
	c.Votes = slices.DeleteFunc(slices.Clone(c.Votes), func(x gerrittest.Vote) bool { return x.Label == label && x.Account.ID == who.ID })
	c.Votes = append(c.Votes, gerrittest.Vote{Label: label, Account: who, Value: v, Date: t})
}

// zuulBot reports the builds of changes that never had one.
var zuulBot = gerrittest.Account{ID: 1999999, Name: "Zuul", Username: "zuul", Email: "zuul@example.org", Service: true}

// zuulReport writes a new CI report on c's current patch set in the style
// of its last one (same account, tag and jobs, new build URLs and results),
// or a Zuul check report of one job when c has none, and returns its
// author, text, tag and Verified vote.
func zuulReport(c *gerrittest.Change, patchSet string, r *rand.Rand) (*gerrittest.Account, string, string, int) {
	var last *gerrittest.Message
	for i := len(c.Messages) - 1; i >= 0 && last == nil; i-- {
		m := &c.Messages[i]
		if m.Author != nil && m.Author.Service && strings.Contains(m.Message, " Verified") && strings.Contains(m.Message, "\n- ") {
			last = m
		}
	}
	ci, tag := &zuulBot, gerrittest.TagZuulCheck
	jobs := []string{"- codepace-bench-tox https://zuul.example.org/t/main/build/0 : SUCCESS in 5m 00s"}
	if last != nil {
		ci, tag = last.Author, last.Tag
		_, list, _ := strings.Cut(last.Message, "\n- ")
		jobs = strings.Split("- "+list, "\n")
	}
	ok := r.Intn(5) != 0
	v, summary := 1, "Build succeeded."
	if !ok {
		v, summary = -1, "Build failed."
	}
	if tag == gerrittest.TagCITest || strings.Contains(jobs[0], "/ci/job/") {
		summary = strings.Replace(summary, "Build", "Main test build", 1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s Verified%+d\n\n%s\n", patchSet, v, summary)
	for j, line := range jobs {
		name, rest, found := strings.Cut(strings.TrimPrefix(line, "- "), " ")
		url, tail, _ := strings.Cut(rest, " : ")
		if !found {
			continue
		}
		result := "SUCCESS"
		if !ok && j == 0 {
			result = "FAILURE"
		}
		_, dur, _ := strings.Cut(tail, " in ")
		if before, ok := strings.CutSuffix(url, "/console"); ok {
			// Jenkins: .../ci/job/NAME/BUILD/console
			url = before[:strings.LastIndexByte(before, '/')+1] + strconv.Itoa(5_000_000+r.Intn(90_000_000)) + "/console"
		} else {
			url = url[:strings.LastIndexByte(url, '/')+1] + fmt.Sprintf("%016x", r.Uint64())
		}
		nonVoting := ""
		if strings.HasSuffix(tail, " (non-voting)") {
			nonVoting, dur = " (non-voting)", strings.TrimSuffix(dur, " (non-voting)")
		}
		fmt.Fprintf(&b, "\n- %s %s : %s in %s%s", name, url, result, dur, nonVoting)
	}
	return ci, b.String(), tag, v
}

// newChange is a change uploaded at now: patch set 1 and Gerrit's message.
func newChange(number int, project, branch string, owner gerrittest.Account, r *rand.Rand, now time.Time) gerrittest.Change {
	return gerrittest.Change{
		Number: number, Project: project, Branch: branch, Subject: "Bench change " + strconv.Itoa(number),
		Status: gerrittest.StatusNew, Owner: owner, Created: now, Updated: now,
		Insertions: 1 + r.Intn(200), Deletions: r.Intn(50),
		Revisions: []gerrittest.Revision{{Number: 1, Created: now, Uploader: owner}},
		Messages:  []gerrittest.Message{{Author: &owner, Date: now, Tag: gerrittest.TagNewPatchSet, Message: "Uploaded patch set 1.", Revision: 1}},
	}
}
