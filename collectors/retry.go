package collectors

import (
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
