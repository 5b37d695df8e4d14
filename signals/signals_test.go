package signals

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var (
	t0 = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	t1 = t0.Add(90 * time.Second)
)

// clock returns t0 at Start and t1 at Finish.
func clock() func() time.Time {
	calls := 0
	return func() time.Time {
		calls++
		if calls == 1 {
			return t0
		}
		return t1
	}
}

func result(code int) Result {
	return Result{
		ExitCode: code,
		Rows:     map[string]int64{"partners": 35, "transactions": 896, "rewards": 896},
		Requests: 40, Retries: 2, RateLimited: 1, ServerErrors: 1,
		Summary: "exported 1827 rows",
	}
}

func parseFile(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file does not parse: %v", err)
	}
	return mfs
}

func gaugeValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s with labels %v", name, labels)
	return 0
}

// promtoolCheck runs promtool check metrics on the file: the format
// node_exporter's textfile collector and Prometheus accept. CI installs
// promtool; elsewhere the test says it skipped the check.
func promtoolCheck(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found: .ci/run installs it (Debian package prometheus)")
		}
		t.Log("promtool not installed: format check skipped")
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\nfile:\n%s", err, out, data)
	}
}

func TestMetricsFileSuccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "partnero_etl.prom")
	r := Start(context.Background(), Options{Command: "export", MetricsFile: path, Now: clock()})
	r.Finish(result(0))

	promtoolCheck(t, path)
	mfs := parseFile(t, path)
	for name, want := range map[string]float64{
		MetricRequests:    40,
		MetricRetries:     2,
		MetricRateLimited: 1,
		MetricExitStatus:  0,
		MetricDuration:    90,
		MetricFinished:    float64(t1.Unix()),
		MetricLastSuccess: float64(t1.Unix()),
	} {
		if got := gaugeValue(t, mfs, name, "command", "export"); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := gaugeValue(t, mfs, MetricRows, "command", "export", "table", "transactions"); got != 896 {
		t.Errorf("transactions rows = %v, want 896", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (the collector may run as another user)", fi.Mode().Perm())
	}
	// Nothing but the file itself is left in the folder.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the metrics file", len(entries))
	}
}

// A failed run reports its exit status but keeps the last success time of
// the previous file: "no success for 26 hours" must survive failures.
func TestMetricsFileFailureKeepsLastSuccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "partnero_etl.prom")
	Start(context.Background(), Options{Command: "export", MetricsFile: path, Now: clock()}).Finish(result(0))

	later := func() time.Time { return t1.Add(24 * time.Hour) }
	Start(context.Background(), Options{Command: "export", MetricsFile: path, Now: later}).Finish(result(1))

	promtoolCheck(t, path)
	mfs := parseFile(t, path)
	if got := gaugeValue(t, mfs, MetricExitStatus, "command", "export"); got != 1 {
		t.Errorf("exit status = %v, want 1", got)
	}
	if got := gaugeValue(t, mfs, MetricLastSuccess, "command", "export"); got != float64(t1.Unix()) {
		t.Errorf("last success = %v, want the first run's %v", got, t1.Unix())
	}
	if got := gaugeValue(t, mfs, MetricFinished, "command", "export"); got != float64(t1.Add(24*time.Hour).Unix()) {
		t.Errorf("finished = %v", got)
	}

	// A first run that fails has no success to report.
	fresh := filepath.Join(t.TempDir(), "x.prom")
	Start(context.Background(), Options{Command: "export", MetricsFile: fresh, Now: clock()}).Finish(result(1))
	if _, ok := parseFile(t, fresh)[MetricLastSuccess]; ok {
		t.Error("a run that never succeeded reports a last success time")
	}
}

func TestMetricsFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	opts := Options{MetricsFile: dir}
	if err := opts.Check(); err == nil {
		t.Error("Check accepted a folder as the metrics file")
	}
	var warn bytes.Buffer
	Start(context.Background(), Options{Command: "export", MetricsFile: dir, Warn: &warn}).Finish(result(0))
	if !strings.Contains(warn.String(), "not a regular file") {
		t.Errorf("warning %q does not say the target is not a regular file", warn.String())
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Error("the folder was replaced")
	}
}

type ping struct {
	method, path, rid, body string
}

type pingServer struct {
	mu    sync.Mutex
	pings []ping
	fail  int // answer 500 to this many requests first
}

func (s *pingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	s.pings = append(s.pings, ping{r.Method, r.URL.Path, r.URL.Query().Get("rid"), string(body)})
	io.WriteString(w, "OK")
}

func TestNotifyStartAndEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		code int
		end  string
	}{
		{"success", 0, "/ping/abc/0"},
		{"rejects", 3, "/ping/abc/3"},
		{"interrupted", 130, "/ping/abc/130"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &pingServer{}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			ctx, cancel := context.WithCancel(context.Background())
			r := Start(ctx, Options{Command: "export", NotifyURL: ts.URL + "/ping/abc/"})
			cancel() // the run's context is gone: the end ping must still go out
			r.Finish(result(tc.code))

			if len(srv.pings) != 2 {
				t.Fatalf("got %d pings, want start and end: %+v", len(srv.pings), srv.pings)
			}
			start, end := srv.pings[0], srv.pings[1]
			if start.path != "/ping/abc/start" || end.path != tc.end {
				t.Errorf("paths %q, %q; want /ping/abc/start, %s", start.path, end.path, tc.end)
			}
			if start.rid == "" || start.rid != end.rid {
				t.Errorf("run ids %q and %q: want one id pairing start and end", start.rid, end.rid)
			}
			if end.body != "exported 1827 rows" {
				t.Errorf("end body %q", end.body)
			}
		})
	}
}

func TestNotifyRetriesAndWarnsWithoutTheSecret(t *testing.T) {
	srv := &pingServer{fail: 1}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var warn bytes.Buffer
	Start(context.Background(), Options{Command: "export", NotifyURL: ts.URL + "/secret-uuid", Warn: &warn, RetryDelay: time.Millisecond}).Finish(result(0))
	if len(srv.pings) != 2 {
		t.Fatalf("a refused start ping was not sent again: %+v", srv.pings)
	}
	if warn.Len() != 0 {
		t.Errorf("warned after a successful retry: %s", warn.String())
	}

	ts.Close() // nobody answers now
	warn.Reset()
	Start(context.Background(), Options{Command: "export", NotifyURL: ts.URL + "/secret-uuid", Warn: &warn, RetryDelay: time.Millisecond}).Finish(result(0))
	out := warn.String()
	if !strings.Contains(out, "start ping") || !strings.Contains(out, "end (exit status 0) ping") {
		t.Errorf("warnings do not name the undelivered pings:\n%s", out)
	}
	if strings.Contains(out, "secret-uuid") {
		t.Errorf("a warning shows the check's secret:\n%s", out)
	}
}

func TestPingURLKeepsQuery(t *testing.T) {
	got, err := pingURL("https://hc.example/ping/k/check-slug?create=1", "start", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got != "https://hc.example/ping/k/check-slug/start?create=1&rid=r1" {
		t.Errorf("got %s", got)
	}
}

func TestPushAddsUnderCommandGroup(t *testing.T) {
	var mu sync.Mutex
	type got struct {
		method, path string
		mfs          map[string]*dto.MetricFamily
	}
	var reqs []got
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := expfmt.ResponseFormat(r.Header)
		dec := expfmt.NewDecoder(r.Body, format)
		mfs := map[string]*dto.MetricFamily{}
		for {
			mf := &dto.MetricFamily{}
			if err := dec.Decode(mf); err != nil {
				break
			}
			mfs[mf.GetName()] = mf
		}
		mu.Lock()
		reqs = append(reqs, got{r.Method, r.URL.Path, mfs})
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer ts.Close()

	var warn bytes.Buffer
	Start(context.Background(), Options{Command: "export", PushURL: ts.URL, Now: clock(), Warn: &warn}).Finish(result(0))
	if warn.Len() > 0 {
		t.Fatal(warn.String())
	}
	Start(context.Background(), Options{Command: "export", PushURL: ts.URL, Now: clock()}).Finish(result(1))
	if len(reqs) != 2 {
		t.Fatalf("got %d pushes, want 2", len(reqs))
	}
	for i, r := range reqs {
		if r.method != http.MethodPost {
			t.Errorf("push %d used %s: want POST (Add), which keeps metrics not pushed", i, r.method)
		}
		if r.path != "/metrics/job/partnero-etl/command/export" {
			t.Errorf("push %d to %s", i, r.path)
		}
		if _, ok := r.mfs[MetricExitStatus]; !ok {
			t.Errorf("push %d lacks %s: %v", i, MetricExitStatus, r.mfs)
		}
	}
	if _, ok := reqs[0].mfs[MetricLastSuccess]; !ok {
		t.Error("a successful run did not push its success time")
	}
	if _, ok := reqs[1].mfs[MetricLastSuccess]; ok {
		t.Error("a failed run pushed a success time")
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		ok   bool
	}{
		{Options{}, true},
		{Options{NotifyURL: "https://hc-ping.example/uuid"}, true},
		{Options{NotifyURL: "hc-ping.example/uuid"}, false},
		{Options{PushURL: "ftp://gw:9091"}, false},
		{Options{MetricsFile: filepath.Join(t.TempDir(), "m.prom")}, true},
		{Options{MetricsFile: filepath.Join(t.TempDir(), "missing", "m.prom")}, false},
	} {
		err := tc.opts.Check()
		if (err == nil) != tc.ok {
			t.Errorf("Check(%+v) = %v, want ok=%v", tc.opts, err, tc.ok)
		}
	}
}
