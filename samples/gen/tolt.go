package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tolt writes partners.jsonl, customers.csv and transactions.jsonl in the
// shapes of Tolt's API v1 objects (mapping/presets/tolt.md has the sources):
//   - partners.jsonl: links with their partner expanded, as GET
//     /v1/links?expand[]=partner returns them (docs.tolt.com/links/list:
//     id, param, value, partner_id; the partner as docs.tolt.com/partners/list
//     prints it; dubinc/dub apps/web/lib/tolt/schemas.ts ToltLinkSchema);
//   - customers.csv: customer objects (docs.tolt.com/customers/retrieve: id
//     cust_..., customer_id yours, email, name, status, partner_id,
//     created_at) as CSV columns with the API's names;
//   - transactions.jsonl: transaction objects (docs.tolt.com/transactions/list,
//     create and refund: id, status paid|refunded, amount in cents, currency,
//     customer_id = Tolt's cust_ id, partner_id, charge_id, billing_type,
//     product_ids, created_at). The webhook form writes cents as a string
//     ("4900") and the currency in lower case (docs.tolt.com
//     webhooks/events/transaction-created): some rows do too.
func tolt(g *gen) {
	epoch := time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

	type partner struct {
		id string
		ok bool
	}
	var parts []partner
	var objs []map[string]any
	var emails []string
	mapped := counts{}
	for i := range 30 {
		first, last, email := g.person(i)
		id := "part_" + g.alnum(24)
		value := strings.ToLower(first) + strconv.Itoa(i)
		status := "active"
		outcome := "valid"
		switch i {
		case 0: // checked value by value
			id, first, last, email, value = "part_fixed00001", "Samir", "Haddad", "samir@haddad.studio", "sam"
		case 5:
			status, outcome = "rejected", "skipped"
		case 9:
			value, outcome = "john doe", "rejected invalid_value" // Tolt did not slug it
		case 17:
			email, outcome = " "+strings.ToUpper(emails[6])+" ", "rejected duplicate"
		case 24:
			email, outcome = "", "rejected missing_field"
		}
		mapped[outcome]++
		emails = append(emails, email)
		parts = append(parts, partner{id: id, ok: outcome == "valid"})
		created := iso(epoch.Add(time.Duration(i) * 31 * time.Hour))
		objs = append(objs, map[string]any{
			"id": "lnk_" + g.alnum(24), "param": "ref", "value": value, "partner_id": id,
			"created_at": created, "updated_at": created, "program_id": "prg_YRsbPDAKhWfdqJbFACheh", "organization_id": "org_JE3mfYNL9ci7sFaJazAv2",
			"partner": map[string]any{
				"id": id, "email": email, "first_name": first, "last_name": last, "company_name": nil,
				"country_code": g.pick([]string{"US", "GB", "AE", "IN", "DE"}), "status": status, "created_at": created,
			},
		})
	}
	g.writeJSONL("partners.jsonl", objs)
	g.reportf("partners.jsonl: read=30 %v", mapped)

	type customer struct {
		id, partner string
		ok          bool
	}
	var good []partner
	for _, p := range parts {
		if p.ok {
			good = append(good, p)
		}
	}
	var custs []customer
	var keys []string
	var rows [][]string
	mapped = counts{}
	for i := range 230 {
		first, last, email := g.person(5000 + i)
		p := good[g.rng.IntN(len(good))]
		c := customer{id: "cust_" + g.alnum(24), partner: p.id, ok: true}
		key := fmt.Sprintf("user_%s", g.alnum(10))
		name, fileEmail := first+" "+last, email
		outcome := "valid"
		switch i {
		case 0:
			c.id, c.partner, key, name, fileEmail = "cust_fixed00001", "part_fixed00001", "user_dana", "Dana Ivanova", "Dana.Ivanova@example.bg"
		case 20, 21: // no customer_id of yours: Tolt's id is the key
			key = ""
		case 40:
			c.partner, outcome = "", "rejected missing_field"
		case 80:
			key, outcome = keys[8], "rejected duplicate"
		case 120:
			fileEmail, outcome = "dana.ivanova@example", "rejected invalid_email"
		}
		c.ok = outcome == "valid"
		mapped[outcome]++
		custs = append(custs, c)
		keys = append(keys, key)
		rows = append(rows, []string{c.id, key, fileEmail, name, g.pick([]string{"active", "active", "trial", "canceled"}), c.partner, iso(epoch.Add(time.Duration(i) * 12 * time.Hour))})
	}
	g.writeCSV("customers.csv", ',', []string{"id", "customer_id", "email", "name", "status", "partner_id", "created_at"}, rows)
	g.reportf("customers.csv: read=230 %v", mapped)

	var pool []customer
	for _, c := range custs {
		if c.ok {
			pool = append(pool, c)
		}
	}
	objs = nil
	mapped = counts{}
	migrated := counts{}
	sums := map[string]int{}
	var charges []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		if i == 900 || i == 901 {
			c = custs[120]
		}
		cur := g.pick([]string{"USD", "USD", "USD", "EUR", "GBP", "JPY"})
		cents := []int{1900, 4900, 9900, 29900}[g.rng.IntN(4)]
		if cur == "JPY" {
			cents = []int{2900, 9800}[g.rng.IntN(2)]
		}
		billing := g.pick([]string{"subscription", "subscription", "one_time"})
		charge := "ch_" + g.alnum(24)
		var amount any = json.Number(strconv.Itoa(cents))
		curText := cur
		if i%4 == 1 { // the webhook form: cents as a string, lower-case currency
			amount, curText = strconv.Itoa(cents), strings.ToLower(cur)
		}
		created := iso(epoch.Add(time.Duration(i)*4*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second))
		status := "paid"
		obj := map[string]any{
			"id": "txn_" + g.alnum(24), "status": status, "amount": amount, "currency": curText,
			"payment_currency": curText, "payment_amount": nil, "conversion_rate": nil,
			"charge_id": charge, "source": "stripe", "billing_type": billing,
			"interval":    map[string]any{"subscription": "month", "one_time": nil}[billing],
			"product_ids": []any{"prod_" + billing[:3]}, "product_names": []any{"Pro plan"},
			"customer_id": c.id, "partner_id": c.partner, "program_id": "prg_YRsbPDAKhWfdqJbFACheh",
			"organization_id": "org_JE3mfYNL9ci7sFaJazAv2", "click_id": nil,
			"created_at": created, "updated_at": created,
		}
		outcome := "valid"
		switch {
		case i == 0:
			cur, cents = "USD", 4900
			obj["id"], obj["charge_id"], obj["amount"], obj["currency"], obj["billing_type"], obj["created_at"] =
				"txn_fixed00001", "ch_fixed_0001", json.Number("4900"), "USD", "subscription", "2024-05-07T08:15:00.000Z"
			obj["customer_id"], obj["partner_id"] = "cust_fixed00001", "part_fixed00001"
			c = custs[0]
		case i == 1:
			cur, cents = "EUR", 5
			obj["id"], obj["charge_id"], obj["amount"], obj["currency"] = "txn_fixed00002", "ch_fixed_0002", "5", "eur"
		case i == 2:
			cur, cents = "JPY", 9800
			obj["id"], obj["charge_id"], obj["amount"], obj["currency"] = "txn_fixed00003", "ch_fixed_0003", json.Number("9800"), "JPY"
		case i == 100:
			obj["amount"], outcome = "49.00", "rejected invalid_amount"
		case i == 200:
			obj["amount"], outcome = nil, "rejected missing_field"
		case i == 300:
			obj["created_at"], outcome = "07/05/2024", "rejected invalid_time"
		case i == 400:
			obj["charge_id"], outcome = charges[33], "rejected duplicate"
		case i == 500:
			obj["customer_id"], outcome = nil, "rejected missing_field"
		case i%40 == 13:
			obj["status"], outcome = "refunded", "skipped refunded"
		}
		obj["payment_currency"] = obj["currency"]
		mapped[outcome]++
		if outcome == "valid" {
			charges = append(charges, obj["charge_id"].(string))
			if c.ok {
				migrated["created"]++
				sums[cur] += cents
			} else {
				migrated["parent_rejected"]++
			}
		}
		objs = append(objs, obj)
	}
	g.writeJSONL("transactions.jsonl", objs)
	g.reportf("transactions.jsonl: read=1000 %v", mapped)
	g.reportf("transactions.jsonl migration of the valid rows: %v", migrated)
	g.reportf("transactions.jsonl created, minor units by currency: %v", counts(sums))
}
