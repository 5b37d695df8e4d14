package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources"
)

func init() { commandRegistry = append(commandRegistry, newDemoCmd) }

// demoOptions are the flags of `partnero-etl demo`.
type demoOptions struct {
	From      string
	Samples   string
	Out       string
	RateLimit float64
	Latency   time.Duration

	g *globalOptions
}

// demoKey is the key of the demo's own sandbox program: it is printed,
// and the sandbox only listens on loopback for the length of the demo.
const demoKey = "demo-key"

// demoFiles names each platform's sample files (samples/README.md): the
// partners, customers and transactions exports; "" where the platform has
// none.
var demoFiles = map[string][3]string{
	"rewardful":        {"affiliates.jsonl", "referrals.jsonl", "commissions.jsonl"},
	"firstpromoter":    {"promoters.jsonl", "referrals.jsonl", "commissions.jsonl"},
	"tapfiliate":       {"affiliates.jsonl", "customers.jsonl", "conversions.jsonl"},
	"partnerstack":     {"partnerships.csv", "customers.jsonl", "transactions.csv"},
	"tolt":             {"partners.jsonl", "customers.csv", "transactions.jsonl"},
	"postaffiliatepro": {"affiliates.csv", "", "commissions.csv"},
}

func newDemoCmd(g *globalOptions) *cobra.Command {
	opts := &demoOptions{g: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Migrate a sample platform into a local sandbox and export the result (no key, no network)",
		Long: `See the whole tool work in about a minute, with nothing to set up: the demo
starts a Partnero-compatible sandbox on 127.0.0.1 (a random port, its own
demo key, a rate limit of --rate-limit requests a second and a little
latency, so the pacing shows), migrates a sample platform's exports into it
(see samples/README.md), exports the program to --out as Parquet and as
CSV, and says what it did: rows created, skipped and rejected (and why),
the requests it took, and where the files are.

Run it from the repository root, or point --samples at a platform's sample
folder. The sample files are copied to --out/input first, so that the
journals and the samples stay apart; reject files go to --out/rejects.`,
		Example: `  partnero-etl demo
  partnero-etl demo --from tolt --rate-limit 20`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "rewardful", "the sample platform to migrate: "+strings.Join(slices.Sorted(maps.Keys(demoFiles)), ", "))
	f.StringVar(&opts.Samples, "samples", "", "the platform's sample folder (default: samples/PLATFORM)")
	f.StringVar(&opts.Out, "out", "demo-out", "folder for the exports, the report, the reject files and a copy of the inputs")
	f.Float64Var(&opts.RateLimit, "rate-limit", 50, "the sandbox's rate limit in requests per second (0: none)")
	f.DurationVar(&opts.Latency, "latency", 20*time.Millisecond, "latency the sandbox adds to every request")
	return cmd
}

func runDemo(ctx context.Context, opts *demoOptions) error {
	files, ok := demoFiles[opts.From]
	if !ok {
		return usageError("--from: no samples for %q: want one of %s", opts.From, strings.Join(slices.Sorted(maps.Keys(demoFiles)), ", "))
	}
	if opts.RateLimit < 0 {
		return usageError("--rate-limit must not be negative")
	}
	samples := opts.Samples
	if samples == "" {
		samples = filepath.Join("samples", opts.From)
	}
	out := opts.g.io.Out
	started := time.Now()

	// Copy the samples: journals and reject files are written beside the
	// inputs, and the samples are not ours to litter.
	inputDir := filepath.Join(opts.Out, "input")
	if err := os.MkdirAll(inputDir, 0o755); err != nil {
		return fmt.Errorf("demo output: %w", err)
	}
	var inputs [3]string
	for i, name := range files {
		if name == "" {
			continue
		}
		src := filepath.Join(samples, name)
		if _, err := os.Stat(src); err != nil {
			return usageError("sample %s not found: run the demo from the repository root, or pass --samples DIR", src)
		}
		inputs[i] = filepath.Join(inputDir, name)
		if err := copyFile(src, inputs[i]); err != nil {
			return err
		}
	}

	sb, err := sandbox.New(sandbox.Config{
		Keys: []string{demoKey}, RateLimit: opts.RateLimit, RateWindow: time.Second,
		Latency: opts.Latency, Jitter: opts.Latency / 2, Seed: 1,
	})
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	defer sb.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/v1/"
	limit := "no rate limit"
	if opts.RateLimit > 0 {
		limit = fmt.Sprintf("%g requests/s", opts.RateLimit)
	}
	fmt.Fprintf(out, "Sandbox: %s (key %s, %s, %s latency)\n", base, demoKey, limit, opts.Latency)
	fmt.Fprintf(out, "Migrating the %s sample (%s) into it...\n\n", opts.From, samples)

	// The demo's commands talk to the demo's sandbox, whatever the
	// environment says.
	g := *opts.g
	g.APIKey, g.APIKeyFile, g.BaseURL = demoKey, "", base
	rejectsDir := filepath.Join(opts.Out, "rejects")
	reportPath := filepath.Join(opts.Out, "migration.json")
	mopts := &migrateOptions{
		Options:  migrate.Options{From: opts.From, RejectsDir: rejectsDir, Report: reportPath, Restart: true},
		Partners: inputs[0], Customers: inputs[1], Transactions: inputs[2],
		g: &g, io: g.io,
	}
	if err := runMigrate(ctx, mopts); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitRejects || ee.err != nil {
			return err
		}
	}
	migrated := sb.Stats()

	fmt.Fprintf(out, "\nExporting the program...\n")
	var exportsDone []string
	for _, format := range []string{"parquet", "csv"} {
		dir := filepath.Join(opts.Out, format)
		eopts := &exportOptions{
			g: &g, Format: format, Out: dir, Partition: "none", // Parquet gets the default codec, zstd
			MaxRowsPerFile: defaultDemoMaxRows,
		}
		if err := runExport(ctx, eopts); err != nil {
			return fmt.Errorf("export %s: %w", format, err)
		}
		exportsDone = append(exportsDone, dir)
	}
	final := sb.Stats()

	fmt.Fprintf(out, "\nWhat the demo did, in %s:\n", time.Since(started).Round(100*time.Millisecond))
	if err := writeDemoRejects(out, mopts); err != nil {
		return err
	}
	fmt.Fprintf(out, "  requests the sandbox answered: %d for the migration, %d for the exports\n",
		migrated.Total, final.Total-migrated.Total)
	fmt.Fprintf(out, "  answered 429 (rate limited): %d\n", final.RateLimited)
	for _, p := range final.Programs {
		fmt.Fprintf(out, "  the program now holds: %s\n", programCounts(p))
	}
	fmt.Fprintf(out, "  files:\n")
	for _, d := range exportsDone {
		fmt.Fprintf(out, "    %s/  (a file per table, and manifest.json)\n", d)
	}
	fmt.Fprintf(out, "    %s  (the migration report)\n", reportPath)
	fmt.Fprintf(out, "    %s/\n      (rejected rows with _line, _error_code, _error_message: fix and re-feed)\n", rejectsDir)
	return nil
}

// defaultDemoMaxRows keeps each exported table in one file.
const defaultDemoMaxRows = 1_000_000

func programCounts(p sandbox.ProgramStats) string {
	return fmt.Sprintf("%d partners, %d customers, %d transactions", p.Partners, p.Customers, p.Transactions)
}

// writeDemoRejects says, per input, how many rows were rejected for what,
// with the first such row's line and message.
func writeDemoRejects(w io.Writer, mopts *migrateOptions) error {
	fmt.Fprintf(w, "  rejected rows and why (one example each):\n")
	for _, file := range []string{mopts.Partners, mopts.Customers, mopts.Transactions} {
		if file == "" {
			continue
		}
		format, err := sources.FormatOf(file, sources.Options{})
		if err != nil {
			return err
		}
		path := migrate.RejectPath(mopts.RejectsDir, &migrate.Stage{File: file, Format: format})
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue
		}
		src, err := sources.Open(path, sources.Options{})
		if err != nil {
			return err
		}
		counts := map[string]int{}
		example := map[string]string{}
		for {
			row, err := src.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				var rerr *record.RowError
				if errors.As(err, &rerr) {
					continue
				}
				src.Close()
				return fmt.Errorf("read %s: %w", path, err)
			}
			code, msg, line := cell(row, "_error_code"), cell(row, "_error_message"), cell(row, "_line")
			counts[code]++
			if _, ok := example[code]; !ok {
				example[code] = fmt.Sprintf("line %s: %s", line, msg)
			}
		}
		src.Close()
		fmt.Fprintf(w, "    %s:\n", filepath.Base(file))
		for _, code := range slices.Sorted(maps.Keys(counts)) {
			fmt.Fprintf(w, "      %3d %s, e.g.\n", counts[code], code)
			for _, l := range wrapText(example[code], demoWidth-11, 3) {
				fmt.Fprintf(w, "          %s\n", l)
			}
		}
	}
	return nil
}

// demoWidth is the terminal width the summary is laid out for (lines
// stay one column short of it).
const demoWidth = 80

// wrapText breaks text into lines of at most width characters at spaces
// (a word longer than a line is cut), at most max lines, the last ending in
// "..." when text is longer.
func wrapText(text string, width, max int) []string {
	var lines []string
	line := []rune{}
	for _, word := range strings.Fields(text) {
		w := []rune(word)
		for len(w) > width {
			if len(line) > 0 {
				lines, line = append(lines, string(line)), nil
			}
			lines, w = append(lines, string(w[:width])), w[width:]
		}
		switch {
		case len(line) == 0:
			line = w
		case len(line)+1+len(w) <= width:
			line = append(append(line, ' '), w...)
		default:
			lines, line = append(lines, string(line)), w
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	if len(lines) > max {
		last := []rune(lines[max-1])
		if len(last) > width-3 {
			last = last[:width-3]
		}
		lines = append(lines[:max-1], string(last)+"...")
	}
	return lines
}

func cell(row record.Row, name string) string {
	v, ok := row.Lookup(name)
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}
