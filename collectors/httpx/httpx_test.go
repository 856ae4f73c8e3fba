package httpx

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newClient returns a Client of srv with quick retries; mod changes cfg.
func newClient(t *testing.T, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{System: "Test", BaseURL: base, Retries: 2, Backoff: time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetJSONStatusesAndAnswers(t *testing.T) {
	tests := []struct {
		name     string
		ct, body string
		status   int
		want     string
		is       error
		requests int
	}{
		{"ok", "application/json", `[1,2]`, 200, "", nil, 1},
		{"401 with hint", "text/plain", "who are you", 401, "GET URL/x: HTTP 401 (check the token): who are you", nil, 1},
		{"404 html", "text/html", "<html><title>Not here</title></html>", 404, `HTTP 404: an HTML page ("Not here")`, nil, 1},
		{"500 retried", "text/plain", "boom", 500, "HTTP 500: boom (gave up after 3 attempts)", nil, 3},
		{"login page", "text/html", "<html><head><title> Sign in </title>", 200, `the answer (HTTP 200) is an HTML page ("Sign in") instead of JSON (log in first)`, ErrNotJSON, 1},
		{"cut short", "application/json", `[{"a":`, 200, "is not valid JSON: cut short (unexpected EOF) after 6 bytes", ErrNotJSON, 1},
		{"null", "application/json", `null`, 200, "is null", ErrNotJSON, 1},
		{"empty", "application/json", ``, 200, "is empty", ErrNotJSON, 1},
		{"trailing", "application/json", `[1] [2]`, 200, `more follows the JSON value: "[2]"`, ErrNotJSON, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Content-Type", tt.ct)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c := newClient(t, srv.URL, func(c *Config) { c.Hints = map[int]string{0: "log in first", 401: "check the token"} })
			body, err := c.GetJSON(context.Background(), "x", nil)
			if tt.want == "" {
				if err != nil || string(body) != tt.body {
					t.Fatalf("got %q, %v", body, err)
				}
			} else if err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), srv.URL, "URL"), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if int(n.Load()) != tt.requests || c.Requests() != tt.requests {
				t.Errorf("%d requests (counted %d), want %d", n.Load(), c.Requests(), tt.requests)
			}
		})
	}
}

func TestGetJSONPrefix(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, map[string]string{"/good": ")]}'\n[]", "/bad": "[]"}[r.URL.Path])
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	if b, err := c.GetJSON(context.Background(), "/good", []byte(")]}'")); err != nil || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("good: %q, %v", b, err)
	}
	if _, err := c.GetJSON(context.Background(), "/bad", []byte(")]}'")); !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), `does not start with ")]}'"`) {
		t.Errorf("bad: %v", err)
	}
}

// TestDecodeJSON: decode sees the body after the prefix and its error is
// returned when the body is JSON; it is not called for an empty or null
// answer; when it fails on a body that is not JSON, the error says what is
// wrong with the body, as GetJSON's does.
func TestDecodeJSON(t *testing.T) {
	bodies := map[string]string{"/ok": ")]}'\n[1]", "/null": ")]}'\nnull", "/cut": ")]}'\n[1,", "/html": "<html><title>Sign in</title>"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, bodies[r.URL.Path])
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	shape := errors.New("not the shape wanted")
	tests := []struct {
		path      string
		decodeErr error
		calls     int
		want      string
		is        error
	}{
		{"/ok", nil, 1, "", nil},
		{"/ok", shape, 1, "not the shape wanted", shape},
		{"/null", nil, 0, "the answer (HTTP 200) is null", ErrNotJSON},
		{"/cut", shape, 1, "is not valid JSON: cut short (unexpected EOF)", ErrNotJSON},
		{"/html", shape, 0, `is an HTML page ("Sign in") instead of JSON`, ErrHTML},
	}
	for _, tt := range tests {
		calls := 0
		var got string
		err := c.DecodeJSON(context.Background(), tt.path, []byte(")]}'"), func(b []byte) error {
			calls++
			got = string(b)
			return tt.decodeErr
		})
		if calls != tt.calls || (calls > 0 && got != bodies[tt.path][4:]) {
			t.Errorf("%s: decode called %d times with %q, want %d", tt.path, calls, got, tt.calls)
		}
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
			t.Errorf("%s: error %v, want one containing %q and wrapping %v", tt.path, err, tt.want, tt.is)
		}
		if errors.Is(err, ErrNotJSON) && errors.Is(err, shape) {
			t.Errorf("%s: error %v wraps decode's error too", tt.path, err)
		}
	}
}

// TestRetryAfterIsHonoured: a 429 with Retry-After waits that long, not
// the (shorter) backoff, and counts the wait.
func TestRetryAfterIsHonoured(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, "{}")
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	if _, err := c.GetJSON(context.Background(), "/", nil); err != nil {
		t.Fatal(err)
	}
	if c.Waited() < time.Second || c.Requests() != 2 {
		t.Errorf("waited %v over %d requests, want a second over 2", c.Waited(), c.Requests())
	}
}

// TestCredentialsStayHome: credentials go to the configured scheme, host
// and port only, whatever redirects say; https to http is refused.
func TestCredentialsStayHome(t *testing.T) {
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, "other:"+r.Header.Get("Authorization"))
		fmt.Fprint(w, "{}")
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, "home:"+r.Header.Get("Authorization"))
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/there", http.StatusFound)
			return
		}
		fmt.Fprint(w, "{}")
	}))
	defer home.Close()
	c := newClient(t, home.URL, func(c *Config) { c.Username, c.Password = "bob", "s3cret" })
	if _, err := c.GetJSON(context.Background(), "/away", nil); err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("bob:s3cret"))
	if len(got) != 2 || got[0] != "home:"+basic || got[1] != "other:" {
		t.Errorf("requests %q: want credentials at home only", got)
	}

	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/plain", http.StatusMovedPermanently)
	}))
	defer tls.Close()
	c = newClient(t, tls.URL, func(c *Config) { c.Token = "tok"; c.Transport = tls.Client().Transport })
	got = nil
	_, err := c.GetJSON(context.Background(), "/x", nil)
	if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "redirected from https to "+other.URL+"/plain") {
		t.Errorf("https to http: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("the http server got %q", got)
	}
}

// TestSameOrigin: another port or scheme is another origin; default ports
// are the scheme's.
func TestSameOrigin(t *testing.T) {
	c := newClient(t, "https://Review.example.org/gerrit/", nil)
	for raw, want := range map[string]bool{
		"https://review.example.org/a/changes":     true,
		"https://review.example.org:443/x":         true,
		"http://review.example.org/x":              false,
		"https://review.example.org:8443/x":        false,
		"https://evil.example.org/x":               false,
		"https://review.example.org.evil.com/x":    false,
		"https://user@review.example.org/x?q=1#hm": true,
	} {
		u, _ := url.Parse(raw)
		if c.sameOrigin(u) != want {
			t.Errorf("sameOrigin(%s) = %v", raw, !want)
		}
	}
}

// TestAnswerSizeCap: an answer over MaxAnswerBytes once decompressed fails
// with ErrTooLarge, without a retry; one at the cap passes.
func TestAnswerSizeCap(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		size := map[string]int{"/small": 1000, "/big": 1001}[r.URL.Path]
		zw.Write([]byte("[" + strings.Repeat(" ", size-2) + "]"))
		zw.Close()
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *Config) { c.MaxAnswerBytes = 1000 })
	if _, err := c.GetJSON(context.Background(), "/small", nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetJSON(context.Background(), "/big", nil)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than 1000 bytes once decompressed (max_answer_bytes)") {
		t.Errorf("error %v", err)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests: a too large answer is not retried", n.Load())
	}
}

func TestTooManyItems(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"total":3,"runs":[{"a":[1,2,3]},{"b":"x,y"},{}]}`)
	}))
	defer srv.Close()
	items := func(max int) func(*http.Request) (string, int) {
		return func(*http.Request) (string, int) { return "runs", max }
	}
	if _, err := newClient(t, srv.URL, func(c *Config) { c.Items = items(3) }).GetJSON(context.Background(), "/", nil); err != nil {
		t.Fatal(err)
	}
	_, err := newClient(t, srv.URL, func(c *Config) { c.Items = items(2) }).GetJSON(context.Background(), "/", nil)
	if !errors.Is(err, ErrTooManyItems) || !strings.Contains(err.Error(), "holds at least 3 items where codepace asked for at most 2") {
		t.Errorf("error %v", err)
	}
}

func TestHTMLAndTitle(t *testing.T) {
	if !IsHTML("text/html;charset=utf-8", nil) || !IsHTML("application/json", []byte("  <!DOCTYPE html>")) || IsHTML("application/json", []byte(`{"a":1}`)) {
		t.Error("IsHTML")
	}
	var r Redactor
	if got := r.Title([]byte("<html><head><TITLE lang=en>Sign in\n [Jenkins]</title>")); got != ` ("Sign in [Jenkins]")` {
		t.Errorf("Title %q", got)
	}
	if got := r.Title([]byte("<html><title></title>")); got != "" {
		t.Errorf("empty Title %q", got)
	}
}

func TestItemCounter(t *testing.T) {
	for _, tt := range []struct {
		body, key string
		want      int
	}{
		{`[]`, "", 0},
		{` [ ] `, "", 0},
		{`)]}'` + "\n" + `[{"a":[1,2]},{"b":"],[,"}]`, "", 2},
		{`[1,"two",null,[3,4],{"x":{}}]`, "", 5},
		{`["a\"],b",2]`, "", 2},
		{`{"jobs":[1,2,3],"allBuilds":[{"n":1},{"n":2}]}`, "allBuilds", 2},
		{`{"name":"allBuilds","other":[1,2,3]}`, "allBuilds", -1},
		{`{"x":{"allBuilds":[1,2,3]},"allBuilds":[1]}`, "allBuilds", 1},
		{`{"runs":[]}`, "runs", 0},
		{`[1,2]`, "runs", -1},
		{`{"a":1}`, "", -1},
		{`nothing`, "", -1},
	} {
		whole := newItemCounter(tt.key)
		whole.feed([]byte(tt.body))
		split := newItemCounter(tt.key) // fed a byte at a time
		for i := range len(tt.body) {
			split.feed([]byte{tt.body[i]})
		}
		if whole.n != tt.want || split.n != tt.want {
			t.Errorf("items of %s under %q: %d, fed byte by byte %d, want %d", tt.body, tt.key, whole.n, split.n, tt.want)
		}
	}
}

// TestEchoedSecretsAreRedacted: a server that echoes the request, headers
// included, into its error answers and login pages: no form of the
// secrets reaches the error text or the logs.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		enc := base64.StdEncoding.EncodeToString([]byte("bob:pa ss/wörd"))
		text := fmt.Sprintf("you sent %s; %s; %s; %s", auth, url.QueryEscape("pa ss/wörd"), strings.TrimRight(enc, "="), "pa ss/wörd")
		switch r.URL.Path {
		case "/500":
			http.Error(w, text, http.StatusInternalServerError)
		case "/login":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html><title>%s</title>", text)
		case "/bad":
			fmt.Fprintf(w, "[1] %q", strings.Repeat("x", 30)+text)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	var logs bytes.Buffer
	c := newClient(t, srv.URL, func(c *Config) {
		c.Username, c.Password = "bob", "pa ss/wörd"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	for _, p := range []string{"/500", "/login", "/bad"} {
		_, err := c.GetJSON(context.Background(), p, nil)
		if err == nil {
			t.Fatalf("%s: no error", p)
		}
		for _, text := range []string{err.Error(), logs.String()} {
			if strings.Contains(text, "pa ss") || strings.Contains(text, "pa+ss") || strings.Contains(text, "Ym9iOnBhIHNzL3f") {
				t.Errorf("%s: a secret in %q", p, text)
			}
		}
		if !strings.Contains(err.Error(), redacted) {
			t.Errorf("%s: %v shows nothing redacted", p, err)
		}
	}
}

func TestRedactorForms(t *testing.T) {
	r := NewRedactor("ann", "tok/en+1", "")
	basic := base64.StdEncoding.EncodeToString([]byte("ann:tok/en+1"))
	for _, s := range []string{"tok/en+1", basic, url.QueryEscape("tok/en+1"), url.PathEscape("ann:tok/en+1"),
		base64.RawURLEncoding.EncodeToString([]byte("tok/en+1")), `tok\/en+1`} {
		if got := r.String("a " + s + " b"); got != "a "+redacted+" b" {
			t.Errorf("String(%q) = %q", s, got)
		}
	}
	if got := r.String("ann and more"); got != "ann and more" {
		t.Errorf("the user name alone is not a secret: %q", got)
	}
	var zero Redactor
	if zero.String("tok/en+1") != "tok/en+1" || zero.Error(nil) != nil {
		t.Error("the zero Redactor removes something")
	}
	err := r.Error(fmt.Errorf("wrapped: %w", &Error{Status: 401, Message: "tok/en+1"}))
	if StatusOf(err) != 401 || strings.Contains(err.Error(), "tok/en") {
		t.Errorf("redacted error %v lost its cause or kept the secret", err)
	}
}

func TestPager(t *testing.T) {
	var p Pager
	p.What = "things"
	if err := p.Page([]string{"a", "b"}, "2"); err != nil {
		t.Fatal(err)
	}
	if err := p.Page([]string{"b", "c"}, "3"); err != nil {
		t.Fatal(err)
	}
	err := p.Page([]string{"c"}, "2")
	if !errors.Is(err, ErrNoProgress) || !strings.Contains(err.Error(), "things: page 3 sends codepace back") {
		t.Errorf("a cursor followed twice: %v", err)
	}

	p = Pager{What: "same"}
	for i := range 4 {
		err = p.Page([]string{"a", "b"}, fmt.Sprint(i+10))
		if (err != nil) != (i == 3) {
			t.Fatalf("page %d: %v", i+1, err)
		}
	}
	if !errors.Is(err, ErrNoProgress) || !strings.Contains(err.Error(), "3 pages in a row brought nothing new") {
		t.Errorf("the same page for ever: %v", err)
	}
	p = Pager{}
	if err := p.Page(nil, ""); err != nil {
		t.Errorf("an empty last page: %v", err)
	}
}

// FuzzItemCounter: the counter finds as many elements in an array answer
// as encoding/json does, and the same count fed whole or in pieces.
func FuzzItemCounter(f *testing.F) {
	for _, s := range []string{`[]`, `[1,"a\"],b",{"x":[1,2]}]`, `{"runs":[{"a":"\\"},2]}`, `["\\\\",  "\u00e9,"]`, `{"runs":1,"runs":[1]}`} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, body string, cut int) {
		for _, key := range []string{"", "runs"} {
			whole := newItemCounter(key)
			whole.feed([]byte(body))
			if cut <= 0 {
				cut = 1
			}
			pieces := newItemCounter(key)
			for i := 0; i < len(body); i += cut {
				pieces.feed([]byte(body[i:min(i+cut, len(body))]))
			}
			if pieces.n != whole.n {
				t.Fatalf("%q under %q: %d items fed whole, %d in pieces of %d", body, key, whole.n, pieces.n, cut)
			}
			var list []json.RawMessage
			if key == "" && json.Unmarshal([]byte(body), &list) == nil && list != nil && whole.n != len(list) {
				t.Fatalf("%q: %d items, encoding/json finds %d", body, whole.n, len(list))
			}
		}
	})
}

// BenchmarkItemCounter counts the items of a page of objects holding long
// strings, as Gerrit's changes do.
func BenchmarkItemCounter(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(")]}'\n[")
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"project":"team/app","subject":"Fix the \"thing\" %d","messages":[`, i)
		for j := range 8 {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"id":"%x","message":"Patch Set %d:\n\nBuild succeeded (check pipeline).\n\n- job-%d https://ci.example.org/t/123/build/abcdef : SUCCESS in 4m 12s\n","_revision_number":%d}`, i*100+j, j, j, j)
		}
		sb.WriteString(`],"insertions":12,"deletions":3}`)
	}
	sb.WriteByte(']')
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c := newItemCounter("")
		for i := 0; i < len(body); i += 16 << 10 {
			c.feed(body[i:min(i+16<<10, len(body))])
		}
		if c.n != 500 {
			b.Fatal(c.n)
		}
	}
}

// TestGzip: codepace asks for gzip and reads a gzipped answer of several
// read chunks whole, also one of two gzip members (whose trailer gives
// only the last one's size) and one over MaxAnswerBytes whose last member
// is small; one that says gzip but is not fails naming gzip; an answer not
// gzipped is read as it is.
func TestGzip(t *testing.T) {
	body := "[" + strings.Repeat(`"abcdefghijklmnopqrstuvwxyz",`, 200_000) + "1]" // over 5 MB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
		}
		switch r.URL.Path {
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte(body))
			zw.Close()
		case "/members", "/members-over":
			w.Header().Set("Content-Encoding", "gzip")
			half := len(body) / 2
			if r.URL.Path == "/members-over" {
				half = len(body) - 10
			}
			for _, part := range []string{body[:half], body[half:]} {
				zw := gzip.NewWriter(w)
				zw.Write([]byte(part))
				zw.Close()
			}
		case "/broken":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte(body))
		default:
			w.Write([]byte(body))
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	for _, path := range []string{"/gzip", "/members", "/plain"} {
		got, err := c.GetJSON(context.Background(), path, nil)
		if err != nil || string(got) != body {
			t.Errorf("%s: %d bytes, %v; want the %d bytes sent", path, len(got), err, len(body))
		}
	}
	small := newClient(t, srv.URL, func(c *Config) { c.MaxAnswerBytes = int64(len(body)) - 1 })
	if _, err := small.GetJSON(context.Background(), "/members-over", nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("/members-over: %v, want ErrTooLarge", err)
	}
	if _, err := c.GetJSON(context.Background(), "/broken", nil); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("/broken: %v, want a gzip error", err)
	}
}
