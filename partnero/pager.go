package partnero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"sync"
	"time"
)

// ErrMorePages ends a listing that has more pages than Pager.MaxPages
// allows: the caller learns the listing is incomplete.
var ErrMorePages = errors.New("the listing has more pages than allowed")

// Pager reads a listing page by page, in order. Page numbers are direct
// (page n holds items (n-1)*limit+1..n*limit), so page n+1 need not wait
// for page n: up to a window of pages are in flight at once, and the
// client's pacer sets the pace, so a listing takes about pages / rate
// rather than pages x latency. Pages come back in order; a consumer that
// stalls (a writer flushing a row group) does not stop the fetching until
// a buffer of pages waits for it (bufferPages, or a second of budget when
// paced, at most maxBuffer), so memory stays bounded.
//
// The end of a listing is a page whose links.next is null, a short page or
// an empty one: the API's paginator is not certain (section 5 of the
// contract), and each of these has been seen (no paginator at all, a
// length-aware one, next always set). A page whose number is not the one
// asked for ends the listing with an error: a server that ignores page=
// would otherwise be read forever.
//
// Set the fields before the first iteration; a Pager is read once.
type Pager[T any] struct {
	// Fetch fetches page n.
	Fetch func(ctx context.Context, page int) (*Page[T], error)
	// First is the first page read; 0 means 1.
	First int
	// Limit is the page size asked for. A page with fewer items than its
	// PerPage (or, when the page does not say, than Limit) is the last.
	Limit int
	// Window is the number of pages in flight; 0 sizes it from Pace before
	// each launch (rate x latency, see PageWindow, and a quarter second of
	// budget waiting at the pacer), or 1 without Pace.
	Window int
	// OnDemand fetches a page only when the consumer asks for the next one:
	// one request at a time, and none past where the consumer stops. For a
	// caller that may stop early (a search that almost always has one page,
	// a service's All broken off); Window and Pace are then not read.
	OnDemand bool
	// Pace returns the request budget per second (0 when there is none) and
	// the latency of the API's answers, as Client.Limit and Client.Latency.
	Pace func() (perSecond float64, latency time.Duration)
	// FirstAlone fetches the first page before any other: an empty
	// listing then costs one request, not a window of them.
	FirstAlone bool
	// MaxPages, when positive, is the most pages fetched; a listing longer
	// than that ends with ErrMorePages after its first MaxPages pages.
	MaxPages int
	// Identity names a record for deduplication by Items ("" leaves that
	// record alone), from its decoded value and the raw object the API
	// sent. A record shows up twice when records were inserted or removed
	// before it while the listing was read: Items yields it once.
	Identity func(v T, raw json.RawMessage) string
	// Stop, when set, is asked after each page in order whether the listing
	// has gone far enough (an incremental export past its high-water mark).
	Stop func(p *Page[T]) bool

	pages   int64
	shifted int64
}

// Item is one record of a listing with where it came from.
type Item[T any] struct {
	Value T
	Raw   json.RawMessage
	Page  int // 1-based
	Index int // 0-based position within the page as served
}

// maxWindow caps the pages in flight whatever the rate and latency say.
const maxWindow = 32

// bufferPages is how many fetched pages may wait for the consumer (the
// export's writer) while further pages are fetched: a writer that stalls (a
// row group flushed, a file rolled over) does not leave the budget unused,
// and memory stays bounded (about 2,000 records).
const bufferPages = 8

// maxBuffer caps the pages fetched ahead of the consumer. A paced listing
// keeps up to a second of its budget fetched ahead (see buffer), so that a
// slow answer, which the consumer must wait for to keep the order, does
// not stop the launches behind it: at most 32 pages, about 8,000 records.
const maxBuffer = 32

// bufferAhead is how much of the budget a paced listing may fetch ahead of
// the page the consumer waits for.
const bufferAhead = time.Second

// dedupeWindowPages is how many recent pages' identities are remembered. A
// record shows up twice only when records were inserted or removed before
// it while the listing was read, which moves it by that many places: a few
// pages of memory cover any realistic churn at a constant cost.
const dedupeWindowPages = 16

// PageWindow is how many pages to keep in flight at a budget of perSecond
// requests and the given latency: Little's law (requests in flight = rate
// x latency) with half as much again for latency jitter, between 2 and
// 32. Unknown values are taken as 10/s and 200 ms.
func PageWindow(perSecond float64, latency time.Duration) int {
	if latency <= 0 {
		latency = 200 * time.Millisecond
	}
	if perSecond <= 0 || math.IsInf(perSecond, 0) || math.IsNaN(perSecond) {
		perSecond = 10
	}
	w := int(math.Ceil(perSecond*latency.Seconds()*1.5)) + 1
	return min(max(w, 2), maxWindow)
}

// queueAhead is how much of the budget the pager keeps waiting at the
// pacer beyond PageWindow's pages in flight. Little's law counts the
// average answer, but a slow one (a loaded server, a garbage collection)
// holds its place in the window; were the window only rate x latency, the
// pacer would then find no request waiting when a send slot comes, and a
// slot missed is budget lost for good. Pages waiting at the pacer cost no
// budget (the ones past the end are cancelled unsent) and no memory.
const queueAhead = 250 * time.Millisecond

// pacedWindow is the window of a listing behind a pacer: PageWindow's
// pages in flight plus queueAhead of the budget waiting to be sent.
func pacedWindow(perSecond float64, latency time.Duration) int {
	w := PageWindow(perSecond, latency)
	if perSecond > 0 && !math.IsInf(perSecond, 0) {
		w += int(math.Ceil(perSecond * queueAhead.Seconds()))
	}
	return min(w, maxWindow)
}

// Pages returns the number of pages read so far, in order.
func (p *Pager[T]) Pages() int64 { return p.pages }

// Shifted returns how many records Items skipped because an earlier page
// had yielded them.
func (p *Pager[T]) Shifted() int64 { return p.shifted }

// window returns the pages that may be in flight and the pages that may be
// fetched and not yet consumed beyond those.
func (p *Pager[T]) window() (inFlight, buffer int) {
	switch {
	case p.OnDemand:
		return 1, 0
	case p.Window > 0:
		return min(p.Window, maxWindow), bufferPages
	case p.Pace != nil:
		rate, latency := p.Pace()
		buffer = bufferPages
		if rate > 0 && !math.IsInf(rate, 0) {
			buffer = min(max(buffer, int(math.Ceil(rate*bufferAhead.Seconds()))), maxBuffer)
		}
		return pacedWindow(rate, latency), buffer
	}
	return 1, bufferPages
}

// last reports whether pg ends the listing.
func (p *Pager[T]) last(pg *Page[T]) bool {
	size := pg.PerPage
	if size <= 0 {
		size = p.Limit
	}
	return !pg.HasNext || len(pg.Items) == 0 || len(pg.Items) < size
}

type fetched[T any] struct {
	pg  *Page[T]
	err error
}

// All yields every page in order, as served (an empty last page is not
// yielded). On an error it yields the error once, naming the page, and
// stops.
func (p *Pager[T]) All(ctx context.Context) iter.Seq2[*Page[T], error] {
	return func(yield func(*Page[T], error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		// Every fetch has ended when the iteration returns: nothing the
		// caller handed in is used after it.
		defer wg.Wait()
		defer cancel()

		// A launcher fetches pages ahead of the consumer: at most window()
		// in flight, at most its buffer more fetched and not yet consumed.
		// It hands one channel per page to the consumer in page order; each
		// is buffered so a fetch never blocks after an early return. A page
		// that ends the listing stops further launches (pages already in
		// flight past the end are the price of fetching ahead).
		var (
			mu          sync.Mutex
			inFlight    int
			outstanding int // launched and not yet consumed
			end         = math.MaxInt
			firstDone   = !p.FirstAlone
			first       = max(p.First, 1)
		)
		capEnd := math.MaxInt
		if p.MaxPages > 0 {
			capEnd = first + p.MaxPages - 1
			end = capEnd
		}
		changed := make(chan struct{}, 1)
		signal := func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
		order := make(chan chan fetched[T], maxWindow+maxBuffer)
		wg.Go(func() {
			defer close(order)
			for n := first; ; n++ {
				for {
					mu.Lock()
					w, buffer := p.window()
					stop := n > end
					ok := inFlight < w && outstanding < w+buffer && (n == first || firstDone)
					if ok && !stop {
						inFlight++
						outstanding++
					}
					mu.Unlock()
					if stop {
						return
					}
					if ok {
						break
					}
					select {
					case <-changed:
					case <-ctx.Done():
						return
					}
				}
				ch := make(chan fetched[T], 1)
				wg.Go(func() {
					pg, err := p.Fetch(ctx, n)
					if err == nil && pg == nil {
						pg = &Page[T]{}
					}
					mu.Lock()
					inFlight--
					if n == first {
						firstDone = true
					}
					if err == nil && p.last(pg) {
						end = min(end, n)
					}
					mu.Unlock()
					signal()
					ch <- fetched[T]{pg, err}
				})
				order <- ch // never blocks: outstanding bounds the channels
			}
		})

		for n := first; ; n++ {
			var ch chan fetched[T]
			var ok bool
			select {
			case ch, ok = <-order:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
			if !ok {
				// The launcher stops early only when cancelled or past
				// MaxPages.
				if err := ctx.Err(); err != nil {
					yield(nil, err)
				} else {
					yield(nil, ErrMorePages)
				}
				return
			}
			var r fetched[T]
			select {
			case r = <-ch:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
			// An on-demand page is consumed when the consumer comes back
			// for the next one, not when it arrives.
			consumed := func() {
				mu.Lock()
				outstanding--
				mu.Unlock()
				signal()
			}
			if !p.OnDemand {
				consumed()
			}
			if r.err != nil {
				yield(nil, fmt.Errorf("page %d: %w", n, r.err))
				return
			}
			if r.pg.Page > 0 && r.pg.Page != n {
				yield(nil, fmt.Errorf("page %d: asked for page %d, got page %d", n, n, r.pg.Page))
				return
			}
			if r.pg.Page == 0 {
				r.pg.Page = n
			}
			p.pages++
			last := p.last(r.pg)
			if len(r.pg.Items) > 0 && !yield(r.pg, nil) {
				return
			}
			if p.OnDemand {
				consumed()
			}
			if last || (p.Stop != nil && p.Stop(r.pg)) {
				return
			}
			if n >= capEnd {
				yield(nil, ErrMorePages)
				return
			}
		}
	}
}

// Items yields every record in page order, each once: a record an earlier
// page (within the last dedupeWindowPages) yielded is skipped and counted
// in Shifted. A page is one consistent read, so a record it holds twice is
// two records; only copies beyond those earlier pages yielded are new. On
// an error it yields the error once and stops.
func (p *Pager[T]) Items(ctx context.Context) iter.Seq2[Item[T], error] {
	return func(yield func(Item[T], error) bool) {
		// Identities of the last pages: a ring of per-page key lists and a
		// count over all of them.
		seen := make(map[string]int)
		ring := make([][]string, dedupeWindowPages+maxWindow+maxBuffer)
		forget := func(slot int) {
			for _, k := range ring[slot] {
				if seen[k]--; seen[k] <= 0 {
					delete(seen, k)
				}
			}
			ring[slot] = ring[slot][:0]
		}
		for pg, err := range p.All(ctx) {
			if err != nil {
				yield(Item[T]{}, err)
				return
			}
			slot := pg.Page % len(ring)
			forget(slot)
			var inPage map[string]int
			if p.Identity != nil {
				inPage = make(map[string]int, len(pg.Items))
			}
			for i, v := range pg.Items {
				var raw json.RawMessage
				if i < len(pg.Raw) {
					raw = pg.Raw[i]
				}
				if p.Identity != nil {
					if id := p.Identity(v, raw); id != "" {
						n := inPage[id]
						inPage[id]++
						if n < seen[id] {
							p.shifted++
							continue
						}
						ring[slot] = append(ring[slot], id)
					}
				}
				if !yield(Item[T]{Value: v, Raw: raw, Page: pg.Page, Index: i}, nil) {
					return
				}
			}
			for _, id := range ring[slot] {
				seen[id]++
			}
		}
	}
}
