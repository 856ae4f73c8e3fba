package gerrit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/codepace/codepace/collectors/httpx"
)

// hints say what to do about a Gerrit answer, by HTTP status (0: an HTML
// page instead of JSON).
var hints = map[int]string{
	0:                             "typically a login page: check the source's username and its HTTP password in password_env / password_file, and that url is the Gerrit root",
	http.StatusUnauthorized:       "check the source's username and its HTTP password in password_env / password_file",
	http.StatusForbidden:          "the account may not see these changes",
	http.StatusNotFound:           "is the source url the Gerrit root?",
	http.StatusTooManyRequests:    "Gerrit's quota throttled codepace; retries were exhausted",
	http.StatusServiceUnavailable: "Gerrit or a proxy in front of it is unavailable; retries were exhausted",
}

// queryItems tells httpx how many changes a query asked for (n), so that
// a page with more fails.
func queryItems(req *http.Request) (string, int) {
	n, _ := strconv.Atoi(req.URL.Query().Get("n"))
	return "", n
}

// client sends change queries.
type client struct {
	hx     *httpx.Client
	base   string // server URL with a trailing slash, without credentials
	prefix string // "a/" when authenticated
}

// query fetches one page of GET /changes/ and decodes it, after Gerrit's
// )]}' guard, as it comes with a PageStream, or whole with decodePage when
// the answer is not gzipped or the stream cannot read it; shown is the URL
// (without credentials), for messages. An answer that is not a list of
// changes fails naming it.
func (c *client) query(ctx context.Context, q string, n, skip int, options []string, source string) (p page, shown string, err error) {
	v := url.Values{}
	v.Set("q", q)
	v.Set("n", strconv.Itoa(n))
	if skip > 0 {
		v.Set("S", strconv.Itoa(skip))
	}
	for _, o := range options {
		v.Add("o", o)
	}
	shown = c.base + c.prefix + "changes/?" + v.Encode()
	var ps *PageStream
	streamed, err := c.hx.StreamJSON(ctx, shown, magicPrefix,
		func() io.WriteCloser { ps = NewPageStream(source, c.base); return ps },
		func(body []byte) error {
			var err error
			if p, err = decodePage(body, source, c.base); err != nil {
				return fmt.Errorf("GET %s: %w", shown, err)
			}
			return nil
		})
	if streamed {
		p = ps.p
	}
	return p, shown, err
}
