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

	"github.com/partnero-etl/partnero-etl/pipeline"
)

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

func runValidate(ctx context.Context, opts *validateOptions) error {
	v, err := openValidation(pipeline.ValidateJob{Entity: opts.Entity, Input: opts.File, Mapping: opts.Mapping,
		Rejects: opts.Rejects, Format: opts.Format, Delimiter: opts.Delimiter, Stdin: opts.IO.In})
	if err != nil {
		return err
	}
	printColumns(opts.IO.Out, v)
	res, runErr := v.Run(ctx)
	return reportValidation(ctx, opts.IO.Out, "validate", v, res, runErr, nil)
}

// openValidation opens a validate (or convert) job: a usage error as such,
// any other error as a failure to read the input.
func openValidation(job pipeline.ValidateJob) (*pipeline.Validation, error) {
	v, err := pipeline.OpenValidation(job)
	if err != nil && !errors.Is(err, pipeline.ErrUsage) {
		return nil, withCode(exitFailure, err)
	}
	return v, err
}

// printColumns names, before the first row is read, the declared columns
// no mapping rule reads and the sign of a wrong delimiter.
func printColumns(out io.Writer, v *pipeline.Validation) {
	if v.Columns == nil {
		return
	}
	printUnknown(out, v.UnknownColumns(v.Columns))
	if hint := v.DelimiterHint(); hint != "" {
		fmt.Fprintln(out, hint)
	}
}

// reportValidation prints what a validation (or conversion, named by the
// command) found and returns its exit: done, when set, says what a
// finished run produced.
func reportValidation(ctx context.Context, out io.Writer, command string, v *pipeline.Validation, res pipeline.ValidateResult, runErr error, done func()) error {
	if v.Columns == nil {
		printUnknown(out, v.UnknownColumns(res.Columns))
	}
	printValidateCounts(out, res.ValidateCounts, res.Elapsed)

	switch {
	case runErr != nil && (ctx.Err() != nil || errors.Is(runErr, context.Canceled)):
		return runErr
	case runErr != nil:
		if res.RejectsWritten > 0 && res.CloseErr == nil {
			fmt.Fprintf(out, "rejected rows so far written to %s\n", res.RejectsPath)
		}
		return withCode(exitFailure, fmt.Errorf("%s stopped after %d rows: %w", command, res.Read, runErr))
	case res.CloseErr != nil:
		return withCode(exitFailure, res.CloseErr)
	}
	if done != nil {
		done()
	}
	if res.Rejected > 0 {
		fmt.Fprintf(out, "rejected rows written to %s\n", res.RejectsPath)
		return withCode(exitRejects, nil)
	}
	if res.Read == 0 {
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
