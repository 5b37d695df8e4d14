package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3" (make
// build sets it from git describe); it wins over what the build info says.
var version = ""

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// toolVersion is the version the version command prints and the User-Agent
// and the export manifest carry.
func toolVersion() string { return buildVersion(version, readBuildInfo).Version }

// buildStamp is what a binary knows about the source it was built from.
type buildStamp struct {
	Version  string // "v1.2.3", a pseudo-version, "dev-<revision>[+dirty]", or "dev"
	Revision string // the VCS commit, when the build recorded one
	Time     string // the commit's time (RFC 3339)
	Modified bool   // built from a work tree with uncommitted changes
	Go       string // the toolchain
}

// buildVersion reads the stamp: the -ldflags version first, then the
// module's version (go install module@v1.2.3, or the pseudo-version go
// build derives from VCS), then the VCS revision the build recorded (a
// "(devel)" build), else "dev".
func buildVersion(ldflags string, read func() (*debug.BuildInfo, bool)) buildStamp {
	s := buildStamp{Version: ldflags}
	bi, ok := read()
	if ok {
		s.Go = bi.GoVersion
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				s.Revision = kv.Value
			case "vcs.time":
				s.Time = kv.Value
			case "vcs.modified":
				s.Modified = kv.Value == "true"
			}
		}
	}
	switch {
	case s.Version != "":
	case ok && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		s.Version = bi.Main.Version
	case s.Revision != "":
		s.Version = "dev-" + s.Revision[:min(len(s.Revision), 12)]
		if s.Modified {
			s.Version += "+dirty"
		}
	default:
		s.Version = "dev"
	}
	return s
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
// in that order, without the blanks around it. Every problem with it is a
// usage error (exit 2) that names where the key came from; the key itself
// never appears in errors or logs.
func (g *globalOptions) apiKey() (string, error) {
	var key, source string
	switch {
	case g.APIKey != "":
		key, source = g.APIKey, "--api-key"
	case g.APIKeyFile != "":
		source = "--api-key-file " + g.APIKeyFile
		b, err := readKeyFile(g.APIKeyFile)
		if err != nil {
			return "", usageError("--api-key-file: %v", err)
		}
		key = string(b)
	case os.Getenv("PARTNERO_API_KEY") != "":
		key, source = os.Getenv("PARTNERO_API_KEY"), "PARTNERO_API_KEY"
	default:
		return "", usageError("no API key: pass --api-key, --api-key-file or set PARTNERO_API_KEY")
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", usageError("the API key from %s is empty", source)
	}
	if err := partnero.CheckAPIKey(key); err != nil {
		return "", usageError("the API key from %s: %v", source, err)
	}
	return key, nil
}

// maxKeyFile bounds what is read of a key file: a key is a line, and
// --api-key-file /dev/zero must not fill the memory.
const maxKeyFile = 64 << 10

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, pipeline.PathErrCause(err))
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%s is larger than %d KiB: not a key file", path, maxKeyFile>>10)
	}
	return b, nil
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
	pf.StringVar(&g.Rate, "rate", "auto", "request budget: auto (learn it from the API), none (no budget of the client's own), or a rate such as 10/s, 600/min or 3600/h")
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
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s := buildVersion(version, readBuildInfo)
			var b strings.Builder
			fmt.Fprintf(&b, "partnero-etl %s\n", s.Version)
			if s.Revision != "" {
				fmt.Fprintf(&b, "revision: %s", s.Revision)
				if s.Time != "" {
					fmt.Fprintf(&b, " (%s)", s.Time)
				}
				if s.Modified {
					b.WriteString(", with uncommitted changes")
				}
				b.WriteString("\n")
			}
			if s.Go != "" {
				fmt.Fprintf(&b, "go: %s\n", s.Go)
			}
			_, err := io.WriteString(g.io.Out, b.String())
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

// noArgs refuses positional arguments, as what they are (cobra's own
// NoArgs calls them unknown commands).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %s", commandName(cmd), quoteArgs(args))
	}
	return nil
}

// tooManyArgs is the usage error of a command given more arguments than
// it takes: it names the first extra ones. For a command that reads a file
// the usual cause is a path with spaces left unquoted, which it says.
func tooManyArgs(cmd *cobra.Command, takes string, extra []string) error {
	hint := ""
	if strings.Contains(strings.ToLower(takes), "file") {
		hint = " (quote a path that holds spaces)"
	}
	return usageError("%s takes %s: too many arguments: %s%s", commandName(cmd), takes, quoteArgs(extra), hint)
}

// commandName is the command's path without the program's name, which
// every error line already starts with ("presets show").
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// quoteArgs quotes up to three arguments for a message.
func quoteArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(args)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(a))
	}
	return b.String()
}
