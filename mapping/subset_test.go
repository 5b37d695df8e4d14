package mapping

import (
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// subsetSpec uses YAML anchors and aliases for a whole rule (*id), a
// value inside a rule (*account) and a rule shared by two fields, and has
// a filter that would skip every row of the tests below.
const subsetSpec = "version: 1\n" +
	"x-id: &id\n  column: [ID, id]\n  transform: trim\n" +
	"x-account: &account EUR\n" +
	"customers:\n" +
	"  filter:\n    - {column: status, in: [active]}\n" +
	"  fields:\n" +
	"    key: &key {column: Key, transform: lower}\n" +
	"    source_id: *id\n" +
	"    email: Email\n" +
	"    partner.source_id: *id\n" +
	"transactions:\n" +
	"  fields:\n" +
	"    customer.key: *key\n" +
	"    customer.source_id: {column: customer_id}\n" +
	"    currency: {column: cur, default: *account}\n" +
	"    amount: {column: amount, money: minor}\n"

// TestSubset: a subset maps a row with only the rules asked for, as the
// spec wrote them, aliases followed, with stand-ins for the fields a
// mapper requires, and without the spec's filters.
func TestSubset(t *testing.T) {
	spec := mustParse(t, subsetSpec)
	row := csvRow("ID|Key|Email|status|customer_id|cur|amount", " c-1 |ANN|not an email|declined|x|USD|12")

	sub, err := spec.Subset(record.Customers, []string{"source_id"}, map[string]string{"key": "identity", "partner.source_id": "identity"})
	if err != nil || sub == nil {
		t.Fatalf("Subset: %v, %v", sub, err)
	}
	res := mustMapper(t, record.Customers, sub).Map(row)
	if res.Err != nil || res.Skipped {
		t.Fatalf("mapped %+v: the subset must read the row, whatever its other fields and the filter say", res)
	}
	if res.Record.SourceID != "c-1" || res.Record.Customer.Key != "identity" || res.Record.Customer.Email != "" {
		t.Errorf("source id %q, key %q, email %q: want the aliased rule's c-1, the stand-in key, no email",
			res.Record.SourceID, res.Record.Customer.Key, res.Record.Customer.Email)
	}

	// A rule with an anchor of its own (&key), used by alias in another
	// section, and a value named by alias inside a rule (*account).
	sub, err = spec.Subset(record.Transactions, []string{"customer.key", "currency", "amount"}, nil)
	if err != nil || sub == nil {
		t.Fatalf("Subset: %v, %v", sub, err)
	}
	res = mustMapper(t, record.Transactions, sub).Map(row)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if tx := res.Record.Transaction; tx.Customer.Key != "ann" || tx.AmountUnits != "USD" || tx.Amount.String() != "0.12" {
		t.Errorf("transaction %+v", tx)
	}
	noCur := csvRow("Key|amount", "B|250")
	res = mustMapper(t, record.Transactions, sub).Map(noCur)
	if res.Err != nil || res.Record.Transaction.AmountUnits != "EUR" || res.Record.Transaction.Amount.String() != "2.5" {
		t.Errorf("without a currency column: %+v, %v: want 2.5 EUR, the default named by *account", res.Record.Transaction, res.Err)
	}

	// The spec itself is unchanged: its filter still skips the row.
	if res := mustMapper(t, record.Customers, spec).Map(row); !res.Skipped && res.Err == nil {
		t.Errorf("the whole spec mapped %+v", res)
	}
}

func TestSubsetCanonicalColumns(t *testing.T) {
	var spec *Spec // the canonical columns
	sub, err := spec.Subset(record.Transactions, []string{"customer.source_id"}, map[string]string{"reward": "0"})
	if err != nil || sub == nil {
		t.Fatalf("Subset: %v, %v", sub, err)
	}
	res := mustMapper(t, record.Transactions, sub).Map(csvRow("customer.source_id|amount", "cus_9|not money"))
	if res.Err != nil || res.Record.CustomerSourceID != "cus_9" {
		t.Errorf("mapped %+v, %v", res.Record, res.Err)
	}
}

func TestSubsetRefusals(t *testing.T) {
	spec := mustParse(t, subsetSpec)
	if sub, err := spec.Subset(record.Customers, []string{"name"}, nil); sub != nil || err != nil {
		t.Errorf("a field the spec does not map: %v, %v, want nil, nil", sub, err)
	}
	if sub, err := spec.Subset(record.Partners, []string{"source_id"}, nil); sub != nil || err != nil {
		t.Errorf("an entity the spec does not map: %v, %v, want nil, nil", sub, err)
	}
	for _, tc := range []struct {
		entity record.Entity
		fields []string
		stand  map[string]string
		want   string
	}{
		{record.Customers, []string{"colour"}, nil, "unknown field colour"},
		{record.Customers, []string{"key"}, map[string]string{"colour": "x"}, "unknown stand-in field colour"},
		{record.Customers, []string{"key"}, map[string]string{"key": "x"}, "both read and stood in for"},
		{record.Customers, []string{"key"}, map[string]string{"email": "not an email"}, "customers.fields.email.value"},
		{record.Rewards, []string{"key"}, nil, "cannot map rewards"},
	} {
		_, err := spec.Subset(tc.entity, tc.fields, tc.stand)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Subset(%s, %v, %v): %v, want %q", tc.entity, tc.fields, tc.stand, err, tc.want)
		}
	}
}
