package importer

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestAutoWorkers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit   float64
		latency time.Duration
		want    int
	}{
		{0, 0, unlimitedPool},
		{50, 50 * time.Millisecond, 10},
		{10, 0, 5},
		{1, 10 * time.Millisecond, minWorkers + 1},
		{1000, time.Second, maxWorkers},
	}
	for _, tt := range tests {
		if got := autoWorkers(tt.limit, tt.latency); got != tt.want {
			t.Errorf("autoWorkers(%v, %v) = %d, want %d", tt.limit, tt.latency, got, tt.want)
		}
	}
}

func TestEstimateRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, content, format string
		want                  int64
	}{
		{"a.csv", "h\n1\n2\n", "csv", 2},
		{"b.csv", "h\n1\n2", "csv", 2},
		{"c.jsonl", "{}\n{}\n{}\n", "jsonl", 3},
		{"d.csv", "", "csv", 0},
		{"e.csv.gz", "x", "csv", -1},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := estimateRows(path, tt.format); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := estimateRows("-", "csv"); got != -1 {
		t.Errorf("stdin: %d", got)
	}
}
