package upsert

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
)

// fakeTarget is an in-memory program behind the Target interface that counts
// requests by kind and can refuse or lose answers on demand.
type fakeTarget struct {
	mu        sync.Mutex
	partners  []api.Partner
	customers []api.Customer
	txs       []api.Transaction
	calls     map[string]int
	nextID    int

	// failBatch refuses every batch with a 422; loseNext makes the next
	// write land but answer with a network-like error; garbleBatch lands a
	// batch but answers with a body the client does not understand.
	failBatch   bool
	loseNext    int
	garbleBatch bool
	badAmount   string // a transaction with this amount is refused
	// failNext makes the next single transaction creates fail with a 5xx
	// without landing.
	failNext int
	// failCustomerListings makes listings of a customer's transactions
	// fail with a 503 (after the client's retries).
	failCustomerListings bool
	// searchDelay is how long a partner search takes (outside the lock), so
	// that concurrent lookups overlap; use it inside a synctest bubble.
	searchDelay time.Duration
}

func newFake() *fakeTarget { return &fakeTarget{calls: map[string]int{}} }

func (f *fakeTarget) count(kind string) {
	f.calls[kind]++
}

func (f *fakeTarget) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.calls {
		if !strings.HasPrefix(k, "GET") {
			n += c
		}
	}
	return n
}

var errLost = fmt.Errorf("connection reset after commit")

func (f *fakeTarget) lost() bool {
	if f.loseNext > 0 {
		f.loseNext--
		return true
	}
	return false
}

func page[T any](all []T, p, limit int) ([]T, bool) {
	from := (p - 1) * limit
	if from >= len(all) {
		return nil, false
	}
	to := min(from+limit, len(all))
	return slices.Clone(all[from:to]), to < len(all)
}

func (f *fakeTarget) ListPartners(ctx context.Context, p, limit int) ([]api.Partner, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GET /partners")
	items, more := page(f.partners, p, limit)
	for i := range items {
		items[i].Tags, items[i].Key = nil, "" // a listing carries neither
	}
	return items, more, nil
}

// FindPartner answers as the API does: by id, GET /partners/{id}, whose
// answer has the tags and the key only inside the referral link; by email or
// key, /partners:search, whose items are list items (neither tags nor key).
func (f *fakeTarget) FindPartner(ctx context.Context, ref api.PartnerRef) (*api.Partner, error) {
	if ref.ID == "" && f.searchDelay > 0 {
		time.Sleep(f.searchDelay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ref.ID != "" {
		f.count("GET /partners/{id}")
	} else {
		f.count("GET /partners:search")
	}
	for _, p := range f.partners {
		switch {
		case ref.ID != "" && p.ID == ref.ID:
			if p.Tags == nil {
				p.Tags = api.Tags{}
			}
			p.ReferralLink, p.Key = "https://example.com/?aff="+url.QueryEscape(p.Key), ""
			return &p, nil
		case (ref.ID == "" && ref.Email != "" && strings.EqualFold(p.Email, ref.Email)) || (ref.ID == "" && ref.Email == "" && ref.Key != "" && p.Key == ref.Key):
			p.Tags, p.Key = nil, ""
			return &p, nil
		}
	}
	return nil, nil
}

func (f *fakeTarget) CreatePartner(ctx context.Context, p *api.Partner) (*api.Partner, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("POST /partners")
	for _, q := range f.partners {
		if strings.EqualFold(q.Email, p.Email) || (p.ID != "" && q.ID == p.ID) {
			return nil, &api.Error{Kind: api.ErrValidation, Message: "The email has already been taken.", StatusCode: 422}
		}
	}
	n := *p
	if n.ID == "" {
		f.nextID++
		n.ID = api.ID(fmt.Sprintf("gen%d", f.nextID))
	}
	if n.Key == "" {
		n.Key = "ref-" + string(n.ID)
	}
	n.Password = ""
	f.partners = append(f.partners, n)
	if f.lost() {
		return nil, errLost
	}
	return &n, nil
}

func (f *fakeTarget) UpdatePartner(ctx context.Context, id string, u *api.PartnerUpdate) (*api.Partner, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("PUT /partners")
	for i := range f.partners {
		p := &f.partners[i]
		if string(p.ID) != id {
			continue
		}
		if u.Email != nil {
			p.Email = *u.Email
		}
		if u.Name != nil {
			p.Name = *u.Name
		}
		if u.Surname != nil {
			p.Surname = *u.Surname
		}
		if u.Tags != nil {
			p.Tags = *u.Tags
		}
		if u.Key != nil {
			p.Key = *u.Key
		}
		c := *p
		return &c, nil
	}
	return nil, &api.Error{Kind: api.ErrNotFound, Message: "Partner not found", StatusCode: 404}
}

func (f *fakeTarget) partnerByRef(ref *api.PartnerRef) *api.Partner {
	if ref == nil {
		return nil
	}
	for i, p := range f.partners {
		if (ref.ID != "" && p.ID == ref.ID) || (ref.Email != "" && strings.EqualFold(p.Email, ref.Email)) || (ref.Key != "" && p.Key == ref.Key) {
			return &f.partners[i]
		}
	}
	return nil
}

func (f *fakeTarget) ListCustomers(ctx context.Context, p, limit int) ([]api.Customer, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GET /customers")
	items, more := page(f.customers, p, limit)
	return items, more, nil
}

func (f *fakeTarget) customer(key string) *api.Customer {
	for i := range f.customers {
		if f.customers[i].Key == key {
			return &f.customers[i]
		}
	}
	return nil
}

func (f *fakeTarget) GetCustomer(ctx context.Context, key string) (*api.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GET /customers/{key}")
	if c := f.customer(key); c != nil {
		cc := *c
		return &cc, nil
	}
	return nil, nil
}

func (f *fakeTarget) CustomersByEmail(ctx context.Context, email string) ([]api.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GET /customers:search")
	var out []api.Customer
	for _, c := range f.customers {
		if strings.EqualFold(c.Email, email) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeTarget) createCustomerLocked(c *api.Customer) (*api.Customer, error) {
	if f.customer(c.Key) != nil {
		return nil, &api.Error{Kind: api.ErrValidation, Message: "Duplicate key", StatusCode: 422}
	}
	p := f.partnerByRef(c.Partner)
	if p == nil {
		return nil, &api.Error{Kind: api.ErrValidation, Message: "Invalid partner key", StatusCode: 400}
	}
	n := *c
	n.Partner = &api.PartnerRef{ID: p.ID}
	f.customers = append(f.customers, n)
	return &n, nil
}

func (f *fakeTarget) CreateCustomer(ctx context.Context, c *api.Customer) (*api.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("POST /customers")
	n, err := f.createCustomerLocked(c)
	if err == nil && f.lost() {
		return nil, errLost
	}
	return n, err
}

func (f *fakeTarget) UpdateCustomer(ctx context.Context, key string, u *api.CustomerUpdate) (*api.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("PUT /customers")
	c := f.customer(key)
	if c == nil {
		return nil, &api.Error{Kind: api.ErrNotFound, Message: "Customer not found", StatusCode: 404}
	}
	if u.Email != nil {
		c.Email = *u.Email
	}
	if u.Name != nil {
		c.Name = *u.Name
	}
	if u.Surname != nil {
		c.Surname = *u.Surname
	}
	if u.Tags != nil {
		c.Tags = *u.Tags
	}
	cc := *c
	return &cc, nil
}

func (f *fakeTarget) ListTransactions(ctx context.Context, p, limit int) ([]api.Transaction, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GET /transactions")
	items, more := page(f.txs, p, limit)
	return items, more, nil
}

func (f *fakeTarget) CustomerTransactions(ctx context.Context, key string, p, limit int) ([]api.Transaction, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("GET /customers/{key}/transactions")
	if f.failCustomerListings {
		return nil, false, &api.Error{Kind: api.ErrServer, Message: "Service Unavailable", StatusCode: 503, Method: "GET", Path: "/v1/customers/" + key + "/transactions"}
	}
	if f.customer(key) == nil {
		return nil, false, &api.Error{Kind: api.ErrNotFound, Message: "Customer not found", StatusCode: 404}
	}
	var mine []api.Transaction
	for _, t := range f.txs {
		if t.Customer.Key == key {
			mine = append(mine, t)
		}
	}
	items, more := page(mine, p, limit)
	return items, more, nil
}

func (f *fakeTarget) createTxLocked(tx *api.Transaction, cust api.CustomerRef, createCustomer bool) (*api.Transaction, error) {
	if tx.Amount != nil && tx.Amount.String() == f.badAmount {
		return nil, &api.Error{Kind: api.ErrValidation, Message: "The amount is invalid.", Fields: map[string][]string{"amount": {"The amount is invalid."}}, StatusCode: 422}
	}
	if f.customer(cust.Key) == nil {
		if !createCustomer {
			return nil, &api.Error{Kind: api.ErrNotFound, Message: "Customer not found", StatusCode: 404}
		}
		if _, err := f.createCustomerLocked(&api.Customer{Key: cust.Key, Email: cust.Email, Partner: cust.Partner}); err != nil {
			return nil, err
		}
	}
	n := *tx
	n.Customer = api.CustomerRef{Key: cust.Key}
	if n.AmountUnits == "" {
		n.AmountUnits = "USD"
	}
	f.txs = append(f.txs, n)
	return &n, nil
}

func (f *fakeTarget) CreateTransaction(ctx context.Context, tx *api.Transaction, createCustomer bool) (*api.Transaction, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("POST /transactions")
	if f.failNext > 0 {
		f.failNext--
		return nil, &api.Error{Kind: api.ErrServer, Message: "Service Unavailable", StatusCode: 503, Method: "POST", Path: "/v1/transactions"}
	}
	n, err := f.createTxLocked(tx, tx.Customer, createCustomer)
	if err == nil && f.lost() {
		return nil, errLost
	}
	return n, err
}

func (f *fakeTarget) CreateTransactions(ctx context.Context, cust api.CustomerRef, txs []api.Transaction, createCustomer bool) ([]api.Transaction, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("POST /transactions[]")
	if f.failBatch {
		return nil, false, &api.Error{Kind: api.ErrValidation, Message: "The given data was invalid.", StatusCode: 422}
	}
	for _, tx := range txs {
		if tx.Amount != nil && tx.Amount.String() == f.badAmount {
			return nil, false, &api.Error{Kind: api.ErrValidation, Message: "The transactions.0.amount is invalid.", Fields: map[string][]string{"transactions.0.amount": {"invalid"}}, StatusCode: 422}
		}
	}
	saved := len(f.txs)
	savedC := len(f.customers)
	var out []api.Transaction
	for i := range txs {
		n, err := f.createTxLocked(&txs[i], cust, createCustomer)
		if err != nil {
			f.txs, f.customers = f.txs[:saved], f.customers[:savedC]
			return nil, false, err
		}
		out = append(out, *n)
	}
	if f.lost() {
		return nil, false, errLost
	}
	if f.garbleBatch {
		return nil, false, nil
	}
	return out, true, nil
}

func (f *fakeTarget) DeleteTransaction(ctx context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("DELETE /transactions")
	kept := f.txs[:0]
	found := false
	for _, t := range f.txs {
		if t.Key == key {
			found = true
			continue
		}
		kept = append(kept, t)
	}
	f.txs = kept
	if !found {
		return &api.Error{Kind: api.ErrNotFound, Message: "Transaction not found", StatusCode: 404}
	}
	return nil
}
