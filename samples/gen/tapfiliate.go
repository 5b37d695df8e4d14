package main

import (
	"fmt"
	"strings"
	"time"
)

// tapfiliate writes affiliates.jsonl (API objects), customers.csv (export)
// and conversions.csv (the conversion import template).
func tapfiliate(g *gen) {
	epoch := time.Date(2024, 3, 1, 7, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.FixedZone("", 2*3600), time.FixedZone("", -7*3600), time.FixedZone("", 0), time.FixedZone("", 5*3600+1800)}
	isoz := func(t time.Time, i int) string { return t.In(zones[i%len(zones)]).Format("2006-01-02T15:04:05-07:00") }

	type affiliate struct {
		id, email string
		ok        bool
	}
	var affs []affiliate
	var objs []map[string]any
	mapped := counts{}
	for i := range 30 {
		first, last, email := g.person(i)
		id := strings.ToLower(first + strings.NewReplacer("ü", "u", "'", "").Replace(last))
		id = fmt.Sprintf("%s%d", id, i)
		code := fmt.Sprintf("%s%s", strings.ToLower(first[:1]), g.alnum(5))
		code = strings.ToLower(code)
		var parent any
		outcome := "valid"
		switch i {
		case 0: // checked value by value
			id, first, last, email, code = "aurelie-b", "Aurélie", "Bernard", "aurelie@bernard-conseil.fr", "aurelie"
		case 4:
			parent = map[string]any{"id": "aurelie-b"} // a sub-affiliate
		case 6: // the code given as the full link
			code = "https://shop.example/?ref=zoe6x"
		case 9:
			email, outcome = "", "rejected missing_field"
		case 14:
			email, outcome = strings.ToUpper(affs[3].email), "rejected duplicate"
		case 21:
			code, outcome = strings.Repeat("ab", 33), "rejected too_long"
		}
		mapped[outcome]++
		affs = append(affs, affiliate{id: id, email: strings.ToLower(email), ok: outcome == "valid"})
		objs = append(objs, map[string]any{
			"id": id, "firstname": first, "lastname": last, "email": email, "referral_code": code,
			"meta_data": map[string]any{"instagram": "@" + strings.ToLower(first)}, "company": map[string]any{"name": nil},
			"parent": parent, "created_at": isoz(epoch.Add(time.Duration(i)*29*time.Hour), i),
		})
	}
	g.writeJSONL("affiliates.jsonl", objs)
	g.reportf("affiliates.jsonl: read=30 %v", mapped)

	type customer struct {
		key   string
		aff   affiliate
		ok    bool
		email string
	}
	var good []affiliate
	for _, a := range affs {
		if a.ok {
			good = append(good, a)
		}
	}
	var custs []customer
	var rows [][]string
	mapped = counts{}
	for i := range 250 {
		_, _, email := g.person(3000 + i)
		a := good[g.rng.IntN(len(good))]
		key := fmt.Sprintf("user_%05d", 10000+i*7)
		status := g.pick([]string{"paid", "paid", "paid", "trial", "cancelled"})
		c := customer{key: key, aff: a, ok: true, email: email}
		affID, affEmail := a.id, a.email
		outcome := "valid"
		switch i {
		case 0:
			key, email, status, affID, affEmail = "user_fixed_1", "Kai.Muller@Example.de", "paid", "aurelie-b", "aurelie@bernard-conseil.fr"
			c.key = key
		case 40:
			affID, affEmail, outcome = "", "", "rejected missing_field"
		case 80:
			key, outcome = custs[12].key, "rejected duplicate"
		case 120:
			email, outcome = "kai at example.de", "rejected invalid_email"
		}
		c.ok = outcome == "valid"
		mapped[outcome]++
		custs = append(custs, c)
		rows = append(rows, []string{fmt.Sprintf("cu_%s", g.alnum(8)), key, status, isoz(epoch.Add(time.Duration(i)*11*time.Hour), i), affID, affEmail, email})
	}
	g.writeCSV("customers.csv", ',', []string{"id", "customer_id", "status", "created_at", "affiliate_id", "affiliate_email", "email"}, rows)
	g.reportf("customers.csv: read=250 %v", mapped)

	var pool []customer
	for _, c := range custs {
		if c.ok {
			pool = append(pool, c)
		}
	}
	prices := []string{"19.00", "49.99", "99", "149.5", "9.990", "0.99"}
	rows = nil
	mapped = counts{}
	migrated := counts{}
	var ext []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		if i == 700 || i == 701 {
			c = custs[120] // the customer rejected for its email
		}
		amount := prices[g.rng.IntN(len(prices))]
		cur := g.pick([]string{"EUR", "EUR", "USD", "usd", "GBP"})
		commission := fmt.Sprintf("%d.%02d", 1+g.rng.IntN(40), g.rng.IntN(100))
		status := g.pick([]string{"approved", "approved", "approved", "approved", "pending", "pending", "disapproved"})
		extID := fmt.Sprintf("ord-%06d", 200000+i*13)
		at := isoz(epoch.Add(time.Duration(i)*5*time.Hour+time.Duration(g.rng.IntN(3600))*time.Second), i)
		custID, affEmail := c.key, c.aff.email
		outcome := ""
		switch i {
		case 0:
			extID, amount, cur, commission, status, at, custID = "ord-fixed-1", "49.990", "eur", "9.99", "approved", "2024-03-05T11:30:00+02:00", "user_fixed_1"
			affEmail = "aurelie@bernard-conseil.fr"
		case 1:
			extID, amount, cur, commission, status, at = "ord-fixed-2", "1200", "JPY", "240", "pending", "2024-03-05T01:00:00-07:00"
		case 100:
			amount, status, outcome = "1.234,56", "approved", "rejected invalid_amount"
		case 200:
			at, status, outcome = "2024-02-30T10:00:00+02:00", "approved", "rejected invalid_time"
		case 300:
			extID, status, outcome = ext[30], "approved", "rejected duplicate"
		case 400:
			custID, status, outcome = "", "approved", "rejected missing_field"
		case 500:
			cur, status, outcome = "EUROS", "approved", "rejected invalid_currency"
		}
		if outcome == "" {
			outcome = "valid"
			if status == "disapproved" {
				outcome = "skipped"
			}
		}
		mapped[outcome]++
		if outcome == "valid" {
			ext = append(ext, extID)
			if c.ok {
				migrated["created"]++
			} else {
				migrated["parent_rejected"]++
			}
		}
		rows = append(rows, []string{extID, amount, at, affEmail, "main-program", cur, custID, commission, status, `{"plan":"pro"}`})
	}
	g.writeCSV("conversions.csv", ',', []string{"external_id", "amount", "created_at", "affiliate_email", "program", "currency",
		"customer_id", "commission_amount", "commission_status", "meta_data"}, rows)
	g.reportf("conversions.csv: read=1000 %v", mapped)
	g.reportf("conversions.csv migration of the valid rows: %v", migrated)
}
