package mapping

import (
	"fmt"
	"hash/maphash"

	"github.com/partnero-etl/partnero-etl/record"
)

// refDuplicates is the index Duplicates replaced (one in-memory map per
// kind of identity, kept whole): the reference its answers must equal.
type refDuplicates struct {
	seed maphash.Seed
	seen [numIdentities]map[uint64]int64
}

func newRefDuplicates() *refDuplicates {
	d := &refDuplicates{seed: maphash.MakeSeed()}
	for i := range d.seen {
		d.seen[i] = make(map[uint64]int64)
	}
	return d
}

func (d *refDuplicates) Check(rec record.Record) *record.RowError {
	var ids [numIdentities]string
	switch {
	case rec.Partner != nil:
		ids[identID] = string(rec.Partner.ID)
		ids[identEmail] = rec.Partner.Email
		ids[identKey] = rec.Partner.Key
	case rec.Customer != nil:
		ids[identKey] = rec.Customer.Key
	case rec.Transaction != nil:
		ids[identKey] = rec.Transaction.Key
	}
	if rec.Transaction == nil {
		ids[identSource] = rec.SourceID
	}
	var hashes [numIdentities]uint64
	for i, s := range ids {
		if s != "" {
			hashes[i] = maphash.String(d.seed, s)
		}
	}
	for i, s := range ids {
		if s == "" {
			continue
		}
		if first, ok := d.seen[i][hashes[i]]; ok {
			return &record.RowError{
				Origin:  rec.Origin,
				Field:   identNames[i],
				Code:    record.CodeDuplicate,
				Message: fmt.Sprintf("duplicate of line %d: the same %s %q", first, identNames[i], s),
			}
		}
	}
	for i, s := range ids {
		if s != "" {
			d.seen[i][hashes[i]] = rec.Origin.Line
		}
	}
	return nil
}
