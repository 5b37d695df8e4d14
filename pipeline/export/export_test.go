package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

// fakeReader yields fixed records and remembers what it was asked.
type fakeReader struct {
	recs      map[record.Entity][]record.Record
	failAfter int // fail after this many records of any entity (0 = never)
	since     *program.Since
	cancel    context.CancelFunc
}

func (f *fakeReader) Each(ctx context.Context, e record.Entity, since *program.Since, yield func(record.Record) error) (program.Stats, error) {
	if e == record.Transactions {
		f.since = since
	}
	for i, r := range f.recs[e] {
		if f.failAfter > 0 && i == f.failAfter {
			if f.cancel != nil {
				f.cancel()
				return program.Stats{}, ctx.Err()
			}
			return program.Stats{}, errors.New("page 2: server error after retries")
		}
		if err := yield(r); err != nil {
			return program.Stats{}, err
		}
	}
	return program.Stats{Pages: 1, Shifted: 1}, nil
}

func tx(key, at, amount string) record.Record {
	t, _ := partnero.ParseTime(at)
	a := partnero.MustDecimal(amount)
	r := partnero.MustDecimal("29.997")
	return record.Record{Entity: record.Transactions, Transaction: &partnero.Transaction{
		Key: key, Amount: &a, CreatedAt: &partnero.Time{Time: t}, Customer: partnero.CustomerRef{Key: "c1"},
		Rewards: []partnero.Reward{{Key: "r-" + key, Amount: &r}},
	}}
}

func partner(id, at string) record.Record {
	t, _ := partnero.ParseTime(at)
	return record.Record{Entity: record.Partners, Partner: &partnero.Partner{ID: partnero.ID(id), Email: id + "@x.test", CreatedAt: &partnero.Time{Time: t}}}
}

func fixture() *fakeReader {
	return &fakeReader{recs: map[record.Entity][]record.Record{
		record.Partners: {partner("p1", "2025-01-01T10:00:00Z"), partner("p2", "2025-01-02T10:00:00Z")},
		record.Transactions: {
			tx("t1", "2025-01-01T10:00:00Z", "10"), tx("t2", "2025-01-02T10:00:00Z", "20"),
			tx("t3", "2025-01-03T10:00:00Z", "30"), tx("t4", "2025-01-03T10:00:00Z", "40"),
		},
	}}
}

func clock() func() time.Time {
	t := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func baseOpts(dir, format string) Options {
	return Options{Dir: dir, Format: format, Entities: []record.Entity{record.Partners, record.Customers, record.Transactions},
		ToolVersion: "test", Now: clock(), Program: []byte(`{"pub_id":"prog1"}`)}
}

// listDir returns every file under dir, relative, with its content hash.
func listDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			b, _ := os.ReadFile(path)
			rel, _ := filepath.Rel(dir, path)
			sum := sha256.Sum256(b)
			out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		}
		return nil
	})
	return out
}

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestFullExportEveryFormat(t *testing.T) {
	for _, format := range sinks.Formats {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Run(t.Context(), baseOpts(dir, format), fixture())
			if err != nil {
				t.Fatal(err)
			}
			files := listDir(t, dir)
			want := []string{"customers." + format, "manifest.json", "partners." + format, "rewards." + format, "transactions." + format}
			if got := keysOf(files); !slices.Equal(got, want) {
				t.Fatalf("files %v, want %v", got, want)
			}
			rows := map[record.Entity]int64{}
			for _, f := range m.Files {
				if files[f.Path] != f.SHA256 {
					t.Errorf("%s: manifest sha256 %s, file %s", f.Path, f.SHA256, files[f.Path])
				}
				st, _ := os.Stat(filepath.Join(dir, f.Path))
				if st.Size() != f.Bytes {
					t.Errorf("%s: manifest bytes %d, file %d", f.Path, f.Bytes, st.Size())
				}
				if len(f.Schema) == 0 || f.Format != format {
					t.Errorf("%s: schema %v format %s", f.Path, f.Schema, f.Format)
				}
				rows[f.Entity] = f.Rows
			}
			wantRows := map[record.Entity]int64{record.Partners: 2, record.Customers: 0, record.Transactions: 4, record.Rewards: 4}
			for e, n := range wantRows {
				if rows[e] != n || m.Entities[e].Rows != n {
					t.Errorf("%s: file rows %d, summary %d, want %d", e, rows[e], m.Entities[e].Rows, n)
				}
			}
			hwm := m.Entities[record.Transactions].HighWaterMark
			if hwm == nil || !hwm.CreatedAt.Equal(time.Date(2025, 1, 3, 10, 0, 0, 0, time.UTC)) || !slices.Equal(hwm.Keys, []string{"t3", "t4"}) {
				t.Errorf("high-water mark %+v", hwm)
			}
			read, err := ReadManifest(dir)
			if err != nil || read == nil {
				t.Fatalf("manifest read back: %v", err)
			}
			var prog bytes.Buffer
			json.Compact(&prog, read.Program)
			if prog.String() != `{"pub_id":"prog1"}` || read.Entities[record.Partners].Shifted != 1 || len(read.Files) != 4 {
				t.Errorf("manifest read back: program %s, entities %v, %d files", prog.String(), read.Entities, len(read.Files))
			}
		})
	}
}

func TestFailedExportLeavesPreviousSnapshot(t *testing.T) {
	for _, how := range []string{"error", "interrupt"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Run(t.Context(), baseOpts(dir, "parquet"), fixture()); err != nil {
				t.Fatal(err)
			}
			before := listDir(t, dir)
			f := fixture()
			f.failAfter = 3
			ctx := t.Context()
			if how == "interrupt" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				f.cancel = cancel
			}
			_, err := Run(ctx, baseOpts(dir, "parquet"), f)
			if err == nil {
				t.Fatal("a failing export succeeded")
			}
			after := listDir(t, dir)
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Errorf("the folder changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestRolloverAndStaleFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	opts := baseOpts(dir, "csv")
	opts.MaxRowsPerFile = 3
	if _, err := Run(t.Context(), opts, fixture()); err != nil {
		t.Fatal(err)
	}
	got := keysOf(listDir(t, dir))
	for _, want := range []string{"transactions-00000.csv", "transactions-00001.csv", "rewards-00000.csv", "partners.csv"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s in %v", want, got)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "transactions-00001.csv"))
	if lines := strings.Count(string(b), "\n"); lines != 2 {
		t.Errorf("second part has %d lines, want header + 1", lines)
	}
	// The next snapshot fits one file: the numbered parts must go.
	opts = baseOpts(dir, "csv")
	if _, err := Run(t.Context(), opts, fixture()); err != nil {
		t.Fatal(err)
	}
	got = keysOf(listDir(t, dir))
	want := []string{"customers.csv", "manifest.json", "partners.csv", "rewards.csv", "transactions.csv"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestPartitionDaily(t *testing.T) {
	dir := t.TempDir()
	opts := baseOpts(dir, "parquet")
	opts.Entities = []record.Entity{record.Transactions}
	opts.Partition = "daily"
	m, err := Run(t.Context(), opts, fixture())
	if err != nil {
		t.Fatal(err)
	}
	got := keysOf(listDir(t, dir))
	want := []string{
		"manifest.json",
		"rewards/dt=2025-01-01/part-00000.parquet", "rewards/dt=2025-01-02/part-00000.parquet", "rewards/dt=2025-01-03/part-00000.parquet",
		"transactions/dt=2025-01-01/part-00000.parquet", "transactions/dt=2025-01-02/part-00000.parquet", "transactions/dt=2025-01-03/part-00000.parquet",
	}
	if !slices.Equal(got, want) {
		t.Errorf("files\n%v\nwant\n%v", got, want)
	}
	for _, f := range m.Files {
		if !strings.Contains(f.Path, f.Partition+"/") {
			t.Errorf("%s has partition %q", f.Path, f.Partition)
		}
	}
}

func TestPartitionKeepsFewWritersOpen(t *testing.T) {
	dir := t.TempDir()
	var recs []record.Record
	// Days out of order: more days than writers kept open.
	for i, day := range []int{1, 2, 3, 4, 5, 6, 1, 7} {
		recs = append(recs, tx(fmt.Sprint("t", i), fmt.Sprintf("2025-01-%02dT00:00:00Z", day), "1"))
	}
	opts := baseOpts(dir, "csv")
	opts.Entities = []record.Entity{record.Transactions}
	opts.Partition = "daily"
	if _, err := Run(t.Context(), opts, &fakeReader{recs: map[record.Entity][]record.Record{record.Transactions: recs}}); err != nil {
		t.Fatal(err)
	}
	files := keysOf(listDir(t, dir))
	for _, want := range []string{"transactions/dt=2025-01-01/part-00000.csv", "transactions/dt=2025-01-01/part-00001.csv"} {
		if !slices.Contains(files, want) {
			t.Errorf("no %s in %v", want, files)
		}
	}
}

func TestSinceLast(t *testing.T) {
	dir := t.TempDir()
	opts := baseOpts(dir, "parquet")
	opts.SinceLast = true // no previous manifest: a full export
	m1, err := Run(t.Context(), opts, fixture())
	if err != nil {
		t.Fatal(err)
	}
	if m1.Entities[record.Transactions].Incremental {
		t.Error("the first --since-last run should be a full export")
	}
	// Second run: the reader gets the mark and yields one newer transaction.
	f := &fakeReader{recs: map[record.Entity][]record.Record{record.Transactions: {tx("t5", "2025-01-04T00:00:00Z", "50")}}}
	opts = baseOpts(dir, "parquet")
	opts.Entities = []record.Entity{record.Transactions}
	opts.SinceLast = true
	m2, err := Run(t.Context(), opts, f)
	if err != nil {
		t.Fatal(err)
	}
	if f.since == nil || !f.since.CreatedAt.Equal(time.Date(2025, 1, 3, 10, 0, 0, 0, time.UTC)) || !slices.Equal(f.since.Keys(), []string{"t3", "t4"}) {
		t.Errorf("reader got since %+v", f.since)
	}
	files := keysOf(listDir(t, dir))
	if !slices.Contains(files, "transactions.parquet") || !slices.Contains(files, "partners.parquet") {
		t.Errorf("the full snapshot's files are gone: %v", files)
	}
	var inc []string
	for _, fe := range m2.Files {
		if fe.Incremental {
			inc = append(inc, fe.Path)
		}
	}
	if len(inc) != 2 || !strings.HasPrefix(inc[0], "transactions-2026") && !strings.HasPrefix(inc[0], "rewards-2026") {
		t.Errorf("incremental files %v", inc)
	}
	if len(m2.Files) != 6 {
		t.Errorf("manifest lists %d files, want the 4 carried and the 2 new", len(m2.Files))
	}
	if h := m2.Entities[record.Transactions].HighWaterMark; h == nil || !slices.Equal(h.Keys, []string{"t5"}) {
		t.Errorf("new mark %+v", h)
	}
	// Third run with nothing new keeps the mark.
	opts.Now = clock()
	m3, err := Run(t.Context(), opts, &fakeReader{})
	if err != nil {
		t.Fatal(err)
	}
	if h := m3.Entities[record.Transactions].HighWaterMark; h == nil || !slices.Equal(h.Keys, []string{"t5"}) {
		t.Errorf("mark after an empty increment %+v", h)
	}
}

// TestSinceLastKeepsTheSnapshotsLayout: an increment without --partition
// or --format adds to a daily Parquet snapshot in its layout (dt= folders,
// never flat files beside them), keeps the manifest's partition, and
// refuses a layout or format that differs; an increment with nothing new
// writes no file, only the manifest that records the run.
func TestSinceLastKeepsTheSnapshotsLayout(t *testing.T) {
	dir := t.TempDir()
	opts := baseOpts(dir, "parquet")
	opts.Entities = []record.Entity{record.Transactions}
	opts.Partition = "daily"
	opts.Sink.Compression = "snappy"
	if _, err := Run(t.Context(), opts, fixture()); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, dir)

	inc := Options{Dir: dir, Entities: []record.Entity{record.Transactions}, SinceLast: true, Now: clock()}
	for _, bad := range []Options{{Partition: "none"}, {Format: "csv"}} {
		o := inc
		o.Partition, o.Format = bad.Partition, bad.Format
		var mismatch *MismatchError
		if _, err := Run(t.Context(), o, &fakeReader{}); !errors.As(err, &mismatch) {
			t.Errorf("partition %q format %q: err = %v, want a MismatchError", bad.Partition, bad.Format, err)
		}
	}
	if after := listDir(t, dir); !maps.Equal(after, before) {
		t.Errorf("a refused run changed the folder: %v", keysOf(after))
	}

	// Nothing new: no file, the manifest records the run.
	m, err := Run(t.Context(), inc, &fakeReader{})
	if err != nil {
		t.Fatal(err)
	}
	after := listDir(t, dir)
	delete(after, ManifestName)
	delete(before, ManifestName)
	if !maps.Equal(after, before) {
		t.Errorf("an increment with nothing new wrote files: %v", keysOf(after))
	}
	if m.Partition != "daily" || m.Format != "parquet" || m.Compression != "snappy" || m.Entities[record.Transactions].Rows != 4 || m.Entities[record.Transactions].RowsAdded != 0 || !m.Entities[record.Transactions].Incremental {
		t.Errorf("manifest partition %q format %q compression %q, transactions %+v", m.Partition, m.Format, m.Compression, m.Entities[record.Transactions])
	}
	if len(m.Files) != 6 {
		t.Errorf("manifest lists %d files, want the 6 of the snapshot", len(m.Files))
	}

	// Something new: it goes into the day's folder.
	f := &fakeReader{recs: map[record.Entity][]record.Record{record.Transactions: {tx("t5", "2025-01-04T00:00:00Z", "50")}}}
	if m, err = Run(t.Context(), inc, f); err != nil {
		t.Fatal(err)
	}
	for _, p := range keysOf(listDir(t, dir)) {
		if p != ManifestName && !strings.HasPrefix(p, "transactions/dt=") && !strings.HasPrefix(p, "rewards/dt=") {
			t.Errorf("%s is outside the partition layout", p)
		}
	}
	var added []string
	for _, fe := range m.Files {
		if fe.Incremental {
			added = append(added, fe.Path)
			if fe.Partition != "dt=2025-01-04" || fe.Compression != "snappy" {
				t.Errorf("%s: partition %q compression %q", fe.Path, fe.Partition, fe.Compression)
			}
		}
	}
	if len(added) != 2 || m.Partition != "daily" {
		t.Errorf("added %v, manifest partition %q", added, m.Partition)
	}
}

func TestStdout(t *testing.T) {
	for _, tt := range []struct {
		entity record.Entity
		format string
		want   string
	}{
		{record.Transactions, "csv", "t4,"},
		{record.Rewards, "jsonl", `{"transaction_key":"t4"`},
	} {
		var buf bytes.Buffer
		opts := Options{Stdout: &buf, Format: tt.format, Entities: []record.Entity{tt.entity}}
		m, err := Run(t.Context(), opts, fixture())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), tt.want) || m.Entities[tt.entity].Rows != 4 {
			t.Errorf("%s %s: rows %d output %q", tt.entity, tt.format, m.Entities[tt.entity].Rows, buf.String())
		}
	}
}

func TestValidate(t *testing.T) {
	var buf bytes.Buffer
	tests := []Options{
		{Stdout: &buf, Format: "parquet", Entities: []record.Entity{record.Partners}},
		{Stdout: &buf, Format: "csv", Entities: []record.Entity{record.Partners, record.Customers}},
		{Dir: "x", Format: "xml", Entities: []record.Entity{record.Partners}},
		{Dir: "x", Format: "csv", Partition: "hourly", Entities: []record.Entity{record.Partners}},
		{Dir: "x", Format: "csv", Entities: []record.Entity{record.Rewards}},
		{Dir: "x", Format: "csv"},
	}
	for i, o := range tests {
		if _, err := Run(t.Context(), o, fixture()); err == nil {
			t.Errorf("case %d: accepted", i)
		}
	}
}

func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".transactions-123"+tmpSuffix)
	if err := os.WriteFile(stale, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(t.Context(), baseOpts(dir, "jsonl"), fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
}

func TestHighWaterMarkManyAtOneInstant(t *testing.T) {
	var h hwmTracker
	if h.mark() != nil {
		t.Error("a mark before any transaction")
	}
	for i := range 10_000 {
		h.see(tx(fmt.Sprint("k", i%5000), "2025-01-01T00:00:00Z", "1")) // a backdated batch, keys repeated
	}
	h.see(record.Record{Transaction: &partnero.Transaction{Key: "no-time"}})
	h.see(tx("old", "2024-12-31T00:00:00Z", "1"))
	m := h.mark()
	if len(m.Keys) != 5000 || !slices.IsSorted(m.Keys) {
		t.Errorf("%d keys at the mark, want 5000 sorted", len(m.Keys))
	}
	h.see(tx("newer", "2025-01-02T00:00:00Z", "1"))
	if m := h.mark(); !slices.Equal(m.Keys, []string{"newer"}) {
		t.Errorf("keys %v", m.Keys)
	}
}

// fileRows sums the rows the manifest lists per table, and checks every
// listed file is in the folder.
func fileRows(t *testing.T, dir string, m *Manifest) map[record.Entity]int64 {
	t.Helper()
	out := map[record.Entity]int64{}
	for _, f := range m.Files {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			t.Errorf("the manifest lists %s: %v", f.Path, err)
		}
		out[f.Entity] += f.Rows
	}
	return out
}

// Two --since-last runs in one second (the clock stands still here) each
// add their own files: the second never overwrites the first, whose rows
// the moved high-water mark would never export again. The manifest's table
// rows are the snapshot's totals, the increment is rows_added.
func TestSinceLastTwiceInOneSecond(t *testing.T) {
	for _, partition := range []string{"none", "daily"} {
		t.Run(partition, func(t *testing.T) {
			dir := t.TempDir()
			frozen := func() time.Time { return time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC) }
			opts := baseOpts(dir, "parquet")
			opts.Partition = partition
			opts.Now = frozen
			if _, err := Run(t.Context(), opts, fixture()); err != nil {
				t.Fatal(err)
			}
			inc := Options{Dir: dir, Entities: []record.Entity{record.Transactions}, SinceLast: true, Now: frozen, Program: opts.Program}
			var m *Manifest
			for i, key := range []string{"t5", "t6"} {
				f := &fakeReader{recs: map[record.Entity][]record.Record{record.Transactions: {tx(key, fmt.Sprintf("2025-01-04T0%d:00:00Z", i), "50")}}}
				var err error
				if m, err = Run(t.Context(), inc, f); err != nil {
					t.Fatalf("increment %s: %v", key, err)
				}
			}
			rows := fileRows(t, dir, m)
			if rows[record.Transactions] != 6 || rows[record.Rewards] != 6 {
				t.Errorf("the folder's files hold %v, want 6 transactions and 6 rewards", rows)
			}
			for _, e := range []record.Entity{record.Transactions, record.Rewards} {
				if s := m.Entities[e]; s.Rows != 6 || s.RowsAdded != 1 {
					t.Errorf("%s: manifest rows %d (added %d), want the total 6 (added 1)", e, s.Rows, s.RowsAdded)
				}
			}
			if s := m.Entities[record.Partners]; s.Rows != 2 {
				t.Errorf("partners: %d rows, want 2", s.Rows)
			}
		})
	}
}

// --since-last adds only to a snapshot of the same program: into another
// program's folder it is refused and changes nothing.
func TestSinceLastRefusesAnotherProgram(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(t.Context(), baseOpts(dir, "parquet"), fixture()); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, dir)
	inc := Options{Dir: dir, Entities: []record.Entity{record.Transactions}, SinceLast: true, Now: clock(),
		Program: []byte(`{"pub_id":"other","name":"Another program"}`)}
	f := &fakeReader{recs: map[record.Entity][]record.Record{record.Transactions: {tx("t5", "2025-01-04T00:00:00Z", "50")}}}
	_, err := Run(t.Context(), inc, f)
	if err == nil || !strings.Contains(err.Error(), "prog1") || !strings.Contains(err.Error(), "other") {
		t.Fatalf("err = %v, want a refusal naming both programs", err)
	}
	if after := listDir(t, dir); !maps.Equal(after, before) {
		t.Errorf("a refused run changed the folder: %v", keysOf(after))
	}
}

// An export never renames over what is not a regular file: a FIFO (standing
// for a device node) at an output's name is refused and left as it was.
func TestExportNeverReplacesANonFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "partners.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	opts := baseOpts(dir, "csv")
	if _, err := Run(t.Context(), opts, fixture()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", fi, err)
	}
}

// One export at a time per folder: a second one (a cron run overlapping
// the last) is refused before it touches anything, so it cannot remove the
// first's temporary files, reuse its increment's names or drop its files
// from the manifest.
func TestConcurrentExportIntoOneFolderRefused(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(t.Context(), baseOpts(dir, "csv"), fixture()); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockFolder(dir) // the first export, still running
	if err != nil {
		t.Fatal(err)
	}
	inflight := filepath.Join(dir, ".transactions-123"+tmpSuffix)
	os.WriteFile(inflight, []byte("rows"), 0o600)
	before := listDir(t, dir)
	inc := Options{Dir: dir, Entities: []record.Entity{record.Transactions}, SinceLast: true, Now: clock()}
	var inUse *FolderInUseError
	if _, err := Run(t.Context(), inc, &fakeReader{}); !errors.As(err, &inUse) {
		t.Fatalf("err = %v, want a FolderInUseError", err)
	}
	if after := listDir(t, dir); !maps.Equal(after, before) {
		t.Errorf("the refused run changed the folder: %v", keysOf(after))
	}
	unlock()
	os.Remove(inflight)
	if _, err := Run(t.Context(), inc, &fakeReader{}); err != nil {
		t.Fatalf("after the first export ended: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, lockName)); err == nil {
		t.Error("the lock file was left in the folder")
	}
}
