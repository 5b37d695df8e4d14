package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	sinkparquet "github.com/partnero-etl/partnero-etl/sinks/parquet"
)

// ManifestName is the manifest's file name in the export folder. It is
// written last, atomically: it is the commit point of a snapshot, and the
// inventory of the folder (files of entities this run did not export are
// carried over from the previous manifest).
const ManifestName = "manifest.json"

// ManifestVersion is bumped when the manifest's meaning changes.
const ManifestVersion = 1

// Manifest describes one export run and the files the folder holds.
type Manifest struct {
	ManifestVersion int             `json:"manifest_version"`
	Tool            string          `json:"tool"`
	ToolVersion     string          `json:"tool_version"`
	Program         json.RawMessage `json:"program,omitempty"`
	StartedAt       time.Time       `json:"started_at"`
	FinishedAt      time.Time       `json:"finished_at"`
	Format          string          `json:"format"`
	Compression     string          `json:"compression,omitempty"`
	Partition       string          `json:"partition"`
	// SchemaVersion is the version of the tables' column lists
	// (sinks.SchemaVersion): columns are only ever added at the end of a
	// table, so a reader of an older version finds its columns in place.
	SchemaVersion int `json:"schema_version"`
	// Entities summarises what this run read per entity.
	Entities map[record.Entity]*EntitySummary `json:"entities"`
	Files    []FileEntry                      `json:"files"`
	API      APIStats                         `json:"api"`
}

// EntitySummary is what the folder holds of one entity, and what the last
// run read of it.
type EntitySummary struct {
	// Rows is the table's rows in the folder: for a --since-last run the
	// snapshot's total (the files carried over and the ones added), not
	// only the increment.
	Rows int64 `json:"rows"`
	// RowsAdded is what a --since-last run added (Incremental only).
	RowsAdded int64 `json:"rows_added,omitempty"`
	// Pages is the number of list pages read.
	Pages int64 `json:"pages,omitempty"`
	// Shifted counts records the listing showed twice while it was read
	// (records inserted or removed meanwhile move later ones); each was
	// written once.
	Shifted int64 `json:"shifted"`
	// Incremental is true for a --since-last run: the files hold only
	// records newer than the previous high-water mark.
	Incremental bool `json:"incremental,omitempty"`
	// HighWaterMark is the newest creation time seen and the keys created at
	// that instant (transactions only): where --since-last resumes.
	HighWaterMark *HighWaterMark `json:"high_water_mark,omitempty"`
	// Unavailable is why an optional table is not in the snapshot: its
	// endpoint answered 403 or 404 (a feature the program does not have).
	Unavailable string `json:"unavailable,omitempty"`
	// ExportedAt is when the run that wrote this entity's files started
	// (differs from the manifest's for an entity carried over).
	ExportedAt time.Time `json:"exported_at"`
	// Rejected counts records read but not written because the format
	// cannot hold them (a Parquet amount wider than DECIMAL(38,9)); the
	// first RejectedRows of them are listed with the reason.
	Rejected     int64         `json:"rejected,omitempty"`
	RejectedRows []RejectedRow `json:"rejected_rows,omitempty"`
}

// RejectedRow is one record an export left out, and why.
type RejectedRow struct {
	Key     string `json:"key"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// maxRejectedRows bounds the rows a manifest lists: a program with
// thousands of bad amounts keeps a readable manifest (the count is exact).
const maxRejectedRows = 100

// reject notes a record left out.
func (s *EntitySummary) reject(rec record.Record, re *record.RowError) {
	s.Rejected++
	if len(s.RejectedRows) < maxRejectedRows {
		s.RejectedRows = append(s.RejectedRows, RejectedRow{Key: rec.Key(), Field: re.Field, Code: re.Code, Message: re.Message})
	}
}

// HighWaterMark marks how far an export of transactions got.
type HighWaterMark struct {
	CreatedAt time.Time `json:"created_at"`
	Keys      []string  `json:"keys"`
}

// FileEntry is one data file of the folder.
type FileEntry struct {
	Path        string        `json:"path"` // relative to the folder, slash-separated
	Entity      record.Entity `json:"entity"`
	Format      string        `json:"format"`
	Compression string        `json:"compression,omitempty"`
	Partition   string        `json:"partition,omitempty"` // "dt=2025-04-30"
	Rows        int64         `json:"rows"`
	Bytes       int64         `json:"bytes"`
	SHA256      string        `json:"sha256"`
	Incremental bool          `json:"incremental,omitempty"`
	Schema      []SchemaField `json:"schema"`
	ExportedAt  time.Time     `json:"exported_at"`
}

// SchemaField is one column of a file: its name and logical type.
type SchemaField struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// APIStats are the client's counters for the run.
type APIStats struct {
	Requests      int64            `json:"requests"`
	Retries       int64            `json:"retries"`
	RateLimited   int64            `json:"rate_limited"`
	ServerErrors  int64            `json:"server_errors"`
	NetworkErrors int64            `json:"network_errors"`
	ByRoute       map[string]int64 `json:"by_route,omitempty"`
}

// Schema returns the documented schema of a table in a format. JSON lines
// are the API's objects, so their schema is the API's; the fields listed are
// the ones the other formats extract.
func Schema(entity record.Entity, format string) []SchemaField {
	cols := sinks.Columns(entity)
	out := make([]SchemaField, len(cols))
	for i, c := range cols {
		out[i] = SchemaField{Name: c.Name, Type: kindType(c.Kind, format)}
	}
	return out
}

func kindType(k sinks.Kind, format string) string {
	if format == "csv" {
		switch k {
		case sinks.KindDecimal:
			return "decimal text"
		case sinks.KindTime:
			return "timestamp text (UTC, microseconds)"
		case sinks.KindBool:
			return "true|false"
		case sinks.KindInt:
			return "integer text"
		case sinks.KindList:
			return "list joined with " + sinks.ListSeparator
		case sinks.KindJSON:
			return "JSON text"
		}
		return "text"
	}
	switch k {
	case sinks.KindDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", sinkparquet.DecimalPrecision, sinkparquet.DecimalScale)
	case sinks.KindTime:
		return "TIMESTAMP(MICROS,UTC)"
	case sinks.KindBool:
		return "BOOLEAN"
	case sinks.KindInt:
		return "INT64"
	case sinks.KindList:
		return "LIST<STRING>"
	case sinks.KindJSON:
		return "STRING (JSON)"
	}
	return "STRING"
}

// ReadManifest reads the manifest of an export folder; a folder without one
// gives (nil, nil).
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

// writeManifest writes the manifest atomically (temp file, fsync, rename).
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	f, err := createAtomic(dir, "manifest")
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.abort()
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := f.finish(); err != nil {
		f.abort()
		return err
	}
	if err := f.commit(filepath.Join(dir, ManifestName)); err != nil {
		f.abort()
		return err
	}
	return nil
}
