package partnero

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
)

// CustomersService is the /customers resource. A customer is addressed by
// its key.
type CustomersService struct{ c *Client }

// CustomerQuery selects customers to search for.
type CustomerQuery struct {
	Key, Email string
}

// List returns one page of customers; opts.Filters may hold "partner.key" or
// "partner.email".
func (s *CustomersService) List(ctx context.Context, opts ListOptions) (*Page[Customer], error) {
	return list[Customer](ctx, s.c, "GET /customers", "customers", opts, nil)
}

// All iterates every customer, 250 per request unless opts.Limit says otherwise.
func (s *CustomersService) All(ctx context.Context, opts ListOptions) iter.Seq2[Customer, error] {
	return all[Customer](ctx, s.c, "GET /customers", "customers", opts)
}

// Pages iterates every page of customers, each with the items' raw JSON (for
// exports that keep fields the types do not know).
func (s *CustomersService) Pages(ctx context.Context, opts ListOptions) iter.Seq2[*Page[Customer], error] {
	return pages[Customer](ctx, s.c, "GET /customers", "customers", opts)
}

// Get returns one customer by key.
func (s *CustomersService) Get(ctx context.Context, key string) (*Customer, error) {
	seg, err := segment("customer key", key)
	if err != nil {
		return nil, err
	}
	var out Customer
	if err := s.c.get(ctx, "GET /customers/{key}", "customers/"+seg, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Search returns the customers matching q (GET /customers:search).
func (s *CustomersService) Search(ctx context.Context, q CustomerQuery, opts ListOptions) (*Page[Customer], error) {
	extra := url.Values{}
	setIf(extra, "key", q.Key)
	setIf(extra, "email", q.Email)
	if len(extra) == 0 {
		return nil, errors.New("search customers: empty query")
	}
	return list[Customer](ctx, s.c, "GET /customers:search", "customers:search", opts, extra)
}

// Create creates a customer; cu.Partner names its partner (required). An
// unknown partner is an ErrValidation ("Invalid partner key", 400): see
// IsUnknownPartner.
func (s *CustomersService) Create(ctx context.Context, cu *Customer) (*Customer, error) {
	if cu == nil {
		return nil, errors.New("create customer: nil customer")
	}
	var out Customer
	if err := s.c.call(ctx, request{method: http.MethodPost, route: "POST /customers", path: "customers", body: cu}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the fields u sets on the customer with this key (u.Key
// renames it). A customer's partner cannot be changed.
func (s *CustomersService) Update(ctx context.Context, key string, u *CustomerUpdate) (*Customer, error) {
	seg, err := segment("customer key", key)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errors.New("update customer: nil update")
	}
	body := struct {
		Update *CustomerUpdate `json:"update"`
	}{u}
	var out Customer
	if err := s.c.call(ctx, request{method: http.MethodPut, route: "PUT /customers/{key}", path: "customers/" + seg, body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes the customer and its transactions permanently.
func (s *CustomersService) Delete(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodDelete, key, "")
}

// Suspend suspends the customer.
func (s *CustomersService) Suspend(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodPost, key, "suspend")
}

// Approve approves the customer.
func (s *CustomersService) Approve(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodPost, key, "approve")
}

// Archive soft-deletes the customer.
func (s *CustomersService) Archive(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodPost, key, "archive")
}

// RestoreArchive restores an archived customer.
func (s *CustomersService) RestoreArchive(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodPost, key, "revoke-archive")
}

func (s *CustomersService) action(ctx context.Context, method, key, verb string) error {
	seg, err := segment("customer key", key)
	if err != nil {
		return err
	}
	return s.c.call(ctx, actionRequest(method, "customers", "{key}", seg, verb), nil)
}

// Transactions returns one page of the customer's transactions: which of a
// customer's transactions exist, in one call.
func (s *CustomersService) Transactions(ctx context.Context, key string, opts ListOptions) (*Page[Transaction], error) {
	seg, err := segment("customer key", key)
	if err != nil {
		return nil, err
	}
	return list[Transaction](ctx, s.c, "GET /customers/{key}/transactions", "customers/"+seg+"/transactions", opts, nil)
}
