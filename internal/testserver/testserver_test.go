package testserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// fake is the smallest test server built on Base: it counts only /count/
// requests and answers "ok <path>".
type fake struct{ Base }

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/count/" {
		f.Record(r)
	}
	if f.Fault(w, r) {
		return
	}
	w.Header().Set("ETag", `"1"`)
	io.WriteString(w, "ok "+r.URL.Path)
}

func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

func TestFaultCountsAndLog(t *testing.T) {
	f := &fake{}
	get(t, f, "/count/?q=a%20b")
	get(t, f, "/other")
	f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return true
	})
	if code, _ := get(t, f, "/count/?n=2"); code != http.StatusServiceUnavailable {
		t.Errorf("the fault did not answer: status %d", code)
	}
	f.SetFault(nil)
	if code, body := get(t, f, "/count/"); code != http.StatusOK || body != "ok /count/" {
		t.Errorf("after SetFault(nil): %d %q", code, body)
	}
	if f.Requests() != 3 {
		t.Errorf("Requests() = %d, want 3 (faults included, /other not recorded)", f.Requests())
	}
	if want := []string{"/count/?q=a%20b", "/count/?n=2", "/count/"}; !slices.Equal(f.Log(), want) {
		t.Errorf("Log() = %q, want %q", f.Log(), want)
	}
	f.ResetCounters()
	if f.Requests() != 0 || len(f.Log()) != 0 {
		t.Errorf("after ResetCounters: %d requests, log %q", f.Requests(), f.Log())
	}
}

func TestLogKeepsTheNewest(t *testing.T) {
	f := &fake{}
	n := 2*LogLimit + 7
	for i := range n {
		f.Record(httptest.NewRequest(http.MethodGet, "/count/?i="+strconv.Itoa(i), nil))
	}
	log := f.Log()
	if f.Requests() != n || len(log) != LogLimit {
		t.Fatalf("%d requests, log of %d; want %d and %d", f.Requests(), len(log), n, LogLimit)
	}
	if log[0] != "/count/?i="+strconv.Itoa(n-LogLimit) || log[LogLimit-1] != "/count/?i="+strconv.Itoa(n-1) {
		t.Errorf("log runs from %q to %q", log[0], log[LogLimit-1])
	}
}

func TestRewrite(t *testing.T) {
	f := &fake{}
	f.SetFault(Rewrite(f, func(r *http.Request) bool { return r.URL.Path == "/count/" },
		func(b []byte) []byte { return bytes.ToUpper(b) }))
	srv := httptest.NewServer(f)
	defer srv.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := http.Get(srv.URL + "/count/")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "OK /COUNT/" || resp.Header.Get("ETag") != "" {
				t.Errorf("rewritten answer %q, ETag %q", body, resp.Header.Get("ETag"))
			}
		})
	}
	wg.Wait()
	if _, body := get(t, f, "/other"); body != "ok /other" {
		t.Errorf("an unmatched request was rewritten: %q", body)
	}
	// Each rewritten request reaches the fake twice: as itself and as the
	// inner request whose answer is edited.
	if f.Requests() != 40 {
		t.Errorf("Requests() = %d, want 40", f.Requests())
	}
}

func TestHostileHelpers(t *testing.T) {
	other := NewElsewhere(http.StatusTeapot)
	defer other.Close()
	bomb := GzipBomb(3 << 20)
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bomb" {
			bomb(w, r)
			return
		}
		RedirectTo(other.URL)(w, r)
	}))
	defer home.Close()
	req, _ := http.NewRequest(http.MethodGet, home.URL+"/x?y=1", nil)
	req.Header.Set("Authorization", "Basic eA==")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || resp.Request.URL.String() != other.URL+"/x?y=1" {
		t.Errorf("redirected to %s, answered %d", resp.Request.URL, resp.StatusCode)
	}
	if got := other.Authorizations(); len(got) != 1 || other.CheckNoCredentials() == nil {
		t.Errorf("Authorizations() = %q, want one request, with the credentials Go forwards to another port", got)
	}
	for range 2 { // every request gets the whole bomb
		resp, err = http.Get(home.URL + "/bomb")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(body) != 3<<20 || !resp.Uncompressed {
			t.Errorf("bomb: %d bytes, uncompressed by the client %v, %v", len(body), resp.Uncompressed, err)
		}
	}
}
