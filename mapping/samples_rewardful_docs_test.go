package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// fixtureRow reads one of the example objects a platform prints in its
// documentation (mapping/testdata/PLATFORM, sources in its README) as a
// JSON lines row.
func fixtureRow(t *testing.T, platform, name string) record.Row {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", platform, name))
	if err != nil {
		t.Fatal(err)
	}
	return jsonLine(t, string(data))
}

// mapFixture maps a documented example object with the platform's preset
// and reports any key the preset neither reads nor ignores.
func mapFixture(t *testing.T, platform string, e record.Entity, name string) record.Mapped {
	t.Helper()
	spec, err := Preset(platform, e)
	if err != nil {
		t.Fatal(err)
	}
	m := mustMapper(t, e, spec)
	row := fixtureRow(t, platform, name)
	if u := m.UnknownColumns(row.Header.Names); len(u) != 0 {
		t.Errorf("%s: keys the preset does not know: %q", name, u)
	}
	return m.Map(row)
}

// TestRewardfulDocumentedObjects maps the objects of Rewardful's API
// reference (rewardful/rest-api-docs) and checks every field the preset
// reads, and the join ids a migration uses.
func TestRewardfulDocumentedObjects(t *testing.T) {
	t.Parallel()
	aff := mapFixture(t, "rewardful", record.Partners, "affiliate.json")
	want(t, "affiliate.json", aff, map[string]string{
		"email": "adam.jones@example.com", "name": "Adam", "surname": "Jones", "key": "adam",
		"tags": "Best Friends of Kyle", "source_id": "d0ed8392-8880-4f39-8715-60230f9eceab",
	})
	ref := mapFixture(t, "rewardful", record.Customers, "referral.json")
	want(t, "referral.json", ref, map[string]string{
		"key": "cus_ABC123", "email": "fred@example.com", "name": "Fred Durst",
		"partner.source_id": "dc939584-a94a-4bdf-b8f4-8d255aae729c", "partner.email": "james.bond@mi6.co.uk",
		"source_id": "e523da29-6157-4aac-b4b5-05b3b7b14fb6",
	})
	com := mapFixture(t, "rewardful", record.Transactions, "commission.json")
	want(t, "commission.json", com, map[string]string{
		"key": "1566a74e-e9ad-4849-b024-e1be9ef316ff", "amount": "25", "currency": "USD", "reward": "7.5",
		"created_at": "2020-05-02T21:40:28Z", "customer.source_id": "3aafa13f-0a41-43d2-8d3a-a14e8c6a4621",
		"customer.key": "cus_ABC123", "customer.email": "fred@example.com",
		"customer.partner.source_id": "dc939584-a94a-4bdf-b8f4-8d255aae729c", "action": "sale", "rewarded": "",
		"source_id": "7d2886ca-8764-4e43-9230-013ad00037e7",
	})

	// The same commission, as Rewardful writes it for other cases: a sale in
	// another currency than the account's (the commission's "currency"), a
	// voided commission, a paid one.
	var obj map[string]any
	raw, _ := os.ReadFile(filepath.Join("testdata", "rewardful", "commission.json"))
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	variant := func(mut func(o, sale map[string]any)) record.Mapped {
		var o map[string]any
		_ = json.Unmarshal(raw, &o)
		mut(o, o["sale"].(map[string]any))
		b, _ := json.Marshal(o)
		spec, _ := Preset("rewardful", record.Transactions)
		return mustMapper(t, record.Transactions, spec).Map(jsonLine(t, string(b)))
	}
	gbp := variant(func(o, sale map[string]any) { sale["currency"], sale["sale_amount_cents"] = "GBP", 29900 })
	want(t, "GBP sale, USD commission", gbp, map[string]string{"amount": "299", "currency": "GBP", "reward": ""})
	jpy := variant(func(o, sale map[string]any) {
		sale["currency"], sale["sale_amount_cents"], o["currency"], o["amount"] = "JPY", 980, "JPY", 294
	})
	want(t, "JPY sale, JPY commission", jpy, map[string]string{"amount": "980", "currency": "JPY", "reward": "294"})
	if r := variant(func(o, sale map[string]any) { o["state"] = "voided" }); !r.Skipped || !strings.Contains(r.Reason, "voided") {
		t.Errorf("voided commission: %+v", r)
	}
	if r := variant(func(o, sale map[string]any) { sale["sale_amount_cents"] = -2500 }); !r.Skipped || r.Reason != "a negative sale is a refund" {
		t.Errorf("negative sale: %+v", r)
	}
	paid := variant(func(o, sale map[string]any) { o["state"], o["paid_at"] = "paid", "2020-06-02T00:00:00.000Z" })
	want(t, "paid", paid, map[string]string{"rewarded": "true", "action": "sale"})
}

// want checks a mapped record's fields (recordFields' names); "" means
// the field is not set.
func want(t *testing.T, what string, r record.Mapped, fields map[string]string) {
	t.Helper()
	if r.Err != nil || r.Skipped {
		t.Errorf("%s: %+v", what, r)
		return
	}
	got := recordFields(r.Record)
	for k, v := range fields {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}
