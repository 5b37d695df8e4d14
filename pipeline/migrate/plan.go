package migrate

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/partnero-etl/partnero-etl/internal/yamlpos"
	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources"
)

// Options are what a migration is asked to do: the flags of `migrate`, or
// the options of a plan file where no flag says otherwise.
type Options struct {
	From        string // the platform migrated from: the preset of every entity
	DryRun      bool
	Report      string // the combined report's JSON file; "" for none
	RejectsDir  string // the reject files' folder; "" beside each input
	MaxRejects  int64
	Workers     int
	Restart     bool
	Replace     bool // replace_transactions
	NoBatch     bool
	MaxAttempts int
}

// Input is one entity's input in a plan file: its file and how it is
// mapped.
type Input struct {
	File    string `yaml:"file"`
	Preset  string `yaml:"preset"`
	Mapping string `yaml:"mapping"`
	Format  string `yaml:"format"`
}

// Plan is a plan file (see `partnero-etl migrate --help`).
type Plan struct {
	From         string      `yaml:"from"`
	Partners     *Input      `yaml:"partners"`
	Customers    *Input      `yaml:"customers"`
	Transactions *Input      `yaml:"transactions"`
	Options      PlanOptions `yaml:"options"`
}

// PlanOptions are a plan's options; nil is unset, so that a flag decides.
type PlanOptions struct {
	DryRun              *bool   `yaml:"dry_run"`
	RejectsDir          *string `yaml:"rejects_dir"`
	Report              *string `yaml:"report"`
	MaxRejects          *int64  `yaml:"max_rejects"`
	Workers             *int    `yaml:"workers"`
	ReplaceTransactions *bool   `yaml:"replace_transactions"`
	NoBatch             *bool   `yaml:"no_batch"`
	Restart             *bool   `yaml:"restart"`
}

// Stage is one import of a migration: an entity's input and its mapping.
type Stage struct {
	Entity record.Entity
	File   string
	Format string
	Spec   *mapping.Spec // nil: the canonical columns
	// SpecName names the mapping for messages: the mapping file or
	// "preset NAME"; "" for the canonical columns.
	SpecName string
}

// LoadPlan reads a plan file into opts: its inputs, and its options where
// changed (whether a flag was given on the command line; nil: none was)
// does not say a flag decides. It returns the per-entity inputs, their
// paths relative to the plan's folder. Every error is a
// usage error (pipeline.ErrUsage).
func LoadPlan(path string, opts *Options, changed func(flag string) bool) (map[record.Entity]*Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, pipeline.Usagef("read plan: %v", err)
	}
	return ParsePlan(path, data, opts, changed)
}

// ParsePlan is LoadPlan on the plan's text.
func ParsePlan(path string, data []byte, opts *Options, changed func(flag string) bool) (map[record.Entity]*Input, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Plan
	if err := dec.Decode(&p); err != nil && err != io.EOF {
		return nil, planError(path, data, err)
	}
	if changed == nil {
		changed = func(string) bool { return false }
	}
	dir := filepath.Dir(path)
	rel := func(f string) string {
		if f == "" || f == "-" || filepath.IsAbs(f) {
			return f
		}
		return filepath.Join(dir, f)
	}
	if p.From != "" && !changed("from") {
		opts.From = p.From
	}
	o := p.Options
	if o.RejectsDir != nil && !changed("rejects-dir") {
		opts.RejectsDir = rel(*o.RejectsDir)
	}
	if o.Report != nil && !changed("report") {
		opts.Report = rel(*o.Report)
	}
	setOption(&opts.DryRun, o.DryRun, changed("dry-run"))
	setOption(&opts.MaxRejects, o.MaxRejects, changed("max-rejects"))
	setOption(&opts.Workers, o.Workers, changed("workers"))
	setOption(&opts.Replace, o.ReplaceTransactions, changed("replace-transactions"))
	setOption(&opts.NoBatch, o.NoBatch, changed("no-batch"))
	setOption(&opts.Restart, o.Restart, changed("restart"))
	out := map[record.Entity]*Input{}
	for e, in := range map[record.Entity]*Input{record.Partners: p.Partners, record.Customers: p.Customers, record.Transactions: p.Transactions} {
		if in == nil {
			continue
		}
		if in.File == "" {
			return nil, pipeline.Usagef("plan %s: %s names no file", path, e)
		}
		if in.Preset != "" && in.Mapping != "" {
			return nil, pipeline.Usagef("plan %s: %s names both a preset and a mapping file: pick one", path, e)
		}
		in.File = rel(in.File)
		in.Mapping = rel(in.Mapping)
		out[e] = in
	}
	return out, nil
}

// setOption sets an option from a plan's value, unless the plan has none
// or a flag given on the command line decides.
func setOption[T any](opt *T, plan *T, flag bool) {
	if plan != nil && !flag {
		*opt = *plan
	}
}

// What the sections of a plan file hold, for messages that name the YAML
// and not the Go types it is decoded into.
var planSections = map[string]struct{ holds, fields string }{
	reflect.TypeFor[Plan]().String():  {"", "from, partners, customers, transactions or options"},
	reflect.TypeFor[Input]().String(): {"a section with a file", "file, preset, mapping or format"},
	reflect.TypeFor[PlanOptions]().String(): {"a section of options",
		"dry_run, rejects_dir, report, max_rejects, workers, replace_transactions, no_batch or restart"},
}

// planScalars says what a value of each scalar type of a plan file is.
var planScalars = map[string]string{
	"int": "a whole number", "int64": "a whole number", "bool": "true or false", "string": "a text",
}

// planError turns a YAML error of a plan file into usage errors that read
// "plan.yaml:6: options: max_rejects: want a whole number, not \"lots\"",
// one line each.
func planError(path string, data []byte, err error) error {
	problems := yamlpos.TypeProblems(err)
	if problems == nil {
		// A syntax error: the library names the line where the block
		// around it starts; yamlpos finds the mistake's own.
		line, msg := yamlpos.SyntaxError(data, err)
		if line == 0 {
			return pipeline.Usagef("%s: %s", path, msg)
		}
		return pipeline.Usagef("%s:%d: %s", path, line, msg)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc) // it parsed: only the types were wrong
	lines := make([]string, 0, len(problems))
	for _, p := range problems {
		lines = append(lines, planTypeMessage(path, docRoot(&doc), p))
	}
	return pipeline.Usagef("%s", strings.Join(lines, "\n"))
}

// planTypeMessage rewrites one message of a yaml.TypeError ("line 6:
// cannot unmarshal !!str `lots` into int64") with the section and field it
// is about, read from the plan's node tree.
func planTypeMessage(path string, root *yaml.Node, p yamlpos.TypeProblem) string {
	if p.Line == 0 {
		return path + ": " + p.Message
	}
	var parts []string
	section, sectionValue := keyAtLine(root, p.Line)
	switch {
	case p.UnknownField != "":
		if p.In != reflect.TypeFor[Plan]().String() && section != "" {
			parts = append(parts, section)
		}
		parts = append(parts, fmt.Sprintf("unknown field %s (want %s)", p.UnknownField, planSections[p.In].fields))
	case p.Into != "":
		value := sectionValue
		if section != "" {
			parts = append(parts, section)
		}
		if field, v := keyAtLine(sectionValue, p.Line); field != "" {
			parts, value = append(parts, field), v
		}
		want := planScalars[p.Into]
		if want == "" {
			want = planSections[p.Into].holds
		}
		if want == "" {
			want = "another value"
		}
		parts = append(parts, fmt.Sprintf("want %s, not %s", want, describeNode(value)))
	default:
		parts = append(parts, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", path, p.Line, strings.Join(parts, ": "))
}

// keyAtLine returns the key of mapping n whose entry holds line (the last
// key at or above it) and its value; "" when n is no mapping or line is
// above its first key.
func keyAtLine(n *yaml.Node, line int) (string, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return "", nil
	}
	key, value := "", (*yaml.Node)(nil)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Line > line {
			break
		}
		key, value = n.Content[i].Value, n.Content[i+1]
	}
	return key, value
}

// describeNode names a YAML value for a message: a scalar as written, else
// its kind.
func describeNode(n *yaml.Node) string {
	switch {
	case n == nil:
		return "this"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a section"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	case n.Tag == "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	return doc
}

// Stages resolves the inputs of a migration and their mappings, in the
// order they run: the plan's inputs (nil: no plan), with the files named
// on the command line (files) in place of the plan's. Every error is a
// usage error (pipeline.ErrUsage).
func Stages(opts *Options, plan map[record.Entity]*Input, files map[record.Entity]string) ([]*Stage, error) {
	var stages []*Stage
	for _, e := range []record.Entity{record.Partners, record.Customers, record.Transactions} {
		in := plan[e]
		if files[e] != "" {
			if in == nil {
				in = &Input{}
			}
			in.File = files[e]
		}
		if in == nil {
			continue
		}
		st, err := stage(e, in, opts.From)
		if err != nil {
			return nil, err
		}
		stages = append(stages, st)
	}
	if len(stages) == 0 {
		return nil, pipeline.Usagef("migrate needs at least one of --partners, --customers and --transactions (or a --plan naming them)")
	}
	return stages, nil
}

// stage resolves one input: its format, and its mapping file, its preset
// or the preset of the platform (from).
func stage(e record.Entity, in *Input, from string) (*Stage, error) {
	st := &Stage{Entity: e, File: in.File}
	format, err := sources.FormatOf(in.File, sources.Options{Format: in.Format})
	if err != nil {
		return nil, pipeline.Usagef("%s: %v", e, err)
	}
	st.Format = format
	preset := in.Preset
	if preset == "" && in.Mapping == "" {
		preset = from
	}
	switch {
	case in.Mapping != "":
		if st.Spec, err = mapping.Load(in.Mapping); err != nil {
			return nil, pipeline.Usage(err)
		}
		if !st.Spec.Has(e) {
			return nil, pipeline.Usagef("mapping file %s does not map %s (it maps %v)", in.Mapping, e, st.Spec.Entities())
		}
		st.SpecName = in.Mapping
	case preset != "":
		if st.Spec, err = mapping.Preset(preset, e); err != nil {
			return nil, pipeline.Usagef("%v", err)
		}
		st.SpecName = "preset " + preset
	}
	return st, nil
}
