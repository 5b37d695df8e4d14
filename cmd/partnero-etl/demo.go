package main

import (
	"context"
	"fmt"
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
)

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
		Short: "Migrate a sample into a local sandbox and export it (no API key)",
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
	started := time.Now()
	samples, inputs, err := demoInputs(opts)
	if err != nil {
		return err
	}
	sb, base, stop, err := startDemoSandbox(opts)
	if err != nil {
		return err
	}
	defer stop()
	out := opts.g.io.Out
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
	mopts, err := demoMigrate(ctx, &g, opts, inputs)
	if err != nil {
		return err
	}
	migrated := sb.Stats()
	fmt.Fprintf(out, "\nExporting the program...\n")
	dirs, err := demoExports(ctx, &g, opts.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWhat the demo did, in %s:\n", time.Since(started).Round(100*time.Millisecond))
	return writeDemoSummary(ctx, out, mopts, migrated, sb.Stats(), dirs)
}

// demoInputs checks the flags and copies the platform's sample files to
// --out/input: journals and reject files are written beside the inputs,
// and the samples are not ours to litter. It returns the sample folder and
// the copies' paths (partners, customers, transactions; "" for none).
func demoInputs(opts *demoOptions) (samples string, inputs [3]string, err error) {
	files, ok := demoFiles[opts.From]
	if !ok {
		return "", inputs, usageError("--from: no samples for %q: want one of %s", opts.From, strings.Join(slices.Sorted(maps.Keys(demoFiles)), ", "))
	}
	if opts.RateLimit < 0 {
		return "", inputs, usageError("--rate-limit must not be negative")
	}
	samples = opts.Samples
	if samples == "" {
		samples = filepath.Join("samples", opts.From)
	}
	inputDir := filepath.Join(opts.Out, "input")
	if err := os.MkdirAll(inputDir, 0o755); err != nil {
		return "", inputs, fmt.Errorf("demo output: %w", err)
	}
	for i, name := range files {
		if name == "" {
			continue
		}
		src := filepath.Join(samples, name)
		if _, err := os.Stat(src); err != nil {
			return "", inputs, usageError("sample %s not found: run the demo from the repository root, or pass --samples DIR", src)
		}
		inputs[i] = filepath.Join(inputDir, name)
		if err := copyFile(src, inputs[i]); err != nil {
			return "", inputs, err
		}
	}
	return samples, inputs, nil
}

// startDemoSandbox starts the demo's own sandbox on a random loopback
// port and returns it, its base URL and what stops it.
func startDemoSandbox(opts *demoOptions) (*sandbox.Server, string, func(), error) {
	sb, err := sandbox.New(sandbox.Config{
		Keys: []string{demoKey}, RateLimit: opts.RateLimit, RateWindow: time.Second,
		Latency: opts.Latency, Jitter: opts.Latency / 2, Seed: 1,
	})
	if err != nil {
		return nil, "", nil, fmt.Errorf("start the sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		sb.Close()
		return nil, "", nil, fmt.Errorf("start the sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		srv.Close()
		sb.Close()
	}
	return sb, "http://" + ln.Addr().String() + "/v1/", stop, nil
}

// demoMigrate migrates the copied samples into the sandbox, with reject
// files in --out/rejects and the report in --out/migration.json. Rows
// rejected are part of the demo, not its failure.
func demoMigrate(ctx context.Context, g *globalOptions, opts *demoOptions, inputs [3]string) (*migrateOptions, error) {
	mopts := &migrateOptions{
		Options:  migrate.Options{From: opts.From, RejectsDir: filepath.Join(opts.Out, "rejects"), Report: filepath.Join(opts.Out, "migration.json"), Restart: true},
		Partners: inputs[0], Customers: inputs[1], Transactions: inputs[2],
		g: g, io: g.io,
	}
	if err := runMigrate(ctx, mopts); err != nil && !rejectsReported(err) {
		return nil, err
	}
	return mopts, nil
}

// demoExports exports the program to --out/parquet and --out/csv and
// returns the two folders.
func demoExports(ctx context.Context, g *globalOptions, out string) ([]string, error) {
	var dirs []string
	for _, format := range []string{"parquet", "csv"} {
		dir := filepath.Join(out, format)
		eopts := &exportOptions{
			g: g, Format: format, Out: dir, Partition: "none", // Parquet gets the default codec, zstd
			MaxRowsPerFile: defaultDemoMaxRows,
		}
		if err := runExport(ctx, eopts); err != nil {
			return nil, fmt.Errorf("export %s: %w", format, err)
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// defaultDemoMaxRows keeps each exported table in one file.
const defaultDemoMaxRows = 1_000_000
