package migrate

import (
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/record"
)

// TestIdentityReader: the identity of a row the whole mapping refuses is
// read field by field with the stage's own rules (aliases followed), so a
// customer refused for its too long key still has its source id, and a
// transaction its customer's.
func TestIdentityReader(t *testing.T) {
	spec, err := mapping.Parse("m.yaml", []byte("version: 1\n"+
		"x-id: &id {column: ID, transform: trim}\n"+
		"customers:\n  fields:\n    key: Key\n    source_id: *id\n    email: Email\n    partner.source_id: aff\n"+
		"transactions:\n  fields:\n    customer.source_id: *id\n    customer.key: Key\n    amount: {column: amount, money: minor}\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := record.NewHeader([]string{"ID", "Key", "Email", "aff", "amount"})
	row := &record.Row{Header: h, Text: []string{" c-1 ", strings.Repeat("k", 300), "not an email", "", "lots"}}

	customers, err := newIdentityReader(&Stage{Entity: record.Customers, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if sourceID, key := customers.customerIdentity(row); sourceID != "c-1" || key != "" {
		t.Errorf("customer identity %q, %q: want the source id c-1 and no key (too long)", sourceID, key)
	}
	row.Text[1] = "ann"
	if _, key := customers.customerIdentity(row); key != "ann" {
		t.Errorf("customer key %q, want ann", key)
	}
	txs, err := newIdentityReader(&Stage{Entity: record.Transactions, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if sourceID, key := txs.transactionCustomer(row); sourceID != "c-1" || key != "ann" {
		t.Errorf("transaction's customer %q, %q: want c-1, ann", sourceID, key)
	}
	// The canonical columns, and a mapping without the field.
	partners, err := newIdentityReader(&Stage{Entity: record.Partners})
	if err != nil {
		t.Fatal(err)
	}
	if got := partners.partnerSourceID(&record.Row{Header: record.NewHeader([]string{"source_id"}), Text: []string{"p-9"}}); got != "p-9" {
		t.Errorf("partner source id %q, want p-9", got)
	}
	if got := txs.partnerSourceID(row); got != "" {
		t.Errorf("a transactions reader read a partner's source id %q", got)
	}
}
