package gerrittest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	alice = Account{ID: 1000100, Name: "Alice Example", Email: "alice@example.org", Username: "alice"}
	bob   = Account{ID: 1000101, Name: "Bob Example", Email: "bob@example.org", Username: "bob"}
	ci    = Account{ID: 1000102, Name: "ci-bot", Email: "ci@example.org", Username: "ci-bot", Service: true}
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a small hand-built history: a merged change with two patch
// sets, votes and a CI report; an open WIP change; an abandoned change with a
// Gerrit-written message; a change in a project whose name needs escaping.
func fixture() []Change {
	return []Change{
		{
			Number: 101, Project: "alpha", Branch: "master", ChangeID: "I0123456789abcdef0123456789abcdef01234567",
			Subject: "Fix the frobnicator", Status: StatusMerged, Owner: alice,
			Created: at("2024-03-01 09:00:00.000"), Updated: at("2024-03-05 10:11:12.345"),
			Submitted: at("2024-03-05 10:11:12.345"), Submitter: &ci, Insertions: 12, Deletions: 3,
			Revisions: []Revision{
				{Number: 1, SHA: "1111111111111111111111111111111111111111", Kind: KindRework, Created: at("2024-03-01 09:00:00.000"), Uploader: alice, AuthorDate: at("2024-02-29 18:00:00.000")},
				{Number: 2, SHA: "2222222222222222222222222222222222222222", Kind: KindTrivialRebase, Created: at("2024-03-02 09:00:00.000"), Uploader: bob, AuthorDate: at("2024-02-29 18:00:00.000")},
			},
			Messages: []Message{
				{ID: "m1", Author: &alice, Date: at("2024-03-01 09:00:00.000"), Message: "Uploaded patch set 1.", Tag: TagNewPatchSet, Revision: 1},
				{ID: "m2", Author: &ci, Date: at("2024-03-01 09:10:00.000"), Message: "Patch Set 1: Verified+1\n\nBuild succeeded.\n\n- unit https://ci.example.org/1 : SUCCESS in 3m 09s", Tag: TagZuulCheck, Revision: 1},
				{ID: "m3", Author: &bob, Date: at("2024-03-01 12:00:00.000"), Message: "Patch Set 1: Code-Review-1\n\n(2 comments)\n\nDon't do that; use x=1", Revision: 1},
				{ID: "m4", Author: &bob, Date: at("2024-03-02 09:00:00.000"), Message: "Uploaded patch set 2: Patch Set 1 was rebased.", Tag: TagNewPatchSet, Revision: 2},
				{ID: "m5", Author: &alice, RealAuthor: &ci, Date: at("2024-03-05 10:00:00.000"), Message: "Patch Set 2: Code-Review+2", Revision: 2},
				{ID: "m6", Author: &ci, Date: at("2024-03-05 10:11:12.345"), Message: "Change has been successfully merged by ci-bot", Tag: TagMerged, Revision: 2},
			},
			Votes: []Vote{
				{Label: "Code-Review", Account: alice, Value: 2, Date: at("2024-03-05 10:00:00.000")},
				{Label: "Verified", Account: ci, Value: 1, Date: at("2024-03-02 09:10:00.000")},
			},
		},
		{
			Number: 102, Project: "beta", Branch: "main", Subject: "WIP: try things", Status: StatusNew, Owner: bob, WIP: true,
			Created: at("2024-03-03 08:00:00.000"), Updated: at("2024-03-04 00:00:00.000"),
			Revisions: []Revision{{Number: 1, Created: at("2024-03-03 08:00:00.000"), Uploader: bob}},
			Messages: []Message{
				{Author: &bob, Date: at("2024-03-03 08:00:00.000"), Message: "Uploaded patch set 1.", Tag: TagNewWipPatchSet, Revision: 1},
			},
		},
		{
			Number: 103, Project: "alpha", Branch: "master", Subject: "Old idea", Status: StatusAbandoned, Owner: bob,
			Created: at("2024-01-01 00:00:00.000"), Updated: at("2024-03-04 00:00:00.000"),
			Revisions: []Revision{{Number: 1, Created: at("2024-01-01 00:00:00.000"), Uploader: bob}},
			Messages: []Message{
				{Author: &bob, Date: at("2024-01-01 00:00:00.000"), Message: "Uploaded patch set 1.", Tag: TagNewPatchSet, Revision: 1},
				{Date: at("2024-03-04 00:00:00.000"), Message: "Abandoned\n\nAuto-Abandoned due to inactivity", Tag: TagAbandon, Revision: 1},
			},
		},
		{
			Number: 104, Project: "tools/gamma", Subject: "Add tool", Owner: alice,
			Created:   at("2024-02-01 00:00:00.000"),
			Revisions: []Revision{{Number: 1, Created: at("2024-02-01 00:00:00.000"), Uploader: alice}},
		},
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, base, path string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// changes decodes a successful query answer.
func (r response) changes(t *testing.T) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	body, ok := bytes.CutPrefix(r.body, []byte(")]}'\n"))
	if !ok {
		t.Fatalf("no XSSI prefix: %.40q", r.body)
	}
	var out []map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	return out
}

func numbers(cs []map[string]any) []int {
	var ns []int
	for _, c := range cs {
		ns = append(ns, int(c["_number"].(float64)))
	}
	return ns
}

func byNumber(t *testing.T, cs []map[string]any, n int) map[string]any {
	t.Helper()
	for _, c := range cs {
		if int(c["_number"].(float64)) == n {
			return c
		}
	}
	t.Fatalf("change %d not in answer %v", n, numbers(cs))
	return nil
}

var nineDigits = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$`)

func TestResponseShape(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	r := get(t, s.URL(), "/changes/?q=status:merged+OR+status:open+OR+status:abandoned")
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !bytes.HasPrefix(r.body, []byte(")]}'\n[{")) || !bytes.HasSuffix(r.body, []byte("}]\n")) {
		t.Errorf("body is not )]}' + compact array + newline: %.60q ... %q", r.body, r.body[len(r.body)-5:])
	}
	cs := r.changes(t)
	if got, want := numbers(cs), []int{101, 103, 102, 104}; !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v (updated desc, number desc on ties)", got, want)
	}
	always := []string{"id", "triplet_id", "project", "branch", "hashtags", "change_id", "subject", "status", "created", "updated",
		"submit_type", "insertions", "deletions", "total_comment_count", "unresolved_comment_count", "meta_rev_id",
		"_number", "virtual_id_number", "owner", "requirements"}
	never := []string{"messages", "labels", "revisions", "current_revision", "current_revision_number", "reviewers",
		"_more_changes", "submittable", "reviewer_updates"}
	for _, c := range cs {
		for _, k := range always {
			if _, ok := c[k]; !ok {
				t.Errorf("change %v: %s missing", c["_number"], k)
			}
		}
		for _, k := range never {
			if _, ok := c[k]; ok {
				t.Errorf("change %v: %s present without its option", c["_number"], k)
			}
		}
		for _, k := range []string{"created", "updated", "submitted"} {
			if v, ok := c[k]; ok && !nineDigits.MatchString(v.(string)) {
				t.Errorf("%s = %q, want nine fractional digits", k, v)
			}
		}
	}
	merged := byNumber(t, cs, 101)
	if merged["id"] != "alpha~101" || merged["triplet_id"] != "alpha~master~I0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("id = %v, triplet_id = %v", merged["id"], merged["triplet_id"])
	}
	if merged["updated"] != "2024-03-05 10:11:12.345000000" || merged["submitted"] != "2024-03-05 10:11:12.345000000" {
		t.Errorf("updated = %v, submitted = %v", merged["updated"], merged["submitted"])
	}
	if merged["total_comment_count"] != 2.0 || merged["has_review_started"] != true {
		t.Errorf("total_comment_count = %v, has_review_started = %v", merged["total_comment_count"], merged["has_review_started"])
	}
	if _, ok := merged["work_in_progress"]; ok {
		t.Error("work_in_progress present on a ready change")
	}
	wip := byNumber(t, cs, 102)
	if wip["work_in_progress"] != true {
		t.Errorf("work_in_progress = %v", wip["work_in_progress"])
	}
	if _, ok := wip["has_review_started"]; ok {
		t.Error("has_review_started present on a change created WIP")
	}
	for _, n := range []int{102, 103} {
		c := byNumber(t, cs, n)
		for _, k := range []string{"submitted", "submitter", "submission_id"} {
			if _, ok := c[k]; ok {
				t.Errorf("change %d (not merged) has %s", n, k)
			}
		}
	}
	gamma := byNumber(t, cs, 104)
	if gamma["id"] != "tools%2Fgamma~104" || gamma["status"] != "NEW" || gamma["branch"] != "master" {
		t.Errorf("defaults: id %v status %v branch %v", gamma["id"], gamma["status"], gamma["branch"])
	}
	if cid, _ := gamma["change_id"].(string); len(cid) != 41 || cid[0] != 'I' {
		t.Errorf("derived change_id = %q", cid)
	}
	if gamma["updated"] != "2024-02-01 00:00:00.000000000" {
		t.Errorf("derived updated = %v", gamma["updated"])
	}
}

func TestPrettyAndEscaping(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	// No Accept: application/json: pretty, like Gerrit for curl.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/changes/?q=change:101&o=MESSAGES", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(body, []byte(")]}'\n[\n  {\n    \"id\": ")) {
		t.Errorf("want pretty JSON without Accept: application/json, got %.50q", body)
	}
	// Gson escapes ' and = (and <, >, &).
	if !bytes.Contains(body, []byte(`Don\u0027t do that; use x\u003d1`)) {
		t.Errorf("' and = not escaped as Gson does")
	}
	r := get(t, s.URL(), "/changes/?q=change:101&o=MESSAGES&pp=0")
	if bytes.Contains(r.body, []byte("\n  ")) {
		t.Error("pp=0 should be compact")
	}
	cs := r.changes(t)
	msgs := cs[0]["messages"].([]any)
	if got := msgs[2].(map[string]any)["message"]; got != "Patch Set 1: Code-Review-1\n\n(2 comments)\n\nDon't do that; use x=1" {
		t.Errorf("message round trip = %q", got)
	}
}

func TestOptions(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	tests := []struct {
		opts    string
		present []string
		absent  []string
		check   func(t *testing.T, c map[string]any)
	}{
		{opts: "", present: []string{"insertions", "deletions"}, absent: []string{"messages", "labels", "revisions"}},
		{opts: "SKIP_DIFFSTAT", absent: []string{"insertions", "deletions"}},
		{opts: "MESSAGES", present: []string{"messages"}, check: func(t *testing.T, c map[string]any) {
			msgs := c["messages"].([]any)
			if len(msgs) != 6 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0].(map[string]any)
			for _, k := range []string{"id", "tag", "author", "real_author", "date", "message", "_revision_number"} {
				if _, ok := m[k]; !ok {
					t.Errorf("message lacks %s: %v", k, m)
				}
			}
			if _, ok := msgs[2].(map[string]any)["tag"]; ok {
				t.Error("untagged message has a tag field")
			}
			if ra := msgs[4].(map[string]any)["real_author"].(map[string]any); ra["_account_id"] != float64(ci.ID) {
				t.Errorf("real_author = %v, want the impersonating account", ra)
			}
		}},
		{opts: "DETAILED_LABELS", present: []string{"labels", "reviewers", "removable_reviewers", "pending_reviewers"}, check: func(t *testing.T, c map[string]any) {
			labels := c["labels"].(map[string]any)
			cr := labels["Code-Review"].(map[string]any)
			if _, ok := cr["approved"]; ok {
				t.Error("DETAILED_LABELS alone gave the LABELS summary")
			}
			if cr["default_value"] != 0.0 || cr["values"].(map[string]any)["+2"] == nil || cr["values"].(map[string]any)[" 0"] == nil {
				t.Errorf("values/default_value: %v", cr)
			}
			var voted int
			for _, a := range cr["all"].([]any) {
				a := a.(map[string]any)
				if a["_account_id"] == float64(alice.ID) {
					voted++
					if a["value"] != 2.0 || a["date"] != "2024-03-05 10:00:00.000000000" || a["permitted_voting_range"] == nil {
						t.Errorf("approval = %v", a)
					}
				} else if a["value"] != 0.0 || a["date"] != nil {
					t.Errorf("reviewer without vote = %v", a)
				}
			}
			if voted != 1 {
				t.Errorf("alice's +2 not in all: %v", cr["all"])
			}
			if _, ok := labels["Verified"]; !ok {
				t.Error("Verified label missing")
			}
		}},
		{opts: "LABELS", present: []string{"labels"}, check: func(t *testing.T, c map[string]any) {
			cr := c["labels"].(map[string]any)["Code-Review"].(map[string]any)
			if cr["approved"].(map[string]any)["_account_id"] != float64(alice.ID) {
				t.Errorf("Code-Review summary = %v", cr)
			}
			if _, ok := cr["all"]; ok {
				t.Error("LABELS alone gave all")
			}
			v := c["labels"].(map[string]any)["Verified"].(map[string]any)
			if v["recommended"] == nil || v["value"] != 1.0 {
				t.Errorf("Verified summary = %v", v)
			}
		}},
		{opts: "CURRENT_REVISION", present: []string{"current_revision", "current_revision_number", "revisions"}, check: func(t *testing.T, c map[string]any) {
			revs := c["revisions"].(map[string]any)
			r, ok := revs["2222222222222222222222222222222222222222"].(map[string]any)
			if len(revs) != 1 || !ok || c["current_revision"] != "2222222222222222222222222222222222222222" || c["current_revision_number"] != 2.0 {
				t.Fatalf("revisions = %v", revs)
			}
			if r["ref"] != "refs/changes/01/101/2" || r["kind"] != KindTrivialRebase || r["_number"] != 2.0 ||
				r["uploader"].(map[string]any)["_account_id"] != float64(bob.ID) || r["created"] != "2024-03-02 09:00:00.000000000" {
				t.Errorf("revision = %v", r)
			}
			if _, ok := r["commit"]; ok {
				t.Error("commit without CURRENT_COMMIT")
			}
		}},
		{opts: "CURRENT_COMMIT", absent: []string{"revisions", "current_revision"}},
		{opts: "CURRENT_REVISION&o=CURRENT_COMMIT", check: func(t *testing.T, c map[string]any) {
			r := c["revisions"].(map[string]any)["2222222222222222222222222222222222222222"].(map[string]any)
			commit := r["commit"].(map[string]any)
			author := commit["author"].(map[string]any)
			if author["date"] != "2024-02-29 18:00:00.000000000" || author["email"] != alice.Email || author["tz"] != 0.0 {
				t.Errorf("commit author = %v", author)
			}
			if commit["subject"] != "Fix the frobnicator" || len(commit["parents"].([]any)) != 1 ||
				!strings.Contains(commit["message"].(string), "Change-Id: I0123456789abcdef0123456789abcdef01234567") {
				t.Errorf("commit = %v", commit)
			}
		}},
		{opts: "ALL_REVISIONS&o=CURRENT_COMMIT", check: func(t *testing.T, c map[string]any) {
			revs := c["revisions"].(map[string]any)
			if len(revs) != 2 {
				t.Fatalf("%d revisions", len(revs))
			}
			if _, ok := revs["1111111111111111111111111111111111111111"].(map[string]any)["commit"]; ok {
				t.Error("CURRENT_COMMIT gave a commit for an old patch set")
			}
			if _, ok := revs["2222222222222222222222222222222222222222"].(map[string]any)["commit"]; !ok {
				t.Error("no commit on the current patch set")
			}
		}},
		{opts: "ALL_REVISIONS&o=ALL_COMMITS", check: func(t *testing.T, c map[string]any) {
			for sha, r := range c["revisions"].(map[string]any) {
				if _, ok := r.(map[string]any)["commit"]; !ok {
					t.Errorf("revision %s without commit", sha)
				}
			}
		}},
		{opts: "REVIEWER_UPDATES", present: []string{"reviewer_updates"}},
		{opts: "SUBMITTABLE", present: []string{"submittable"}},
		{opts: "CURRENT_FILES&o=DOWNLOAD_COMMANDS&o=web_links", absent: []string{"revisions"}},
	}
	for _, tt := range tests {
		t.Run(tt.opts, func(t *testing.T) {
			path := "/changes/?q=change:101"
			if tt.opts != "" {
				path += "&o=" + tt.opts
			}
			cs := get(t, s.URL(), path).changes(t)
			if len(cs) != 1 {
				t.Fatalf("%d changes", len(cs))
			}
			for _, k := range tt.present {
				if _, ok := cs[0][k]; !ok {
					t.Errorf("%s missing", k)
				}
			}
			for _, k := range tt.absent {
				if _, ok := cs[0][k]; ok {
					t.Errorf("%s present", k)
				}
			}
			if tt.check != nil {
				tt.check(t, cs[0])
			}
		})
	}
}

func TestDetailedAccounts(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	plain := get(t, s.URL(), "/changes/?q=change:101&o=MESSAGES&o=DETAILED_LABELS").changes(t)[0]
	if owner := plain["owner"].(map[string]any); len(owner) != 1 || owner["_account_id"] != float64(alice.ID) {
		t.Errorf("owner without DETAILED_ACCOUNTS = %v", owner)
	}
	if sub := plain["submitter"].(map[string]any); len(sub) != 1 {
		t.Errorf("submitter without DETAILED_ACCOUNTS = %v", sub)
	}
	for _, m := range plain["messages"].([]any) {
		if a, ok := m.(map[string]any)["author"].(map[string]any); ok && len(a) != 1 {
			t.Errorf("message author without DETAILED_ACCOUNTS = %v", a)
		}
	}
	detailed := get(t, s.URL(), "/changes/?q=change:101&o=MESSAGES&o=DETAILED_ACCOUNTS").changes(t)[0]
	owner := detailed["owner"].(map[string]any)
	if owner["name"] != alice.Name || owner["email"] != alice.Email || owner["username"] != alice.Username {
		t.Errorf("detailed owner = %v", owner)
	}
	if _, ok := owner["tags"]; ok {
		t.Error("human has tags")
	}
	if _, ok := owner["display_name"]; ok {
		t.Error("display_name present")
	}
	sub := detailed["submitter"].(map[string]any)
	if tags, _ := sub["tags"].([]any); len(tags) != 1 || tags[0] != "SERVICE_USER" {
		t.Errorf("service user tags = %v", sub["tags"])
	}
	abandoned := get(t, s.URL(), "/changes/?q=change:103&o=MESSAGES&o=DETAILED_ACCOUNTS").changes(t)[0]
	m := abandoned["messages"].([]any)[1].(map[string]any)
	if _, ok := m["author"]; ok {
		t.Errorf("Gerrit-written message has an author: %v", m)
	}
	if _, ok := m["real_author"]; ok {
		t.Errorf("Gerrit-written message has a real_author: %v", m)
	}
	if m["id"] == "" || m["id"] == nil {
		t.Error("derived message id missing")
	}
}

func TestMoreChanges(t *testing.T) {
	cs := Generate(GenOptions{Seed: 7, Changes: 40})
	s := New(cs)
	defer s.Close()
	page := get(t, s.URL(), "/changes/?q=-is:private&n=3").changes(t)
	if len(page) != 3 || page[2]["_more_changes"] != true {
		t.Fatalf("n=3: %d changes, last _more_changes=%v", len(page), page[len(page)-1]["_more_changes"])
	}
	for _, c := range page[:2] {
		if _, ok := c["_more_changes"]; ok {
			t.Error("_more_changes on a change that is not last")
		}
	}
	all := get(t, s.URL(), "/changes/?q=-is:private&n=40").changes(t)
	if len(all) != 40 || all[39]["_more_changes"] != nil {
		t.Errorf("n=40 of 40: %d changes, _more_changes=%v", len(all), all[39]["_more_changes"])
	}
	last := get(t, s.URL(), "/changes/?q=-is:private&n=10&S=30").changes(t)
	if len(last) != 10 || last[9]["_more_changes"] != nil {
		t.Errorf("last page: %d changes, _more_changes=%v", len(last), last[9]["_more_changes"])
	}
	if past := get(t, s.URL(), "/changes/?q=-is:private&S=40").changes(t); len(past) != 0 {
		t.Errorf("past the end: %d changes", len(past))
	}

	capped := New(cs, WithQueryLimit(5))
	defer capped.Close()
	for _, q := range []string{"", "&n=100"} {
		page := get(t, capped.URL(), "/changes/?q=-is:private"+q).changes(t)
		if len(page) != 5 || page[4]["_more_changes"] != true {
			t.Errorf("queryLimit 5%s: %d changes, _more_changes=%v", q, len(page), page[len(page)-1]["_more_changes"])
		}
	}
	if page := get(t, capped.URL(), "/changes/?q=-is:private+limit:2").changes(t); len(page) != 2 || page[1]["_more_changes"] != true {
		t.Errorf("limit:2 gave %d changes", len(page))
	}
}

func TestPagingCoversAll(t *testing.T) {
	cs := Generate(GenOptions{Seed: 3, Changes: 1000})
	s := New(cs)
	defer s.Close()
	var total, alpha int
	for _, c := range cs {
		total++
		if c.Project == "core" {
			alpha++
		}
	}
	for _, tt := range []struct {
		name, q, param string
		want           int
	}{
		{"S", "-is:private", "S", total},
		{"start", "-is:private", "start", total},
		{"window", url.QueryEscape(`after:"2000-01-01 00:00:00" before:2100-01-01`), "S", total},
		{"filtered", "project:core", "start", alpha},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[int]bool{}
			var prev string
			for off := 0; ; off += 97 {
				page := get(t, s.URL(), "/changes/?q="+tt.q+"&n=97&"+tt.param+"="+strconv.Itoa(off)+"&o=SKIP_DIFFSTAT").changes(t)
				for _, c := range page {
					n := int(c["_number"].(float64))
					if seen[n] {
						t.Fatalf("change %d twice", n)
					}
					seen[n] = true
					if u := c["updated"].(string); prev != "" && u > prev {
						t.Fatalf("not sorted by updated desc: %s after %s", u, prev)
					}
					prev = c["updated"].(string)
				}
				more := len(page) > 0 && page[len(page)-1]["_more_changes"] == true
				if !more {
					break
				}
			}
			if len(seen) != tt.want {
				t.Errorf("paging saw %d changes, want %d", len(seen), tt.want)
			}
		})
	}
}

func TestStartAndS(t *testing.T) {
	s := New(Generate(GenOptions{Seed: 3, Changes: 50}))
	defer s.Close()
	ref := numbers(get(t, s.URL(), "/changes/?q=-is:private&n=50").changes(t))
	for _, tt := range []struct {
		query string
		skip  int
	}{
		{"S=5&start=10", 10},
		{"start=10&S=5", 5},
		{"S=7", 7},
		{"start=3", 3},
	} {
		got := numbers(get(t, s.URL(), "/changes/?q=-is:private&n=2&"+tt.query).changes(t))
		if !slices.Equal(got, ref[tt.skip:tt.skip+2]) {
			t.Errorf("%s: got %v, want %v", tt.query, got, ref[tt.skip:tt.skip+2])
		}
	}
}

func TestTimeFilters(t *testing.T) {
	// Updated: 101 2024-03-05 10:11:12.345, 102 and 103 2024-03-04 00:00:00, 104 2024-02-01.
	tests := []struct {
		q    string
		want []int
	}{
		{"after:2024-03-04", []int{101, 103, 102}},
		{"since:2024-03-04", []int{101, 103, 102}},
		{"before:2024-03-04", []int{103, 102, 104}},
		{"until:2024-03-03", []int{104}},
		{`after:"2024-03-05 10:11:12"`, []int{101}},
		{`after:"2024-03-05 10:11:12.345"`, []int{101}},
		{`after:"2024-03-05 10:11:12.346"`, nil},
		{`before:"2024-03-05 10:11:12.345"`, []int{101, 103, 102, 104}},
		{`before:"2024-03-05 10:11:12.344"`, []int{103, 102, 104}},
		{`after:"2024-03-05 10:11:12.345 +0000"`, []int{101}},
		{`after:"2024-03-05 03:11:12.345 -0700"`, []int{101}},
		{`after:"2024-03-05 03:11:12.346 -0700"`, nil},
		{`after:{2024-03-04 00:00:00} before:{2024-03-04 00:00:00}`, []int{103, 102}},
		{`after:2024-03-01 before:2024-03-04 status:abandoned`, []int{103}},
		{`mergedafter:2024-03-05`, []int{101}},
		{`-age:1d`, []int{101}},
		{`age:1d`, []int{103, 102, 104}},
	}
	clock := WithClock(func() time.Time { return at("2024-03-05 12:00:00.000") })
	s := New(fixture(), clock)
	defer s.Close()
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := numbers(get(t, s.URL(), "/changes/?q="+url.QueryEscape(tt.q)).changes(t))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueryOperators(t *testing.T) {
	s := New(fixture(), WithAuth(map[string]string{"bob": "secret"}))
	defer s.Close()
	tests := []struct {
		q    string
		want []int
	}{
		{"(project:alpha OR project:beta)", []int{101, 103, 102}},
		{"(project:alpha OR project:beta) status:open", []int{102}},
		{"project:alpha AND -status:merged", []int{103}},
		{"NOT project:alpha", []int{102, 104}},
		{"projects:tools/", []int{104}},
		{"status:closed", []int{101, 103}},
		{"is:open", []int{102, 104}},
		{"is:wip", []int{102}},
		{"status:new branch:main", []int{102}},
		{"owner:alice", []int{101, 104}},
		{"owner:1000101", []int{103, 102}},
		{"102", []int{102}},
		{"change:I0123456789abcdef0123456789abcdef01234567", []int{101}},
		{"project:alpha OR project:beta status:new", []int{101, 103, 102}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := numbers(get(t, s.URL(), "/changes/?q="+url.QueryEscape(tt.q)).changes(t))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/a/changes/?q=owner:self", nil)
	req.SetBasicAuth("bob", "secret")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := numbers(response{resp.StatusCode, resp.Header, body}.changes(t)); !slices.Equal(got, []int{103, 102}) {
		t.Errorf("owner:self = %v", got)
	}
	// Several q give an array of arrays.
	r := get(t, s.URL(), "/changes/?q=project:beta&q=change:101&q=project:nope")
	var multi [][]map[string]any
	if err := json.Unmarshal(bytes.TrimPrefix(r.body, []byte(")]}'\n")), &multi); err != nil {
		t.Fatal(err)
	}
	if len(multi) != 3 || len(multi[0]) != 1 || len(multi[1]) != 1 || len(multi[2]) != 0 {
		t.Errorf("multi-query = %v", multi)
	}
	// No q: status:open.
	if got := numbers(get(t, s.URL(), "/changes/").changes(t)); !slices.Equal(got, []int{102, 104}) {
		t.Errorf("no q = %v", got)
	}
}

func TestBadRequests(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	tests := []struct {
		path, body string
		status     int
	}{
		{"/changes/?q=foo:bar", "Unsupported operator foo:bar\n", 400},
		{"/changes/?q=project:a+reviewedby:x", "Unsupported operator reviewedby:x\n", 400},
		{"/changes/?q=is:open&o=FOO", "\"FOO\" is not a valid value for \"-o\"\n", 400},
		{"/changes/?q=after:yesterday", "Invalid date format: yesterday\n", 400},
		{"/changes/?q=status:weird", "Unrecognized value: weird\n", 400},
		{"/changes/?q=(project:a", "", 400},
		{"/changes/?q=is:open&n=ten", "", 400},
		{"/changes/?q=is:open&S=-1", "", 400},
		{"/changes/?q=is:open&bogus=1", "\"--bogus\" is not a valid option\n", 400},
		{"/nothing/here", "Not Found\n", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := get(t, s.URL(), tt.path)
			if r.status != tt.status {
				t.Errorf("status %d, want %d (%s)", r.status, tt.status, r.body)
			}
			if tt.body != "" && string(r.body) != tt.body {
				t.Errorf("body %q, want %q", r.body, tt.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s := New(fixture(), WithAuth(map[string]string{"alice": "s3cret", "robot": "pw"}))
	defer s.Close()
	do := func(path, user, pass string) response {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return response{resp.StatusCode, resp.Header, body}
	}
	for _, tt := range []struct {
		path, user, pass string
		status           int
	}{
		{"/a/changes/?q=is:open", "", "", 401},
		{"/a/changes/?q=is:open", "alice", "wrong", 401},
		{"/a/changes/?q=is:open", "mallory", "s3cret", 401},
		{"/a/changes/?q=is:open", "alice", "s3cret", 200},
		{"/changes/?q=is:open", "", "", 200},
		{"/a/accounts/self", "", "", 401},
		{"/a/accounts/self", "alice", "s3cret", 200},
		{"/accounts/self", "", "", 403},
	} {
		r := do(tt.path, tt.user, tt.pass)
		if r.status != tt.status {
			t.Errorf("%s as %q: status %d, want %d", tt.path, tt.user, r.status, tt.status)
		}
		if r.status == 401 && r.header.Get("WWW-Authenticate") != `Basic realm="Gerrit Code Review"` {
			t.Errorf("%s: WWW-Authenticate = %q", tt.path, r.header.Get("WWW-Authenticate"))
		}
	}
	var self map[string]any
	json.Unmarshal(bytes.TrimPrefix(do("/a/accounts/self", "alice", "s3cret").body, []byte(")]}'\n")), &self)
	if self["_account_id"] != float64(alice.ID) || self["username"] != "alice" || self["email"] != alice.Email {
		t.Errorf("self = %v", self)
	}
	// A user that owns nothing still gets an account.
	json.Unmarshal(bytes.TrimPrefix(do("/a/accounts/self", "robot", "pw").body, []byte(")]}'\n")), &self)
	if self["username"] != "robot" || self["_account_id"] == nil {
		t.Errorf("self = %v", self)
	}
	// Without WithAuth any credentials work under /a/, none do not.
	open := New(fixture())
	defer open.Close()
	req, _ := http.NewRequest(http.MethodGet, open.URL()+"/a/changes/?q=is:open", nil)
	req.SetBasicAuth("anyone", "anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("open server with credentials: %d", resp.StatusCode)
	}
	if r := get(t, open.URL(), "/a/changes/?q=is:open"); r.status != 401 {
		t.Errorf("open server without credentials: %d", r.status)
	}
}

func TestFaultsAndRequests(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	calls := 0
	s.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		calls++
		switch calls {
		case 1:
			w.Header().Set("Retry-After", "2")
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>Sign in</body></html>")
		case 3:
			io.WriteString(w, ")]}'\n[{\"id\": \"trunc")
		default:
			return false
		}
		return true
	})
	wantStatus := []int{429, 200, 200, 200}
	for i, want := range wantStatus {
		r := get(t, s.URL(), "/changes/?q=is:open")
		if r.status != want {
			t.Errorf("request %d: status %d, want %d", i+1, r.status, want)
		}
		if i == 0 && r.header.Get("Retry-After") != "2" {
			t.Error("Retry-After lost")
		}
		if i == 3 {
			r.changes(t)
		}
	}
	if s.Requests() != 4 {
		t.Errorf("Requests() = %d, want 4", s.Requests())
	}
	s.SetFault(nil)
	get(t, s.URL(), "/a/changes/?q=is:open") // 401, still counted
	get(t, s.URL(), "/config/server/version")
	if s.Requests() != 5 {
		t.Errorf("Requests() = %d, want 5", s.Requests())
	}
	withFault := New(fixture(), WithFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "boom", http.StatusInternalServerError)
		return true
	}))
	defer withFault.Close()
	if r := get(t, withFault.URL(), "/changes/"); r.status != 500 {
		t.Errorf("WithFault: status %d", r.status)
	}
}

func TestUpdate(t *testing.T) {
	s := New(fixture())
	defer s.Close()
	s.Update(func(cs []Change) []Change {
		for i := range cs {
			if cs[i].Number == 104 {
				cs[i].Updated = at("2024-04-01 00:00:00.000")
			}
		}
		return append(cs, Change{Number: 105, Project: "alpha", Owner: bob, Created: at("2024-03-10 00:00:00.000")})
	})
	if got := numbers(get(t, s.URL(), "/changes/?q=-is:private").changes(t)); !slices.Equal(got, []int{104, 105, 101, 103, 102}) {
		t.Errorf("after Update: %v", got)
	}
	if got := len(s.Changes()); got != 5 {
		t.Errorf("Changes() has %d", got)
	}
}

func TestGzip(t *testing.T) {
	s := New(Generate(GenOptions{Seed: 1, Changes: 30}))
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/changes/?q=-is:private&o=MESSAGES", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if cs := (response{200, resp.Header, body}).changes(t); len(cs) != 30 {
		t.Errorf("%d changes", len(cs))
	}
}

func TestNewHandler(t *testing.T) {
	h := NewHandler(fixture())
	req, _ := http.NewRequest(http.MethodGet, "/config/server/version", nil)
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.status != 200 || rec.body.String() != ")]}'\n\""+Version+"\"\n" {
		t.Errorf("version: %d %q", rec.status, rec.body.String())
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func TestFormatTimeAndEscaper(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2024, 3, 5, 10, 11, 12, 345000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", -7*3600)),
		time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
	} {
		if got, want := formatTime(ts), ts.UTC().Format(gerritTimeLayout); got != want {
			t.Errorf("formatTime = %q, want %q", got, want)
		}
	}
	for in, want := range map[string]string{
		"":          "",
		"plain":     "plain",
		"a'b=c'd":   `a\u0027b\u003dc\u0027d`,
		"==''":      `\u003d\u003d\u0027\u0027`,
		"x=y":       `x\u003dy`,
		"it's=fine": `it\u0027s\u003dfine`,
	} {
		var buf bytes.Buffer
		gsonWriter{&buf}.Write([]byte(in))
		if buf.String() != want {
			t.Errorf("escape(%q) = %q, want %q", in, buf.String(), want)
		}
	}
}

func TestConcurrentUpdate(t *testing.T) {
	s := New(Generate(GenOptions{Seed: 4, Changes: 300}))
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			s.Update(func(cs []Change) []Change {
				cs[len(cs)-1].Updated = cs[0].Updated.Add(time.Minute)
				return cs
			})
		}
	}()
	for i := 0; i < 20; i++ {
		if cs := get(t, s.URL(), "/changes/?q=-is:private&n=50&o=MESSAGES").changes(t); len(cs) != 50 {
			t.Fatalf("%d changes", len(cs))
		}
	}
	<-done
}
