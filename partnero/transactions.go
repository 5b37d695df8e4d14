package partnero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
)

// TransactionsService is the /transactions resource. Transactions have no
// update, and the server does not guarantee their keys unique: a second
// create with the same key may record (and pay) a second transaction, so
// callers must know what exists before they create.
type TransactionsService struct{ c *Client }

// CreateOptions are the "options" of a transaction create.
type CreateOptions struct {
	// CreateCustomer creates the transaction's customer in the same call,
	// from the customer's name, surname, email, tags and partner.
	CreateCustomer bool `json:"create_customer,omitempty"`
}

// BatchResult is the answer to a batch create. Understood is false when the
// API answered 2xx with a body that is not the list of created transactions
// (the batch answer is undocumented): the write most likely happened and the
// caller must verify by listing the customer's transactions.
type BatchResult struct {
	Created    []Transaction
	Understood bool
	// Raw is the answer's data ("" when there was none).
	Raw json.RawMessage
}

// List returns one page of transactions; opts.Filters may hold "key",
// "partner.key" or "customer.key".
func (s *TransactionsService) List(ctx context.Context, opts ListOptions) (*Page[Transaction], error) {
	return list[Transaction](ctx, s.c, "GET /transactions", "transactions", opts, nil)
}

// All iterates every transaction, 250 per request unless opts.Limit says otherwise.
func (s *TransactionsService) All(ctx context.Context, opts ListOptions) iter.Seq2[Transaction, error] {
	return all[Transaction](ctx, s.c, "GET /transactions", "transactions", opts)
}

// Pages iterates every page of transactions, each with the items' raw JSON (for
// exports that keep fields the types do not know).
func (s *TransactionsService) Pages(ctx context.Context, opts ListOptions) iter.Seq2[*Page[Transaction], error] {
	return pages[Transaction](ctx, s.c, "GET /transactions", "transactions", opts)
}

// Get returns one transaction with its rewards.
func (s *TransactionsService) Get(ctx context.Context, key string) (*Transaction, error) {
	seg, err := segment("transaction key", key)
	if err != nil {
		return nil, err
	}
	var out Transaction
	if err := s.c.get(ctx, "GET /transactions/{key}", "transactions/"+seg, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Create records one transaction. With opts.CreateCustomer the customer
// described by tx.Customer is created in the same call.
func (s *TransactionsService) Create(ctx context.Context, tx *Transaction, opts *CreateOptions) (*Transaction, error) {
	if tx == nil {
		return nil, errors.New("create transaction: nil transaction")
	}
	body := struct {
		*Transaction
		Options *CreateOptions `json:"options,omitempty"`
	}{tx, nonEmpty(opts)}
	var out Transaction
	r := request{method: http.MethodPost, route: "POST /transactions", path: "transactions", body: body, ambiguousFinal: !s.c.retryTxCreates}
	if err := s.c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateBatch records several transactions of one customer in one call
// (POST /transactions with transactions[]). Each transaction's own Customer
// is ignored: customer names the customer of them all. A 422 for the whole
// batch is an ErrValidation whose Fields keys look like
// "transactions.3.amount"; callers then fall back to single creates to find
// the bad rows.
func (s *TransactionsService) CreateBatch(ctx context.Context, customer CustomerRef, txs []Transaction, opts *CreateOptions) (*BatchResult, error) {
	if len(txs) == 0 {
		return nil, errors.New("create transactions: empty batch")
	}
	items := make([]map[string]json.RawMessage, len(txs))
	for i := range txs {
		b, err := json.Marshal(&txs[i])
		if err != nil {
			return nil, fmt.Errorf("encode transaction %d: %w", i, err)
		}
		if err := json.Unmarshal(b, &items[i]); err != nil {
			return nil, fmt.Errorf("encode transaction %d: %w", i, err)
		}
		delete(items[i], "customer")
	}
	body := struct {
		Customer     CustomerRef                  `json:"customer"`
		Transactions []map[string]json.RawMessage `json:"transactions"`
		Options      *CreateOptions               `json:"options,omitempty"`
	}{customer, items, nonEmpty(opts)}
	_, env, err := s.c.do(ctx, request{method: http.MethodPost, route: "POST /transactions (batch)", path: "transactions", body: body, ambiguousFinal: !s.c.retryTxCreates})
	if err != nil {
		return nil, err
	}
	res := &BatchResult{Raw: env.Data}
	var created []Transaction
	if len(env.Data) > 0 && json.Unmarshal(env.Data, &created) == nil && len(created) == len(txs) {
		res.Created, res.Understood = created, true
	}
	return res, nil
}

// Delete deletes the transaction permanently, reversing its commission (how
// refunds are recorded).
func (s *TransactionsService) Delete(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodDelete, key, "")
}

// Archive soft-deletes the transaction.
func (s *TransactionsService) Archive(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodPost, key, "archive")
}

// RestoreArchive restores an archived transaction.
func (s *TransactionsService) RestoreArchive(ctx context.Context, key string) error {
	return s.action(ctx, http.MethodPost, key, "revoke-archive")
}

func (s *TransactionsService) action(ctx context.Context, method, key, verb string) error {
	seg, err := segment("transaction key", key)
	if err != nil {
		return err
	}
	return s.c.call(ctx, actionRequest(method, "transactions", "{key}", seg, verb), nil)
}

// nonEmpty drops options that say nothing, so the body has no "options": {}.
func nonEmpty(o *CreateOptions) *CreateOptions {
	if o == nil || *o == (CreateOptions{}) {
		return nil
	}
	return o
}
