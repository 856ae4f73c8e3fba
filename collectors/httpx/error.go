package httpx

import (
	"errors"
	"fmt"
	"net/http"
)

// The causes an *Error can carry in Err, for errors.Is.
var (
	// ErrNotJSON: a 2xx answer that is not the JSON asked for (an HTML
	// login page, JSON cut short or malformed, null, an empty body).
	ErrNotJSON = errors.New("not the JSON asked for")
	// ErrHTML: a 2xx answer that is an HTML page (a login page); it wraps
	// ErrNotJSON.
	ErrHTML = fmt.Errorf("an HTML page: %w", ErrNotJSON)
	// ErrTooLarge: an answer larger, once decompressed, than
	// Config.MaxAnswerBytes.
	ErrTooLarge = errors.New("answer too large")
	// ErrTooManyItems: a page with more items than were asked for.
	ErrTooManyItems = errors.New("more items than asked for")
	// ErrNoProgress: paging that brings nothing new (the same page or the
	// same cursor again).
	ErrNoProgress = errors.New("paging makes no progress")
	// ErrRedirect: a redirect codepace refuses to follow (https to http).
	ErrRedirect = errors.New("redirect refused")
	// ErrRateLimited: a request given up because a rate limit would
	// outlast Config.MaxWait, or kept coming back.
	ErrRateLimited = errors.New("rate limit")
)

// Error is every failure of a source's API that codepace cannot use: an
// HTTP status, an answer that is not the JSON asked for, too large, or
// paging that goes nowhere. Its text names the request (never with
// credentials), says what came, and what to do; configured secrets are
// redacted from it.
type Error struct {
	// System names the server in messages: "Gerrit", "Jenkins", "GitHub".
	System string
	Method string
	URL    string // without credentials
	// Status is the HTTP status; 0 when the failure is not about one.
	Status int
	// Message is what the server said: its error message, the start of
	// its answer, or `an HTML page ("title")`.
	Message string
	// Detail says what is wrong with an answer that has no bad status.
	Detail string
	// Hint says what to do (from Config.Hints by status).
	Hint string
	// Attempts is how many times the request was sent, when more than once.
	Attempts int
	// Err is the cause: one of the Err* values above, or the server's
	// error as a client library saw it.
	Err error
}

func (e *Error) Error() string {
	s := e.Method + " " + e.URL + ":"
	if e.Status != 0 && e.Detail == "" {
		s += fmt.Sprintf(" HTTP %d", e.Status)
		if e.Message == "" {
			s += " " + http.StatusText(e.Status)
		}
	}
	if e.Detail != "" {
		s += " " + e.Detail
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of err's *Error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
