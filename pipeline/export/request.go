package export

import (
	"fmt"
	"slices"
	"strings"

	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// Request is an export as the command line asks for it, before it is
// checked: the tables named (none means all) and the flags. An empty
// Format, Partition or Compression is the previous snapshot's with
// SinceLast, else the default.
type Request struct {
	Tables            []string
	Out               string // a folder, a bucket URL, or "-" for standard output
	Format            string
	Partition         string
	Compression       string
	SinceLast         bool
	WithReferralLinks bool
	CSVSafe           bool
	MaxRowsPerFile    int64
	// CreatedBy names the tool in the files' metadata.
	CreatedBy string
}

// Stdout says the request streams one table to standard output.
func (r Request) Stdout() bool { return r.Out == "-" }

// Options checks the request and returns the options of its run (without
// the parts that come from the API: Program, APIStats, Progress, Stdout's
// writer). A problem is a usage error (pipeline.ErrUsage), found before any request.
func (r Request) Options() (Options, error) {
	stdout := r.Stdout()
	entities, err := parseTables(r.Tables, stdout)
	if err != nil {
		return Options{}, pipeline.Usage(err)
	}
	if r.Format != "" && !slices.Contains(sinks.Formats, r.Format) {
		return Options{}, pipeline.Usagef("--format must be parquet, csv or jsonl, not %q", r.Format)
	}
	if r.Partition != "" && !slices.Contains(Partitions, r.Partition) {
		return Options{}, pipeline.Usagef("--partition must be none or daily, not %q", r.Partition)
	}
	compression := ""
	if r.Compression != "" {
		if compression, err = sinks.ParseCompression(r.Compression); err != nil {
			return Options{}, pipeline.Usagef("--compression: %v", err)
		}
		if r.Format != "" && r.Format != "parquet" {
			// Only the Parquet writer compresses: a codec asked for with
			// CSV or JSON lines would be silently left out.
			return Options{}, pipeline.Usagef("--compression applies to Parquet only: %s files are written uncompressed (compress them afterwards, or use --format parquet)", r.Format)
		}
	}
	if r.MaxRowsPerFile <= 0 {
		return Options{}, pipeline.Usagef("--max-rows-per-file must be positive")
	}
	if stdout {
		switch {
		case r.Format == "parquet":
			return Options{}, pipeline.Usagef("--out - streams csv or jsonl: Parquet needs a file (use --out DIR)")
		case len(entities) != 1:
			return Options{}, pipeline.Usagef("--out - streams one table: name one of partners, customers, transactions or rewards")
		case r.Partition == "daily" || r.SinceLast:
			return Options{}, pipeline.Usagef("--partition and --since-last need an output folder")
		}
	}
	if r.SinceLast && !slices.Contains(entities, record.Transactions) {
		return Options{}, pipeline.Usagef("--since-last applies to transactions: add transactions")
	}
	if r.WithReferralLinks && !slices.Contains(entities, record.Partners) {
		return Options{}, pipeline.Usagef("--with-referral-links applies to partners: add partners")
	}
	o := Options{
		Entities:       entities,
		Format:         r.Format,
		Dir:            r.Out,
		Partition:      r.Partition,
		Sink:           sinks.Options{Compression: compression, CSVSafe: r.CSVSafe, CreatedBy: r.CreatedBy},
		MaxRowsPerFile: r.MaxRowsPerFile,
		SinceLast:      r.SinceLast,
		Optional:       optionalTables(r.Tables),
		ReferralLinks:  r.WithReferralLinks && !stdout,
	}
	if stdout {
		o.Dir = ""
	}
	return o, nil
}

// parseTables turns the arguments into the tables to export.
func parseTables(args []string, stdout bool) ([]record.Entity, error) {
	if len(args) == 0 {
		args = []string{"all"}
	}
	var out []record.Entity
	add := func(e record.Entity) {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	for _, a := range args {
		if strings.EqualFold(a, "all") {
			add(record.Partners)
			add(record.Customers)
			add(record.Transactions)
			for _, e := range record.ListEntities {
				add(e)
			}
			continue
		}
		e, err := record.ParseEntity(a)
		if err != nil {
			le, ok := record.ParseListEntity(a)
			if !ok {
				return nil, fmt.Errorf("unknown entity %q: want partners, customers, transactions, rewards, %s or all", a, listEntityNames())
			}
			if le == record.ReferralLinks {
				return nil, fmt.Errorf("referral links are written with partners: export partners --with-referral-links")
			}
			e = le
		}
		if e == record.Rewards && !stdout {
			return nil, fmt.Errorf("rewards are written with transactions: export transactions")
		}
		add(e)
	}
	// Dependency order, whatever order the arguments came in.
	all := sinks.AllTables()
	slices.SortFunc(out, func(a, b record.Entity) int { return slices.Index(all, a) - slices.Index(all, b) })
	return out, nil
}

// listEntityNames names the export-only tables for argument errors.
func listEntityNames() string {
	names := make([]string, len(record.ListEntities))
	for i, e := range record.ListEntities {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// optionalTables are the other list endpoints when "all" (or no argument)
// chose them: a program without one of them still gets its snapshot. Named
// explicitly, a missing endpoint is an error.
func optionalTables(args []string) []record.Entity {
	if len(args) > 0 && !slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, "all") }) {
		return nil
	}
	var out []record.Entity
	for _, e := range record.ListEntities {
		named := slices.ContainsFunc(args, func(a string) bool { le, ok := record.ParseListEntity(a); return ok && le == e })
		if !named {
			out = append(out, e)
		}
	}
	return out
}
