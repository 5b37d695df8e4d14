// Package upsert is the upserting sink of an import: it makes a Partnero
// program hold the records it is given, spending as few API requests as the
// API allows. The server has no upsert, so the sink decides per record:
// missing → create, present and different → update the changed fields,
// present and identical → unchanged (no write), impossible → rejected with a
// stable code (partner_conflict, transaction_conflict, unknown_partner, ...).
//
// To know what exists it picks, per entity, the cheaper of a full listing of
// the target at 250 records a request and per-key lookups, given the input's
// size (a listing is abandoned once it has cost what the lookups would).
// Transactions are written per customer, all of one customer's transactions
// in one request, creating a missing customer in the same request when the
// input names its partner. A refused batch falls back to single requests to
// isolate the bad rows; an ambiguous answer is verified by listing.
//
// The API is reached through Target, a small interface; NewClientTarget
// adapts the partnero client to it.
package upsert

import (
	"context"

	api "github.com/partnero-etl/partnero-etl/partnero"
)

// Target is what the sink needs of the API, in its own vocabulary. Absence
// is (nil, nil) for the Find/Get lookups; other failures are the client's
// *api.Error of a kind (api.ErrNotFound, api.ErrValidation, api.ErrUnauthorized...).
type Target interface {
	// ListPartners returns one page (1-based) of partners, oldest first,
	// and whether more pages follow.
	ListPartners(ctx context.Context, page, limit int) ([]api.Partner, bool, error)
	// FindPartner looks a partner up by the first identity ref has: id, then
	// email, then referral key.
	FindPartner(ctx context.Context, ref api.PartnerRef) (*api.Partner, error)
	CreatePartner(ctx context.Context, p *api.Partner) (*api.Partner, error)
	UpdatePartner(ctx context.Context, id string, u *api.PartnerUpdate) (*api.Partner, error)

	ListCustomers(ctx context.Context, page, limit int) ([]api.Customer, bool, error)
	GetCustomer(ctx context.Context, key string) (*api.Customer, error)
	// CustomersByEmail returns the customers whose email is email (case
	// aside); none is an empty answer, not an error.
	CustomersByEmail(ctx context.Context, email string) ([]api.Customer, error)
	CreateCustomer(ctx context.Context, c *api.Customer) (*api.Customer, error)
	UpdateCustomer(ctx context.Context, key string, u *api.CustomerUpdate) (*api.Customer, error)

	ListTransactions(ctx context.Context, page, limit int) ([]api.Transaction, bool, error)
	// CustomerTransactions lists one page of a customer's transactions; a
	// missing customer is a not-found error.
	CustomerTransactions(ctx context.Context, customerKey string, page, limit int) ([]api.Transaction, bool, error)
	CreateTransaction(ctx context.Context, tx *api.Transaction, createCustomer bool) (*api.Transaction, error)
	// CreateTransactions creates several transactions of one customer in one
	// request. understood is false when the API answered 2xx with a body
	// that is not the created list: the caller verifies by listing.
	CreateTransactions(ctx context.Context, customer api.CustomerRef, txs []api.Transaction, createCustomer bool) (created []api.Transaction, understood bool, err error)
	DeleteTransaction(ctx context.Context, key string) error
}
