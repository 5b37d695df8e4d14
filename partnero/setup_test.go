package partnero

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithVersion: the version a caller passes in is the User-Agent's,
// and no version leaves the bare product name.
func TestWithVersion(t *testing.T) {
	t.Parallel()
	tests := []struct{ version, want string }{
		{"v1.2.3", "partnero-etl/v1.2.3"},
		{"dev-0123456789ab+dirty", "partnero-etl/dev-0123456789ab+dirty"},
		{"", "partnero-etl"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case got <- r.Header.Get("User-Agent"):
				default:
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"status":1,"data":{"name":"p","pub_id":"x"}}`))
			}))
			defer srv.Close()
			c, err := NewClient(WithAPIKey("k"), WithBaseURL(srv.URL+"/v1/"), WithVersion(tt.version), WithRate(Rate{}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Test(t.Context()); err != nil {
				t.Fatal(err)
			}
			if ua := <-got; ua != tt.want {
				t.Errorf("User-Agent %q, want %q", ua, tt.want)
			}
		})
	}
}

// TestReadAPIKeyFile: the key without its blanks; a missing, oversized or
// unreadable file is an error that names the file and never the content.
func TestReadAPIKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const key = "sk_test_keyfile_42"
	tests := []struct {
		name, path, want, wantErr string
	}{
		{"trimmed", write("crlf.key", "  "+key+" \r\n"), key, ""},
		{"plain", write("plain.key", key), key, ""},
		{"blank", write("blank.key", " \n"), "", ""},
		{"missing", filepath.Join(dir, "nope.key"), "", "no such file"},
		{"too large", write("big.key", strings.Repeat(key, 64<<10/len(key)+1)), "", "larger than 64 KiB"},
		{"a folder", dir, "", "read " + dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadAPIKeyFile(tt.path)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ReadAPIKeyFile = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("err shows the key: %q", err)
			}
			if strings.Count(err.Error(), tt.path) > 1 {
				t.Errorf("err names the path twice: %q", err)
			}
		})
	}
}
