package program

import (
	"context"
	"encoding/json"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// New returns a source reading through c.
func New(c *partnero.Client, opts Options) *Source {
	return newSource(clientLister{c}, opts)
}

// MaxLimit is the largest page size the API serves.
const MaxLimit = partnero.MaxPageSize

// batch is one fetched page: its items and the raw objects beside them.
type batch[T any] struct {
	Items   []T
	Raw     []json.RawMessage
	HasNext bool
}

// clientLister is the lister of a real client.
type clientLister struct{ c *partnero.Client }

func toBatch[T any](p *partnero.Page[T], err error) (batch[T], error) {
	if err != nil {
		return batch[T]{}, err
	}
	return batch[T]{Items: p.Items, Raw: p.Raw, HasNext: p.HasNext}, nil
}

func (l clientLister) partners(ctx context.Context, page, limit int, sort string) (batch[partnero.Partner], error) {
	return toBatch(l.c.Partners.List(ctx, partnero.ListOptions{Page: page, Limit: limit, Sort: sort}))
}

func (l clientLister) customers(ctx context.Context, page, limit int, sort string) (batch[partnero.Customer], error) {
	return toBatch(l.c.Customers.List(ctx, partnero.ListOptions{Page: page, Limit: limit, Sort: sort}))
}

func (l clientLister) transactions(ctx context.Context, page, limit int, sort string) (batch[partnero.Transaction], error) {
	return toBatch(l.c.Transactions.List(ctx, partnero.ListOptions{Page: page, Limit: limit, Sort: sort}))
}

func (l clientLister) referralLinks(ctx context.Context, partnerID string) ([]partnero.ReferralLink, error) {
	var out []partnero.ReferralLink
	// One page at a time: a partner rarely has more than one page of links.
	p := &partnero.Pager[partnero.ReferralLink]{Limit: MaxLimit, OnDemand: true, Fetch: func(ctx context.Context, page int) (*partnero.Page[partnero.ReferralLink], error) {
		return l.c.Partners.ReferralLinks(ctx, partnerID, partnero.ListOptions{Page: page, Limit: MaxLimit})
	}}
	for it, err := range p.Items(ctx) {
		if err != nil {
			return nil, err
		}
		it.Value.Raw = it.Raw // the referral_links table keeps the object as sent
		out = append(out, it.Value)
	}
	return out, nil
}

func (l clientLister) pace() (float64, time.Duration) { return l.c.Limit(), l.c.Latency() }
