package gerrittest

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/codepace/codepace/internal/testserver"
)

// DefaultQueryLimit is Gerrit's default queryLimit for a group: the most
// changes one query answers.
const DefaultQueryLimit = 500

// Version is the Gerrit version the server claims at /config/server/version.
const Version = "3.10.1"

// FaultFunc sees every request before the handler does. When it returns
// true it has answered the request itself, which lets a test inject 429 with
// Retry-After, 500, an HTML login page with status 200, a body without the
// )]}' prefix, truncated JSON, a stall, etc.
type FaultFunc = testserver.FaultFunc

// Option configures a Handler or Server.
type Option func(*config)

type config struct {
	auth       map[string]string
	queryLimit int
	fault      FaultFunc
	gzip       bool
	now        func() time.Time
}

// WithAuth makes /a/ endpoints require HTTP Basic with one of the given
// username -> HTTP password pairs. Without it /a/ accepts any username and
// password (but still answers 401 when none is sent). Unauthenticated
// /changes/ always works, as for Gerrit's anonymous users.
func WithAuth(users map[string]string) Option {
	return func(c *config) {
		c.auth = make(map[string]string, len(users))
		for u, p := range users {
			c.auth[u] = p
		}
	}
}

// WithQueryLimit sets the server's queryLimit (default 500): n is capped to
// it and a page cut by it carries _more_changes.
func WithQueryLimit(n int) Option {
	return func(c *config) { c.queryLimit = n }
}

// WithFault installs a FaultFunc from the start; see Handler.SetFault.
func WithFault(f FaultFunc) Option {
	return func(c *config) { c.fault = f }
}

// WithGzip turns gzip responses (for clients that send Accept-Encoding:
// gzip, as Go's transport does) on or off; on by default, like Gerrit.
func WithGzip(on bool) Option {
	return func(c *config) { c.gzip = on }
}

// WithClock sets the clock that age: and -age: are measured against;
// time.Now by default.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// Handler is the fake Gerrit as an http.Handler. It serves:
//
//   - GET /changes/ and /a/changes/: the change query. q (repeatable; several
//     give an array of arrays; absent means status:open), n or limit, S or
//     start (when both are given the one later in the URL wins, as with
//     Gerrit's args4j option parsing), o (repeatable), pp. The query language
//     subset: terms separated by spaces (AND), OR, NOT or -, parentheses;
//     after:/since:, before:/until: (on updated, inclusive; 2006-01-02[
//     15:04:05[.000][ -0700]], UTC by default, quoted "..." or {...} when it
//     has spaces), age:, mergedafter:, mergedbefore:, project:, projects:,
//     branch:, status: and is: (open, new, pending, merged, abandoned,
//     closed, wip), owner: (id, username, email, name, self), change:, a
//     bare change number or Change-Id, limit:. Anything else is a 400 with
//     Gerrit's "Unsupported operator ..." text.
//   - GET /a/accounts/self (and /accounts/self): the caller's AccountInfo.
//   - GET /config/server/version: the version string.
//
// Results are sorted by updated, newest first, ties by number descending.
//
// The embedded testserver.Base gives SetFault (safe to call while
// serving), and Requests, Log and ResetCounters, which count and log the
// /changes/ requests (plain or /a/) alone, including those a FaultFunc
// answered.
type Handler struct {
	testserver.Base
	cfg config

	mu      sync.RWMutex
	changes []Change      // sorted by Updated desc, Number desc
	extras  []changeExtra // parallel to changes

	accountsMu sync.Mutex
	accounts   map[string]*Account // by username, filled on demand
}

// NewHandler returns a Handler serving a copy of changes (the slice is
// copied and sorted; the changes' own slices are shared and must not be
// modified while served, except through Update).
func NewHandler(changes []Change, opts ...Option) *Handler {
	h := &Handler{cfg: config{queryLimit: DefaultQueryLimit, gzip: true, now: time.Now}}
	for _, o := range opts {
		o(&h.cfg)
	}
	if h.cfg.queryLimit <= 0 {
		h.cfg.queryLimit = DefaultQueryLimit
	}
	h.SetFault(h.cfg.fault)
	h.load(append([]Change(nil), changes...))
	return h
}

// Update replaces the history under the write lock: fn gets the current
// changes (sorted by updated, newest first; fn may modify and append to the
// slice) and returns the new history, which the handler takes over,
// normalizes and re-sorts. Requests see the old or the new history, never a
// mix.
func (h *Handler) Update(fn func(changes []Change) []Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load(fn(h.changes))
}

// Changes returns a copy of the served history, newest update first.
func (h *Handler) Changes() []Change {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]Change(nil), h.changes...)
}

// load normalizes, sorts and derives; callers hold the write lock (or own h).
func (h *Handler) load(changes []Change) {
	for i := range changes {
		normalize(&changes[i])
	}
	// Sort an index, then move each change once.
	order := make([]int32, len(changes))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &changes[i], &changes[j]
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(b.Number, a.Number)
	})
	sorted := make([]Change, len(changes))
	for k, i := range order {
		sorted[k] = changes[i]
	}
	changes = sorted
	extras := make([]changeExtra, len(changes))
	parallel(len(changes), func(i int) { extras[i] = deriveExtra(&changes[i]) })
	// Parents: the previous change of the same project, by number.
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &changes[i], &changes[j]
		if c := strings.Compare(a.Project, b.Project); c != 0 {
			return c
		}
		return cmp.Compare(a.Number, b.Number)
	})
	for k, i := range order {
		c, x := &changes[i], &extras[i]
		if k > 0 && changes[order[k-1]].Project == c.Project && len(changes[order[k-1]].Revisions) > 0 {
			p := &changes[order[k-1]]
			x.parentSHA = extras[order[k-1]].sha(p, len(p.Revisions)-1)
			x.parentSubject = p.Subject
		} else {
			x.parentSHA = hexHash("root", c.Project)
			x.parentSubject = "Initial empty repository"
		}
	}
	h.changes, h.extras = changes, extras
	h.accountsMu.Lock()
	h.accounts = map[string]*Account{}
	h.accountsMu.Unlock()
}

// parallel runs fn(0..n-1) on all CPUs.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/1024, 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	const chunk = 512
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				from := int(next.Add(chunk)) - chunk
				if from >= n {
					return
				}
				for i := from; i < min(from+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// account finds the account with a username in the history (nil when none
// has it); callers hold at least the read lock.
func (h *Handler) account(username string) *Account {
	h.accountsMu.Lock()
	defer h.accountsMu.Unlock()
	if a, ok := h.accounts[username]; ok {
		return a
	}
	var found *Account
	match := func(a *Account) bool {
		if a != nil && a.Username == username {
			found = a
			return true
		}
		return false
	}
search:
	for i := range h.changes {
		c := &h.changes[i]
		if match(&c.Owner) || match(c.Submitter) {
			break
		}
		for j := range c.Votes {
			if match(&c.Votes[j].Account) {
				break search
			}
		}
		for j := range c.Messages {
			if match(c.Messages[j].Author) {
				break search
			}
		}
	}
	h.accounts[username] = found
	return found
}

// normalize fills what a hand-built change may leave out.
func normalize(c *Change) {
	if c.Status == "" {
		c.Status = StatusNew
	}
	if c.Branch == "" {
		c.Branch = "master"
	}
	if c.ChangeID == "" {
		c.ChangeID = "I" + hexHash("change-id", c.Project, strconv.Itoa(c.Number))
	}
	if c.Updated.IsZero() {
		u := c.Created
		later := func(t time.Time) {
			if t.After(u) {
				u = t
			}
		}
		for i := range c.Revisions {
			later(c.Revisions[i].Created)
		}
		for i := range c.Messages {
			later(c.Messages[i].Date)
		}
		for i := range c.Votes {
			later(c.Votes[i].Date)
		}
		later(c.Submitted)
		c.Updated = u
	}
}

func hexHash(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// deriveExtra derives what requests about c need beyond c itself.
func deriveExtra(c *Change) changeExtra {
	x := changeExtra{encProject: url.QueryEscape(c.Project)}
	x.tripletID = x.encProject + "~" + url.QueryEscape(c.Branch) + "~" + c.ChangeID
	x.deriveIDs(c)
	x.scanMessages(c)
	for i := range c.Votes {
		x.addReviewer(&c.Votes[i].Account, c.Votes[i].Date)
	}
	x.deriveLabels(c)
	if len(c.Votes) > 0 {
		x.deriveVoteRanges(c)
	}
	return x
}

// deriveIDs derives the meta revision (from what an update changes), a
// merged change's submission id, and SHAs for revisions without one.
func (x *changeExtra) deriveIDs(c *Change) {
	var buf [40]byte
	binary.BigEndian.PutUint64(buf[0:], uint64(c.Number))
	binary.BigEndian.PutUint64(buf[8:], uint64(c.Updated.UnixNano()))
	binary.BigEndian.PutUint64(buf[16:], uint64(len(c.Messages)))
	binary.BigEndian.PutUint64(buf[24:], uint64(len(c.Votes)))
	binary.BigEndian.PutUint64(buf[32:], uint64(len(c.Revisions)))
	sum := sha1.Sum(buf[:])
	x.metaRevID = hex.EncodeToString(sum[:])
	if c.Status == StatusMerged {
		x.submissionID = strconv.Itoa(c.Number) + "-" + strconv.FormatInt(c.Submitted.UnixMilli(), 10) + "-" + x.metaRevID[:8]
	}
	for i := range c.Revisions {
		if c.Revisions[i].SHA == "" {
			if x.revSHAs == nil {
				x.revSHAs = make([]string, len(c.Revisions))
			}
			x.revSHAs[i] = hexHash("rev", strconv.Itoa(c.Number), strconv.Itoa(c.Revisions[i].Number))
		}
	}
}

// scanMessages derives ids for messages without one, counts comments,
// adds everyone but the owner who wrote a message as a reviewer, and
// decides whether review has started: the change is not WIP, or it was
// marked ready, or it was not created WIP.
func (x *changeExtra) scanMessages(c *Change) {
	createdWIP := false
	ready := false
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.ID == "" {
			if x.msgIDs == nil {
				x.msgIDs = make([]string, len(c.Messages))
			}
			x.msgIDs[i] = hexHash("msg", strconv.Itoa(c.Number), strconv.Itoa(i))
		}
		x.comments += countComments(m.Message)
		switch m.Tag {
		case TagNewWipPatchSet:
			if i == 0 {
				createdWIP = true
			}
		case TagSetReadyForReview:
			ready = true
		}
		if m.Author != nil && m.Author.ID != c.Owner.ID {
			x.addReviewer(m.Author, m.Date)
		}
	}
	x.started = !c.WIP || ready || (len(c.Messages) > 0 && !createdWIP)
}

// deriveLabels lists the configured labels plus any other label a vote
// uses, with its known range or the range the votes span (at least -1..+1).
func (x *changeExtra) deriveLabels(c *Change) {
	x.labels = configuredLabels
	for i := range c.Votes {
		v := &c.Votes[i]
		found := false
		for _, d := range x.labels {
			if d.name == v.Label {
				found = true
				break
			}
		}
		if !found {
			if len(x.labels) == len(configuredLabels) {
				x.labels = append([]labelDef(nil), configuredLabels...)
			}
			d, ok := extraLabels[v.Label]
			if !ok {
				d = labelDef{name: v.Label, min: -1, max: 1}
				for _, w := range c.Votes {
					if w.Label == v.Label {
						d.min, d.max = min(d.min, w.Value), max(d.max, w.Value)
					}
				}
			}
			x.labels = append(x.labels, d)
		}
	}
}

// deriveVoteRanges gives each vote the range its voter may vote in: the
// label's range, but -1..+1 for a human whose vote is within it.
func (x *changeExtra) deriveVoteRanges(c *Change) {
	x.voteRanges = make([]votingRange, len(c.Votes))
	for i, v := range c.Votes {
		var d labelDef
		for _, l := range x.labels {
			if l.name == v.Label {
				d = l
			}
		}
		r := votingRange{Min: d.min, Max: d.max}
		if !v.Account.Service && v.Value > -2 && v.Value < 2 && d.min <= -1 && d.max >= 1 {
			r = votingRange{Min: -1, Max: 1}
		}
		x.voteRanges[i] = r
	}
}

func (x *changeExtra) addReviewer(a *Account, t time.Time) {
	for i, r := range x.reviewers {
		if r.ID == a.ID {
			if t.Before(x.reviewerSince[i]) {
				x.reviewerSince[i] = t
			}
			return
		}
	}
	x.reviewers = append(x.reviewers, a)
	x.reviewerSince = append(x.reviewerSince, t)
}

// countComments reads the "(N comments)" line Gerrit writes into review
// messages right after the "Patch Set N: ..." header.
func countComments(s string) int {
	if !strings.HasPrefix(s, "Patch Set ") {
		return 0
	}
	_, rest, ok := strings.Cut(s, "\n\n(")
	if !ok {
		return 0
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j == 0 || !strings.HasPrefix(rest[j:], " comment") {
		return 0
	}
	n, _ := strconv.Atoi(rest[:j])
	return n
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	authed := strings.HasPrefix(path, "/a/")
	if authed {
		path = path[2:]
	}
	isChanges := path == "/changes/" || path == "/changes"
	if isChanges {
		h.Record(r)
	}
	if h.Fault(w, r) {
		return
	}
	var self *Account
	if authed {
		var ok bool
		if self, ok = h.authenticate(r); !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="Gerrit Code Review"`)
			replyText(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
	}
	switch {
	case isChanges:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			replyText(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		h.serveQuery(w, r, self)
	case path == "/accounts/self" || path == "/accounts/self/":
		if self == nil {
			replyText(w, http.StatusForbidden, "Authentication required")
			return
		}
		j := accountJSON{ID: self.ID, Name: self.Name, Email: self.Email, Username: self.Username}
		if self.Service {
			j.Tags = serviceUserTags
		}
		h.replyJSON(w, r, j)
	case path == "/config/server/version":
		h.replyJSON(w, r, Version)
	default:
		replyText(w, http.StatusNotFound, "Not Found")
	}
}

func (h *Handler) authenticate(r *http.Request) (*Account, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok || user == "" {
		return nil, false
	}
	if h.cfg.auth != nil {
		want, known := h.cfg.auth[user]
		if !known || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
			return nil, false
		}
	}
	h.mu.RLock()
	a := h.account(user)
	h.mu.RUnlock()
	if a == nil {
		sum := sha1.Sum([]byte(user))
		a = &Account{ID: 2000000 + int(binary.BigEndian.Uint16(sum[:])), Name: user, Username: user, Email: user + "@example.org"}
	}
	return a, true
}

// queryParams are the parameters the change query accepts besides o and q.
var queryParams = map[string]bool{
	"q": true, "n": true, "limit": true, "S": true, "start": true, "o": true,
	"pp": true, "access_token": true, "allow-incomplete-results": true, "skip-visibility": true,
}

func (h *Handler) serveQuery(w http.ResponseWriter, r *http.Request, self *Account) {
	params := r.URL.Query()
	for k := range params {
		if k == "O" {
			replyText(w, http.StatusBadRequest, "gerrittest: the O= hex option form is not supported; use o=")
			return
		}
		if !queryParams[k] {
			replyText(w, http.StatusBadRequest, strconv.Quote("--"+k)+" is not a valid option")
			return
		}
	}
	opts, err := parseOptions(params["o"])
	if err != nil {
		replyText(w, http.StatusBadRequest, err.Error())
		return
	}
	n := 0
	for _, name := range []string{"n", "limit"} {
		for _, v := range params[name] {
			i, err := strconv.Atoi(v)
			if err != nil {
				replyText(w, http.StatusBadRequest, strconv.Quote(v)+` is not a valid value for "-n"`)
				return
			}
			n = i
		}
	}
	start, err := startParam(r.URL.RawQuery)
	if err != nil {
		replyText(w, http.StatusBadRequest, err.Error())
		return
	}
	queries := params["q"]
	if len(queries) == 0 {
		queries = []string{"status:open"}
	}

	h.mu.RLock()
	defer h.mu.RUnlock()
	env := queryEnv{now: h.cfg.now(), self: self}
	results := make([][]*changeJSON, len(queries))
	for qi, q := range queries {
		pq, err := parseQuery(q, env)
		if err != nil {
			replyText(w, http.StatusBadRequest, err.Error())
			return
		}
		limit := h.cfg.queryLimit
		if n > 0 && n < limit {
			limit = n
		}
		if pq.limit > 0 && pq.limit < limit {
			limit = pq.limit
		}
		results[qi] = h.run(pq, start, limit, &opts)
	}
	if len(results) == 1 {
		h.replyJSON(w, r, results[0])
		return
	}
	h.replyJSON(w, r, results)
}

// startParam reads S and start; the later one in the URL wins.
func startParam(raw string) (int, error) {
	start := 0
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != "S" && k != "start" {
			continue
		}
		v, err := url.QueryUnescape(v)
		if err == nil {
			start, err = strconv.Atoi(v)
		}
		if err != nil || start < 0 {
			return 0, badQuery("%q is not a valid value for \"--start\"", v)
		}
	}
	return start, nil
}

// window returns the index range of changes whose Updated is in [lo, hi].
func (h *Handler) window(lo, hi time.Time) (int, int) {
	cs := h.changes
	i0, i1 := 0, len(cs)
	if !hi.IsZero() {
		i0 = sort.Search(len(cs), func(i int) bool { return !cs[i].Updated.After(hi) })
	}
	if !lo.IsZero() {
		i1 = sort.Search(len(cs), func(i int) bool { return cs[i].Updated.Before(lo) })
	}
	if i1 < i0 {
		i1 = i0
	}
	return i0, i1
}

func (h *Handler) run(pq *parsedQuery, start, limit int, o *options) []*changeJSON {
	i0, i1 := h.window(pq.lo, pq.hi)
	out := make([]*changeJSON, 0, min(limit, max(0, i1-i0-start)))
	if pq.exact {
		from := i0 + start
		if from >= i1 {
			return out
		}
		to := min(from+limit, i1)
		for i := from; i < to; i++ {
			out = append(out, render(&h.changes[i], &h.extras[i], o, false))
		}
		if to < i1 && len(out) > 0 {
			out[len(out)-1].MoreChanges = true
		}
		return out
	}
	skipped := 0
	for i := i0; i < i1; i++ {
		c := &h.changes[i]
		if !pq.pred.match(c) {
			continue
		}
		if skipped < start {
			skipped++
			continue
		}
		if len(out) == limit {
			out[len(out)-1].MoreChanges = true
			break
		}
		out = append(out, render(c, &h.extras[i], o, false))
	}
	return out
}

// gsonWriter escapes ' and = as Gson's HTML-safe mode does (encoding/json
// already escapes <, > and &). Outside strings JSON has neither character,
// so escaping bytes is safe.
type gsonWriter struct{ buf *bytes.Buffer }

func (g gsonWriter) Write(p []byte) (int, error) {
	n := len(p)
	q, e := bytes.IndexByte(p, '\''), bytes.IndexByte(p, '=')
	for q >= 0 || e >= 0 {
		i, esc := q, `\u0027`
		if q < 0 || (e >= 0 && e < q) {
			i, esc = e, `\u003d`
		}
		g.buf.Write(p[:i])
		g.buf.WriteString(esc)
		p = p[i+1:]
		// Shift the other position; find the next of the consumed kind.
		if i == q {
			if e >= 0 {
				e -= i + 1
			}
			q = bytes.IndexByte(p, '\'')
		} else {
			if q >= 0 {
				q -= i + 1
			}
			e = bytes.IndexByte(p, '=')
		}
	}
	g.buf.Write(p)
	return n, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// replyJSON writes )]}' and the value as Gerrit's Gson does: compact when
// pp=0 or the client accepts application/json, pretty otherwise; ' and =
// escaped; gzip when accepted.
func (h *Handler) replyJSON(w http.ResponseWriter, r *http.Request, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<20 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	buf.WriteString(")]}'\n")
	enc := json.NewEncoder(gsonWriter{buf})
	if prettyPrint(r) {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		replyText(w, http.StatusInternalServerError, "Internal server error: "+err.Error())
		return
	}
	body := buf.Bytes()
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=UTF-8")
	hd.Set("Content-Disposition", "attachment")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	hd.Set("Pragma", "no-cache")
	hd.Set("Expires", "Mon, 01 Jan 1990 00:00:00 GMT")
	if h.cfg.gzip && len(body) > 256 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		hd.Set("Content-Encoding", "gzip")
		hd.Set("Vary", "Accept-Encoding")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return
		}
		zw := gzipPool.Get().(*gzip.Writer)
		zw.Reset(w)
		zw.Write(body)
		zw.Close()
		gzipPool.Put(zw)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// gzipPool holds klauspost/compress's gzip writers, which compress a
// 500-change page (8 MB) at BestSpeed in about a third of the time
// compress/gzip takes; clients decompress the same bytes either way.
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func prettyPrint(r *http.Request) bool {
	if pp := r.URL.Query().Get("pp"); pp != "" {
		return pp != "0" && pp != "false" && pp != "n"
	}
	return !strings.Contains(r.Header.Get("Accept"), "application/json")
}

// replyText writes a Gerrit-style plain text error body.
func replyText(w http.ResponseWriter, status int, msg string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=UTF-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// Server is a Handler listening on a loopback httptest.Server.
type Server struct {
	h  *Handler
	ts *httptest.Server
}

// New starts a Server on loopback serving changes; see NewHandler and
// Handler for what it answers. Close it when done.
func New(changes []Change, opts ...Option) *Server {
	h := NewHandler(changes, opts...)
	return &Server{h: h, ts: httptest.NewServer(h)}
}

// URL is the server's base URL, e.g. http://127.0.0.1:34567 (no trailing slash).
func (s *Server) URL() string { return s.ts.URL }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Handler returns the Handler the server serves (an http.Handler).
func (s *Server) Handler() *Handler { return s.h }

// Requests returns how many /changes/ requests the server received; see
// Handler.Requests.
func (s *Server) Requests() int { return s.h.Requests() }

// Log returns the path and query of every /changes/ request, in order.
func (s *Server) Log() []string { return s.h.Log() }

// Update replaces the served history; see Handler.Update.
func (s *Server) Update(fn func(changes []Change) []Change) { s.h.Update(fn) }

// SetFault installs or (with nil) removes a FaultFunc; see FaultFunc.
func (s *Server) SetFault(f FaultFunc) { s.h.SetFault(f) }

// Changes returns a copy of the served history, newest update first.
func (s *Server) Changes() []Change { return s.h.Changes() }

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.ts.Close() }
