package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources"
)

func init() { commandRegistry = append(commandRegistry, newValidateCmd) }

// validateOptions are the inputs of one validate run.
type validateOptions struct {
	IO *ioStreams

	Entity    string
	File      string
	Mapping   string
	Rejects   string
	Format    string
	Delimiter string
}

func newValidateCmd(g *globalOptions) *cobra.Command {
	opts := &validateOptions{IO: g.io}
	cmd := &cobra.Command{
		Use:   "validate <entity> <file>",
		Short: "Check an input file offline: read, map and validate every row",
		Long: `validate reads every row of a partners, customers or transactions file (CSV,
JSON lines or Parquet; "-" reads standard input), maps it with the mapping file
or the canonical column names, and checks it the way an import would, without
calling the API. It prints how many rows were read, valid, skipped and rejected
(by error code), names the columns no mapping rule reads, and writes every
rejected row to a reject file: the input's own columns plus _line, _key,
_error_code and _error_message. Fix the reject file and feed it back as input.

The reject file goes beside the input (sales.csv gives sales.rejects.csv; JSON
lines input gives a .jsonl reject file; Parquet input a .csv one) unless
--rejects says where. It is mode 0600 and only exists when rows were rejected.

Exit status: 0 every row is valid, 3 some rows were rejected, 1 the file could
not be read, 2 usage errors (including a bad mapping file, or a reject file
that could not be written, checked before the first row is read).`,
		Example: `  partnero-etl validate transactions sales.csv
  partnero-etl validate partners affiliates.csv --mapping rewardful.yaml
  zcat export.jsonl.gz | partnero-etl validate customers - --format jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 2 {
				return tooManyArgs(cmd, "an entity and one file", args[2:])
			}
			if len(args) != 2 {
				return usageError("validate needs <entity> and <file>, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Entity, opts.File = args[0], args[1]
			return runValidate(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Mapping, "mapping", "", "mapping file (YAML); without it the columns must use the canonical names")
	f.StringVar(&opts.Rejects, "rejects", "", "reject file path (default: beside the input, <name>.rejects.csv or .jsonl)")
	f.StringVar(&opts.Format, "format", "", "input format: csv, jsonl or parquet (default: from the file extension)")
	f.StringVar(&opts.Delimiter, "delimiter", "", `CSV delimiter: one character, or "tab" (default: detected among , ; tab |)`)
	return cmd
}

// parseDelimiter reads a --delimiter value: a single character, or a name.
func parseDelimiter(s string) (rune, error) { return sources.ParseDelimiter(s) }

func runValidate(ctx context.Context, opts *validateOptions) error {
	entity, err := record.ParseEntity(opts.Entity)
	if err != nil || entity == record.Rewards {
		return usageError("validate: unknown entity %q: want partners, customers or transactions", opts.Entity)
	}
	delim, err := parseDelimiter(opts.Delimiter)
	if err != nil {
		return usageError("%v", err)
	}
	srcOpts := sources.Options{Format: opts.Format, Delimiter: delim, Stdin: opts.IO.In}
	format, err := sources.FormatOf(opts.File, srcOpts)
	if err != nil {
		return usageError("%v", err)
	}
	if delim != 0 && format != sources.FormatCSV {
		return usageError("--delimiter applies to CSV input only, and this input is %s", format)
	}

	var spec *mapping.Spec
	if opts.Mapping != "" {
		if spec, err = mapping.Load(opts.Mapping); err != nil {
			return usageError("%v", err)
		}
	}
	mapper, err := mapping.NewMapper(entity, spec)
	if err != nil {
		return usageError("%v", err)
	}

	rejectFormat := pipeline.RejectFormatFor(format)
	rejectPath := opts.Rejects
	if rejectPath == "" {
		rejectPath = pipeline.RejectPath(opts.File, rejectFormat)
	}
	rejectOut := pipeline.OutputPath{Name: "--rejects", Path: rejectPath}
	if opts.Rejects == "" {
		rejectOut.Name = "the reject file"
	}
	if err := pipeline.CheckOutputs([]string{opts.File}, []pipeline.OutputPath{rejectOut}); err != nil {
		return err
	}
	// Checked even at its default path, though it is written only when a
	// row is rejected: a reject file that cannot be written would stop the
	// run at its first reject, rows or hours in.
	if err := pipeline.CheckWritable(rejectOut); err != nil {
		return pipeline.Elsewhere(err, opts.Rejects, "--rejects")
	}

	src, err := sources.Open(opts.File, srcOpts)
	if err != nil {
		return withCode(exitFailure, err)
	}
	defer src.Close()

	var columns []string
	if c, ok := src.(sources.Columner); ok {
		columns = c.Columns()
	}
	rejOpts := pipeline.RejectOptions{Path: rejectPath, Format: rejectFormat, Columns: columns}
	if d, ok := src.(sources.Delimited); ok {
		rejOpts.Delimiter = d.Delimiter()
	}
	rejects, err := pipeline.NewRejectWriter(rejOpts)
	if err != nil {
		return withCode(exitFailure, err)
	}

	out := opts.IO.Out
	if columns != nil {
		printUnknown(out, mapper.UnknownColumns(columns))
		if hint := delimiterHint(src, columns); hint != "" {
			fmt.Fprintln(out, hint)
		}
	}

	dups := mapping.NewDuplicates(entity)
	defer dups.Close()
	start := time.Now()
	counts, runErr := pipeline.Validate(ctx, pipeline.ValidateConfig{
		Source:      src,
		Mapper:      mapper,
		DedupeBatch: dups.CheckBatch,
		Rejects:     rejects,
	})
	elapsed := time.Since(start)
	if err := dups.Err(); err != nil && runErr == nil {
		runErr = err
	}
	closeErr := rejects.Close()
	if columns == nil {
		printUnknown(out, mapper.UnknownColumns(counts.Columns))
	}
	printValidateCounts(out, counts, elapsed)

	switch {
	case runErr != nil && (ctx.Err() != nil || errors.Is(runErr, context.Canceled)):
		return runErr
	case runErr != nil:
		if rejects.Count() > 0 && closeErr == nil {
			fmt.Fprintf(out, "rejected rows so far written to %s\n", rejects.Path())
		}
		return withCode(exitFailure, fmt.Errorf("validate stopped after %d rows: %w", counts.Read, runErr))
	case closeErr != nil:
		return withCode(exitFailure, closeErr)
	}
	if counts.Rejected > 0 {
		fmt.Fprintf(out, "rejected rows written to %s\n", rejects.Path())
		return withCode(exitRejects, nil)
	}
	if counts.Read == 0 {
		fmt.Fprintln(out, "the input has no rows")
	}
	return nil
}

func printUnknown(w io.Writer, unknown []string) {
	if len(unknown) == 0 {
		return
	}
	fmt.Fprintf(w, "unknown columns (no mapping rule reads them): %s\n", strings.Join(unknown, ", "))
}

func printValidateCounts(w io.Writer, c pipeline.ValidateCounts, elapsed time.Duration) {
	rate := ""
	if s := elapsed.Seconds(); s > 0 && c.Read > 0 {
		rate = fmt.Sprintf(" in %s (%.0f rows/s)", elapsed.Round(time.Millisecond), float64(c.Read)/s)
	}
	fmt.Fprintf(w, "read      %10d%s\n", c.Read, rate)
	fmt.Fprintf(w, "valid     %10d\n", c.Valid)
	fmt.Fprintf(w, "skipped   %10d\n", c.Skipped)
	for _, reason := range slices.Sorted(maps.Keys(c.SkipReasons)) {
		fmt.Fprintf(w, "  %-22s %10d\n", reason, c.SkipReasons[reason])
	}
	fmt.Fprintf(w, "rejected  %10d\n", c.Rejected)
	for _, code := range c.Codes() {
		fmt.Fprintf(w, "  %-22s %10d\n", code, c.ByCode[code])
	}
}

// delimiterHint spots the usual sign of a wrong delimiter: a CSV header
// read as one column whose name holds another candidate delimiter.
func delimiterHint(src sources.Source, columns []string) string {
	d, ok := src.(sources.Delimited)
	if !ok || len(columns) != 1 {
		return ""
	}
	for _, c := range []string{",", ";", "\t", "|"} {
		if r := []rune(c)[0]; r != d.Delimiter() && strings.Contains(columns[0], c) {
			name, flag := c, "'"+c+"'"
			if c == "\t" {
				name, flag = "tab", "tab"
			}
			return fmt.Sprintf("hint: the header is one column containing %q: is the delimiter %s? (try --delimiter %s)",
				columns[0], name, flag)
		}
	}
	return ""
}
