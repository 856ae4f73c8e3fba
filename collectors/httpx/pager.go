package httpx

import (
	"fmt"
)

// staleLimit is how many pages in a row may bring nothing new before
// paging is taken for a loop: a list that moves while it is paged can
// repeat a page now and then, a broken server repeats it for ever.
const staleLimit = 3

// Pager watches one listing, page by page, and fails when it makes no
// progress: a server that answers the same page whatever is asked, or
// sends codepace back to a cursor it already followed. Without it such a
// server gets requests for ever. The zero Pager is ready to use; it
// remembers every item key of the listing.
type Pager struct {
	// What names the listing in errors ("changes updated after ...").
	What    string
	seen    map[string]struct{}
	cursors map[string]struct{}
	stale   int
	pages   int
}

// Page records one page: the keys of its items (each unique to an item of
// the listing) and the cursor of the next page ("" when this is the
// last). It returns an error wrapping ErrNoProgress when next was
// followed already, or when staleLimit pages in a row brought no item not
// seen before.
func (p *Pager) Page(keys []string, next string) error {
	if p.seen == nil {
		p.seen, p.cursors = map[string]struct{}{}, map[string]struct{}{}
	}
	p.pages++
	fresh := false
	for _, k := range keys {
		if _, ok := p.seen[k]; !ok {
			p.seen[k] = struct{}{}
			fresh = true
		}
	}
	if next == "" {
		return nil
	}
	if _, ok := p.cursors[next]; ok {
		return fmt.Errorf("%s: page %d sends codepace back to a page it read already (%s): %w; the server's paging is broken, the run stops here",
			p.What, p.pages, next, ErrNoProgress)
	}
	p.cursors[next] = struct{}{}
	if fresh {
		p.stale = 0
		return nil
	}
	p.stale++
	if p.stale >= staleLimit {
		return fmt.Errorf("%s: %d pages in a row brought nothing new (the server answers the same items whatever page is asked): %w; the run stops here",
			p.What, p.stale, ErrNoProgress)
	}
	return nil
}
