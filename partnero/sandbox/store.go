package sandbox

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// program is the data of one API key: Partnero gives every program its own
// key, and nothing is shared between programs. mu guards everything below it.
type program struct {
	key     string
	PubID   string `json:"pub_id"`
	Name    string `json:"name"`
	Website string `json:"website"`

	mu  sync.Mutex
	ids *rand.Rand // generated ids and keys; seeded for reproducible runs
	pcg *rand.PCG  // ids' source, whose state the data log records
	// appliedSeq is the data log's sequence number of the last write this
	// program holds: a replay skips what a saved snapshot already has.
	appliedSeq int64
	NextSeq    int64 `json:"next_seq"`
	NextLink   int64 `json:"next_link"`

	partners      ordered[*partnerRec]
	partnerByID   map[string]*partnerRec
	partnerByKey  map[string]*partnerRec
	partnerByMail map[string]*partnerRec // lower-cased email

	customers      ordered[*customerRec]
	customerByKey  map[string]*customerRec
	customerByMail map[string][]*customerRec // lower-cased email; not unique, oldest first

	transactions ordered[*transactionRec]
	txByKey      map[string][]*transactionRec // insertion order; keys may repeat

	limiter limiter
}

type partnerRec struct {
	Seq              int64     `json:"seq"`
	ID               string    `json:"id"`
	Email            string    `json:"email"`
	Name             string    `json:"name,omitempty"`
	Surname          string    `json:"surname,omitempty"`
	Key              string    `json:"key"`
	Password         string    `json:"password,omitempty"`
	Tags             []string  `json:"tags,omitempty"`
	ReferringPartner string    `json:"referring_partner,omitempty"`
	Status           string    `json:"status"`
	LinkID           int64     `json:"link_id"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

type customerRec struct {
	Seq       int64      `json:"seq"`
	Key       string     `json:"key"`
	PartnerID string     `json:"partner"`
	Email     string     `json:"email,omitempty"`
	Name      string     `json:"name,omitempty"`
	Surname   string     `json:"surname,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`

	txs []*transactionRec // insertion order
}

type transactionRec struct {
	Seq         int64            `json:"seq"`
	Key         string           `json:"key"`
	CustomerKey string           `json:"customer"`
	PartnerID   string           `json:"partner"`
	Action      string           `json:"action"`
	Amount      partnero.Decimal `json:"amount"`
	AmountUnits string           `json:"amount_units"`
	ProductID   string           `json:"product_id,omitempty"`
	ProductType []string         `json:"product_type,omitempty"`
	Rewarded    bool             `json:"rewarded"`
	Rewardable  bool             `json:"rewardable"`
	Reward      *rewardRec       `json:"reward,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	DeletedAt   *time.Time       `json:"deleted_at,omitempty"`
}

type rewardRec struct {
	Key    string           `json:"key"`
	Amount partnero.Decimal `json:"amount"`
	Status string           `json:"status"`
}

func (p *partnerRec) order() (time.Time, int64)     { return p.CreatedAt, p.Seq }
func (c *customerRec) order() (time.Time, int64)    { return c.CreatedAt, c.Seq }
func (t *transactionRec) order() (time.Time, int64) { return t.CreatedAt, t.Seq }

type orderedRec interface {
	comparable
	order() (time.Time, int64)
}

// compareRec orders records oldest first, ties by insertion order.
func compareRec[T orderedRec](a, b T) int {
	ta, sa := a.order()
	tb, sb := b.order()
	if c := ta.Compare(tb); c != 0 {
		return c
	}
	return cmp.Compare(sa, sb)
}

// ordered keeps records sorted oldest first. Appends in order are O(1); a
// backdated record marks the slice unsorted and the next read sorts it once,
// so a migration of backdated transactions costs one sort, not n inserts.
type ordered[T orderedRec] struct {
	items []T
	dirty bool
}

func (o *ordered[T]) add(x T) {
	if n := len(o.items); n > 0 && compareRec(x, o.items[n-1]) < 0 {
		o.dirty = true
	}
	o.items = append(o.items, x)
}

func (o *ordered[T]) remove(drop func(T) bool) {
	o.items = slices.DeleteFunc(o.items, drop)
}

func (o *ordered[T]) sorted() []T {
	if o.dirty {
		slices.SortFunc(o.items, compareRec[T])
		o.dirty = false
	}
	return o.items
}

func (o *ordered[T]) len() int { return len(o.items) }

func newProgram(key, pubID, name string, seed uint64) *program {
	p := &program{key: key, PubID: pubID, Name: name, Website: "https://" + pubID + ".example.com/"}
	p.pcg = rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	p.ids = rand.New(p.pcg)
	p.reset()
	return p
}

// reset empties the program's records (mu held or not yet shared).
func (p *program) reset() {
	p.partners = ordered[*partnerRec]{}
	p.partnerByID = map[string]*partnerRec{}
	p.partnerByKey = map[string]*partnerRec{}
	p.partnerByMail = map[string]*partnerRec{}
	p.customers = ordered[*customerRec]{}
	p.customerByKey = map[string]*customerRec{}
	p.customerByMail = map[string][]*customerRec{}
	p.transactions = ordered[*transactionRec]{}
	p.txByKey = map[string][]*transactionRec{}
}

func (p *program) seq() int64 {
	p.NextSeq++
	return p.NextSeq
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns an unused identifier of n characters.
func (p *program) randomID(prefix string, n int, taken func(string) bool) string {
	for {
		var b strings.Builder
		b.WriteString(prefix)
		for range n {
			b.WriteByte(idAlphabet[p.ids.IntN(len(idAlphabet))])
		}
		if s := b.String(); !taken(s) {
			return s
		}
	}
}

func (p *program) addPartner(r *partnerRec) {
	p.partners.add(r)
	p.partnerByID[r.ID] = r
	p.partnerByKey[r.Key] = r
	p.partnerByMail[strings.ToLower(r.Email)] = r
}

func (p *program) removePartner(r *partnerRec) {
	p.partners.remove(func(x *partnerRec) bool { return x == r })
	delete(p.partnerByID, r.ID)
	delete(p.partnerByKey, r.Key)
	delete(p.partnerByMail, strings.ToLower(r.Email))
}

func (p *program) addCustomer(c *customerRec) {
	p.customers.add(c)
	p.customerByKey[c.Key] = c
	p.indexCustomerMail(c)
}

func (p *program) indexCustomerMail(c *customerRec) {
	if c.Email == "" {
		return
	}
	m := strings.ToLower(c.Email)
	list := append(p.customerByMail[m], c)
	slices.SortFunc(list, compareRec[*customerRec])
	p.customerByMail[m] = list
}

func (p *program) unindexCustomerMail(c *customerRec) {
	if c.Email == "" {
		return
	}
	m := strings.ToLower(c.Email)
	list := slices.DeleteFunc(p.customerByMail[m], func(x *customerRec) bool { return x == c })
	if len(list) == 0 {
		delete(p.customerByMail, m)
	} else {
		p.customerByMail[m] = list
	}
}

// setCustomerEmail changes a customer's email, keeping the index in step.
func (p *program) setCustomerEmail(c *customerRec, email string) {
	p.unindexCustomerMail(c)
	c.Email = email
	p.indexCustomerMail(c)
}

func (p *program) removeCustomer(c *customerRec) {
	p.customers.remove(func(x *customerRec) bool { return x == c })
	delete(p.customerByKey, c.Key)
	p.unindexCustomerMail(c)
	if len(c.txs) > 0 {
		gone := make(map[*transactionRec]bool, len(c.txs))
		for _, t := range c.txs {
			gone[t] = true
			p.unindexTx(t)
		}
		p.transactions.remove(func(x *transactionRec) bool { return gone[x] })
		c.txs = nil
	}
}

func (p *program) addTx(t *transactionRec) {
	p.transactions.add(t)
	p.txByKey[t.Key] = append(p.txByKey[t.Key], t)
	if c := p.customerByKey[t.CustomerKey]; c != nil {
		c.txs = append(c.txs, t)
	}
}

func (p *program) unindexTx(t *transactionRec) {
	list := slices.DeleteFunc(p.txByKey[t.Key], func(x *transactionRec) bool { return x == t })
	if len(list) == 0 {
		delete(p.txByKey, t.Key)
	} else {
		p.txByKey[t.Key] = list
	}
}

func (p *program) removeTxs(list []*transactionRec) {
	gone := make(map[*transactionRec]bool, len(list))
	for _, t := range list {
		gone[t] = true
		p.unindexTx(t)
		if c := p.customerByKey[t.CustomerKey]; c != nil {
			c.txs = slices.DeleteFunc(c.txs, func(x *transactionRec) bool { return x == t })
		}
	}
	p.transactions.remove(func(x *transactionRec) bool { return gone[x] })
}

// findPartner resolves a partner reference by id, key or email, in that order
// of preference; ok is false when the reference names no identity at all.
func (p *program) findPartner(id, key, email string) (r *partnerRec, named bool) {
	switch {
	case id != "":
		return p.partnerByID[id], true
	case key != "":
		return p.partnerByKey[key], true
	case email != "":
		return p.partnerByMail[strings.ToLower(email)], true
	}
	return nil, false
}

// findCustomer resolves a customer by key, else by email (the oldest match).
func (p *program) findCustomer(key, email string) *customerRec {
	if key != "" {
		return p.customerByKey[key]
	}
	if list := p.customerByMail[strings.ToLower(email)]; email != "" && len(list) > 0 {
		return list[0]
	}
	return nil
}

// snapshot is the on-disk form of a program.
type snapshot struct {
	Key          string            `json:"key"`
	PubID        string            `json:"pub_id"`
	Name         string            `json:"name"`
	Website      string            `json:"website"`
	NextSeq      int64             `json:"next_seq"`
	NextLink     int64             `json:"next_link"`
	AppliedSeq   int64             `json:"applied_seq,omitempty"`
	RNG          []byte            `json:"rng,omitempty"` // id generator state
	Partners     []*partnerRec     `json:"partners"`
	Customers    []*customerRec    `json:"customers"`
	Transactions []*transactionRec `json:"transactions"`
}

// snapshot copies the program's records for saving (mu held).
func (p *program) snapshot() snapshot {
	return snapshot{
		Key: p.key, PubID: p.PubID, Name: p.Name, Website: p.Website,
		NextSeq: p.NextSeq, NextLink: p.NextLink, AppliedSeq: p.appliedSeq, RNG: rngState(p.pcg),
		Partners:     slices.Clone(p.partners.sorted()),
		Customers:    slices.Clone(p.customers.sorted()),
		Transactions: slices.Clone(p.transactions.sorted()),
	}
}

// restore replaces the program's records with a saved snapshot.
func (p *program) restore(s snapshot) {
	p.reset()
	p.PubID, p.Name, p.Website = s.PubID, s.Name, s.Website
	p.NextSeq, p.NextLink = s.NextSeq, s.NextLink
	p.appliedSeq = s.AppliedSeq
	if len(s.RNG) > 0 {
		// Ids and keys go on from where they were, not from the seed (a
		// reward key, drawn without a check, would repeat).
		_ = p.pcg.UnmarshalBinary(s.RNG)
	}
	for _, r := range s.Partners {
		if r != nil {
			p.addPartner(r)
		}
	}
	for _, c := range s.Customers {
		if c != nil {
			p.addCustomer(c)
		}
	}
	for _, t := range s.Transactions {
		if t != nil {
			p.addTx(t)
		}
	}
}

func rngState(g interface{ MarshalBinary() ([]byte, error) }) []byte {
	b, _ := g.MarshalBinary()
	return b
}
