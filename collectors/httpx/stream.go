package httpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

// StreamJSON is DecodeJSON for an answer that can be decoded as it comes.
// A gzipped 200 answer is decompressed a chunk at a time, after prefix,
// into a writer from newWriter (a new one for each attempt), under the
// same checks (MaxAnswerBytes, the items asked for, the attempt's timeout
// and retries), instead of into one buffer: a 500-change Gerrit page is 8
// MB decompressed, and two of them in flight were a third of a
// collection's live heap. streamed tells that the last writer took the
// whole answer and was closed without an error; the caller reads what it
// decoded there. When the writer fails (the answer is not what it reads,
// or not JSON), the answer is decompressed whole again and goes to decode
// as with DecodeJSON, so that what is wrong is said as DecodeJSON says it.
// Other answers (another status, not gzipped) go to decode directly.
func (c *Client) StreamJSON(ctx context.Context, rawURL string, prefix []byte, newWriter func() io.WriteCloser,
	decode func(body []byte) error) (streamed bool, err error) {
	resp, err := c.get(context.WithValue(ctx, streamKey{}, &streamRequest{prefix, newWriter}), rawURL)
	if err != nil {
		return false, err
	}
	if b, ok := resp.Body.(*Body); ok && b.streamed {
		return true, nil
	}
	return false, c.decodeAnswer(resp, prefix, decode)
}

// streamKey marks, in a request's context, a request of StreamJSON.
type streamKey struct{}

// streamRequest is what StreamJSON asks of the attempts.
type streamRequest struct {
	prefix    []byte
	newWriter func() io.WriteCloser
}

// streamChunk is how much of a streamed answer is decompressed at a time.
const streamChunk = 64 << 10

var streamPool = sync.Pool{New: func() any { return new([streamChunk]byte) }}

// An ItemWriter is a StreamJSON writer that counts the items it read
// (Config.Items' key ""): the answer is then checked against the items
// asked for by its count, at least as many as came, rather than scanned a
// second time by the item counter.
type ItemWriter interface {
	io.WriteCloser
	Items() int
}

// stream decompresses zr into a writer of sr, a chunk at a time, with
// read's checks (MaxAnswerBytes, items): false when the writer failed,
// and the answer must be read whole again, with these checks, from its
// start (and items reset).
func (c *Client) stream(zr io.Reader, items *itemCounter, asked int, sr *streamRequest) (bool, error) {
	buf := streamPool.Get().(*[streamChunk]byte)
	defer streamPool.Put(buf)
	w := sr.newWriter()
	counted, _ := w.(ItemWriter)
	pw := &prefixWriter{prefix: sr.prefix, w: w}
	tooMany := func() bool {
		if counted != nil {
			items.n = counted.Items()
		}
		return items.n > asked
	}
	var total int64
	for {
		n, err := fill(zr, buf[:])
		if total += int64(n); total > c.cfg.MaxAnswerBytes {
			return false, ErrTooLarge
		}
		if n > 0 {
			if _, werr := pw.Write(buf[:n]); werr != nil {
				return false, nil
			}
		}
		if items != nil {
			if counted == nil {
				items.feed(buf[:n])
			}
			if tooMany() {
				return false, ErrTooManyItems
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, err
		}
	}
	if pw.Close() != nil {
		return false, nil
	}
	if items != nil && tooMany() {
		return false, ErrTooManyItems
	}
	return true, nil
}

// errNoPrefix is a streamed answer that does not start with its prefix.
var errNoPrefix = errors.New("the answer does not start with its prefix")

// prefixWriter passes what follows prefix to w.
type prefixWriter struct {
	prefix []byte
	seen   int // bytes of prefix seen
	w      io.WriteCloser
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	if k := min(len(p.prefix)-p.seen, len(b)); k > 0 {
		if !bytes.Equal(b[:k], p.prefix[p.seen:p.seen+k]) {
			return 0, errNoPrefix
		}
		p.seen += k
		b = b[k:]
	}
	if len(b) > 0 {
		if _, err := p.w.Write(b); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (p *prefixWriter) Close() error {
	if p.seen < len(p.prefix) {
		return errNoPrefix
	}
	return p.w.Close()
}
