package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// FuzzJournalLoad feeds arbitrary bytes as the body of a journal: loading
// never fails or panics, keeps only well-formed lines, and a journal it
// loaded takes new entries that the next load sees.
func FuzzJournalLoad(f *testing.F) {
	f.Add([]byte("0123456789abcdef 0123456789abcdef c\n"))
	f.Add([]byte("0123456789abcdef 0123456789abcdef c\nfedcba9876543210 00000000000000"))
	f.Add([]byte("zz\n\n  \n0123456789abcdef 0123456789abcdef x\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		path := filepath.Join(t.TempDir(), "j")
		header := journalMagic + " " + hashHex("scope") + "\n"
		if err := os.WriteFile(path, append([]byte(header), body...), 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := OpenJournal(path, "scope", false)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		n := j.Len()
		if err := j.Record("new key", 42, record.Updated); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		j, err = OpenJournal(path, "scope", false)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer j.Close()
		if o, ok := j.Lookup("new key", 42); !ok || o != record.Updated {
			t.Fatalf("the appended entry is lost (body %q)", body)
		}
		if j.Len() < n {
			t.Fatalf("reopen lost entries: %d < %d", j.Len(), n)
		}
	})
}
