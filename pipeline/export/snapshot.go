package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	sinkcsv "github.com/partnero-etl/partnero-etl/sinks/csv"
	"github.com/partnero-etl/partnero-etl/sinks/jsonl"
	sinkparquet "github.com/partnero-etl/partnero-etl/sinks/parquet"
)

// NewSink builds the writer of a format ("parquet", "csv", "jsonl") for one table.
func NewSink(format string, w io.Writer, entity record.Entity, opts sinks.Options) (sinks.Sink, error) {
	switch format {
	case "parquet":
		return sinkparquet.New(w, entity, opts)
	case "csv":
		return sinkcsv.New(w, entity, opts)
	case "jsonl":
		return jsonl.New(w, entity, opts)
	}
	return nil, fmt.Errorf("unknown format %q: want parquet, csv or jsonl", format)
}

// DefaultMaxRowsPerFile is where a table rolls over into numbered part files.
const DefaultMaxRowsPerFile = 1_000_000

// maxOpenPartitions bounds the partition files open at once with
// --partition daily: records come roughly in date order, so an old
// partition that sees another record gets a new part file instead of a
// writer held open (and buffering a row group) for the whole run.
const maxOpenPartitions = 4

// defaultPartition is Hive's name for rows without a partition value.
const defaultPartition = "__HIVE_DEFAULT_PARTITION__"

// snapshot writes the tables of one export into files of its store (temp
// files in the target folder, or objects under the run's own prefix in a
// bucket) and, on commit, puts them all in place. Nothing is visible under
// a final name before commit; abort leaves the store as it was.
type snapshot struct {
	store     store
	format    string
	opts      sinks.Options
	partition bool
	maxRows   int64
	// tag goes into the names of an incremental export's files so they add
	// to the folder instead of replacing the full snapshot.
	tag    string
	tables map[record.Entity]*tableFiles
	order  []record.Entity
	clock  int64
}

type tableFiles struct {
	entity record.Entity
	// declared tables get a file even when they have no rows.
	declared bool
	open     map[string]*part // by partition ("" unpartitioned)
	closed   []*part
	next     map[string]int // next part index per partition
	rows     int64
}

type part struct {
	entity  record.Entity
	dt      string
	index   int
	file    storeFile
	sink    sinks.Sink
	rows    int64
	lastUse int64
}

func newSnapshot(st store, format string, opts sinks.Options, partition bool, maxRows int64, tag string) *snapshot {
	if maxRows <= 0 {
		maxRows = DefaultMaxRowsPerFile
	}
	if partition && opts.MaxRowsPerRowGroup == 0 {
		// Up to maxOpenPartitions writers per table buffer a row group
		// each: share the memory one unpartitioned writer would use.
		opts.MaxRowsPerRowGroup = sinks.DefaultRowGroupRows / maxOpenPartitions
	}
	return &snapshot{store: st, format: format, opts: opts, partition: partition, maxRows: maxRows, tag: tag,
		tables: make(map[record.Entity]*tableFiles)}
}

// declare registers a table so that it gets a file even when it has no rows
// (an empty table is still a table a warehouse loads).
func (s *snapshot) declare(e record.Entity) *tableFiles {
	t := s.table(e)
	t.declared = true
	return t
}

// table returns the files of a table, registering it on first use.
func (s *snapshot) table(e record.Entity) *tableFiles {
	t, ok := s.tables[e]
	if !ok {
		t = &tableFiles{entity: e, open: make(map[string]*part), next: make(map[string]int)}
		s.tables[e] = t
		s.order = append(s.order, e)
	}
	return t
}

func (s *snapshot) ext() string { return s.format }

// partitionOf returns the dt value of a record: the UTC day it was created.
func partitionOf(rec record.Record) string {
	switch {
	case rec.Partner != nil && rec.Partner.CreatedAt != nil:
		return rec.Partner.CreatedAt.UTC().Format("2006-01-02")
	case rec.Customer != nil && rec.Customer.CreatedAt != nil:
		return rec.Customer.CreatedAt.UTC().Format("2006-01-02")
	case rec.Transaction != nil && rec.Transaction.CreatedAt != nil:
		// rewards follow their transaction's day, so the two tables join
		// within a partition.
		return rec.Transaction.CreatedAt.UTC().Format("2006-01-02")
	}
	return listPartitionOf(rec)
}

func (s *snapshot) write(ctx context.Context, rec record.Record) error {
	t := s.table(rec.Entity)
	dt := ""
	if s.partition {
		dt = partitionOf(rec)
	}
	p := t.open[dt]
	if p == nil {
		var err error
		if p, err = s.openPart(ctx, t, dt); err != nil {
			return err
		}
	}
	s.clock++
	p.lastUse = s.clock
	if err := p.sink.Write(ctx, rec); err != nil {
		return fmt.Errorf("write %s: %w", rec.Entity, err)
	}
	p.rows++
	t.rows++
	if p.rows >= s.maxRows {
		return s.closePart(t, p)
	}
	return nil
}

func (s *snapshot) openPart(ctx context.Context, t *tableFiles, dt string) (*part, error) {
	if len(t.open) >= maxOpenPartitions {
		var oldest *part
		for _, p := range t.open {
			if oldest == nil || p.lastUse < oldest.lastUse {
				oldest = p
			}
		}
		if err := s.closePart(t, oldest); err != nil {
			return nil, err
		}
	}
	f, err := s.store.create(ctx, t.entity, dt, t.next[dt], s.ext())
	if err != nil {
		return nil, err
	}
	sink, err := NewSink(s.format, f, t.entity, s.opts)
	if err != nil {
		f.abort()
		return nil, err
	}
	p := &part{entity: t.entity, dt: dt, index: t.next[dt], file: f, sink: sink}
	t.next[dt]++
	t.open[dt] = p
	return p, nil
}

// closePart finishes a part's file (durable, still under its temp name).
func (s *snapshot) closePart(t *tableFiles, p *part) error {
	delete(t.open, p.dt)
	t.closed = append(t.closed, p)
	if err := p.sink.Close(); err != nil {
		return fmt.Errorf("finish %s file: %w", t.entity, err)
	}
	return p.file.finish()
}

// committed is a file of the snapshot in its final place.
type committed struct {
	part  *part
	path  string // relative to the snapshot's root, slash-separated
	bytes int64
	sha   string
}

// finalName decides a part's name once all parts of its table are known:
// a table in one file is "<entity>.<ext>", one that rolled over is numbered.
func (s *snapshot) finalName(p *part, parts int) string {
	tag := ""
	if s.tag != "" {
		tag = "-" + s.tag
	}
	if s.partition {
		return filepath.ToSlash(filepath.Join(string(p.entity), "dt="+p.dt, fmt.Sprintf("part%s-%05d.%s", tag, p.index, s.ext())))
	}
	if parts == 1 {
		return fmt.Sprintf("%s%s.%s", p.entity, tag, s.ext())
	}
	return fmt.Sprintf("%s%s-%05d.%s", p.entity, tag, p.index, s.ext())
}

// commit finishes every open file (empty declared tables included), then
// renames all of them into place. It runs to the end even if ctx is
// cancelled: the data is complete and durable by then, and the renames take
// milliseconds; stopping half way would mix two snapshots.
func (s *snapshot) commit(ctx context.Context) ([]committed, error) {
	for _, e := range s.order {
		t := s.tables[e]
		if len(t.closed) == 0 && len(t.open) == 0 && !s.partition && t.declared {
			if _, err := s.openPart(ctx, t, ""); err != nil {
				return nil, err
			}
		}
		for _, p := range sortedParts(t.open) {
			if err := s.closePart(t, p); err != nil {
				return nil, err
			}
		}
	}
	var out []committed
	for _, e := range s.order {
		t := s.tables[e]
		count := map[string]int{}
		for _, p := range t.closed {
			count[p.dt]++
		}
		slices.SortFunc(t.closed, func(a, b *part) int {
			if c := strings.Compare(a.dt, b.dt); c != 0 {
				return c
			}
			return a.index - b.index
		})
		for _, p := range t.closed {
			rel := s.finalName(p, count[p.dt])
			out = append(out, committed{part: p, path: rel, bytes: p.file.size(), sha: p.file.sum()})
		}
	}
	// Nothing but a regular file is ever replaced on disk (a device node
	// or a FIFO at an output's name is refused), checked for every file
	// before the first rename so that a refusal leaves the previous
	// snapshot whole.
	if ls, ok := s.store.(*localStore); ok {
		for _, c := range out {
			if err := atomicfile.CheckReplaceable(filepath.Join(ls.dir, filepath.FromSlash(c.path))); err != nil {
				return nil, err
			}
		}
	}
	for i := range out {
		path, err := out[i].part.file.commit(out[i].path)
		if err != nil {
			return out, err
		}
		out[i].path = path
	}
	return out, nil
}

func sortedParts(m map[string]*part) []*part {
	ps := make([]*part, 0, len(m))
	for _, p := range m {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *part) int { return strings.Compare(a.dt, b.dt) })
	return ps
}

// abort removes every temp file of the snapshot.
func (s *snapshot) abort() {
	for _, t := range s.tables {
		for _, p := range t.open {
			p.file.abort()
		}
		for _, p := range t.closed {
			p.file.abort()
		}
	}
}

// removeEmptyDirs removes dir and its parents up to stop while they are empty.
func removeEmptyDirs(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop) {
		if err := os.Remove(dir); err != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
