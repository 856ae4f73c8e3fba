package gerrit

import (
	"errors"

	"github.com/codepace/codepace/collectors"
)

// PageStream decodes an answer to a change query, after its )]}' guard,
// as it is written, into what decodePage gives for the whole answer: it
// holds what came since the last change it read, and reads the changes
// there with the same scanner whenever a quarter of a megabyte has come,
// so that a page's bytes (8 MB for 500 changes) are not all held. A change
// cut short by the end of what came fails to read only at that end; it is
// read again once more has come. On anything but a list of objects that
// the scanner reads without a syntax error, Write or Close fails, and the
// answer must be read whole with decodePage, which says what is wrong
// (httpx.StreamJSON does so). codepace-bench's fetch-and-decode floor
// decodes with it too.
type PageStream struct {
	source, baseURL string
	p               page
	state           streamState
	buf             []byte // what came since the last change read
	off             int    // the offset of buf in the answer
	next            int    // the size of buf at which to read again
	every           int    // what has to come before a read: streamRead, less in tests
}

// streamState is where a PageStream is in the list of changes.
type streamState int

const (
	beforeList  streamState = iota // [
	firstChange                    // after [: a change or ]
	moreChanges                    // after a change: a comma and a change, or ]
	afterList                      // after ]: nothing but white space
)

// streamRead is how much has to come before a PageStream reads: the
// change cut short at its end is read twice.
const streamRead = 256 << 10

// errNotStreamable is an answer a PageStream does not read: decodePage
// says why.
var errNotStreamable = errors.New("not a list of changes the stream reads")

// NewPageStream returns a PageStream for source's changes, whose URLs
// start with baseURL.
func NewPageStream(source, baseURL string) *PageStream {
	return &PageStream{source: source, baseURL: baseURL, next: streamRead, every: streamRead}
}

// Write takes the next bytes of the answer.
func (ps *PageStream) Write(b []byte) (int, error) {
	ps.buf = append(ps.buf, b...)
	if len(ps.buf) < ps.next {
		return len(b), nil
	}
	if err := ps.read(false); err != nil {
		return 0, err
	}
	// A change longer than what is held is read again only once what is
	// held has doubled, so that a large change is not read over and over.
	ps.next = max(ps.every, 2*len(ps.buf))
	return len(b), nil
}

// read reads the changes in buf and drops their bytes. Unless end, a
// change cut short by the end of buf is left for the next read.
func (ps *PageStream) read(end bool) error {
	s := scanner{b: ps.buf}
	for ps.state != afterList {
		from := s.i
		err := ps.step(&s)
		var se *syntaxError
		if !end && errors.As(err, &se) && se.off >= len(s.b) {
			s.i = from // cut short: read it again with what comes next
			break
		}
		if err != nil {
			return errNotStreamable
		}
	}
	if ps.state == afterList {
		if s.peek(); s.i < len(s.b) {
			return errNotStreamable
		}
	}
	ps.off += s.i
	ps.buf = ps.buf[:copy(ps.buf, ps.buf[s.i:])]
	return nil
}

// step reads the next thing in the list: its opening bracket, or a change,
// or its closing bracket.
func (ps *PageStream) step(s *scanner) error {
	if ps.state == beforeList {
		if s.peek() != '[' {
			return s.unexpected()
		}
		s.i++
		ps.state = firstChange
		return nil
	}
	more, err := s.next(ps.state == firstChange, ']')
	if err != nil {
		return err
	}
	if !more {
		ps.state = afterList
		return nil
	}
	switch c := s.peek(); {
	case s.i == len(s.b):
		return s.unexpected()
	case c != '{':
		return errNotStreamable // decodePage reports it as a bad change
	}
	// add adds a change only once it read it to its end.
	if err := ps.p.add(s, ps.off, ps.source, ps.baseURL); err != nil {
		return err
	}
	ps.state = moreChanges
	return nil
}

// Close reads what is left, and fails unless the list of changes ended.
func (ps *PageStream) Close() error {
	if err := ps.read(true); err != nil {
		return err
	}
	if ps.state != afterList {
		return errNotStreamable
	}
	return nil
}

// Items is how many changes the stream read so far, readable or not (see
// httpx.ItemWriter).
func (ps *PageStream) Items() int { return len(ps.p.changes) + len(ps.p.bad) }

// Page returns what a closed PageStream read: the changes, how many could
// not be read, and whether Gerrit has more.
func (ps *PageStream) Page() (changes []collectors.Change, bad int, more bool) {
	return ps.p.changes, len(ps.p.bad), ps.p.more
}
