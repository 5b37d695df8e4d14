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

// value is one field's parsed value, handed to the setter.
type value struct {
	s    string
	list []string
	d    partnero.Decimal
	t    time.Time
	b    bool
}

// builder fills in the record under construction. It lives on the caller's
// stack; the record and the values it points to live in one allocation (the
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

	sourceID, parentSourceID, customerSourceID string
	// set has bit i set when field i of the entity's table got a value.
	set uint64
	// leftOut has bit i set when field i's value was left out because it
	// was in another currency than the transaction (money.currency).
	leftOut uint64
}

type block struct {
	row  record.Row
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

// newBlock allocates the row copy and the record of one entity at once and
// points b at them.
func newBlock(e record.Entity, row record.Row, b *builder) *block {
	var blk *block
	switch e {
	case record.Partners:
		pb := &partnerBlock{}
		blk = &pb.block
		b.p = &pb.p
	case record.Customers:
		cb := &customerBlock{}
		blk = &cb.block
		b.c = &cb.c
	default:
		tb := &transactionBlock{}
		blk = &tb.block
		b.t, b.amount, b.reward, b.created = &tb.t, &tb.amount, &tb.reward, &tb.created
		b.rewarded, b.rewardable = &tb.bools[0], &tb.bools[1]
	}
	blk.row = row
	b.pref = &blk.pref
	return blk
}

// fieldID names a settable field. A switch on it, rather than a function
// value per field, keeps the builder and the parsed value on the stack.
type fieldID int

const (
	fPartnerID fieldID = iota
	fPartnerEmail
	fPartnerName
	fPartnerSurname
	fPartnerKey
	fPartnerPassword
	fPartnerTags
	fReferringID
	fReferringKey
	fReferringEmail
	fParentSourceID
	fSourceID
	fCustomerKey
	fCustomerEmail
	fCustomerName
	fCustomerSurname
	fCustomerTags
	fCustomerPartnerID
	fCustomerPartnerKey
	fCustomerPartnerEmail
	fTxKey
	fTxCurrency
	fTxAmount
	fTxReward
	fTxAction
	fTxProductID
	fTxProductType
	fTxRewarded
	fTxRewardable
	fTxCreatedAt
	fTxCustomerKey
	fTxCustomerEmail
	fTxCustomerName
	fTxCustomerSurname
	fTxPartnerID
	fTxPartnerKey
	fTxPartnerEmail
	fTxCustomerSourceID
)

func partnerRef(b *builder, ref **partnero.PartnerRef) *partnero.PartnerRef {
	if *ref == nil {
		*ref = b.pref
	}
	return *ref
}

// setField stores a parsed value into the record.
func (b *builder) setField(id fieldID, v *value) {
	switch id {
	case fPartnerID:
		b.p.ID = partnero.ID(v.s)
	case fPartnerEmail:
		b.p.Email = v.s
	case fPartnerName:
		b.p.Name = v.s
	case fPartnerSurname:
		b.p.Surname = v.s
	case fPartnerKey:
		b.p.Key = v.s
	case fPartnerPassword:
		b.p.Password = v.s
	case fPartnerTags:
		b.p.Tags = v.list
	case fReferringID:
		partnerRef(b, &b.p.ReferringPartner).ID = partnero.ID(v.s)
	case fReferringKey:
		partnerRef(b, &b.p.ReferringPartner).Key = v.s
	case fReferringEmail:
		partnerRef(b, &b.p.ReferringPartner).Email = v.s
	case fParentSourceID:
		b.parentSourceID = v.s
	case fSourceID:
		b.sourceID = v.s
	case fTxCustomerSourceID:
		b.customerSourceID = v.s
	case fCustomerKey:
		b.c.Key = v.s
	case fCustomerEmail:
		b.c.Email = v.s
	case fCustomerName:
		b.c.Name = v.s
	case fCustomerSurname:
		b.c.Surname = v.s
	case fCustomerTags:
		b.c.Tags = v.list
	case fCustomerPartnerID:
		partnerRef(b, &b.c.Partner).ID = partnero.ID(v.s)
	case fCustomerPartnerKey:
		partnerRef(b, &b.c.Partner).Key = v.s
	case fCustomerPartnerEmail:
		partnerRef(b, &b.c.Partner).Email = v.s
	case fTxKey:
		b.t.Key = v.s
	case fTxCurrency:
		b.t.AmountUnits = v.s
	case fTxAmount:
		*b.amount = v.d
		b.t.Amount = b.amount
	case fTxReward:
		*b.reward = v.d
		b.t.Reward = b.reward
	case fTxAction:
		b.t.Action = v.s
	case fTxProductID:
		b.t.ProductID = v.s
	case fTxProductType:
		b.t.ProductType = v.list
	case fTxRewarded:
		*b.rewarded = v.b
		b.t.Rewarded = b.rewarded
	case fTxRewardable:
		*b.rewardable = v.b
		b.t.Rewardable = b.rewardable
	case fTxCreatedAt:
		*b.created = partnero.Time{Time: v.t}
		b.t.CreatedAt = b.created
	case fTxCustomerKey:
		b.t.Customer.Key = v.s
	case fTxCustomerEmail:
		b.t.Customer.Email = v.s
	case fTxCustomerName:
		b.t.Customer.Name = v.s
	case fTxCustomerSurname:
		b.t.Customer.Surname = v.s
	case fTxPartnerID:
		partnerRef(b, &b.t.Customer.Partner).ID = partnero.ID(v.s)
	case fTxPartnerKey:
		partnerRef(b, &b.t.Customer.Partner).Key = v.s
	case fTxPartnerEmail:
		partnerRef(b, &b.t.Customer.Partner).Email = v.s
	}
}

// fieldDef describes one Partnero field an input can feed.
type fieldDef struct {
	name  string
	kind  kind
	max   int // characters, for texts, keys and list items
	id    fieldID
	alias string // another accepted name (amount_units for currency)
	// referral marks a partner's referral key: it travels in links
	// (?aff=key), so characters a query string gives meaning to are refused.
	referral bool
}

var partnerFields = []fieldDef{
	{name: "id", kind: kKey, max: maxOther, id: fPartnerID},
	{name: "email", kind: kEmail, max: maxOther, id: fPartnerEmail},
	{name: "name", kind: kText, max: maxName, id: fPartnerName},
	{name: "surname", kind: kText, max: maxName, id: fPartnerSurname},
	{name: "key", kind: kKey, max: maxKey, id: fPartnerKey, referral: true},
	{name: "password", kind: kText, max: maxOther, id: fPartnerPassword},
	{name: "tags", kind: kList, max: maxOther, id: fPartnerTags},
	{name: "referring_partner.id", kind: kKey, max: maxOther, id: fReferringID},
	{name: "referring_partner.key", kind: kKey, max: maxKey, id: fReferringKey, referral: true},
	{name: "referring_partner.email", kind: kEmail, max: maxOther, id: fReferringEmail},
	{name: "referring_partner.source_id", kind: kKey, max: maxOther, id: fParentSourceID},
	{name: "source_id", kind: kKey, max: maxOther, id: fSourceID},
}

var customerFields = []fieldDef{
	{name: "key", kind: kKey, max: maxKey, id: fCustomerKey},
	{name: "email", kind: kEmail, max: maxOther, id: fCustomerEmail},
	{name: "name", kind: kText, max: maxName, id: fCustomerName},
	{name: "surname", kind: kText, max: maxName, id: fCustomerSurname},
	{name: "tags", kind: kList, max: maxOther, id: fCustomerTags},
	{name: "partner.id", kind: kKey, max: maxOther, id: fCustomerPartnerID},
	{name: "partner.key", kind: kKey, max: maxKey, id: fCustomerPartnerKey, referral: true},
	{name: "partner.email", kind: kEmail, max: maxOther, id: fCustomerPartnerEmail},
	{name: "partner.source_id", kind: kKey, max: maxOther, id: fParentSourceID},
	{name: "source_id", kind: kKey, max: maxOther, id: fSourceID},
}

var transactionFields = []fieldDef{
	{name: "key", kind: kKey, max: maxKey, id: fTxKey},
	// currency comes before the money fields: minor units need its exponent.
	{name: "currency", alias: "amount_units", kind: kCurrency, id: fTxCurrency},
	{name: "amount", kind: kMoney, id: fTxAmount},
	{name: "reward", kind: kMoney, id: fTxReward},
	{name: "action", kind: kText, max: maxOther, id: fTxAction},
	{name: "product_id", kind: kText, max: maxOther, id: fTxProductID},
	{name: "product_type", kind: kList, max: maxOther, id: fTxProductType},
	{name: "rewarded", kind: kBool, id: fTxRewarded},
	{name: "rewardable", kind: kBool, id: fTxRewardable},
	{name: "created_at", kind: kTime, id: fTxCreatedAt},
	{name: "customer.key", kind: kKey, max: maxKey, id: fTxCustomerKey},
	{name: "customer.email", kind: kEmail, max: maxOther, id: fTxCustomerEmail},
	{name: "customer.name", kind: kText, max: maxName, id: fTxCustomerName},
	{name: "customer.surname", kind: kText, max: maxName, id: fTxCustomerSurname},
	{name: "customer.partner.id", kind: kKey, max: maxOther, id: fTxPartnerID},
	{name: "customer.partner.key", kind: kKey, max: maxKey, id: fTxPartnerKey, referral: true},
	{name: "customer.partner.email", kind: kEmail, max: maxOther, id: fTxPartnerEmail},
	{name: "customer.partner.source_id", kind: kKey, max: maxOther, id: fParentSourceID},
	// The customer's own id on the old platform: a migration joins the
	// transaction to the customers file's source_id through it.
	{name: "customer.source_id", kind: kKey, max: maxOther, id: fTxCustomerSourceID},
	{name: "source_id", kind: kKey, max: maxOther, id: fSourceID},
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
