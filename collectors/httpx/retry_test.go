package httpx

import (
	"net/http"
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
