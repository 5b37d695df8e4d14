package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Mapper satisfies the engine's stage contract directly.
var _ record.Mapper = (*Mapper)(nil)

// Mapper maps the rows of one entity. It is compiled once from a spec and is
// safe for concurrent use.
type Mapper struct {
	entity   record.Entity
	specName string
	defs     []fieldDef
	fields   []*cfield // in evaluation order
	filters  []*cfilter
	slots    [][]string // candidate columns, by slot
	readCols []string   // every column or path a rule reads or ignores
	required []requirement
	// rewardBit is the reward field's bit (transactions), for RewardLeftOut.
	rewardBit uint64

	// headers caches the column positions of the last few headers seen:
	// every row of a CSV file shares one *record.Header, and JSON lines
	// alternate between a few key sets (a lead has no conversion date).
	// The cache is copied on write, so readers never lock.
	headers atomic.Pointer[headerCache]
}

type cfield struct {
	rule *fieldRule
	def  *fieldDef
	bit  uint64
	slot int // -1: no column (constant or default only)
	// curSlot: the columns naming the currency a money value is in
	// (money.currency_column); -1 when none.
	curSlot int
	// usesEmpty: an empty or missing value still gives the field a value
	// (a default, or a map entry for "").
	usesEmpty bool
}

type cfilter struct {
	rule *filterRule
	slot int
}

// requirement: at least one of the fields (bits) must be set.
type requirement struct {
	bits   uint64
	field  string // named in the error
	column string
	msg    string
}

// headerCacheSize bounds the headers remembered; a source with more key
// sets than this just resolves more often.
const headerCacheSize = 4

type headerCache [headerCacheSize]*resolved

type resolved struct {
	header *record.Header
	refs   [][]colRef // by slot: the candidates present in the header, in order
}

// colRef locates a candidate in a header: a column position and, for a
// dotted path into a structured column, the rest of the path.
type colRef struct {
	idx  int
	sub  string
	name string
}

// NewMapper compiles the rules of one entity of spec; a nil spec maps the
// canonical columns (see mapping/README.md).
func NewMapper(entity record.Entity, spec *Spec) (*Mapper, error) {
	defs := fieldsOf(entity)
	if defs == nil {
		return nil, fmt.Errorf("mapping: cannot map %s: want partners, customers or transactions", entity)
	}
	var sec *section
	name := "canonical columns"
	if spec == nil {
		sec = canonicalSection(entity)
	} else {
		name = spec.name
		sec = spec.sections[entity]
		if sec == nil {
			return nil, &SpecError{File: spec.name, Field: string(entity), Message: fmt.Sprintf("the mapping file has no %s section (it maps %v)", entity, spec.Entities())}
		}
	}
	m := &Mapper{entity: entity, specName: name, defs: defs}
	slotOf := func(cols []string) int {
		if len(cols) == 0 {
			return -1
		}
		m.slots = append(m.slots, cols)
		m.readCols = append(m.readCols, cols...)
		return len(m.slots) - 1
	}
	for _, f := range sec.filters {
		m.filters = append(m.filters, &cfilter{rule: f, slot: slotOf(f.columns)})
	}
	m.readCols = append(m.readCols, sec.ignore...)
	byDef := make([]*cfield, len(defs))
	for _, r := range sec.fields {
		_, mapsEmpty := r.vmap[""]
		byDef[r.def] = &cfield{rule: r, def: &defs[r.def], bit: 1 << r.def, slot: slotOf(r.columns), curSlot: slotOf(r.valueCurrencyCols), usesEmpty: r.hasDflt || mapsEmpty}
	}
	// Fields whose value map can skip or reject the row go first: a voided
	// commission is skipped even when its amount is also unreadable.
	for _, f := range byDef {
		if f != nil && f.decisive() {
			m.fields = append(m.fields, f)
		}
	}
	for _, f := range byDef {
		if f != nil && !f.decisive() {
			m.fields = append(m.fields, f)
		}
	}
	m.required = requirements(entity, defs, byDef)
	if entity == record.Transactions {
		m.rewardBit = 1 << fieldIndex(defs, "reward")
	}
	if m.entity == record.Transactions {
		for _, f := range byDef {
			if f != nil && f.def.kind == kMoney && f.rule.minor && byDef[fieldIndex(defs, "currency")] == nil {
				return nil, &SpecError{File: name, Line: f.rule.moneyLine, Field: f.rule.path + ".money", Message: "minor units need a currency: map the currency field (a column, or value: USD)"}
			}
		}
	}
	return m, nil
}

func (f *cfield) decisive() bool {
	if f.rule.vmapOther != nil && f.rule.vmapOther.kind != targetValue && f.rule.vmapOther.kind != targetKeep {
		return true
	}
	for _, t := range f.rule.vmap {
		if t.kind == targetSkip || t.kind == targetReject {
			return true
		}
	}
	return false
}

func requirements(e record.Entity, defs []fieldDef, byDef []*cfield) []requirement {
	bits := func(names ...string) uint64 {
		var b uint64
		for _, n := range names {
			b |= 1 << fieldIndex(defs, n)
		}
		return b
	}
	col := func(name string) string {
		if f := byDef[fieldIndex(defs, name)]; f != nil && len(f.rule.columns) > 0 {
			return f.rule.columns[0]
		}
		return ""
	}
	switch e {
	case record.Partners:
		return []requirement{{bits: bits("email"), field: "email", column: col("email"), msg: "a partner needs an email address"}}
	case record.Customers:
		return []requirement{
			{bits: bits("key"), field: "key", column: col("key"), msg: "a customer needs a key"},
			{bits: bits("partner.id", "partner.key", "partner.email", "partner.source_id"), field: "partner",
				msg: "a customer needs its partner: partner.id, partner.key, partner.email or partner.source_id"},
		}
	case record.Transactions:
		return []requirement{
			{bits: bits("customer.key", "customer.email", "customer.source_id"), field: "customer",
				msg: "a transaction needs its customer: customer.key, customer.email or customer.source_id"},
			{bits: bits("amount", "reward"), field: "amount", column: col("amount"),
				msg: "a transaction needs an amount or a reward"},
		}
	}
	return nil
}

// canonicalSection maps every field from the column of the same name.
func canonicalSection(e record.Entity) *section {
	defs := fieldsOf(e)
	sec := &section{entity: e}
	for i, d := range defs {
		r := &fieldRule{field: d.name, def: i, path: string(e) + "." + d.name, columns: []string{d.name}}
		if d.alias != "" {
			r.columns = append(r.columns, d.alias)
		}
		switch d.kind {
		case kTime:
			r.layouts, r.loc = []string{"auto"}, time.UTC
		case kList:
			r.split = ",;"
		}
		sec.fields = append(sec.fields, r)
	}
	return sec
}

// resolve returns the column positions for h, computing them once per header.
func (m *Mapper) resolve(h *record.Header) *resolved {
	cache := m.headers.Load()
	if cache != nil {
		for _, r := range cache {
			if r != nil && r.header == h {
				return r
			}
		}
	}
	r := &resolved{header: h, refs: make([][]colRef, len(m.slots))}
	for i, cands := range m.slots {
		for _, c := range cands {
			if ref, ok := locate(h, c); ok {
				r.refs[i] = append(r.refs[i], ref)
			}
		}
	}
	// The newest header first; the oldest falls out. A concurrent miss may
	// drop another's entry: it is only resolved again.
	var next headerCache
	next[0] = r
	if cache != nil {
		copy(next[1:], cache[:headerCacheSize-1])
	}
	m.headers.Store(&next)
	return r
}

// locate finds a column or dotted path in a header: the exact column name
// wins; otherwise the longest column-name prefix followed by a nested path.
func locate(h *record.Header, path string) (colRef, bool) {
	if i := h.Index(path); i >= 0 {
		return colRef{idx: i, name: path}, true
	}
	for dot := strings.LastIndexByte(path, '.'); dot > 0; dot = strings.LastIndexByte(path[:dot], '.') {
		if i := h.Index(path[:dot]); i >= 0 {
			return colRef{idx: i, sub: path[dot+1:], name: path}, true
		}
	}
	return colRef{}, false
}

// fetch returns the first candidate's value that is not empty. raw is set
// for structured values that are not plain text (lists, times); object is
// true when no candidate had a value and one held an object where a single
// value was expected (col then names it).
func fetch(row *record.Row, refs []colRef) (s string, raw any, col string, object bool) {
	reached := false // an earlier candidate was there, empty
	for i := range refs {
		ref := &refs[i]
		if col == "" {
			col = ref.name
		}
		if row.Text != nil {
			if ref.idx < len(row.Text) && ref.sub == "" {
				if t := row.Text[ref.idx]; t != "" {
					return t, nil, ref.name, false
				}
			}
			continue
		}
		if ref.idx >= len(row.Values) {
			continue
		}
		v := row.Values[ref.idx]
		if ref.sub != "" {
			var ok bool
			if v, ok = record.Descend(v, ref.sub); !ok {
				continue
			}
		}
		switch x := v.(type) {
		case nil:
			reached = true
			continue
		case string:
			if x != "" {
				return x, nil, ref.name, false
			}
			reached = true
			continue
		case []any:
			if len(x) > 0 {
				return "", x, ref.name, false
			}
			reached = true
			continue
		case map[string]any:
			// An object where a value is expected is a mistake in the
			// mapping, unless an earlier candidate reached a value in this
			// row and it was empty: "campaign.name" null, then "campaign"
			// (the flat CSV form of the same field).
			if !object && !reached {
				object, col = true, ref.name
			}
			continue
		}
		if t, ok := scalarText(v); ok && t != "" {
			return t, v, ref.name, false
		}
	}
	return "", nil, col, object
}

// Map maps one row. It never panics on input; every problem is a Result.
func (m *Mapper) Map(row record.Row) record.Mapped {
	res := m.resolve(row.Header)
	var b builder
	blk := newBlock(m.entity, row, &b)
	rec := record.Record{Entity: m.entity, Origin: row.Origin, Row: &blk.row}

	for _, f := range m.filters {
		if r, stop := m.filter(res, blk, f); stop {
			r.Record = rec
			return r
		}
	}

	for _, f := range m.fields {
		if f.slot >= 0 && len(res.refs[f.slot]) == 0 && !f.usesEmpty {
			continue // none of its columns is in this input
		}
		skip, reason, rerr := m.field(res, &blk.row, &b, f)
		if skip {
			return record.Mapped{Record: rec, Skipped: true, Reason: reason}
		}
		if rerr != nil {
			return record.Mapped{Record: rec, Err: rerr}
		}
	}
	for i := range m.required {
		q := &m.required[i]
		if b.set&q.bits == 0 {
			return record.Mapped{Record: rec, Err: &record.RowError{Origin: row.Origin, Column: q.column, Field: q.field, Code: record.CodeMissingField, Message: q.msg}}
		}
	}
	switch m.entity {
	case record.Partners:
		rec.Partner = b.p
	case record.Customers:
		rec.Customer = b.c
	case record.Transactions:
		if b.t.Key == "" {
			b.t.Key = DerivedKey(b.t)
		}
		rec.Transaction = b.t
	}
	rec.SourceID, rec.ParentSourceID, rec.CustomerSourceID = b.sourceID, b.parentSourceID, b.customerSourceID
	out := record.Mapped{Record: rec}
	out.RewardLeftOut = b.leftOut&m.rewardBit != 0
	return out
}

func (m *Mapper) filter(res *resolved, blk *block, f *cfilter) (record.Mapped, bool) {
	s, _, col, _ := fetch(&blk.row, res.refs[f.slot])
	s = strings.TrimSpace(s)
	if col == "" {
		col = f.rule.columns[0]
	}
	verb := ""
	if f.rule.min != nil {
		d, err := partnero.ParseDecimal(s)
		if s == "" || err != nil || d.Rat().Cmp(f.rule.min) >= 0 {
			return record.Mapped{}, false
		}
		verb = "is below"
	} else {
		in := false
		for _, v := range f.rule.values {
			if strings.EqualFold(v, s) {
				in = true
				break
			}
		}
		if in == f.rule.keepIf {
			return record.Mapped{}, false
		}
		verb = "is not one of"
		if !f.rule.keepIf {
			verb = "is one of"
		}
	}
	reason := f.rule.reason
	if reason == "" {
		reason = fmt.Sprintf("%s %q %s %s (filter at %s:%d)", col, s, verb, strings.Join(f.rule.values, ", "), m.specName, f.rule.line)
	}
	if f.rule.reject {
		return record.Mapped{Err: &record.RowError{Origin: blk.row.Origin, Column: col, Code: record.CodeRejectedByRule, Message: reason}}, true
	}
	return record.Mapped{Skipped: true, Reason: reason}, true
}

// field evaluates one field rule into the builder.
func (m *Mapper) field(res *resolved, row *record.Row, b *builder, f *cfield) (skip bool, reason string, rerr *record.RowError) {
	r := f.rule
	var (
		s, col string
		raw    any
	)
	switch {
	case r.hasConst:
		s = r.constant
	case f.slot >= 0:
		var object bool
		s, raw, col, object = fetch(row, res.refs[f.slot])
		if col == "" {
			col = r.columns[0]
		}
		if object {
			return false, "", m.rowErr(row, col, f, record.CodeInvalidValue, "holds an object where a single value is expected: name a path into it, e.g. "+col+".id")
		}
	}
	if raw != nil {
		if _, isList := raw.([]any); isList && f.def.kind != kList {
			return false, "", m.rowErr(row, col, f, record.CodeInvalidValue, "holds a list where a single value is expected: name an item, e.g. "+col+".0")
		}
		if f.def.kind != kList && (len(r.transforms) > 0 || r.vmap != nil) {
			raw = nil // transforms and maps work on the text
		}
	}
	if raw == nil {
		s = strings.TrimSpace(s)
		// A list's transforms apply to each item, after the split.
		if f.def.kind != kList {
			var msg string
			if s, msg = applyTransforms(r.transforms, s); msg != "" {
				return false, "", m.rowErr(row, col, f, record.CodeInvalidValue, msg)
			}
		}
	}
	mapped := false
	if s == "" && raw == nil {
		if _, ok := r.vmap[""]; !ok {
			if !r.hasDflt || r.dflt == "" {
				return false, "", nil
			}
			s, mapped = r.dflt, true
		}
	}
	if r.vmap != nil && !mapped {
		t, ok := r.vmap[s]
		if !ok {
			if r.vmapOther == nil {
				return false, "", m.rowErr(row, col, f, record.CodeInvalidValue, fmt.Sprintf("unexpected value %q: the mapping (%s:%d) lists %s", s, m.specName, r.line, mapKeys(r)))
			}
			t = *r.vmapOther
		}
		switch t.kind {
		case targetSkip:
			reason := t.value
			if reason == "" {
				reason = fmt.Sprintf("%s %q is skipped (%s:%d)", col, s, m.specName, t.line)
			}
			return true, reason, nil
		case targetReject:
			return false, "", m.rowErr(row, col, f, record.CodeRejectedByRule, fmt.Sprintf("%s %q: %s", col, s, t.value))
		case targetValue:
			s = t.value
			if s == "" {
				return false, "", nil
			}
		}
	}
	currency := ""
	if b.t != nil {
		currency = b.t.AmountUnits
	}
	if f.curSlot >= 0 || r.valueCurrency != "" {
		in := r.valueCurrency
		if f.curSlot >= 0 {
			if c, _, _, _ := fetch(row, res.refs[f.curSlot]); strings.TrimSpace(c) != "" {
				var ok bool
				if in, ok = normalizeCurrency(strings.TrimSpace(c)); !ok {
					in = "?" // not a currency code: not the transaction's
				}
			}
		}
		// A value in another currency than the transaction's is left out:
		// Partnero keeps one currency per transaction. Without a currency
		// on the row (the program's) the two cannot be compared: kept.
		if in != "" && currency != "" && in != currency {
			b.leftOut |= f.bit
			return false, "", nil
		}
	}
	var v value
	code, msg := parseTyped(&v, f.def, r, s, raw, currency)
	if msg == "" && f.def.id == fTxAmount {
		code, msg = checkAmountScale(v.d, r, currency)
	}
	if msg != "" {
		return false, "", m.rowErr(row, col, f, code, msg)
	}
	b.setField(f.def.id, &v)
	b.set |= f.bit
	return false, "", nil
}

func mapKeys(r *fieldRule) string {
	keys := make([]string, 0, len(r.vmap))
	for k := range r.vmap {
		keys = append(keys, strconv.Quote(k))
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

func (m *Mapper) rowErr(row *record.Row, col string, f *cfield, code, msg string) *record.RowError {
	return &record.RowError{Origin: row.Origin, Column: col, Field: f.def.name, Code: code, Message: msg}
}

// UnknownColumns lists the columns no rule reads, in input order, so that a
// caller can report them once. Columns starting with "_" (a reject file's
// _line, _key, _error_code, _error_message) are never reported. A column
// counts as read when a rule names it, a path inside it ("customer" when a
// rule reads "customer.email"), or a path above it ("customer.email" as a
// flattened column when a rule reads "customer").
func (m *Mapper) UnknownColumns(columns []string) []string {
	var out []string
	for _, c := range columns {
		if strings.HasPrefix(c, "_") || m.reads(c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (m *Mapper) reads(c string) bool {
	for _, p := range m.readCols {
		if p == c || (len(p) > len(c) && p[len(c)] == '.' && strings.HasPrefix(p, c)) ||
			(len(c) > len(p) && c[len(p)] == '.' && strings.HasPrefix(c, p)) {
			return true
		}
	}
	return false
}

// Entity is the entity the mapper produces.
func (m *Mapper) Entity() record.Entity { return m.entity }
