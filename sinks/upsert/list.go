package upsert

import (
	"context"
	"errors"

	api "github.com/partnero-etl/partnero-etl/partnero"
)

type pageFunc[T any] func(ctx context.Context, page, limit int) ([]T, bool, error)

// listAll pages through a listing with the client's pager, at most budget
// pages, handing every item to each in listing order. The first page is
// fetched alone (an empty target costs one request); after it, conc pages
// are in flight at once so that a long listing runs at the rate limit
// rather than at one round trip per page, at the price of up to conc-1
// requests past the end. It reports whether the listing was complete.
func listAll[T any](ctx context.Context, fetch pageFunc[T], limit int, budget int64, conc int, each func(*T)) (bool, error) {
	p := &api.Pager[T]{
		Limit:      limit,
		Window:     conc,
		FirstAlone: true,
		MaxPages:   int(min(max(budget, 1), 1<<40)), // page 1 is always read
		Fetch: func(ctx context.Context, page int) (*api.Page[T], error) {
			items, more, err := fetch(ctx, page, limit)
			if err != nil {
				return nil, err
			}
			return &api.Page[T]{Items: items, HasNext: more, Page: page, PerPage: limit}, nil
		},
	}
	for pg, err := range p.All(ctx) {
		if errors.Is(err, api.ErrMorePages) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		for i := range pg.Items {
			each(&pg.Items[i])
		}
	}
	return true, nil
}

// listPartners indexes every target partner, or returns nil when the listing
// would cost more than budget pages.
func (s *Sink) listPartners(ctx context.Context, budget int64) (*partnerIndex, error) {
	ix := newPartnerIndex()
	complete, err := listAll(ctx, s.t.ListPartners, s.opt.PageSize, budget, s.opt.ListConcurrency, func(p *api.Partner) {
		s.listed.Add(1)
		ix.add(p, false)
	})
	if err != nil || !complete {
		return nil, err
	}
	return ix, nil
}

// listCustomers indexes every target customer, by email too when
// withEmails, or returns nil when the listing would cost more than budget
// pages.
func (s *Sink) listCustomers(ctx context.Context, budget int64, withEmails bool) (*customerIndex, error) {
	ix := newCustomerIndex(withEmails)
	complete, err := listAll(ctx, s.t.ListCustomers, s.opt.PageSize, budget, s.opt.ListConcurrency, func(c *api.Customer) {
		s.listed.Add(1)
		ix.add(c)
	})
	if err != nil || !complete {
		return nil, err
	}
	return ix, nil
}

func (s *Sink) listTransactions(ctx context.Context, budget int64) (*txIndex, error) {
	ix := newTxIndex()
	complete, err := listAll(ctx, s.t.ListTransactions, s.opt.PageSize, budget, s.opt.ListConcurrency, func(t *api.Transaction) {
		s.listed.Add(1)
		ix.add(t)
	})
	if err != nil || !complete {
		return nil, err
	}
	return ix, nil
}

// customerTransactions lists all of one customer's transactions. found is
// false when the customer does not exist.
func (s *Sink) customerTransactions(ctx context.Context, key string) (txs []api.Transaction, found bool, err error) {
	fetch := func(ctx context.Context, page, limit int) ([]api.Transaction, bool, error) {
		return s.t.CustomerTransactions(ctx, key, page, limit)
	}
	_, err = listAll(ctx, fetch, s.opt.PageSize, 1<<40, 1, func(t *api.Transaction) {
		txs = append(txs, *t)
	})
	if errors.Is(err, api.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return txs, true, nil
}
