package export

import (
	"context"
	"errors"
	"fmt"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// FileSink writes the records of one table into one file of a format, for
// the engine (a record.Sink written inline) and as its committer: nothing is
// at the path until Commit, and Abort leaves what was there before. A
// record the format cannot hold is rejected, not fatal.
type FileSink struct {
	file *atomicfile.File
	sink sinks.Sink
}

// NewFileSink starts writing path in format ("parquet", "csv", "jsonl").
func NewFileSink(path, format string, entity record.Entity, opts sinks.Options) (*FileSink, error) {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, err
	}
	s, err := NewSink(format, f, entity, opts)
	if err != nil {
		f.Abort()
		return nil, err
	}
	return &FileSink{file: f, sink: s}, nil
}

// Partition keeps one order: the file's rows are in input order.
func (s *FileSink) Partition(record.Record) string { return "" }

// Write writes recs in order.
func (s *FileSink) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	res := make([]record.Result, len(recs))
	for i, rec := range recs {
		if err := s.sink.Write(ctx, rec); err != nil {
			re, ok := errors.AsType[*record.RowError](err)
			if !ok {
				return res, fmt.Errorf("write %s: %w", s.file.Name(), err)
			}
			res[i] = record.Result{Outcome: record.Rejected, Err: re}
			continue
		}
		res[i].Outcome = record.Created
	}
	return res, nil
}

// Commit finishes the file and puts it in place.
func (s *FileSink) Commit(context.Context) error {
	if err := s.sink.Close(); err != nil {
		s.file.Abort()
		return fmt.Errorf("write %s: %w", s.file.Name(), err)
	}
	return s.file.Commit()
}

// Abort drops what was written.
func (s *FileSink) Abort() {
	_ = s.sink.Close()
	s.file.Abort()
}
