package jsontest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, []byte(`{"rows": 3, "by": {"a": 1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got := ReadFile[struct {
		Rows int
		By   map[string]int
	}](t, path)
	if got.Rows != 3 || got.By["a"] != 1 {
		t.Errorf("got %+v", got)
	}
}
