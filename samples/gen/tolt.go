package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tolt writes partners.jsonl (API objects with links), customers.csv
// (export) and transactions.jsonl (API objects: cents as strings, nested
// customer and partner).
func tolt(g *gen) {
	epoch := time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }

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
		id := "part_" + g.alnum(12)
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
		objs = append(objs, map[string]any{
			"id": id, "email": email, "first_name": first, "last_name": last, "company_name": nil,
			"country_code": g.pick([]string{"US", "GB", "AE", "IN", "DE"}), "status": status,
			"links":      []any{map[string]any{"id": "lnk_" + g.alnum(8), "param": "ref", "value": value}},
			"created_at": iso(epoch.Add(time.Duration(i) * 31 * time.Hour)),
		})
	}
	g.writeJSONL("partners.jsonl", objs)
	g.reportf("partners.jsonl: read=30 %v", mapped)

	type customer struct {
		id, key, email, partner string
		ok                      bool
	}
	var good []partner
	for _, p := range parts {
		if p.ok {
			good = append(good, p)
		}
	}
	var custs []customer
	var rows [][]string
	mapped = counts{}
	for i := range 230 {
		first, last, email := g.person(5000 + i)
		p := good[g.rng.IntN(len(good))]
		c := customer{id: "cust_" + g.alnum(12), key: fmt.Sprintf("cus_%s", g.alnum(14)), email: email, partner: p.id, ok: true}
		name, fileEmail := first+" "+last, email
		outcome := "valid"
		switch i {
		case 0:
			c.id, c.key, c.email, c.partner, name, fileEmail = "cust_fixed00001", "cus_TOLT00000001", "dana.ivanova@example.bg", "part_fixed00001", "Dana Ivanova", "Dana.Ivanova@example.bg"
		case 40:
			c.partner, outcome = "", "rejected missing_field"
		case 80:
			c.key, outcome = custs[8].key, "rejected duplicate"
		case 120:
			fileEmail, outcome = "dana.ivanova@example", "rejected invalid_email"
		}
		c.ok = outcome == "valid"
		mapped[outcome]++
		custs = append(custs, c)
		rows = append(rows, []string{c.id, c.key, fileEmail, name, g.pick([]string{"active", "active", "trialing", "churned"}), c.partner, iso(epoch.Add(time.Duration(i) * 12 * time.Hour))})
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
	var txIDs []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		if i == 900 || i == 901 {
			c = custs[120]
		}
		cents := []int{1900, 4900, 9900, 29900}[g.rng.IntN(4)]
		billing := g.pick([]string{"subscription", "subscription", "one_time"})
		txID := "ch_" + g.alnum(24)
		obj := map[string]any{
			"id": "txn_" + g.alnum(12), "amount": strconv.Itoa(cents), "revenue": strconv.Itoa(cents * 96 / 100),
			"transaction_id": txID, "charge_id": txID, "billing_type": billing,
			"product_id": "prod_" + strings.ToLower(billing[:3]), "product_name": "Pro plan",
			"customer":   map[string]any{"id": c.id, "customer_id": c.key, "email": c.email},
			"partner":    map[string]any{"id": c.partner},
			"created_at": iso(epoch.Add(time.Duration(i)*4*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second)),
		}
		outcome := "valid"
		switch i {
		case 0:
			obj["id"], obj["transaction_id"], obj["charge_id"], obj["amount"], obj["billing_type"], obj["created_at"] =
				"txn_fixed00001", "ch_fixed_0001", "ch_fixed_0001", "4900", "subscription", "2024-05-07T08:15:00Z"
			obj["customer"] = map[string]any{"id": "cust_fixed00001", "customer_id": "cus_TOLT00000001", "email": "dana.ivanova@example.bg"}
			obj["partner"] = map[string]any{"id": "part_fixed00001"}
		case 1:
			obj["id"], obj["transaction_id"], obj["charge_id"], obj["amount"] = "txn_fixed00002", "ch_fixed_0002", "ch_fixed_0002", "5"
		case 100:
			obj["amount"], outcome = "49.00", "rejected invalid_amount"
		case 200:
			obj["amount"], outcome = "", "rejected missing_field"
		case 300:
			obj["created_at"], outcome = "07/05/2024", "rejected invalid_time"
		case 400:
			obj["transaction_id"], outcome = txIDs[33], "rejected duplicate"
		case 500:
			obj["customer"], outcome = nil, "rejected missing_field"
		}
		mapped[outcome]++
		if outcome == "valid" {
			txIDs = append(txIDs, obj["transaction_id"].(string))
			if c.ok {
				migrated["created"]++
			} else {
				migrated["parent_rejected"]++
			}
		}
		objs = append(objs, obj)
	}
	g.writeJSONL("transactions.jsonl", objs)
	g.reportf("transactions.jsonl: read=1000 %v", mapped)
	g.reportf("transactions.jsonl migration of the valid rows: %v", migrated)
}
