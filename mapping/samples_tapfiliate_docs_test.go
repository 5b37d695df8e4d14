package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// TestTapfiliateDocumentedObjects maps the objects of Tapfiliate's API
// reference as its PHP SDK's tests reproduce them.
func TestTapfiliateDocumentedObjects(t *testing.T) {
	t.Parallel()
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
