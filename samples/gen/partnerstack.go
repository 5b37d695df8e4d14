package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// partnerstack writes partnerships.csv, customers.jsonl and
// transactions.csv in the shapes of PartnerStack's API v2 objects
// (mapping/presets/partnerstack.md has the sources):
//   - partnerships: key, partner_key, email, first_name, last_name, group
//     {slug}, joined_at (airbytehq/airbyte source-partnerstack manifest.yaml,
//     schema partnerships; dubinc/dub apps/web/lib/partnerstack/schemas.ts),
//     as CSV columns with the API's names (group.slug flattened to group_slug);
//   - customers: key (PartnerStack's, cus_...), customer_key (yours),
//     name, email, partnership_key, provider_key, test, epoch-ms created_at
//     (docs.partnerstack.com get_v2-customers example; dub schemas.ts);
//   - transactions: key, amount (cents of currency), amount_usd, currency,
//     customer_key (PartnerStack's customer key: the customer object's key,
//     docs.partnerstack.com/reference/post_v2-transactions), product_key,
//     category_key, test, archived, epoch-ms created_at (Airbyte schema
//     transactions), as CSV columns; refunds are negative amounts.
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
		psKey string // PartnerStack's key: what transactions name
		ok    bool
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
		c := customer{psKey: "cus_" + g.alnum(14), ok: true}
		obj := map[string]any{
			"key": c.psKey, "customer_key": fmt.Sprintf("acct_%06d", 500000+i*11), "name": first + " " + last, "email": email,
			"partnership_key": p.key, "provider_key": "cus_" + g.alnum(14),
			"created_at": json.Number(strconv.FormatInt(ms(epoch.Add(time.Duration(i)*13*time.Hour)), 10)),
			"updated_at": json.Number(strconv.FormatInt(ms(epoch.Add(time.Duration(i)*13*time.Hour+time.Hour)), 10)),
			"meta":       map[string]any{}, "test": false,
		}
		outcome := "valid"
		switch i {
		case 0:
			c.psKey = "cus_fixed0000001"
			obj["key"], obj["customer_key"], obj["email"], obj["name"], obj["partnership_key"] = c.psKey, "acct_fixed_1", "Lena.Vogel@Example.AT", "Lena Vogel", "pship_fixed0001"
		case 30, 31: // no customer_key of yours: PartnerStack's key is the key
			obj["customer_key"] = nil
		case 50:
			obj["partnership_key"], outcome = nil, "rejected missing_field"
		case 70, 71: // made with test keys
			obj["test"], outcome = true, "skipped"
		case 90:
			obj["customer_key"], outcome = objs[9]["customer_key"], "rejected duplicate"
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
	// Cents per unit of USD, for amount_usd (which the preset never reads).
	usdRate := map[string]float64{"USD": 1, "CAD": 0.74, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}
	rows = nil
	mapped = counts{}
	migrated := counts{}
	sums := map[string]int{}
	var txKeys []string
	for i := range 1000 {
		c := pool[g.rng.IntN(len(pool))]
		if i == 800 || i == 801 {
			c = custs[130]
		}
		cur := g.pick([]string{"USD", "USD", "USD", "CAD", "EUR", "GBP", "JPY"})
		amount := []int{2900, 7900, 14900, 49900}[g.rng.IntN(4)]
		if cur == "JPY" {
			amount = []int{3300, 8800}[g.rng.IntN(2)]
		}
		key := "key_" + g.alnum(14)
		at := strconv.FormatInt(ms(epoch.Add(time.Duration(i)*4*time.Hour+time.Duration(g.rng.IntN(3600000))*time.Millisecond)), 10)
		custKey := c.psKey
		product := g.pick([]string{"prod_starter", "prod_growth", "prod_scale"})
		category := g.pick([]string{"subscription", "subscription", "addon"})
		test, archived := "false", "false"
		outcome := "valid"
		switch {
		case i == 0:
			key, amount, cur, at, custKey, product, category = "txn_fixed_0001", 14900, "USD", "1712059200123", "cus_fixed0000001", "prod_growth", "subscription"
		case i == 1:
			key, amount, cur, at = "txn_fixed_0002", 8800, "JPY", "1712062800000"
		case i == 2:
			key, amount, cur = "txn_fixed_0003", 29900, "GBP"
		case i == 100:
			at, outcome = "1712059200", "rejected invalid_time" // seconds where milliseconds are expected
		case i == 300:
			key, outcome = txKeys[44], "rejected duplicate"
		case i == 400:
			custKey, outcome = "", "rejected missing_field"
		case i%50 == 17: // a refund: the sale's amount, negative
			amount, outcome = -amount, "skipped refund"
		case i%97 == 5:
			test, outcome = "true", "skipped test"
		case i%131 == 7:
			archived, outcome = "true", "skipped archived"
		}
		amountText := strconv.Itoa(amount)
		switch i {
		case 200:
			amountText, outcome = "149.00", "rejected invalid_amount"
		case 500:
			cur, outcome = "", "rejected invalid_amount" // cents with no currency to convert by
		}
		usd := ""
		if r, ok := usdRate[cur]; ok {
			usd = strconv.Itoa(int(float64(amount) * r))
			if cur == "JPY" {
				usd = strconv.Itoa(int(float64(amount) * r * 100))
			}
		}
		mapped[outcome]++
		if outcome == "valid" {
			txKeys = append(txKeys, key)
			if c.ok {
				migrated["created"]++
				sums[cur] += amount
			} else {
				migrated["parent_rejected"]++
			}
		}
		rows = append(rows, []string{key, amountText, usd, cur, custKey, product, category, test, archived, at})
	}
	g.writeCSV("transactions.csv", ',', []string{"key", "amount", "amount_usd", "currency", "customer_key", "product_key", "category_key", "test", "archived", "created_at"}, rows)
	g.reportf("transactions.csv: read=1000 %v", mapped)
	g.reportf("transactions.csv migration of the valid rows: %v", migrated)
	g.reportf("transactions.csv created, minor units by currency: %v", counts(sums))
}
