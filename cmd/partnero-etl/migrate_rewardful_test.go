package main

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// These tests migrate exports shaped as the platforms document them (the
// example objects of their API references, under mapping/testdata, and
// variants of them) into an empty sandbox program, and check where every
// sale landed: its customer, that customer's partner, its amount and
// currency, the per-currency totals, the referral keys, and that the
// program holds no customer the files do not name.

// docObject reads one of the example objects a platform's reference prints
// (mapping/testdata/PLATFORM/NAME, sources in the README there).
func docObject(t *testing.T, platform, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "mapping", "testdata", platform, name))
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// jsonLines writes objects as JSON lines.
func jsonLines(t *testing.T, objs ...any) string {
	t.Helper()
	var b strings.Builder
	for _, o := range objs {
		line, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// filedSale is where a migrated sale must be: its customer's key, that
// customer's partner's email, its amount and currency.
type filedSale struct{ customer, partner, amount, currency string }

// attribution is what a migration into an empty program must leave there.
type attribution struct {
	customers map[string]string    // customer key -> its partner's email: exactly these
	sales     map[string]filedSale // transaction key -> where it is: exactly these
	sums      map[string]string    // currency -> the sum of its sales' amounts
	keys      map[string]string    // partner email -> referral key
}

// checkAttribution reads the program the migration wrote and compares it
// with want, record by record and per currency.
func checkAttribution(t *testing.T, base string, want attribution) {
	t.Helper()
	st := readProgram(t, base)
	var gotCustomers []string
	for k := range st.customers {
		gotCustomers = append(gotCustomers, k)
		if p := st.partnerOf(k); want.customers[k] != "" && p != want.customers[k] {
			t.Errorf("customer %s is under partner %q, want %q", k, p, want.customers[k])
		}
	}
	slices.Sort(gotCustomers)
	wantCustomers := slices.Sorted(func(yield func(string) bool) {
		for k := range want.customers {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(gotCustomers, wantCustomers) {
		t.Errorf("program holds customers %v, want exactly %v (the files name no other)", gotCustomers, wantCustomers)
	}
	sums := map[string]*big.Rat{}
	for k, tx := range st.txs {
		w, ok := want.sales[k]
		if !ok {
			t.Errorf("transaction %s (customer %s, %v %s) is not a sale of the files", k, tx.Customer.Key, tx.Amount, tx.AmountUnits)
			continue
		}
		if tx.Customer.Key != w.customer || st.partnerOf(tx.Customer.Key) != w.partner {
			t.Errorf("%s: customer %s of partner %s, want %s of %s", k, tx.Customer.Key, st.partnerOf(tx.Customer.Key), w.customer, w.partner)
		}
		if tx.Amount == nil || tx.Amount.String() != w.amount || tx.AmountUnits != w.currency {
			t.Errorf("%s: %v %s, want %s %s", k, tx.Amount, tx.AmountUnits, w.amount, w.currency)
			continue
		}
		if sums[tx.AmountUnits] == nil {
			sums[tx.AmountUnits] = new(big.Rat)
		}
		sums[tx.AmountUnits].Add(sums[tx.AmountUnits], tx.Amount.Rat())
	}
	for k := range want.sales {
		if _, ok := st.txs[k]; !ok {
			t.Errorf("sale %s is missing", k)
		}
	}
	for cur, s := range want.sums {
		w := api.MustDecimal(s).Rat()
		if sums[cur] == nil || sums[cur].Cmp(w) != 0 {
			t.Errorf("%s total %v, want %s", cur, sums[cur], s)
		}
	}
	for cur := range sums {
		if _, ok := want.sums[cur]; !ok {
			t.Errorf("sales in %s, a currency the files do not sell in", cur)
		}
	}
	if len(want.keys) > 0 {
		checkReferralKeys(t, base, want.keys)
	}
}

// checkReferralKeys reads each partner's referral links: the keys links
// already shared carry must have survived.
func checkReferralKeys(t *testing.T, base string, want map[string]string) {
	t.Helper()
	c, err := api.NewClient(api.WithBaseURL(base), api.WithAPIKey("good-key"), api.WithRate(api.Rate{PerSecond: 5000}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for p, err := range c.Partners.All(t.Context(), api.ListOptions{Limit: 250}) {
		if err != nil {
			t.Fatal(err)
		}
		page, err := c.Partners.ReferralLinks(t.Context(), string(p.ID), api.ListOptions{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Items {
			got[p.Email] = l.Key
		}
	}
	for email, key := range want {
		if got[email] != key {
			t.Errorf("partner %s has referral key %q, want %q", email, got[email], key)
		}
	}
}

// migrateTwice runs the migration, checks its report, then runs it again:
// the second run must write nothing.
func migrateTwice(t *testing.T, sb *sandbox.Server, base, from string, files map[string]string, want map[string]stageWant) {
	t.Helper()
	report := filepath.Join(filepath.Dir(files["partners"]), "report.json")
	args := []string{"--from", from, "--report", report}
	for _, e := range []string{"partners", "customers", "transactions"} {
		if files[e] != "" {
			args = append(args, "--"+e, files[e])
		}
	}
	code, out, errOut := runMigrateArgs(t, base, args...)
	if code != exitOK && code != exitRejects {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	checkMigration(t, readMigrationReport(t, report), want)
	before := migrateWrites(sb.Stats())
	if code, out, errOut := runMigrateArgs(t, base, args...); code != exitOK && code != exitRejects {
		t.Fatalf("re-run: exit %d\n%s\n%s", code, out, errOut)
	}
	if w := migrateWrites(sb.Stats()) - before; w != 0 {
		t.Errorf("re-run wrote %d times, want none", w)
	}
}

// TestMigrateRewardfulDocumented migrates Rewardful's API objects: the
// reference's own affiliate, referral and commission, and variants of them
// Rewardful writes for other cases (a customer billed outside Stripe, a
// sale in another currency than the account's, a voided commission, the
// commission of a customer the referrals file does not hold).
func TestMigrateRewardfulDocumented(t *testing.T) {
	sb, base := newMigrateSandbox(t)

	adam := docObject(t, "rewardful", "affiliate.json") // d0ed8392-…, token adam
	const adamID, jamesID = "d0ed8392-8880-4f39-8715-60230f9eceab", "dc939584-a94a-4bdf-b8f4-8d255aae729c"
	james := map[string]any{
		"id": jamesID, "email": "james@mi6.co.uk", "first_name": "James", "last_name": "Bond",
		"campaign": map[string]any{"id": "ae37c8ce-f82b-4e1b-9653-b802ae459a62", "name": "Friends of MI6"},
		"links":    []any{map[string]any{"id": "32a19d65-2b68-434d-a401-e72ca7f24d81", "url": "http://www.example.com/?via=jb007", "token": "jb007"}},
	}
	fred := docObject(t, "rewardful", "referral.json") // cus_ABC123 of James
	referral := func(id, stripe, customerID, email, affID string, state string) map[string]any {
		var s any
		if stripe != "" {
			s = stripe
		}
		return map[string]any{
			"id": id, "conversion_state": state, "stripe_customer_id": s,
			"customer":  map[string]any{"id": customerID, "email": email, "name": "", "platform": map[bool]string{true: "stripe", false: "paddle"}[stripe != ""]},
			"affiliate": map[string]any{"id": affID, "email": "adam.jones@example.com"},
			"link":      map[string]any{"token": "adam"},
		}
	}
	ana := referral("0f5e2b1c-7d1a-4c55-9a0e-3c3a3e2d1b01", "", "ctm_01hx", "ana@example.com", adamID, "conversion")
	gwen := referral("6b0e6f0a-1f43-4d7e-a9e5-0b6c9f5e2a11", "cus_GBP1", "cus_GBP1", "gwen@example.co.uk", adamID, "conversion")
	lead := referral("9a1c3b5d-2e4f-4a6b-8c0d-1e2f3a4b5c6d", "", "ctm_lead", "lead@example.com", adamID, "lead")

	doc := docObject(t, "rewardful", "commission.json") // sale 1566a74e-…: $25, commission $7.50, of cus_ABC123
	// The reference's commission and referral examples name the same
	// Stripe customer under two referral ids (3aafa13f-… and e523da29-…):
	// the commission joins by the Stripe id.
	commission := func(id, saleID, state, cur string, cents, commissionCents int, ref map[string]any) map[string]any {
		r := map[string]any{"id": ref["id"], "stripe_customer_id": ref["stripe_customer_id"], "customer": ref["customer"], "conversion_state": "conversion"}
		return map[string]any{
			"id": id, "amount": commissionCents, "currency": "USD", "state": state,
			"sale": map[string]any{
				"id": saleID, "currency": cur, "charged_at": "2024-03-05T09:30:00.000Z", "sale_amount_cents": cents,
				"referral": r, "affiliate": ref["affiliate"],
			},
		}
	}
	ghost := referral("77777777-0000-4000-8000-000000000000", "cus_GHOST", "cus_GHOST", "ghost@example.com", adamID, "conversion")
	dir := t.TempDir()
	p := writeFiles(t, dir, map[string]string{
		"affiliates.jsonl": jsonLines(t, adam, james),
		"referrals.jsonl":  jsonLines(t, fred, ana, gwen, lead),
		"commissions.jsonl": jsonLines(t, doc,
			commission("c-gbp", "s-gbp", "paid", "GBP", 29900, 1143, gwen),    // £299.00; its commission is in USD
			commission("c-jpy", "s-jpy", "due", "JPY", 980, 196, ana),         // ¥980, not $9.80
			commission("c-void", "s-void", "voided", "USD", 4900, 1470, gwen), // refunded: not a sale
			commission("c-usd", "s-usd", "paid", "USD", 4999, 1250, ana),
			commission("c-ghost", "s-ghost", "paid", "USD", 1000, 300, ghost), // a customer the referrals file does not hold
		),
	})
	migrateTwice(t, sb, base, "rewardful", map[string]string{
		"partners": p["affiliates.jsonl"], "customers": p["referrals.jsonl"], "transactions": p["commissions.jsonl"],
	}, map[string]stageWant{
		"partners":     {2, 0, 0, nil},
		"customers":    {3, 1, 0, nil},
		"transactions": {4, 1, 1, map[string]int64{"unknown_customer": 1}},
	})
	checkAttribution(t, base, attribution{
		customers: map[string]string{"cus_ABC123": "james@mi6.co.uk", "ctm_01hx": "adam.jones@example.com", "cus_GBP1": "adam.jones@example.com"},
		sales: map[string]filedSale{
			"1566a74e-e9ad-4849-b024-e1be9ef316ff": {"cus_ABC123", "james@mi6.co.uk", "25", "USD"},
			"s-gbp":                                {"cus_GBP1", "adam.jones@example.com", "299", "GBP"},
			"s-jpy":                                {"ctm_01hx", "adam.jones@example.com", "980", "JPY"},
			"s-usd":                                {"ctm_01hx", "adam.jones@example.com", "49.99", "USD"},
		},
		sums: map[string]string{"USD": "74.99", "GBP": "299", "JPY": "980"},
		keys: map[string]string{"adam.jones@example.com": "adam", "james@mi6.co.uk": "jb007"},
	})
}

// TestMigrateRewardfulImportTemplate reads affiliates from the one CSV
// Rewardful documents, its import template (stripe_customer_id, first_name,
// last_name, email, paypal_email, wise_email, token: help.rewardful.com,
// "How do I import data into Rewardful?"). The template has no affiliate
// id, so the referrals join their affiliate by email.
func TestMigrateRewardfulImportTemplate(t *testing.T) {
	sb, base := newMigrateSandbox(t)
	dir := t.TempDir()
	referral := docObject(t, "rewardful", "referral.json") // of james.bond@mi6.co.uk
	commission := docObject(t, "rewardful", "commission.json")
	p := writeFiles(t, dir, map[string]string{
		"affiliates.csv": "stripe_customer_id,first_name,last_name,email,paypal_email,wise_email,token\n" +
			"cus_ABC123,James,Bond,james.bond@mi6.co.uk,,,jb007\n" +
			"cus_XYZ789,Adam,Jones,adam.jones@example.com,adam.pay@example.com,,adam\n",
		"referrals.jsonl":   jsonLines(t, referral),
		"commissions.jsonl": jsonLines(t, commission),
	})
	migrateTwice(t, sb, base, "rewardful", map[string]string{
		"partners": p["affiliates.csv"], "customers": p["referrals.jsonl"], "transactions": p["commissions.jsonl"],
	}, map[string]stageWant{
		"partners":     {2, 0, 0, nil},
		"customers":    {1, 0, 0, nil},
		"transactions": {1, 0, 0, nil},
	})
	checkAttribution(t, base, attribution{
		customers: map[string]string{"cus_ABC123": "james.bond@mi6.co.uk"},
		sales:     map[string]filedSale{"1566a74e-e9ad-4849-b024-e1be9ef316ff": {"cus_ABC123", "james.bond@mi6.co.uk", "25", "USD"}},
		sums:      map[string]string{"USD": "25"},
		keys:      map[string]string{"james.bond@mi6.co.uk": "jb007", "adam.jones@example.com": "adam"},
	})
}
