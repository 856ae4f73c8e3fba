package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
)

// Body is an answer's body read whole (at most Config.MaxAnswerBytes): a
// client library decodes it, and the caller can still see what came when
// it did not decode.
type Body struct {
	*bytes.Reader
	// Raw is the whole body.
	Raw []byte
	// streamed tells that a StreamJSON writer took the answer: Raw is
	// empty.
	streamed bool
}

// NewBody returns b as a response body.
func NewBody(b []byte) *Body { return &Body{Reader: bytes.NewReader(b), Raw: b} }

// Close does nothing: the body is in memory.
func (*Body) Close() error { return nil }

// RawBody returns the bytes of a body this package read, or nil.
func RawBody(r io.Reader) []byte {
	if b, ok := r.(*Body); ok {
		return b.Raw
	}
	return nil
}

// IsHTML tells whether an answer is an HTML page rather than JSON: by its
// Content-Type, or by its first character.
func IsHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

// snippetWindow is how much of a body is redacted before a snippet is cut
// from it, so that no secret is cut in two and half shown.
const snippetWindow = 16 << 10

// window returns the start of b with the secrets redacted.
func (r Redactor) window(b []byte) []byte {
	return []byte(r.String(string(b[:min(len(b), snippetWindow)])))
}

// Title returns ` ("the page's title")` of an HTML page, or "", without
// secrets.
func (r Redactor) Title(body []byte) string {
	body = r.window(body)
	i := bytes.Index(bytes.ToLower(body), []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(body[i:], '>')
	if j < 0 {
		return ""
	}
	rest := body[i+j+1:]
	end := bytes.Index(bytes.ToLower(rest), []byte("</title"))
	if end < 0 {
		return ""
	}
	t := strings.Join(strings.Fields(string(rest[:end])), " ")
	if t == "" {
		return ""
	}
	if len(t) > 100 {
		t = t[:100] + "..."
	}
	return " (" + strconv.Quote(t) + ")"
}

// Head returns the start of b, quoted and without secrets, for messages.
func (r Redactor) Head(b []byte) string {
	const n = 60
	b = r.window(bytes.TrimSpace(b))
	if len(b) <= n {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:n])) + "..."
}

// Summary describes an error answer's body for a message, without
// secrets: `an HTML page ("title")`, or its start.
func (r Redactor) Summary(contentType string, body []byte) string {
	if IsHTML(contentType, body) {
		return "an HTML page" + r.Title(body)
	}
	b := r.window(bytes.TrimSpace(body))
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// JSONProblem says what is wrong with body as a JSON answer, without
// secrets, or "" when it is a JSON value followed by nothing: empty, an
// HTML page, cut short, malformed, or null.
func (r Redactor) JSONProblem(contentType string, body []byte) string {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return "is empty, not JSON"
	case bytes.Equal(b, []byte("null")):
		return "is null"
	case json.Valid(b):
		return ""
	case IsHTML(contentType, b):
		return "is an HTML page" + r.Title(b) + " instead of JSON"
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	err := dec.Decode(&v)
	switch {
	case err == nil:
		return "is not valid JSON: more follows the JSON value: " + r.Head(b[dec.InputOffset():])
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Sprintf("is not valid JSON: cut short (unexpected EOF) after %d bytes (by the server or a proxy?)", len(body))
	}
	return fmt.Sprintf("is not valid JSON: %s; it starts with %s", r.String(err.Error()), r.Head(b))
}

// itemCounter counts, as an answer streams in, the elements of the JSON
// array that is the answer (key "") or the member key of the answer's
// object, without decoding them, so that a page with too many items is
// refused before it is read whole. Bytes before the first '[' or '{'
// (Gerrit's )]}' guard) are skipped; n stays -1 when there is no such
// array. It reads malformed JSON without failing: the decoder reports
// that.
type itemCounter struct {
	key               string
	want              int // depth of the elements
	started, done     bool
	inArray           bool
	inString, escaped bool
	depth             int
	n                 int    // elements so far; -1 until the array starts
	str, last         []byte // the string being read and the last one, at depth 1 (keys)
}

func newItemCounter(key string) *itemCounter {
	c := &itemCounter{key: key, want: 1, n: -1}
	if key != "" {
		c.want = 2
	}
	return c
}

// reset starts the count again, for the answer read again from its start.
func (c *itemCounter) reset() { *c = *newItemCounter(c.key) }

// feed reads the next bytes of the answer.
func (c *itemCounter) feed(b []byte) {
	for i := 0; i < len(b); i++ {
		if c.done {
			return
		}
		ch := b[i]
		if c.inString {
			if c.escaped {
				c.escaped = false
				continue
			}
			if c.depth != 1 || len(c.str) > len(c.key) {
				i = c.skipString(b, i) - 1
				continue
			}
			switch ch {
			case '\\':
				c.escaped = true
			case '"':
				c.inString = false
				c.last = append(c.last[:0], c.str...)
			default:
				c.str = append(c.str, ch)
			}
			continue
		}
		if !c.started {
			if ch != '[' && ch != '{' {
				continue
			}
			c.started = true
			if (c.key == "") != (ch == '[') {
				c.done = true // not the shape looked for
				return
			}
		}
		c.token(ch)
	}
}

// skipString reads b from i, inside a string whose bytes are not kept,
// and returns where the string ends (after its closing quote), or len(b)
// when it goes on. It looks for quotes and backslashes with
// bytes.IndexByte rather than byte by byte: most of an answer is strings.
// The next quote found is kept across the string's escapes (a Zuul
// report has one per line), so that no byte is searched twice.
func (c *itemCounter) skipString(b []byte, i int) int {
	q := -1 // the next quote at or after i, len(b) for none
	for i < len(b) {
		if q < i {
			if q = bytes.IndexByte(b[i:], '"'); q < 0 {
				q = len(b)
			} else {
				q += i
			}
		}
		if e := bytes.IndexByte(b[i:q], '\\'); e >= 0 {
			i += e + 2 // the backslash and the byte it escapes
			if i > len(b) {
				c.escaped = true
			}
			continue
		}
		if q == len(b) {
			return len(b)
		}
		c.inString = false
		if c.depth == 1 {
			c.last = append(c.last[:0], c.str...)
		}
		return q + 1
	}
	return len(b)
}

// token reads one byte outside strings.
func (c *itemCounter) token(ch byte) {
	switch ch {
	case '"':
		c.element()
		c.inString, c.str = true, c.str[:0]
	case '[', '{':
		if ch == '[' && c.depth == c.want-1 && c.n < 0 && (c.key == "" || string(c.last) == c.key) {
			c.inArray, c.n = true, 0
		} else {
			c.element()
		}
		c.depth++
	case ']', '}':
		c.depth--
		if c.inArray && c.depth == c.want-1 {
			c.done = true
		}
	case ',':
		if c.inArray && c.depth == c.want {
			c.n++
		}
	case ' ', '\t', '\r', '\n', ':':
	default:
		c.element()
	}
}

// element notes a value starting: the array's first element counts one.
func (c *itemCounter) element() {
	if c.inArray && c.depth == c.want && c.n == 0 {
		c.n = 1
	}
}
