package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// tapfiliate writes affiliates.jsonl, customers.jsonl and conversions.jsonl:
// Tapfiliate's REST API (1.6) objects, one per line. The conversion and
// customer objects are those of its API reference as the PHP SDK's tests
// reproduce them (1FF/tapfiliate-php-sdk tests/Unit/ConversionHandlerTest.php,
// CustomerHandlerTest.php); an affiliate is a program's affiliate with its
// referral_link (MrGab/TapfiliateNet src/Model/ProgramAffiliate.cs,
// AffiliateBase.cs). Times are written +0000, without a colon, as the
// reference writes them.
func tapfiliate(g *gen) {
	epoch := time.Date(2024, 3, 1, 7, 0, 0, 0, time.UTC)
	isoz := func(t time.Time, _ int) string { return t.UTC().Format("2006-01-02T15:04:05-0700") }

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
		case 6: // a link with other parameters before the code
			code = "zoe6x"
		case 9:
			email, outcome = "", "rejected missing_field"
		case 14:
			email, outcome = strings.ToUpper(affs[3].email), "rejected duplicate"
		case 21:
			code, outcome = strings.Repeat("ab", 33), "rejected too_long"
		}
		mapped[outcome]++
		affs = append(affs, affiliate{id: id, email: strings.ToLower(email), ok: outcome == "valid"})
		link := "https://shop.example/?ref=" + code
		if i == 6 {
			link = "https://shop.example/pricing?utm_source=ig&ref=" + code
		}
		objs = append(objs, map[string]any{
			"id": id, "firstname": first, "lastname": last, "email": email, "referral_link": link,
			"meta_data": map[string]any{"instagram": "@" + strings.ToLower(first)}, "company": map[string]any{"name": nil},
			"parent": parent, "created_at": isoz(epoch.Add(time.Duration(i)*29*time.Hour), i),
		})
	}
	g.writeJSONL("affiliates.jsonl", objs)
	g.reportf("affiliates.jsonl: read=30 %v", mapped)

	type customer struct {
		id, key string
		aff     affiliate
		ok      bool
		email   string
	}
	var good []affiliate
	for _, a := range affs {
		if a.ok {
			good = append(good, a)
		}
	}
	var custs []customer
	program := func(cur string) map[string]any {
		return map[string]any{"id": "shop-" + strings.ToLower(cur), "title": "Shop " + cur, "currency": cur}
	}
	var custObjs []map[string]any
	mapped = counts{}
	for i := range 250 {
		_, _, email := g.person(3000 + i)
		a := good[g.rng.IntN(len(good))]
		key := fmt.Sprintf("user_%05d", 10000+i*7)
		status := g.pick([]string{"paid", "paid", "paid", "trial", "cancelled"})
		c := customer{id: "cu_" + g.alnum(8), key: key, aff: a, ok: true, email: email}
		affID := a.id
		outcome := "valid"
		switch i {
		case 0:
			key, email, status, affID = "user_fixed_1", "Kai.Muller@Example.de", "paid", "aurelie-b"
			c.id, c.key = "cu_fixed0001", key
		case 40:
			affID, outcome = "", "rejected missing_field"
		case 80:
			key, outcome = custs[12].key, "rejected duplicate"
		case 120:
			email, outcome = "kai at example.de", "rejected invalid_email"
		}
		c.ok = outcome == "valid"
		mapped[outcome]++
		custs = append(custs, c)
		var aff any
		if affID != "" {
			aff = map[string]any{"id": affID, "firstname": "", "lastname": ""}
		}
		// The customer object has no email field; an integration that
		// stored one keeps it in meta_data.
		custObjs = append(custObjs, map[string]any{
			"id": c.id, "customer_id": key, "status": status, "created_at": isoz(epoch.Add(time.Duration(i)*11*time.Hour), i),
			"click": nil, "program": program("EUR"), "affiliate": aff, "affiliate_meta_data": []any{},
			"meta_data": map[string]any{"email": email}, "warnings": []any{},
		})
	}
	g.writeJSONL("customers.jsonl", custObjs)
	g.reportf("customers.jsonl: read=250 %v", mapped)

	var pool []customer
	for _, c := range custs {
		if c.ok {
			pool = append(pool, c)
		}
	}
	prices := []string{"19.00", "49.99", "99", "149.5", "9.990", "0.99"}
	var convObjs []map[string]any
	mapped = counts{}
	migrated := counts{}
	var ext []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		if i == 700 || i == 701 {
			c = custs[120] // the customer rejected for its email
		}
		amount := prices[g.rng.IntN(len(prices))]
		cur := g.pick([]string{"EUR", "EUR", "USD", "usd", "GBP"}) // the program's currency
		commission := fmt.Sprintf("%d.%02d", 1+g.rng.IntN(40), g.rng.IntN(100))
		status := g.pick([]string{"approved", "approved", "approved", "approved", "pending", "pending", "disapproved"})
		extID := fmt.Sprintf("ord-%06d", 200000+i*13)
		at := isoz(epoch.Add(time.Duration(i)*5*time.Hour+time.Duration(g.rng.IntN(3600))*time.Second), i)
		custID, custKey, affID := c.id, c.key, c.aff.id
		outcome := ""
		switch i {
		case 0:
			extID, amount, cur, commission, status, at, custID, custKey = "ord-fixed-1", "49.990", "EUR", "9.99", "approved", "2024-03-05T09:30:00+0000", "cu_fixed0001", "user_fixed_1"
			affID = "aurelie-b"
		case 1:
			extID, amount, cur, commission, status, at = "ord-fixed-2", "1200", "JPY", "240", "pending", "2024-03-05T08:00:00+0000"
		case 100:
			amount, status, outcome = "1.234,56", "approved", "rejected invalid_amount"
		case 200:
			at, status, outcome = "2024-02-30T10:00:00+0000", "approved", "rejected invalid_time"
		case 300:
			extID, status, outcome = ext[30], "approved", "rejected duplicate"
		case 400:
			custID, custKey, status, outcome = "", "", "approved", "rejected missing_field"
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
		convObjs = append(convObjs, conversionObject(i, extID, amount, cur, commission, status, at, custID, custKey, affID))
	}
	g.writeJSONL("conversions.jsonl", convObjs)
	g.reportf("conversions.jsonl: read=1000 %v", mapped)
	g.reportf("conversions.jsonl migration of the valid rows: %v", migrated)
}

// conversionObject writes one conversion as Tapfiliate's API returns it: no
// currency of its own (the program's, program.currency, and each
// commission's), its commissions (approved true, false, or null while
// pending), its customer by Tapfiliate's id and yours, and amounts as JSON
// numbers written as the sample gives them ("49.990" keeps its zero).
func conversionObject(i int, extID, amount, cur, commission, status, at, custID, custKey, affID string) map[string]any {
	num := func(s string) any {
		if strings.ContainsAny(s, ", ") {
			return s // not a number: written as text, as a broken export would
		}
		return json.Number(s)
	}
	var approved any
	switch status {
	case "approved":
		approved = true
	case "disapproved":
		approved = false
	}
	aff := map[string]any{"id": affID, "firstname": "", "lastname": ""}
	var customer any
	if custID != "" {
		customer = map[string]any{"id": custID, "customer_id": custKey, "status": "paying"}
	}
	return map[string]any{
		"id": 1000 + i, "external_id": extID, "amount": num(amount),
		"click": map[string]any{"created_at": at, "referrer": "https://blog.example/", "landing_page": "https://shop.example/"},
		"commissions": []any{map[string]any{
			"id": 5000 + i, "conversion_sub_amount": num(amount), "amount": num(commission), "commission_type": "standard",
			"approved": approved, "affiliate": aff, "kind": "regular", "currency": cur,
			"created_at": at, "payout": nil, "comment": nil, "final": nil,
		}},
		"program":   map[string]any{"id": "shop-" + strings.ToLower(cur), "title": "Shop", "currency": cur},
		"affiliate": aff, "customer": customer, "affiliate_meta_data": []any{},
		"meta_data": map[string]any{"plan": "pro"}, "created_at": at, "warnings": []any{},
	}
}
