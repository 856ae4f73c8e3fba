package gitlabtest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// user finds an account of the model by id.
func (s *Server) user(id string) *User {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	for _, p := range s.projects {
		for _, mr := range p.MergeRequests {
			if mr.Author != nil && mr.Author.ID == n {
				return mr.Author
			}
			for _, d := range mr.Discussions {
				for _, note := range d.Notes {
					if note.Author != nil && note.Author.ID == n {
						return note.Author
					}
				}
			}
		}
	}
	return nil
}

// group returns the full path of the group id names: a group exists when a
// project's path is under it.
func (s *Server) group(id string) (string, bool) {
	path, err := url.PathUnescape(id)
	if err != nil {
		return "", false
	}
	for _, p := range s.projects {
		if strings.HasPrefix(p.Path, path+"/") {
			return path, true
		}
	}
	return "", false
}

// project finds a project by number or escaped full path.
func (s *Server) project(id string) *Project {
	path, err := url.PathUnescape(id)
	if err != nil {
		return nil
	}
	for _, p := range s.projects {
		if p.Path == path || strconv.FormatInt(p.ID, 10) == path {
			return p
		}
	}
	return nil
}

func findMR(p *Project, iid string) *MergeRequest {
	for _, mr := range p.MergeRequests {
		if strconv.FormatInt(mr.IID, 10) == iid {
			return mr
		}
	}
	return nil
}

func findPipeline(p *Project, id string) *Pipeline {
	for _, pl := range p.Pipelines {
		if strconv.FormatInt(pl.ID, 10) == id {
			return pl
		}
	}
	return nil
}

// mrOf is a merge request with its project.
type mrOf struct {
	p  *Project
	mr *MergeRequest
}

func appendMRs(list []mrOf, p *Project) []mrOf {
	for _, mr := range p.MergeRequests {
		list = append(list, mrOf{p, mr})
	}
	return list
}

// timeParam reads a time filter; zero when absent.
func timeParam(q url.Values, key string) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, v)
}

// inWindow reports whether t passes the updated_after / updated_before
// filters of q (both inclusive, as GitLab's).
func inWindow(q url.Values, t time.Time) (bool, error) {
	after, err := timeParam(q, "updated_after")
	if err != nil {
		return false, err
	}
	before, err := timeParam(q, "updated_before")
	if err != nil {
		return false, err
	}
	return (after.IsZero() || !t.Before(after)) && (before.IsZero() || !t.After(before)), nil
}

// badRequest answers a parameter GitLab would refuse.
func badRequest(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

// mergeRequests answers a list of merge requests.
func (s *Server) mergeRequests(w http.ResponseWriter, r *http.Request, mrs []mrOf) {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), "all")
	var rows []mrOf
	for _, m := range mrs {
		ok, err := inWindow(q, m.mr.Updated)
		if err != nil {
			badRequest(w, fmt.Errorf("updated_after is invalid"))
			return
		}
		if ok && (state == "all" || state == m.mr.State) {
			rows = append(rows, m)
		}
	}
	key := func(m mrOf) time.Time { return m.mr.Created }
	switch q.Get("order_by") {
	case "", "created_at":
	case "updated_at":
		key = func(m mrOf) time.Time { return m.mr.Updated }
	default:
		badRequest(w, fmt.Errorf("order_by does not have a valid value"))
		return
	}
	desc := q.Get("sort") != "asc"
	slices.SortStableFunc(rows, func(a, b mrOf) int {
		c := cmp.Or(key(a).Compare(key(b)), cmp.Compare(a.mr.ID, b.mr.ID))
		if desc {
			return -c
		}
		return c
	})
	list := make([]any, len(rows))
	for i, m := range rows {
		list[i] = renderMergeRequest(m.p, m.mr)
	}
	writePage(w, r, list)
}

// pipelines answers a project's pipelines.
func (s *Server) pipelines(w http.ResponseWriter, r *http.Request, p *Project) {
	q := r.URL.Query()
	var rows []*Pipeline
	for _, pl := range p.Pipelines {
		ok, err := inWindow(q, pl.Updated)
		if err != nil {
			badRequest(w, fmt.Errorf("updated_after is invalid"))
			return
		}
		if ok {
			rows = append(rows, pl)
		}
	}
	byUpdated := false
	switch q.Get("order_by") {
	case "", "id":
	case "updated_at":
		byUpdated = true
	default:
		badRequest(w, fmt.Errorf("order_by does not have a valid value"))
		return
	}
	desc := q.Get("sort") != "asc"
	slices.SortStableFunc(rows, func(a, b *Pipeline) int {
		c := cmp.Compare(a.ID, b.ID)
		if byUpdated {
			c = cmp.Or(a.Updated.Compare(b.Updated), c)
		}
		if desc {
			return -c
		}
		return c
	})
	list := make([]any, len(rows))
	for i, pl := range rows {
		list[i] = renderPipelineBasic(p, pl)
	}
	writePage(w, r, list)
}

// groupProjects answers the projects of a group, with keyset or offset
// pagination.
func (s *Server) groupProjects(w http.ResponseWriter, r *http.Request, group string) {
	q := r.URL.Query()
	var rows []*Project
	for _, p := range s.projects {
		rest, ok := strings.CutPrefix(p.Path, group+"/")
		if !ok || (q.Get("include_subgroups") != "true" && strings.Contains(rest, "/")) {
			continue
		}
		if a := q.Get("archived"); a != "" && (a == "true") != p.Archived {
			continue
		}
		rows = append(rows, p)
	}
	desc := q.Get("sort") == "desc"
	slices.SortFunc(rows, func(a, b *Project) int {
		if desc {
			return cmp.Compare(b.ID, a.ID)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	render := renderProject // simple=true or not: the full form is not modelled
	if q.Get("pagination") != "keyset" {
		list := make([]any, len(rows))
		for i, p := range rows {
			list[i] = render(p)
		}
		writePage(w, r, list)
		return
	}
	if q.Get("order_by") != "id" {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Keyset pagination is not yet available for this type of request"})
		return
	}
	after, _ := strconv.ParseInt(q.Get("id_after"), 10, 64)
	before, _ := strconv.ParseInt(q.Get("id_before"), 10, 64)
	rows = slices.DeleteFunc(rows, func(p *Project) bool {
		return (after != 0 && p.ID <= after) || (before != 0 && p.ID >= before)
	})
	// As GitLab: a full page links to the next one; the end is an empty
	// page without a link.
	per := perPage(q)
	page := rows[:min(len(rows), per)]
	if len(page) == per {
		last := strconv.FormatInt(page[len(page)-1].ID, 10)
		next := cloneQuery(q)
		next.Del("id_after")
		next.Del("id_before")
		if desc {
			next.Set("id_before", last)
		} else {
			next.Set("id_after", last)
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, link(r, next)))
	}
	list := make([]any, len(page))
	for i, p := range page {
		list[i] = render(p)
	}
	writeJSON(w, http.StatusOK, list)
}

func cloneQuery(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	return c
}

// perPage is the page size a request asks for: 20 by default, at most 100.
func perPage(q url.Values) int {
	n, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || n <= 0 {
		return 20
	}
	return min(n, 100)
}

// link is the absolute URL of the request's path with query q.
func link(r *http.Request, q url.Values) string {
	return "http://" + r.Host + r.URL.EscapedPath() + "?" + q.Encode()
}

// writePage answers one page of list with GitLab's offset pagination
// headers.
func writePage(w http.ResponseWriter, r *http.Request, list []any) {
	q := r.URL.Query()
	per := perPage(q)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	total := len(list)
	pages := max((total+per-1)/per, 1)
	lo, hi := min((page-1)*per, total), min(page*per, total)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	at := func(n int) string {
		c := cloneQuery(q)
		c.Set("page", strconv.Itoa(n))
		c.Set("per_page", strconv.Itoa(per))
		return link(r, c)
	}
	var links []string
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		links = append(links, fmt.Sprintf(`<%s>; rel="prev"`, at(page-1)))
	}
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, fmt.Sprintf(`<%s>; rel="next"`, at(page+1)))
	}
	links = append(links, fmt.Sprintf(`<%s>; rel="first"`, at(1)), fmt.Sprintf(`<%s>; rel="last"`, at(pages)))
	h.Set("Link", strings.Join(links, ", "))
	writeJSON(w, http.StatusOK, list[lo:hi])
}
