package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; a build
// from a module version reports that.
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

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

const defaultBaseURL = "https://api.partnero.com/v1/"

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

// apiKey resolves the key from --api-key, --api-key-file or PARTNERO_API_KEY,
// in that order. The key never appears in errors or logs.
func (g *globalOptions) apiKey() (string, error) {
	if g.APIKey != "" {
		return g.APIKey, nil
	}
	if g.APIKeyFile != "" {
		b, err := os.ReadFile(g.APIKeyFile)
		if err != nil {
			return "", fmt.Errorf("read API key file: %w", err)
		}
		key := strings.TrimSpace(string(b))
		if key == "" {
			return "", fmt.Errorf("API key file %s is empty", g.APIKeyFile)
		}
		return key, nil
	}
	if key := os.Getenv("PARTNERO_API_KEY"); key != "" {
		return key, nil
	}
	return "", usageError("no API key: pass --api-key, --api-key-file or set PARTNERO_API_KEY")
}

func newRootCmd(io *ioStreams) *cobra.Command {
	g := &globalOptions{io: io}
	root := &cobra.Command{
		Use:   "partnero-etl",
		Short: "Move data in and out of a Partnero affiliate program",
		Long: `partnero-etl imports partners, customers and transactions into a Partnero
program from CSV, JSON lines or Parquet files, migrates whole programs from other
affiliate platforms, and exports snapshots of a program for a data warehouse.

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

	pf := root.PersistentFlags()
	pf.StringVar(&g.APIKey, "api-key", "", "Partnero API key (prefer PARTNERO_API_KEY or --api-key-file: flags show up in process listings)")
	pf.StringVar(&g.APIKeyFile, "api-key-file", "", "read the API key from this file")
	pf.StringVar(&g.BaseURL, "base-url", envOr("PARTNERO_BASE_URL", defaultBaseURL), "API base URL (env PARTNERO_BASE_URL)")
	pf.StringVar(&g.Rate, "rate", "auto", "request budget: auto (learn it from the API), or a rate such as 10/s or 600/min")
	pf.DurationVar(&g.MaxWait, "max-wait", partnero.DefaultMaxWait, "how long to wait through throttling or an API outage before stopping (exit 1; run again to resume)")
	pf.StringVar(&g.LogFormat, "log-format", "text", "diagnostics format on stderr: text or json")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only warnings, errors and the final result")

	root.AddCommand(newVersionCmd(g))
	for _, add := range commandRegistry {
		root.AddCommand(add(g))
	}
	return root
}

// commandRegistry lists constructors of the subcommands; each command file
// registers itself in an init function so adding a command touches one file.
var commandRegistry []func(*globalOptions) *cobra.Command

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of partnero-etl",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(g.io.Out, "partnero-etl %s\n", toolVersion())
			return err
		},
	}
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
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintf(io.ErrOut, "partnero-etl: %v\n", err)
		}
		if code == exitUsage {
			fmt.Fprintln(io.ErrOut, "Run 'partnero-etl --help' for usage.")
		}
	}
	return code
}
