package upsert

import (
	"context"
	"errors"
	"strings"

	api "github.com/partnero-etl/partnero-etl/partnero"
)

// ClientTarget adapts the API client to Target.
type ClientTarget struct {
	c *api.Client
}

// NewClientTarget returns a Target that calls the API through c. Build c with
// partnero.WithTransactionCreateRetries(false): the client retries network
// errors and 5xx on every verb, which is safe for partners and customers (a
// second create of one identity is refused, and the sink then looks it up)
// but not for transactions, whose repeated key the server records as a second
// transaction, paying its commission twice. Without retries, a create whose
// answer was lost comes back as an ambiguous error and the sink lists the
// customer's transactions to create only what is missing.
func NewClientTarget(c *api.Client) *ClientTarget { return &ClientTarget{c: c} }

func listOpts(page, limit int) api.ListOptions {
	return api.ListOptions{Page: page, Limit: limit, Sort: "asc"}
}

// ListPartners implements Target.
func (t *ClientTarget) ListPartners(ctx context.Context, page, limit int) ([]api.Partner, bool, error) {
	p, err := t.c.Partners.List(ctx, listOpts(page, limit))
	if err != nil {
		return nil, false, err
	}
	return p.Items, p.HasNext, nil
}

// FindPartner implements Target: GET /partners/{id} for an id, else
// /partners:search by email or key, keeping only an exact match.
func (t *ClientTarget) FindPartner(ctx context.Context, ref api.PartnerRef) (*api.Partner, error) {
	if ref.ID != "" {
		p, err := t.c.Partners.Get(ctx, string(ref.ID))
		if errors.Is(err, api.ErrNotFound) {
			return nil, nil
		}
		return p, err
	}
	q := api.PartnerQuery{Email: ref.Email}
	if ref.Email == "" {
		q = api.PartnerQuery{Key: ref.Key}
	}
	page, err := t.c.Partners.Search(ctx, q, api.ListOptions{Limit: 15})
	if errors.Is(err, api.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range page.Items {
		p := &page.Items[i]
		switch {
		case ref.Email != "" && strings.EqualFold(p.Email, ref.Email):
			return p, nil
		case ref.Email == "" && (referralKey(p) == ref.Key || (referralKey(p) == "" && len(page.Items) == 1)):
			return p, nil
		}
	}
	return nil, nil
}

// CreatePartner implements Target.
func (t *ClientTarget) CreatePartner(ctx context.Context, p *api.Partner) (*api.Partner, error) {
	return t.c.Partners.Create(ctx, p)
}

// UpdatePartner implements Target.
func (t *ClientTarget) UpdatePartner(ctx context.Context, id string, u *api.PartnerUpdate) (*api.Partner, error) {
	return t.c.Partners.Update(ctx, id, u)
}

// ListCustomers implements Target.
func (t *ClientTarget) ListCustomers(ctx context.Context, page, limit int) ([]api.Customer, bool, error) {
	p, err := t.c.Customers.List(ctx, listOpts(page, limit))
	if err != nil {
		return nil, false, err
	}
	return p.Items, p.HasNext, nil
}

// GetCustomer implements Target.
func (t *ClientTarget) GetCustomer(ctx context.Context, key string) (*api.Customer, error) {
	c, err := t.c.Customers.Get(ctx, key)
	if errors.Is(err, api.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// CustomersByEmail implements Target: GET /customers:search?email=, keeping
// only exact matches (a search may match more loosely), every page.
func (t *ClientTarget) CustomersByEmail(ctx context.Context, email string) ([]api.Customer, error) {
	var out []api.Customer
	// One page at a time: almost every email has one page of matches.
	p := &api.Pager[api.Customer]{Limit: 250, OnDemand: true, Fetch: func(ctx context.Context, page int) (*api.Page[api.Customer], error) {
		return t.c.Customers.Search(ctx, api.CustomerQuery{Email: email}, api.ListOptions{Page: page, Limit: 250})
	}}
	for pg, err := range p.All(ctx) {
		if errors.Is(err, api.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, c := range pg.Items {
			if strings.EqualFold(strings.TrimSpace(c.Email), strings.TrimSpace(email)) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// CreateCustomer implements Target.
func (t *ClientTarget) CreateCustomer(ctx context.Context, c *api.Customer) (*api.Customer, error) {
	return t.c.Customers.Create(ctx, c)
}

// UpdateCustomer implements Target.
func (t *ClientTarget) UpdateCustomer(ctx context.Context, key string, u *api.CustomerUpdate) (*api.Customer, error) {
	return t.c.Customers.Update(ctx, key, u)
}

// ListTransactions implements Target.
func (t *ClientTarget) ListTransactions(ctx context.Context, page, limit int) ([]api.Transaction, bool, error) {
	p, err := t.c.Transactions.List(ctx, listOpts(page, limit))
	if err != nil {
		return nil, false, err
	}
	return p.Items, p.HasNext, nil
}

// CustomerTransactions implements Target.
func (t *ClientTarget) CustomerTransactions(ctx context.Context, key string, page, limit int) ([]api.Transaction, bool, error) {
	p, err := t.c.Customers.Transactions(ctx, key, listOpts(page, limit))
	if err != nil {
		return nil, false, err
	}
	return p.Items, p.HasNext, nil
}

// CreateTransaction implements Target.
func (t *ClientTarget) CreateTransaction(ctx context.Context, tx *api.Transaction, createCustomer bool) (*api.Transaction, error) {
	return t.c.Transactions.Create(ctx, tx, &api.CreateOptions{CreateCustomer: createCustomer})
}

// CreateTransactions implements Target.
func (t *ClientTarget) CreateTransactions(ctx context.Context, customer api.CustomerRef, txs []api.Transaction, createCustomer bool) ([]api.Transaction, bool, error) {
	res, err := t.c.Transactions.CreateBatch(ctx, customer, txs, &api.CreateOptions{CreateCustomer: createCustomer})
	if err != nil {
		return nil, false, err
	}
	return res.Created, res.Understood, nil
}

// DeleteTransaction implements Target.
func (t *ClientTarget) DeleteTransaction(ctx context.Context, key string) error {
	return t.c.Transactions.Delete(ctx, key)
}
