package httpx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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

// Kind is what the retry loop does with an answer.
type Kind int

// The kinds of Verdict.
const (
	// Final: the answer is what it is; the caller reads its status.
	Final Kind = iota
	// Transient: retried up to Config.Retries times with Backoff, or after
	// Verdict.Wait when that is longer (at most MaxRetryAfter).
	Transient
	// Reset: a rate limit used up until a reset Verdict.Wait away; waited
	// out (plus Backoff) when within Limits.MaxWait.
	Reset
	// Throttled: a rate limit without a reset (GitHub's secondary limit):
	// waits Verdict.Wait, else Limits.Wait, doubled each time it comes
	// again, within Limits.MaxWait.
	Throttled
)

// Verdict is what Config.Classify makes of an answer.
type Verdict struct {
	Kind Kind
	// Wait is how long the server asked to wait; 0 when it did not say.
	Wait time.Duration
	// Message is the server's message, for errors.
	Message string
	// Detail says what is wrong with an answer whose status does not say
	// (GitHub's errors inside a 200 answer to a GraphQL query), for
	// errors and logs.
	Detail string
}

// Limits bounds the waits for rate limits.
type Limits struct {
	// Wait is the first wait of a Throttled answer without Retry-After
	// (default a minute).
	Wait time.Duration
	// MaxWait is the longest single wait for a rate limit (default an
	// hour); a longer one fails with ErrRateLimited.
	MaxWait time.Duration
	// Times is how many rate-limit waits one request may take (default 5).
	Times int
}

// classify is the default verdict: network failures, 408, 429 and 5xx are
// transient (after Retry-After when the server says), Config.Classify
// decides about the rest.
func (c *Client) classify(resp *http.Response, err error) Verdict {
	if err != nil {
		return Verdict{Kind: Transient}
	}
	if c.cfg.Classify != nil {
		if v := c.cfg.Classify(resp); v.Kind != Final {
			return v
		}
	}
	if Retryable(resp.StatusCode) {
		return Verdict{Kind: Transient, Wait: RetryAfter(resp.Header.Get("Retry-After"))}
	}
	return Verdict{Kind: Final}
}

// retry sends a request until the answer is final or retries are used up.
// Only GET and HEAD are retried, unless Config.AnyMethod.
type retry struct {
	c    *Client
	next http.RoundTripper
}

func (r *retry) RoundTrip(req *http.Request) (*http.Response, error) {
	c, ctx := r.c, req.Context()
	lim := c.cfg.Limits
	lim.Wait = cmp.Or(lim.Wait, time.Minute)
	lim.MaxWait = cmp.Or(lim.MaxWait, time.Hour)
	lim.Times = cmp.Or(lim.Times, 5)
	again := req.Method == http.MethodGet || req.Method == http.MethodHead || c.cfg.AnyMethod
	attempts, failures, limits := 0, 0, 0
	for {
		attempts++
		if attempts > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := r.next.RoundTrip(req)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var final *Error
		if errors.As(err, &final) || !again {
			return resp, err // too large, too many items: the same next time
		}
		v := c.classify(resp, err)
		var pause time.Duration
		switch v.Kind {
		case Final:
			return resp, nil
		case Transient:
			failures++
			if failures > c.cfg.Retries {
				return nil, r.giveUp(req, resp, err, v, attempts)
			}
			pause = max(Backoff(c.cfg.Backoff, failures), min(v.Wait, c.cfg.MaxRetryAfter))
			what := "HTTP "
			switch {
			case err != nil:
				what = err.Error()
			case v.Detail != "":
				what = v.Detail + ": " + v.Message
			default:
				what += strconv.Itoa(resp.StatusCode)
			}
			c.log.Warn(strings.ToLower(c.cfg.System)+" request failed, retrying", "url", Safe(req.URL), "error", what,
				"attempt", attempts, "wait", pause.String())
		case Reset, Throttled:
			limits++
			if v.Kind == Reset {
				pause = max(v.Wait, 0) + c.cfg.Backoff
			} else {
				pause = doubled(cmp.Or(v.Wait, lim.Wait), limits-1, 2*lim.MaxWait)
			}
			if pause > lim.MaxWait || limits > lim.Times {
				e := c.fail(req, resp.StatusCode, ErrRateLimited)
				e.Message, e.Attempts = c.red.String(v.Message), attempts
				e.Hint = fmt.Sprintf("%s rate limit: used up for another %s, or hit %d times; codepace waits at most %s: run again after the reset, or with a token that has a larger budget",
					c.cfg.System, pause.Round(time.Second), limits, lim.MaxWait)
				return nil, e
			}
			msg := " primary rate limit used up, waiting for the reset"
			if v.Kind == Throttled {
				msg = " secondary rate limit, backing off"
			}
			c.log.Warn(strings.ToLower(c.cfg.System)+msg, "url", Safe(req.URL),
				"wait", pause.Round(time.Millisecond).String(), "times", limits)
		}
		if err := c.sleep(ctx, pause); err != nil {
			return nil, err
		}
	}
}

// giveUp is the error of a request whose retries are used up.
func (r *retry) giveUp(req *http.Request, resp *http.Response, err error, v Verdict, attempts int) error {
	c := r.c
	if err != nil {
		return c.red.Error(fmt.Errorf("%w (gave up after %d attempts)", err, attempts))
	}
	e := c.fail(req, resp.StatusCode, nil)
	e.Attempts, e.Detail = attempts, v.Detail
	e.Message = cmp.Or(c.red.String(v.Message), c.red.Summary(resp.Header.Get("Content-Type"), RawBody(resp.Body)))
	return e
}

// Sleep logs why, then waits d unless ctx ends first, and counts the wait
// in Waited; for waits a client library asks for.
func (c *Client) Sleep(ctx context.Context, d time.Duration, why string) error {
	c.log.Warn(why, "wait", d.Round(time.Millisecond).String())
	return c.sleep(ctx, d)
}

// sleep waits d unless ctx ends first, and counts the wait.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waited += d
	c.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// doubled returns d doubled n times, at most limit.
func doubled(d time.Duration, n int, limit time.Duration) time.Duration {
	for ; n > 0 && d < limit; n-- {
		d *= 2
	}
	return min(d, limit)
}
