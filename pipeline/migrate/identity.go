package migrate

import (
	"maps"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/record"
)

// identityReader reads the identity of a row that mapping rejected (a
// partner's source id, a customer's key and source id, the customer a
// transaction names), so that the rows joined to it are rejected with its
// reason: it maps the row with only the rule of each such field, taken
// from the stage's own mapping, one field at a time (a customer refused
// for its too long key still has its source id read).
type identityReader struct {
	entity record.Entity
	fields map[string]*mapping.Mapper
}

// The stand-ins that satisfy a mapping's required fields in an identity
// mapping; they are never written anywhere.
const (
	identityEmail   = "identity@example.invalid"
	identityPartner = "identity"
	identityAmount  = "0"
)

// newIdentityReader compiles the identity rules of a stage's mapping
// (mapping.Spec.Subset: nothing is parsed again).
func newIdentityReader(st *Stage) (*identityReader, error) {
	ir := &identityReader{entity: st.Entity, fields: map[string]*mapping.Mapper{}}
	var want []string
	var stand map[string]string
	switch st.Entity {
	case record.Partners:
		want, stand = []string{"source_id"}, map[string]string{"email": identityEmail}
	case record.Customers:
		want, stand = []string{"key", "source_id"}, map[string]string{"partner.source_id": identityPartner, "key": identityPartner}
	case record.Transactions:
		// The customer a refused transaction names, so that a transaction
		// of a rejected customer is parent_rejected whatever its own copy
		// of the customer's fields holds.
		want, stand = []string{"customer.source_id", "customer.key"}, map[string]string{"reward": identityAmount}
	default:
		return ir, nil
	}
	for _, field := range want {
		fieldStand := maps.Clone(stand)
		delete(fieldStand, field)
		spec, err := st.Spec.Subset(st.Entity, []string{field}, fieldStand)
		if err != nil {
			return nil, err
		}
		if spec == nil {
			continue
		}
		m, err := mapping.NewMapper(st.Entity, spec)
		if err != nil {
			return nil, err
		}
		ir.fields[field] = m
	}
	return ir, nil
}

// read maps the row with the rule of one field; nil when the reader has
// no rule for it or the value is unusable.
func (ir *identityReader) read(field string, row *record.Row) *record.Record {
	if ir == nil || row == nil || row.Header == nil {
		return nil
	}
	m := ir.fields[field]
	if m == nil {
		return nil
	}
	r := m.Map(*row)
	if r.Err != nil || r.Skipped {
		return nil
	}
	return &r.Record
}

func (ir *identityReader) partnerSourceID(row *record.Row) string {
	if r := ir.read("source_id", row); r != nil {
		return r.SourceID
	}
	return ""
}

// customerIdentity reads a customer row's source id and key.
func (ir *identityReader) customerIdentity(row *record.Row) (sourceID, key string) {
	if r := ir.read("source_id", row); r != nil {
		sourceID = r.SourceID
	}
	if r := ir.read("key", row); r != nil && r.Customer != nil {
		key = r.Customer.Key
	}
	return sourceID, key
}

// transactionCustomer reads the customer.source_id and customer.key of a
// transaction row.
func (ir *identityReader) transactionCustomer(row *record.Row) (sourceID, key string) {
	if r := ir.read("customer.source_id", row); r != nil {
		sourceID = r.CustomerSourceID
	}
	if r := ir.read("customer.key", row); r != nil && r.Transaction != nil {
		key = r.Transaction.Customer.Key
	}
	return sourceID, key
}
