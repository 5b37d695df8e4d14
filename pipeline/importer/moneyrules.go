package importer

import (
	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/record"
)

// moneyRules cuts the rules of a transaction's amount, currency and reward
// from a mapping (nil: the canonical columns), for the money reader: a
// subset of the parsed spec, nothing parsed again, so rules written with
// YAML aliases are the rules their anchors name. A customer key stands in
// for the customer a transaction needs. A mapping it cannot cut gives nil
// (such rows' money is counted unreadable rather than failing the run:
// the main mapping is checked on its own).
func moneyRules(spec *mapping.Spec) *mapping.Spec {
	rules, err := spec.Subset(record.Transactions, []string{"amount", "currency", "reward"},
		map[string]string{"customer.key": "identity"})
	if err != nil {
		return nil
	}
	return rules
}
