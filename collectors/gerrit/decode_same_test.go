package gerrit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/collectors/httpx"
)

// UnmarshalJSON is keyName's reading by encoding/json, for jsonDecodePage.
func (k *keyName) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &k.s); err != nil {
		return err
	}
	k.exact = exactString(b)
	return nil
}

// jsonDecodePage is decodePage as it was with encoding/json (refusing
// what follows the list, which httpx.GetJSON did), the reference the
// scanner must match.
func jsonDecodePage(body []byte, source, baseURL string) (page, error) {
	var p page
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return p, fmt.Errorf("%w: %v", httpx.ErrNotJSON, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return p, fmt.Errorf("%w: expected a list of changes, got %v", httpx.ErrNotJSON, tok)
	}
	for dec.More() {
		var ci changeInfo
		if err := dec.Decode(&ci); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				p.bad = append(p.bad, fmt.Errorf("change at offset %d: %v", typeErr.Offset, err))
				continue
			}
			return p, fmt.Errorf("%w: %v (is the answer cut short?)", httpx.ErrNotJSON, err)
		}
		if ci.MoreChanges {
			p.more = true
		}
		c, err := ci.record(source, baseURL)
		if err != nil {
			p.bad = append(p.bad, fmt.Errorf("change %d: %w", ci.Number, err))
			continue
		}
		p.changes = append(p.changes, c)
	}
	if _, err := dec.Token(); err != nil {
		return p, fmt.Errorf("%w: %v (is the answer cut short?)", httpx.ErrNotJSON, err)
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return p, fmt.Errorf("%w: more follows the list of changes", httpx.ErrNotJSON)
	}
	return p, nil
}

// sameDecoding fails unless decodePage and jsonDecodePage agree on body:
// both fail (wrapping ErrNotJSON), or both return the same changes, the
// same more, and the same bad changes (a wrong type named by offset, whose
// wording differs; any other reason word for word).
func sameDecoding(t *testing.T, name string, body []byte) {
	t.Helper()
	want, wantErr := jsonDecodePage(body, "s", "http://g/")
	got, err := decodePage(body, "s", "http://g/")
	sameStreamed(t, name, body, got, err)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, encoding/json's %v", name, err, wantErr)
	}
	if err != nil {
		if !errors.Is(err, httpx.ErrNotJSON) {
			t.Fatalf("%s: error %v does not wrap ErrNotJSON", name, err)
		}
		return
	}
	if !reflect.DeepEqual(got.changes, want.changes) || got.more != want.more {
		t.Fatalf("%s: changes or more differ:\n got %+v %v\nwant %+v %v", name, got.changes, got.more, want.changes, want.more)
	}
	if len(got.bad) != len(want.bad) {
		t.Fatalf("%s: bad %v, encoding/json's %v", name, got.bad, want.bad)
	}
	for i := range got.bad {
		g, w := got.bad[i].Error(), want.bad[i].Error()
		if g != w && !(strings.HasPrefix(g, "change at offset") && strings.HasPrefix(w, "change at offset")) {
			t.Fatalf("%s: bad change %d: %q, encoding/json's %q", name, i, g, w)
		}
	}
}

// decodeCases are answers that probe encoding/json's rules: case folding,
// duplicate members, null, wrong types, escapes, invalid UTF-8, syntax.
var decodeCases = []string{
	`[]`, ` [ ] trailing`, ``, `{}`, `"x"`, `[`, `[,]`, `[{},]`, `[{}{}]`, `[{}]]`, `[1]`, `[null]`, `[[]]`, `[true]`, `["x"]`,
	`[{"project":"p","_number":1,"status":"NEW","created":"2024-01-02 03:04:05.000000000","updated":"2024-01-02 03:04:05.000000000","_more_changes":true}]`,
	`[{"PROJECT":"p","_NUMBER":1,"Status":"MERGED","submitted":"2024-01-02 03:04:05","created":"2024-01-02 03:04:05","updated":"2024-01-02 03:04:05"}]`,
	`[{"project":"p","\u005fnumber":1,"ſtatus":"NEW","created":"2024-01-02 03:04:05","updated":"2024-01-02 03:04:05","wor\u212a_in_progress":true}]`,
	`[{"project":"\ud800","_number":1}]`, `[{"project":"\ud800","project":null,"_number":1,"status":"NEW","created":"2024-01-02 03:04:05","updated":"2024-01-02 03:04:05"}]`,
	"[{\"project\":\"p\xff\",\"_number\":1}]", `[{"project":"a\u00e9\ud83d\ude00\"b","_number":2}]`, `[{"project":1}]`, `[{"project":{}}]`, `[{"project":[1,2]}]`,
	`[{"_number":1.0}]`, `[{"_number":1e2}]`, `[{"_number":-0}]`, `[{"_number":99999999999999999999}]`, `[{"_number":"1"}]`, `[{"_number":01}]`, `[{"_number":-}]`, `[{"_number":1.}]`,
	`[{"owner":1}]`, `[{"owner":null,"_more_changes":null}]`, `[{"work_in_progress":"true"}]`, `[{"labels":[]}]`, `[{"labels":{"Code-Review":null}}]`,
	`[{"messages":[{"id":"a","tag":"t","author":{"_account_id":1}}],"messages":[{"id":"b","author":null}],"messages":[{"id":"c"},{"id":"d"}]}]`,
	`[{"revisions":{"a":{"_number":1,"commit":{"author":{"date":"x"}}}},"revisions":{"b":{"_number":2}}}]`,
	`[{"x":[{"y":nul}]}]`, `[{"x":tru}]`, `[{"x":"\q"}]`, `[{"x":"\u12"}]`, "[{\"x\":\"a\tb\"}]", `[{"x" 1}]`, `[{1:1}]`, `[{"x":1,}]`,
	`[{"owner":{"tags":["SERVICE_USER"]},"owner":{"tags":[null]}}]`,
	`[{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}]`, `[` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `]`,
}

func TestDecodeCasesSameAsEncodingJSON(t *testing.T) {
	for i, c := range decodeCases {
		sameDecoding(t, fmt.Sprintf("case %d %.60q", i, c), []byte(c))
	}
}

// TestDecodeRecordedSameAsEncodingJSON decodes every recorded answer (this
// package's testdata and, when present, the shared fixtures), and every
// value of every fuzz corpus in the repository, with both decoders.
func TestDecodeRecordedSameAsEncodingJSON(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	shared, _ := filepath.Glob("/work/shared/fixtures/*/*.json")
	for _, f := range append(files, shared...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = afterGuard(b)
		sameDecoding(t, f, b)
		sameDecoding(t, f+" in a list", append(append([]byte("[\n"), b...), ']'))
	}
	out, err := exec.Command("git", "ls-files", "--full-name", ":/**/testdata/fuzz/**").Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	root, _ := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	n := 0
	for _, f := range strings.Fields(string(out)) {
		for i, v := range corpusValues(t, filepath.Join(strings.TrimSpace(string(root)), f)) {
			sameDecoding(t, fmt.Sprintf("%s value %d", f, i), v)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no fuzz corpus values found")
	}
}

// corpusValues reads the []byte and string values of a fuzz corpus file.
func corpusValues(t *testing.T, path string) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vals [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Text()
		for _, pre := range []string{"[]byte(", "string("} {
			if q, ok := strings.CutPrefix(line, pre); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				vals = append(vals, []byte(s))
			}
		}
	}
	return vals
}

// TestDecodeGeneratedSameAsEncodingJSON decodes the test server's pages of
// a generated history, with the collector's options, with both decoders.
func TestDecodeGeneratedSameAsEncodingJSON(t *testing.T) {
	srv := gt.New(gt.Generate(gt.GenOptions{Seed: 7, Changes: 1200}))
	defer srv.Close()
	for skip := 0; skip < 1200; skip += 500 {
		v := url.Values{"q": {"after:2000-01-01"}, "n": {"500"}, "S": {strconv.Itoa(skip)}, "o": queryOptions}
		resp, err := http.Get(srv.URL() + "/changes/?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		sameDecoding(t, "page at "+strconv.Itoa(skip), afterGuard(body))
		if _, ok := streamIn(afterGuard(body), 4096); !ok {
			t.Fatalf("page at %d: the stream did not read it", skip)
		}
		if p, err := decodePage(afterGuard(body), "s", "http://g/"); err != nil || len(p.changes) == 0 {
			t.Fatalf("page at %d: %d changes, %v", skip, len(p.changes), err)
		}
	}
}

// FuzzDecodeSame feeds arbitrary answers to both decoders.
func FuzzDecodeSame(f *testing.F) {
	if body, err := os.ReadFile("testdata/change.json"); err == nil {
		f.Add(afterGuard(body))
	}
	for _, c := range decodeCases {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameDecoding(t, "fuzz", body)
	})
}

// BenchmarkDecodePage decodes a 500-change page of the test server with
// the collector's options (-bench . -benchmem): whole with the scanner,
// as it comes in 64 KB chunks with a PageStream, and whole with
// encoding/json, for comparison.
func BenchmarkDecodePage(b *testing.B) {
	srv := gt.New(gt.Generate(gt.GenOptions{Seed: 7, Changes: 600}))
	v := url.Values{"q": {"after:2000-01-01"}, "n": {"500"}, "o": queryOptions}
	resp, err := http.Get(srv.URL() + "/changes/?" + v.Encode())
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.Close()
	if err != nil {
		b.Fatal(err)
	}
	body = afterGuard(body)
	for _, d := range []struct {
		name   string
		decode func([]byte, string, string) (page, error)
	}{{"scanner", decodePage}, {"json", jsonDecodePage}, {"stream", func(body []byte, _, _ string) (page, error) {
		if p, ok := streamIn(body, 64<<10); ok {
			return p, nil
		}
		return page{}, errors.New("the stream did not take the page")
	}}} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.decode(body, "s", "http://g/"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
