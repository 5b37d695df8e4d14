// Package mapping owns the step from a foreign input row to a validated
// Partnero record: mapping specs (YAML files that say which column or dotted
// path feeds each field, with defaults, constants, transforms, value maps and
// row filters), the built-in presets for other affiliate platforms, the
// money, time and referral-code transforms, validation to Partnero's limits,
// duplicate detection within one input, and the deterministic keys of
// transactions that carry none.
//
// A Spec is parsed once (Parse, Load); a Mapper compiles one entity of it, or
// the canonical columns when the spec is nil, into closures indexed by column
// position, so that Map costs a few hundred nanoseconds and one allocation
// per row. A Mapper is safe for concurrent use; so is Duplicates.
//
// mapping/README.md is the user's reference: the canonical fields with their
// types and limits, and the mapping file format with an example per entity.
package mapping
