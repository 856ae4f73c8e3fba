package gerrit

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// magicPrefix opens every Gerrit JSON answer (XSSI guard).
var magicPrefix = []byte(")]}'")

// changeInfo is the part of Gerrit's ChangeInfo codepace reads. go-gerrit's
// struct lacks real_author and parses only nine-digit timestamps, so the
// collector decodes into its own.
type changeInfo struct {
	Project         keyName                 `json:"project"`
	Branch          string                  `json:"branch"`
	ChangeID        string                  `json:"change_id"`
	Subject         string                  `json:"subject"`
	Status          string                  `json:"status"`
	Created         string                  `json:"created"`
	Updated         string                  `json:"updated"`
	Submitted       string                  `json:"submitted"`
	Insertions      int64                   `json:"insertions"`
	Deletions       int64                   `json:"deletions"`
	Number          int64                   `json:"_number"`
	Owner           accountInfo             `json:"owner"`
	WorkInProgress  bool                    `json:"work_in_progress"`
	Labels          map[string]labelInfo    `json:"labels"`
	Messages        []messageInfo           `json:"messages"`
	CurrentRevision string                  `json:"current_revision"`
	Revisions       map[string]revisionInfo `json:"revisions"`
	MoreChanges     bool                    `json:"_more_changes"`
}

// keyName is a JSON string that is part of a record's key, such as a
// project name. encoding/json replaces invalid UTF-8 and unpaired
// surrogate escapes (\ud800) with U+FFFD, so two projects whose names
// differ only there would become one and their changes would merge;
// keyName keeps the decoded string and whether the JSON held it exactly.
type keyName struct {
	s     string
	exact bool
}

// exactString tells whether a JSON string token decodes without
// replacement: valid UTF-8, every \u escape of a surrogate paired.
func exactString(tok []byte) bool {
	if !utf8.Valid(tok) {
		return false
	}
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(tok) || tok[i] != '\\' || tok[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(tok[i+2:i+6]), 16, 16)
		return rune(v), err == nil
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // a two-byte escape such as \" or \\
			continue
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00:
			low, ok := hex4(i + 6)
			if !ok || low < 0xdc00 || low > 0xdfff {
				return false
			}
			i += 11
		case utf16.IsSurrogate(r):
			return false
		default:
			i += 5
		}
	}
	return true
}

type accountInfo struct {
	ID       int64    `json:"_account_id"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Username string   `json:"username"`
	Tags     []string `json:"tags"`
}

type labelInfo struct {
	All []approvalInfo `json:"all"`
}

type approvalInfo struct {
	accountInfo
	Value int    `json:"value"`
	Date  string `json:"date"`
}

type messageInfo struct {
	ID         string       `json:"id"`
	Author     *accountInfo `json:"author"`
	RealAuthor *accountInfo `json:"real_author"`
	Date       string       `json:"date"`
	Message    string       `json:"message"`
	Tag        string       `json:"tag"`
	Revision   int          `json:"_revision_number"`
}

type revisionInfo struct {
	Kind     string      `json:"kind"`
	Number   int         `json:"_number"`
	Created  string      `json:"created"`
	Uploader accountInfo `json:"uploader"`
	Commit   *commitInfo `json:"commit"`
}

type commitInfo struct {
	Author struct {
		Date string `json:"date"`
	} `json:"author"`
}

// page is one decoded answer to a change query.
type page struct {
	changes []collectors.Change
	more    bool
	// bad lists the changes that could not be read, each with why.
	bad []error
}

// decodePage reads one /changes/ answer, after its )]}' guard, with
// encoding/json's rules (see scanner). A body that is not a list of
// changes and nothing after it is an error wrapping httpx.ErrNotJSON; a
// single change that cannot be read is reported in page.bad while the
// others are kept.
func decodePage(body []byte, source, baseURL string) (page, error) {
	var p page
	s := scanner{b: body}
	if s.peek() != '[' {
		if s.i == len(body) {
			return p, fmt.Errorf("%w: %v", httpx.ErrNotJSON, s.unexpected())
		}
		return p, fmt.Errorf("%w: expected a list of changes, got %q at offset %d", httpx.ErrNotJSON, body[s.i], s.i)
	}
	s.i++
	for first := true; ; first = false {
		more, err := s.next(first, ']')
		if err != nil {
			return p, fmt.Errorf("%w: %v (is the answer cut short?)", httpx.ErrNotJSON, err)
		}
		if !more {
			// The end of the body, not peek's 0: a NUL byte is not the end.
			if s.peek(); s.i < len(body) {
				return p, fmt.Errorf("%w: more follows the list of changes at offset %d", httpx.ErrNotJSON, s.i)
			}
			return p, nil
		}
		if err := p.add(&s, 0, source, baseURL); err != nil {
			return p, fmt.Errorf("%w: %v (is the answer cut short?)", httpx.ErrNotJSON, err)
		}
	}
}

// add reads the change at the scanner into the page, or, when it cannot be
// read, why into p.bad; base is the offset of the scanner's bytes in the
// answer, for messages. Only a syntax error fails.
func (p *page) add(s *scanner, base int, source, baseURL string) error {
	s.depth, s.wrong = 0, nil
	var ci changeInfo
	if err := s.change(&ci); err != nil {
		return err
	}
	if s.wrong != nil {
		p.bad = append(p.bad, fmt.Errorf("change at offset %d: %v", base+s.wrong.off, s.wrong))
		return nil
	}
	if ci.MoreChanges {
		p.more = true
	}
	c, err := ci.record(source, baseURL)
	if err != nil {
		p.bad = append(p.bad, fmt.Errorf("change %d: %w", ci.Number, err))
		return nil
	}
	p.changes = append(p.changes, c)
	return nil
}

// statuses maps Gerrit's change status to codepace's.
var statuses = map[string]string{
	"NEW":       collectors.StatusOpen,
	"MERGED":    collectors.StatusMerged,
	"ABANDONED": collectors.StatusAbandoned,
}

// record converts a ChangeInfo into the source-neutral record.
func (ci *changeInfo) record(source, baseURL string) (collectors.Change, error) {
	c := collectors.Change{
		Source:     source,
		Project:    ci.Project.s,
		Branch:     ci.Branch,
		Number:     ci.Number,
		ChangeID:   ci.ChangeID,
		Subject:    ci.Subject,
		Owner:      ci.Owner.record(),
		WIP:        ci.WorkInProgress,
		Insertions: ci.Insertions,
		Deletions:  ci.Deletions,
	}
	if ci.Number <= 0 || ci.Project.s == "" {
		return c, errors.New("no _number or project")
	}
	if !ci.Project.exact {
		return c, fmt.Errorf("project name %q is not valid UTF-8 (shown with U+FFFD); refused, since it could merge with another project's name", ci.Project.s)
	}
	c.URL = strings.TrimSuffix(baseURL, "/") + "/c/" + ci.Project.s + "/+/" + strconv.FormatInt(ci.Number, 10)
	status, ok := statuses[ci.Status]
	if !ok {
		return c, fmt.Errorf("unknown status %q", ci.Status)
	}
	c.Status = status
	var err error
	if c.Created, err = parseTime("created", ci.Created); err != nil {
		return c, err
	}
	if c.Updated, err = parseTime("updated", ci.Updated); err != nil {
		return c, err
	}
	if status == collectors.StatusMerged {
		if c.Merged, err = parseTime("submitted", ci.Submitted); err != nil {
			return c, err
		}
	}
	if c.Revisions, c.AuthorDate, err = ci.revisions(); err != nil {
		return c, err
	}
	if c.Messages, err = ci.messages(); err != nil {
		return c, err
	}
	if c.Votes, err = ci.votes(); err != nil {
		return c, err
	}
	return c, nil
}

// revisions converts the patch sets, by number, and reads the current
// one's commit author date (zero when the answer has no commit).
func (ci *changeInfo) revisions() ([]collectors.Revision, time.Time, error) {
	var revs []collectors.Revision
	var authorDate time.Time
	for sha, r := range ci.Revisions {
		created, err := parseTime("revision created", r.Created)
		if err != nil {
			return nil, authorDate, err
		}
		revs = append(revs, collectors.Revision{
			Number: r.Number, Created: created, Uploader: r.Uploader.record(), Kind: r.Kind, Commit: sha,
		})
		if sha == ci.CurrentRevision && r.Commit != nil && r.Commit.Author.Date != "" {
			if authorDate, err = parseTime("commit author date", r.Commit.Author.Date); err != nil {
				return nil, authorDate, err
			}
		}
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Number < revs[j].Number })
	return revs, authorDate, nil
}

// messages converts the change messages, in the answer's order.
func (ci *changeInfo) messages() ([]collectors.Message, error) {
	var msgs []collectors.Message
	for _, m := range ci.Messages {
		date, err := parseTime("message date", m.Date)
		if err != nil {
			return nil, err
		}
		msg := collectors.Message{ID: m.ID, Date: date, Tag: m.Tag, Text: m.Message, Revision: m.Revision}
		if m.Author != nil {
			msg.Author = m.Author.record()
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// votes converts the votes cast (not the reviewers listed without one),
// by label name then in the answer's order.
func (ci *changeInfo) votes() ([]collectors.Vote, error) {
	labels := make([]string, 0, len(ci.Labels))
	for name := range ci.Labels {
		labels = append(labels, name)
	}
	sort.Strings(labels)
	var votes []collectors.Vote
	for _, name := range labels {
		for _, a := range ci.Labels[name].All {
			if a.Value == 0 {
				continue // listed reviewer without a vote
			}
			v := collectors.Vote{Label: name, Account: a.accountInfo.record(), Value: a.Value}
			if a.Date != "" {
				var err error
				if v.Date, err = parseTime("vote date", a.Date); err != nil {
					return nil, err
				}
			}
			votes = append(votes, v)
		}
	}
	return votes, nil
}

func (a accountInfo) record() collectors.Account {
	r := collectors.Account{Name: a.Name, Email: a.Email, Username: a.Username}
	if a.ID != 0 {
		r.ID = strconv.FormatInt(a.ID, 10)
	}
	for _, t := range a.Tags {
		if t == "SERVICE_USER" {
			r.Service = true
		}
	}
	return r
}

// timeLayout is Gerrit's timestamp form; the fraction is nine digits on
// every server seen, but fewer are accepted.
const timeLayout = "2006-01-02 15:04:05.999999999"

func parseTime(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(timeLayout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a Gerrit timestamp (yyyy-mm-dd hh:mm:ss.fffffffff)", field, s)
	}
	return t, collectors.CheckTime(field, t)
}
