package gerrittest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// queryError is a query Gerrit would reject with 400 Bad Request; its text
// is the response body.
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

func badQuery(format string, args ...any) error {
	return &queryError{msg: fmt.Sprintf(format, args...)}
}

// predicate matches one change.
type predicate interface {
	match(c *Change) bool
}

type andPred []predicate

func (p andPred) match(c *Change) bool {
	for _, q := range p {
		if !q.match(c) {
			return false
		}
	}
	return true
}

type orPred []predicate

func (p orPred) match(c *Change) bool {
	for _, q := range p {
		if q.match(c) {
			return true
		}
	}
	return false
}

type notPred struct{ p predicate }

func (p notPred) match(c *Change) bool { return !p.p.match(c) }

type funcPred func(c *Change) bool

func (p funcPred) match(c *Change) bool { return p(c) }

// updatedRange is after:/before:/age: on Updated, inclusive at both ends; a
// zero bound is open.
type updatedRange struct{ lo, hi time.Time }

func (p updatedRange) match(c *Change) bool {
	if !p.lo.IsZero() && c.Updated.Before(p.lo) {
		return false
	}
	if !p.hi.IsZero() && c.Updated.After(p.hi) {
		return false
	}
	return true
}

// parsedQuery is a compiled q= value.
type parsedQuery struct {
	pred predicate // nil matches everything
	// lo and hi bound Updated for every match (from top-level AND terms);
	// the server finds that window by binary search.
	lo, hi time.Time
	// exact is true when the window alone decides the result (no other
	// predicate), so offsets can be applied by index.
	exact bool
	// limit is the limit: operator, 0 when absent.
	limit int
}

// queryEnv is what evaluating operators needs besides the text.
type queryEnv struct {
	now  time.Time
	self *Account // authenticated account, nil when anonymous
}

func parseQuery(q string, env queryEnv) (*parsedQuery, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, env: env}
	var root predicate
	if len(toks) > 0 {
		root, err = p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.pos < len(p.toks) {
			return nil, badQuery("line 1:%d extraneous input '%s' expecting <EOF>", p.toks[p.pos].col, p.toks[p.pos].text)
		}
	}
	pq := &parsedQuery{limit: p.limit}
	pq.exact = true
	var terms []predicate
	switch r := root.(type) {
	case nil:
	case andPred:
		terms = r
	default:
		terms = []predicate{r}
	}
	var rest andPred
	for _, t := range terms {
		if r, ok := t.(updatedRange); ok {
			if !r.lo.IsZero() && (pq.lo.IsZero() || r.lo.After(pq.lo)) {
				pq.lo = r.lo
			}
			if !r.hi.IsZero() && (pq.hi.IsZero() || r.hi.Before(pq.hi)) {
				pq.hi = r.hi
			}
			continue
		}
		if _, ok := t.(limitPred); ok {
			continue
		}
		rest = append(rest, t)
	}
	switch len(rest) {
	case 0:
	case 1:
		pq.pred, pq.exact = rest[0], false
	default:
		pq.pred, pq.exact = rest, false
	}
	return pq, nil
}

type tokKind int

const (
	tokWord tokKind = iota
	tokLParen
	tokRParen
	tokMinus
)

type token struct {
	kind tokKind
	text string // whole token as written
	op   string // operator before ':' (lower case); empty for a bare word
	val  string // value, unquoted
	col  int
}

func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", col: i})
			i++
		case ch == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", col: i})
			i++
		case ch == '-' && i+1 < len(s) && s[i+1] != ' ':
			toks = append(toks, token{kind: tokMinus, text: "-", col: i})
			i++
		default:
			start := i
			// Operator name: letters, digits, '_' and '-' up to ':'.
			j := i
			for j < len(s) && s[j] != ':' && s[j] != ' ' && s[j] != '(' && s[j] != ')' && s[j] != '"' && s[j] != '{' {
				j++
			}
			if j < len(s) && s[j] == ':' {
				op := s[i:j]
				j++
				val, end, err := readValue(s, j)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{kind: tokWord, text: s[start:end], op: strings.ToLower(op), val: val, col: start})
				i = end
				continue
			}
			val, end, err := readValue(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokWord, text: s[start:end], val: val, col: start})
			i = end
		}
	}
	return toks, nil
}

// readValue reads a bare, "quoted" or {braced} value starting at i.
func readValue(s string, i int) (string, int, error) {
	if i < len(s) && (s[i] == '"' || s[i] == '{') {
		closer := byte('"')
		if s[i] == '{' {
			closer = '}'
		}
		var b strings.Builder
		j := i + 1
		for j < len(s) && s[j] != closer {
			if s[j] == '\\' && closer == '"' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
			j++
		}
		if j >= len(s) {
			return "", 0, badQuery("line 1:%d mismatched character '<EOF>' expecting '%c'", len(s), closer)
		}
		return b.String(), j + 1, nil
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != ')' && s[j] != '(' && s[j] != '\t' {
		j++
	}
	return s[i:j], j, nil
}

type parser struct {
	toks  []token
	pos   int
	env   queryEnv
	limit int
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func isKeyword(t *token, kw string) bool {
	return t != nil && t.kind == tokWord && t.op == "" && t.text == kw
}

func (p *parser) parseOr() (predicate, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if !isKeyword(p.peek(), "OR") {
		return first, nil
	}
	or := orPred{first}
	for isKeyword(p.peek(), "OR") {
		p.pos++
		next, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		or = append(or, next)
	}
	return or, nil
}

func (p *parser) parseAnd() (predicate, error) {
	var and andPred
	for {
		t := p.peek()
		if t == nil || t.kind == tokRParen || isKeyword(t, "OR") {
			break
		}
		if isKeyword(t, "AND") {
			p.pos++
			continue
		}
		u, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		and = append(and, u)
	}
	switch len(and) {
	case 0:
		t := p.peek()
		if t == nil {
			return nil, badQuery("line 1:%d no viable alternative at input '<EOF>'", p.endCol())
		}
		return nil, badQuery("line 1:%d no viable alternative at input '%s'", t.col, t.text)
	case 1:
		return and[0], nil
	}
	return and, nil
}

func (p *parser) endCol() int {
	if len(p.toks) == 0 {
		return 0
	}
	last := p.toks[len(p.toks)-1]
	return last.col + len(last.text)
}

func (p *parser) parseUnary() (predicate, error) {
	t := p.peek()
	switch {
	case t.kind == tokMinus || isKeyword(t, "NOT"):
		p.pos++
		if p.peek() == nil {
			return nil, badQuery("line 1:%d no viable alternative at input '<EOF>'", p.endCol())
		}
		inner, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return negate(inner), nil
	case t.kind == tokLParen:
		p.pos++
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if r := p.peek(); r == nil || r.kind != tokRParen {
			return nil, badQuery("line 1:%d missing ')' at '<EOF>'", p.endCol())
		}
		p.pos++
		return inner, nil
	case t.kind == tokRParen:
		return nil, badQuery("line 1:%d extraneous input ')'", t.col)
	}
	p.pos++
	return p.term(t)
}

// negate turns NOT of a one-sided time range into the opposite range, so
// that -age:2d still narrows the window.
func negate(p predicate) predicate {
	if r, ok := p.(updatedRange); ok {
		switch {
		case r.lo.IsZero() && !r.hi.IsZero():
			return updatedRange{lo: r.hi.Add(time.Nanosecond)}
		case r.hi.IsZero() && !r.lo.IsZero():
			return updatedRange{hi: r.lo.Add(-time.Nanosecond)}
		}
	}
	return notPred{p}
}

// limitPred is the limit: operator; it matches everything.
type limitPred struct{}

func (limitPred) match(*Change) bool { return true }

// term turns one operator:value token (or a bare word) into a predicate.
func (p *parser) term(t *token) (predicate, error) {
	val := t.val
	switch t.op {
	case "":
		return bareTerm(val)
	case "after", "since", "before", "until", "age", "mergedafter", "mergedbefore":
		return p.timeTerm(t.op, val)
	case "project":
		return funcPred(func(c *Change) bool { return c.Project == val }), nil
	case "projects":
		return funcPred(func(c *Change) bool { return strings.HasPrefix(c.Project, val) }), nil
	case "branch":
		b := strings.TrimPrefix(val, "refs/heads/")
		return funcPred(func(c *Change) bool { return c.Branch == b }), nil
	case "change":
		if n, err := strconv.Atoi(val); err == nil {
			return funcPred(func(c *Change) bool { return c.Number == n }), nil
		}
		return funcPred(func(c *Change) bool { return strings.EqualFold(c.ChangeID, val) }), nil
	case "status":
		return statusPred(strings.ToLower(val))
	case "is":
		switch strings.ToLower(val) {
		case "wip":
			return funcPred(func(c *Change) bool { return c.WIP }), nil
		case "private":
			return funcPred(func(*Change) bool { return false }), nil
		case "open", "pending", "new", "closed", "merged", "abandoned":
			return statusPred(strings.ToLower(val))
		}
		return nil, badQuery("Unsupported operator is:%s", val)
	case "owner":
		return p.ownerPred(val)
	case "limit":
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			return nil, badQuery("Invalid limit: %s", val)
		}
		if p.limit == 0 || n < p.limit {
			p.limit = n
		}
		return limitPred{}, nil
	}
	return nil, badQuery("Unsupported operator %s:%s", t.op, val)
}

// bareTerm is a word without operator: a change number or Change-Id.
func bareTerm(val string) (predicate, error) {
	if n, err := strconv.Atoi(val); err == nil {
		return funcPred(func(c *Change) bool { return c.Number == n }), nil
	}
	if isChangeID(val) {
		return funcPred(func(c *Change) bool { return strings.EqualFold(c.ChangeID, val) }), nil
	}
	return nil, badQuery("Unsupported operator %s (gerrittest has no free-text search)", val)
}

// timeTerm is a time operator: after/since, before/until and age bound
// the update time, mergedafter and mergedbefore the submit time.
func (p *parser) timeTerm(op, val string) (predicate, error) {
	if op == "age" {
		d, err := parseAge(val)
		if err != nil {
			return nil, err
		}
		return updatedRange{hi: p.env.now.Add(-d)}, nil
	}
	ts, err := parseQueryTime(val)
	if err != nil {
		return nil, err
	}
	switch op {
	case "after", "since":
		return updatedRange{lo: ts}, nil
	case "before", "until":
		return updatedRange{hi: ts}, nil
	case "mergedafter":
		return funcPred(func(c *Change) bool {
			return c.Status == StatusMerged && !c.Submitted.Before(ts)
		}), nil
	}
	return funcPred(func(c *Change) bool {
		return c.Status == StatusMerged && !c.Submitted.After(ts)
	}), nil
}

// ownerPred is owner:self (the signed-in user) or owner:X, X an account
// id, username, email or full name.
func (p *parser) ownerPred(val string) (predicate, error) {
	if val == "self" {
		if p.env.self == nil {
			return nil, badQuery("Must be signed-in to use owner:self")
		}
		id := p.env.self.ID
		return funcPred(func(c *Change) bool { return c.Owner.ID == id }), nil
	}
	n, numErr := strconv.Atoi(val)
	return funcPred(func(c *Change) bool {
		o := &c.Owner
		return (numErr == nil && o.ID == n) || (o.Username != "" && o.Username == val) ||
			(o.Email != "" && strings.EqualFold(o.Email, val)) || (o.Name != "" && o.Name == val)
	}), nil
}

func statusPred(v string) (predicate, error) {
	switch v {
	case "open", "pending", "new":
		return funcPred(func(c *Change) bool { return c.Status == StatusNew }), nil
	case "merged":
		return funcPred(func(c *Change) bool { return c.Status == StatusMerged }), nil
	case "abandoned":
		return funcPred(func(c *Change) bool { return c.Status == StatusAbandoned }), nil
	case "closed":
		return funcPred(func(c *Change) bool { return c.Status != StatusNew }), nil
	}
	return nil, badQuery("Unrecognized value: %s", v)
}

func isChangeID(s string) bool {
	if len(s) != 41 || (s[0] != 'I' && s[0] != 'i') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// queryTimeLayouts are the forms after:/before: accept; Go's parser also
// takes any fractional seconds after the seconds field.
var queryTimeLayouts = []string{
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseQueryTime parses a time operator value the way Gerrit does:
// 2006-01-02[ 15:04:05[.890][ -0700]], UTC unless a zone is given.
func parseQueryTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range queryTimeLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badQuery("Invalid date format: %s", v)
}

// parseAge parses age: values such as 2d, 3h, 1week, 10 minutes.
func parseAge(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, badQuery("Invalid age: %s", v)
	}
	unit := strings.ToLower(strings.TrimSpace(s[i:]))
	var d time.Duration
	switch unit {
	case "", "s", "sec", "secs", "second", "seconds":
		d = time.Second
	case "m", "min", "mins", "minute", "minutes":
		d = time.Minute
	case "h", "hr", "hrs", "hour", "hours":
		d = time.Hour
	case "d", "day", "days":
		d = 24 * time.Hour
	case "w", "week", "weeks":
		d = 7 * 24 * time.Hour
	case "mon", "month", "months":
		d = 30 * 24 * time.Hour
	case "y", "year", "years":
		d = 365 * 24 * time.Hour
	default:
		return 0, badQuery("Invalid age: %s", v)
	}
	return time.Duration(n) * d, nil
}
