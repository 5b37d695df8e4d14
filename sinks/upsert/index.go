package upsert

import (
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"sync"

	api "github.com/partnero-etl/partnero-etl/partnero"
)

// The indexes hold what the target has, learned from a full listing, as
// hashes of the compared fields rather than the values: memory grows by a
// few dozen bytes per target record, whatever the records hold. A 64-bit
// collision between two different values of one field is the only way a
// change could be missed (odds about 1 in 10^19 per comparison).

func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// hashTags hashes a tag set: order and case of the list do not matter.
func hashTags(tags []string) uint64 {
	norm := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" {
			norm = append(norm, t)
		}
	}
	slices.Sort(norm)
	norm = slices.Compact(norm)
	return hashString(strings.Join(norm, "\x00"))
}

// fieldHashes are the comparable fields of a partner or customer.
type fieldHashes struct {
	email, name, surname, tags, key uint64
	tagsKnown, keyKnown             bool
}

func partnerHashes(p *api.Partner, tagsKnown bool) fieldHashes {
	f := fieldHashes{
		email:     hashString(strings.ToLower(strings.TrimSpace(p.Email))),
		name:      hashString(p.Name),
		surname:   hashString(p.Surname),
		tags:      hashTags(p.Tags),
		tagsKnown: tagsKnown || p.Tags != nil,
	}
	if k := referralKey(p); k != "" {
		f.key, f.keyKnown = hashString(k), true
	}
	return f
}

// referralKey is a partner's referral key: the field when the answer has it,
// else the aff parameter of its referral link ("<site>?aff=<key>"), else of
// the first of its referral links that has one.
func referralKey(p *api.Partner) string {
	if p.Key != "" {
		return p.Key
	}
	for _, link := range append([]string{p.ReferralLink}, p.ReferralLinks...) {
		if k := affKey(link); k != "" {
			return k
		}
	}
	return ""
}

func affKey(link string) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return u.Query().Get("aff")
}

func customerHashes(c *api.Customer) fieldHashes {
	return fieldHashes{
		email:     hashString(strings.ToLower(strings.TrimSpace(c.Email))),
		name:      hashString(c.Name),
		surname:   hashString(c.Surname),
		tags:      hashTags(c.Tags),
		tagsKnown: c.Tags != nil,
	}
}

// partnerEntry is a target partner as the index knows it.
type partnerEntry struct {
	id string
	f  fieldHashes
}

type partnerIndex struct {
	mu      sync.Mutex
	byID    map[string]*partnerEntry
	byEmail map[uint64]*partnerEntry
}

func newPartnerIndex() *partnerIndex {
	return &partnerIndex{byID: map[string]*partnerEntry{}, byEmail: map[uint64]*partnerEntry{}}
}

func (ix *partnerIndex) add(p *api.Partner, tagsKnown bool) *partnerEntry {
	e := &partnerEntry{id: string(p.ID), f: partnerHashes(p, tagsKnown)}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.byID[e.id]; ok {
		delete(ix.byEmail, old.f.email)
	}
	ix.byID[e.id] = e
	ix.byEmail[e.f.email] = e
	return e
}

// find returns the entry of the partner with the record's identity: its id
// when it has one, else its email.
func (ix *partnerIndex) find(p *api.Partner) *partnerEntry {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if p.ID != "" {
		return ix.byID[string(p.ID)]
	}
	return ix.byEmail[hashString(strings.ToLower(strings.TrimSpace(p.Email)))]
}

func (ix *partnerIndex) len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.byID)
}

// customerEntry is a target customer as the index knows it.
type customerEntry struct {
	partner string // the partner's id
	f       fieldHashes
}

type customerIndex struct {
	mu    sync.Mutex
	byKey map[uint64]*customerEntry
	// byEmail, kept only when asked for (a transactions import, whose rows
	// may name their customer by email), maps an email's hash to the key of
	// the customer with that email: the key itself, since it is sent.
	byEmail map[uint64]emailKey
}

// emailKey is the customer an email names; n counts the distinct customers
// with that email (emails need not be unique among customers).
type emailKey struct {
	key string
	n   int
}

func newCustomerIndex(withEmails bool) *customerIndex {
	ix := &customerIndex{byKey: map[uint64]*customerEntry{}}
	if withEmails {
		ix.byEmail = map[uint64]emailKey{}
	}
	return ix
}

func (ix *customerIndex) add(c *api.Customer) *customerEntry {
	e := &customerEntry{f: customerHashes(c)}
	if c.Partner != nil {
		e.partner = string(c.Partner.ID)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.byKey[hashString(c.Key)] = e
	if ix.byEmail != nil && c.Key != "" && strings.TrimSpace(c.Email) != "" {
		h := e.f.email
		if old, ok := ix.byEmail[h]; !ok {
			ix.byEmail[h] = emailKey{key: c.Key, n: 1}
		} else if old.key != c.Key {
			ix.byEmail[h] = emailKey{key: old.key, n: old.n + 1}
		}
	}
	return e
}

// keyByEmail returns the key of the customer with this email and how many
// customers have it (0: none).
func (ix *customerIndex) keyByEmail(email string) (string, int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ek := ix.byEmail[hashString(strings.ToLower(strings.TrimSpace(email)))]
	return ek.key, ek.n
}

func (ix *customerIndex) find(key string) *customerEntry {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.byKey[hashString(key)]
}

func (ix *customerIndex) len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.byKey)
}

// txEntry is a target transaction as the index knows it: what a comparison
// with an input transaction needs.
type txEntry struct {
	customer uint64
	amount   uint64
	currency string
	action   uint64
	created  int64 // Unix seconds, 0 when unknown
}

func txEntryOf(t *api.Transaction) txEntry {
	e := txEntry{
		customer: hashString(t.Customer.Key),
		currency: strings.ToUpper(t.AmountUnits),
		action:   hashString(t.Action),
	}
	if t.Amount != nil {
		e.amount = hashString(t.Amount.String())
	}
	if t.CreatedAt != nil && !t.CreatedAt.IsZero() {
		e.created = t.CreatedAt.Unix()
	}
	return e
}

// same reports whether the input transaction in matches this target one: a
// field the input leaves empty, or the target does not report, matches.
func (e txEntry) same(in *api.Transaction) bool {
	if hashString(in.Customer.Key) != e.customer {
		return false
	}
	if in.Amount != nil && e.amount != 0 && hashString(in.Amount.String()) != e.amount {
		return false
	}
	if in.AmountUnits != "" && e.currency != "" && !strings.EqualFold(in.AmountUnits, e.currency) {
		return false
	}
	if in.Action != "" && e.action != hashString("") && hashString(in.Action) != e.action {
		return false
	}
	if in.CreatedAt != nil && !in.CreatedAt.IsZero() && e.created != 0 && in.CreatedAt.Unix() != e.created {
		return false
	}
	return true
}

type txIndex struct {
	mu    sync.Mutex
	byKey map[uint64][]txEntry
}

func newTxIndex() *txIndex { return &txIndex{byKey: map[uint64][]txEntry{}} }

func (ix *txIndex) add(t *api.Transaction) {
	e := txEntryOf(t)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	k := hashString(t.Key)
	ix.byKey[k] = append(ix.byKey[k], e)
}

func (ix *txIndex) find(key string) []txEntry {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.byKey[hashString(key)]
}

func (ix *txIndex) remove(key string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.byKey, hashString(key))
}

func (ix *txIndex) len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.byKey)
}
