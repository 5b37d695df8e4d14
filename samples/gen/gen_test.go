package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestSamplesUpToDate regenerates every sample into a temporary folder and
// compares it byte for byte with the files in the repository: the generator
// is deterministic, and a change to it must come with regenerated samples
// (go run ./samples/gen).
func TestSamplesUpToDate(t *testing.T) {
	out := t.TempDir()
	if err := generate(out, io.Discard); err != nil {
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join("..", rel))
		if err != nil {
			t.Errorf("%s: %v (run go run ./samples/gen)", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("samples/%s is not what the generator writes: run go run ./samples/gen", rel)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 17 {
		t.Errorf("%d files generated, want 17 (three per platform, two for Post Affiliate Pro)", files)
	}
}
