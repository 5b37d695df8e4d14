package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMigrateToltAttribution migrates the Tolt sample (links with their
// partner, customers, transaction objects) and checks where every sale
// landed: a transaction's customer_id is Tolt's cust_ id, so the sale must
// sit under the customer whose file row has that id (keyed by your own
// customer_id), under that customer's partner, in the transaction's own
// amount and currency; refunded transactions are not sold.
func TestMigrateToltAttribution(t *testing.T) {
	base, dir := migrateSample(t, "tolt")
	s := snapshotProgram(t, base)

	partnerEmail := map[string]string{} // part_ id -> email
	for _, o := range readJSONLines(t, filepath.Join(dir, "partners.jsonl")) {
		p, _ := o["partner"].(map[string]any)
		partnerEmail[str(p["id"])] = strings.ToLower(strings.TrimSpace(str(p["email"])))
	}
	type cust struct{ key, partner string }
	byToltID := map[string]cust{}
	fileKeys := map[string]bool{}
	for _, r := range readCSVFile(t, filepath.Join(dir, "customers.csv"), ',') {
		key := r["customer_id"]
		if key == "" {
			key = r["id"]
		}
		byToltID[r["id"]] = cust{key: key, partner: partnerEmail[r["partner_id"]]}
		fileKeys[key] = true
	}
	for key := range s.customers {
		if !fileKeys[key] {
			t.Errorf("customer %q exists in Partnero but in no file", key)
		}
	}
	if len(s.customers) != 227 {
		t.Errorf("%d customers, want 227", len(s.customers))
	}

	checked := 0
	seen := map[string]bool{}
	for _, o := range readJSONLines(t, filepath.Join(dir, "transactions.jsonl")) {
		if seen[str(o["charge_id"])] {
			continue // line 401 repeats a charge id: rejected as a duplicate
		}
		seen[str(o["charge_id"])] = true
		tx, ok := s.txs[str(o["charge_id"])]
		if str(o["status"]) == "refunded" {
			if ok {
				t.Errorf("%s: a refunded transaction was sold: %+v", str(o["charge_id"]), tx)
			}
			continue
		}
		if !ok {
			continue
		}
		checked++
		want := byToltID[str(o["customer_id"])]
		if tx.Customer.Key != want.key {
			t.Errorf("%s: filed under customer %q, want %q (Tolt's %s)", tx.Key, tx.Customer.Key, want.key, str(o["customer_id"]))
		}
		if got := s.customerPartner(tx.Customer.Key); got != want.partner {
			t.Errorf("%s: customer's partner %q, want %q", tx.Key, got, want.partner)
		}
		n, err := strconv.ParseInt(str(o["amount"]), 10, 64)
		cur := strings.ToUpper(str(o["currency"]))
		if err != nil || tx.AmountUnits != cur || tx.Amount.Rat().Cmp(minorUnits(n, cur)) != 0 {
			t.Errorf("%s: %s %s, want %s minor units of %s", tx.Key, tx.Amount, tx.AmountUnits, str(o["amount"]), cur)
		}
	}
	if checked != 968 || len(s.txs) != 968 {
		t.Errorf("checked %d of %d transactions, want 968", checked, len(s.txs))
	}
	if tx := s.txs["ch_fixed_0001"]; tx.Customer.Key != "user_dana" || s.customerPartner("user_dana") != "samir@haddad.studio" {
		t.Errorf("ch_fixed_0001 filed under %q of %q, want user_dana of samir@haddad.studio", tx.Customer.Key, s.customerPartner(tx.Customer.Key))
	}
	if tx := s.txs["ch_fixed_0002"]; tx.Amount == nil || tx.Amount.String() != "0.05" || tx.AmountUnits != "EUR" {
		t.Errorf("ch_fixed_0002: %+v, want 0.05 EUR", tx)
	}
	if s.partnerKeys["samir@haddad.studio"] != "sam" {
		t.Errorf("referral key of samir@haddad.studio = %q, want sam", s.partnerKeys["samir@haddad.studio"])
	}
	checkSums(t, s, map[string]int64{"EUR": 1878605, "GBP": 1673100, "JPY": 989100, "USD": 5702100})
}
