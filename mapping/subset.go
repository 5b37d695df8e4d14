package mapping

import (
	"fmt"
	"maps"
	"slices"

	"github.com/partnero-etl/partnero-etl/record"
)

// Subset returns a spec of one entity that holds only the rules of fields,
// as s maps them (a nil s: the canonical column of the same name), and a
// constant value for each field of stand: stand-ins that satisfy the fields
// a Mapper requires (a partner's email), never written anywhere. Filters,
// ignored columns and create_customers are left out: a subset reads some
// fields of a row, it decides nothing about the row.
//
// It is how a migration reads the identity of a row that the whole mapping
// refused (a customer refused for its too long key still has its source id
// read), and an import the money of a row that never became a record. The
// rules are the parsed ones, shared with s: nothing is parsed again, so a
// rule written with a YAML alias (*account) is the rule its anchor names.
//
// Subset returns nil when s maps none of fields, and an error for a field
// the entity does not have, a stand-in for a field of fields, or a
// stand-in value its field refuses.
func (s *Spec) Subset(entity record.Entity, fields []string, stand map[string]string) (*Spec, error) {
	defs := fieldsOf(entity)
	if defs == nil {
		return nil, fmt.Errorf("mapping: cannot map %s: want partners, customers or transactions", entity)
	}
	name := "canonical columns"
	var src *section
	if s == nil {
		src = canonicalSection(entity)
	} else {
		name, src = s.name, s.sections[entity]
	}
	sub := &section{entity: entity}
	want := make(map[int]bool, len(fields))
	for _, f := range fields {
		i := lookupField(defs, f)
		if i < 0 {
			return nil, fmt.Errorf("mapping: subset of %s: unknown field %s: want one of %s", entity, f, fieldNames(defs))
		}
		want[i] = true
	}
	if src != nil {
		for _, r := range src.fields {
			if want[r.def] {
				sub.fields = append(sub.fields, r)
			}
		}
	}
	if len(sub.fields) == 0 {
		return nil, nil
	}
	p := &parser{file: name}
	for _, f := range slices.Sorted(maps.Keys(stand)) {
		i := lookupField(defs, f)
		switch {
		case i < 0:
			return nil, fmt.Errorf("mapping: subset of %s: unknown stand-in field %s: want one of %s", entity, f, fieldNames(defs))
		case want[i]:
			return nil, fmt.Errorf("mapping: subset of %s: %s is both read and stood in for", entity, f)
		}
		r := &fieldRule{field: defs[i].name, def: i, path: string(entity) + ".fields." + defs[i].name, constant: stand[f], hasConst: true}
		if err := p.finishField(&defs[i], r, nil); err != nil {
			return nil, err
		}
		sub.fields = append(sub.fields, r)
	}
	return &Spec{name: name, sections: map[record.Entity]*section{entity: sub}}, nil
}
