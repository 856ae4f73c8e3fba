package gerrittest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

var (
	benchOnce    sync.Once
	benchHandler *Handler
)

func benchData() *Handler {
	benchOnce.Do(func() {
		benchHandler = NewHandler(Generate(GenOptions{Seed: 1, Changes: 20000}))
	})
	return benchHandler
}

const allOptions = "&o=MESSAGES&o=DETAILED_ACCOUNTS&o=DETAILED_LABELS&o=LABELS&o=ALL_REVISIONS&o=ALL_COMMITS&o=REVIEWER_UPDATES&o=SUBMITTABLE"

type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkQueryPage serves 500-change pages with every rendered option over
// 20,000 changes, walking the whole history with S.
func BenchmarkQueryPage(b *testing.B) {
	h := benchData()
	reqs := make([]*http.Request, 40)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/changes/?q=after:2021-01-01&n=500&S="+strconv.Itoa(500*i)+allOptions, nil)
		reqs[i].Header.Set("Accept", "application/json")
	}
	w := &discard{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h.ServeHTTP(w, reqs[i%len(reqs)])
	}
}

// BenchmarkQueryPageHTTP is BenchmarkQueryPage over loopback HTTP with gzip,
// as a Go client sees it.
func BenchmarkQueryPageHTTP(b *testing.B) {
	s := &Server{h: benchData()}
	s.ts = httptest.NewServer(s.h)
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/changes/?q=-is:private&n=500&S="+strconv.Itoa(500*(i%40))+allOptions, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(GenOptions{Seed: 1, Changes: 20000})
	}
}
