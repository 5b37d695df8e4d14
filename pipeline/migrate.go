package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Join carries identities across the stages of a migration: partners, then
// customers, then transactions, each an import of its own. A platform names
// a customer's partner (and a transaction's customer's partner) by its own
// id, the source id; Join turns that into the partner's Partnero identity,
// and rejects every child of a rejected parent with the parent's reason.
//
// Memory: an entry per partner (thousands), a 64-bit hash and the reason
// per rejected customer, and, in a dry run only, a hash per customer the
// run would create (so that the transactions stage knows it would exist).
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
	// rejectedCustomers holds the customers (by hash of key, and of email
	// for transactions that name their customer by email only) that were
	// rejected, with the reason their transactions inherit.
	rejectedCustomers map[uint64]*parentReason
	// dryCustomers, in a dry run, holds the customers the customers stage
	// would create, with their partner's source id.
	dryCustomers map[uint64]string
	// customerKeys maps a customer's email (hashed) to its key, for
	// transactions that name their customer by email only; "" when two
	// customers of the input share the email.
	customerKeys map[uint64]string
	// danglingReferrers counts partners whose referring partner's source id
	// is not in the partners input: they are imported without a referrer.
	danglingReferrers int64
}

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
	return fmt.Sprintf("%s: %s [%s]", r.origin, r.msg, r.code)
}

// NewJoin returns an empty join. In a dry run nothing is written, so it
// stands in for what earlier stages would have created.
func NewJoin(dryRun bool) *Join {
	return &Join{
		dryRun:            dryRun,
		seed:              maphash.MakeSeed(),
		partners:          make(map[string]*joinPartner),
		rejectedCustomers: make(map[uint64]*parentReason),
		dryCustomers:      make(map[uint64]string),
		customerKeys:      make(map[uint64]string),
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

// RejectedCustomers returns how many rejected customer identities the join
// holds (keys and emails).
func (j *Join) RejectedCustomers() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.rejectedCustomers)
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
func (j *Join) ScanPartners(ctx context.Context, src RowSource, mapRow func(record.Row) Mapped, sourceIDOf func(record.Row) string, dedupe func(record.Record) *record.RowError) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		var rowErr *record.RowError
		if errors.As(err, &rowErr) {
			continue // undecodable: no source id to read
		}
		if err != nil {
			return fmt.Errorf("read partners: %w", err)
		}
		m := mapRow(row)
		switch {
		case m.Skipped:
			continue
		case m.Err != nil:
			if sourceIDOf != nil {
				j.rejectPartner(sourceIDOf(row), m.Err)
			}
			continue
		}
		rec := m.Record
		if rec.Partner == nil || rec.SourceID == "" {
			continue
		}
		if rec.Origin == (record.Origin{}) {
			rec.Origin = row.Origin
		}
		if dedupe != nil {
			if derr := dedupe(rec); derr != nil {
				j.rejectPartner(rec.SourceID, derr)
				continue
			}
		}
		j.mu.Lock()
		if _, ok := j.partners[rec.SourceID]; !ok {
			j.partners[rec.SourceID] = &joinPartner{
				email: rec.Partner.Email, key: rec.Partner.Key, id: string(rec.Partner.ID), parent: rec.ParentSourceID,
			}
		}
		j.mu.Unlock()
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

// MapCustomer is the customers stage's map hook: it sets the customer's
// partner from its partner.source_id, rejects a customer whose partner was
// rejected (parent_rejected) or is neither in the input nor otherwise named
// by the row (unknown_partner). A row that names its partner by email, key
// or id too is left to the sink, which checks the target.
func (j *Join) MapCustomer(rec *record.Record) *record.RowError {
	c := rec.Customer
	if c == nil {
		return nil
	}
	if c.Email != "" && c.Key != "" {
		h := j.hash("e", strings.ToLower(c.Email))
		j.mu.Lock()
		if k, seen := j.customerKeys[h]; !seen {
			j.customerKeys[h] = c.Key
		} else if k != c.Key {
			j.customerKeys[h] = ""
		}
		j.mu.Unlock()
	}
	if rec.ParentSourceID == "" {
		return nil
	}
	p, ok := j.lookup(rec.ParentSourceID)
	switch {
	case ok && p.rejected != nil:
		return parentRejected(rec, "partner", "partner", rec.ParentSourceID, p.rejected)
	case ok:
		c.Partner = p.ref(rec.ParentSourceID, j.dryRun)
		return nil
	case c.Partner != nil && (c.Partner.ID != "" || c.Partner.Key != "" || c.Partner.Email != ""):
		return nil
	}
	return &record.RowError{
		Origin:  rec.Origin,
		Field:   "partner.source_id",
		Code:    record.CodeUnknownPartner,
		Message: fmt.Sprintf("partner %s is not in the partners input, and the row names no partner email or key to find it in Partnero", rec.ParentSourceID),
	}
}

// CustomerRejected is the customers stage's reject observer: key is the
// customer's key (read from the row when mapping rejected it; "" when it
// could not be read), email its email when known. A duplicate of a key the
// input already had is not a rejected customer: the first row stands.
func (j *Join) CustomerRejected(key, email string, rerr *record.RowError) {
	if rerr == nil || (key == "" && email == "") {
		return
	}
	if rerr.Code == record.CodeDuplicate && rerr.Field == "key" {
		return
	}
	why := &parentReason{origin: rerr.Origin, code: rerr.Code, msg: rerr.Message}
	j.mu.Lock()
	defer j.mu.Unlock()
	if key != "" {
		if _, ok := j.rejectedCustomers[j.hash("k", key)]; !ok {
			j.rejectedCustomers[j.hash("k", key)] = why
		}
	}
	if email != "" {
		h := j.hash("e", strings.ToLower(email))
		if _, ok := j.rejectedCustomers[h]; !ok {
			j.rejectedCustomers[h] = why
		}
	}
}

// CustomerWritten is the customers stage's outcome observer: in a dry run
// it notes the customers that would be created, with their partner, so that
// the transactions stage can name the partner a new customer needs.
func (j *Join) CustomerWritten(rec record.Record, o record.Outcome) {
	if !j.dryRun || o != record.Created || rec.Customer == nil || rec.ParentSourceID == "" {
		return
	}
	j.mu.Lock()
	j.dryCustomers[j.hash("k", rec.Customer.Key)] = rec.ParentSourceID
	j.mu.Unlock()
}

// MapTransaction is the transactions stage's map hook: a transaction of a
// rejected customer, or whose customer's partner was rejected, is rejected
// (parent_rejected); the partner of customer.partner.source_id is set on the
// transaction's customer, so that a customer missing from the target can be
// created with its first transaction.
func (j *Join) MapTransaction(rec *record.Record) *record.RowError {
	tx := rec.Transaction
	if tx == nil {
		return nil
	}
	j.mu.Lock()
	if tx.Customer.Key == "" && tx.Customer.Email != "" {
		// Named by email only: the customers input says which key.
		tx.Customer.Key = j.customerKeys[j.hash("e", strings.ToLower(tx.Customer.Email))]
	}
	why, what, name := j.rejectedCustomers[j.hash("k", tx.Customer.Key)], "customer", tx.Customer.Key
	if tx.Customer.Key == "" && tx.Customer.Email != "" {
		why, name = j.rejectedCustomers[j.hash("e", strings.ToLower(tx.Customer.Email))], tx.Customer.Email
	}
	dryParent, dryNew := "", false
	if j.dryRun && tx.Customer.Key != "" {
		dryParent, dryNew = j.dryCustomers[j.hash("k", tx.Customer.Key)]
	}
	j.mu.Unlock()
	if why != nil {
		return parentRejected(rec, "customer", what, name, why)
	}
	sourceID := rec.ParentSourceID
	if sourceID == "" && dryNew {
		sourceID = dryParent
	}
	if sourceID == "" {
		return nil
	}
	p, ok := j.lookup(sourceID)
	switch {
	case ok && p.rejected != nil:
		return parentRejected(rec, "customer.partner", "partner", sourceID, p.rejected)
	case ok:
		tx.Customer.Partner = p.ref(sourceID, j.dryRun)
	}
	return nil
}

func (j *Join) hash(kind, s string) uint64 {
	return maphash.String(j.seed, kind+"\x00"+s)
}

// MigrationReport combines the reports of a migration's stages: what
// `migrate` prints and what its --report writes as JSON.
type MigrationReport struct {
	From        string `json:"from,omitempty"`
	DryRun      bool   `json:"dry_run"`
	Interrupted bool   `json:"interrupted"`
	Error       string `json:"error,omitempty"`
	// Stages are the imports in the order they ran (partners, customers,
	// transactions; those without an input are absent).
	Stages []*Report `json:"stages"`
	// Total adds up the stages' counts; ByEntity is the same per entity.
	Total    Counts            `json:"total"`
	ByEntity map[string]Counts `json:"by_entity"`

	Started        time.Time     `json:"started"`
	Duration       time.Duration `json:"-"`
	Seconds        float64       `json:"duration_seconds"`
	Requests       int64         `json:"requests"`
	RequestsPerRow float64       `json:"requests_per_row"`
	Retries        int64         `json:"retries"`
	RateLimited    int64         `json:"rate_limited"`
	// DanglingReferrers counts partners imported without their referring
	// partner, which was not in the partners input.
	DanglingReferrers int64 `json:"partners_without_referrer,omitempty"`
}

// Finish adds up the stages.
func (m *MigrationReport) Finish() {
	m.Total = Counts{ByCode: map[string]int64{}}
	m.ByEntity = make(map[string]Counts, len(m.Stages))
	m.Requests, m.Retries, m.RateLimited = 0, 0, 0
	for _, r := range m.Stages {
		c := r.Counts
		m.ByEntity[string(r.Entity)] = c
		m.Total.Read += c.Read
		m.Total.Created += c.Created
		m.Total.Updated += c.Updated
		m.Total.Unchanged += c.Unchanged
		m.Total.Skipped += c.Skipped
		m.Total.Rejected += c.Rejected
		m.Total.Abandoned += c.Abandoned
		m.Total.Resumed += c.Resumed
		for code, n := range c.ByCode {
			m.Total.ByCode[code] += n
		}
		m.Requests += r.Requests.Total
		m.Retries += r.Requests.Retries
		m.RateLimited += r.Requests.RateLimited
	}
	m.Seconds = m.Duration.Seconds()
	m.RequestsPerRow = 0
	if m.Total.Read > 0 {
		m.RequestsPerRow = float64(m.Requests) / float64(m.Total.Read)
	}
}

// WriteJSON writes the report as indented JSON.
func (m *MigrationReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// WriteSummary writes the human summary: a table of outcomes per entity,
// rejections per code, requests, and where the reject files are.
func (m *MigrationReport) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	verb := "Migrated"
	switch {
	case m.DryRun:
		verb = "Dry run of the migration"
	case m.Interrupted:
		verb = "Interrupted migration"
	case m.Error != "":
		verb = "Failed migration"
	}
	from := ""
	if m.From != "" {
		from = " from " + m.From
	}
	ew.printf("%s%s: %d rows in %s\n", verb, from, m.Total.Read, m.Duration.Round(time.Millisecond))
	would := ""
	if m.DryRun {
		would = " (would be)"
	}
	ew.printf("  %-13s %8s %8s %8s %8s %8s %8s%s\n", "", "read", "created", "updated", "unchanged", "skipped", "rejected", would)
	for _, r := range m.Stages {
		c := r.Counts
		ew.printf("  %-13s %8d %8d %8d %8d %8d %8d\n", r.Entity, c.Read, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Rejected)
	}
	t := m.Total
	ew.printf("  %-13s %8d %8d %8d %8d %8d %8d\n", "total", t.Read, t.Created, t.Updated, t.Unchanged, t.Skipped, t.Rejected)
	if len(t.ByCode) > 0 {
		ew.printf("  rejected by code:\n")
		for _, code := range slices.Sorted(maps.Keys(t.ByCode)) {
			ew.printf("    %-24s %d\n", code, t.ByCode[code])
		}
	}
	if t.Abandoned > 0 {
		ew.printf("  abandoned %d rows (not finished; run the same command again to resume)\n", t.Abandoned)
	}
	if t.Resumed > 0 {
		ew.printf("  %d rows were done by an earlier run, according to the journals\n", t.Resumed)
	}
	if m.DanglingReferrers > 0 {
		ew.printf("  %d partners were imported without their referring partner (not in the partners input)\n", m.DanglingReferrers)
	}
	for _, r := range m.Stages {
		if r.DuplicateKeys > 0 {
			ew.printf("  warning: %d %s key(s) are held by more than one record in the program (created twice); review them\n", r.DuplicateKeys, r.Entity)
		}
	}
	ew.printf("  requests: %d (%.3f per row), retries %d, 429s %d\n", m.Requests, m.RequestsPerRow, m.Retries, m.RateLimited)
	for _, r := range m.Stages {
		if r.RejectsFile != "" && r.Counts.Rejected > 0 {
			ew.printf("  rejected %s written to %s\n", r.Entity, r.RejectsFile)
		}
	}
	if m.Error != "" {
		ew.printf("  error: %s\n", m.Error)
	}
	return ew.err
}
