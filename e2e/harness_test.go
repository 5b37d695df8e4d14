// Package e2e runs the real partnero-etl binary against the sandbox: fresh
// imports, re-runs, crashes of the importer (SIGKILL) and of the sandbox,
// injected faults, and the import benchmark. TestMain builds the binary
// once (with the race detector when the tests run with it); the sandbox runs
// in the test process, so the tests can read its statistics and restart it.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// binary is the partnero-etl executable TestMain built.
var binary string

func TestMain(m *testing.M) {
	// The tests wait on the binary, the sandbox's latency and rate limits
	// far more than they use the CPU: four run at once (the default is
	// GOMAXPROCS), unless -parallel says otherwise.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "4")
	}
	dir, err := os.MkdirTemp("", "partnero-etl-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "partnero-etl")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/partnero-etl/partnero-etl/cmd/partnero-etl")
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build partnero-etl:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testKey = "e2e-key"

// sandboxProc is a sandbox served on a fixed loopback port, so that it can
// be stopped and started again at the same address.
type sandboxProc struct {
	t    testing.TB
	cfg  sandbox.Config
	addr string

	mu  sync.Mutex
	sb  *sandbox.Server
	srv *http.Server
}

func startSandbox(t testing.TB, cfg sandbox.Config) *sandboxProc {
	t.Helper()
	if len(cfg.Keys) == 0 {
		cfg.Keys = []string{testKey}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &sandboxProc{t: t, cfg: cfg, addr: ln.Addr().String()}
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *sandboxProc) serve(ln net.Listener) {
	sb, err := sandbox.New(p.cfg)
	if err != nil {
		p.t.Fatal(err)
	}
	srv := &http.Server{Handler: sb}
	go func() { _ = srv.Serve(ln) }()
	p.mu.Lock()
	p.sb, p.srv = sb, srv
	p.mu.Unlock()
}

// stop closes every connection at once (as a crash would) and saves the
// data file, if any.
func (p *sandboxProc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv == nil {
		return
	}
	_ = p.srv.Close()
	if err := p.sb.Close(); err != nil {
		p.t.Errorf("sandbox close: %v", err)
	}
	p.srv = nil
}

// restart starts a new sandbox at the same address from the data file.
func (p *sandboxProc) restart() {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// envProc is a sandboxProc for a sandbox sandboxtest serves (one that a
// test wraps): the import helpers and statistics work, restart does not.
func envProc(t testing.TB, env *sandboxtest.Env) *sandboxProc {
	return &sandboxProc{t: t, addr: env.HTTP.Listener.Addr().String(), sb: env.Server}
}

func (p *sandboxProc) baseURL() string { return "http://" + p.addr + "/v1/" }

func (p *sandboxProc) stats() sandbox.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sb.Stats()
}

// writes counts the write requests the sandbox answered or dropped.
func writes(st sandbox.Stats) int64 {
	var n int64
	for route, rs := range st.Routes {
		if !strings.HasPrefix(route, "GET ") {
			n += rs.Total
		}
	}
	return n
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// importCmd prepares `partnero-etl import` against the sandbox.
func importCmd(ctx context.Context, sb *sandboxProc, dir string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	if !slices.Contains(args, "--rate") {
		// The client starts slow when the API sends no rate headers (the
		// sandbox without a limit); tests want speed.
		args = append(args, "--rate", "2000/s")
	}
	if len(args) > 0 && args[0] == "transactions" && !slices.Contains(args, "--create-customers") {
		// The datasets name some customers in the transactions file only
		// (genOptions.NewCustomers): they are created with their first
		// transaction, which an import does only when told to.
		args = append(args, "--create-customers")
	}
	cmd := exec.CommandContext(ctx, binary, append([]string{"import"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PARTNERO_API_KEY="+testKey, "PARTNERO_BASE_URL="+sb.baseURL())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	return cmd, &out, &errOut
}

// runImport runs an import to its end.
func runImport(t testing.TB, sb *sandboxProc, dir string, args ...string) result {
	t.Helper()
	cmd, out, errOut := importCmd(t.Context(), sb, dir, args...)
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run import: %v", err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// killAfter starts an import and SIGKILLs it after d (or lets it finish
// first). It reports whether the process was killed.
func killAfter(t testing.TB, sb *sandboxProc, dir string, d time.Duration, args ...string) bool {
	t.Helper()
	cmd, _, _ := importCmd(t.Context(), sb, dir, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return false
	case <-time.After(d):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return true
	}
}

// target reads the whole program back through the API client.
type target struct {
	partners     map[string]int // by email
	customers    map[string]int // by key
	transactions map[string]int // by key
	amounts      map[string]string
}

func readTarget(t testing.TB, sb *sandboxProc) target {
	t.Helper()
	c, err := api.NewClient(api.WithBaseURL(sb.baseURL()), api.WithAPIKey(testKey), api.WithRate(api.Rate{PerSecond: 10000}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tg := target{partners: map[string]int{}, customers: map[string]int{}, transactions: map[string]int{}, amounts: map[string]string{}}
	for p, err := range c.Partners.All(ctx, api.ListOptions{Sort: "asc"}) {
		if err != nil {
			t.Fatal(err)
		}
		tg.partners[p.Email]++
	}
	for cu, err := range c.Customers.All(ctx, api.ListOptions{Sort: "asc"}) {
		if err != nil {
			t.Fatal(err)
		}
		tg.customers[cu.Key]++
	}
	for tx, err := range c.Transactions.All(ctx, api.ListOptions{Sort: "asc"}) {
		if err != nil {
			t.Fatal(err)
		}
		tg.transactions[tx.Key]++
		if tx.Amount != nil {
			tg.amounts[tx.Key] = tx.Amount.String()
		}
	}
	return tg
}

// checkExactlyOnce fails unless the target holds every expected identity
// exactly once and nothing else.
func checkExactlyOnce(t testing.TB, what string, got map[string]int, want []string) {
	t.Helper()
	wantSet := make(map[string]bool, len(want))
	for _, k := range want {
		wantSet[k] = true
		if n := got[k]; n != 1 {
			t.Errorf("%s %s is in the target %d times, want once", what, k, n)
		}
	}
	for k, n := range got {
		if !wantSet[k] {
			t.Errorf("%s %s is in the target (%d times) but not expected", what, k, n)
		}
	}
}
