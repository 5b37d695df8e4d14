// Package jsontest reads the JSON files a run writes (reports, manifests)
// back in tests: one helper for the command's tests and the end-to-end
// tests, which had each written their own.
package jsontest

import (
	"encoding/json"
	"os"
	"testing"
)

// ReadFile decodes the JSON file at path into a T, failing the test (and
// naming the file) when it cannot be read or decoded.
func ReadFile[T any](t testing.TB, path string) T {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
