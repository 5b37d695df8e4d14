package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestSampleTapfiliate(t *testing.T) {
	affs := mapSample(t, "tapfiliate", record.Partners, readSample(t, "tapfiliate", "affiliates.jsonl", 0))
	checkCounts(t, "affiliates.jsonl", affs.counts, map[string]int{
		"valid": 27, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
	})
	if len(affs.unknown) != 0 {
		t.Errorf("affiliates.jsonl: unknown columns %q", affs.unknown)
	}
	p := affs.records["email:aurelie@bernard-conseil.fr"]
	if p.Partner == nil || p.Partner.Key != "aurelie" || p.Partner.Name != "Aurélie" || p.Partner.Surname != "Bernard" || p.SourceID != "aurelie-b" {
		t.Errorf("affiliate line 1: %+v %+v", p, p.Partner)
	}
	subs, linked := 0, false
	for _, r := range affs.records {
		if r.ParentSourceID == "aurelie-b" {
			subs++
		}
		if r.Partner.Key == "zoe6x" {
			linked = true
		}
	}
	if subs != 1 || !linked {
		t.Errorf("sub-affiliates of aurelie-b: %d (want 1); code out of the link: %v", subs, linked)
	}
	wantErr(t, affs, 10, record.CodeMissingField, "email")
	wantErr(t, affs, 15, record.CodeDuplicate, "email")
	wantErr(t, affs, 22, record.CodeTooLong, "key")

	custs := mapSample(t, "tapfiliate", record.Customers, readSample(t, "tapfiliate", "customers.jsonl", 0))
	checkCounts(t, "customers.jsonl", custs.counts, map[string]int{
		"valid": 247, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeInvalidEmail: 1,
	})
	if len(custs.unknown) != 0 {
		t.Errorf("customers.jsonl: unknown columns %q", custs.unknown)
	}
	c := custs.records["user_fixed_1"]
	if c.Customer == nil || c.Customer.Email != "kai.muller@example.de" || c.ParentSourceID != "aurelie-b" || c.SourceID != "cu_fixed0001" ||
		len(c.Customer.Tags) != 1 || c.Customer.Tags[0] != "paid" {
		t.Errorf("customer line 1: %+v %+v", c, c.Customer)
	}
	wantErr(t, custs, 41, record.CodeMissingField, "partner")
	wantErr(t, custs, 81, record.CodeDuplicate, "key")
	wantErr(t, custs, 121, record.CodeInvalidEmail, "email")

	conv := mapSample(t, "tapfiliate", record.Transactions, readSample(t, "tapfiliate", "conversions.jsonl", 0))
	checkCounts(t, "conversions.jsonl", conv.counts, map[string]int{
		"valid": 839, "skipped": 156, record.CodeInvalidAmount: 1, record.CodeInvalidTime: 1, record.CodeDuplicate: 1,
		record.CodeMissingField: 1, record.CodeInvalidCurrency: 1,
	})
	if len(conv.unknown) != 0 {
		t.Errorf("conversions.jsonl: unknown columns %q", conv.unknown)
	}
	tests := []struct{ key, amount, reward, currency, created string }{
		{"ord-fixed-1", "49.99", "9.99", "EUR", "2024-03-05T09:30:00Z"},
		{"ord-fixed-2", "1200", "240", "JPY", "2024-03-05T08:00:00Z"},
	}
	for _, tt := range tests {
		tx := conv.records[tt.key].Transaction
		if tx == nil {
			t.Errorf("%s missing", tt.key)
			continue
		}
		want, _ := time.Parse(time.RFC3339, tt.created)
		if tx.Amount.String() != tt.amount || tx.Reward.String() != tt.reward || tx.AmountUnits != tt.currency || !tx.CreatedAt.Equal(want) || tx.Action != "sale" {
			t.Errorf("%s: %s %s %s at %v %s", tt.key, tx.Amount, tx.Reward, tx.AmountUnits, tx.CreatedAt, tx.Action)
		}
	}
	if r := conv.records["ord-fixed-1"]; r.Transaction != nil && (r.Transaction.Customer.Key != "user_fixed_1" ||
		r.CustomerSourceID != "cu_fixed0001" || r.ParentSourceID != "aurelie-b") {
		t.Errorf("ord-fixed-1 joins: %+v %q %q", r.Transaction.Customer, r.CustomerSourceID, r.ParentSourceID)
	}
	// Currencies come from the program: no conversion is left in USD when
	// its program is not.
	byCur := map[string]int{}
	for _, r := range conv.records {
		byCur[r.Transaction.AmountUnits]++
	}
	if byCur["EUR"] == 0 || byCur["GBP"] == 0 || byCur["USD"] == 0 || byCur[""] != 0 {
		t.Errorf("currencies %v", byCur)
	}
	wantErr(t, conv, 101, record.CodeInvalidAmount, "amount")
	wantErr(t, conv, 201, record.CodeInvalidTime, "created_at")
	wantErr(t, conv, 301, record.CodeDuplicate, "key")
	wantErr(t, conv, 401, record.CodeMissingField, "customer")
	wantErr(t, conv, 501, record.CodeInvalidCurrency, "currency")
}

// TestTapfiliateDocumentedObjects maps the objects of Tapfiliate's API
// reference as its PHP SDK's tests reproduce them.
func TestTapfiliateDocumentedObjects(t *testing.T) {
	c := mapFixture(t, "tapfiliate", record.Customers, "customer.json")
	want(t, "customer.json", c, map[string]string{"key": "USER123", "source_id": "cu_eXampl3", "partner.source_id": "janejameson", "tags": "trial"})
	cv := mapFixture(t, "tapfiliate", record.Transactions, "conversion.json")
	want(t, "conversion.json", cv, map[string]string{"key": "ORD123", "amount": "550", "currency": "USD", "reward": "55",
		"created_at": "2021-03-03T12:39:19Z", "customer.source_id": "cu_eXampl30th3r", "customer.key": "USER999",
		"customer.partner.source_id": "janejameson", "action": "sale", "source_id": "1"})

	raw, err := os.ReadFile(filepath.Join("testdata", "tapfiliate", "conversion.json"))
	if err != nil {
		t.Fatal(err)
	}
	variant := func(mut func(o, com map[string]any)) record.Mapped {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		mut(o, o["commissions"].([]any)[0].(map[string]any))
		b, _ := json.Marshal(o)
		spec, _ := Preset("tapfiliate", record.Transactions)
		return mustMapper(t, record.Transactions, spec).Map(jsonLine(t, string(b)))
	}
	// A EUR program: the currency is the program's, not USD.
	eur := variant(func(o, com map[string]any) {
		o["program"].(map[string]any)["currency"], com["currency"], o["amount"], com["amount"] = "EUR", "EUR", 49.99, 10
	})
	want(t, "EUR program", eur, map[string]string{"amount": "49.99", "currency": "EUR", "reward": "10"})
	jpy := variant(func(o, com map[string]any) {
		o["program"].(map[string]any)["currency"], com["currency"], o["amount"], com["amount"] = "JPY", "JPY", 1200, 120
	})
	want(t, "JPY program", jpy, map[string]string{"amount": "1200", "currency": "JPY", "reward": "120"})
	if r := variant(func(o, com map[string]any) { com["approved"] = false }); !r.Skipped {
		t.Errorf("disapproved: %+v", r)
	}
	if r := variant(func(o, com map[string]any) { o["amount"] = -550 }); !r.Skipped || !strings.Contains(r.Reason, "refund") {
		t.Errorf("negative conversion: %+v", r)
	}
	// A pending commission (approved null) is a sale.
	want(t, "pending", variant(func(o, com map[string]any) { com["approved"] = nil }), map[string]string{"action": "sale"})
}
