package jenkins

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/codepace/codepace/collectors/httpx"
)

// hints say what to do about a Jenkins answer, by HTTP status (0: an HTML
// page instead of JSON).
var hints = map[int]string{
	0:                          "typically a login page of Jenkins or of a single sign-on proxy in front of it: check username and the API token in token_env / token_file, and that url is the Jenkins root (the page that lists the jobs)",
	http.StatusUnauthorized:    "Jenkins refused the credentials: check the source's username and the API token in token_env / token_file; a token is made under the user's Configure page",
	http.StatusForbidden:       "the account may not read this: it needs Overall/Read and Job/Read; without username and token Jenkins treats codepace as anonymous",
	http.StatusNotFound:        "no such job or folder: it may have been deleted or renamed; check jobs and url",
	http.StatusTooManyRequests: "Jenkins or a proxy throttled codepace; retries were exhausted",
}

// buildRange finds the range of builds a tree asks for.
var buildRange = regexp.MustCompile(`allBuilds\[.*\]\{(\d+),(\d+)\}$`)

// treeItems tells httpx how many builds a request asked for, so that a
// page with more fails.
func treeItems(req *http.Request) (string, int) {
	m := buildRange.FindStringSubmatch(req.URL.Query().Get("tree"))
	if m == nil {
		return "", 0
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	return "allBuilds", hi - lo
}

// client sends GET requests to Jenkins' JSON API.
type client struct {
	hx   *httpx.Client
	base string // Jenkins root URL with a trailing slash, without credentials
}

// getJSON fetches path (relative to the Jenkins root, query included) and
// decodes the JSON answer into v.
func (c *client) getJSON(ctx context.Context, path string, v any) error {
	return c.hx.DecodeJSON(ctx, c.base+path, nil, func(body []byte) error {
		return decode(body, c.base+path, v)
	})
}

// decode reads a JSON answer into v. When v is a checker, JSON that is not
// the answer asked for (`{}`, another object) is refused too, with an
// *httpx.Error wrapping httpx.ErrNotJSON.
func decode(body []byte, shown string, v any) error {
	detail := ""
	if err := json.Unmarshal(body, v); err != nil {
		detail = fmt.Sprintf("does not decode as a Jenkins answer: %v", err)
	} else if c, ok := v.(checker); ok {
		detail = c.check()
	}
	if detail == "" {
		return nil
	}
	return &httpx.Error{System: "Jenkins", Method: http.MethodGet, URL: shown, Status: http.StatusOK, Err: httpx.ErrNotJSON,
		Detail: "the answer (HTTP 200) " + detail, Hint: "a proxy or a plugin answering in Jenkins' place? Run again, and if it persists open the URL in a browser"}
}
