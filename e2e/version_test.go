package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestMakeBuildStampsVersion: the binary make build writes reports the
// checkout it was built from (git describe), not "dev", in partnero-etl
// version and in its User-Agent.
func TestMakeBuildStampsVersion(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	describe := exec.Command("git", "describe", "--tags", "--always", "--dirty")
	describe.Dir = root
	d, err := describe.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	want := strings.TrimSpace(string(d))

	bin := filepath.Join(t.TempDir(), "partnero-etl")
	build := exec.Command("make", "-s", "build", "BIN="+bin)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if first, _, _ := strings.Cut(string(out), "\n"); first != "partnero-etl "+want {
		t.Errorf("version printed %q, want %q", first, "partnero-etl "+want)
	}

	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.Header.Get("User-Agent"))
		io.WriteString(w, `{"data":{"program":{"pub_id":"prg_1","name":"Acme"}},"status":1}`)
	}))
	defer srv.Close()
	if out, err := exec.Command(bin, "--api-key", "k", "--base-url", srv.URL+"/v1/", "ping").CombinedOutput(); err != nil {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	if got, _ := ua.Load().(string); got != "partnero-etl/"+want {
		t.Errorf("User-Agent %q, want %q", got, "partnero-etl/"+want)
	}
}
