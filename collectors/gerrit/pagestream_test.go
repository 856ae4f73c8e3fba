package gerrit

import (
	"fmt"
	"reflect"
	"testing"
)

// streamIn writes body to a PageStream in chunks of size bytes, which it
// reads as each comes (or once its buffer doubled): the page it read, and
// whether it took the whole answer.
func streamIn(body []byte, size int) (page, bool) {
	ps := NewPageStream("s", "http://g/")
	ps.next, ps.every = size, size
	for i := 0; i < len(body); i += size {
		if _, err := ps.Write(body[i:min(i+size, len(body))]); err != nil {
			return page{}, false
		}
	}
	return ps.p, ps.Close() == nil
}

// sameStreamed fails unless a PageStream, written body in chunks of
// several sizes, either refuses it or reads what decodePage read (want,
// wantErr) word for word, bad changes' offsets included: an answer it
// refuses is read whole with decodePage, so only what it takes can
// differ.
func sameStreamed(t *testing.T, name string, body []byte, want page, wantErr error) {
	t.Helper()
	for _, size := range []int{1, 2, 3, 7, 64, 4096, max(len(body), 1)} {
		got, ok := streamIn(body, size)
		if !ok {
			continue
		}
		if wantErr != nil {
			t.Fatalf("%s: streamed in chunks of %d, taken; decodePage fails: %v", name, size, wantErr)
		}
		if !reflect.DeepEqual(got.changes, want.changes) || got.more != want.more ||
			fmt.Sprint(got.bad) != fmt.Sprint(want.bad) {
			t.Fatalf("%s: streamed in chunks of %d:\n got %+v %v %v\nwant %+v %v %v", name, size,
				got.changes, got.more, got.bad, want.changes, want.more, want.bad)
		}
	}
}

// TestPageStreamTakes checks that the stream reads the answers it is for
// (else every page would be read whole, and the tests comparing it with
// decodePage would prove nothing), in any chunks, and refuses what it
// must leave to decodePage.
func TestPageStreamTakes(t *testing.T) {
	for _, tt := range []struct {
		body string
		ok   bool
		bad  int
	}{
		{"[]", true, 0},
		{" \n[ ]\r\n\t", true, 0},
		{`[{"project":"p","_number":1,"status":"NEW","created":"2024-01-02 03:04:05.000000000","updated":"2024-01-02 03:04:05.000000000","subject":"a \"}]\\\\\" {[ b"}]`, true, 0},
		{`[{"project":"p","_number":1,"subject":"\\"}, {"owner":1}]`, true, 2},
		{`[{"project":"p"},{"_number":"1"}]`, true, 2},
		{``, false, 0},
		{`null`, false, 0},
		{`[1]`, false, 0},
		{`["x"]`, false, 0},
		{`[{}`, false, 0},
		{`[{}]]`, false, 0},
		{`[{},]`, false, 0},
		{`[{}{}]`, false, 0},
		{`[{"x":tru}]`, false, 0},
		{`[{"x":"}]`, false, 0},
		{`[{"x":1}} ]`, false, 0},
	} {
		want, wantErr := decodePage([]byte(tt.body), "s", "http://g/")
		for _, size := range []int{1, 5, 1 << 20} {
			got, ok := streamIn([]byte(tt.body), size)
			if ok != tt.ok {
				t.Fatalf("%q in chunks of %d: taken %v, want %v (decodePage: %v)", tt.body, size, ok, tt.ok, wantErr)
			}
			if ok && len(got.bad) != tt.bad {
				t.Fatalf("%q: %d bad, want %d: %v", tt.body, len(got.bad), tt.bad, got.bad)
			}
		}
		sameStreamed(t, tt.body, []byte(tt.body), want, wantErr)
	}
}
