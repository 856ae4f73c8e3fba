package gerrit

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/collectors/zuul"
)

// afterGuard returns an answer without Gerrit's )]}' guard, as the client
// hands it to decodePage.
func afterGuard(body []byte) []byte {
	rest, _ := bytes.CutPrefix(body, magicPrefix)
	return rest
}

// FuzzDecodePage feeds arbitrary answers to the change decoder: it must
// never panic, and whatever it accepts must be well-formed records.
func FuzzDecodePage(f *testing.F) {
	if body, err := os.ReadFile("testdata/change.json"); err == nil {
		f.Add(body)
	}
	f.Add([]byte(")]}'\n[]"))
	f.Add([]byte(")]}'\n[{\"project\":\"p\",\"_number\":1,\"status\":\"NEW\",\"created\":\"2024-01-02 03:04:05.000000000\",\"updated\":\"2024-01-02 03:04:05.000000000\",\"_more_changes\":true}]"))
	f.Add([]byte("<html>login</html>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(afterGuard(body), "s", "http://g/")
		if err != nil {
			if !errors.Is(err, httpx.ErrNotJSON) {
				t.Fatalf("error %v does not wrap ErrNotJSON", err)
			}
			return
		}
		for _, c := range p.changes {
			if c.Number <= 0 || c.Project == "" || c.Status == "" || c.Created.IsZero() || c.Updated.IsZero() {
				t.Fatalf("accepted an incomplete change %+v", c)
			}
			_ = zuul.Builds("s", c, func(a collectors.Account) bool { return a.Service })
		}
	})
}
