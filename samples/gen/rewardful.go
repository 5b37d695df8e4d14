package main

import (
	"strconv"
	"strings"
	"time"
)

// rewardful writes affiliates.jsonl, referrals.jsonl and commissions.jsonl:
// the affiliate, referral and commission objects of Rewardful's REST API
// (rewardful/rest-api-docs: affiliates/affiliate.json, referrals/README.md,
// commissions/README.md), one per line. Rewardful documents no dashboard CSV
// export.
func rewardful(g *gen) {
	epoch := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

	// Affiliates: 40 rows, 5 of them rejected.
	type affiliate struct {
		id, email, token string
		ok               bool
	}
	var affs []affiliate
	var affObjs []map[string]any
	mapped := counts{}
	for i := range 40 {
		first, last, email := g.person(i)
		id := g.uuid()
		token := strings.ToLower(first) + strconv.Itoa(10+i)
		link := ""
		state := "active"
		campaign := "Default"
		if i%4 == 1 {
			campaign = "Influencers"
		}
		ok := true
		switch i {
		case 0: // checked value by value in the tests
			id, first, last, email, token = "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90", "Olivia", "Martin", "olivia.martin@northwind.io", "olivia"
		case 3: // mixed case and spaces: normalised, valid
			email = "  Maria.Garcia3@Example.COM "
		case 5: // no token column value, a full link instead
			token, link = "", "https://acme.io/pricing?via=bob-22&utm_source=newsletter"
		case 7:
			state = "disabled" // still a partner: Partnero decides approval
		case 10:
			email, ok = "", false // missing_field
			mapped["rejected missing_field"]++
		case 15:
			email, ok = "jane.doe(at)example.com", false // invalid_email
			mapped["rejected invalid_email"]++
		case 20:
			email, ok = strings.ToUpper(affs[2].email), false // duplicate of line 4 (email)
			mapped["rejected duplicate"]++
		case 25:
			token, ok = "summer-sale-2024-"+strings.Repeat("x", 53), false // 70 characters: too_long
			mapped["rejected too_long"]++
		case 30:
			token, ok = affs[1].token, false // duplicate of line 3 (key)
			mapped["rejected duplicate"]++
		}
		if ok {
			mapped["valid"]++
		}
		affs = append(affs, affiliate{id: id, email: strings.ToLower(strings.TrimSpace(email)), token: token, ok: ok})
		created := epoch.Add(time.Duration(i) * 37 * time.Hour)
		url := "https://acme.io/?via=" + token
		if link != "" {
			url = link // an older link whose token field is empty
		}
		var mail any = email
		if email == "" {
			mail = nil
		}
		affObjs = append(affObjs, map[string]any{
			"id": id, "created_at": iso(created), "updated_at": iso(created.Add(time.Hour)),
			"first_name": first, "last_name": last, "email": mail,
			"paypal_email": strings.ToLower(first) + ".pay@" + g.pick(domains), "stripe_customer_id": nil, "stripe_account_id": nil,
			"state": state, "visitors": 100 + i, "leads": 10 + i%7, "conversions": i % 5,
			"campaign": map[string]any{"id": "camp-" + strings.ToLower(campaign), "name": campaign, "created_at": iso(epoch), "updated_at": iso(epoch)},
			"links":    []any{map[string]any{"id": "link-" + strconv.Itoa(i), "url": url, "token": token, "visitors": 100 + i, "leads": 10 + i%7, "conversions": i % 5}},
		})
	}
	g.writeJSONL("affiliates.jsonl", affObjs)
	g.reportf("affiliates.jsonl: read=40 %v", mapped)

	// Referrals: 70 visitors and leads (skipped), 250 conversions (5 rejected).
	type customer struct {
		key, stripe, refID, email, affID string
		ok, parentOK                     bool
	}
	var custs []customer
	var refs []map[string]any
	mapped = counts{}
	goodAffs := []int{}
	for i, a := range affs {
		if a.ok {
			goodAffs = append(goodAffs, i)
		}
	}
	n := 0
	addRef := func(state string, aff int, mutate func(m map[string]any, c *customer)) {
		n++
		first, last, email := g.person(1000 + n)
		refID := g.uuid()
		created := epoch.Add(time.Duration(n) * 5 * time.Hour)
		a := affs[aff]
		m := map[string]any{
			"id":               refID,
			"conversion_state": state,
			"created_at":       iso(created),
			"affiliate":        map[string]any{"id": a.id, "email": a.email},
			"link":             map[string]any{"id": g.uuid(), "token": a.token, "url": "https://acme.io/?via=" + a.token},
			"visits":           1 + g.rng.IntN(9),
		}
		c := customer{refID: refID, email: email, affID: a.id, ok: true, parentOK: a.ok}
		switch state {
		case "visitor":
			m["customer"] = nil
			m["stripe_customer_id"] = nil
		case "lead":
			m["customer"] = map[string]any{"id": g.uuid(), "name": first + " " + last, "email": email}
			m["stripe_customer_id"] = nil
		default:
			// A Stripe customer: customer.id is the Stripe id, as in the
			// reference's example; otherwise the platform's own id.
			other := g.uuid()
			c.key = "cus_" + g.alnum(14)
			c.stripe = c.key
			m["customer"] = map[string]any{"id": c.key, "name": first + " " + last, "email": email, "platform": "stripe", "other_id": other}
			m["stripe_customer_id"] = c.key
			m["became_conversion_at"] = iso(created.Add(26 * time.Hour))
		}
		if mutate != nil {
			mutate(m, &c)
		}
		if cu, ok := m["customer"].(map[string]any); ok {
			delete(cu, "other_id")
		}
		refs = append(refs, m)
		if state == "conversion" {
			custs = append(custs, c)
		}
	}
	for i := range 30 {
		addRef("visitor", goodAffs[i%len(goodAffs)], nil)
	}
	for i := range 40 {
		addRef("lead", goodAffs[(i*7)%len(goodAffs)], nil)
	}
	mapped["skipped"] = 70
	for i := range 250 {
		aff := goodAffs[(i*13)%len(goodAffs)]
		var mut func(m map[string]any, c *customer)
		switch i {
		case 0: // checked value by value
			mut = func(m map[string]any, c *customer) {
				m["id"], c.refID = "7c1e9a52-3b4d-4f6e-8a21-d0c9b8e7f6a5", "7c1e9a52-3b4d-4f6e-8a21-d0c9b8e7f6a5"
				m["stripe_customer_id"], c.key, c.stripe = "cus_Q8xZ2mN4vB7kLp", "cus_Q8xZ2mN4vB7kLp", "cus_Q8xZ2mN4vB7kLp"
				m["customer"] = map[string]any{"id": "cus_Q8xZ2mN4vB7kLp", "name": "Hiro Tanaka", "email": " Hiro.Tanaka@Example.JP", "platform": "stripe"}
				m["affiliate"] = map[string]any{"id": affs[0].id, "email": affs[0].email}
				c.email, c.affID = "hiro.tanaka@example.jp", affs[0].id
			}
		case 11, 12, 13: // customers of affiliate line 22, rejected as a duplicate: parent_rejected in a migration
			aff = 20
		case 40, 41, 42, 43, 44: // not a Stripe customer: keyed by the platform's customer id, joined by the referral id
			mut = func(m map[string]any, c *customer) {
				cu := m["customer"].(map[string]any)
				m["stripe_customer_id"], c.stripe = nil, ""
				cu["id"], cu["platform"], c.key = cu["other_id"], "paddle", cu["other_id"].(string)
			}
		case 60:
			mut = func(m map[string]any, c *customer) {
				m["customer"].(map[string]any)["email"], c.ok = "bob@@example.com", false
			}
			mapped["rejected invalid_email"]++
		case 61:
			mut = func(m map[string]any, c *customer) {
				m["customer"].(map[string]any)["email"], c.ok = "no-at-sign.example.com", false
			}
			mapped["rejected invalid_email"]++
		case 70:
			mut = func(m map[string]any, c *customer) { m["affiliate"], c.ok = nil, false }
			mapped["rejected missing_field"]++
		case 80:
			mut = func(m map[string]any, c *customer) {
				m["stripe_customer_id"], c.ok = custs[5].key, false // duplicate of an earlier line
			}
			mapped["rejected duplicate"]++
		case 90:
			mut = func(m map[string]any, c *customer) {
				m["customer"].(map[string]any)["name"], c.ok = strings.Repeat("Wolfeschlegelsteinhausen ", 5), false
			}
			mapped["rejected too_long"]++
		}
		addRef("conversion", aff, mut)
	}
	for _, c := range custs {
		if c.ok {
			mapped["valid"]++
		}
	}
	// Interleave states as a real dump would be ordered: by creation time.
	g.writeJSONL("referrals.jsonl", refs)
	g.reportf("referrals.jsonl: read=%d %v", len(refs), mapped)

	// Commissions: 1000 rows in the Title Case export.
	type plan struct {
		cur   string
		cents []int
	}
	plans := []plan{
		{"USD", []int{2900, 4900, 9900, 19900, 4999}}, {"USD", []int{2900, 4900, 9900}}, {"USD", []int{9900, 29900}},
		{"EUR", []int{3900, 8900}}, {"GBP", []int{2500, 7900}}, {"JPY", []int{3000, 12000}}, {"KWD", []int{15000, 4500}},
	}
	var objs []map[string]any
	mapped = counts{}
	migrated := counts{}
	states := []string{"paid", "paid", "paid", "paid", "paid", "paid", "due", "due", "pending", "voided"}
	var pool []customer // the customers a mapping accepts
	for _, c := range custs {
		if c.ok {
			pool = append(pool, c)
		}
	}
	var validSales []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		switch {
		case i <= 2:
			c = custs[i] // the fixed rows below
		case i >= 500 && i <= 502:
			c = custs[60] // the customer rejected for its email: parent_rejected in a migration
		}
		p := plans[g.rng.IntN(len(plans))]
		cents := p.cents[g.rng.IntN(len(p.cents))]
		rate := 20 + g.rng.IntN(3)*5
		commission := cents * rate / 100
		state := states[g.rng.IntN(len(states))]
		charged := epoch.Add(time.Duration(i)*7*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second + time.Duration(g.rng.IntN(1000))*time.Millisecond)
		saleID := "sale_" + g.alnum(16)
		paidAt := ""
		if state == "paid" {
			paidAt = iso(charged.Add(30 * 24 * time.Hour))
		}
		stripe, refID := c.stripe, c.refID
		row := []string{"comm_" + g.alnum(16), saleID, state, strconv.Itoa(commission), p.cur, strconv.Itoa(cents),
			iso(charged), iso(charged.Add(2 * time.Second)), paidAt, c.email, stripe, refID, c.affID}
		outcome := "valid"
		switch i {
		case 0: // checked value by value: a yen sale (no minor unit)
			row = []string{"comm_fixed_jpy", "sale_fixed_jpy", "paid", "3600", "JPY", "12000", "2024-03-05T09:30:00.123Z", "2024-03-05T09:30:02.000Z", "2024-04-04T09:30:00.000Z",
				"hiro.tanaka@example.jp", "cus_Q8xZ2mN4vB7kLp", custs[0].refID, affs[0].id}
		case 1: // three-decimal currency
			row = []string{"comm_fixed_kwd", "sale_fixed_kwd", "due", "3750", "kwd", "15000", "2024-03-06T10:00:00.000Z", "", "",
				custs[1].email, custs[1].key, custs[1].refID, custs[1].affID}
		case 2: // cents of a two-decimal currency
			row = []string{"comm_fixed_usd", "sale_fixed_usd", "pending", "1250", "USD", "4999", "2024-03-07T11:15:30.500Z", "", "",
				custs[2].email, custs[2].key, custs[2].refID, custs[2].affID}
		case 3:
			row[2] = "voided"
		case 100:
			row[2], row[5] = "paid", "49.50" // cents with a decimal point
			outcome = "rejected invalid_amount"
		case 200:
			row[2], row[4] = "paid", "US$"
			outcome = "rejected invalid_currency"
		case 300:
			row[2], row[9], row[10], row[11] = "paid", "", "", ""
			outcome = "rejected missing_field"
		case 400, 401:
			row[2], row[1] = "paid", validSales[40+i-400] // the same sale id as an earlier row
			outcome = "rejected duplicate"
		case 600:
			row[2], row[6] = "paid", "31/12/2024 10:00"
			outcome = "rejected invalid_time"
		}
		if outcome == "valid" && row[2] == "voided" {
			outcome = "skipped"
		}
		mapped[outcome]++
		if outcome == "valid" {
			validSales = append(validSales, row[1])
			switch {
			case !c.ok || !c.parentOK:
				migrated["parent_rejected"]++
			default:
				migrated["created"]++
			}
		}
		objs = append(objs, commissionObject(row, c.key))
	}
	g.writeJSONL("commissions.jsonl", objs)
	g.reportf("commissions.jsonl: read=1000 %v", mapped)
	g.reportf("commissions.jsonl migration of the valid rows: %v", migrated)
	custMig := counts{}
	for _, c := range custs {
		switch {
		case !c.ok:
		case !c.parentOK:
			custMig["parent_rejected"]++
		default:
			custMig["created"]++
		}
	}
	g.reportf("referrals.jsonl migration of the valid rows: %v", custMig)
}

// commissionObject writes one commission as Rewardful's API returns it
// (rewardful/rest-api-docs commissions/README.md; developers.rewardful.com
// adds state, due_at, paid_at, voided_at): the commission's own amount and
// currency (the account's display currency, USD here: a fixed commission is
// converted to it when awarded, developers.rewardful.com campaigns), and
// its sale, in the sale's own currency, with the referral and affiliate.
// row: commission id, sale id, state, commission cents in the sale's
// currency, sale currency, sale cents, charged_at, created_at, paid_at,
// customer email, Stripe customer id, referral id, affiliate id.
func commissionObject(row []string, customerID string) map[string]any {
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var saleCents any = row[5]
	if n, err := strconv.Atoi(row[5]); err == nil {
		saleCents = n
	}
	commission, _ := strconv.Atoi(row[3])
	var referral any
	if row[11] != "" {
		referral = map[string]any{
			"id": row[11], "stripe_customer_id": null(row[10]), "conversion_state": "conversion",
			"customer": map[string]any{"id": customerID, "email": row[9], "platform": map[bool]string{true: "stripe", false: "paddle"}[row[10] != ""]},
		}
	}
	var voided any
	if row[2] == "voided" {
		voided = row[6]
	}
	return map[string]any{
		"id": row[0], "created_at": null(row[7]), "updated_at": null(row[7]),
		"amount": usdCents(row[4], commission), "currency": "USD", "state": row[2],
		"due_at": null(row[7]), "paid_at": null(row[8]), "voided_at": voided,
		"campaign": map[string]any{"id": "camp-default", "name": "Default"},
		"sale": map[string]any{
			"id": row[1], "currency": row[4], "charged_at": row[6], "created_at": row[6], "updated_at": row[6],
			"stripe_charge_id": "ch_" + row[1], "sale_amount_cents": saleCents, "charge_amount_cents": saleCents,
			"tax_amount_cents": 0, "refund_amount_cents": 0,
			"referral": referral, "affiliate": map[string]any{"id": row[12]},
		},
	}
}

// usdCents converts minor units of cur into US cents at fixed sample rates.
func usdCents(cur string, minor int) int {
	switch strings.ToUpper(cur) {
	case "EUR":
		return minor * 108 / 100
	case "GBP":
		return minor * 127 / 100
	case "JPY":
		return minor * 100 / 150
	case "KWD":
		return minor * 325 / 1000
	}
	return minor
}
