package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// firstpromoter writes promoters.jsonl, referrals.jsonl and commissions.jsonl:
// the objects of FirstPromoter's current API (v2), one per line, as its
// reference prints them (docs.firstpromoter.com/api-reference-v2:
// promoters/get-available-promoters, referrals/get-referrals,
// commissions/create-a-commission) and the Dub importer reads them
// (dubinc/dub apps/web/lib/firstpromoter/schemas.ts).
func firstpromoter(g *gen) {
	epoch := time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC)
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

	type promoter struct {
		id    int
		email string
		ok    bool
	}
	var proms []promoter
	var refCodes []string
	var objs []map[string]any
	mapped := counts{}
	for i := range 30 {
		first, last, email := g.person(i)
		id := 5001 + i
		ref := strings.ToLower(first) + strconv.Itoa(i)
		status := "accepted"
		if i%6 == 5 {
			status = "pending"
		}
		var parent any
		outcome := "valid"
		switch i {
		case 0: // checked value by value
			first, last, email, ref = "Ethan", "Cole", "ethan.cole@brightpath.co", "ethan"
		case 3:
			parent = json.Number("5001") // a sub-affiliate of line 1 (v1's field, kept by some dumps)
		case 8, 19:
			status, outcome = "rejected", "skipped"
		case 12:
			email, outcome = "ines.moreau12@@proton.me", "rejected invalid_email"
		case 16:
			ref, outcome = refCodes[4], "rejected duplicate" // the code of line 5
		case 23:
			ref, outcome = "john doe", "rejected invalid_value" // a code with a space would break links
		}
		mapped[outcome]++
		proms = append(proms, promoter{id: id, email: email, ok: outcome == "valid"})
		created := iso(epoch.Add(time.Duration(i) * 41 * time.Hour))
		o := map[string]any{
			"id": id, "email": email, "name": first + " " + last, "cust_id": nil, "note": nil, "state": status,
			"created_at": created, "updated_at": created, "joined_at": created,
			"profile": map[string]any{"id": 8000 + i, "first_name": first, "last_name": last, "website": "https://" + strings.ToLower(last) + ".blog",
				"company_name": nil, "country": g.pick([]string{"US", "DE", "FR", "JP", "GB", "PL"}), "paypal_email": email},
			"stats": map[string]any{"clicks_count": g.rng.IntN(50000), "referrals_count": 0},
			"promoter_campaigns": []any{map[string]any{
				"id": 7000 + i, "campaign_id": 1, "promoter_id": id, "state": status, "created_at": created,
				"campaign": map[string]any{"id": 1, "name": "Main", "color": "#2f80ed"}, "coupon": nil, "ref_token": ref,
			}},
		}
		if parent != nil {
			o["parent_promoter_id"] = parent
		}
		objs = append(objs, o)
		refCodes = append(refCodes, ref)
	}
	g.writeJSONL("promoters.jsonl", objs)
	g.reportf("promoters.jsonl: read=30 %v", mapped)

	// Referrals: 260 v2 referral objects.
	type referral struct {
		id, uid, email string
		promoter       int
		promoterEmail  string
		ok             bool
	}
	var refs []referral
	var good []promoter
	for _, p := range proms {
		if p.ok {
			good = append(good, p)
		}
	}
	var refObjs []map[string]any
	mapped = counts{}
	for i := range 260 {
		first, last, email := g.person(2000 + i)
		p := good[g.rng.IntN(len(good))]
		uid := "cus_" + g.alnum(14)
		id := strconv.Itoa(900000 + i*3)
		state := g.pick([]string{"active", "active", "active", "signup", "cancelled"})
		created := epoch.Add(time.Duration(i) * 9 * time.Hour)
		since := iso(created.Add(48 * time.Hour))
		if state == "signup" {
			since = ""
		}
		promID, promEmail := strconv.Itoa(p.id), p.email
		r := referral{id: id, uid: uid, email: email, promoter: p.id, promoterEmail: p.email, ok: true}
		fileEmail := email
		switch {
		case i == 0: // checked value by value
			first, last, email, uid, id = "Sofia", "Rossi", "sofia.rossi@example.it", "cus_FP0000000001", "900000"
			promID, promEmail = "5001", "ethan.cole@brightpath.co"
			r.id, r.uid, r.email, r.promoter, r.promoterEmail = id, uid, email, 5001, promEmail
			fileEmail = "Sofia.Rossi@example.it (moved)"
		case i == 30 || i == 31 || i == 32 || i == 33: // no uid: keyed by FirstPromoter's id, commissions join by email
			uid = ""
			r.uid = ""
		case i == 50:
			fileEmail, r.ok = "maria@", false
			mapped["rejected invalid_email"]++
		case i == 60:
			promID, promEmail, r.ok = "", "", false
			mapped["rejected missing_field"]++
		case i == 70:
			uid, r.ok = refs[10].uid, false
			mapped["rejected duplicate"]++
		case i == 80:
			uid, r.ok = "cus_"+strings.Repeat("0", 66), false
			mapped["rejected too_long"]++
		case i%43 == 7: // moved to another promoter: FirstPromoter appends " (moved)"
			fileEmail = email + " (moved)"
		}
		if r.ok {
			mapped["valid"]++
		}
		refs = append(refs, r)
		refObjs = append(refObjs, referralObject(id, fileEmail, uid, first, last, state, iso(created), since, promID, promEmail))
	}
	g.writeJSONL("referrals.jsonl", refObjs)
	g.reportf("referrals.jsonl: read=260 %v", mapped)

	// Commissions: 1000 rows, snake_case.
	var pool []referral
	for _, r := range refs {
		if r.ok {
			pool = append(pool, r)
		}
	}
	type money struct {
		cur   string
		sales []int
	}
	monies := []money{{"USD", []int{1900, 4900, 9900}}, {"USD", []int{4900, 14900}}, {"EUR", []int{2900, 4999}}, {"JPY", []int{5000, 9800}}, {"", []int{2900, 4900}}}
	var comObjs []map[string]any
	mapped = counts{}
	migrated := counts{}
	skips := counts{}
	var events []string
	for i := range 1000 {
		r := pool[g.rng.IntN(len(pool))]
		if i == 500 || i == 501 {
			r = refs[50] // the referral rejected for its email: parent_rejected in a migration
		}
		m := monies[g.rng.IntN(len(monies))]
		sale := m.sales[g.rng.IntN(len(m.sales))]
		reward := sale * 30 / 100
		status := g.pick([]string{"approved", "approved", "approved", "approved", "approved", "approved", "approved", "pending", "pending", "denied"})
		unit := "cash"
		if g.rng.IntN(40) == 0 {
			unit = g.pick([]string{"credits", "points", "free_months"})
		}
		paid := "false"
		if status == "approved" && g.rng.IntN(3) > 0 {
			paid = "true"
		}
		self := "false"
		ctype := "sale"
		event := "evt_" + g.alnum(20)
		at := epoch.Add(time.Duration(i)*6*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second)
		created := iso(at)
		if i%5 == 0 {
			created = at.In(time.FixedZone("", -5*3600)).Format("2006-01-02T15:04:05-07:00")
		}
		outcome := ""
		switch {
		case i == 0: // checked value by value: yen in whole units
			event, status, unit, m.cur, sale, reward, paid, created, r = "evt_fixed_jpy", "approved", "cash", "JPY", 5000, 1500, "true", "2024-03-05T09:30:00.000Z", refs[0]
		case i == 1:
			event, status, unit, m.cur, sale, reward, paid, created = "evt_fixed_eur", "pending", "cash", "EUR", 4999, 1500, "false", "2024-03-05T10:30:00+01:00"
		case i == 2 || i%97 == 50: // custom commissions (bonuses): no event id, no sale, a derived key
			event, ctype, sale, status, unit, self, m.cur = "", "custom", 0, "approved", "cash", "false", ""
			reward = 5000
			if i == 2 {
				m.cur, created, r = "USD", "2024-03-06T12:00:00.000Z", refs[0]
			}
		case i%61 == 13: // a refund: a negative commission with its own re_ event id
			event, status, unit, self = "re_"+g.alnum(20), "approved", "cash", "false"
			sale, reward = -sale, -reward
			outcome = "skipped"
			skips["refund"]++
		case i == 3: // no currency: the preset's default (USD)
			event, status, unit, m.cur, sale, reward = "evt_fixed_nocur", "approved", "cash", "", 4900, 1470
		case i%125 == 9:
			self, status, unit = "true", "approved", "cash"
			outcome = "skipped"
		case i == 100:
			sale, status, unit = 0, "approved", "cash"
			outcome = "rejected invalid_amount"
		case i == 200:
			m.cur, status, unit = "EURO", "approved", "cash"
			outcome = "rejected invalid_currency"
		case i == 300:
			created, status, unit = "2024-13-45T25:00:00Z", "approved", "cash"
			outcome = "rejected invalid_time"
		case i == 400:
			event, status, unit = events[20], "approved", "cash"
			outcome = "rejected duplicate"
		case i == 600:
			r, status, unit = referral{}, "approved", "cash"
			outcome = "rejected missing_field"
		}
		saleText := strconv.Itoa(sale)
		if i == 100 {
			saleText = "12.99"
		}
		switch {
		case outcome == "skipped" && self == "true":
			skips["self-referral"]++
		case outcome == "skipped":
		case outcome != "":
		case unit != "cash":
			outcome = "skipped"
			skips["not cash"]++
		case status == "denied":
			outcome = "skipped"
			skips["denied"]++
		default:
			outcome = "valid"
		}
		mapped[outcome]++
		if outcome == "valid" {
			if event != "" {
				events = append(events, event)
			}
			if r.ok {
				migrated["created"]++
			} else {
				migrated["parent_rejected"]++
			}
		}
		email := r.email
		if i%50 == 25 && email != "" {
			email += " (moved)"
		}
		// The v2 commission's shape (docs.firstpromoter.com/api-reference-v2,
		// commissions): sale_amount and amount are in the account's
		// currency (USD here), original_sale_amount is the sale in its own
		// currency (original_sale_currency); amounts in minor units.
		usdText := strconv.Itoa(toUSDCents(m.cur, sale))
		if i == 100 {
			usdText = "1299"
		}
		var ref any
		if r.id != "" {
			ref = map[string]any{"id": num(r.id), "email": email, "uid": nullable(r.uid)}
		}
		var pc any
		if r.promoter != 0 {
			pc = map[string]any{"id": 7000 + r.promoter - 5001, "campaign_id": 1, "promoter_id": r.promoter,
				"promoter": map[string]any{"id": r.promoter, "email": r.promoterEmail, "name": ""},
				"campaign": map[string]any{"id": 1, "name": "Main", "color": "#2f80ed"}}
		}
		comObjs = append(comObjs, map[string]any{
			"id": 300000 + i, "status": status, "metadata": map[string]any{}, "is_self_referral": self == "true",
			"commission_type": ctype, "created_by_user_email": nil, "created_by_user_at": nil,
			"sale_amount": num(usdText), "original_sale_amount": num(saleText), "original_sale_currency": nullable(m.cur),
			"event_id": nullable(event), "plan_id": nil, "tier": 1 + g.rng.IntN(2), "internal_note": nil, "external_note": nil,
			"unit": unit, "fraud_check": "no_suspicion", "amount": toUSDCents(m.cur, reward), "is_paid": paid == "true",
			"is_split": false, "created_at": created, "status_updated_at": created,
			"promoter_campaign": pc, "referral": ref, "reward": map[string]any{"id": 1, "name": "30% of sales"},
		})
	}
	g.writeJSONL("commissions.jsonl", comObjs)
	g.reportf("commissions.jsonl: read=1000 %v", mapped)
	g.reportf("commissions.jsonl skipped: %v", skips)
	g.reportf("commissions.jsonl migration of the valid rows: %v", migrated)
}

// referralObject writes one v2 referral (docs.firstpromoter.com
// api-reference-v2 referrals/get-referrals): FirstPromoter's numeric id,
// your uid (null when you sent none), the state, and the promoter campaign
// with its promoter. first_name and last_name are read by the Dub importer
// (nullable), not printed by the reference.
func referralObject(id, email, uid, first, last, state, created, since, promID, promEmail string) map[string]any {
	var pc any
	if promID != "" {
		pid, _ := strconv.Atoi(promID)
		pc = map[string]any{"id": 7000 + pid - 5001, "campaign_id": 1, "promoter_id": pid, "created_at": created,
			"promoter": map[string]any{"id": pid, "email": promEmail, "name": ""},
			"campaign": map[string]any{"id": 1, "name": "Main", "color": "#2f80ed"}}
	}
	return map[string]any{
		"id": num(id), "email": email, "uid": nullable(uid), "state": state, "metadata": map[string]any{},
		"entry_source": "cookie", "created_at": created, "customer_since": nullable(since),
		"first_name": first, "last_name": last, "promoter_campaign": pc,
		"fraud_check": "no_suspicion", "created_by_user_email": nil,
	}
}

// num writes a number as the API does, or the text as it is when it is not
// one (a broken export).
func num(s string) any {
	if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, ".eE") {
		return json.Number(s)
	}
	return s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// toUSDCents converts an amount in minor units of cur into US cents at
// fixed sample rates, as FirstPromoter reports sale_amount and amount in the
// account's currency. No currency is the account's.
func toUSDCents(cur string, minor int) int {
	switch cur {
	case "EUR":
		return minor * 108 / 100
	case "JPY":
		return minor * 100 / 150 // whole yen to cents
	}
	return minor
}
