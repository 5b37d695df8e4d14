package main

import (
	"math/big"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigratePostAffiliateProAttribution migrates the Post Affiliate Pro
// sample (affiliates and commissions exports; no customer export, so the
// preset declares create_customers) and checks where every sale landed:
// under the customer its !DATA2 names, created under the affiliate of the
// sale, in the sale's own amount and currency (!ORIGINALCURRENCYVALUE and
// !ORIGINALCURRENCYID, never the converted !TOTALCOST with the original
// code); refunds, chargebacks, bonuses, declined and tier-2 rows not sold,
// recurring commissions sold.
func TestMigratePostAffiliateProAttribution(t *testing.T) {
	base, dir := migrateSample(t, "postaffiliatepro")
	s := snapshotProgram(t, base)

	affEmail := map[string]string{}
	for _, a := range readCSVFile(t, filepath.Join(dir, "affiliates.csv"), ';') {
		affEmail[a["!USERID"]] = strings.ToLower(strings.TrimSpace(a["!USERNAME"]))
	}
	rows := readCSVFile(t, filepath.Join(dir, "commissions.csv"), ',')
	named := map[string]bool{} // customers the commissions name
	for _, r := range rows {
		named[r["!DATA2"]] = true
	}
	for key := range s.customers {
		if !named[key] {
			t.Errorf("customer %q exists in Partnero but in no file", key)
		}
	}
	if len(s.customers) != 213 {
		t.Errorf("%d customers, want 213", len(s.customers))
	}

	checked, recurring := 0, 0
	seen := map[string]bool{}
	for _, r := range rows {
		tx, ok := s.txs[r["!TRANSID"]]
		if seen[r["!TRANSID"]] {
			continue // line 302 repeats a transaction id: rejected as a duplicate
		}
		seen[r["!TRANSID"]] = true
		notSale := r["!RTYPE"] != "S" && r["!RTYPE"] != "U" || r["!RSTATUS"] == "D" || r["!TIER"] != "1"
		if notSale {
			if ok {
				t.Errorf("%s (type %s, status %s, tier %s) was created", r["!TRANSID"], r["!RTYPE"], r["!RSTATUS"], r["!TIER"])
			}
			continue
		}
		if !ok {
			continue
		}
		checked++
		if r["!RTYPE"] == "U" {
			recurring++
		}
		if tx.Customer.Key != r["!DATA2"] {
			t.Errorf("%s: filed under customer %q, want %q", tx.Key, tx.Customer.Key, r["!DATA2"])
		}
		if got, want := s.customerPartner(tx.Customer.Key), affEmail[r["!USERID"]]; got != want {
			t.Errorf("%s: customer's partner %q, want %q", tx.Key, got, want)
		}
		value, cur := r["!ORIGINALCURRENCYVALUE"], r["!ORIGINALCURRENCYID"]
		if value == "" {
			value, cur = r["!TOTALCOST"], "USD" // the main currency: the program's
		}
		want, _ := new(big.Rat).SetString(value)
		if tx.AmountUnits != cur || want == nil || tx.Amount.Rat().Cmp(want) != 0 {
			t.Errorf("%s: %s %s, want %s %s (total cost %s)", tx.Key, tx.Amount, tx.AmountUnits, value, cur, r["!TOTALCOST"])
		}
	}
	if checked != 804 || len(s.txs) != 804 {
		t.Errorf("checked %d of %d transactions, want 804", checked, len(s.txs))
	}
	if recurring == 0 {
		t.Error("no recurring commission was sold")
	}
	// The renewal (type U) of the first sale is filed under the same
	// customer, who was created with that first sale under its affiliate.
	if a, b := s.txs["fixed001"], s.txs["fixed003"]; a.Customer.Key != "C000001" || b.Customer.Key != "C000001" ||
		s.customerPartner("C000001") != "peter.horvath@example.sk" || a.Amount.String() != "149" || a.AmountUnits != "EUR" {
		t.Errorf("fixed001 %+v, fixed003 %+v, customer's partner %q", a, b, s.customerPartner("C000001"))
	}
	if s.partnerKeys["peter.horvath@example.sk"] != "testaff" {
		t.Errorf("referral key of peter.horvath@example.sk = %q, want testaff", s.partnerKeys["peter.horvath@example.sk"])
	}
	checkSums(t, s, map[string]int64{"CZK": 19470000, "EUR": 1743284, "JPY": 1312900, "USD": 1849456})
}
