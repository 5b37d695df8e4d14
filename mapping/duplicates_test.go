package mapping

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

func keyedTransaction(key string, line int64) record.Record {
	return record.Record{Entity: record.Transactions, Origin: record.Origin{File: "in.csv", Line: line}, Transaction: &partnero.Transaction{Key: key}}
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	d := NewDuplicates(record.Transactions)
	if err := d.Check(keyedTransaction("ch_1", 12)); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(keyedTransaction("ch_2", 13)); err != nil {
		t.Fatal(err)
	}
	err := d.Check(keyedTransaction("ch_1", 40))
	if err == nil || err.Code != record.CodeDuplicate || err.Origin.Line != 40 || !strings.Contains(err.Message, "duplicate of line 12") || err.Field != "key" {
		t.Fatalf("duplicate: %#v", err)
	}
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2", d.Len())
	}
}

func TestDuplicatePartners(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Partners, nil)
	d := NewDuplicates(record.Partners)
	rows := csvRows("email|key|source_id",
		"a@b.io|ann|1",
		"A@B.io |other|2", // same email after normalising
		"c@b.io|ann|3",    // referral key collision
		"d@b.io|dee|1",    // same source id
		"e@b.io|eve|5",
	)
	want := []string{"", "email", "key", "source_id", ""}
	for i, r := range rows {
		res := m.Map(r)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		err := d.Check(res.Record)
		switch {
		case want[i] == "" && err != nil:
			t.Errorf("line %d: unexpected %v", r.Origin.Line, err)
		case want[i] != "" && (err == nil || err.Field != want[i] || !strings.Contains(err.Message, "duplicate of line 2")):
			t.Errorf("line %d: got %v, want a duplicate %s of line 2", r.Origin.Line, err, want[i])
		}
	}
}

// A transaction is identified by its key alone: two transactions sharing a
// source id (two commissions of one sale, say) are not duplicates unless
// their keys are.
func TestDuplicateTransactionsByKeyOnly(t *testing.T) {
	t.Parallel()
	d := NewDuplicates(record.Transactions)
	tx := func(line int64, key, source string) record.Record {
		return record.Record{
			Entity:      record.Transactions,
			Origin:      record.Origin{File: "t.csv", Line: line},
			Transaction: &partnero.Transaction{Key: key},
			SourceID:    source,
		}
	}
	if err := d.Check(tx(2, "k1", "s1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(tx(3, "k2", "s1")); err != nil {
		t.Errorf("same source id, other key: %v", err)
	}
	if err := d.Check(tx(4, "k1", "s9")); err == nil || err.Field != "key" || !strings.Contains(err.Message, "line 2") {
		t.Errorf("same key: got %v, want a duplicate key of line 2", err)
	}
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2 (keys only)", d.Len())
	}
}

// recordsFrom turns bytes into a sequence of records with identities drawn
// from small alphabets, so that duplicates, chains of them (a row rejected
// for one identity does not claim its others) and the same string as two
// kinds of identity are all frequent.
func recordsFrom(entity record.Entity, data []byte) []record.Record {
	var recs []record.Record
	pick := func(b byte, prefix string) string {
		if b%5 == 0 {
			return ""
		}
		return fmt.Sprintf("%s%d", prefix, b%23)
	}
	for i := 0; i+3 < len(data); i += 4 {
		line := int64(len(recs) + 2)
		rec := record.Record{Entity: entity, Origin: record.Origin{File: "in", Line: line}}
		switch entity {
		case record.Partners:
			rec.Partner = &partnero.Partner{ID: partnero.ID(pick(data[i], "x")), Email: pick(data[i+1], "x"), Key: pick(data[i+2], "x")}
			rec.SourceID = pick(data[i+3], "x")
		case record.Customers:
			rec.Customer = &partnero.Customer{Key: pick(data[i], "c")}
			rec.SourceID = pick(data[i+1], "c")
		default:
			rec.Transaction = &partnero.Transaction{Key: pick(data[i], "t") + pick(data[i+1], "")}
			rec.SourceID = pick(data[i+2], "t")
		}
		recs = append(recs, rec)
	}
	return recs
}

// sameAnswers checks every record against the reference index and a
// Duplicates whose table holds maxSlots slots, by Check and, on another,
// by CheckBatch in batches of random sizes, and reports the first
// difference.
func sameAnswers(t *testing.T, entity record.Entity, recs []record.Record, maxSlots int) *Duplicates {
	t.Helper()
	ref := newRefDuplicates()
	want := make([]*record.RowError, len(recs))
	for i, rec := range recs {
		want[i] = ref.Check(rec)
	}
	d := newDuplicates(entity, maxSlots)
	t.Cleanup(func() { _ = d.Close() })
	got := make([]*record.RowError, len(recs))
	for i, rec := range recs {
		got[i] = d.Check(rec)
	}
	batched := newDuplicates(entity, maxSlots)
	t.Cleanup(func() { _ = batched.Close() })
	gotBatched := make([]*record.RowError, len(recs))
	rng := rand.New(rand.NewPCG(uint64(len(recs)), 7))
	for i := 0; i < len(recs); {
		n := min(len(recs)-i, 1+rng.IntN(300))
		batched.CheckBatch(recs[i:i+n], gotBatched[i:i+n])
		i += n
	}
	for _, run := range []struct {
		how string
		got []*record.RowError
	}{{"Check", got}, {"CheckBatch", gotBatched}} {
		for i, rec := range recs {
			w, g := want[i], run.got[i]
			if (w == nil) != (g == nil) || (w != nil && *w != *g) {
				t.Fatalf("%s, line %d (%+v %+v %+v source %q): got %v, want %v", run.how,
					rec.Origin.Line, rec.Partner, rec.Customer, rec.Transaction, rec.SourceID, g, w)
			}
		}
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if err := batched.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// The bounded index reports exactly the duplicates, and the first lines,
// of an index held wholly in memory, however often it spills.
func TestDuplicatesEqualInMemoryIndex(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, entity := range []record.Entity{record.Partners, record.Customers, record.Transactions} {
		for _, maxSlots := range []int{16, 64, 1 << 10, defaultMaxSlots} {
			for range 20 {
				data := make([]byte, 4*(1+rng.IntN(3000)))
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				sameAnswers(t, entity, recordsFrom(entity, data), maxSlots)
			}
		}
	}
}

// Many distinct identities through a small table: most of them spilled and
// merged, the duplicates of spilled ones still found with their first line.
func TestDuplicatesSpilled(t *testing.T) {
	t.Parallel()
	const n = 50_000
	var recs []record.Record
	for i := range n {
		recs = append(recs, keyedTransaction(fmt.Sprintf("ch_%d", i), int64(i+2)))
	}
	for i := 0; i < n; i += 997 {
		recs = append(recs, keyedTransaction(fmt.Sprintf("ch_%d", i), int64(n+i+2)))
	}
	d := sameAnswers(t, record.Transactions, recs, 1<<10)
	if len(d.runs) == 0 || d.runs[0].level < 2 || len(d.runs) > 3*(d.runs[0].level+1) {
		t.Errorf("%d runs, the first of level %d: want runs merged twice over, at most 3 a level", len(d.runs), d.runs[0].level)
	}
	if d.Len() != n {
		t.Errorf("Len = %d, want %d", d.Len(), n)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func FuzzDuplicates(f *testing.F) {
	f.Add(uint8(0), []byte("abcdabcdabcdaaaa\x00\x01\x02\x03"))
	f.Add(uint8(1), []byte("0000111122223333000011112222"))
	f.Add(uint8(2), []byte("zzzzzzzzyyyyzzzz"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		entity := []record.Entity{record.Partners, record.Customers, record.Transactions}[kind%3]
		sameAnswers(t, entity, recordsFrom(entity, data), 16)
	})
}

// The spill's sort: nearly sorted input by insertion, anything else past
// the budget by the general sort; both end sorted with every entry kept.
func TestSortNearlySorted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shuffle := range []int{0, 3, 1000} {
		entries := make([]dupSlot, 5000)
		for i := range entries {
			entries[i] = dupSlot{hash: uint64(i+1) * 7919, line: int64(i)}
		}
		for range shuffle {
			i, j := rng.IntN(len(entries)), rng.IntN(len(entries))
			entries[i], entries[j] = entries[j], entries[i]
		}
		sortNearlySorted(entries)
		for i, e := range entries {
			if e.hash != uint64(i+1)*7919 || e.line != int64(i) {
				t.Fatalf("shuffle %d: entry %d is %+v", shuffle, i, e)
			}
		}
	}
}

// The spilled runs leave nothing in the temporary folder, during the run
// (removed as soon as made, where the system allows it) or after Close.
func TestDuplicatesLeaveNoFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	d := newDuplicates(record.Transactions, 64)
	for i := range 5000 {
		if err := d.Check(keyedTransaction(fmt.Sprint("k", i), int64(i+2))); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.runs) == 0 {
		t.Fatal("nothing spilled")
	}
	if err := d.Check(keyedTransaction("k7", 9000)); err == nil || !strings.Contains(err.Message, "duplicate of line 9") {
		t.Fatalf("k7 again: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}
}

// When no temporary file can be made, the index keeps growing in memory and
// its answers stay the same.
func TestDuplicatesWithoutTempFolder(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 4*5000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, entity := range []record.Entity{record.Partners, record.Transactions} {
		d := sameAnswers(t, entity, recordsFrom(entity, data), 16)
		if len(d.runs) != 0 || !d.noSpill {
			t.Errorf("%s: %d runs, noSpill %v: want all in memory", entity, len(d.runs), d.noSpill)
		}
	}
}

// A spilled run that cannot be read back is no licence to pass rows: every
// row from then on is rejected, and Err says why.
func TestDuplicatesUnreadableRun(t *testing.T) {
	t.Parallel()
	d := newDuplicates(record.Transactions, 64)
	t.Cleanup(func() { _ = d.Close() })
	for i := range 1000 {
		if err := d.Check(keyedTransaction(fmt.Sprint("k", i), int64(i+2))); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range d.runs {
		_ = r.f.Close()
	}
	err := d.Check(keyedTransaction("k1", 5000)) // in a run: its filter says so
	if err == nil || !strings.Contains(err.Message, "cannot check for duplicates") {
		t.Fatalf("k1 with its run unreadable: %v", err)
	}
	if err := d.Check(keyedTransaction("new", 5001)); err == nil {
		t.Error("a row passed after the index failed")
	}
	if d.Err() == nil {
		t.Error("Err() is nil")
	}
}
