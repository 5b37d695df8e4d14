package sandbox

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
)

var currencyCode = regexp.MustCompile(`^[A-Za-z]{3}$`)

// txInput is one validated transaction of a create.
type txInput struct {
	key         string
	amount      partnero.Decimal
	hasAmount   bool
	reward      partnero.Decimal
	hasReward   bool
	units       string
	action      string
	productID   string
	productType []string
	rewarded    bool
	rewardable  bool
	createdAt   time.Time
	hasCreated  bool
}

// readTx validates one transaction's fields at f ("" or "transactions.N.").
func readTx(f form) txInput {
	var t txInput
	t.key, _ = f.str("key", maxKey, false)
	t.amount, t.hasAmount = f.decimal("amount")
	t.reward, t.hasReward = f.decimal("reward")
	if !f.has("amount") && !f.has("reward") {
		f.e.add(f.name("amount"), fmt.Sprintf("The %s field is required when %s is not present.", display(f.name("amount")), display(f.name("reward"))))
	}
	if u, ok := f.str("amount_units", maxString, false); ok {
		if !currencyCode.MatchString(u) {
			f.e.add(f.name("amount_units"), fmt.Sprintf("The %s field must be a 3-letter currency code.", display(f.name("amount_units"))))
		}
		t.units = strings.ToUpper(u)
	}
	t.action, _ = f.str("action", maxString, false)
	t.productID, _ = f.str("product_id", maxString, false)
	t.productType, _ = f.stringList("product_type")
	t.rewarded = f.boolean("rewarded", false)
	t.rewardable = f.boolean("rewardable", true)
	t.createdAt, t.hasCreated = f.timestamp("created_at")
	return t
}

// createTransactions creates one transaction, or a batch for one customer
// (top-level customer and options, plus transactions[]). A batch is
// validated as a whole: any error rejects all of it, with errors keyed
// "transactions.N.field"; on success data is the array of created records.
func createTransactions(c *call) response {
	f := c.form()
	items, batch := f.list("transactions")
	if !f.e.empty() {
		return f.e.response()
	}
	if batch && len(items) == 0 {
		f.e.add("transactions", "The transactions field is required.")
		return f.e.response()
	}
	if batch && len(items) > MaxBatchTransactions {
		// Refused before any item is read: an unbounded batch would grow
		// the program by whatever one body holds.
		f.e.add("transactions", fmt.Sprintf("The transactions field must not have more than %d items.", MaxBatchTransactions))
		return f.e.response()
	}

	cf := f.sub("customer")
	createCustomer := f.boolean("options.create_customer", false)
	custKey, _ := cf.str("key", maxKey, false)
	custEmail, _ := cf.email("email", false)
	if f.has("customer") && !f.isObject("customer") {
		f.e.add("customer", "The customer field must be an array.")
	} else if custKey == "" && custEmail == "" && !f.e.has("customer.key") && !f.e.has("customer.email") {
		f.e.add("customer.key", "The customer.key field is required when customer.email is not present.")
	}

	var txs []txInput
	if batch {
		for i := range items {
			txs = append(txs, readTx(f.sub(fmt.Sprintf("transactions.%d", i))))
		}
	} else {
		txs = append(txs, readTx(f))
	}
	if c.strict {
		seen := map[string]bool{}
		for i, t := range txs {
			if t.key == "" {
				continue
			}
			if seen[t.key] || c.p.txByKey[t.key] != nil {
				name := "key"
				if batch {
					name = fmt.Sprintf("transactions.%d.key", i)
				}
				f.e.add(name, fmt.Sprintf("The %s has already been taken.", display(name)))
			}
			seen[t.key] = true
		}
	}

	cust := c.p.findCustomer(custKey, custEmail)
	var newCustomer *customerRec
	switch {
	case cust != nil || !f.e.empty():
	case createCustomer:
		if custKey == "" {
			f.e.add("customer.key", "The customer.key field is required when options.create customer is true.")
			break
		}
		name, _ := cf.str("name", maxName, false)
		surname, _ := cf.str("surname", maxName, false)
		tags, _ := cf.tags("tags")
		partner, named := c.partnerRef(cf.sub("partner"))
		if !named && f.e.empty() {
			f.e.add("customer.partner", "The customer.partner field is required when options.create customer is true.")
		}
		if !f.e.empty() {
			break
		}
		if partner == nil {
			return errInvalidPartnerKey()
		}
		newCustomer = &customerRec{
			Key: custKey, PartnerID: partner.ID, Email: custEmail, Name: name, Surname: surname,
			Tags: tags, Status: "active", CreatedAt: c.now, UpdatedAt: c.now,
		}
	case custKey != "":
		f.e.add("customer.key", "The selected customer.key is invalid.")
	default:
		f.e.add("customer.email", "The selected customer.email is invalid.")
	}
	if !f.e.empty() {
		return f.e.response()
	}

	if newCustomer != nil {
		newCustomer.Seq = c.p.seq()
		c.p.addCustomer(newCustomer)
		cust = newCustomer
	}
	out := make([]transactionOut, 0, len(txs))
	for _, in := range txs {
		t := c.newTransaction(cust, in)
		c.p.addTx(t)
		out = append(out, transactionView(t))
	}
	if batch {
		return created(out)
	}
	return created(out[0])
}

// newTransaction builds a transaction and its one reward: the reward given,
// or the amount times the program's commission, computed exactly.
func (c *call) newTransaction(cust *customerRec, in txInput) *transactionRec {
	t := &transactionRec{
		Seq: c.p.seq(), Key: in.key, CustomerKey: cust.Key, PartnerID: cust.PartnerID,
		Action: in.action, Amount: in.amount, AmountUnits: in.units, ProductID: in.productID,
		ProductType: in.productType, Rewarded: in.rewarded, Rewardable: in.rewardable, CreatedAt: c.now,
	}
	if t.Key == "" {
		t.Key = c.p.randomID("tx_", 16, func(s string) bool { return c.p.txByKey[s] != nil })
	}
	if t.Action == "" {
		t.Action = "sale"
	}
	if t.AmountUnits == "" {
		t.AmountUnits = defaultCurrency
	}
	if !in.hasAmount {
		t.Amount = partnero.MustDecimal("0")
	}
	if in.hasCreated {
		t.CreatedAt = in.createdAt
	}
	if in.rewardable {
		amount := in.reward
		if !in.hasReward {
			r := in.amount.Rat()
			r.Mul(r, partnero.MustDecimal(c.commission).Rat())
			amount = ratDecimal(r)
		}
		t.Reward = &rewardRec{
			Key:    c.p.randomID("rw_", 16, func(string) bool { return false }),
			Amount: amount,
			Status: "ok",
		}
	}
	return t
}

func listTransactions(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	key, hasKey := f.str("key", maxString, false)
	custKey, hasCust := f.sub("customer").str("key", maxString, false)
	pf := f.sub("partner")
	var partner *partnerRec
	hasPartner := anyPresent(pf, "id", "key", "email")
	if hasPartner {
		partner, _ = c.partnerRef(pf)
	}
	if !f.e.empty() {
		return f.e.response()
	}
	items := c.p.transactions.sorted()
	switch {
	case hasPartner && partner == nil:
		items = nil
	case hasKey:
		items = sortedTxs(c.p.txByKey[key])
	case hasCust:
		items = nil
		if x := c.p.customerByKey[custKey]; x != nil {
			items = sortedTxs(x.txs)
		}
	}
	var keep func(*transactionRec) bool
	if hasKey || hasCust || hasPartner {
		keep = func(t *transactionRec) bool {
			return (!hasKey || t.Key == key) && (!hasCust || t.CustomerKey == custKey) && (!hasPartner || t.PartnerID == partner.ID)
		}
	}
	return paginate(c, pp, items, keep, transactionView)
}

func getTransaction(c *call) response {
	list := c.p.txByKey[c.param(0)]
	if len(list) == 0 {
		return errTransactionNotFound()
	}
	return ok(transactionView(list[0]))
}

// deleteTransaction deletes every transaction with the key (keys repeat
// when duplicates were accepted), reversing their commissions.
func deleteTransaction(c *call) response {
	list := c.p.txByKey[c.param(0)]
	if len(list) == 0 {
		return errTransactionNotFound()
	}
	c.p.removeTxs(list)
	return done()
}

func archiveTransaction(archive bool) func(*call) response {
	return func(c *call) response {
		list := c.p.txByKey[c.param(0)]
		if len(list) == 0 {
			return errTransactionNotFound()
		}
		changed := false
		for _, t := range list {
			switch {
			case archive && t.DeletedAt == nil:
				now := c.now
				t.DeletedAt, changed = &now, true
			case !archive && t.DeletedAt != nil:
				t.DeletedAt, changed = nil, true
			}
		}
		if !changed {
			return errActionFailed()
		}
		return done()
	}
}

// ratDecimal converts an exact product of decimals back to a Decimal,
// rounding only beyond 40 fractional digits.
func ratDecimal(r *big.Rat) partnero.Decimal {
	if d, err := partnero.ParseDecimal(r.FloatString(80)); err == nil {
		return d
	}
	d, _ := partnero.ParseDecimal(r.FloatString(40))
	return d
}
