package collectors

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retryable reports whether an HTTP status is worth retrying: the server
// was busy (408, 429) or failed (5xx), not the request.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// RetryAfter reads a Retry-After header, seconds or an HTTP date, as a
// wait that is never negative; 0 when the header is absent or unreadable.
func RetryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(h); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	return max(d, 0)
}

// Backoff is the wait before retrying after failure number failures
// (counted from 1): first, doubled for each earlier failure up to a minute,
// plus up to a quarter more at random so that clients that failed together
// do not retry together. A caller honouring Retry-After waits that instead
// when it is longer.
func Backoff(first time.Duration, failures int) time.Duration {
	d := max(first, time.Nanosecond)
	for n := failures - 1; n > 0 && d < time.Minute; n-- {
		d *= 2
	}
	d = min(d, time.Minute)
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}
