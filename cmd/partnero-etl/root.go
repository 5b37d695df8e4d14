package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// globalOptions are the settings every command shares.
type globalOptions struct {
	APIKey     string
	APIKeyFile string
	BaseURL    string
	Rate       string
	MaxWait    time.Duration
	LogFormat  string
	Quiet      bool

	io *ioStreams
}

// logger returns the structured logger commands write diagnostics to (stderr).
func (g *globalOptions) logger() *slog.Logger {
	level := slog.LevelInfo
	if g.Quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.io.ErrOut, opts))
	}
	return slog.New(slog.NewTextHandler(g.io.ErrOut, opts))
}

// newRootCmd builds the command tree. Every command is added here, by
// name, as gh and restic do: no command registers itself in a global list.
func newRootCmd(io *ioStreams) *cobra.Command {
	g := &globalOptions{io: io}
	root := &cobra.Command{
		Use:   "partnero-etl",
		Short: "Move data in and out of a Partnero affiliate program",
		Long: `partnero-etl imports partners, customers and transactions into a Partnero
program from CSV, JSON lines or Parquet files, migrates whole programs from
other affiliate platforms, and exports snapshots of a program for a data
warehouse.

It paces itself to the API's rate limit, never writes a row twice, resumes after
a crash, and accounts for every row it reads.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch g.LogFormat {
			case "text", "json":
			default:
				return usageError("--log-format must be text or json, not %q", g.LogFormat)
			}
			return nil
		},
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	g.addFlags(root.PersistentFlags())
	root.AddCommand(
		newImportCmd(g),
		newMigrateCmd(g),
		newValidateCmd(g),
		newConvertCmd(g),
		newExportCmd(g),
		newPingCmd(g),
		newPresetsCmd(g),
		newSandboxCmd(g),
		newDemoCmd(g),
		newVersionCmd(g),
	)
	return root
}

// addFlags declares the flags every command shares.
func (g *globalOptions) addFlags(pf *pflag.FlagSet) {
	pf.StringVar(&g.APIKey, "api-key", "", "Partnero API key (prefer PARTNERO_API_KEY or --api-key-file: flags show up in process listings)")
	pf.StringVar(&g.APIKeyFile, "api-key-file", "", "read the API key from this file")
	pf.StringVar(&g.BaseURL, "base-url", envOr("PARTNERO_BASE_URL", partnero.DefaultBaseURL), "API base URL (env PARTNERO_BASE_URL)")
	pf.StringVar(&g.Rate, "rate", "auto", "request budget: auto (learn it from the API), none (no budget of the client's own), or a rate such as 10/s, 600/min or 3600/h")
	pf.DurationVar(&g.MaxWait, "max-wait", partnero.DefaultMaxWait, "how long to wait through throttling or an API outage before stopping (exit 1; run again to resume)")
	pf.StringVar(&g.LogFormat, "log-format", "text", "diagnostics format on stderr: text or json")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only warnings, errors and the final result")
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, io *ioStreams, args []string) int {
	root := newRootCmd(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		// cobra does not type this error; it is a usage error all the same.
		err = &exitError{code: exitUsage, err: err}
	}
	code := exitCodeOf(ctx, err)
	if err != nil {
		if !silent(err) {
			fmt.Fprintf(io.ErrOut, "partnero-etl: %v\n", err)
		}
		if code == exitUsage {
			fmt.Fprintln(io.ErrOut, "Run 'partnero-etl --help' for usage.")
		}
	}
	return code
}
