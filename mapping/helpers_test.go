package mapping

import (
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// csvRows builds flat rows sharing one header, as the CSV source does.
// Lines start at 2 (line 1 is the header).
func csvRows(header string, lines ...string) []record.Row {
	h := record.NewHeader(strings.Split(header, "|"))
	rows := make([]record.Row, 0, len(lines))
	for i, l := range lines {
		rows = append(rows, record.Row{Origin: record.Origin{File: "in.csv", Line: int64(i + 2)}, Header: h, Text: strings.Split(l, "|")})
	}
	return rows
}

func csvRow(header, line string) record.Row { return csvRows(header, line)[0] }

// jsonRow builds a structured row from top-level keys and values.
func jsonRow(kv ...any) record.Row {
	var names []string
	var vals []any
	for i := 0; i+1 < len(kv); i += 2 {
		names = append(names, kv[i].(string))
		vals = append(vals, kv[i+1])
	}
	return record.Row{Origin: record.Origin{File: "in.jsonl", Line: 1}, Header: record.NewHeader(names), Values: vals}
}

func mustParse(t testing.TB, yaml string) *Spec {
	t.Helper()
	s, err := Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func mustMapper(t testing.TB, e record.Entity, spec *Spec) *Mapper {
	t.Helper()
	m, err := NewMapper(e, spec)
	if err != nil {
		t.Fatalf("NewMapper: %v", err)
	}
	return m
}
