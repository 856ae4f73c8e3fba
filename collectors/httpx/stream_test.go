package httpx

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// keeper is a StreamJSON writer that keeps what it is written, or fails
// once it has taken refuseAfter bytes (0: never).
type keeper struct {
	bytes.Buffer
	refuseAfter int
	closed      bool
}

func (k *keeper) Write(b []byte) (int, error) {
	if k.refuseAfter > 0 && k.Len()+len(b) > k.refuseAfter {
		return 0, errors.New("refused")
	}
	return k.Buffer.Write(b)
}

func (k *keeper) Close() error { k.closed = true; return nil }

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// objectList is a JSON list of 10,001 objects, over 300 KB: several of
// a stream's chunks.
var objectList = "[" + strings.Repeat(`{"k":"abcdefghijklmnopqrstuvwxyz"},`, 10_000) + "{}]"

func TestStreamJSON(t *testing.T) {
	list := objectList
	answer := ")]}'\n" + list
	broken := gzipped(answer)
	broken[len(broken)-8] ^= 0xff // the CRC in the trailer
	var flaky atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			w.Write([]byte(answer))
			return
		case "/status":
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusNotFound)
			w.Write(gzipped(answer))
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		switch r.URL.Path {
		case "/flaky":
			if flaky.Add(1) == 1 {
				w.Write(broken)
				return
			}
			w.Write(gzipped(answer))
		case "/noguard":
			w.Write(gzipped(list))
		case "/html":
			w.Write(gzipped(")]}'\n<html><title>Sign in</title></html>"))
		default:
			w.Write(gzipped(answer))
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	prefix := []byte(")]}'")
	// stream runs StreamJSON with keepers failing after refuseAfter bytes.
	stream := func(c *Client, path string, refuseAfter int) (writers []*keeper, decoded []byte, streamed bool, err error) {
		streamed, err = c.StreamJSON(context.Background(), path, prefix,
			func() io.WriteCloser {
				k := &keeper{refuseAfter: refuseAfter}
				writers = append(writers, k)
				return k
			},
			func(body []byte) error {
				decoded = append([]byte(nil), body...)
				if !json.Valid(body) {
					return ErrNotJSON
				}
				return nil
			})
		return writers, decoded, streamed, err
	}

	ws, decoded, streamed, err := stream(c, "/gzip", 0)
	if err != nil || !streamed || decoded != nil || len(ws) != 1 || ws[0].String() != "\n"+list || !ws[0].closed {
		t.Fatalf("/gzip: streamed %v, %v, decode called %v, %d writers", streamed, err, decoded != nil, len(ws))
	}
	// A writer that fails: the answer is decoded whole, as DecodeJSON does.
	ws, decoded, streamed, err = stream(c, "/gzip", 1000)
	if err != nil || streamed || string(decoded) != "\n"+list || len(ws) != 1 || ws[0].closed {
		t.Fatalf("/gzip, writer failing: streamed %v, %v, decoded %d bytes", streamed, err, len(decoded))
	}
	// Not gzipped, or not a 200: no writer.
	ws, decoded, streamed, err = stream(c, "/plain", 0)
	if err != nil || streamed || string(decoded) != "\n"+list || len(ws) != 0 {
		t.Fatalf("/plain: streamed %v, %v, decoded %d bytes, %d writers", streamed, err, len(decoded), len(ws))
	}
	if ws, _, _, err = stream(c, "/status", 0); StatusOf(err) != http.StatusNotFound || len(ws) != 0 {
		t.Fatalf("/status: %v, %d writers", err, len(ws))
	}
	// A gzip stream that fails its check is retried with a new writer.
	ws, _, streamed, err = stream(c, "/flaky", 0)
	if err != nil || !streamed || len(ws) != 2 || ws[1].String() != "\n"+list || flaky.Load() != 2 {
		t.Fatalf("/flaky: streamed %v, %v, %d writers, %d requests", streamed, err, len(ws), flaky.Load())
	}
	// No guard, or an HTML page the writer refuses: DecodeJSON's errors.
	_, _, streamed, err = stream(c, "/noguard", 0)
	if streamed || !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), `does not start with ")]}'"`) {
		t.Fatalf("/noguard: streamed %v, %v", streamed, err)
	}
	_, _, streamed, err = stream(c, "/html", 1)
	if streamed || !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), `is an HTML page ("Sign in")`) {
		t.Fatalf("/html: streamed %v, %v", streamed, err)
	}
	// The checks of a whole answer hold while it streams.
	small := newClient(t, srv.URL, func(c *Config) { c.MaxAnswerBytes = int64(len(answer)) - 1 })
	if _, _, _, err = stream(small, "/gzip", 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("/gzip over max_answer_bytes: %v", err)
	}
	few := newClient(t, srv.URL, func(c *Config) { c.Items = func(*http.Request) (string, int) { return "", 10_000 } })
	if _, _, _, err = stream(few, "/gzip", 0); !errors.Is(err, ErrTooManyItems) {
		t.Fatalf("/gzip over the items asked: %v", err)
	}
}

// counter is a keeper that counts the objects it took (an ItemWriter);
// lazy ones count only when closed, as a writer that reads in large steps
// may.
type counter struct {
	keeper
	lazy bool
}

func (c *counter) Items() int {
	if c.lazy && !c.closed {
		return 0
	}
	return strings.Count(c.String(), "{")
}

// TestStreamJSONItemWriter: a writer that counts its items is checked by
// its count, as it goes and once closed; a writer that fails has the
// answer counted whole again.
func TestStreamJSONItemWriter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(objectList))
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name        string
		asked       int
		lazy        bool
		refuseAfter int
		want        error
	}{
		{"all asked", 10_001, false, 0, nil},
		{"more, seen as it goes", 100, false, 0, ErrTooManyItems},
		{"more, seen once closed", 10_000, true, 0, ErrTooManyItems},
		{"more, the writer failing", 10_000, false, 1000, ErrTooManyItems},
		{"all asked, the writer failing", 10_001, false, 1000, nil},
		// A writer that does not count, failing after the item counter
		// saw a part of the answer: the count starts again from the
		// answer's start (else it would miss the items read again).
		{"more, a writer not counting failing", 5_000, false, -70_000, ErrTooManyItems},
		{"all asked, a writer not counting failing", 10_001, false, -70_000, nil},
	} {
		c := newClient(t, srv.URL, func(c *Config) { c.Items = func(*http.Request) (string, int) { return "", tt.asked } })
		streamed, err := c.StreamJSON(context.Background(), "/", nil,
			func() io.WriteCloser {
				if tt.refuseAfter < 0 {
					return &keeper{refuseAfter: -tt.refuseAfter}
				}
				return &counter{keeper{refuseAfter: tt.refuseAfter}, tt.lazy}
			},
			func([]byte) error { return nil })
		if !errors.Is(err, tt.want) || err != nil && tt.want == nil || streamed != (tt.want == nil && tt.refuseAfter == 0) {
			t.Errorf("%s: streamed %v, %v; want %v", tt.name, streamed, err, tt.want)
		}
		if tt.want != nil && !strings.Contains(err.Error(), "where codepace asked for at most "+strconv.Itoa(tt.asked)) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
