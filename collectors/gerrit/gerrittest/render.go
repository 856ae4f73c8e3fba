package gerrittest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// options is the set of o= values a request asked for.
type options struct {
	labels, detailedLabels       bool
	currentRevision, allRevision bool
	currentCommit, allCommits    bool
	detailedAccounts, messages   bool
	skipDiffstat, submittable    bool
	reviewerUpdates              bool
}

// knownOptions are the ListChangesOption names Gerrit 3.10 accepts. Those
// this server does not render (files, actions, ...) are accepted and ignored.
var knownOptions = map[string]func(*options){
	"LABELS":              func(o *options) { o.labels = true },
	"DETAILED_LABELS":     func(o *options) { o.detailedLabels = true },
	"CURRENT_REVISION":    func(o *options) { o.currentRevision = true },
	"ALL_REVISIONS":       func(o *options) { o.allRevision = true },
	"CURRENT_COMMIT":      func(o *options) { o.currentCommit = true },
	"ALL_COMMITS":         func(o *options) { o.allCommits = true },
	"DETAILED_ACCOUNTS":   func(o *options) { o.detailedAccounts = true },
	"MESSAGES":            func(o *options) { o.messages = true },
	"SKIP_DIFFSTAT":       func(o *options) { o.skipDiffstat = true },
	"SUBMITTABLE":         func(o *options) { o.submittable = true },
	"REVIEWER_UPDATES":    func(o *options) { o.reviewerUpdates = true },
	"CURRENT_FILES":       nil,
	"ALL_FILES":           nil,
	"CURRENT_ACTIONS":     nil,
	"CHANGE_ACTIONS":      nil,
	"REVIEWED":            nil,
	"DRAFT_COMMENTS":      nil,
	"DOWNLOAD_COMMANDS":   nil,
	"WEB_LINKS":           nil,
	"CHECK":               nil,
	"COMMIT_FOOTERS":      nil,
	"PUSH_CERTIFICATES":   nil,
	"TRACKING_IDS":        nil,
	"SKIP_MERGEABLE":      nil,
	"SUBMIT_REQUIREMENTS": nil,
	"CUSTOM_KEYED_VALUES": nil,
	"STAR":                nil,
	"PARENTS":             nil,
}

func parseOptions(values []string) (options, error) {
	var o options
	for _, v := range values {
		set, ok := knownOptions[strings.ToUpper(v)]
		if !ok {
			return o, badQuery("%q is not a valid value for \"-o\"", v)
		}
		if set != nil {
			set(&o)
		}
	}
	return o, nil
}

// gerritTime is Gerrit's timestamp form: UTC, nine fractional digits.
const gerritTimeLayout = "2006-01-02 15:04:05.000000000"

func formatTime(t time.Time) string {
	t = t.UTC()
	year, month, dayOfMonth := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		return t.Format(gerritTimeLayout)
	}
	var b [29]byte
	put := func(i, v, width int) {
		for k := i + width - 1; k >= i; k-- {
			b[k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, dayOfMonth, 2)
	b[10] = ' '
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond(), 9)
	return string(b[:])
}

type accountJSON struct {
	ID       int      `json:"_account_id"`
	Name     string   `json:"name,omitempty"`
	Email    string   `json:"email,omitempty"`
	Username string   `json:"username,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

var serviceUserTags = []string{"SERVICE_USER"}

func (o *options) account(a *Account) accountJSON {
	if !o.detailedAccounts {
		return accountJSON{ID: a.ID}
	}
	j := accountJSON{ID: a.ID, Name: a.Name, Email: a.Email, Username: a.Username}
	if a.Service {
		j.Tags = serviceUserTags
	}
	return j
}

func (o *options) accountPtr(a *Account) *accountJSON {
	j := o.account(a)
	return &j
}

type messageJSON struct {
	ID             string       `json:"id"`
	Tag            string       `json:"tag,omitempty"`
	Author         *accountJSON `json:"author,omitempty"`
	RealAuthor     *accountJSON `json:"real_author,omitempty"`
	Date           string       `json:"date"`
	Message        string       `json:"message"`
	RevisionNumber int          `json:"_revision_number,omitempty"`
}

type votingRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

type approvalJSON struct {
	Value                int          `json:"value"`
	Date                 string       `json:"date,omitempty"`
	PermittedVotingRange *votingRange `json:"permitted_voting_range,omitempty"`
	accountJSON
}

type labelJSON struct {
	Approved     *accountJSON    `json:"approved,omitempty"`
	Rejected     *accountJSON    `json:"rejected,omitempty"`
	Recommended  *accountJSON    `json:"recommended,omitempty"`
	Disliked     *accountJSON    `json:"disliked,omitempty"`
	Blocking     bool            `json:"blocking,omitempty"`
	Value        int             `json:"value,omitempty"`
	All          []approvalJSON  `json:"all,omitempty"`
	Values       json.RawMessage `json:"values,omitempty"`
	DefaultValue int             `json:"default_value"`
}

type gitPersonJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
	TZ    int    `json:"tz"`
}

type parentJSON struct {
	Commit  string `json:"commit"`
	Subject string `json:"subject"`
}

type commitJSON struct {
	Parents   []parentJSON  `json:"parents"`
	Author    gitPersonJSON `json:"author"`
	Committer gitPersonJSON `json:"committer"`
	Subject   string        `json:"subject"`
	Message   string        `json:"message"`
}

type revisionJSON struct {
	Kind     string      `json:"kind"`
	Number   int         `json:"_number"`
	Created  string      `json:"created"`
	Uploader accountJSON `json:"uploader"`
	Ref      string      `json:"ref"`
	Fetch    struct{}    `json:"fetch"`
	Commit   *commitJSON `json:"commit,omitempty"`
}

type reviewerUpdateJSON struct {
	Updated   string      `json:"updated"`
	UpdatedBy accountJSON `json:"updated_by"`
	Reviewer  accountJSON `json:"reviewer"`
	State     string      `json:"state"`
}

// changeJSON is ChangeInfo with Gerrit 3.10's field order.
type changeJSON struct {
	ID                     string                    `json:"id"`
	TripletID              string                    `json:"triplet_id"`
	Project                string                    `json:"project"`
	Branch                 string                    `json:"branch"`
	Hashtags               []string                  `json:"hashtags"`
	ChangeID               string                    `json:"change_id"`
	Subject                string                    `json:"subject"`
	Status                 string                    `json:"status"`
	Created                string                    `json:"created"`
	Updated                string                    `json:"updated"`
	Submitted              string                    `json:"submitted,omitempty"`
	Submitter              *accountJSON              `json:"submitter,omitempty"`
	SubmitType             string                    `json:"submit_type"`
	Submittable            *bool                     `json:"submittable,omitempty"`
	Insertions             *int                      `json:"insertions,omitempty"`
	Deletions              *int                      `json:"deletions,omitempty"`
	TotalCommentCount      int                       `json:"total_comment_count"`
	UnresolvedCommentCount int                       `json:"unresolved_comment_count"`
	WorkInProgress         bool                      `json:"work_in_progress,omitempty"`
	HasReviewStarted       bool                      `json:"has_review_started,omitempty"`
	SubmissionID           string                    `json:"submission_id,omitempty"`
	MetaRevID              string                    `json:"meta_rev_id"`
	Number                 int                       `json:"_number"`
	VirtualIDNumber        int                       `json:"virtual_id_number"`
	Owner                  accountJSON               `json:"owner"`
	Labels                 map[string]*labelJSON     `json:"labels,omitempty"`
	RemovableReviewers     *[]accountJSON            `json:"removable_reviewers,omitempty"`
	Reviewers              *map[string][]accountJSON `json:"reviewers,omitempty"`
	PendingReviewers       *struct{}                 `json:"pending_reviewers,omitempty"`
	ReviewerUpdates        *[]reviewerUpdateJSON     `json:"reviewer_updates,omitempty"`
	Messages               *[]messageJSON            `json:"messages,omitempty"`
	CurrentRevisionNumber  int                       `json:"current_revision_number,omitempty"`
	CurrentRevision        string                    `json:"current_revision,omitempty"`
	Revisions              map[string]*revisionJSON  `json:"revisions,omitempty"`
	MoreChanges            bool                      `json:"_more_changes,omitempty"`
	Requirements           []struct{}                `json:"requirements"`
}

// labelDef is a label as the fake project config defines it.
type labelDef struct {
	name     string
	min, max int
	values   json.RawMessage
}

func valuesJSON(pairs ...string) json.RawMessage {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(pairs[i])
		v, _ := json.Marshal(pairs[i+1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return json.RawMessage(b.String())
}

// configuredLabels are the labels every project has, in Gerrit's order.
var configuredLabels = []labelDef{
	{name: "Code-Review", min: -2, max: 2, values: valuesJSON(
		"-2", "This shall not be submitted",
		"-1", "I would prefer this is not submitted as is",
		" 0", "No score",
		"+1", "Looks good to me, but someone else must approve",
		"+2", "Looks good to me, approved")},
	{name: "Verified", min: -2, max: 2, values: valuesJSON(
		"-2", "Fails",
		"-1", "Doesn't seem to work",
		" 0", "No score",
		"+1", "Works for me",
		"+2", "Verified")},
}

// extraLabels are known labels that appear only when some vote uses them.
var extraLabels = map[string]labelDef{
	"Workflow": {name: "Workflow", min: -1, max: 1, values: valuesJSON(
		"-1", "Work in progress",
		" 0", "Ready for reviews",
		"+1", "Approved")},
}

// changeExtra is what the server derives once per change when it loads the
// history, so that requests only format.
type changeExtra struct {
	encProject   string
	tripletID    string
	metaRevID    string
	submissionID string
	comments     int
	started      bool
	// reviewers in order of first activity, with the time of that activity.
	reviewers     []*Account
	reviewerSince []time.Time
	labels        []labelDef
	parentSHA     string
	parentSubject string
	msgIDs        []string // derived ids for messages without one
	revSHAs       []string // derived SHAs for revisions without one
	// voteRanges are the permitted ranges shown with each of c.Votes.
	voteRanges []votingRange
}

func (x *changeExtra) sha(c *Change, i int) string {
	if s := c.Revisions[i].SHA; s != "" {
		return s
	}
	return x.revSHAs[i]
}

func changeRef(number, ps int) string {
	return fmt.Sprintf("refs/changes/%02d/%d/%d", number%100, number, ps)
}

// render builds the ChangeInfo for one change under the requested options.
func render(c *Change, x *changeExtra, o *options, more bool) *changeJSON {
	j := &changeJSON{
		ID:                     x.encProject + "~" + strconv.Itoa(c.Number),
		TripletID:              x.tripletID,
		Project:                c.Project,
		Branch:                 c.Branch,
		Hashtags:               []string{},
		ChangeID:               c.ChangeID,
		Subject:                c.Subject,
		Status:                 c.Status,
		Created:                formatTime(c.Created),
		Updated:                formatTime(c.Updated),
		SubmitType:             "MERGE_IF_NECESSARY",
		TotalCommentCount:      x.comments,
		UnresolvedCommentCount: 0,
		WorkInProgress:         c.WIP,
		HasReviewStarted:       x.started,
		MetaRevID:              x.metaRevID,
		Number:                 c.Number,
		VirtualIDNumber:        c.Number,
		Owner:                  o.account(&c.Owner),
		MoreChanges:            more,
		Requirements:           []struct{}{},
	}
	if c.Status == StatusMerged {
		if !c.Submitted.IsZero() {
			j.Submitted = formatTime(c.Submitted)
		}
		if c.Submitter != nil {
			j.Submitter = o.accountPtr(c.Submitter)
		}
		j.SubmissionID = x.submissionID
	}
	if !o.skipDiffstat {
		ins, del := c.Insertions, c.Deletions
		j.Insertions, j.Deletions = &ins, &del
	}
	if o.submittable {
		s := c.Status == StatusNew && submittable(c)
		j.Submittable = &s
	}
	if o.labels || o.detailedLabels {
		renderLabels(j, c, x, o)
	}
	if o.reviewerUpdates {
		j.ReviewerUpdates = renderReviewerUpdates(x, o)
	}
	if o.messages {
		j.Messages = renderMessages(c, x, o)
	}
	if (o.currentRevision || o.allRevision) && len(c.Revisions) > 0 {
		renderRevisions(j, c, x, o)
	}
	return j
}

// renderReviewerUpdates lists each reviewer as added by themselves when
// they first acted on the change.
func renderReviewerUpdates(x *changeExtra, o *options) *[]reviewerUpdateJSON {
	ups := make([]reviewerUpdateJSON, len(x.reviewers))
	for i, r := range x.reviewers {
		a := o.account(r)
		ups[i] = reviewerUpdateJSON{Updated: formatTime(x.reviewerSince[i]), UpdatedBy: a, Reviewer: a, State: "REVIEWER"}
	}
	return &ups
}

// renderMessages renders the change messages; real_author is the author
// unless someone else wrote on their behalf.
func renderMessages(c *Change, x *changeExtra, o *options) *[]messageJSON {
	msgs := make([]messageJSON, len(c.Messages))
	for i := range c.Messages {
		m := &c.Messages[i]
		mj := messageJSON{ID: m.ID, Tag: m.Tag, Date: formatTime(m.Date), Message: m.Message, RevisionNumber: m.Revision}
		if mj.ID == "" {
			mj.ID = x.msgIDs[i]
		}
		if m.Author != nil {
			mj.Author = o.accountPtr(m.Author)
			if m.RealAuthor != nil && m.RealAuthor.ID != m.Author.ID {
				mj.RealAuthor = o.accountPtr(m.RealAuthor)
			} else {
				mj.RealAuthor = mj.Author
			}
		}
		msgs[i] = mj
	}
	return &msgs
}

// renderRevisions sets the current revision and the revisions map: the
// current patch set only, or all with ALL_REVISIONS; commits as asked.
func renderRevisions(j *changeJSON, c *Change, x *changeExtra, o *options) {
	cur := len(c.Revisions) - 1
	j.CurrentRevisionNumber = c.Revisions[cur].Number
	j.CurrentRevision = x.sha(c, cur)
	first := cur
	if o.allRevision {
		first = 0
	}
	j.Revisions = make(map[string]*revisionJSON, cur-first+1)
	for i := first; i <= cur; i++ {
		r := &c.Revisions[i]
		kind := r.Kind
		if kind == "" {
			kind = KindRework
		}
		rj := &revisionJSON{
			Kind:     kind,
			Number:   r.Number,
			Created:  formatTime(r.Created),
			Uploader: o.account(&r.Uploader),
			Ref:      changeRef(c.Number, r.Number),
		}
		if o.allCommits || (o.currentCommit && i == cur) {
			rj.Commit = renderCommit(c, r, x)
		}
		j.Revisions[x.sha(c, i)] = rj
	}
}

func renderCommit(c *Change, r *Revision, x *changeExtra) *commitJSON {
	subject := r.Subject
	if subject == "" {
		subject = c.Subject
	}
	ad := r.AuthorDate
	if ad.IsZero() {
		ad = r.Created
	}
	return &commitJSON{
		Parents:   []parentJSON{{Commit: x.parentSHA, Subject: x.parentSubject}},
		Author:    gitPerson(&c.Owner, ad),
		Committer: gitPerson(&r.Uploader, r.Created),
		Subject:   subject,
		Message:   subject + "\n\nChange-Id: " + c.ChangeID + "\n",
	}
}

func gitPerson(a *Account, t time.Time) gitPersonJSON {
	email := a.Email
	if email == "" {
		email = a.Username + "@example.org"
	}
	name := a.Name
	if name == "" {
		name = a.Username
	}
	return gitPersonJSON{Name: name, Email: email, Date: formatTime(t), TZ: 0}
}

func submittable(c *Change) bool {
	var approved, verified, vetoed bool
	for _, v := range c.Votes {
		switch {
		case v.Label == "Code-Review" && v.Value == 2:
			approved = true
		case v.Label == "Code-Review" && v.Value == -2:
			vetoed = true
		case v.Label == "Verified" && v.Value > 0:
			verified = true
		case v.Label == "Verified" && v.Value < 0:
			vetoed = true
		}
	}
	return approved && verified && !vetoed && !c.WIP
}

func renderLabels(j *changeJSON, c *Change, x *changeExtra, o *options) {
	j.Labels = make(map[string]*labelJSON, len(x.labels))
	for _, def := range x.labels {
		l := &labelJSON{}
		if o.labels {
			summarize(l, c, def, o)
		}
		if o.detailedLabels {
			l.Values = def.values
			l.All = make([]approvalJSON, 0, len(x.reviewers))
			for _, r := range x.reviewers {
				a := approvalJSON{accountJSON: o.account(r)}
				for vi := range c.Votes {
					v := &c.Votes[vi]
					if v.Label == def.name && v.Account.ID == r.ID {
						a.Value = v.Value
						a.Date = formatTime(v.Date)
						a.PermittedVotingRange = &x.voteRanges[vi]
					}
				}
				l.All = append(l.All, a)
			}
		}
		j.Labels[def.name] = l
	}
	if o.detailedLabels {
		rs := make([]accountJSON, len(x.reviewers))
		for i, r := range x.reviewers {
			rs[i] = o.account(r)
		}
		empty := []accountJSON{}
		j.RemovableReviewers = &empty
		j.PendingReviewers = &struct{}{}
		// Gerrit sends "reviewers": {} on a change without reviewers.
		reviewers := map[string][]accountJSON{}
		if len(rs) > 0 {
			reviewers["REVIEWER"] = rs
		}
		j.Reviewers = &reviewers
	}
}

// summarize fills the LABELS form as Gerrit's LabelsJson does: the first
// vote at the label's minimum or maximum wins (rejected, approved) and stops
// the summary; otherwise disliked beats recommended and sets value.
func summarize(l *labelJSON, c *Change, def labelDef, o *options) {
	for i := range c.Votes {
		v := &c.Votes[i]
		if v.Label != def.name || v.Value == 0 {
			continue
		}
		if l.Approved != nil || l.Rejected != nil {
			return
		}
		switch {
		case v.Value == def.min:
			l.Rejected = o.accountPtr(&v.Account)
			l.Blocking = true
		case v.Value == def.max:
			l.Approved = o.accountPtr(&v.Account)
		case v.Value < 0:
			l.Disliked = o.accountPtr(&v.Account)
			l.Value = v.Value
		case l.Disliked == nil:
			l.Recommended = o.accountPtr(&v.Account)
			l.Value = v.Value
		}
	}
}
