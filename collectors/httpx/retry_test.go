package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	for h, want := range map[string]time.Duration{
		"":      0,
		"7":     7 * time.Second,
		" 12 ":  12 * time.Second,
		"-5":    0,
		"junk":  0,
		"99999": 99999 * time.Second,
		time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat): 0,
	} {
		if got := RetryAfter(h); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", h, got, want)
		}
	}
	if got := RetryAfter(time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)); got < 80*time.Second || got > 90*time.Second {
		t.Errorf("an HTTP date 90 s ahead gives %v", got)
	}
}

func TestRetryable(t *testing.T) {
	for status, want := range map[int]bool{200: false, 401: false, 404: false, 408: true, 429: true, 500: true, 503: true} {
		if Retryable(status) != want {
			t.Errorf("Retryable(%d) = %v", status, !want)
		}
	}
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		first    time.Duration
		failures int
		min, max time.Duration
	}{
		{time.Second, 1, time.Second, 1250 * time.Millisecond},
		{time.Second, 3, 4 * time.Second, 5 * time.Second},
		{time.Second, 7, time.Minute, 75 * time.Second}, // 64 s, capped at a minute
		{time.Second, 200, time.Minute, 75 * time.Second},
		{time.Hour, 1, time.Minute, 75 * time.Second},
		{0, 1, time.Nanosecond, time.Nanosecond},
	}
	for _, c := range cases {
		for range 50 {
			if got := Backoff(c.first, c.failures); got < c.min || got > c.max {
				t.Errorf("Backoff(%v, %d) = %v, want within [%v, %v]", c.first, c.failures, got, c.min, c.max)
				break
			}
		}
	}
}

// TestRetryPOST: a POST is sent once unless Config.AnyMethod, then sent
// again whole after a 503.
func TestRetryPOST(t *testing.T) {
	for _, anyMethod := range []bool{false, true} {
		var bodies []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			bodies = append(bodies, string(b))
			if len(bodies) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, `{}`)
		}))
		c, err := New(Config{System: "X", BaseURL: srv.URL, Retries: 2, Backoff: time.Millisecond, AnyMethod: anyMethod})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.HTTPClient().Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"q"}`))
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, status := []string{`{"query":"q"}`}, http.StatusServiceUnavailable
		if anyMethod {
			want, status = []string{`{"query":"q"}`, `{"query":"q"}`}, http.StatusOK
		}
		if resp.StatusCode != status || !slices.Equal(bodies, want) {
			t.Errorf("AnyMethod %v: HTTP %d after bodies %q, want %d after %q", anyMethod, resp.StatusCode, bodies, status, want)
		}
	}
}

// TestClassifyTransientOK: a 200 answer Classify calls Transient (errors
// inside the answer) is sent again, and when retries are used up the
// error carries the verdict's Detail and Message, and the attempts.
func TestClassifyTransientOK(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		io.WriteString(w, `{"errors":["busy"]}`)
	}))
	defer srv.Close()
	c, err := New(Config{System: "X", BaseURL: srv.URL, Retries: 1, Backoff: time.Millisecond,
		Classify: func(resp *http.Response) Verdict {
			if strings.Contains(string(RawBody(resp.Body)), "busy") {
				return Verdict{Kind: Transient, Message: "busy", Detail: "the answer holds errors"}
			}
			return Verdict{}
		}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetJSON(context.Background(), "/", nil)
	var e *Error
	if !errors.As(err, &e) || n != 2 || e.Attempts != 2 || e.Detail != "the answer holds errors" || e.Message != "busy" {
		t.Errorf("error %#v after %d requests", err, n)
	}
}

// TestClassifyRateLimits: a 200 answer Classify calls a rate limit (GitHub
// GraphQL's RATE_LIMITED) is waited out in the same loop as failures,
// without using up Retries: a Reset for its Wait plus Backoff, a
// Throttled answer Limits.Wait doubled each time; past Limits.Times the
// request fails with ErrRateLimited, the server's message and the
// attempts.
func TestClassifyRateLimits(t *testing.T) {
	for _, tt := range []struct {
		kind        Kind
		times       int
		requests    int
		waited      time.Duration
		ok, limited bool
	}{
		// Three limits, a failure, then the answer: three waits of
		// Backoff, one retry (its Backoff is random).
		{kind: Reset, times: 5, requests: 5, waited: 3 * time.Millisecond, ok: true},
		// 1, 2 and 4 ms.
		{kind: Throttled, times: 5, requests: 5, waited: 7 * time.Millisecond, ok: true},
		// Two waits allowed: the third limit gives up.
		{kind: Reset, times: 2, requests: 3, waited: 2 * time.Millisecond, limited: true},
	} {
		var n int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			switch n {
			case 1, 2, 3:
				io.WriteString(w, `{"errors":["limited"]}`)
			case 4:
				io.WriteString(w, `{"errors":["busy"]}`)
			default:
				io.WriteString(w, `{"data":1}`)
			}
		}))
		c, err := New(Config{System: "X", BaseURL: srv.URL, Retries: 1, Backoff: time.Millisecond,
			Limits: Limits{Wait: time.Millisecond, Times: tt.times},
			Classify: func(resp *http.Response) Verdict {
				switch b := string(RawBody(resp.Body)); {
				case strings.Contains(b, "limited"):
					return Verdict{Kind: tt.kind, Message: "LIMITED"}
				case strings.Contains(b, "busy"):
					return Verdict{Kind: Transient, Message: "busy"}
				}
				return Verdict{}
			}})
		if err != nil {
			t.Fatal(err)
		}
		body, err := c.GetJSON(context.Background(), "/", nil)
		srv.Close()
		var e *Error
		switch {
		case n != tt.requests || c.Requests() != tt.requests:
			t.Errorf("%v: %d requests (%d counted), want %d", tt, n, c.Requests(), tt.requests)
		case tt.ok && (err != nil || string(body) != `{"data":1}`):
			t.Errorf("%v: %q, %v", tt, body, err)
		case tt.ok && c.Waited() <= tt.waited:
			t.Errorf("%v: waited %v, want the rate limits' %v and a retry's backoff", tt, c.Waited(), tt.waited)
		case tt.limited && (!errors.Is(err, ErrRateLimited) || !errors.As(err, &e) || e.Attempts != 3 || e.Message != "LIMITED" || c.Waited() != tt.waited):
			t.Errorf("%v: error %v after waiting %v, want ErrRateLimited after 3 attempts and %v", tt, err, c.Waited(), tt.waited)
		}
	}
}
