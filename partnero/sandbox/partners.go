package sandbox

import (
	"net/http"
	"strings"
)

func handleTest(c *call) response {
	return ok(map[string]any{
		"program": map[string]any{
			"pub_id":   c.p.PubID,
			"name":     c.p.Name,
			"website":  c.p.Website,
			"currency": defaultCurrency,
		},
	})
}

const defaultCurrency = "USD"

func errPartnerNotFound() response  { return errorResponse(http.StatusNotFound, "Partner not found") }
func errCustomerNotFound() response { return errorResponse(http.StatusNotFound, "Customer not found") }
func errTransactionNotFound() response {
	return errorResponse(http.StatusNotFound, "Transaction not found")
}
func errInvalidPartnerKey() response {
	return errorResponse(http.StatusBadRequest, "Invalid partner key")
}
func errActionFailed() response { return errorResponse(http.StatusBadRequest, "Action failed") }

// anyPresent reports whether any of the fields is present in f.
func anyPresent(f form, fields ...string) bool {
	for _, n := range fields {
		if f.has(n) {
			return true
		}
	}
	return false
}

// partnerRef reads a partner reference {id|key|email} at f. named is false
// when it names no identity (the caller decides whether that is an error).
func (c *call) partnerRef(f form) (r *partnerRec, named bool) {
	id, _ := f.str("id", maxString, false)
	key, _ := f.str("key", maxKey, false)
	email, _ := f.str("email", maxString, false)
	return c.p.findPartner(id, key, email)
}

func listPartners(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	if !f.e.empty() {
		return f.e.response()
	}
	return paginate(c, pp, c.p.partners.sorted(), nil, func(r *partnerRec) partnerOut { return c.p.partnerView(r, viewList) })
}

// partnerQuery reads the id, key and email of a search or a legacy lookup
// and finds the one partner they name (nil when none matches all of them).
func (c *call) partnerQuery(f form) *partnerRec {
	id, _ := f.str("id", maxString, false)
	key, _ := f.str("key", maxString, false)
	email, _ := f.str("email", maxString, false)
	if id == "" && key == "" && email == "" && f.e.empty() {
		f.e.add("email", "The email field is required when none of id / key are present.")
	}
	if !f.e.empty() {
		return nil
	}
	r, _ := c.p.findPartner(id, key, email)
	if r == nil || (id != "" && r.ID != id) || (key != "" && r.Key != key) || (email != "" && !strings.EqualFold(r.Email, email)) {
		return nil
	}
	return r
}

func searchPartners(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	r := c.partnerQuery(f)
	if !f.e.empty() {
		return f.e.response()
	}
	var items []*partnerRec
	if r != nil {
		items = append(items, r)
	}
	return paginate(c, pp, items, nil, func(r *partnerRec) partnerOut { return c.p.partnerView(r, viewList) })
}

func getPartnerLegacy(c *call) response {
	f := c.form()
	r := c.partnerQuery(f)
	if !f.e.empty() {
		return f.e.response()
	}
	if r == nil {
		return errPartnerNotFound()
	}
	return ok(c.p.partnerView(r, viewDetail))
}

func getPartner(c *call) response {
	r := c.p.partnerByID[c.param(0)]
	if r == nil {
		return errPartnerNotFound()
	}
	return ok(c.p.partnerView(r, viewDetail))
}

func createPartner(c *call) response {
	f := c.form()
	email, _ := f.email("email", true)
	id, _ := f.str("id", maxString, false)
	key, _ := f.str("key", maxKey, false)
	name, _ := f.str("name", maxName, false)
	surname, _ := f.str("surname", maxName, false)
	password, _ := f.str("password", maxString, false)
	tags, _ := f.tags("tags")
	var referrer *partnerRec
	if f.has("referring_partner") {
		r, named := c.partnerRef(f.sub("referring_partner"))
		switch {
		case !named && f.e.empty():
			f.e.add("referring_partner", "The referring partner field must name a partner by id, key or email.")
		case named && r == nil:
			f.e.add("referring_partner", "The selected referring partner is invalid.")
		}
		referrer = r
	}
	if email != "" && c.p.partnerByMail[strings.ToLower(email)] != nil {
		f.e.add("email", "The email has already been taken.")
	}
	if id != "" && c.p.partnerByID[id] != nil {
		f.e.add("id", "The id has already been taken.")
	}
	if key != "" && c.p.partnerByKey[key] != nil {
		f.e.add("key", "The key has already been taken.")
	}
	if !f.e.empty() {
		return f.e.response()
	}
	if id == "" {
		id = c.p.randomID("", 8, func(s string) bool { return c.p.partnerByID[s] != nil })
	}
	if key == "" {
		key = c.p.randomID("", 10, func(s string) bool { return c.p.partnerByKey[s] != nil })
	}
	c.p.NextLink++
	r := &partnerRec{
		Seq: c.p.seq(), ID: id, Email: email, Name: name, Surname: surname, Key: key, Password: password,
		Tags: tags, Status: "active", LinkID: c.p.NextLink, CreatedAt: c.now, UpdatedAt: c.now,
	}
	if referrer != nil {
		r.ReferringPartner = referrer.ID
	}
	c.p.addPartner(r)
	return created(c.p.partnerView(r, viewFull))
}

var partnerUpdateFields = []string{"email", "name", "surname", "password", "key", "tags"}

// findPartnerForWrite finds the partner of PUT/DELETE /partners/{id}, or of
// PUT/DELETE /partners naming it by id, key or email in the input. identity is
// the body field that named it ("" for the path form).
func (c *call) findPartnerForWrite(f form) (r *partnerRec, identity string, fail *response) {
	if len(c.params) == 1 {
		if r = c.p.partnerByID[c.param(0)]; r == nil {
			return nil, "", ptr(errPartnerNotFound())
		}
		return r, "", nil
	}
	for _, field := range []string{"id", "key", "email"} {
		v, _ := f.str(field, maxString, false)
		if v == "" {
			continue
		}
		if !f.e.empty() {
			break
		}
		switch field {
		case "id":
			r = c.p.partnerByID[v]
		case "key":
			r = c.p.partnerByKey[v]
		default:
			r = c.p.partnerByMail[strings.ToLower(v)]
		}
		if r == nil {
			return nil, "", ptr(errPartnerNotFound())
		}
		return r, field, nil
	}
	if f.e.empty() {
		f.e.add("id", "The id field is required when none of key / email are present.")
	}
	resp := f.e.response()
	return nil, "", &resp
}

// updateFields returns where an update's fields are: under "update", or at
// the top level when the body has no update wrapper (as the n8n node sends).
func updateFields(f form, fields []string) form {
	if f.isObject("update") {
		return f.sub("update")
	}
	if f.has("update") {
		f.e.add("update", "The update field must be an array.")
		return f.sub("update")
	}
	u := f.sub("update")
	if anyPresent(u, fields...) {
		return u
	}
	return f
}

func updatePartner(c *call) response {
	f := c.form()
	r, identity, fail := c.findPartnerForWrite(f)
	if fail != nil {
		return *fail
	}
	u := updateFields(f, partnerUpdateFields)
	wrapped := u.prefix != ""
	skip := func(field string) bool { return !wrapped && field == identity }

	var email, name, surname, password, key string
	var hasEmail, hasName, hasSurname, hasPassword, hasKey bool
	if !skip("email") {
		email, hasEmail = u.email("email", false)
	}
	name, hasName = u.str("name", maxName, false)
	surname, hasSurname = u.str("surname", maxName, false)
	password, hasPassword = u.str("password", maxString, false)
	if !skip("key") {
		key, hasKey = u.str("key", maxKey, false)
	}
	tags, hasTags := u.tags("tags")
	if hasEmail {
		if o := c.p.partnerByMail[strings.ToLower(email)]; o != nil && o != r {
			f.e.add(u.name("email"), "The "+display(u.name("email"))+" has already been taken.")
		}
	}
	if hasKey {
		if o := c.p.partnerByKey[key]; o != nil && o != r {
			f.e.add(u.name("key"), "The "+display(u.name("key"))+" has already been taken.")
		}
	}
	if !f.e.empty() {
		return f.e.response()
	}
	changed := false
	if hasEmail && email != r.Email {
		delete(c.p.partnerByMail, strings.ToLower(r.Email))
		r.Email = email
		c.p.partnerByMail[strings.ToLower(email)] = r
		changed = true
	}
	if hasKey && key != r.Key {
		delete(c.p.partnerByKey, r.Key)
		r.Key = key
		c.p.partnerByKey[key] = r
		changed = true
	}
	if hasName {
		r.Name, changed = name, true
	}
	if hasSurname {
		r.Surname, changed = surname, true
	}
	if hasPassword {
		r.Password, changed = password, true
	}
	if hasTags {
		r.Tags, changed = tags, true
	}
	if changed {
		r.UpdatedAt = c.now
	}
	return ok(c.p.partnerView(r, viewFull))
}

func deletePartner(c *call) response {
	f := c.form()
	r, _, fail := c.findPartnerForWrite(f)
	if fail != nil {
		return *fail
	}
	// The partner's customers stay, still naming the partner's id, as
	// Partnero's own records of past referrals do.
	c.p.removePartner(r)
	return done()
}

func archivePartner(c *call) response {
	r := c.p.partnerByID[c.param(0)]
	if r == nil {
		return errPartnerNotFound()
	}
	if r.Status == "archived" {
		return errActionFailed()
	}
	r.Status, r.UpdatedAt = "archived", c.now
	return done()
}

func restorePartner(c *call) response {
	r := c.p.partnerByID[c.param(0)]
	if r == nil {
		return errPartnerNotFound()
	}
	if r.Status != "archived" {
		return errActionFailed()
	}
	r.Status, r.UpdatedAt = "active", c.now
	return done()
}

func partnerReferralLinks(c *call) response {
	f := c.form()
	pp := c.pageParams(f)
	if !f.e.empty() {
		return f.e.response()
	}
	r := c.p.partnerByID[c.param(0)]
	if r == nil {
		return errPartnerNotFound()
	}
	return paginate(c, pp, []*partnerRec{r}, nil, c.p.linkView)
}

func ptr[T any](v T) *T { return &v }
