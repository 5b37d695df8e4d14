package migrate

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
	"sync"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// Join carries identities across the stages of a migration: partners, then
// customers, then transactions, each an import of its own. A platform names
// a customer's partner by its own id, the source id, and a transaction's
// customer by the customer's own id on it (customer.source_id), its key or
// its email; Join turns those into Partnero identities (a transaction is
// filed under the customers input's customer and that customer's partner),
// rejects every child of a rejected parent with the parent's reason
// (parent_rejected, whatever the parent's code), and never lets a
// transaction make up a customer the customers input does not name.
//
// Memory: an entry per partner (thousands) and an entry per customer of
// the customers input (its key, email, name and partner, what a transaction
// batch creates it with: about 300 bytes, 30 MB for 100,000 customers),
// under up to three 64-bit hashes (source id, key, email); until the
// customers stage ends, a hash per identity the transactions name.
//
// The tables are rebuilt by every run from the inputs themselves (the
// partners file is read whole before the first write; customers are seen as
// their stage runs), so a resumed migration joins exactly as a clean one.
//
// Join is safe for concurrent use: the engine calls the hooks from its
// reader and its workers.
type Join struct {
	dryRun bool
	seed   maphash.Seed

	mu       sync.Mutex
	partners map[string]*joinPartner // by source id
	// customers holds the customers input, by hash of source id ("s"), key
	// ("k") and email ("e"): what a transaction joins to. An email two
	// customers of the input share points to ambiguousCustomer.
	customers map[uint64]*joinCustomer
	// hasCustomers: the migration has a customers input, so a transaction
	// whose customer is not in it must find it in Partnero, never create it.
	hasCustomers bool
	// joined counts the transactions by how their customer was found
	// (pipeline.CustomerJoinRules).
	joined [len(pipeline.CustomerJoinRules)]int64
	// txCustomers holds the customers the transactions input names (by the
	// same hashes as customers), read before the customers stage so that a
	// new customer with transactions is created inside its first
	// transaction batch instead of by a request of its own; nil when the
	// transactions were not scanned.
	txCustomers map[uint64]struct{}
	// deferred counts the customers the customers stage left to their
	// first transaction batch; createdByTx those a batch created.
	deferred, createdByTx int64
	// danglingReferrers counts partners whose referring partner's source id
	// is not in the partners input: they are imported without a referrer.
	danglingReferrers int64
}

// The rules a transaction is joined to its customer by, in the order they
// are tried: in the customers input by the old platform's customer id, by
// key, by email; then, for a customer the input does not have (or an
// import, which has none), in Partnero by key or email.
const (
	joinSourceID = iota
	joinKey
	joinEmail
	joinPartneroKey
	joinPartneroEmail
)

// joinCustomer is a customer of the customers input as its transactions
// need it: the key it is written under, the fields a transaction batch
// creates it with, and why it was rejected.
type joinCustomer struct {
	key    string
	ref    api.CustomerRef
	origin record.Origin
	// rejected is the reason its transactions inherit; mapOnly says the
	// rejection came from a row mapping refused (its identity read apart),
	// which an accepted row of the same key replaces.
	rejected *parentReason
	mapOnly  bool
	// deferrable: the transactions input names this customer and its
	// partner is one of the partners input (so it exists), so a missing
	// customer is created inside its first transaction batch. deferred:
	// the customers stage did so; confirmed: a later write saw it exist
	// (or created it).
	deferrable, deferred, confirmed bool
}

// ambiguousCustomer stands for an email two customers of the input share:
// it names no customer.
var ambiguousCustomer = &joinCustomer{}

type joinPartner struct {
	email, key, id string
	parent         string // the referring partner's source id
	rejected       *parentReason
	// wouldCreate: the dry run of the partners stage said created, so the
	// partner does not exist in the target yet.
	wouldCreate bool
}

// parentReason is why a parent was rejected, as its children report it.
type parentReason struct {
	origin record.Origin
	code   string
	msg    string
}

func (r *parentReason) String() string {
	if r.origin == (record.Origin{}) {
		return fmt.Sprintf("%s [%s]", r.msg, r.code)
	}
	return fmt.Sprintf("%s: %s [%s]", r.origin, r.msg, r.code)
}

// NewJoin returns an empty join. In a dry run nothing is written, so it
// stands in for what earlier stages would have created.
func NewJoin(dryRun bool) *Join {
	return &Join{
		dryRun:    dryRun,
		seed:      maphash.MakeSeed(),
		partners:  make(map[string]*joinPartner),
		customers: make(map[uint64]*joinCustomer),
	}
}

// Partners returns how many partners (by source id) the join knows and how
// many of them were rejected.
func (j *Join) Partners() (known, rejected int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, p := range j.partners {
		known++
		if p.rejected != nil {
			rejected++
		}
	}
	return known, rejected
}

// RejectedCustomers returns how many customers of the customers input
// (by source id, key or email) the join holds as rejected.
func (j *Join) RejectedCustomers() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	seen := map[*joinCustomer]bool{}
	for _, c := range j.customers {
		if c.rejected != nil {
			seen[c] = true
		}
	}
	return len(seen)
}

// Joined returns how many transactions found their customer by each rule
// (pipeline.CustomerJoinRules), counted when they were read: the customers input's
// source_id, key or email, or (not in the input) Partnero's key or email.
// A transaction of a rejected customer or partner is in none.
func (j *Join) Joined() map[string]int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[string]int64, len(pipeline.CustomerJoinRules))
	for i, name := range pipeline.CustomerJoinRules {
		if j.joined[i] > 0 {
			out[name] = j.joined[i]
		}
	}
	return out
}

// DanglingReferrers counts the partners whose referring partner was not in
// the partners input: they were imported without one.
func (j *Join) DanglingReferrers() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.danglingReferrers
}

// ScanPartners reads the whole partners input before the first write and
// records each partner's source id and Partnero identity, and the source
// ids of rows that cannot be imported (mapping errors, duplicates). Skipped
// rows (a rule chose to leave them out) are not partners at all. sourceIDOf
// reads the source id of a row that mapping rejected (nil: such rows are
// not recorded). dedupe is a fresh duplicate checker for partners.
func (j *Join) ScanPartners(ctx context.Context, src pipeline.RowSource, mapper record.Mapper, sourceIDOf func(record.Row) string, dedupe func(record.Record) *record.RowError) error {
	return eachRow(ctx, src, mapper, record.Partners, func(row record.Row, m record.Mapped) {
		switch {
		case m.Skipped:
			return
		case m.Err != nil:
			if sourceIDOf != nil {
				j.rejectPartner(sourceIDOf(row), m.Err)
			}
			return
		}
		rec := m.Record
		if rec.Partner == nil || rec.SourceID == "" {
			return
		}
		if rec.Origin == (record.Origin{}) {
			rec.Origin = row.Origin
		}
		if dedupe != nil {
			if derr := dedupe(rec); derr != nil {
				j.rejectPartner(rec.SourceID, derr)
				return
			}
		}
		j.mu.Lock()
		if _, ok := j.partners[rec.SourceID]; !ok {
			j.partners[rec.SourceID] = &joinPartner{
				email: rec.Partner.Email, key: rec.Partner.Key, id: string(rec.Partner.ID), parent: rec.ParentSourceID,
			}
		}
		j.mu.Unlock()
	})
}

// ScanTransactions reads the whole transactions input before the customers
// stage and notes which customers its transactions name
// (NoteTransactionCustomer): a new customer with transactions is then
// created inside its first transaction batch.
func (j *Join) ScanTransactions(ctx context.Context, src pipeline.RowSource, mapper record.Mapper) error {
	return eachRow(ctx, src, mapper, record.Transactions, func(_ record.Row, m record.Mapped) {
		if m.Err == nil && !m.Skipped {
			j.NoteTransactionCustomer(&m.Record)
		}
	})
}

// eachRow reads src to its end and passes every row with its mapping to
// fn. A row that cannot be decoded is passed over: it has no identity to
// read (its own stage rejects it).
func eachRow(ctx context.Context, src pipeline.RowSource, mapper record.Mapper, e record.Entity, fn func(record.Row, record.Mapped)) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if _, ok := errors.AsType[*record.RowError](err); ok {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", e, err)
		}
		fn(row, mapper.Map(row))
	}
}

// rejectPartner records that the partner with this source id cannot be
// imported. A duplicate of the same source id leaves the first (imported)
// row's entry alone.
func (j *Join) rejectPartner(sourceID string, rerr *record.RowError) {
	if sourceID == "" || rerr == nil {
		return
	}
	if rerr.Code == record.CodeDuplicate && rerr.Field == "source_id" {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	p, ok := j.partners[sourceID]
	if !ok {
		p = &joinPartner{}
		j.partners[sourceID] = p
	}
	if p.rejected == nil {
		p.rejected = &parentReason{origin: rerr.Origin, code: rerr.Code, msg: rerr.Message}
	}
}

// PartnerRejected is the partners stage's reject observer: sourceID is read
// from the rejected row.
func (j *Join) PartnerRejected(sourceID string, rerr *record.RowError) {
	j.rejectPartner(sourceID, rerr)
}

// PartnerWritten is the partners stage's outcome observer: in a dry run it
// learns which partners do not exist in the target yet.
func (j *Join) PartnerWritten(rec record.Record, o record.Outcome) {
	if !j.dryRun || o != record.Created || rec.SourceID == "" {
		return
	}
	j.mu.Lock()
	if p, ok := j.partners[rec.SourceID]; ok {
		p.wouldCreate = true
	}
	j.mu.Unlock()
}

// lookup returns the partner of a source id (nil when the input does not
// have it). The caller holds no lock; entries are not removed.
func (j *Join) lookup(sourceID string) (joinPartner, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p, ok := j.partners[sourceID]
	if !ok {
		return joinPartner{}, false
	}
	return *p, true
}

// ref is how customers and transactions name the partner: by email (which
// every partner has, and which the sink resolves from one listing of the
// partners rather than a lookup per partner), else referral key, else id.
// In a dry run a partner that would be created has no Partnero id yet: a
// stand-in id says "exists" to the customers stage without a lookup.
func (p joinPartner) ref(sourceID string, dryRun bool) *api.PartnerRef {
	switch {
	case dryRun && p.wouldCreate:
		return &api.PartnerRef{ID: api.ID("dry-run:" + sourceID)}
	case p.email != "":
		return &api.PartnerRef{Email: p.email}
	case p.key != "":
		return &api.PartnerRef{Key: p.key}
	}
	return &api.PartnerRef{ID: api.ID(p.id)}
}

// selfRef names a referring partner the way the sink identifies partners
// (id, else email), so that a partner is written after its referrer (the
// sink partitions a partner with its referrer).
func (p joinPartner) selfRef() *api.PartnerRef {
	if p.id != "" {
		return &api.PartnerRef{ID: api.ID(p.id)}
	}
	return &api.PartnerRef{Email: p.email}
}

func parentRejected(rec *record.Record, field, what, sourceID string, why *parentReason) *record.RowError {
	return &record.RowError{
		Origin:  rec.Origin,
		Field:   field,
		Code:    record.CodeParentRejected,
		Message: fmt.Sprintf("%s %s was rejected (%s)", what, sourceID, why),
	}
}

// MapPartner is the partners stage's map hook: a partner whose referring
// partner (referring_partner.source_id) is in the input gets it as its
// referrer; one whose referrer was rejected is rejected too; one whose
// referrer is not in the input is imported without one (counted).
func (j *Join) MapPartner(rec *record.Record) *record.RowError {
	if rec.Partner == nil || rec.ParentSourceID == "" || rec.Partner.ReferringPartner != nil {
		return nil
	}
	parent, ok := j.lookup(rec.ParentSourceID)
	switch {
	case !ok:
		j.mu.Lock()
		j.danglingReferrers++
		j.mu.Unlock()
		return nil
	case parent.rejected != nil:
		return parentRejected(rec, "referring_partner", "referring partner", rec.ParentSourceID, parent.rejected)
	}
	rec.Partner.ReferringPartner = parent.selfRef()
	return nil
}

// ExpectCustomers says the migration has a customers input: from then on
// a transaction whose customer is neither in it nor in Partnero is
// rejected (unknown_customer), never created under another key.
func (j *Join) ExpectCustomers() {
	j.mu.Lock()
	j.hasCustomers = true
	j.mu.Unlock()
}

// MapCustomer is the customers stage's map hook: it sets the customer's
// partner from its partner.source_id, rejects a customer whose partner was
// rejected (parent_rejected) or is neither in the input nor otherwise named
// by the row (unknown_partner). A row that names its partner by email, key
// or id too is left to the sink, which checks the target. Every customer it
// sees is recorded for the transactions stage, by source id, key and email.
func (j *Join) MapCustomer(rec *record.Record) *record.RowError {
	c := rec.Customer
	if c == nil {
		return nil
	}
	rerr, fromInput := j.customerPartner(rec)
	e := &joinCustomer{key: c.Key, origin: rec.Origin, ref: api.CustomerRef{
		Key: c.Key, Email: c.Email, Name: c.Name, Surname: c.Surname, Tags: c.Tags, Partner: c.Partner,
	}}
	if rerr != nil {
		e.rejected = reasonOf(rerr)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e.deferrable = rerr == nil && fromInput && j.namedByTransactions(rec.SourceID, c.Key, c.Email)
	kh := j.hash("k", c.Key)
	if have, ok := j.customers[kh]; ok && !have.mapOnly {
		// A second row of the key (the duplicate check rejects it, and the
		// first row stands): its source id names the first row's customer.
		e = have
	} else if c.Key != "" {
		j.customers[kh] = e
	}
	if rec.SourceID != "" {
		sh := j.hash("s", rec.SourceID)
		if have, ok := j.customers[sh]; !ok || have.mapOnly {
			j.customers[sh] = e
		}
	}
	if c.Email != "" {
		eh := j.hash("e", strings.ToLower(c.Email))
		if have, ok := j.customers[eh]; !ok || have.mapOnly {
			j.customers[eh] = e
		} else if have != e && have.key != e.key {
			j.customers[eh] = ambiguousCustomer
		}
	}
	return rerr
}

// customerPartner joins a customer to its partner (see MapCustomer);
// fromInput says the partner is one of the partners input.
func (j *Join) customerPartner(rec *record.Record) (rerr *record.RowError, fromInput bool) {
	c := rec.Customer
	if rec.ParentSourceID == "" {
		return nil, false
	}
	p, ok := j.lookup(rec.ParentSourceID)
	switch {
	case ok && p.rejected != nil:
		return parentRejected(rec, "partner", "partner", rec.ParentSourceID, p.rejected), false
	case ok:
		c.Partner = p.ref(rec.ParentSourceID, j.dryRun)
		return nil, true
	case c.Partner != nil && (c.Partner.ID != "" || c.Partner.Key != "" || c.Partner.Email != ""):
		return nil, false
	}
	return &record.RowError{
		Origin:  rec.Origin,
		Field:   "partner.source_id",
		Code:    record.CodeUnknownPartner,
		Message: fmt.Sprintf("partner %s is not in the partners input, and the row names no partner email or key to find it in Partnero", rec.ParentSourceID),
	}, false
}

// NoteTransactionCustomer records the customer a transaction of the
// transactions input names (read before the customers stage: see
// txCustomers). Only transactions that mapped are noted.
func (j *Join) NoteTransactionCustomer(rec *record.Record) {
	tx := rec.Transaction
	if tx == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.txCustomers == nil {
		j.txCustomers = make(map[uint64]struct{})
	}
	if rec.CustomerSourceID != "" {
		j.txCustomers[j.hash("s", rec.CustomerSourceID)] = struct{}{}
	}
	if tx.Customer.Key != "" {
		j.txCustomers[j.hash("k", tx.Customer.Key)] = struct{}{}
	}
	if m := strings.ToLower(strings.TrimSpace(tx.Customer.Email)); m != "" {
		j.txCustomers[j.hash("e", m)] = struct{}{}
	}
}

// ForgetTransactionCustomers drops what NoteTransactionCustomer noted, once
// the customers stage is over and nothing asks any more.
func (j *Join) ForgetTransactionCustomers() {
	j.mu.Lock()
	j.txCustomers = nil
	j.mu.Unlock()
}

// namedByTransactions says whether the transactions input names a customer
// by one of its identities. The caller holds j.mu.
func (j *Join) namedByTransactions(sourceID, key, email string) bool {
	if j.txCustomers == nil {
		return false
	}
	for _, h := range []struct{ kind, v string }{{"s", sourceID}, {"k", key}, {"e", strings.ToLower(strings.TrimSpace(email))}} {
		if h.v == "" {
			continue
		}
		if _, ok := j.txCustomers[j.hash(h.kind, h.v)]; ok {
			return true
		}
	}
	return false
}

// DeferCreate is asked by the customers stage's sink about a customer
// Partnero does not have: true leaves its creation to its first
// transaction batch (options.create_customer with this customer's own
// fields), which saves the request a create of its own costs. Only a
// customer the transactions input names and whose partner is one of the
// partners input is deferred; a customer no transaction of the input
// names is created by the customers stage as ever.
func (j *Join) DeferCreate(key string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.customers[j.hash("k", key)]
	if !ok || !e.deferrable || e.rejected != nil || e.mapOnly {
		return false
	}
	if !e.deferred {
		e.deferred = true
		j.deferred++
	}
	return true
}

// TransactionCustomer is the transactions stage's report of a customer of
// a transaction: it exists (created false) or a transaction batch created
// it (created true).
func (j *Join) TransactionCustomer(key string, created bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.customers[j.hash("k", key)]
	if !ok || e.mapOnly {
		return
	}
	e.confirmed = true
	if created && e.deferred {
		j.createdByTx++
	}
}

// Deferred returns how many customers the customers stage left to their
// first transaction batch, and how many of them a batch created.
func (j *Join) Deferred() (deferred, createdByTx int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.deferred, j.createdByTx
}

// Unconfirmed returns the customers left to their transactions that no
// transaction batch created or saw (every transaction of theirs was
// rejected, or a resumed run skipped them all): they are to be written on
// their own. deferred says the customers stage of this run counted it as
// created.
func (j *Join) Unconfirmed() (out []UnconfirmedCustomer) {
	j.mu.Lock()
	defer j.mu.Unlock()
	seen := map[*joinCustomer]bool{}
	for _, e := range j.customers {
		if seen[e] || !e.deferrable || e.confirmed || e.rejected != nil || e.mapOnly {
			continue
		}
		seen[e] = true
		r := e.ref
		out = append(out, UnconfirmedCustomer{Customer: api.Customer{
			Key: r.Key, Email: r.Email, Name: r.Name, Surname: r.Surname, Tags: r.Tags, Partner: r.Partner,
		}, Origin: e.origin, Deferred: e.deferred})
	}
	slices.SortFunc(out, func(a, b UnconfirmedCustomer) int { return strings.Compare(a.Customer.Key, b.Customer.Key) })
	return out
}

// UnconfirmedCustomer is a customer of Join.Unconfirmed.
type UnconfirmedCustomer struct {
	Customer api.Customer
	Origin   record.Origin
	Deferred bool
}

func reasonOf(rerr *record.RowError) *parentReason {
	return &parentReason{origin: rerr.Origin, code: rerr.Code, msg: rerr.Message}
}

// CustomerRejected is the customers stage's reject observer. key is the
// record's key when the row got as far as a record (MapCustomer saw it: its
// entry is marked); when mapping refused the row, key, sourceID and email
// are what could be read from it apart, and the rejection is recorded under
// them unless an accepted row holds them. A duplicate of a key the input
// already had is not a rejected customer: the first row stands.
func (j *Join) CustomerRejected(sourceID, key, email string, mapped bool, rerr *record.RowError) {
	if rerr == nil || (key == "" && email == "" && sourceID == "") {
		return
	}
	if rerr.Code == record.CodeDuplicate && rerr.Field == "key" {
		return
	}
	why := reasonOf(rerr)
	j.mu.Lock()
	defer j.mu.Unlock()
	if mapped && key != "" {
		if e, ok := j.customers[j.hash("k", key)]; ok {
			if e.rejected == nil {
				e.rejected = why
			}
			return
		}
	}
	e := &joinCustomer{key: key, rejected: why, mapOnly: true}
	for _, h := range []struct {
		kind, v string
	}{{"k", key}, {"s", sourceID}, {"e", strings.ToLower(email)}} {
		if h.v == "" {
			continue
		}
		if _, ok := j.customers[j.hash(h.kind, h.v)]; !ok {
			j.customers[j.hash(h.kind, h.v)] = e
		}
	}
}

// CustomerWritten is the customers stage's outcome observer: a customer
// found in Partnero (updated or unchanged), or created there, is confirmed;
// one left to its transactions (DeferCreate) is not yet.
func (j *Join) CustomerWritten(rec record.Record, o record.Outcome) {
	if rec.Customer == nil || o == record.Rejected || o == record.Skipped {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if e, ok := j.customers[j.hash("k", rec.Customer.Key)]; ok && !e.mapOnly && !(o == record.Created && e.deferred) {
		e.confirmed = true
	}
}

// MayCreateCustomer says whether a transaction batch may create the
// customer of this key when Partnero does not have it: only a customer of
// the customers input that was not rejected (in a dry run, one the
// customers stage would create; in a real run, one it left to its
// transactions).
func (j *Join) MayCreateCustomer(key string) bool {
	if key == "" {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.customers[j.hash("k", key)]
	return ok && e.rejected == nil && !e.mapOnly
}

// customerOf finds the customer of the input a transaction names: by the
// old platform's customer id, then key, then email. rule is the one that
// matched (-1: none).
func (j *Join) customerOf(rec *record.Record) (e *joinCustomer, rule int, name string) {
	tx := rec.Transaction
	j.mu.Lock()
	defer j.mu.Unlock()
	if sid := rec.CustomerSourceID; sid != "" {
		if e := j.customers[j.hash("s", sid)]; e != nil {
			return e, joinSourceID, sid
		}
	}
	if k := tx.Customer.Key; k != "" {
		if e := j.customers[j.hash("k", k)]; e != nil {
			return e, joinKey, k
		}
		return nil, -1, ""
	}
	if m := strings.ToLower(strings.TrimSpace(tx.Customer.Email)); m != "" {
		if e := j.customers[j.hash("e", m)]; e != nil && e != ambiguousCustomer {
			return e, joinEmail, tx.Customer.Email
		}
	}
	return nil, -1, ""
}

// MapTransaction is the transactions stage's map hook. It joins the
// transaction to its customer in the customers input by customer.source_id
// (the old platform's customer id), else customer.key, else customer.email,
// and names the customer as that row does (key, email, name, partner: what
// a transaction batch creates it with). A transaction of a rejected
// customer, or of a rejected partner, is rejected (parent_rejected); one
// that names its customer only by an old id the customers input does not
// have is rejected (unknown_customer). A customer named by key or email
// and not in the input is left to the sink, which looks for it in Partnero
// and never creates it unless told it may (create_customers).
func (j *Join) MapTransaction(rec *record.Record) *record.RowError {
	tx := rec.Transaction
	if tx == nil {
		return nil
	}
	e, rule, name := j.customerOf(rec)
	switch {
	case e != nil && e.rejected != nil:
		if e.key != "" && rule != joinKey {
			name = e.key
		}
		return parentRejected(rec, "customer", "customer", name, e.rejected)
	case e != nil:
		j.mu.Lock()
		j.joined[rule]++
		j.mu.Unlock()
		tx.Customer = e.ref
		return nil
	case rec.CustomerSourceID != "" && tx.Customer.Key == "" && tx.Customer.Email == "":
		j.mu.Lock()
		has := j.hasCustomers
		j.mu.Unlock()
		msg := fmt.Sprintf("customer %s (customer.source_id) is not in the customers input", rec.CustomerSourceID)
		if !has {
			msg = fmt.Sprintf("customer %s is named by its id on the old platform only (customer.source_id), and the migration has no customers input to find it in", rec.CustomerSourceID)
		}
		return &record.RowError{Origin: rec.Origin, Field: "customer.source_id", Code: record.CodeUnknownCustomer, Message: msg}
	}
	if sourceID := rec.ParentSourceID; sourceID != "" {
		p, ok := j.lookup(sourceID)
		switch {
		case ok && p.rejected != nil:
			return parentRejected(rec, "customer.partner", "partner", sourceID, p.rejected)
		case ok:
			tx.Customer.Partner = p.ref(sourceID, j.dryRun)
		}
	}
	rule = joinPartneroEmail
	if tx.Customer.Key != "" {
		rule = joinPartneroKey
	}
	j.mu.Lock()
	j.joined[rule]++
	j.mu.Unlock()
	return nil
}

// RejectedParent is for a transaction row that mapping refused: when the
// customer it names (by the old id or key read from it apart) was
// rejected, the row is parent_rejected with the customer's reason, whatever
// mapping found wrong with the row's own copy of the customer's fields.
func (j *Join) RejectedParent(rerr *record.RowError, customerSourceID, customerKey string) *record.RowError {
	rec := &record.Record{Origin: rerr.Origin, CustomerSourceID: customerSourceID,
		Transaction: &api.Transaction{Customer: api.CustomerRef{Key: customerKey}}}
	if customerSourceID == "" && customerKey == "" {
		return rerr
	}
	e, rule, name := j.customerOf(rec)
	if e == nil || e.rejected == nil {
		return rerr
	}
	if e.key != "" && rule != joinKey {
		name = e.key
	}
	return parentRejected(rec, "customer", "customer", name, e.rejected)
}

func (j *Join) hash(kind, s string) uint64 {
	return maphash.String(j.seed, kind+"\x00"+s)
}
