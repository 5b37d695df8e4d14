package mapping

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// These tests map the sample exports under samples/ through their presets,
// offline, and check the exact outcome of every row, and chosen rows value by
// value. The samples are written by `go run ./samples/gen`; samples/README.md
// states the same counts.

// readSample reads a sample file into rows the way the sources do: CSV with
// one shared header, JSON lines as structured values (numbers as json.Number).
func readSample(t *testing.T, platform, name string, comma rune) []record.Row {
	t.Helper()
	path := filepath.Join("..", "samples", platform, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read sample: %v (regenerate with go run ./samples/gen)", err)
	}
	var rows []record.Row
	if strings.HasSuffix(name, ".jsonl") {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		line := int64(0)
		for sc.Scan() {
			line++
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("%s:%d: %v", path, line, err)
			}
			var names []string
			for k := range obj {
				names = append(names, k)
			}
			slices.Sort(names)
			vals := make([]any, len(names))
			for i, n := range names {
				vals[i] = obj[n]
			}
			rows = append(rows, record.Row{Origin: record.Origin{File: name, Line: line}, Header: record.NewHeader(names), Values: vals, Raw: sc.Bytes()})
		}
		return rows
	}
	// The sources strip a UTF-8 byte order mark; so does this reader.
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma = comma
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(head) == 1 && strings.HasPrefix(head[0], "[[") {
		// Post Affiliate Pro's section line ([[COMMISSIONS]]): the
		// header is the next line.
		if head, err = r.Read(); err != nil {
			t.Fatal(err)
		}
	}
	h := record.NewHeader(head)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		line, _ := r.FieldPos(0)
		rows = append(rows, record.Row{Origin: record.Origin{File: name, Line: int64(line)}, Header: h, Text: rec})
	}
	return rows
}

// outcome maps every row and dedupes the valid ones, as validate does.
type outcome struct {
	counts  map[string]int // "valid", "skipped", or an error code
	records map[string]record.Record
	errs    map[int64]*record.RowError
	unknown []string
}

func mapSample(t *testing.T, preset string, e record.Entity, rows []record.Row) outcome {
	t.Helper()
	spec, err := Preset(preset, e)
	if err != nil {
		t.Fatal(err)
	}
	m := mustMapper(t, e, spec)
	d := NewDuplicates(e)
	o := outcome{counts: map[string]int{}, records: map[string]record.Record{}, errs: map[int64]*record.RowError{}}
	var columns []string
	seen := map[*record.Header]bool{}
	for _, row := range rows {
		if !seen[row.Header] {
			seen[row.Header] = true
			for _, c := range row.Header.Names {
				if !slices.Contains(columns, c) {
					columns = append(columns, c)
				}
			}
		}
	}
	o.unknown = m.UnknownColumns(columns)
	for _, row := range rows {
		res := m.Map(row)
		switch {
		case res.Skipped:
			o.counts["skipped"]++
		case res.Err != nil:
			o.counts[res.Err.Code]++
			o.errs[row.Origin.Line] = res.Err
		default:
			if err := d.Check(res.Record); err != nil {
				o.counts[err.Code]++
				o.errs[row.Origin.Line] = err
				continue
			}
			o.counts["valid"]++
			o.records[res.Record.Key()] = res.Record
		}
	}
	return o
}

func checkCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %d, want %d (all: %v)", what, k, got[k], v, got)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %d", what, k, v)
		}
	}
}

func wantErr(t *testing.T, o outcome, line int64, code, field string) {
	t.Helper()
	e := o.errs[line]
	if e == nil || e.Code != code || (field != "" && e.Field != field) {
		t.Errorf("line %d: error %v, want %s on %s", line, e, code, field)
	}
}
