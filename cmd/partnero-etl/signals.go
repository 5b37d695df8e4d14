package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/partnero-etl/partnero-etl/signals"
)

// signalOptions are the flags that report an unattended run to the systems
// watching it (see package signals).
type signalOptions struct {
	MetricsFile string
	MetricsPush string
	NotifyURL   string
}

func (o *signalOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.MetricsFile, "metrics-file", "", "write the run's metrics here at the end, in Prometheus text format (for node_exporter's textfile collector: name it *.prom)")
	f.StringVar(&o.MetricsPush, "metrics-push", "", "push the run's metrics to this Prometheus Pushgateway URL, job partnero-etl grouped by command (or PARTNERO_METRICS_PUSH)")
	f.StringVar(&o.NotifyURL, "notify-url", "", "ping URL/start when the run starts and URL/<exit status> when it ends, healthchecks.io style (or PARTNERO_NOTIFY_URL)")
}

// runWithSignals runs a command's work between the start and end signals.
// work returns what the run did; the end signal carries the exit status the
// process will have. Signals never change that status.
func runWithSignals(ctx context.Context, g *globalOptions, command string, so signalOptions, work func() (signals.Result, error)) error {
	// The URLs may carry secrets (a check's key, user:password): the
	// environment keeps them out of ps.
	if so.NotifyURL == "" {
		so.NotifyURL = os.Getenv("PARTNERO_NOTIFY_URL")
	}
	if so.MetricsPush == "" {
		so.MetricsPush = os.Getenv("PARTNERO_METRICS_PUSH")
	}
	opts := signals.Options{
		Command:     command,
		MetricsFile: so.MetricsFile,
		PushURL:     so.MetricsPush,
		NotifyURL:   so.NotifyURL,
		Warn:        g.io.ErrOut,
	}
	if so == (signalOptions{}) {
		_, err := work()
		return err
	}
	if err := opts.Check(); err != nil {
		return usageError("%v", err)
	}
	run := signals.Start(ctx, opts)
	res, err := work()
	res.ExitCode = exitCodeOf(ctx, err)
	if res.Summary == "" {
		res.Summary = runSummary(command, res, err)
	}
	run.Finish(res)
	return err
}

// runSummary is the end ping's body: what a person reading the monitor's
// log needs to see first.
func runSummary(command string, res signals.Result, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "partnero-etl %s %s: exit status %d\n", command, toolVersion(), res.ExitCode)
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	tables := make([]string, 0, len(res.Rows))
	for t := range res.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(&b, "%s: %d rows\n", t, res.Rows[t])
	}
	fmt.Fprintf(&b, "requests: %d (%d retried, %d rate limited)\n", res.Requests, res.Retries, res.RateLimited)
	return b.String()
}
