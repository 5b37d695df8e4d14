package sandboxtest_test

import (
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// The helper serves on loopback, its client and seeding reach the sandbox
// with the first key, a wrapper sees every request, and the cleanup saves
// the data file after the server stops.
func TestStart(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "sandbox.json")
	var seen atomic.Int64
	t.Run("serve", func(t *testing.T) {
		env := sandboxtest.Start(t, sandbox.Config{DataFile: data}, sandboxtest.Wrap(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen.Add(1); h.ServeHTTP(w, r) })
		}))
		if env.Key != sandboxtest.DefaultKey {
			t.Errorf("key %q, want the default", env.Key)
		}
		if host := env.HTTP.Listener.Addr().String(); host[:10] != "127.0.0.1:" {
			t.Errorf("listening on %s, want loopback", host)
		}
		env.Post(t, "partners", `{"id":"p1","email":"a@example.com","name":"Ann"}`)
		env.Seed(t, map[string]any{"webhooks": []map[string]any{{"name": "h", "url": "https://example.com"}}})
		c := env.Client(t)
		p, err := c.Partners.Get(t.Context(), "p1")
		if err != nil || p.Email != "a@example.com" {
			t.Fatalf("partner %+v, %v", p, err)
		}
		if seen.Load() != 3 {
			t.Errorf("wrapper saw %d requests, want 3", seen.Load())
		}
	})
	// The cleanup closed the sandbox: a new one loads what the first kept.
	env := sandboxtest.Start(t, sandbox.Config{DataFile: data})
	if _, err := env.Client(t, partnero.WithMaxAttempts(1)).Partners.Get(t.Context(), "p1"); err != nil {
		t.Errorf("partner not kept in the data file: %v", err)
	}
}
