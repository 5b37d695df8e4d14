// Package export runs an export: it reads entities from a Reader (the
// paging source of sources/program, or any other) and writes a snapshot
// folder of Parquet, CSV or JSON lines files, atomically, with a manifest;
// or streams one table to standard output. An export is a run of the
// pipeline's engine (run.go); the snapshot is the run's Committer.
//
// Atomicity: every file is written under a hidden temp name in its final
// folder, fsynced, and renamed only once every table is complete; the
// manifest is renamed last and is the commit point. A failed or interrupted
// export removes its temp files and leaves the previous snapshot as it was.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

// Reader is what an export reads from: every record of an entity in order,
// or (for transactions with since set) those past a high-water mark.
// *sources/program.Source is one.
type Reader interface {
	Each(ctx context.Context, entity record.Entity, since *program.Since, yield func(record.Record) error) (program.Stats, error)
}

// Progress receives counts of rows written, from the export's one goroutine.
type Progress interface {
	Add(entity record.Entity, rows int64)
}

// Options configure a run.
type Options struct {
	// Entities to export, among partners, customers and transactions
	// (transactions also write the rewards table). With Stdout, exactly one
	// table, which may be rewards.
	Entities []record.Entity
	// Format is parquet, csv or jsonl. Empty means parquet, or with
	// SinceLast the previous snapshot's format.
	Format string
	// Dir is the snapshot folder; ignored when Stdout is set.
	Dir string
	// Stdout, when set, receives the one table as CSV or JSON lines and no
	// file or manifest is written.
	Stdout io.Writer
	// Partition is "none" or "daily" (Hive layout <entity>/dt=YYYY-MM-DD/).
	// Empty means none, or with SinceLast the previous snapshot's layout.
	Partition string
	// Sink configures the writers. With SinceLast an empty Compression is
	// the previous snapshot's.
	Sink sinks.Options
	// MaxRowsPerFile rolls a table over into numbered part files; 0 means
	// DefaultMaxRowsPerFile.
	MaxRowsPerFile int64
	// SinceLast exports only transactions past the previous manifest's
	// high-water mark, into files added beside the previous ones, in the
	// previous snapshot's format and layout (a different one given is a
	// *MismatchError). It sees transactions created after the mark: one
	// inserted later with an older created_at (a backfill, a migration)
	// appears only in a full export.
	SinceLast bool
	// Program is GET /test's program object, recorded in the manifest.
	Program json.RawMessage
	// APIStats, when set, is read at the end for the manifest.
	APIStats    func() APIStats
	ToolVersion string
	Progress    Progress
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Optional are tables whose endpoint may be missing from a program (the
	// other list endpoints when "all" chose them rather than the user): a
	// 403 or 404 on their first page leaves them out of the snapshot, noted
	// in the manifest, instead of failing the export.
	Optional []record.Entity
	// ReferralLinks says the partners carry their referral links (the
	// source fetched them, one request per partner): the export writes them
	// as the referral_links table, beside partners.
	ReferralLinks bool
}

// Partitions are the accepted values of Options.Partition.
var Partitions = []string{"none", "daily"}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// MismatchError is a --since-last run asked for a format or layout other
// than the snapshot it adds to: its files would not sit beside the others
// (flat files next to dt= folders, CSV among Parquet); or its API key is
// another program's (Setting "program").
type MismatchError struct {
	Setting, Given, Previous string
}

func (e *MismatchError) Error() string {
	if e.Setting == "program" {
		return fmt.Sprintf("--since-last adds to a snapshot of program %s, but the API key is program %s's: export into another folder", e.Previous, e.Given)
	}
	return fmt.Sprintf("--since-last adds to a snapshot with %s %q, not %q: leave --%s out, or make a full export into another folder",
		e.Setting, e.Previous, e.Given, e.Setting)
}

// inherit fills what a --since-last run left unset from the snapshot it
// adds to, and refuses a format or partition that differs from it.
func (o *Options) inherit(prev *Manifest) error {
	if prev == nil {
		return nil
	}
	if prev.Format != "" {
		if o.Format == "" {
			o.Format = prev.Format
		} else if o.Format != prev.Format {
			return &MismatchError{Setting: "format", Given: o.Format, Previous: prev.Format}
		}
	}
	if prev.Partition != "" {
		if o.Partition == "" {
			o.Partition = prev.Partition
		} else if o.Partition != prev.Partition {
			return &MismatchError{Setting: "partition", Given: o.Partition, Previous: prev.Partition}
		}
	}
	// Each file records its own codec: a different one given is fine.
	if o.Sink.Compression == "" && o.Format == prev.Format && prev.Compression != "" {
		o.Sink.Compression = prev.Compression
	}
	return nil
}

func (o *Options) validate() error {
	if o.Format == "" {
		o.Format = "parquet"
	}
	if !slices.Contains(sinks.Formats, o.Format) {
		return fmt.Errorf("unknown format %q: want parquet, csv or jsonl", o.Format)
	}
	if o.Partition == "" {
		o.Partition = "none"
	}
	if !slices.Contains(Partitions, o.Partition) {
		return fmt.Errorf("unknown partition %q: want none or daily", o.Partition)
	}
	if len(o.Entities) == 0 {
		return errors.New("nothing to export")
	}
	if o.Stdout != nil {
		if o.Format == "parquet" {
			return errors.New("parquet cannot stream to standard output: use --out DIR, or csv or jsonl")
		}
		if len(o.Entities) != 1 {
			return errors.New("standard output takes one table at a time")
		}
		if o.Partition != "none" || o.SinceLast {
			return errors.New("--partition and --since-last need an output folder")
		}
		return nil
	}
	for _, e := range o.Entities {
		if e == record.Rewards {
			return errors.New("rewards are written with transactions: export transactions")
		}
		if e == record.ReferralLinks {
			return errReferralLinksEntity
		}
	}
	if o.Dir == "" {
		return errors.New("no output folder")
	}
	return nil
}

// Run exports and returns the manifest it wrote (for Stdout, the one it
// would have written).
func Run(ctx context.Context, opts Options, src Reader) (m *Manifest, err error) {
	var prev *Manifest
	var st store
	if opts.Stdout == nil && opts.Dir != "" {
		if st, err = openStore(ctx, opts.Dir); err != nil {
			return nil, err
		}
		defer func() {
			if cerr := st.close(ctx, err != nil); err == nil {
				err = cerr
			}
		}()
	}
	if opts.SinceLast && st != nil {
		if prev, err = st.readManifest(ctx); err != nil {
			return nil, err
		}
		if err := opts.inherit(prev); err != nil {
			return nil, err
		}
		if err := sameProgram(prev, opts.Program); err != nil {
			return nil, err
		}
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	started := opts.now()
	m = &Manifest{
		ManifestVersion: ManifestVersion,
		SchemaVersion:   sinks.SchemaVersion,
		Tool:            "partnero-etl",
		ToolVersion:     opts.ToolVersion,
		Program:         opts.Program,
		StartedAt:       started,
		Format:          opts.Format,
		Partition:       opts.Partition,
		Entities:        map[record.Entity]*EntitySummary{},
	}
	if opts.Format == "parquet" {
		m.Compression, _ = sinks.ParseCompression(opts.Sink.Compression)
	}
	if opts.Stdout != nil {
		return m, runStdout(ctx, opts, src, m)
	}
	return m, runFolder(ctx, opts, st, src, m)
}

func (o *Options) progress(e record.Entity, n int64) {
	if o.Progress != nil {
		o.Progress.Add(e, n)
	}
}

func runStdout(ctx context.Context, opts Options, src Reader, m *Manifest) error {
	table := opts.Entities[0]
	read := table
	if table == record.Rewards {
		read = record.Transactions
	}
	sink, err := NewSink(opts.Format, opts.Stdout, table, opts.Sink)
	if err != nil {
		return err
	}
	s := &stdoutRun{opts: opts, m: m, table: table, sink: sink}
	err = runTables(ctx, src, []record.Entity{read}, s, s, nil)
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	m.FinishedAt = opts.now()
	if opts.APIStats != nil {
		m.API = opts.APIStats()
	}
	return err
}

// hwmTracker follows the newest creation time seen and the keys at it. A
// migration may backdate thousands of transactions to one second, so the
// keys are a set.
type hwmTracker struct {
	seen bool
	at   time.Time
	keys map[string]struct{}
}

func (h *hwmTracker) see(rec record.Record) {
	t := rec.Transaction
	if t == nil || t.CreatedAt == nil {
		return
	}
	at := t.CreatedAt.UTC()
	switch {
	case !h.seen || at.After(h.at):
		h.seen, h.at, h.keys = true, at, map[string]struct{}{t.Key: {}}
	case at.Equal(h.at):
		h.keys[t.Key] = struct{}{}
	}
}

// mark returns the high-water mark, nil when no transaction had a time.
func (h *hwmTracker) mark() *HighWaterMark {
	if !h.seen {
		return nil
	}
	keys := make([]string, 0, len(h.keys))
	for k := range h.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return &HighWaterMark{CreatedAt: h.at, Keys: keys}
}

func runFolder(ctx context.Context, opts Options, st store, src Reader, m *Manifest) error {
	if err := st.prepare(ctx); err != nil {
		return err
	}
	prev, err := st.readManifest(ctx)
	if err != nil && opts.SinceLast {
		return err
	}
	if err != nil {
		prev = nil // a damaged manifest is replaced by this full export's
	}

	var since *program.Since
	incremental := false
	if opts.SinceLast && slices.Contains(opts.Entities, record.Transactions) {
		if prev != nil && prev.Entities[record.Transactions] != nil && prev.Entities[record.Transactions].HighWaterMark != nil {
			h := prev.Entities[record.Transactions].HighWaterMark
			since = program.NewSince(h.CreatedAt, h.Keys)
			incremental = true
		}
		// Without a previous mark this is the first export: a full one.
	}
	tag := ""
	if incremental {
		// On disk an earlier increment's files may be there without a
		// manifest naming them; a bucket run writes under its own run id.
		dir := ""
		if ls, ok := st.(*localStore); ok {
			dir = ls.dir
		}
		if tag, err = freeTag(dir, prev, m.StartedAt.Format("20060102T150405Z")); err != nil {
			return err
		}
	}
	snap := newSnapshot(st, opts.Format, opts.Sink, opts.Partition == "daily", opts.MaxRowsPerFile, tag)
	for _, e := range opts.Entities {
		if incremental && e == record.Transactions {
			// An increment with nothing new writes no file: the manifest
			// records the run.
			continue
		}
		snap.declare(e)
		if e == record.Transactions {
			snap.declare(record.Rewards)
		}
		if e == record.Partners && opts.ReferralLinks {
			snap.declare(record.ReferralLinks)
		}
	}
	f := &folderRun{opts: opts, st: st, m: m, prev: prev, sinceMark: since, incremental: incremental, snap: snap,
		hwm: &hwmTracker{}, rewardsSum: &EntitySummary{ExportedAt: m.StartedAt}}
	return runTables(ctx, src, opts.Entities, f, &snapshotSink{f: f}, f)
}

// folderRun is the export of a snapshot into a folder or bucket: the
// tables' bookkeeping as the run goes from one to the next, and the
// commit that ends it.
type folderRun struct {
	opts        Options
	st          store
	m           *Manifest
	prev        *Manifest
	sinceMark   *program.Since
	incremental bool
	snap        *snapshot
	hwm         *hwmTracker
	rewardsSum  *EntitySummary
}

func (f *folderRun) since(e record.Entity) *program.Since {
	if e == record.Transactions {
		return f.sinceMark
	}
	return nil
}

func (f *folderRun) begin(e record.Entity) {
	sum := &EntitySummary{ExportedAt: f.m.StartedAt}
	if e == record.Transactions {
		sum.Incremental = f.incremental
	}
	f.m.Entities[e] = sum
}

func (f *folderRun) end(e record.Entity, stats program.Stats, err error) error {
	m, snap := f.m, f.snap
	sum := m.Entities[e]
	sum.Pages, sum.Shifted = stats.Pages, stats.Shifted
	if err != nil && slices.Contains(f.opts.Optional, e) && snap.dropUnavailable(e, err) {
		sum.Unavailable = err.Error()
		return nil
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", e, err)
	}
	if e == record.Transactions {
		sum.HighWaterMark = f.hwm.mark()
		if sum.HighWaterMark == nil && f.sinceMark != nil {
			// Nothing new: the mark stays where it was.
			sum.HighWaterMark = f.prev.Entities[record.Transactions].HighWaterMark
		}
		rw := f.rewardsSum
		rw.Rows, rw.Incremental = snap.table(record.Rewards).rows, f.incremental
		m.Entities[record.Rewards] = rw
	}
	if e == record.Partners && f.opts.ReferralLinks {
		m.Entities[record.ReferralLinks] = &EntitySummary{ExportedAt: m.StartedAt, Rows: snap.table(record.ReferralLinks).rows}
	}
	return nil
}

// Abort removes the snapshot's temporary files: the previous snapshot
// stays as it was.
func (f *folderRun) Abort() { f.snap.abort() }

// Commit renames the snapshot's files into place, writes the manifest (the
// commit point) and retires the files of the previous snapshot this one
// replaced.
func (f *folderRun) Commit(ctx context.Context) error {
	// The engine does not abort a run whose commit failed: from here on,
	// renamed files are the new snapshot.
	files, err := f.snap.commit(ctx)
	if err != nil {
		return err
	}
	m := f.m
	stale := f.listFiles(files)
	slices.SortStableFunc(m.Files, func(a, b FileEntry) int {
		if c := tableOrder(a.Entity) - tableOrder(b.Entity); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	m.FinishedAt = f.opts.now()
	if f.opts.APIStats != nil {
		m.API = f.opts.APIStats()
	}
	if err := f.st.writeManifest(ctx, m); err != nil {
		return err
	}
	// Files of the previous snapshot this one replaced without overwriting
	// (a table that rolled over before and fits one file now, a day that no
	// longer has rows) go only after the new manifest is in place.
	return f.st.retire(ctx, m, stale)
}

// listFiles puts the files this run wrote in the manifest, with those of
// the previous snapshot it keeps (the tables it did not export, the earlier
// increments), and returns the previous files it replaced.
func (f *folderRun) listFiles(files []committed) (stale []string) {
	opts, m, prev, incremental := f.opts, f.m, f.prev, f.incremental
	written := map[string]bool{}
	for _, c := range files {
		p := c.part
		entry := FileEntry{
			Path: c.path, Entity: p.entity, Format: opts.Format, Compression: m.Compression,
			Rows: p.rows, Bytes: c.bytes, SHA256: c.sha, Incremental: incremental && (p.entity == record.Transactions || p.entity == record.Rewards),
			Schema: Schema(p.entity, opts.Format), ExportedAt: m.StartedAt,
		}
		if opts.Partition == "daily" {
			entry.Partition = "dt=" + p.dt
		}
		m.Files = append(m.Files, entry)
		written[c.path] = true
	}
	replaced := map[record.Entity]bool{}
	for e := range m.Entities {
		replaced[e] = !(incremental && (e == record.Transactions || e == record.Rewards))
	}
	if prev != nil {
		for e, sum := range prev.Entities {
			if _, ok := m.Entities[e]; !ok {
				m.Entities[e] = sum
			}
		}
		for _, f := range prev.Files {
			switch {
			case written[f.Path]:
			case replaced[f.Entity]:
				stale = append(stale, f.Path)
			default:
				m.Files = append(m.Files, f) // carried over: still in the folder
			}
		}
	}
	if incremental {
		// The table's rows are the snapshot's: the files carried over and
		// the ones this run added (a reader of the manifest wants the
		// table, not the last increment).
		totals := map[record.Entity]int64{}
		for _, f := range m.Files {
			totals[f.Entity] += f.Rows
		}
		for _, e := range []record.Entity{record.Transactions, record.Rewards} {
			if sum := m.Entities[e]; sum != nil && sum.Incremental {
				sum.RowsAdded, sum.Rows = sum.Rows, totals[e]
			}
		}
	}
	return stale
}

func tableOrder(e record.Entity) int {
	all := sinks.AllTables()
	if i := slices.Index(all, e); i >= 0 {
		return i
	}
	return len(all)
}

// freeTag returns the name tag of an increment's files: its start to the
// second, with "-2", "-3"... when an earlier increment (in the manifest or
// only on disk) used it. Two increments in one second must not share file
// names: the second would replace the first's rows, which the moved
// high-water mark never exports again.
func freeTag(dir string, prev *Manifest, base string) (string, error) {
	used := func(tag string) bool {
		in := func(name string) bool {
			return strings.Contains(name, "-"+tag+".") || strings.Contains(name, "-"+tag+"-")
		}
		if prev != nil {
			for _, f := range prev.Files {
				if in(path.Base(f.Path)) {
					return true
				}
			}
		}
		if dir == "" {
			return false
		}
		found := false
		_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && in(d.Name()) {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		return found
	}
	tag := base
	for n := 2; used(tag); n++ {
		if n > 10000 {
			return "", fmt.Errorf("no free name for the increment's files in %s", dir)
		}
		tag = fmt.Sprintf("%s-%d", base, n)
	}
	return tag, nil
}

// sameProgram refuses a --since-last run into the snapshot of another
// program: its increment would sit beside another program's tables and the
// manifest would be rewritten to name this one.
func sameProgram(prev *Manifest, program json.RawMessage) error {
	if prev == nil {
		return nil
	}
	had, have := programID(prev.Program), programID(program)
	if had == "" || have == "" || had == have {
		return nil
	}
	return &MismatchError{Setting: "program", Given: have, Previous: had}
}

// programID is the public id of a GET /test program object ("" when not known).
func programID(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var p struct {
		PubID string `json:"pub_id"`
		ID    any    `json:"id"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return ""
	}
	if p.PubID != "" {
		return p.PubID
	}
	if p.ID != nil {
		return fmt.Sprint(p.ID)
	}
	return ""
}
