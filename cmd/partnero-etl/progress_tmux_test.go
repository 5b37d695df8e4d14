package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// TestProgressOnARealTerminal runs the real binary in a tmux pane of 80 and
// of 120 columns, importing into a sandbox slow enough for the status line
// to be redrawn many times, and reads the screen: no line is wider than the
// pane (a joined capture shows a wrapped line as one long line), the status
// line appears once (a redraw that wrapped leaves copies behind), and its
// bar has a width. It needs tmux: without it the test is skipped, except
// under CI, where it fails.
func TestProgressOnARealTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed; CI must install it (.ci/run does)")
		}
		t.Skip("tmux is not installed: the terminal progress test needs it (CI installs it)")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary in tmux")
	}
	bin := buildBinary(t)

	const key = "sk_tmux_test"
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{key}, Latency: 15 * time.Millisecond})

	for _, width := range []int{80, 120} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			dir := t.TempDir()
			var csv strings.Builder
			csv.WriteString("email,name\n")
			for i := range 300 {
				fmt.Fprintf(&csv, "w%d-%d@example.com,Partner %d\n", width, i, i)
			}
			in := filepath.Join(dir, "partners.csv")
			if err := os.WriteFile(in, []byte(csv.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			sock := filepath.Join(dir, "tmux.sock")
			tm := func(args ...string) (string, error) {
				out, err := exec.Command(tmux, append([]string{"-S", sock, "-f", os.DevNull}, args...)...).CombinedOutput()
				return string(out), err
			}
			// The pane stays open after the run so its last screen can be read.
			// Run from the input's folder, so that the summary's lines
			// (which name the input) fit the pane too.
			script := fmt.Sprintf("cd %s && %s --base-url %s/v1/ --api-key %s import partners partners.csv --workers 2; echo EXIT=$?; sleep 600",
				dir, bin, env.URL(), key)
			if out, err := tm("new-session", "-d", "-x", fmt.Sprint(width), "-y", "24", "-s", "p", script); err != nil {
				t.Fatalf("tmux new-session: %v: %s", err, out)
			}
			t.Cleanup(func() { _, _ = tm("kill-server") })

			barRE := regexp.MustCompile(`\[([=> ]*)\]`)
			var during []string // screens captured while the bar was moving
			var last string
			deadline := time.Now().Add(2 * time.Minute)
			for time.Now().Before(deadline) {
				screen, err := tm("capture-pane", "-p", "-J", "-t", "p")
				if err != nil {
					t.Fatalf("capture-pane: %v: %s", err, screen)
				}
				last = screen
				if strings.Contains(screen, "EXIT=") {
					break
				}
				if strings.Contains(screen, "importing partners") {
					during = append(during, screen)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if !strings.Contains(last, "EXIT=0") {
				t.Fatalf("the import did not finish with exit 0; screen:\n%s", last)
			}
			if len(during) < 3 {
				t.Fatalf("saw the status line only %d times: too fast to test; last screen:\n%s", len(during), last)
			}
			t.Logf("screen at %d columns while importing:\n%s", width, during[len(during)/2])
			t.Logf("screen at %d columns at the end:\n%s", width, last)
			for _, screen := range append(during, last) {
				lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
				status := 0
				for _, l := range lines {
					if n := len([]rune(l)); n > width {
						t.Fatalf("a line of %d columns on a %d-column terminal (it wrapped):\n%s", n, width, screen)
					}
					if strings.Contains(l, "importing partners") {
						status++
						m := barRE.FindStringSubmatch(l)
						if m == nil || len(m[1]) < minBar {
							t.Fatalf("status line without a bar of %d columns or more: %q", minBar, l)
						}
					}
				}
				if status != 1 {
					t.Fatalf("the status line appears %d times: redraws were left behind:\n%s", status, screen)
				}
			}
		})
	}
}

// buildBinary builds the command into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	// go test puts its own go first on PATH, as the e2e harness relies on.
	bin := filepath.Join(t.TempDir(), "partnero-etl")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
