package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/export"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// convertOptions are the inputs of one convert run.
type convertOptions struct {
	IO *ioStreams

	Entity, Input, Output             string
	Mapping, Rejects, Format, Delimit string
	To                                string
	CSVSafe                           bool
}

func newConvertCmd(g *globalOptions) *cobra.Command {
	opts := &convertOptions{IO: g.io}
	cmd := &cobra.Command{
		Use:   "convert <entity> <input> <output>",
		Short: "Convert a file to CSV, JSON lines or Parquet, mapped and validated",
		Long: `convert reads a partners, customers or transactions file the way validate
does (mapping, validation, duplicates; nothing is sent to the API) and writes
the valid rows to <output> in the export's columns: CSV, JSON lines or Parquet,
from --to or the output's extension. Rejected rows go to a reject file as with
validate. The output appears only once every row was read.

Exit status: 0 every row converted, 3 some rows were rejected, 1 the input
could not be read or the output written, 2 usage errors.`,
		Example: `  partnero-etl convert transactions sales.csv sales.parquet
  partnero-etl convert partners affiliates.csv partners.jsonl --mapping rewardful.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 3 {
				return usageError("convert needs <entity>, <input> and <output>, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Entity, opts.Input, opts.Output = args[0], args[1], args[2]
			return runConvert(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Mapping, "mapping", "", "mapping file (YAML); without it the columns must use the canonical names")
	f.StringVar(&opts.Rejects, "rejects", "", "reject file path (default: beside the input, <name>.rejects.csv or .jsonl)")
	f.StringVar(&opts.Format, "format", "", "input format: csv, jsonl or parquet (default: from the file extension)")
	f.StringVar(&opts.Delimit, "delimiter", "", `CSV delimiter of the input: one character, or "tab" (default: detected among , ; tab |)`)
	f.StringVar(&opts.To, "to", "", "output format: csv, jsonl or parquet (default: from the output's extension)")
	f.BoolVar(&opts.CSVSafe, "csv-safe", false, "prefix CSV text cells starting with = + - @ with ' so spreadsheets do not run them as formulas")
	return cmd
}

// runConvert is a validation whose valid records go into a file sink: the
// engine, the mapping and the writers as they are.
func runConvert(ctx context.Context, opts *convertOptions) error {
	to := opts.To
	if to == "" {
		to = strings.TrimPrefix(strings.ToLower(filepath.Ext(opts.Output)), ".")
	}
	if !slices.Contains(sinks.Formats, to) {
		return usageError("convert: output format %q: want csv, jsonl or parquet (--to, or the output's extension)", to)
	}
	if opts.Output == "-" {
		return usageError("convert writes a file: name one (export --out - streams a table)")
	}
	v, err := openValidation(pipeline.ValidateJob{Entity: opts.Entity, Input: opts.Input, Mapping: opts.Mapping,
		Rejects: opts.Rejects, Format: opts.Format, Delimiter: opts.Delimit, Stdin: opts.IO.In,
		Outputs: []pipeline.OutputPath{{Name: "the output", Path: opts.Output}}})
	if err != nil {
		return err
	}
	sink, err := export.NewFileSink(opts.Output, to, v.Entity(), sinks.Options{CSVSafe: opts.CSVSafe, CreatedBy: "partnero-etl " + toolVersion()})
	if err != nil {
		v.Close()
		return withCode(exitFailure, err)
	}
	out := opts.IO.Out
	printColumns(out, v)
	res, runErr := v.RunInto(ctx, sink, sink)
	return reportValidation(ctx, out, "convert", v, res, runErr, func() {
		fmt.Fprintf(out, "%d rows written to %s (%s)\n", res.Valid, opts.Output, to)
	})
}
