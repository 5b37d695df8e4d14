package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// programSnapshot is what a sandbox program holds after a migration, read
// back through the API as a user would check it.
type programSnapshot struct {
	partnerEmail map[string]string // partner id -> email
	partnerKeys  map[string]string // partner email -> referral key
	customers    map[string]partnero.Customer
	txs          map[string]partnero.Transaction
}

func snapshotProgram(t *testing.T, base string) programSnapshot {
	t.Helper()
	ctx := context.Background()
	rate, err := partnero.ParseRate("5000/s")
	if err != nil {
		t.Fatal(err)
	}
	c, err := partnero.NewClient(partnero.WithBaseURL(base), partnero.WithAPIKey("good-key"), partnero.WithRate(rate))
	if err != nil {
		t.Fatal(err)
	}
	s := programSnapshot{partnerEmail: map[string]string{}, partnerKeys: map[string]string{},
		customers: map[string]partnero.Customer{}, txs: map[string]partnero.Transaction{}}
	all := partnero.ListOptions{Limit: 250, Sort: "asc"}
	for p, err := range c.Partners.All(ctx, all) {
		if err != nil {
			t.Fatal(err)
		}
		s.partnerEmail[string(p.ID)] = p.Email
		links, err := c.Partners.ReferralLinks(ctx, string(p.ID), partnero.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links.Items {
			s.partnerKeys[p.Email] = l.Key
		}
	}
	for cu, err := range c.Customers.All(ctx, all) {
		if err != nil {
			t.Fatal(err)
		}
		s.customers[cu.Key] = cu
	}
	for tx, err := range c.Transactions.All(ctx, all) {
		if err != nil {
			t.Fatal(err)
		}
		s.txs[tx.Key] = tx
	}
	return s
}

// customerPartner is the email of the partner a customer is filed under.
func (s programSnapshot) customerPartner(key string) string {
	c, ok := s.customers[key]
	if !ok || c.Partner == nil {
		return ""
	}
	return s.partnerEmail[string(c.Partner.ID)]
}

// sumsByCurrency adds up the program's transactions per currency.
func (s programSnapshot) sumsByCurrency() map[string]*big.Rat {
	out := map[string]*big.Rat{}
	for _, tx := range s.txs {
		if out[tx.AmountUnits] == nil {
			out[tx.AmountUnits] = new(big.Rat)
		}
		out[tx.AmountUnits].Add(out[tx.AmountUnits], tx.Amount.Rat())
	}
	return out
}

// minorUnits is n minor units of a currency as a decimal amount.
func minorUnits(n int64, currency string) *big.Rat {
	exp := int64(2) // every currency of the samples but JPY
	if currency == "JPY" {
		exp = 0
	}
	d := new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil)
	return new(big.Rat).SetFrac(big.NewInt(n), d)
}

// checkSums compares the program's per-currency sums with the minor units
// samples/README.md states for the created sales.
func checkSums(t *testing.T, s programSnapshot, want map[string]int64) {
	t.Helper()
	got := s.sumsByCurrency()
	for cur, n := range want {
		if g := got[cur]; g == nil || g.Cmp(minorUnits(n, cur)) != 0 {
			t.Errorf("%s sum %v, want %s", cur, g, minorUnits(n, cur).FloatString(2))
		}
	}
	for cur := range got {
		if _, ok := want[cur]; !ok {
			t.Errorf("unexpected currency %q: %v", cur, got[cur])
		}
	}
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func readCSVFile(t *testing.T, path string, comma rune) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = comma
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs[0]) == 1 && strings.HasPrefix(strings.TrimPrefix(recs[0][0], "\ufeff"), "[[") {
		recs = recs[1:] // Post Affiliate Pro's section line
	}
	head := recs[0]
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range head {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// migrateSample runs the platform's sample migration into an empty sandbox
// program, checks its report against samples/README.md, and returns the
// sandbox's URL and the folder holding the inputs. When the test ends
// without a failure, a second run must write nothing.
func migrateSample(t *testing.T, platform string) (base, dir string) {
	t.Helper()
	var m sampleMigration
	for _, s := range sampleMigrations {
		if s.platform == platform {
			m = s
		}
	}
	sb, base := newMigrateSandbox(t)
	dir, files := copySamples(t, m)
	args := append([]string{"--from", platform, "--report", filepath.Join(dir, "report.json")}, files...)
	code, out, errOut := runMigrateArgs(t, base, args...)
	if code != exitRejects {
		t.Fatalf("exit %d, want 3 (rejects)\n%s\n%s", code, out, errOut)
	}
	checkMigration(t, readMigrationReport(t, filepath.Join(dir, "report.json")), m.want)
	writes := func() int64 { return migrateWrites(sb.Stats()) }
	// A second run writes nothing.
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		before := writes()
		if code, out, errOut := runMigrateArgs(t, base, args...); code != exitRejects {
			t.Errorf("re-run: exit %d\n%s\n%s", code, out, errOut)
		}
		if w := writes() - before; w != 0 {
			t.Errorf("re-run wrote %d times, want none", w)
		}
	})
	return base, dir
}

// TestMigratePartnerStackAttribution migrates the PartnerStack sample (API
// objects and CSV files with the API's field names) and checks where every
// sale landed: under the customer the customers file names by PartnerStack's
// own key, and that customer's partnership, in its own amount and currency.
func TestMigratePartnerStackAttribution(t *testing.T) {
	base, dir := migrateSample(t, "partnerstack")
	s := snapshotProgram(t, base)

	partnerByShip := map[string]string{} // partnership key -> email
	for _, p := range readCSVFile(t, filepath.Join(dir, "partnerships.csv"), ',') {
		partnerByShip[p["key"]] = strings.ToLower(strings.TrimSpace(p["email"]))
	}
	type cust struct{ key, partner string }
	byPSKey := map[string]cust{} // PartnerStack's customer key -> expected Partnero key and partner
	fileKeys := map[string]bool{}
	for _, o := range readJSONLines(t, filepath.Join(dir, "customers.jsonl")) {
		key := str(o["customer_key"])
		if key == "" {
			key = str(o["key"])
		}
		byPSKey[str(o["key"])] = cust{key: key, partner: partnerByShip[str(o["partnership_key"])]}
		fileKeys[key] = true
	}
	for key := range s.customers {
		if !fileKeys[key] {
			t.Errorf("customer %q exists in Partnero but in no file", key)
		}
	}
	if len(s.customers) != 235 {
		t.Errorf("%d customers, want 235", len(s.customers))
	}

	rows := readCSVFile(t, filepath.Join(dir, "transactions.csv"), ',')
	checked := 0
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r["key"]] {
			continue // line 302 repeats a key: rejected as a duplicate
		}
		seen[r["key"]] = true
		tx, ok := s.txs[r["key"]]
		n, err := strconv.ParseInt(r["amount"], 10, 64)
		switch {
		case err == nil && n < 0, r["test"] == "true", r["archived"] == "true":
			if ok {
				t.Errorf("%s: a refund, test or archived transaction was sold: %+v", r["key"], tx)
			}
			continue
		case !ok:
			continue
		}
		checked++
		want := byPSKey[r["customer_key"]]
		if tx.Customer.Key != want.key {
			t.Errorf("%s: filed under customer %q, want %q (PartnerStack's %s)", r["key"], tx.Customer.Key, want.key, r["customer_key"])
		}
		if got := s.customerPartner(tx.Customer.Key); got != want.partner {
			t.Errorf("%s: customer's partner %q, want %q", r["key"], got, want.partner)
		}
		if tx.AmountUnits != r["currency"] || tx.Amount.Rat().Cmp(minorUnits(n, r["currency"])) != 0 {
			t.Errorf("%s: %s %s, want %s minor units of %s", r["key"], tx.Amount, tx.AmountUnits, r["amount"], r["currency"])
		}
		if txPartner := s.partnerEmail[string(tx.Partner)]; txPartner != "" && txPartner != want.partner {
			t.Errorf("%s: transaction partner %q, want %q", r["key"], txPartner, want.partner)
		}
	}
	if checked != 955 || len(s.txs) != 955 {
		t.Errorf("checked %d of %d transactions, want 955", checked, len(s.txs))
	}
	for _, k := range []string{"txn_fixed_0001", "txn_fixed_0002", "txn_fixed_0003"} {
		if _, ok := s.txs[k]; !ok {
			t.Errorf("%s was not created", k)
		}
	}
	if tx := s.txs["txn_fixed_0001"]; tx.Customer.Key != "acct_fixed_1" || s.customerPartner("acct_fixed_1") != "grace@okafor.media" {
		t.Errorf("txn_fixed_0001 filed under %q of %q, want acct_fixed_1 of grace@okafor.media", tx.Customer.Key, s.customerPartner(tx.Customer.Key))
	}
	if s.partnerKeys["grace@okafor.media"] != "grace-okafor" {
		t.Errorf("referral key of grace@okafor.media = %q, want grace-okafor", s.partnerKeys["grace@okafor.media"])
	}
	checkSums(t, s, map[string]int64{"CAD": 2441500, "EUR": 2400600, "GBP": 2622400, "JPY": 920700, "USD": 7915400})
}

// TestMigratePartnerStackJSONLines migrates the same transactions as API
// objects (numbers as numbers, booleans as booleans, the nested customer
// object the list endpoint returns) and checks they land exactly where the
// CSV form's did.
func TestMigratePartnerStackJSONLines(t *testing.T) {
	base, dir := migrateSample(t, "partnerstack")
	want := snapshotProgram(t, base)

	jdir := t.TempDir()
	for _, name := range []string{"partnerships.csv", "customers.jsonl"} {
		if err := copyFile(filepath.Join(dir, name), filepath.Join(jdir, name)); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	for _, r := range readCSVFile(t, filepath.Join(dir, "transactions.csv"), ',') {
		o := map[string]any{"key": r["key"], "currency": r["currency"], "customer_key": r["customer_key"],
			"product_key": r["product_key"], "category_key": r["category_key"], "customer": map[string]any{},
			"test": r["test"] == "true", "archived": r["archived"] == "true", "company": map[string]any{}}
		for _, f := range []string{"amount", "amount_usd", "created_at"} {
			if _, err := strconv.ParseInt(r[f], 10, 64); err == nil {
				o[f] = json.Number(r[f])
			} else if r[f] != "" {
				o[f] = r[f]
			}
		}
		line, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(jdir, "transactions.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, jbase := newMigrateSandbox(t)
	code, out, errOut := runMigrateArgs(t, jbase, "--from", "partnerstack", "--partners", filepath.Join(jdir, "partnerships.csv"),
		"--customers", filepath.Join(jdir, "customers.jsonl"), "--transactions", filepath.Join(jdir, "transactions.jsonl"))
	if code != exitRejects {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	got := snapshotProgram(t, jbase)
	if len(got.txs) != len(want.txs) || len(got.customers) != len(want.customers) {
		t.Fatalf("JSON lines: %d transactions, %d customers; CSV: %d, %d", len(got.txs), len(got.customers), len(want.txs), len(want.customers))
	}
	for k, w := range want.txs {
		g, ok := got.txs[k]
		if !ok || g.Customer.Key != w.Customer.Key || g.AmountUnits != w.AmountUnits || g.Amount.String() != w.Amount.String() ||
			got.customerPartner(g.Customer.Key) != want.customerPartner(w.Customer.Key) {
			t.Errorf("%s: JSON lines %+v, CSV %+v", k, g, w)
		}
	}
}
