package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// partnerstack writes partnerships.csv (export), customers.jsonl (API
// objects, epoch-millisecond numbers) and transactions.csv (export).
func partnerstack(g *gen) {
	epoch := time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)
	ms := func(t time.Time) int64 { return t.UnixMilli() }

	type partnership struct {
		key string
		ok  bool
	}
	var parts []partnership
	var rows [][]string
	mapped := counts{}
	var keys []string
	for i := range 30 {
		first, last, email := g.person(i)
		pkey := "pship_" + g.alnum(10)
		partnerKey := strings.ToLower(first) + "-" + strings.ToLower(strings.NewReplacer("ü", "u", "'", "").Replace(last)) + strconv.Itoa(i)
		group := g.pick([]string{"default", "default", "agencies", "influencers"})
		outcome := "valid"
		switch i {
		case 0: // checked value by value
			pkey, first, last, email, partnerKey, group = "pship_fixed0001", "Grace", "Okafor", "grace@okafor.media", "grace-okafor", "influencers"
		case 7:
			email, outcome = "grace@okafor", "rejected invalid_email"
		case 13:
			partnerKey, outcome = keys[2], "rejected duplicate"
		case 26:
			email, outcome = "", "rejected missing_field"
		}
		mapped[outcome]++
		keys = append(keys, partnerKey)
		parts = append(parts, partnership{key: pkey, ok: outcome == "valid"})
		rows = append(rows, []string{pkey, partnerKey, first, last, email, group, strconv.FormatInt(ms(epoch.Add(time.Duration(i)*53*time.Hour)), 10)})
	}
	g.writeCSV("partnerships.csv", ',', []string{"key", "partner_key", "first_name", "last_name", "email", "group_slug", "joined_at"}, rows)
	g.reportf("partnerships.csv: read=30 %v", mapped)

	type customer struct {
		key, email string
		ok         bool
	}
	var good []partnership
	for _, p := range parts {
		if p.ok {
			good = append(good, p)
		}
	}
	var custs []customer
	var objs []map[string]any
	mapped = counts{}
	for i := range 240 {
		first, last, email := g.person(4000 + i)
		p := good[g.rng.IntN(len(good))]
		c := customer{key: fmt.Sprintf("acct_%06d", 500000+i*11), email: email, ok: true}
		obj := map[string]any{
			"key": "cust_" + g.alnum(12), "customer_key": c.key, "name": first + " " + last, "email": email,
			"partnership_key": p.key, "provider_key": "cus_" + g.alnum(14),
			"created_at": json.Number(strconv.FormatInt(ms(epoch.Add(time.Duration(i)*13*time.Hour)), 10)),
			"updated_at": json.Number(strconv.FormatInt(ms(epoch.Add(time.Duration(i)*13*time.Hour+time.Hour)), 10)),
			"meta":       map[string]any{}, "test": false,
		}
		outcome := "valid"
		switch i {
		case 0:
			obj["key"], obj["customer_key"], obj["email"], obj["name"], obj["partnership_key"] = "cust_fixed0001", "acct_fixed_1", "Lena.Vogel@Example.AT", "Lena Vogel", "pship_fixed0001"
			c.key, c.email = "acct_fixed_1", "lena.vogel@example.at"
		case 30, 31: // no customer_key of yours: PartnerStack's key
			obj["customer_key"] = nil
			c.key = obj["key"].(string)
		case 50:
			obj["partnership_key"], outcome = nil, "rejected missing_field"
		case 90:
			obj["customer_key"], outcome = custs[9].key, "rejected duplicate"
		case 130:
			obj["email"], outcome = "lena@vogel@example.at", "rejected invalid_email"
		}
		c.ok = outcome == "valid"
		mapped[outcome]++
		custs = append(custs, c)
		objs = append(objs, obj)
	}
	g.writeJSONL("customers.jsonl", objs)
	g.reportf("customers.jsonl: read=240 %v", mapped)

	var pool []customer
	for _, c := range custs {
		if c.ok {
			pool = append(pool, c)
		}
	}
	rows = nil
	mapped = counts{}
	migrated := counts{}
	var txKeys []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		if i == 800 || i == 801 {
			c = custs[130]
		}
		cur := g.pick([]string{"USD", "USD", "USD", "CAD", "EUR", "JPY"})
		amount := []int{2900, 7900, 14900, 49900}[g.rng.IntN(4)]
		if cur == "JPY" {
			amount = []int{3300, 8800}[g.rng.IntN(2)]
		}
		key := "txn_" + g.alnum(16)
		at := strconv.FormatInt(ms(epoch.Add(time.Duration(i)*4*time.Hour+time.Duration(g.rng.IntN(3600000))*time.Millisecond)), 10)
		custKey, custEmail := c.key, ""
		if i%10 == 3 { // some rows name the customer by email only
			custKey, custEmail = "", c.email
		}
		product := g.pick([]string{"prod_starter", "prod_growth", "prod_scale"})
		category := g.pick([]string{"subscription", "subscription", "addon"})
		amountText := strconv.Itoa(amount)
		outcome := "valid"
		switch i {
		case 0:
			key, amountText, cur, at, custKey, custEmail, product, category = "txn_fixed_0001", "14900", "USD", "1712059200123", "acct_fixed_1", "", "prod_growth", "subscription"
		case 1:
			key, amountText, cur, at = "txn_fixed_0002", "8800", "JPY", "1712062800000"
		case 100:
			at, outcome = "1712059200", "rejected invalid_time" // seconds where milliseconds are expected
		case 200:
			amountText, outcome = "149.00", "rejected invalid_amount"
		case 300:
			key, outcome = txKeys[44], "rejected duplicate"
		case 400:
			custKey, custEmail, outcome = "", "", "rejected missing_field"
		case 500:
			cur, outcome = "", "rejected invalid_amount" // cents with no currency to convert by
		}
		mapped[outcome]++
		if outcome == "valid" {
			txKeys = append(txKeys, key)
			if c.ok {
				migrated["created"]++
			} else {
				migrated["parent_rejected"]++
			}
		}
		rows = append(rows, []string{key, amountText, cur, custKey, custEmail, product, category, at})
	}
	g.writeCSV("transactions.csv", ',', []string{"key", "amount", "currency", "customer_key", "customer_email", "product_key", "category_key", "created_at"}, rows)
	g.reportf("transactions.csv: read=1000 %v", mapped)
	g.reportf("transactions.csv migration of the valid rows: %v", migrated)
}
