package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/partnero-etl/partnero-etl/internal/yamlpos"
	"github.com/partnero-etl/partnero-etl/mapping"
	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks/upsert"
	"github.com/partnero-etl/partnero-etl/sources"
)

func init() { commandRegistry = append(commandRegistry, newMigrateCmd) }

// migrateOptions are the flags of `partnero-etl migrate`.
type migrateOptions struct {
	From         string
	Partners     string
	Customers    string
	Transactions string
	Plan         string

	DryRun      bool
	Report      string
	RejectsDir  string
	MaxRejects  int64
	Workers     int
	Restart     bool
	Replace     bool
	NoBatch     bool
	MaxAttempts int

	g  *globalOptions
	io *ioStreams
	// httpClient, when set, replaces the default transport (tests).
	httpClient *http.Client
	// changed reports whether a flag was given on the command line (plan
	// options yield to flags); nil means none was.
	changed func(name string) bool
}

const migrateLong = `Move a program from another affiliate platform into Partnero: partners,
then customers, then transactions, each file mapped by the platform's preset
(see 'partnero-etl presets') or by a mapping file of your own.

The platform's own ids join the files: a customer names its partner by the
old platform's partner id, and a transaction its customer by the old
platform's customer id (the preset's source_id fields), else by key, else by
email. The partners file is read whole first; each customer then gets its
partner's Partnero identity, and each transaction the customer of the
customers file. A row whose parent was rejected is rejected too, as
parent_rejected, naming the parent's line and reason, whatever the parent's
code; a customer whose partner is neither in the partners file nor named by
email or key is rejected as unknown_partner; with a customers file, a
transaction whose customer is neither in it nor in Partnero is rejected as
unknown_customer, never created under another key. Customers are created
from transactions only for a platform without a customer export (its
preset says create_customers: true). A new customer of the customers file
that has transactions is created inside its first transaction batch, with
the file's own fields: a request saved per customer.

Each stage is an import (see 'partnero-etl import --help'): the same pacing,
journal, reject files and outcomes. Re-running the same command after a
crash or Ctrl-C continues where it stopped: finished stages are reconciled
against the program and write nothing, the interrupted one resumes from
its journal. Reject files are written beside each input (or in
--rejects-dir), with the input's own columns plus _line, _key, _error_code
and _error_message: fix them and feed them back with 'partnero-etl import'.

--dry-run makes only read requests and validates the whole plan against the
program: what would be created, updated or left unchanged, and every row
that would be rejected, including customers whose partner exists neither in
the input nor in Partnero.

A plan file (--plan) names the inputs and options in one place; paths are
relative to the plan file, and flags given on the command line win:

  from: rewardful               # the preset of every entity (optional)
  partners:
    file: affiliates.jsonl
  customers:
    file: referrals.jsonl
    preset: rewardful           # per entity: a preset ...
  transactions:
    file: commissions.csv
    mapping: commissions.yaml   # ... or a mapping file of your own
    format: csv                 # optional: csv, jsonl or parquet
  options:                      # all optional
    dry_run: false
    rejects_dir: rejects
    report: migration.json
    max_rejects: 0
    workers: 0
    replace_transactions: false
    no_batch: false

Exit status: 0 every row landed, 3 the migration finished but some rows were
rejected (see the reject files), 4 the API refused the key, 1 another failure
(including a stage stopped by --max-rejects: run it again to resume), 130
interrupted.`

func newMigrateCmd(g *globalOptions) *cobra.Command {
	opts := &migrateOptions{g: g, io: g.io}
	cmd := &cobra.Command{
		Use:   "migrate --from PLATFORM [--partners FILE] [--customers FILE] [--transactions FILE] | --plan FILE",
		Short: "Migrate partners, customers and transactions from another affiliate platform",
		Long:  migrateLong,
		Example: `  partnero-etl migrate --from rewardful --partners affiliates.jsonl \
    --customers referrals.jsonl --transactions commissions.jsonl --dry-run
  partnero-etl migrate --from rewardful --partners affiliates.jsonl \
    --customers referrals.jsonl --transactions commissions.jsonl --report migration.json
  partnero-etl migrate --plan plan.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("migrate takes no arguments: name the files with --partners, --customers and --transactions, or --plan")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.changed = func(name string) bool { return cmd.Flags().Changed(name) }
			return runMigrate(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "the platform migrated from, a preset name: "+presetList())
	f.StringVar(&opts.Partners, "partners", "", "the partners (affiliates) export")
	f.StringVar(&opts.Customers, "customers", "", "the customers (referrals) export")
	f.StringVar(&opts.Transactions, "transactions", "", "the transactions (sales, commissions) export")
	f.StringVar(&opts.Plan, "plan", "", "a plan file (YAML) naming the files, presets or mapping files, and options")
	f.BoolVar(&opts.DryRun, "dry-run", false, "make only read requests; validate the whole plan against the program")
	f.StringVar(&opts.Report, "report", "", "write the combined report as JSON to this file")
	f.StringVar(&opts.RejectsDir, "rejects-dir", "", "write the reject files to this folder (default: beside each input)")
	f.Int64Var(&opts.MaxRejects, "max-rejects", 0, "stop the migration (exit 1; run again to resume) once more than N rows of a stage were rejected (0: no limit)")
	f.IntVar(&opts.Workers, "workers", 0, "concurrent writers (default: what the rate limit and the API's latency need)")
	f.BoolVar(&opts.Restart, "restart", false, "ignore the journals of an earlier run (the program is still reconciled)")
	f.BoolVar(&opts.Replace, "replace-transactions", false, "replace a transaction whose key exists with other values instead of rejecting it")
	f.BoolVar(&opts.NoBatch, "no-batch", false, "write transactions one request each instead of one request per customer")
	f.IntVar(&opts.MaxAttempts, "max-attempts", 0, "attempts per request before a row fails (default: the client's)")
	return cmd
}

func presetList() string {
	var names []string
	for _, p := range mapping.Presets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// migrationStage is one import of a migration.
type migrationStage struct {
	entity record.Entity
	file   string
	format string
	spec   *mapping.Spec
	// specYAML is the mapping file's text, from which the identity of a
	// rejected row is read; nil for the canonical columns.
	specYAML []byte
	specName string
}

// migrationPlan is a plan file.
type migrationPlan struct {
	From         string          `yaml:"from"`
	Partners     *planEntity     `yaml:"partners"`
	Customers    *planEntity     `yaml:"customers"`
	Transactions *planEntity     `yaml:"transactions"`
	Options      planOptionsYAML `yaml:"options"`
}

type planEntity struct {
	File    string `yaml:"file"`
	Preset  string `yaml:"preset"`
	Mapping string `yaml:"mapping"`
	Format  string `yaml:"format"`
}

type planOptionsYAML struct {
	DryRun              *bool   `yaml:"dry_run"`
	RejectsDir          *string `yaml:"rejects_dir"`
	Report              *string `yaml:"report"`
	MaxRejects          *int64  `yaml:"max_rejects"`
	Workers             *int    `yaml:"workers"`
	ReplaceTransactions *bool   `yaml:"replace_transactions"`
	NoBatch             *bool   `yaml:"no_batch"`
	Restart             *bool   `yaml:"restart"`
}

// loadPlan reads a plan file into opts: its inputs, and its options where
// no flag says otherwise. It returns the per-entity settings.
func loadPlan(path string, opts *migrateOptions) (map[record.Entity]*planEntity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("read plan: %v", err)
	}
	return parsePlan(path, data, opts)
}

// parsePlan is loadPlan on the plan's text.
func parsePlan(path string, data []byte, opts *migrateOptions) (map[record.Entity]*planEntity, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p migrationPlan
	if err := dec.Decode(&p); err != nil && err != io.EOF {
		return nil, planError(path, data, err)
	}
	changed := opts.changed
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
	if o.DryRun != nil && !changed("dry-run") {
		opts.DryRun = *o.DryRun
	}
	if o.RejectsDir != nil && !changed("rejects-dir") {
		opts.RejectsDir = rel(*o.RejectsDir)
	}
	if o.Report != nil && !changed("report") {
		opts.Report = rel(*o.Report)
	}
	if o.MaxRejects != nil && !changed("max-rejects") {
		opts.MaxRejects = *o.MaxRejects
	}
	if o.Workers != nil && !changed("workers") {
		opts.Workers = *o.Workers
	}
	if o.ReplaceTransactions != nil && !changed("replace-transactions") {
		opts.Replace = *o.ReplaceTransactions
	}
	if o.NoBatch != nil && !changed("no-batch") {
		opts.NoBatch = *o.NoBatch
	}
	if o.Restart != nil && !changed("restart") {
		opts.Restart = *o.Restart
	}
	out := map[record.Entity]*planEntity{}
	for e, pe := range map[record.Entity]*planEntity{record.Partners: p.Partners, record.Customers: p.Customers, record.Transactions: p.Transactions} {
		if pe == nil {
			continue
		}
		if pe.File == "" {
			return nil, usageError("plan %s: %s names no file", path, e)
		}
		if pe.Preset != "" && pe.Mapping != "" {
			return nil, usageError("plan %s: %s names both a preset and a mapping file: pick one", path, e)
		}
		pe.File = rel(pe.File)
		pe.Mapping = rel(pe.Mapping)
		out[e] = pe
	}
	return out, nil
}

// What the sections of a plan file hold, for messages that name the YAML
// and not the Go types it is decoded into.
var planSections = map[string]struct{ holds, fields string }{
	reflect.TypeFor[migrationPlan]().String(): {"", "from, partners, customers, transactions or options"},
	reflect.TypeFor[planEntity]().String():    {"a section with a file", "file, preset, mapping or format"},
	reflect.TypeFor[planOptionsYAML]().String(): {"a section of options",
		"dry_run, rejects_dir, report, max_rejects, workers, replace_transactions, no_batch or restart"},
}

// planScalars says what a value of each scalar type of a plan file is.
var planScalars = map[string]string{
	"int": "a whole number", "int64": "a whole number", "bool": "true or false", "string": "a text",
}

var (
	yamlLineRE    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknownRE = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	yamlTypeRE    = regexp.MustCompile("^cannot unmarshal !!\\w+(?: `.*`)? into (\\S+)$")
)

// planError turns a YAML error of a plan file into usage errors that read
// "plan.yaml:6: options: max_rejects: want a whole number, not \"lots\"",
// one line each.
func planError(path string, data []byte, err error) error {
	te, ok := errors.AsType[*yaml.TypeError](err)
	if !ok {
		// A syntax error: the library names the line where the block
		// around it starts; yamlpos finds the mistake's own.
		line, msg := yamlpos.SyntaxError(data, err)
		if line == 0 {
			return usageError("%s: %s", path, msg)
		}
		return usageError("%s:%d: %s", path, line, msg)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc) // it parsed: only the types were wrong
	lines := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		lines = append(lines, planTypeMessage(path, docRoot(&doc), e))
	}
	return usageError("%s", strings.Join(lines, "\n"))
}

// planTypeMessage rewrites one message of a yaml.TypeError ("line 6:
// cannot unmarshal !!str `lots` into int64") with the section and field it
// is about, read from the plan's node tree.
func planTypeMessage(path string, root *yaml.Node, msg string) string {
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return path + ": " + msg
	}
	line, _ := strconv.Atoi(m[1])
	var parts []string
	section, sectionValue := keyAtLine(root, line)
	if u := yamlUnknownRE.FindStringSubmatch(m[2]); u != nil {
		if u[2] != reflect.TypeFor[migrationPlan]().String() && section != "" {
			parts = append(parts, section)
		}
		parts = append(parts, fmt.Sprintf("unknown field %s (want %s)", u[1], planSections[u[2]].fields))
	} else if t := yamlTypeRE.FindStringSubmatch(m[2]); t != nil {
		value := sectionValue
		if section != "" {
			parts = append(parts, section)
		}
		if field, v := keyAtLine(sectionValue, line); field != "" {
			parts, value = append(parts, field), v
		}
		want := planScalars[t[1]]
		if want == "" {
			want = planSections[t[1]].holds
		}
		if want == "" {
			want = "another value"
		}
		parts = append(parts, fmt.Sprintf("want %s, not %s", want, describeNode(value)))
	} else {
		parts = append(parts, m[2])
	}
	return fmt.Sprintf("%s:%d: %s", path, line, strings.Join(parts, ": "))
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

// migrationStages resolves the inputs and their mappings, in the order
// they run.
func migrationStages(opts *migrateOptions) ([]*migrationStage, error) {
	plan := map[record.Entity]*planEntity{}
	if opts.Plan != "" {
		var err error
		if plan, err = loadPlan(opts.Plan, opts); err != nil {
			return nil, err
		}
	}
	flags := map[record.Entity]string{record.Partners: opts.Partners, record.Customers: opts.Customers, record.Transactions: opts.Transactions}
	var stages []*migrationStage
	for _, e := range []record.Entity{record.Partners, record.Customers, record.Transactions} {
		pe := plan[e]
		if flags[e] != "" {
			if pe == nil {
				pe = &planEntity{}
			}
			pe.File = flags[e]
		}
		if pe == nil {
			continue
		}
		st := &migrationStage{entity: e, file: pe.File}
		format, err := sources.FormatOf(pe.File, sources.Options{Format: pe.Format})
		if err != nil {
			return nil, usageError("%s: %v", e, err)
		}
		st.format = format
		preset := pe.Preset
		if preset == "" && pe.Mapping == "" {
			preset = opts.From
		}
		switch {
		case pe.Mapping != "":
			if st.spec, err = mapping.Load(pe.Mapping); err != nil {
				return nil, withCode(exitUsage, err)
			}
			if !st.spec.Has(e) {
				return nil, usageError("mapping file %s does not map %s (it maps %v)", pe.Mapping, e, st.spec.Entities())
			}
			if st.specYAML, err = os.ReadFile(pe.Mapping); err != nil {
				return nil, withCode(exitUsage, err)
			}
			st.specName = pe.Mapping
		case preset != "":
			if st.spec, err = mapping.Preset(preset, e); err != nil {
				return nil, usageError("%v", err)
			}
			if st.specYAML, err = mapping.PresetYAML(preset); err != nil {
				return nil, usageError("%v", err)
			}
			st.specName = "preset " + preset
		}
		stages = append(stages, st)
	}
	if len(stages) == 0 {
		return nil, usageError("migrate needs at least one of --partners, --customers and --transactions (or a --plan naming them)")
	}
	return stages, nil
}

func runMigrate(ctx context.Context, opts *migrateOptions) error {
	if opts.Workers < 0 || opts.MaxRejects < 0 || opts.MaxAttempts < 0 {
		return usageError("--workers, --max-rejects and --max-attempts must not be negative")
	}
	stages, err := migrationStages(opts)
	if err != nil {
		return err
	}
	if err := checkMigrationPaths(opts, stages); err != nil {
		return err
	}
	if _, err := opts.g.apiKey(); err != nil {
		return err
	}
	if opts.RejectsDir != "" {
		if err := os.MkdirAll(opts.RejectsDir, 0o755); err != nil {
			return fmt.Errorf("rejects folder: %w", err)
		}
	}
	// The identity readers compile now: a broken mapping stops the
	// migration before its first stage, not between two.
	readers := make([]*identityReader, len(stages))
	for i, st := range stages {
		if readers[i], err = newIdentityReader(st); err != nil {
			return withCode(exitUsage, err)
		}
	}
	log := opts.g.logger()
	join := migrate.NewJoin(opts.DryRun)
	byEntity := map[record.Entity]*migrationStage{}
	for _, st := range stages {
		byEntity[st.entity] = st
	}
	hasCustomers := byEntity[record.Customers] != nil
	if hasCustomers {
		join.ExpectCustomers()
	}
	mrep := &migrate.MigrationReport{From: opts.From, DryRun: opts.DryRun, Started: time.Now().UTC()}
	started := time.Now()

	// One client for every stage: one rate budget, learned once, and one
	// check of the key.
	client, err := newImportClient(ctx, opts.g, opts.httpClient, opts.MaxAttempts)
	if err != nil {
		return err
	}
	program, err := checkProgram(ctx, client)
	if err != nil {
		return err
	}

	var runErr error
	deferring := false
	if tx := byEntity[record.Transactions]; hasCustomers && tx != nil && tx.file != "-" {
		// Which customers have transactions: a new one is created inside
		// its first transaction batch instead of by a request of its own.
		if err := scanTransactionCustomers(ctx, tx, join); err != nil {
			runErr = err
		}
		deferring = true
	}
	var customersReport *pipeline.Report
	for i, st := range stages {
		if runErr != nil {
			break
		}
		ids := readers[i]
		if st.entity == record.Partners {
			if err := scanPartners(ctx, st, ids, join); err != nil {
				runErr = err
				break
			}
			known, rejected := join.Partners()
			log.Info("partners read ahead for the join", "partners", known, "rejected", rejected)
		}
		var rep *pipeline.Report
		iopts := &importOptions{
			Entity:      string(st.entity),
			Input:       st.file,
			Format:      st.format,
			Rejects:     stageRejects(opts.RejectsDir, st),
			DryRun:      opts.DryRun,
			Workers:     opts.Workers,
			MaxRejects:  opts.MaxRejects,
			Replace:     opts.Replace,
			NoBatch:     opts.NoBatch,
			Restart:     opts.Restart,
			MaxAttempts: opts.MaxAttempts,
			g:           opts.g,
			io:          opts.io,
			httpClient:  opts.httpClient,
			client:      client,
			program:     program,
			spec:        st.spec,
			specYAML:    st.specYAML,
			noSummary:   true,
			report:      &rep,
		}
		switch st.entity {
		case record.Partners:
			iopts.mapHook = join.MapPartner
			iopts.onReject = func(row *record.Row, _ string, rerr *record.RowError) {
				join.PartnerRejected(ids.partnerSourceID(row), rerr)
			}
			iopts.onWritten = join.PartnerWritten
		case record.Customers:
			iopts.mapHook = join.MapCustomer
			iopts.onReject = func(row *record.Row, key string, rerr *record.RowError) {
				if key != "" {
					join.CustomerRejected("", key, "", true, rerr)
					return
				}
				sourceID, key := ids.customerIdentity(row)
				join.CustomerRejected(sourceID, key, "", false, rerr)
			}
			iopts.onWritten = join.CustomerWritten
			if deferring {
				iopts.deferCreate = join.DeferCreate
			}
		case record.Transactions:
			iopts.onCustomer = join.TransactionCustomer
			iopts.mapHook = join.MapTransaction
			iopts.mapErrHook = func(row record.Row, rerr *record.RowError) *record.RowError {
				sourceID, key := ids.transactionCustomer(&row)
				return join.RejectedParent(rerr, sourceID, key)
			}
			if hasCustomers {
				// Only a customer the customers input names may be created
				// with its transactions; any other is found in Partnero
				// or rejected.
				iopts.mayCreateCustomer = join.MayCreateCustomer
			}
		}
		if !opts.g.Quiet {
			fmt.Fprintf(opts.io.ErrOut, "%s: %s (%s)\n", st.entity, st.file, orDefault(st.specName, "canonical columns"))
		}
		err := runImport(ctx, iopts)
		if rep != nil {
			switch st.entity {
			case record.Customers:
				customersReport = rep
				join.ForgetTransactionCustomers()
			case record.Transactions:
				rep.CustomerJoins = join.Joined()
			}
			mrep.Stages = append(mrep.Stages, rep)
			if !opts.g.Quiet {
				writeStageLine(opts.io.ErrOut, rep)
			}
		}
		var ee *exitError
		if err != nil && !(errors.As(err, &ee) && ee.code == exitRejects && ee.err == nil) {
			runErr = err
			break
		}
	}
	if customersReport != nil {
		if runErr == nil && ctx.Err() == nil {
			if err := settleDeferredCustomers(ctx, client, opts, join, customersReport, mrep); err != nil {
				runErr = err
			}
		} else {
			abandonDeferredCustomers(join, customersReport)
		}
	}
	mrep.Duration = time.Since(started)
	mrep.Interrupted = ctx.Err() != nil
	mrep.DanglingReferrers = join.DanglingReferrers()
	if runErr != nil && ctx.Err() == nil {
		var ee *exitError
		if !errors.As(runErr, &ee) || ee.err != nil {
			mrep.Error = runErr.Error()
		}
	}
	mrep.Finish()
	// The stages' reports count their own requests; the client saw them
	// all, the key check and the settling of deferred customers too.
	st := client.Stats()
	mrep.SetRequests(st.Requests, st.Retries, st.RateLimited)
	if len(mrep.Stages) > 0 {
		if err := mrep.WriteSummary(opts.io.Out); err != nil {
			return err
		}
	}
	if opts.Report != "" {
		if err := writeReportFile(opts.Report, mrep); err != nil {
			// Name what failed before too (a full disk fails them all).
			var ee *exitError
			if runErr != nil && ctx.Err() == nil && !(errors.As(runErr, &ee) && ee.err == nil) {
				return errors.Join(runErr, err)
			}
			return err
		}
	}
	switch {
	case ctx.Err() != nil:
		return withCode(exitInterrupted, nil)
	case runErr != nil:
		return runErr
	case mrep.Total.Rejected > 0:
		return withCode(exitRejects, nil)
	}
	return nil
}

func orDefault(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func writeStageLine(w io.Writer, rep *pipeline.Report) {
	c := rep.Counts
	// Two lines, so each fits an 80-column terminal.
	fmt.Fprintf(w, "  %d read: %d created, %d updated, %d unchanged, %d skipped, %d rejected\n",
		c.Read, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Rejected)
	fmt.Fprintf(w, "  %d requests in %s\n", rep.Requests.Total, rep.Duration.Round(time.Millisecond))
}

// checkMigrationPaths refuses, before the first stage, a reject file,
// journal or report that is one of the inputs or another of these outputs,
// and a report that could not be written (each stage checks its own again).
func checkMigrationPaths(opts *migrateOptions, stages []*migrationStage) error {
	var inputs []string
	var outputs []pipeline.OutputPath
	for _, st := range stages {
		inputs = append(inputs, st.file)
		outputs = append(outputs, pipeline.OutputPath{Name: "the reject file of " + string(st.entity), Path: migrationRejectPath(opts.RejectsDir, st)})
		if !opts.DryRun {
			outputs = append(outputs, pipeline.OutputPath{Name: "the journal of " + string(st.entity), Path: pipeline.DefaultJournalPath(st.file, st.entity)})
		}
	}
	report := pipeline.OutputPath{Name: "--report", Path: opts.Report}
	if err := pipeline.CheckOutputs(inputs, append(outputs, report)); err != nil {
		return err
	}
	return pipeline.CheckWritable(report)
}

// migrationRejectPath puts a stage's reject file in dir (beside the input
// when dir is empty), named after the input.
func migrationRejectPath(dir string, st *migrationStage) string {
	rf := pipeline.RejectFormatFor(st.format)
	if dir == "" {
		return pipeline.RejectPath(st.file, rf)
	}
	return pipeline.RejectPath(filepath.Join(dir, filepath.Base(st.file)), rf)
}

// stageRejects is the --rejects of a stage's import: empty (the import's
// default, beside the input, the same as migrationRejectPath) unless
// --rejects-dir moves the reject files.
func stageRejects(dir string, st *migrationStage) string {
	if dir == "" {
		return ""
	}
	return migrationRejectPath(dir, st)
}

// scanPartners reads the partners input whole, before the first write, so
// that customers (and partners referred by partners later in the file) can
// be joined to them.
func scanPartners(ctx context.Context, st *migrationStage, ids *identityReader, join *migrate.Join) error {
	mapper, err := mapping.NewMapper(record.Partners, st.spec)
	if err != nil {
		return withCode(exitUsage, err)
	}
	src, err := sources.Open(st.file, sources.Options{Format: st.format})
	if err != nil {
		return err
	}
	defer src.Close()
	dups := mapping.NewDuplicates(record.Partners)
	defer dups.Close()
	return join.ScanPartners(ctx, src, mapper, func(row record.Row) string { return ids.partnerSourceID(&row) }, dups.Check)
}

// scanTransactionCustomers reads the transactions input before the
// customers stage and notes which customers its transactions name.
func scanTransactionCustomers(ctx context.Context, st *migrationStage, join *migrate.Join) error {
	mapper, err := mapping.NewMapper(record.Transactions, st.spec)
	if err != nil {
		return withCode(exitUsage, err)
	}
	src, err := sources.Open(st.file, sources.Options{Format: st.format})
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if _, ok := errors.AsType[*record.RowError](err); ok {
			continue
		}
		if err != nil {
			return fmt.Errorf("read transactions: %w", err)
		}
		if r := mapper.Map(row); r.Err == nil && !r.Skipped {
			join.NoteTransactionCustomer(&r.Record)
		}
	}
}

// settleDeferredCustomers writes, one by one, the customers the customers
// stage left to their transactions that no transaction batch created or
// saw: every transaction of theirs was rejected, or a resumed run skipped
// them all. A clean first run has none. A customer that cannot be written
// moves from created to rejected in the customers stage's counts.
func settleDeferredCustomers(ctx context.Context, client *api.Client, opts *migrateOptions, join *migrate.Join, rep *pipeline.Report, mrep *migrate.MigrationReport) error {
	left := join.Unconfirmed()
	if len(left) == 0 {
		return nil
	}
	sink := upsert.New(upsert.NewClientTarget(client), upsert.Options{
		Entity: record.Customers, DryRun: opts.DryRun, MaxAttempts: opts.MaxAttempts,
	})
	if err := sink.Prepare(ctx, int64(len(left))); err != nil {
		return fmt.Errorf("learn what the program holds: %w", err)
	}
	for _, u := range left {
		c := u.Customer
		res, err := sink.Write(ctx, []record.Record{{Entity: record.Customers, Origin: u.Origin, Customer: &c}})
		if err != nil {
			return err
		}
		if len(res) == 1 && res[0].Outcome == record.Rejected && u.Deferred {
			rerr := res[0].Err
			rep.Counts.Created--
			rep.Counts.Rejected++
			if rep.Counts.ByCode == nil {
				rep.Counts.ByCode = map[string]int64{}
			}
			rep.Counts.ByCode[rerr.Code]++
			mrep.LateRejects = append(mrep.LateRejects, rerr.Error())
		}
	}
	return nil
}

// abandonDeferredCustomers: the migration stopped before every customer
// left to its transactions was created; the customers stage counted them
// as created, they are abandoned (the next run creates them).
func abandonDeferredCustomers(join *migrate.Join, rep *pipeline.Report) {
	for _, u := range join.Unconfirmed() {
		if u.Deferred {
			rep.Counts.Created--
			rep.Counts.Abandoned++
		}
	}
}

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

func newIdentityReader(st *migrationStage) (*identityReader, error) {
	ir := &identityReader{entity: st.entity, fields: map[string]*mapping.Mapper{}}
	var want []string
	var stand map[string]string
	switch st.entity {
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
		fieldStand := map[string]string{}
		for k, v := range stand {
			if k != field {
				fieldStand[k] = v
			}
		}
		spec, err := identitySpec(st.specYAML, st.entity, []string{field}, fieldStand)
		if err != nil {
			return nil, err
		}
		if spec == nil {
			continue
		}
		m, err := mapping.NewMapper(st.entity, spec)
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

// identitySpec builds a mapping of one entity holding only the rules of the
// wanted fields, copied from the stage's mapping file (the canonical column
// of the same name when there is none), and constant stand-ins for the
// fields a mapping requires. It returns nil when the mapping has none of
// the wanted fields.
// withoutAliases copies a YAML node with every alias replaced by a copy of
// the node it names, and no anchors: the copy stands alone in a new
// document.
func withoutAliases(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = withoutAliases(k)
	}
	return &c
}

func identitySpec(specYAML []byte, entity record.Entity, want []string, stand map[string]string) (*mapping.Spec, error) {
	fields := &yaml.Node{Kind: yaml.MappingNode}
	add := func(name string, v *yaml.Node) {
		fields.Content = append(fields.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, v)
	}
	found := 0
	if specYAML == nil {
		for _, w := range want {
			add(w, &yaml.Node{Kind: yaml.ScalarNode, Value: w})
			found++
		}
	} else {
		var doc yaml.Node
		if err := yaml.Unmarshal(specYAML, &doc); err != nil {
			return nil, fmt.Errorf("identity mapping: %w", err)
		}
		section := mapValue(docRoot(&doc), string(entity))
		all := mapValue(section, "fields")
		for _, w := range want {
			if v := mapValue(all, w); v != nil {
				// The new document holds no anchors: a rule that uses
				// one (*account) gets a copy of what it names.
				add(w, withoutAliases(v))
				found++
			}
		}
	}
	if found == 0 {
		return nil, nil
	}
	for name, value := range stand {
		add(name, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "value"}, {Kind: yaml.ScalarNode, Value: value, Style: yaml.DoubleQuotedStyle},
		}})
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "version"}, {Kind: yaml.ScalarNode, Value: "1"},
		{Kind: yaml.ScalarNode, Value: string(entity)}, {Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "fields"}, fields,
		}},
	}}
	out, err := yaml.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("identity mapping: %w", err)
	}
	spec, err := mapping.Parse("identity of "+string(entity), out)
	if err != nil {
		return nil, fmt.Errorf("identity mapping: %w", err)
	}
	return spec, nil
}

func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	return doc
}

// mapValue returns the value of key in a YAML mapping node, nil if absent.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
