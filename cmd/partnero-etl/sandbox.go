package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// sandboxOptions are the flags of `partnero-etl sandbox`.
type sandboxOptions struct {
	Addr                  string
	AllowRemote           bool
	Keys                  []string
	RateLimit             string
	Latency, Jitter       time.Duration
	FaultRate             float64
	Burst429Rate          float64
	DropAfterCommitRate   float64
	StrictTransactionKeys bool
	Commission            float64
	DataFile              string
	Seed                  int64

	io *ioStreams
	// ready, when set, is called with the base URL once the server listens
	// (tests use it instead of reading the banner).
	ready func(baseURL string)
}

func newSandboxCmd(g *globalOptions) *cobra.Command {
	opts := &sandboxOptions{io: g.io}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local Partnero-compatible API server (tests, rehearsals)",
		Long: `Run a local server that behaves like the Partnero REST API v1: partners,
customers and transactions with Partnero's validation rules, error bodies,
paginator and rate limit headers. Each --key is its own program, with its
own data. Point partnero-etl (or curl) at the printed base URL.

It can misbehave on purpose, to rehearse what the real API may do: latency,
rate limiting (429 with Retry-After), injected 500/502/503 errors, bursts of
429s, and --drop-after-commit, which commits a write and then drops the
connection before answering.

It listens on loopback only, unless --allow-remote is given: the sandbox
has no real security and its keys are printed on start.

Besides /v1/, it serves GET /_sandbox/stats (requests by route and status,
429s, record counts) and POST /_sandbox/reset (empty every program).
With --data FILE the state survives a restart, and a crash: it is loaded at
start, every write is appended to FILE.log and synced before it is answered
(so even SIGKILL loses nothing acknowledged), and the log is folded into FILE
on exit (SIGINT or SIGTERM) and when it grows past 64 MB. A --data the
sandbox cannot write is refused at start (exit 2).`,
		Example: `  partnero-etl sandbox --key demo-key
  partnero-etl sandbox --key demo-key --rate-limit 120/min --latency 50ms --jitter 20ms --fault-rate 0.02 --data sandbox.json
  curl -s -H 'Authorization: Bearer demo-key' http://127.0.0.1:8765/v1/test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandbox(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8765", "address to listen on (loopback unless --allow-remote)")
	f.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow a non-loopback --addr")
	f.StringArrayVar(&opts.Keys, "key", nil, "an accepted API key, one program each (repeatable; default demo-key)")
	f.StringVar(&opts.RateLimit, "rate-limit", "600/min", "requests per key, such as 600/min, 10/s or 3600/h; none turns it off")
	f.DurationVar(&opts.Latency, "latency", 0, "latency added to every API request")
	f.DurationVar(&opts.Jitter, "jitter", 0, "random variation of the latency, plus or minus")
	f.Float64Var(&opts.FaultRate, "fault-rate", 0, "share of API requests answered 500, 502 or 503 with an HTML body (0..1)")
	f.Float64Var(&opts.Burst429Rate, "burst-429", 0, "chance per request of starting a short burst of 429s (0..1)")
	f.Float64Var(&opts.DropAfterCommitRate, "drop-after-commit", 0, "share of successful writes committed and then dropped before the response (0..1)")
	f.BoolVar(&opts.StrictTransactionKeys, "strict-transaction-keys", false, "answer 422 to a repeated transaction key instead of recording a second transaction")
	f.Float64Var(&opts.Commission, "commission", sandbox.DefaultCommission, "commission rate of the programs, above 0 and at most 1")
	f.StringVar(&opts.DataFile, "data", "", "keep state in this file (loaded at start; every write logged to FILE.log before its answer)")
	f.Int64Var(&opts.Seed, "seed", 0, "seed of the random faults and generated ids (0 = pick one and print it)")
	return cmd
}

func runSandbox(ctx context.Context, opts *sandboxOptions) error {
	cfg, err := sandboxConfig(opts)
	if err != nil {
		return err
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	base := writeSandboxBanner(opts.io.Out, opts, cfg, "http://"+ln.Addr().String())
	if opts.ready != nil {
		opts.ready(base)
	}
	select {
	case err = <-served:
		// Serve only returns early on a listener failure.
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		hs.Close()
	}
	if err := srv.Close(); err != nil {
		return err
	}
	if opts.DataFile != "" {
		fmt.Fprintf(opts.io.ErrOut, "sandbox state saved to %s\n", opts.DataFile)
	}
	fmt.Fprintln(opts.io.ErrOut, "sandbox stopped")
	// Stopping is how a sandbox ends: not an interruption of work.
	return nil
}

// sandboxConfig checks the flags (every bad one is a usage error) and
// returns the sandbox's configuration: demo-key when no --key is given, a
// seed of the clock's when none is.
func sandboxConfig(opts *sandboxOptions) (sandbox.Config, error) {
	perSecond, window, err := parseRateLimit(opts.RateLimit)
	if err != nil {
		return sandbox.Config{}, usageError("--rate-limit: %v", err)
	}
	if err := checkListenAddr(opts.Addr, opts.AllowRemote); err != nil {
		return sandbox.Config{}, err
	}
	if opts.Commission <= 0 || opts.Commission > 1 {
		return sandbox.Config{}, usageError("--commission must be above 0 and at most 1, not %v", opts.Commission)
	}
	for name, v := range map[string]float64{"--fault-rate": opts.FaultRate, "--burst-429": opts.Burst429Rate, "--drop-after-commit": opts.DropAfterCommitRate} {
		if v < 0 || v > 1 {
			return sandbox.Config{}, usageError("%s must be between 0 and 1, not %v", name, v)
		}
	}
	if opts.Latency < 0 || opts.Jitter < 0 {
		return sandbox.Config{}, usageError("--latency and --jitter must not be negative")
	}
	keys := opts.Keys
	if len(keys) == 0 {
		keys = []string{"demo-key"}
	}
	seed := opts.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	return sandbox.Config{
		Keys: keys, RateLimit: perSecond, RateWindow: window,
		Latency: opts.Latency, Jitter: opts.Jitter,
		FaultRate: opts.FaultRate, Burst429Rate: opts.Burst429Rate, DropAfterCommitRate: opts.DropAfterCommitRate,
		StrictTransactionKeys: opts.StrictTransactionKeys, Commission: opts.Commission,
		DataFile: opts.DataFile, Seed: seed,
	}, nil
}

// writeSandboxBanner says where the sandbox listens (root is its
// http://host:port), how it misbehaves, and how to try it; it returns the
// API's base URL.
func writeSandboxBanner(out io.Writer, opts *sandboxOptions, cfg sandbox.Config, root string) string {
	base := root + "/v1/"
	keys := cfg.Keys
	fmt.Fprintf(out, "Partnero sandbox listening: base URL %s (keys: %s)\n", base, strings.Join(keys, ", "))
	fmt.Fprintf(out, "  rate limit %s per key, latency %v ± %v, fault rate %v, 429 bursts %v, drop after commit %v, strict transaction keys %v, commission %v, seed %d\n",
		opts.RateLimit, opts.Latency, opts.Jitter, opts.FaultRate, opts.Burst429Rate, opts.DropAfterCommitRate, opts.StrictTransactionKeys, opts.Commission, cfg.Seed)
	if opts.DataFile != "" {
		fmt.Fprintf(out, "  data file %s: every acknowledged write is synced to %s first (kept even if the sandbox is killed), folded into the data file on exit\n",
			opts.DataFile, opts.DataFile+sandbox.LogSuffix)
	}
	fmt.Fprintf(out, "Try:   curl -s -H 'Authorization: Bearer %s' %stest\n", keys[0], base)
	fmt.Fprintf(out, "Stats: curl -s %s/_sandbox/stats\n", root)
	fmt.Fprintf(out, "Use it: partnero-etl --base-url %s --api-key %s ping\n", base, keys[0])
	fmt.Fprintln(out, "Stop with Ctrl-C.")
	return base
}

// checkListenAddr refuses a non-loopback address unless allowed: the
// sandbox has no real security.
func checkListenAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError("--addr %q: %v", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageError("--addr %q is not a loopback address; pass --allow-remote to listen on it anyway", addr)
}

// parseRateLimit reads "600/min", "10/s", "3600/h" or "none" into requests
// per second and the throttle window (the unit given).
func parseRateLimit(s string) (perSecond float64, window time.Duration, err error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "none", "off", "0", "unlimited":
		return 0, 0, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want a budget such as 600/min, 10/s or 3600/h, or none", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || v <= 0 || v > 1e9 {
		return 0, 0, fmt.Errorf("%q: the count must be a positive number", s)
	}
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		window = time.Second
	case "m", "min", "minute":
		window = time.Minute
	case "h", "hour":
		window = time.Hour
	default:
		return 0, 0, fmt.Errorf("%q: unit must be s, min or h", s)
	}
	return v / window.Seconds(), window, nil
}
