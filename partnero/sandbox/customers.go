package sandbox

import (
	"slices"
	"strings"
)

// customerFilter reads the customer list filters: partner.key, partner.id,
// partner.email (any spelling), key and email.
func (c *call) customerFilter(f form) func(*customerRec) bool {
	pf := f.sub("partner")
	var keeps []func(*customerRec) bool
	if anyPresent(pf, "id", "key", "email") {
		r, _ := c.partnerRef(pf)
		if r == nil {
			return func(*customerRec) bool { return false }
		}
		keeps = append(keeps, func(x *customerRec) bool { return x.PartnerID == r.ID })
	}
	if key, ok := f.str("key", maxString, false); ok {
		keeps = append(keeps, func(x *customerRec) bool { return x.Key == key })
	}
	if email, ok := f.str("email", maxString, false); ok {
		keeps = append(keeps, func(x *customerRec) bool { return strings.EqualFold(x.Email, email) })
	}
	if len(keeps) == 0 {
		return nil
	}
	return func(x *customerRec) bool {
		for _, k := range keeps {
			if !k(x) {
				return false
			}
		}
		return true
	}
}

func listCustomers(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	keep := c.customerFilter(f)
	if !f.e.empty() {
		return f.e.response()
	}
	return paginate(c, pp, c.p.customers.sorted(), keep, customerView)
}

func searchCustomers(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	if !f.has("key") && !f.has("email") {
		f.e.add("email", "The email field is required when key is not present.")
	}
	keep := c.customerFilter(f)
	if !f.e.empty() {
		return f.e.response()
	}
	// Narrow by the indexes; keep still applies every filter given.
	items := c.p.customers.sorted()
	if key, _ := f.str("key", maxString, false); key != "" {
		items = nil
		if x := c.p.customerByKey[key]; x != nil {
			items = []*customerRec{x}
		}
	} else if email, _ := f.str("email", maxString, false); email != "" {
		items = c.p.customerByMail[strings.ToLower(email)]
	}
	return paginate(c, pp, items, keep, customerView)
}

func getCustomer(c *call) response {
	x := c.p.customerByKey[c.param(0)]
	if x == nil {
		return errCustomerNotFound()
	}
	return ok(customerView(x))
}

func createCustomer(c *call) response {
	f := c.form()
	// The legacy form nests the customer's fields under "customer", beside
	// "partner"; the current one has them at the top level.
	cf := f
	if f.isObject("customer") {
		cf = f.sub("customer")
	}
	key, _ := cf.str("key", maxKey, true)
	email, _ := cf.email("email", false)
	name, _ := cf.str("name", maxName, false)
	surname, _ := cf.str("surname", maxName, false)
	tags, _ := cf.tags("tags")
	partner, named := c.partnerRef(f.sub("partner"))
	if !named && f.e.empty() {
		if f.has("partner") && !f.isObject("partner") {
			f.e.add("partner", "The partner field must be an array.")
		} else {
			f.e.add("partner", "The partner field is required.")
		}
	}
	if !f.e.empty() {
		return f.e.response()
	}
	if partner == nil {
		return errInvalidPartnerKey()
	}
	if c.p.customerByKey[key] != nil {
		f.e.add(cf.name("key"), "Duplicate key")
		return f.e.response()
	}
	x := &customerRec{
		Seq: c.p.seq(), Key: key, PartnerID: partner.ID, Email: email, Name: name, Surname: surname,
		Tags: tags, Status: "active", CreatedAt: c.now, UpdatedAt: c.now,
	}
	c.p.addCustomer(x)
	return created(customerView(x))
}

var customerUpdateFields = []string{"email", "name", "surname", "key", "tags", "partner"}

func updateCustomer(c *call) response {
	f := c.form()
	var x *customerRec
	bodyIdentity := len(c.params) == 0
	if bodyIdentity {
		key, _ := f.str("key", maxKey, true)
		if !f.e.empty() {
			return f.e.response()
		}
		x = c.p.customerByKey[key]
	} else {
		x = c.p.customerByKey[c.param(0)]
	}
	if x == nil {
		return errCustomerNotFound()
	}
	u := updateFields(f, customerUpdateFields)
	wrapped := u.prefix != ""
	email, hasEmail := u.email("email", false)
	name, hasName := u.str("name", maxName, false)
	surname, hasSurname := u.str("surname", maxName, false)
	tags, hasTags := u.tags("tags")
	var newKey string
	var hasKey bool
	if wrapped || !bodyIdentity {
		newKey, hasKey = u.str("key", maxKey, false)
	}
	if pf := u.sub("partner"); u.has("partner") || anyPresent(pf, "id", "key", "email") {
		// The partner of a customer cannot be changed; naming the one it
		// already has is harmless.
		if r, _ := c.partnerRef(pf); r == nil || r.ID != x.PartnerID {
			f.e.add(u.name("partner"), "The partner of a customer cannot be changed.")
		}
	}
	if hasKey && newKey != x.Key && c.p.customerByKey[newKey] != nil {
		f.e.add(u.name("key"), "Duplicate key")
	}
	if !f.e.empty() {
		return f.e.response()
	}
	changed := hasEmail || hasName || hasSurname || hasTags
	if hasEmail {
		c.p.setCustomerEmail(x, email)
	}
	if hasName {
		x.Name = name
	}
	if hasSurname {
		x.Surname = surname
	}
	if hasTags {
		x.Tags = tags
	}
	if hasKey && newKey != x.Key {
		delete(c.p.customerByKey, x.Key)
		x.Key = newKey
		c.p.customerByKey[newKey] = x
		for _, t := range x.txs {
			t.CustomerKey = newKey
		}
		changed = true
	}
	if changed {
		x.UpdatedAt = c.now
	}
	return ok(customerView(x))
}

func deleteCustomer(c *call) response {
	x := c.p.customerByKey[c.param(0)]
	if x == nil {
		return errCustomerNotFound()
	}
	c.p.removeCustomer(x)
	return done()
}

// customerStatus handles suspend, approve, archive and revoke-archive.
// Archiving is a soft delete: the customer stays, marked deleted.
func customerStatus(action string) func(*call) response {
	return func(c *call) response {
		x := c.p.customerByKey[c.param(0)]
		if x == nil {
			return errCustomerNotFound()
		}
		switch action {
		case "suspend":
			if x.Status == "archived" {
				return errActionFailed()
			}
			x.Status = "suspended"
		case "approve":
			if x.Status == "archived" {
				return errActionFailed()
			}
			x.Status = "active"
		case "archive":
			if x.Status == "archived" {
				return errActionFailed()
			}
			now := c.now
			x.Status, x.DeletedAt = "archived", &now
		case "revoke-archive":
			if x.Status != "archived" {
				return errActionFailed()
			}
			x.Status, x.DeletedAt = "active", nil
		}
		x.UpdatedAt = c.now
		return done()
	}
}

func customerTransactions(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	if !f.e.empty() {
		return f.e.response()
	}
	x := c.p.customerByKey[c.param(0)]
	if x == nil {
		return errCustomerNotFound()
	}
	return paginate(c, pp, sortedTxs(x.txs), nil, transactionView)
}

// sortedTxs returns a sorted copy of a small list of transactions.
func sortedTxs(list []*transactionRec) []*transactionRec {
	out := slices.Clone(list)
	slices.SortFunc(out, compareRec[*transactionRec])
	return out
}
