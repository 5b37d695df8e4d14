package partnero

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// MaxPageSize is the largest page the API serves.
const MaxPageSize = 250

// ListOptions selects one page of a list. Zero values leave the API's
// defaults (15 per page, page 1, newest first).
type ListOptions struct {
	// Limit is the page size, 1..250.
	Limit int
	// Page is the page number from 1.
	Page int
	// Sort is "asc" (oldest first: what exports use, so records created
	// during the export land on later pages) or "desc".
	Sort string
	// Filters are sent as query parameters as given, e.g. "partner.key",
	// "customer.key", "key", "email".
	Filters map[string]string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	for k, v := range o.Filters {
		q.Set(k, v)
	}
	return q
}

// Page is one page of a list. Raw holds each item's JSON as the API sent it,
// index for index with Items (exports keep fields the types do not know).
type Page[T any] struct {
	Items   []T
	Raw     []json.RawMessage
	Page    int
	PerPage int
	// HasNext is false on the last page (links.next is null).
	HasNext bool
}

// list fetches one page.
func list[T any](ctx context.Context, c *Client, route, path string, opts ListOptions, extra url.Values) (*Page[T], error) {
	if opts.Limit < 0 || opts.Limit > MaxPageSize {
		return nil, fmt.Errorf("list %s: limit %d out of 1..%d", route, opts.Limit, MaxPageSize)
	}
	q := opts.query()
	for k, vs := range extra {
		q[k] = vs
	}
	a, env, err := c.do(ctx, request{method: http.MethodGet, route: route, path: path, query: q})
	if err != nil {
		return nil, err
	}
	page := opts.Page
	if page <= 0 {
		page = 1
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = 15 // the API's default
	}
	return decodePage[T](a, env, page, limit)
}

// pages iterates every page from opts.Page (default 1), 250 items per page
// unless opts.Limit says otherwise, one request at a time. It builds each
// next page's query itself (page+1 with the same limit, sort and filters)
// rather than following links.next, which carries only page=. The Pager
// decides where the listing ends.
func pages[T any](ctx context.Context, c *Client, route, path string, opts ListOptions) iter.Seq2[*Page[T], error] {
	if opts.Limit == 0 {
		opts.Limit = MaxPageSize
	}
	p := &Pager[T]{
		First: max(opts.Page, 1),
		Limit: opts.Limit,
		// One request at a time, none past where the caller stops: the
		// services' listings are read by callers that may stop early.
		OnDemand: true,
		Fetch: func(ctx context.Context, page int) (*Page[T], error) {
			o := opts
			o.Page = page
			return list[T](ctx, c, route, path, o, nil)
		},
	}
	return p.All(ctx)
}

// all iterates every item of pages.
func all[T any](ctx context.Context, c *Client, route, path string, opts ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for p, err := range pages[T](ctx, c, route, path, opts) {
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}
