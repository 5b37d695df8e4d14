package main

import (
	"os"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/record"
)

// moneyRules cuts the rules of a transaction's amount, currency and reward
// from a mapping's YAML (nil: the canonical columns), for an import job's
// money reconciliation (importer.Job.MoneyRules). A mapping it cannot cut
// gives nil, and the money of rows that did not become records is counted
// unreadable rather than failing the run: the main mapping has been
// checked already.
func moneyRules(specYAML []byte) *mapping.Spec {
	spec, err := identitySpec(specYAML, record.Transactions, []string{"amount", "currency", "reward"},
		map[string]string{"customer.key": identityPartner})
	if err != nil {
		return nil
	}
	return spec
}

// mappingYAML is the text of an import's mapping file (nil: none, or it
// cannot be read, when the money of refused rows is counted unreadable).
func mappingYAML(path string) []byte {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return b
}
