package mapping

import (
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// kind is the type of a Partnero field: it decides how a value is parsed,
// normalised and validated, and which mapping options apply.
type kind int

const (
	kText     kind = iota // free text up to max characters
	kKey                  // an identity: no spaces or control characters, up to max
	kEmail                // an email address, trimmed and lower-cased
	kCurrency             // an ISO 4217 code, upper-cased
	kMoney                // a decimal amount (money option: decimal or minor units)
	kTime                 // an instant (time option), held in UTC
	kBool                 // true/false, yes/no, 1/0
	kList                 // a list of texts (split option), each up to max
)

func (k kind) String() string {
	switch k {
	case kText:
		return "text"
	case kKey:
		return "key"
	case kEmail:
		return "email"
	case kCurrency:
		return "currency"
	case kMoney:
		return "decimal"
	case kTime:
		return "time"
	case kBool:
		return "boolean"
	case kList:
		return "list"
	}
	return "unknown"
}

// Partnero's limits (its own CSV importer's, assumed for the API).
const (
	maxKey   = 64
	maxName  = 100
	maxOther = 255
)

// value is one field's parsed value, handed to a field's setter.
type value struct {
	s    string
	list []string
	d    partnero.Decimal
	t    time.Time
	b    bool
}

// builder holds the record under construction. It lives in the same
// allocation as the record and the values the record points to (see the
// *Block types): a mapped row costs one allocation, plus the strings a
// transform had to build.
type builder struct {
	p *partnero.Partner
	c *partnero.Customer
	t *partnero.Transaction

	amount, reward *partnero.Decimal
	created        *partnero.Time
	rewarded       *bool
	rewardable     *bool
	pref           *partnero.PartnerRef

	sourceID, parentSourceID string
	// set has bit i set when field i of the entity's table got a value.
	set uint64
	// val is the scratch value handed to setters (an indirect call would
	// move a local to the heap).
	val value
}

type block struct {
	row  record.Row
	b    builder
	pref partnero.PartnerRef
}

type partnerBlock struct {
	block
	p partnero.Partner
}

type customerBlock struct {
	block
	c partnero.Customer
}

type transactionBlock struct {
	block
	t              partnero.Transaction
	amount, reward partnero.Decimal
	created        partnero.Time
	bools          [2]bool
}

// newBlock allocates the row copy, builder and record of one entity at once.
func newBlock(e record.Entity, row record.Row) *block {
	var blk *block
	switch e {
	case record.Partners:
		pb := &partnerBlock{}
		blk = &pb.block
		blk.b.p = &pb.p
	case record.Customers:
		cb := &customerBlock{}
		blk = &cb.block
		blk.b.c = &cb.c
	default:
		tb := &transactionBlock{}
		blk = &tb.block
		b := &blk.b
		b.t, b.amount, b.reward, b.created = &tb.t, &tb.amount, &tb.reward, &tb.created
		b.rewarded, b.rewardable = &tb.bools[0], &tb.bools[1]
	}
	blk.row = row
	blk.b.pref = &blk.pref
	return blk
}

// fieldDef describes one Partnero field an input can feed.
type fieldDef struct {
	name  string
	kind  kind
	max   int // characters, for texts, keys and list items
	set   func(b *builder, v *value)
	alias string // another accepted name (amount_units for currency)
}

func partnerRef(b *builder, ref **partnero.PartnerRef) *partnero.PartnerRef {
	if *ref == nil {
		*ref = b.pref
	}
	return *ref
}

var partnerFields = []fieldDef{
	{name: "id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.p.ID = partnero.ID(v.s) }},
	{name: "email", kind: kEmail, max: maxOther, set: func(b *builder, v *value) { b.p.Email = v.s }},
	{name: "name", kind: kText, max: maxName, set: func(b *builder, v *value) { b.p.Name = v.s }},
	{name: "surname", kind: kText, max: maxName, set: func(b *builder, v *value) { b.p.Surname = v.s }},
	{name: "key", kind: kKey, max: maxKey, set: func(b *builder, v *value) { b.p.Key = v.s }},
	{name: "password", kind: kText, max: maxOther, set: func(b *builder, v *value) { b.p.Password = v.s }},
	{name: "tags", kind: kList, max: maxOther, set: func(b *builder, v *value) { b.p.Tags = v.list }},
	{name: "referring_partner.id", kind: kKey, max: maxOther, set: func(b *builder, v *value) {
		partnerRef(b, &b.p.ReferringPartner).ID = partnero.ID(v.s)
	}},
	{name: "referring_partner.key", kind: kKey, max: maxKey, set: func(b *builder, v *value) {
		partnerRef(b, &b.p.ReferringPartner).Key = v.s
	}},
	{name: "referring_partner.email", kind: kEmail, max: maxOther, set: func(b *builder, v *value) {
		partnerRef(b, &b.p.ReferringPartner).Email = v.s
	}},
	{name: "referring_partner.source_id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.parentSourceID = v.s }},
	{name: "source_id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.sourceID = v.s }},
}

var customerFields = []fieldDef{
	{name: "key", kind: kKey, max: maxKey, set: func(b *builder, v *value) { b.c.Key = v.s }},
	{name: "email", kind: kEmail, max: maxOther, set: func(b *builder, v *value) { b.c.Email = v.s }},
	{name: "name", kind: kText, max: maxName, set: func(b *builder, v *value) { b.c.Name = v.s }},
	{name: "surname", kind: kText, max: maxName, set: func(b *builder, v *value) { b.c.Surname = v.s }},
	{name: "tags", kind: kList, max: maxOther, set: func(b *builder, v *value) { b.c.Tags = v.list }},
	{name: "partner.id", kind: kKey, max: maxOther, set: func(b *builder, v *value) {
		partnerRef(b, &b.c.Partner).ID = partnero.ID(v.s)
	}},
	{name: "partner.key", kind: kKey, max: maxKey, set: func(b *builder, v *value) {
		partnerRef(b, &b.c.Partner).Key = v.s
	}},
	{name: "partner.email", kind: kEmail, max: maxOther, set: func(b *builder, v *value) {
		partnerRef(b, &b.c.Partner).Email = v.s
	}},
	{name: "partner.source_id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.parentSourceID = v.s }},
	{name: "source_id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.sourceID = v.s }},
}

var transactionFields = []fieldDef{
	{name: "key", kind: kKey, max: maxKey, set: func(b *builder, v *value) { b.t.Key = v.s }},
	// currency comes before the money fields: minor units need its exponent.
	{name: "currency", alias: "amount_units", kind: kCurrency, set: func(b *builder, v *value) { b.t.AmountUnits = v.s }},
	{name: "amount", kind: kMoney, set: func(b *builder, v *value) {
		*b.amount = v.d
		b.t.Amount = b.amount
	}},
	{name: "reward", kind: kMoney, set: func(b *builder, v *value) {
		*b.reward = v.d
		b.t.Reward = b.reward
	}},
	{name: "action", kind: kText, max: maxOther, set: func(b *builder, v *value) { b.t.Action = v.s }},
	{name: "product_id", kind: kText, max: maxOther, set: func(b *builder, v *value) { b.t.ProductID = v.s }},
	{name: "product_type", kind: kList, max: maxOther, set: func(b *builder, v *value) { b.t.ProductType = v.list }},
	{name: "rewarded", kind: kBool, set: func(b *builder, v *value) {
		*b.rewarded = v.b
		b.t.Rewarded = b.rewarded
	}},
	{name: "rewardable", kind: kBool, set: func(b *builder, v *value) {
		*b.rewardable = v.b
		b.t.Rewardable = b.rewardable
	}},
	{name: "created_at", kind: kTime, set: func(b *builder, v *value) {
		*b.created = partnero.Time{Time: v.t}
		b.t.CreatedAt = b.created
	}},
	{name: "customer.key", kind: kKey, max: maxKey, set: func(b *builder, v *value) { b.t.Customer.Key = v.s }},
	{name: "customer.email", kind: kEmail, max: maxOther, set: func(b *builder, v *value) { b.t.Customer.Email = v.s }},
	{name: "customer.name", kind: kText, max: maxName, set: func(b *builder, v *value) { b.t.Customer.Name = v.s }},
	{name: "customer.surname", kind: kText, max: maxName, set: func(b *builder, v *value) { b.t.Customer.Surname = v.s }},
	{name: "customer.partner.id", kind: kKey, max: maxOther, set: func(b *builder, v *value) {
		partnerRef(b, &b.t.Customer.Partner).ID = partnero.ID(v.s)
	}},
	{name: "customer.partner.key", kind: kKey, max: maxKey, set: func(b *builder, v *value) {
		partnerRef(b, &b.t.Customer.Partner).Key = v.s
	}},
	{name: "customer.partner.email", kind: kEmail, max: maxOther, set: func(b *builder, v *value) {
		partnerRef(b, &b.t.Customer.Partner).Email = v.s
	}},
	{name: "customer.partner.source_id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.parentSourceID = v.s }},
	{name: "source_id", kind: kKey, max: maxOther, set: func(b *builder, v *value) { b.sourceID = v.s }},
}

// fieldsOf returns the field table of an entity, nil for one mapping does not
// handle.
func fieldsOf(e record.Entity) []fieldDef {
	switch e {
	case record.Partners:
		return partnerFields
	case record.Customers:
		return customerFields
	case record.Transactions:
		return transactionFields
	}
	return nil
}

// lookupField finds a field by name or alias; -1 when unknown.
func lookupField(defs []fieldDef, name string) int {
	for i := range defs {
		if defs[i].name == name || (defs[i].alias != "" && defs[i].alias == name) {
			return i
		}
	}
	return -1
}

func fieldIndex(defs []fieldDef, name string) int {
	i := lookupField(defs, name)
	if i < 0 {
		panic("mapping: no field " + name)
	}
	return i
}
