package mapping

import (
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/partnero-etl/partnero-etl/record"
)

// Duplicates finds identities seen twice within one input. It keeps, per
// identity, a 64-bit hash of it and the line it was first seen on, never the
// identity itself: 16 bytes plus the map's control bytes and growth slack,
// 23 to 38 bytes per key measured from 100,000 to 1.5 million keys
// (BenchmarkDuplicatesMemory at 200,000), whatever the length of the keys.
//
// The price is a false "duplicate" when two different identities hash alike:
// with n identities the chance of any such collision is about n²/2⁶⁵, one in
// 370,000 for ten million. The seed is random per Duplicates, so a collision
// does not repeat on the next run.
//
// It is safe for concurrent use.
type Duplicates struct {
	entity record.Entity
	seed   maphash.Seed
	mu     sync.Mutex
	seen   [numIdentities]map[uint64]int64
}

// The identities checked: a partner's id, email, referral key and source id;
// a customer's key and source id; a transaction's key. A transaction's
// source id is not checked: nothing joins on it (transactions are nobody's
// parent) and its key already identifies it, so a second hash per row would
// only double the memory of the largest input.
const (
	identID = iota
	identEmail
	identKey
	identSource
	numIdentities
)

var identNames = [numIdentities]string{"id", "email", "key", "source_id"}

// NewDuplicates returns an empty duplicate finder for one entity.
func NewDuplicates(entity record.Entity) *Duplicates {
	d := &Duplicates{entity: entity, seed: maphash.MakeSeed()}
	for i := range d.seen {
		d.seen[i] = make(map[uint64]int64)
	}
	return d
}

// Check records rec's identities and returns a CodeDuplicate error naming
// the line that had one of them first. A rejected record claims none of its
// identities, so a later row with the same identity is still checked
// against the first good one only.
func (d *Duplicates) Check(rec record.Record) *record.RowError {
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
	d.mu.Lock()
	defer d.mu.Unlock()
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

// Len returns the number of distinct identities recorded.
func (d *Duplicates) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, m := range d.seen {
		n += len(m)
	}
	return n
}
