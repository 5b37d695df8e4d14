package mapping

import (
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/partnero-etl/partnero-etl/internal/yamlpos"
	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Spec is a parsed mapping file: for each entity it describes, the rules
// that turn an input row into a record. It is immutable once parsed; one Spec
// may feed any number of Mappers.
type Spec struct {
	name        string
	description string
	sections    map[record.Entity]*section
}

// Name is the file name (or preset name) the spec was parsed from.
func (s *Spec) Name() string { return s.name }

// Description is the spec's own description line, if it has one.
func (s *Spec) Description() string { return s.description }

// CreatesCustomers reports whether the spec's transactions section declares
// create_customers: the platform has no customer export, so a transaction's
// customer is created with its first transaction. Without it, a migration
// never creates a customer that no customers file names.
func (s *Spec) CreatesCustomers() bool {
	sec, ok := s.sections[record.Transactions]
	return ok && sec.createCustomers
}

// Has reports whether the spec maps an entity.
func (s *Spec) Has(e record.Entity) bool {
	_, ok := s.sections[e]
	return ok
}

// Entities lists the entities the spec maps, in dependency order.
func (s *Spec) Entities() []record.Entity {
	var out []record.Entity
	for _, e := range []record.Entity{record.Partners, record.Customers, record.Transactions} {
		if s.Has(e) {
			out = append(out, e)
		}
	}
	return out
}

// SpecError is a problem in a mapping file: where it is and what is wrong.
type SpecError struct {
	File    string
	Line    int    // 1-based; 0 when the problem is the file as a whole
	Field   string // the setting at fault, as a path ("transactions.fields.amount.money")
	Message string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// section is the part of a spec for one entity.
type section struct {
	entity  record.Entity
	line    int
	fields  []*fieldRule
	filters []*filterRule
	ignore  []string
	// createCustomers (transactions only) declares that the platform has no
	// customer export: a transaction's customer is created with its first
	// transaction instead of being looked up in a customers file.
	createCustomers bool
}

// fieldRule says how one Partnero field gets its value.
type fieldRule struct {
	field string // canonical field name
	def   int    // index in the entity's field table
	line  int
	path  string // settings path for errors

	columns  []string // candidate columns or dotted paths, first non-empty wins
	constant string
	hasConst bool
	dflt     string
	hasDflt  bool

	transforms []transformStep
	vmap       map[string]mapTarget
	vmapOther  *mapTarget // the "*" entry

	minor     bool           // money in minor units
	exponents map[string]int // money: exponent overrides by currency
	// decimalComma: decimals written 1.234,56 (a comma for decimals,
	// dots, spaces or apostrophes between thousands).
	decimalComma bool
	moneySet     bool
	moneyLine    int
	// valueCurrency / valueCurrencyCols: the currency the money value is
	// in when it may differ from the transaction's (a Rewardful commission
	// in the account's currency on a sale in another). A value in another
	// currency than the transaction's is left out, never paired with the
	// wrong code.
	valueCurrency     string
	valueCurrencyCols []string

	layouts []string // time layouts, first that parses wins
	zone    string
	loc     *time.Location

	split string // list separators (any of these characters)
}

type transformStep struct {
	name   string
	arg    string   // strip_suffix, strip_prefix
	params []string // referral_code
	line   int
}

type targetKind int

const (
	targetValue targetKind = iota
	targetSkip
	targetReject
	targetKeep
)

type mapTarget struct {
	kind   targetKind
	value  string // the value, or the reason of a skip or reject
	line   int
	source string // the map key, for messages
}

// filterRule keeps or drops whole rows by the value of one column.
type filterRule struct {
	line    int
	columns []string
	values  []string // compared trimmed and case-insensitively
	// min, when set, keeps rows whose value is a number of at least min
	// (a negative commission is a refund); an empty or non-numeric value
	// is kept, for the field rules to judge.
	min    *big.Rat
	keepIf bool // true: keep rows whose value is in values (in); false: drop them (not_in)
	reject bool // drop by rejecting (rejected_by_rule) instead of skipping
	reason string
}

// Load reads and parses a mapping file.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping file: %w", err)
	}
	return Parse(path, data)
}

// maxSpecSize bounds a mapping file: a real one is a few kilobytes.
const maxSpecSize = 1 << 20

// Parse parses a mapping file's content; name is used in errors. Every error
// is a *SpecError naming the file, the line and the setting at fault.
func Parse(name string, data []byte) (*Spec, error) {
	if len(data) > maxSpecSize {
		return nil, &SpecError{File: name, Message: fmt.Sprintf("mapping file is %d bytes, more than the %d a mapping file can be", len(data), maxSpecSize)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, data, err)
	}
	p := &parser{file: name}
	spec, err := p.spec(&doc)
	if err != nil {
		return nil, err
	}
	return spec, nil
}

// yamlError turns the YAML library's "yaml: line 3: ..." into a SpecError.
// A syntax error is placed by yamlpos: the library names the line where the
// enclosing block starts, not the mistake's.
func yamlError(name string, data []byte, err error) error {
	if tp := yamlpos.TypeProblems(err); len(tp) > 0 {
		return &SpecError{File: name, Line: tp[0].Line, Message: "not valid YAML: " + tp[0].Message}
	}
	line, msg := yamlpos.SyntaxError(data, err)
	return &SpecError{File: name, Line: line, Message: "not valid YAML: " + msg}
}

type parser struct {
	file string
}

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &SpecError{File: p.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)}
}

// pairs iterates a mapping node's key/value pairs, refusing duplicate keys.
func (p *parser) pairs(n *yaml.Node, field string) ([][2]*yaml.Node, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, field, "want a mapping of settings, got %s", nodeKind(n))
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, p.errf(k, field, "a key must be plain text, got %s", nodeKind(k))
		}
		if k.Tag == "!!merge" {
			return nil, p.errf(k, field, "merge keys (<<) are not supported: write the settings out")
		}
		if seen[k.Value] {
			return nil, p.errf(k, join(field, k.Value), "set twice")
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

// deref follows an alias (*name) to the node it names; the YAML library
// bounds alias expansion, so a hostile file cannot blow up.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "an unknown node"
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// scalar reads a single value (any scalar type is taken as its text).
func (p *parser) scalar(n *yaml.Node, field string) (string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, field, "want a single value, got %s", nodeKind(n))
	}
	return n.Value, nil
}

// strings reads one value or a list of values.
func (p *parser) strings(n *yaml.Node, field string) ([]string, error) {
	n = deref(n)
	if n.Kind == yaml.SequenceNode {
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			s, err := p.scalar(c, field)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := p.scalar(n, field)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func (p *parser) spec(doc *yaml.Node) (*Spec, error) {
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &SpecError{File: p.file, Message: "the mapping file is empty: want partners, customers or transactions"}
	}
	root := doc.Content[0]
	kv, err := p.pairs(root, "")
	if err != nil {
		return nil, err
	}
	s := &Spec{name: p.file, sections: map[record.Entity]*section{}}
	for _, e := range kv {
		k, v := e[0], e[1]
		switch k.Value {
		case "version":
			ver, err := p.scalar(v, "version")
			if err != nil {
				return nil, err
			}
			if ver != "1" {
				return nil, p.errf(v, "version", "unsupported version %q: this tool reads version 1", ver)
			}
		case "description":
			if s.description, err = p.scalar(v, "description"); err != nil {
				return nil, err
			}
		case "partners", "customers", "transactions":
			sec, err := p.section(record.Entity(k.Value), k, v)
			if err != nil {
				return nil, err
			}
			s.sections[sec.entity] = sec
		default:
			if strings.HasPrefix(k.Value, "x-") {
				continue // a place for YAML anchors shared by the sections
			}
			return nil, p.errf(k, k.Value, "unknown setting: want version, description, partners, customers or transactions")
		}
	}
	if len(s.sections) == 0 {
		return nil, p.errf(root, "", "the mapping file maps nothing: want partners, customers or transactions")
	}
	return s, nil
}

func (p *parser) section(e record.Entity, k, v *yaml.Node) (*section, error) {
	sec := &section{entity: e, line: k.Line}
	name := string(e)
	kv, err := p.pairs(v, name)
	if err != nil {
		return nil, err
	}
	defs := fieldsOf(e)
	for _, item := range kv {
		sk, sv := item[0], item[1]
		switch sk.Value {
		case "fields":
			fkv, err := p.pairs(sv, name+".fields")
			if err != nil {
				return nil, err
			}
			seen := map[int]string{}
			for _, f := range fkv {
				path := name + ".fields." + f[0].Value
				i := lookupField(defs, f[0].Value)
				if i < 0 {
					return nil, p.errf(f[0], path, "unknown field: want one of %s", fieldNames(defs))
				}
				if prev, dup := seen[i]; dup {
					return nil, p.errf(f[0], path, "the same field as %s", prev)
				}
				seen[i] = f[0].Value
				r, err := p.field(defs, i, path, f[0], f[1])
				if err != nil {
					return nil, err
				}
				sec.fields = append(sec.fields, r)
			}
		case "filter":
			if sv.Kind != yaml.SequenceNode {
				return nil, p.errf(sv, name+".filter", "want a list of filters, got %s", nodeKind(sv))
			}
			for i, fn := range sv.Content {
				f, err := p.filter(fmt.Sprintf("%s.filter[%d]", name, i), fn)
				if err != nil {
					return nil, err
				}
				sec.filters = append(sec.filters, f)
			}
		case "ignore":
			if sec.ignore, err = p.strings(sv, name+".ignore"); err != nil {
				return nil, err
			}
		case "create_customers":
			if e != record.Transactions {
				return nil, p.errf(sk, join(name, sk.Value), "create_customers is a setting of transactions only")
			}
			val, err := p.scalar(sv, join(name, sk.Value))
			if err != nil {
				return nil, err
			}
			switch val {
			case "true":
				sec.createCustomers = true
			case "false":
			default:
				return nil, p.errf(sv, join(name, sk.Value), "want true or false, got %q", val)
			}
		default:
			return nil, p.errf(sk, join(name, sk.Value), "unknown setting: want fields, filter, ignore or create_customers")
		}
	}
	if len(sec.fields) == 0 {
		return nil, p.errf(k, name+".fields", "no fields are mapped")
	}
	return sec, nil
}

func fieldNames(defs []fieldDef) string {
	names := make([]string, 0, len(defs))
	for _, d := range defs {
		names = append(names, d.name)
	}
	return strings.Join(names, ", ")
}

// field parses one field rule: a column name, a list of candidate columns,
// or a mapping of settings.
func (p *parser) field(defs []fieldDef, i int, path string, k, v *yaml.Node) (*fieldRule, error) {
	d := &defs[i]
	r := &fieldRule{field: d.name, def: i, line: k.Line, path: path}
	if v.Kind == yaml.ScalarNode || v.Kind == yaml.SequenceNode {
		cols, err := p.strings(v, path)
		if err != nil {
			return nil, err
		}
		r.columns = cols
		return r, p.finishField(d, r, k)
	}
	kv, err := p.pairs(v, path)
	if err != nil {
		return nil, err
	}
	for _, item := range kv {
		sk, sv := item[0], item[1]
		sp := path + "." + sk.Value
		switch sk.Value {
		case "column", "columns":
			if r.columns, err = p.strings(sv, sp); err != nil {
				return nil, err
			}
			for _, c := range r.columns {
				if strings.TrimSpace(c) == "" {
					return nil, p.errf(sv, sp, "a column name cannot be empty")
				}
			}
		case "value":
			if r.constant, err = p.scalar(sv, sp); err != nil {
				return nil, err
			}
			r.hasConst = true
		case "default":
			if r.dflt, err = p.scalar(sv, sp); err != nil {
				return nil, err
			}
			r.hasDflt = true
		case "transform":
			if err := p.transforms(r, sv, sp); err != nil {
				return nil, err
			}
		case "map":
			if d.kind == kList {
				return nil, p.errf(sk, sp, "map applies to single values, not to %s (a list field)", d.name)
			}
			if err := p.valueMap(r, sv, sp); err != nil {
				return nil, err
			}
		case "money":
			if d.kind != kMoney {
				return nil, p.errf(sk, sp, "money applies to amount and reward, not to %s (a %s field)", d.name, d.kind)
			}
			if err := p.money(r, sv, sp); err != nil {
				return nil, err
			}
		case "time":
			if d.kind != kTime {
				return nil, p.errf(sk, sp, "time applies to created_at, not to %s (a %s field)", d.name, d.kind)
			}
			if err := p.timeRule(r, sv, sp); err != nil {
				return nil, err
			}
		case "split":
			if d.kind != kList {
				return nil, p.errf(sk, sp, "split applies to list fields (tags, product_type), not to %s (a %s field)", d.name, d.kind)
			}
			if r.split, err = p.scalar(sv, sp); err != nil {
				return nil, err
			}
			if r.split == "" {
				return nil, p.errf(sv, sp, "want the separator characters, e.g. \",;\"")
			}
		default:
			return nil, p.errf(sk, sp, "unknown setting: want column, value, default, transform, map, money, time or split")
		}
	}
	return r, p.finishField(d, r, k)
}

// finishField checks the rule as a whole and fills in defaults.
func (p *parser) finishField(d *fieldDef, r *fieldRule, k *yaml.Node) error {
	switch {
	case r.hasConst && len(r.columns) > 0:
		return p.errf(k, r.path, "set either column or value, not both")
	case !r.hasConst && len(r.columns) == 0 && !r.hasDflt:
		return p.errf(k, r.path, "no source: set column, value or default")
	case r.hasConst && (len(r.transforms) > 0 || r.vmap != nil):
		return p.errf(k, r.path, "a constant value takes no transform or map")
	}
	if r.decimalComma && r.minor {
		return p.errf(k, r.path+".money.decimal_separator", "minor units are whole numbers: a decimal separator applies to decimal units")
	}
	if d.kind == kTime && len(r.layouts) == 0 {
		r.layouts = []string{"auto"}
		r.loc = time.UTC
	}
	if d.kind == kList && r.split == "" {
		r.split = ",;"
	}
	// Constants and defaults are checked now, so that a typo fails before
	// the first row. Minor-unit money depends on each row's currency.
	check := func(what, s string) error {
		if d.kind == kMoney && r.minor {
			if _, ok := parseMinorText(s); !ok {
				return p.errf(k, r.path+"."+what, "%q is not an integer amount in minor units", s)
			}
			return nil
		}
		if _, msg := parseTyped(new(value), d, r, s, nil, ""); msg != "" {
			return p.errf(k, r.path+"."+what, "%s", msg)
		}
		return nil
	}
	if r.hasConst && r.constant != "" {
		if err := check("value", r.constant); err != nil {
			return err
		}
	}
	if r.hasDflt && r.dflt != "" {
		if err := check("default", r.dflt); err != nil {
			return err
		}
	}
	for _, t := range r.vmap {
		if t.kind == targetValue && t.value != "" {
			if _, msg := parseTyped(new(value), d, r, t.value, nil, ""); msg != "" && !(d.kind == kMoney && r.minor) {
				return &SpecError{File: p.file, Line: t.line, Field: r.path + ".map." + t.source, Message: msg}
			}
		}
	}
	return nil
}

func (p *parser) transforms(r *fieldRule, n *yaml.Node, path string) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, it := range items {
		it = deref(it)
		var name string
		var arg *yaml.Node
		switch it.Kind {
		case yaml.ScalarNode:
			name = it.Value
		case yaml.MappingNode:
			if len(it.Content) != 2 {
				return p.errf(it, path, "a transform with settings is one key, e.g. {strip_suffix: \" (moved)\"}")
			}
			name, arg = it.Content[0].Value, deref(it.Content[1])
		default:
			return p.errf(it, path, "want a transform name or {name: setting}, got %s", nodeKind(it))
		}
		step := transformStep{name: name, line: it.Line}
		sp := path + "." + name
		switch name {
		case "trim", "lower", "upper", "sign":
			if arg != nil {
				return p.errf(it, sp, "takes no setting")
			}
		case "strip_suffix", "strip_prefix":
			if arg == nil {
				return p.errf(it, sp, "needs the text to strip, e.g. {%s: \" (moved)\"}", name)
			}
			s, err := p.scalar(arg, sp)
			if err != nil {
				return err
			}
			if s == "" {
				return p.errf(arg, sp, "the text to strip cannot be empty")
			}
			step.arg = s
		case "referral_code":
			step.params = defaultReferralParams
			if arg != nil {
				ps, err := p.strings(arg, sp)
				if err != nil {
					return err
				}
				for _, q := range ps {
					if q == "" || strings.ContainsAny(q, "&=?# ") {
						return p.errf(arg, sp, "%q is not a query parameter name", q)
					}
				}
				step.params = ps
			}
		default:
			return p.errf(it, sp, "unknown transform %q: want trim, lower, upper, strip_suffix, strip_prefix, referral_code or sign", name)
		}
		r.transforms = append(r.transforms, step)
	}
	return nil
}

func (p *parser) valueMap(r *fieldRule, n *yaml.Node, path string) error {
	kv, err := p.pairs(n, path)
	if err != nil {
		return err
	}
	r.vmap = make(map[string]mapTarget, len(kv))
	for _, item := range kv {
		k, v := item[0], item[1]
		sp := path + "." + k.Value
		s, err := p.scalar(v, sp)
		if err != nil {
			// An empty target maps to "no value".
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				s = ""
			} else {
				return err
			}
		}
		t := mapTarget{kind: targetValue, value: s, line: v.Line, source: k.Value}
		switch {
		case s == "skip":
			t.kind, t.value = targetSkip, ""
		case s == "keep":
			t.kind, t.value = targetKeep, ""
		case strings.HasPrefix(s, "skip:"):
			t.kind, t.value = targetSkip, strings.TrimSpace(s[len("skip:"):])
		case strings.HasPrefix(s, "reject:"):
			t.kind, t.value = targetReject, strings.TrimSpace(s[len("reject:"):])
			if t.value == "" {
				return p.errf(v, sp, "a reject needs a reason: \"reject: refunds are not sales\"")
			}
		case s == "reject":
			return p.errf(v, sp, "a reject needs a reason: \"reject: refunds are not sales\"")
		}
		if k.Value == "*" {
			r.vmapOther = &t
			continue
		}
		r.vmap[k.Value] = t
	}
	return nil
}

func (p *parser) money(r *fieldRule, n *yaml.Node, path string) error {
	r.moneySet, r.moneyLine = true, n.Line
	if n.Kind == yaml.ScalarNode {
		return p.moneyUnits(r, n, path)
	}
	kv, err := p.pairs(n, path)
	if err != nil {
		return err
	}
	for _, item := range kv {
		k, v := item[0], item[1]
		sp := path + "." + k.Value
		switch k.Value {
		case "units":
			if err := p.moneyUnits(r, v, sp); err != nil {
				return err
			}
		case "exponents":
			ekv, err := p.pairs(v, sp)
			if err != nil {
				return err
			}
			r.exponents = map[string]int{}
			for _, e := range ekv {
				code, ok := normalizeCurrency(e[0].Value)
				if !ok {
					return p.errf(e[0], sp+"."+e[0].Value, "not an ISO 4217 currency code")
				}
				x, err := strconv.Atoi(e[1].Value)
				if err != nil || x < 0 || x > 18 {
					return p.errf(e[1], sp+"."+e[0].Value, "want an exponent from 0 to 18, got %q", e[1].Value)
				}
				r.exponents[code] = x
			}
		case "currency":
			c, err := p.scalar(v, sp)
			if err != nil {
				return err
			}
			code, ok := normalizeCurrency(c)
			if !ok {
				return p.errf(v, sp, "%q is not an ISO 4217 currency code", c)
			}
			r.valueCurrency = code
		case "currency_column":
			if r.valueCurrencyCols, err = p.strings(v, sp); err != nil {
				return err
			}
		case "decimal_separator":
			sep, err := p.scalar(v, sp)
			if err != nil {
				return err
			}
			switch sep {
			case ".":
				r.decimalComma = false
			case ",":
				r.decimalComma = true
			default:
				return p.errf(v, sp, "want \".\" (1234.56) or \",\" (1.234,56), got %q", sep)
			}
		default:
			return p.errf(k, sp, "unknown setting: want units, exponents, decimal_separator, currency or currency_column")
		}
	}
	return nil
}

func (p *parser) moneyUnits(r *fieldRule, n *yaml.Node, path string) error {
	s, err := p.scalar(n, path)
	if err != nil {
		return err
	}
	switch s {
	case "decimal":
		r.minor = false
	case "minor", "cents":
		r.minor = true
	default:
		return p.errf(n, path, "unknown money units %q: want decimal (49.99) or minor (4999 cents, by the currency's exponent)", s)
	}
	return nil
}

func (p *parser) timeRule(r *fieldRule, n *yaml.Node, path string) error {
	r.loc = time.UTC
	if n.Kind != yaml.MappingNode {
		ls, err := p.strings(n, path)
		if err != nil {
			return err
		}
		return p.layouts(r, n, path, ls)
	}
	kv, err := p.pairs(n, path)
	if err != nil {
		return err
	}
	for _, item := range kv {
		k, v := item[0], item[1]
		sp := path + "." + k.Value
		switch k.Value {
		case "layout", "layouts", "format":
			ls, err := p.strings(v, sp)
			if err != nil {
				return err
			}
			if err := p.layouts(r, v, sp, ls); err != nil {
				return err
			}
		case "zone":
			z, err := p.scalar(v, sp)
			if err != nil {
				return err
			}
			loc, err := loadZone(z)
			if err != nil {
				return p.errf(v, sp, "%v", err)
			}
			r.zone, r.loc = z, loc
		default:
			return p.errf(k, sp, "unknown setting: want layout or zone")
		}
	}
	if len(r.layouts) == 0 {
		r.layouts = []string{"auto"}
	}
	return nil
}

func (p *parser) layouts(r *fieldRule, n *yaml.Node, path string, ls []string) error {
	for _, l := range ls {
		if err := checkLayout(l); err != nil {
			return p.errf(n, path, "%v", err)
		}
	}
	r.layouts = ls
	return nil
}

// loadZone resolves an IANA zone name. The host's zone is refused: the same
// file must give the same instants on every machine.
func loadZone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC", "utc", "Z":
		return time.UTC, nil
	case "Local", "local":
		return nil, fmt.Errorf("the host's zone is not allowed: name an IANA zone such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: want an IANA name such as Europe/Berlin or America/New_York", name)
	}
	return loc, nil
}

// namedLayouts are the layouts a mapping file may name instead of writing
// a Go reference-time layout.
var namedLayouts = []string{"auto", "rfc3339", "epoch_s", "epoch_ms"}

// checkLayout accepts a named layout or a Go layout that carries at least a
// year, a month and a day (a layout without them parses nothing useful).
func checkLayout(l string) error {
	if slices.Contains(namedLayouts, l) {
		return nil
	}
	ref := time.Date(2031, 11, 22, 13, 14, 15, 0, time.UTC)
	back, err := time.Parse(l, ref.Format(l))
	if err != nil || back.Year() != 2031 || back.Month() != 11 || back.Day() != 22 {
		return fmt.Errorf("bad time layout %q: write Go's reference time (e.g. \"2006-01-02 15:04:05\") with a year, month and day, or one of %s", l, strings.Join(namedLayouts, ", "))
	}
	return nil
}

func (p *parser) filter(path string, n *yaml.Node) (*filterRule, error) {
	kv, err := p.pairs(n, path)
	if err != nil {
		return nil, err
	}
	f := &filterRule{line: n.Line}
	conds := 0
	for _, item := range kv {
		k, v := item[0], item[1]
		sp := path + "." + k.Value
		switch k.Value {
		case "column", "columns":
			if f.columns, err = p.strings(v, sp); err != nil {
				return nil, err
			}
		case "in", "equals":
			if f.values, err = p.strings(v, sp); err != nil {
				return nil, err
			}
			f.keepIf = true
			conds++
		case "not_in", "not_equals":
			if f.values, err = p.strings(v, sp); err != nil {
				return nil, err
			}
			f.keepIf = false
			conds++
		case "min":
			m, err := p.scalar(v, sp)
			if err != nil {
				return nil, err
			}
			d, err := partnero.ParseDecimal(strings.TrimSpace(m))
			if err != nil {
				return nil, p.errf(v, sp, "%q is not a number", m)
			}
			f.min = d.Rat()
			f.values = []string{m}
			conds++
		case "reason":
			if f.reason, err = p.scalar(v, sp); err != nil {
				return nil, err
			}
		case "action":
			a, err := p.scalar(v, sp)
			if err != nil {
				return nil, err
			}
			switch a {
			case "skip":
			case "reject":
				f.reject = true
			default:
				return nil, p.errf(v, sp, "unknown action %q: want skip or reject", a)
			}
		default:
			return nil, p.errf(k, sp, "unknown setting: want column, in, not_in, min, reason or action")
		}
	}
	if len(f.columns) == 0 {
		return nil, p.errf(n, path, "a filter needs a column")
	}
	if conds != 1 {
		return nil, p.errf(n, path, "a filter needs exactly one of in, not_in or min")
	}
	for i, v := range f.values {
		f.values[i] = strings.TrimSpace(v)
	}
	return f, nil
}
