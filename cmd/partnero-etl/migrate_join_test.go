package main

import (
	"context"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
)

// programState reads what a sandbox program holds: customers by key (with
// their partner's email) and transactions by key.
type programState struct {
	customers map[string]api.Customer
	partners  map[api.ID]string // id -> email
	txs       map[string]api.Transaction
}

func readProgram(t testing.TB, base string) programState {
	t.Helper()
	c, err := api.NewClient(api.WithBaseURL(base), api.WithAPIKey("good-key"), api.WithRate(api.Rate{PerSecond: 5000}))
	if err != nil {
		t.Fatal(err)
	}
	st := programState{customers: map[string]api.Customer{}, partners: map[api.ID]string{}, txs: map[string]api.Transaction{}}
	for p, err := range c.Partners.All(t.Context(), api.ListOptions{Limit: 250}) {
		if err != nil {
			t.Fatal(err)
		}
		st.partners[p.ID] = p.Email
	}
	for cu, err := range c.Customers.All(t.Context(), api.ListOptions{Limit: 250}) {
		if err != nil {
			t.Fatal(err)
		}
		st.customers[cu.Key] = cu
	}
	for tx, err := range c.Transactions.All(t.Context(), api.ListOptions{Limit: 250}) {
		if err != nil {
			t.Fatal(err)
		}
		st.txs[tx.Key] = tx
	}
	return st
}

// checkMoney holds a migration report's money against the program: per
// currency, every row read is in exactly one bucket (rows and exact sums),
// and what the report says was written (with what was already there) is
// what the program holds, to the last digit.
func checkMoney(t *testing.T, rep migrate.MigrationReport, st programState) {
	t.Helper()
	rat := func(s string) *big.Rat {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("report amount %q is not a decimal", s)
		}
		return r
	}
	held := map[string]*big.Rat{}
	for _, tx := range st.txs {
		if held[tx.AmountUnits] == nil {
			held[tx.AmountUnits] = new(big.Rat)
		}
		if tx.Amount != nil {
			held[tx.AmountUnits].Add(held[tx.AmountUnits], tx.Amount.Rat())
		}
	}
	var landed int64
	for cur, m := range rep.Money {
		buckets := []pipeline.MoneyTotals{m.Written, m.Unchanged, m.Skipped, m.Rejected, m.NotFinished}
		rows, amount := int64(0), new(big.Rat)
		for _, b := range buckets {
			rows += b.Rows
			amount.Add(amount, rat(b.Amount))
		}
		if rows != m.Read.Rows || amount.Cmp(rat(m.Read.Amount)) != 0 {
			t.Errorf("%s: read %d rows %s, the buckets add up to %d rows %s", cur, m.Read.Rows, m.Read.Amount, rows, amount.FloatString(2))
		}
		if cur == pipeline.MoneyUnreadable || cur == pipeline.MoneyProgramCurrency {
			continue
		}
		landed += m.Written.Rows + m.Unchanged.Rows
		in := new(big.Rat).Add(rat(m.Written.Amount), rat(m.Unchanged.Amount))
		if h := held[cur]; (h == nil && in.Sign() != 0) || (h != nil && h.Cmp(in) != 0) {
			t.Errorf("%s: the report says %s landed, the program holds %v", cur, in.FloatString(3), h)
		}
		delete(held, cur)
	}
	if len(held) > 0 {
		t.Errorf("the program holds currencies the report does not: %v", held)
	}
	if landed != int64(len(st.txs)) {
		t.Errorf("the report says %d transactions landed, the program holds %d", landed, len(st.txs))
	}
}

// requestFloor is the fewest requests a migration into an empty program
// can make to leave it holding st: the key check, one listing per stage
// (what the program holds), a create per partner, a create per customer
// without transactions, and a batch per 100 transactions of each customer
// (which creates the customer too).
func requestFloor(st programState) int64 {
	perCustomer := map[string]int{}
	for _, tx := range st.txs {
		perCustomer[tx.Customer.Key]++
	}
	floor := int64(1 + 3 + len(st.partners))
	for key := range st.customers {
		if n := perCustomer[key]; n == 0 {
			floor++
		} else {
			floor += int64((n + 99) / 100)
		}
	}
	return floor
}

// partnerOf is the email of a customer's partner.
func (st programState) partnerOf(customerKey string) string {
	c, ok := st.customers[customerKey]
	if !ok || c.Partner == nil {
		return ""
	}
	return st.partners[c.Partner.ID]
}

func writeFiles(t *testing.T, dir string, files map[string]string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// TestMigrateJoinsByCustomerSourceID migrates files whose transactions name
// their customer by the old platform's customer id (customer.source_id)
// beside a key that is another of the customer's ids, as Rewardful's sales
// do (referral.id beside referral.stripe_customer_id). Every sale must land
// under the customers file's customer and its partner; nothing the files do
// not name may be created. On the old code each sale keyed by the referral
// id made a phantom customer under that id, a sale of an unknown customer
// made one too, and a sale of a customer rejected for its email was
// rejected invalid_email (its own copy of the email) instead of
// parent_rejected.
func TestMigrateJoinsByCustomerSourceID(t *testing.T) {
	_, base := newMigrateSandbox(t)
	dir := t.TempDir()
	p := writeFiles(t, dir, map[string]string{
		"partners.csv": "source_id,email,key\np1,ann@example.com,ann\np2,bob@example.com,bob\n",
		"customers.csv": "source_id,key,email,name,partner.source_id\n" +
			"r1,cus_A,a@example.com,Ada,p1\n" + // keyed by its Stripe id
			"r2,r2,b@example.com,Bo,p2\n" + // no Stripe id: keyed by the referral id
			"r3,cus_C,c(at)example.com,Cy,p1\n" + // rejected: invalid_email
			"r4,cus_D,d@example.com,Di,p2\n", // no sales
		"transactions.csv": "key,amount,currency,customer.source_id,customer.key,customer.email,customer.partner.source_id\n" +
			"t1,10.00,USD,r1,r1,a@example.com,p1\n" + // the referral id as key: joined to cus_A
			"t2,20.00,EUR,r2,r2,b@example.com,p2\n" +
			"t3,5.00,USD,r3,r3,c(at)example.com,p1\n" + // customer rejected
			"t4,7.00,USD,r9,r9,z@example.com,p1\n" + // a customer no file names
			"t5,30.50,USD,r1,,,\n" + // the old id only
			"t6,1200,JPY,r2,,,p1\n", // the customer's partner, not the sale's
	})
	report := filepath.Join(dir, "r.json")
	want := map[string]stageWant{
		"partners":     {2, 0, 0, nil},
		"customers":    {3, 0, 1, map[string]int64{"invalid_email": 1}},
		"transactions": {4, 0, 2, map[string]int64{"parent_rejected": 1, "unknown_customer": 1}},
	}
	for _, dry := range []bool{true, false} {
		args := []string{"--partners", p["partners.csv"], "--customers", p["customers.csv"], "--transactions", p["transactions.csv"], "--report", report}
		if dry {
			args = append(args, "--dry-run")
		}
		code, out, errOut := runMigrateArgs(t, base, args...)
		if code != exitRejects {
			t.Fatalf("dry run %v: exit %d\n%s\n%s", dry, code, out, errOut)
		}
		checkMigration(t, readMigrationReport(t, report), want)
	}

	st := readProgram(t, base)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range st.customers {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"cus_A", "cus_D", "r2"}; !slices.Equal(keys, want) {
		t.Errorf("program holds customers %v, want exactly %v (the files name no other)", keys, want)
	}
	// cus_A and r2 were created inside their first transaction batch, with
	// the customers file's own fields; cus_D by a request of its own.
	for key, want := range map[string][2]string{"cus_A": {"a@example.com", "Ada"}, "r2": {"b@example.com", "Bo"}, "cus_D": {"d@example.com", "Di"}} {
		if c := st.customers[key]; c.Email != want[0] || c.Name != want[1] {
			t.Errorf("customer %s: %q %q, want %q %q", key, c.Email, c.Name, want[0], want[1])
		}
	}
	for tx, want := range map[string]struct{ customer, partner, amount, currency string }{
		"t1": {"cus_A", "ann@example.com", "10", "USD"},
		"t2": {"r2", "bob@example.com", "20", "EUR"},
		"t5": {"cus_A", "ann@example.com", "30.5", "USD"},
		"t6": {"r2", "bob@example.com", "1200", "JPY"},
	} {
		got, ok := st.txs[tx]
		if !ok {
			t.Errorf("transaction %s missing", tx)
			continue
		}
		if got.Customer.Key != want.customer || st.partnerOf(got.Customer.Key) != want.partner {
			t.Errorf("%s: customer %s of partner %s, want %s of %s", tx, got.Customer.Key, st.partnerOf(got.Customer.Key), want.customer, want.partner)
		}
		if got.Amount == nil || got.Amount.String() != want.amount || got.AmountUnits != want.currency {
			t.Errorf("%s: %v %s, want %s %s", tx, got.Amount, got.AmountUnits, want.amount, want.currency)
		}
	}
	if len(st.txs) != 4 {
		t.Errorf("program holds %d transactions, want 4", len(st.txs))
	}
	rep := readMigrationReport(t, report)
	checkMoney(t, rep, st)
	wantMoney := map[string][4]string{ // read, written, rejected; rows read
		"USD": {"52.50", "40.50", "12.00", "4"},
		"EUR": {"20.00", "20.00", "0.00", "1"},
		"JPY": {"1200", "1200", "0", "1"},
	}
	for cur, w := range wantMoney {
		m := rep.Money[cur]
		if m == nil || m.Read.Amount != w[0] || m.Written.Amount != w[1] || m.Rejected.Amount != w[2] || strconv.FormatInt(m.Read.Rows, 10) != w[3] {
			t.Errorf("%s: %+v, want read %s written %s rejected %s in %s rows", cur, m, w[0], w[1], w[2], w[3])
		}
	}
	// t1, t2, t5 and t6 by the old id; t4's customer is in no file, looked
	// for in Partnero by key; t3's customer was rejected.
	if !maps.Equal(rep.CustomerJoins, map[string]int64{"source_id": 4, "partnero_key": 1}) {
		t.Errorf("joined by %v, want source_id 4, partnero_key 1", rep.CustomerJoins)
	}
	if rep.CustomersCreated != 2 {
		t.Errorf("%d customers created from transactions, want 2 (cus_A and r2, inside their first batch)", rep.CustomersCreated)
	}
	rej, err := os.ReadFile(filepath.Join(dir, "transactions.rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"customer cus_C was rejected", "customers.csv:4", "customer r9 does not exist in Partnero and the customers input does not have it"} {
		if !strings.Contains(string(rej), s) {
			t.Errorf("transaction rejects lack %q:\n%s", s, rej)
		}
	}
}

// TestMigrateDeferredCustomerWhoseSalesAllFail: a customer left to its
// first transaction batch whose every transaction the API refuses (here a
// key the program holds with other values) is still created, on its own,
// after the transactions stage: the customers file names it.
func TestMigrateDeferredCustomerWhoseSalesAllFail(t *testing.T) {
	_, base := newMigrateSandbox(t)
	dir := t.TempDir()
	p := writeFiles(t, dir, map[string]string{
		"partners.csv":  "source_id,email,key\np1,ann@example.com,ann\n",
		"pre-cust.csv":  "key,email,partner.email\nx,x@example.com,ann@example.com\n",
		"pre-tx.csv":    "key,amount,currency,customer.key\nt9,10.00,USD,x\n",
		"customers.csv": "source_id,key,email,name,partner.source_id\ny1,cus_Y,y@example.com,Yan,p1\nz1,cus_Z,z@example.com,Zoe,p1\n",
		"transactions.csv": "key,amount,currency,customer.source_id\n" +
			"t9,99.00,USD,y1\n" + // the key is x's, with other values: transaction_conflict
			"t10,5.00,USD,z1\n",
	})
	common := []string{"--base-url", base, "--rate", "5000/s", "--quiet", "--api-key", "good-key"}
	for _, args := range [][]string{{"import", "partners", p["partners.csv"]}, {"import", "customers", p["pre-cust.csv"]}, {"import", "transactions", p["pre-tx.csv"]}} {
		io, out, errOut := testStreams()
		if code := run(context.Background(), io, append(args, common...)); code != exitOK {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	report := filepath.Join(dir, "r.json")
	code, out, errOut := runMigrateArgs(t, base, "--partners", p["partners.csv"], "--customers", p["customers.csv"], "--transactions", p["transactions.csv"], "--report", report)
	if code != exitRejects {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	checkMigration(t, readMigrationReport(t, report), map[string]stageWant{
		"partners":     {0, 0, 0, nil},
		"customers":    {2, 0, 0, nil},
		"transactions": {1, 0, 1, map[string]int64{"transaction_conflict": 1}},
	})
	st := readProgram(t, base)
	for _, key := range []string{"cus_Y", "cus_Z"} {
		if c, ok := st.customers[key]; !ok || st.partnerOf(key) != "ann@example.com" {
			t.Errorf("customer %s: %+v (partner %q), want it under ann", key, c, st.partnerOf(key))
		}
	}
	if st.customers["cus_Y"].Name != "Yan" {
		t.Errorf("cus_Y created as %+v, want the customers file's fields", st.customers["cus_Y"])
	}
}

// TestMigrateParentRejectedWhateverTheCode: a transaction of a customer
// that mapping refused is parent_rejected, whether the transaction names
// the customer by the old id (the customer's own key was unreadable: too
// long) or its row has a fault of its own (its copy of the customer's key
// too long, its time unreadable). On the old code such rows kept their own
// codes (too_long, invalid_time) or were unknown.
func TestMigrateParentRejectedWhateverTheCode(t *testing.T) {
	_, base := newMigrateSandbox(t)
	dir := t.TempDir()
	long := strings.Repeat("k", 70)
	p := writeFiles(t, dir, map[string]string{
		"partners.csv": "source_id,email\np1,ann@example.com\n",
		"customers.csv": "source_id,key,email,partner.source_id\n" +
			"r5," + long + ",e@example.com,p1\n" + // too_long key
			"r6,cus_F,f(at)example.com,p1\n", // invalid_email
		"transactions.csv": "key,amount,currency,created_at,customer.source_id,customer.key\n" +
			"t1,1.00,USD,,r5,\n" + // by the old id only
			"t2,1.00,USD,,r5," + long + "\n" + // its own copy of the key too long
			"t3,1.00,USD,yesterday,r6,cus_F\n" + // its own time unreadable
			"t4,1.00,USD,,,cus_F\n", // by key
	})
	report := filepath.Join(dir, "r.json")
	code, out, errOut := runMigrateArgs(t, base, "--partners", p["partners.csv"], "--customers", p["customers.csv"], "--transactions", p["transactions.csv"], "--report", report)
	if code != exitRejects {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	checkMigration(t, readMigrationReport(t, report), map[string]stageWant{
		"partners":     {1, 0, 0, nil},
		"customers":    {0, 0, 2, map[string]int64{"too_long": 1, "invalid_email": 1}},
		"transactions": {0, 0, 4, map[string]int64{"parent_rejected": 4}},
	})
	rej, err := os.ReadFile(filepath.Join(dir, "transactions.rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"customer r5 was rejected (" + filepath.Join(dir, "customers.csv") + ":2", "[too_long]", "customer cus_F was rejected", "[invalid_email]"} {
		if !strings.Contains(string(rej), s) {
			t.Errorf("transaction rejects lack %q:\n%s", s, rej)
		}
	}
}
