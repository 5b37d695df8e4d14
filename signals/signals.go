// Package signals tells the systems that watch an unattended run how it went,
// so a data team knows without reading logs whether last night's export
// worked: a Prometheus text file for node_exporter's textfile collector, a
// push to a Prometheus Pushgateway, and healthchecks-style pings at the start
// and the end of the run (the end ping carries the exit status).
//
// Signals never change a run's outcome: a file that cannot be written, a
// gateway or a ping endpoint that does not answer is a warning on standard
// error, and the run exits as it would have without them. They are sent even
// when the run was interrupted (with a fresh, short context), because an
// interrupted nightly job is exactly what a scheduler must hear about.
package signals

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
)

// Metric names, documented in the README. Dashboards and alerts depend on
// them: never rename one. Every metric carries a command label (export,
// import, ...), so several jobs can share one textfile directory or one
// Pushgateway group.
const (
	MetricRows          = "partnero_etl_last_run_rows"
	MetricRequests      = "partnero_etl_last_run_requests"
	MetricRetries       = "partnero_etl_last_run_retries"
	MetricRateLimited   = "partnero_etl_last_run_rate_limited"
	MetricServerErrors  = "partnero_etl_last_run_server_errors"
	MetricNetworkErrors = "partnero_etl_last_run_network_errors"
	MetricDuration      = "partnero_etl_last_run_duration_seconds"
	MetricExitStatus    = "partnero_etl_last_run_exit_status"
	MetricFinished      = "partnero_etl_last_run_timestamp_seconds"
	MetricLastSuccess   = "partnero_etl_last_success_timestamp_seconds"
)

// Options says where a run's signals go. The zero value sends nothing.
type Options struct {
	// Command names the job in every metric's command label ("export").
	Command string
	// MetricsFile is written atomically at the end of the run in the
	// Prometheus text format (name it *.prom for node_exporter).
	MetricsFile string
	// PushURL is a Pushgateway's base URL (http://host:9091); the run's
	// metrics are pushed under job "partnero-etl", grouped by command.
	PushURL string
	// NotifyURL is a healthchecks-style ping URL: URL/start when the run
	// starts, URL/<exit status> when it ends (0 is success).
	NotifyURL string

	// HTTPClient sends pushes and pings; nil means a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// Warn receives one line per signal that could not be delivered.
	Warn io.Writer
	// Now replaces the clock (tests).
	Now func() time.Time
	// RetryDelay is the pause before the second attempt of a push or ping
	// (doubled before the third); 0 means one second.
	RetryDelay time.Duration
}

// Result is what the run did, as the signals report it.
type Result struct {
	ExitCode int
	// Rows counts the rows written per table (or per entity).
	Rows map[string]int64

	Requests, Retries, RateLimited, ServerErrors, NetworkErrors int64
	// Summary is a short human-readable account of the run, sent as the
	// body of the end ping (healthchecks.io shows it in its log).
	Summary string
}

// Run is one run's signals: Start opens it, Finish closes it.
type Run struct {
	opts    Options
	started time.Time
	runID   string
}

// maxAttempts bounds each push or ping: a monitor that is down must not hold
// a finished export for long.
const maxAttempts = 3

// pingTimeout bounds each ping and push attempt.
const pingTimeout = 10 * time.Second

// maxPingBody keeps the end ping's body within what healthchecks.io stores
// (100 kB); a longer summary is cut.
const maxPingBody = 10_000

// Check validates the options before a run starts, so a mistyped URL is a
// usage error at once, not a warning after an hour's export.
func (o Options) Check() error {
	for _, u := range []struct{ flag, value string }{{"--metrics-push", o.PushURL}, {"--notify-url", o.NotifyURL}} {
		if u.value == "" {
			continue
		}
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%s wants an http:// or https:// URL, not %q", u.flag, redact(u.value))
		}
	}
	if o.MetricsFile != "" {
		dir := filepath.Dir(o.MetricsFile)
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("--metrics-file: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("--metrics-file: %s is not a folder", dir)
		}
		if _, _, err := atomicfile.Inspect(o.MetricsFile); err != nil {
			return fmt.Errorf("--metrics-file: %w", err)
		}
	}
	return nil
}

// Start opens a run and sends the start ping. It never fails: a ping that
// cannot be delivered is a warning.
func Start(ctx context.Context, opts Options) *Run {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: pingTimeout}
	}
	if opts.Command == "" {
		opts.Command = "run"
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	r := &Run{opts: opts, started: opts.Now(), runID: uuid.NewString()}
	if opts.NotifyURL != "" {
		r.ping(ctx, "start", "")
	}
	return r
}

// Finish writes the metrics file, pushes to the gateway and sends the end
// ping. It uses its own short-lived context: the run's may be cancelled
// already (an interrupted run is reported too).
func (r *Run) Finish(res Result) {
	ctx, cancel := context.WithTimeout(context.Background(), maxAttempts*pingTimeout)
	defer cancel()
	finished := r.opts.Now()
	if r.opts.MetricsFile != "" {
		if err := r.writeFile(res, finished); err != nil {
			r.warn("metrics file not written: %v", err)
		}
	}
	if r.opts.PushURL != "" {
		if err := r.push(ctx, res, finished); err != nil {
			r.warn("metrics not pushed to %s: %v", redact(r.opts.PushURL), err)
		}
	}
	if r.opts.NotifyURL != "" {
		r.ping(ctx, strconv.Itoa(res.ExitCode), res.Summary)
	}
}

// registry builds the run's metrics. lastSuccess is NaN when there is none
// to report (a failed run: the caller carries the previous value). labels is
// the command label for a file, nil for a push (where the grouping key
// carries it: the gateway refuses a metric that repeats it).
func (r *Run) registry(res Result, finished time.Time, lastSuccess float64, labels prometheus.Labels) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
		g.Set(v)
		reg.MustRegister(g)
	}
	rows := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricRows, Help: "Rows written by the last run, per table.", ConstLabels: labels}, []string{"table"})
	tables := make([]string, 0, len(res.Rows))
	for t := range res.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		rows.WithLabelValues(t).Set(float64(res.Rows[t]))
	}
	reg.MustRegister(rows)
	gauge(MetricRequests, "API requests made by the last run.", float64(res.Requests))
	gauge(MetricRetries, "API requests the last run sent again.", float64(res.Retries))
	gauge(MetricRateLimited, "429 answers the last run received.", float64(res.RateLimited))
	gauge(MetricServerErrors, "5xx answers the last run received.", float64(res.ServerErrors))
	gauge(MetricNetworkErrors, "Network errors the last run met.", float64(res.NetworkErrors))
	gauge(MetricDuration, "Wall time of the last run.", finished.Sub(r.started).Seconds())
	gauge(MetricExitStatus, "Exit status of the last run (0 is success).", float64(res.ExitCode))
	gauge(MetricFinished, "When the last run ended, Unix seconds.", unixSeconds(finished))
	if !math.IsNaN(lastSuccess) {
		gauge(MetricLastSuccess, "When a run last succeeded (exit status 0), Unix seconds.", lastSuccess)
	}
	return reg
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// writeFile writes the metrics file atomically. A failed run keeps the
// last-success time of the file it replaces, so an alert on "no success for
// 26 hours" works across failures.
func (r *Run) writeFile(res Result, finished time.Time) error {
	last := math.NaN()
	if res.ExitCode == 0 {
		last = unixSeconds(finished)
	} else if prev, ok := previousSuccess(r.opts.MetricsFile, r.opts.Command); ok {
		last = prev
	}
	var buf bytes.Buffer
	if err := encode(&buf, r.registry(res, finished, last, prometheus.Labels{"command": r.opts.Command})); err != nil {
		return err
	}
	// Atomic (a temp file renamed into place, or written through a device
	// or FIFO), and readable by the collector, which often runs as another
	// user.
	return atomicfile.WriteFile(r.opts.MetricsFile, 0o644, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

func encode(w io.Writer, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}

// previousSuccess reads the last-success time of command out of an existing
// metrics file.
func previousSuccess(path, command string) (float64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(io.LimitReader(f, 1<<20))
	if err != nil {
		return 0, false
	}
	mf, ok := mfs[MetricLastSuccess]
	if !ok {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "command" && l.GetValue() == command && m.GetGauge() != nil {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// pushJob is the Pushgateway job every run pushes under; the command is the
// grouping key, so an import's push never replaces an export's.
const pushJob = "partnero-etl"

// push adds the run's metrics to the gateway's group. Add (POST), not Push
// (PUT): a failed run leaves out the last-success gauge, and the gateway
// keeps the value the last successful run pushed.
func (r *Run) push(ctx context.Context, res Result, finished time.Time) error {
	last := math.NaN()
	if res.ExitCode == 0 {
		last = unixSeconds(finished)
	}
	p := push.New(r.opts.PushURL, pushJob).
		Grouping("command", r.opts.Command).
		Gatherer(r.registry(res, finished, last, nil)).
		Client(r.opts.HTTPClient)
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 && !sleep(ctx, time.Duration(attempt)*r.opts.RetryDelay) {
			break
		}
		if err = p.AddContext(ctx); err == nil {
			return nil
		}
	}
	return err
}

// ping sends URL/suffix (start, or the exit status) with body, retrying a
// few times. The run id pairs the start and end pings, so the monitor can
// measure the run's duration.
func (r *Run) ping(ctx context.Context, suffix, body string) {
	u, err := pingURL(r.opts.NotifyURL, suffix, r.runID)
	if err != nil {
		r.warn("ping not sent: %v", err)
		return
	}
	if len(body) > maxPingBody {
		body = body[:maxPingBody]
	}
	var last error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 && !sleep(ctx, time.Duration(attempt)*r.opts.RetryDelay) {
			break
		}
		if last = r.send(ctx, u, body); last == nil {
			return
		}
	}
	r.warn("%s ping to %s not delivered: %v", pingName(suffix), redact(r.opts.NotifyURL), last)
}

func pingName(suffix string) string {
	if suffix == "start" {
		return "start"
	}
	return "end (exit status " + suffix + ")"
}

func (r *Run) send(ctx context.Context, u, body string) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := r.opts.HTTPClient.Do(req)
	if err != nil {
		// The error text holds the URL, and the URL holds the check's
		// secret: say only what went wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return uerr.Err
		}
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// pingURL appends /suffix to the URL's path (keeping its query) and the run
// id as rid, the way healthchecks.io pairs a start with its end.
func pingURL(base, suffix, runID string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("invalid --notify-url")
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + suffix
	if u.RawPath != "" {
		u.RawPath = strings.TrimSuffix(u.RawPath, "/") + "/" + suffix
	}
	q := u.Query()
	q.Set("rid", runID)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redact keeps what identifies the server and drops what may be a secret: a
// ping URL's path is the check's key, a push URL may carry user:password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured URL"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

func (r *Run) warn(format string, args ...any) {
	if r.opts.Warn != nil {
		fmt.Fprintf(r.opts.Warn, "warning: "+format+"\n", args...)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
