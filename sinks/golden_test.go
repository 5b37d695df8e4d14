package sinks_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/sinks"
)

var updateGolden = flag.Bool("update-columns", false, "rewrite testdata/columns.golden from the current tables")

const goldenPath = "testdata/columns.golden"

func kindName(k sinks.Kind) string {
	return [...]string{"STRING", "DECIMAL", "TIMESTAMP", "BOOLEAN", "INT64", "LIST<STRING>", "JSON"}[k]
}

type goldenColumn struct{ name, kind string }

func readGolden(t *testing.T) (int, map[string][]goldenColumn) {
	t.Helper()
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	version := 0
	tables := map[string][]goldenColumn{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0 || strings.HasPrefix(fields[0], "#"):
		case fields[0] == "schema_version" && len(fields) == 2:
			if version, err = strconv.Atoi(fields[1]); err != nil {
				t.Fatalf("%s:%d: %v", goldenPath, line, err)
			}
		case len(fields) == 3:
			tables[fields[0]] = append(tables[fields[0]], goldenColumn{fields[1], fields[2]})
		default:
			t.Fatalf("%s:%d: want \"table column TYPE\", got %q", goldenPath, line, sc.Text())
		}
	}
	return version, tables
}

// TestColumnsOnlyGrowAtTheEnd holds every table to its committed column
// list: a warehouse that loaded last month's files by position must find
// each column where it was. Columns added at the end of a table pass;
// a column removed, renamed, retyped or moved, or a table dropped, fails.
// After adding columns, rerun with -update-columns and bump SchemaVersion.
func TestColumnsOnlyGrowAtTheEnd(t *testing.T) {
	if *updateGolden {
		var b strings.Builder
		fmt.Fprintf(&b, "# The committed column lists of the export tables: \"table column TYPE\".\n")
		fmt.Fprintf(&b, "# Columns only ever go at the end of a table (golden_test.go enforces it).\n")
		fmt.Fprintf(&b, "schema_version %d\n", sinks.SchemaVersion)
		for _, e := range sinks.AllTables() {
			for _, c := range sinks.Columns(e) {
				fmt.Fprintf(&b, "%s %s %s\n", e, c.Name, kindName(c.Kind))
			}
		}
		if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	version, golden := readGolden(t)
	if version > sinks.SchemaVersion {
		t.Errorf("the golden list is schema_version %d, the code says %d: a version never goes down", version, sinks.SchemaVersion)
	}
	problems, grew := compareColumns(golden, currentColumns())
	for _, p := range problems {
		t.Error(p)
	}
	if grew && version == sinks.SchemaVersion {
		t.Logf("tables grew at their end since schema_version %d: bump sinks.SchemaVersion and rerun with -update-columns", version)
	}
}

func currentColumns() map[string][]goldenColumn {
	out := map[string][]goldenColumn{}
	for _, e := range sinks.AllTables() {
		for _, c := range sinks.Columns(e) {
			out[string(e)] = append(out[string(e)], goldenColumn{c.Name, kindName(c.Kind)})
		}
	}
	return out
}

// compareColumns says where current breaks the committed lists, and whether
// it grew (columns at a table's end, or new tables).
func compareColumns(golden, current map[string][]goldenColumn) (problems []string, grew bool) {
	for table, want := range golden {
		cols, ok := current[table]
		if !ok {
			problems = append(problems, fmt.Sprintf("table %s was dropped: tables are never removed", table))
			continue
		}
		if len(cols) < len(want) {
			problems = append(problems, fmt.Sprintf("%s: %d columns, the committed list has %d: columns are never removed", table, len(cols), len(want)))
		}
		for i, w := range want {
			if i >= len(cols) {
				break
			}
			if cols[i] != w {
				problems = append(problems, fmt.Sprintf("%s column %d is %s %s, the committed list says %s %s: new columns go at the end, existing ones never change",
					table, i+1, cols[i].name, cols[i].kind, w.name, w.kind))
			}
		}
		grew = grew || len(cols) > len(want)
	}
	for table := range current {
		if _, ok := golden[table]; !ok {
			grew = true
		}
	}
	return problems, grew
}

// TestCompareColumns: an addition at the end passes, a move, a retype, a
// removal and a dropped table fail.
func TestCompareColumns(t *testing.T) {
	golden := map[string][]goldenColumn{"t": {{"a", "STRING"}, {"b", "INT64"}}}
	for _, tt := range []struct {
		name    string
		current map[string][]goldenColumn
		fails   bool
	}{
		{"same", map[string][]goldenColumn{"t": {{"a", "STRING"}, {"b", "INT64"}}}, false},
		{"added at the end", map[string][]goldenColumn{"t": {{"a", "STRING"}, {"b", "INT64"}, {"c", "JSON"}}}, false},
		{"new table", map[string][]goldenColumn{"t": {{"a", "STRING"}, {"b", "INT64"}}, "u": {{"x", "STRING"}}}, false},
		{"added in the middle", map[string][]goldenColumn{"t": {{"a", "STRING"}, {"c", "JSON"}, {"b", "INT64"}}}, true},
		{"moved", map[string][]goldenColumn{"t": {{"b", "INT64"}, {"a", "STRING"}}}, true},
		{"retyped", map[string][]goldenColumn{"t": {{"a", "STRING"}, {"b", "STRING"}}}, true},
		{"removed", map[string][]goldenColumn{"t": {{"a", "STRING"}}}, true},
		{"table dropped", map[string][]goldenColumn{"u": {{"x", "STRING"}}}, true},
	} {
		problems, _ := compareColumns(golden, tt.current)
		if (len(problems) > 0) != tt.fails {
			t.Errorf("%s: problems %q, want failure %v", tt.name, problems, tt.fails)
		}
	}
}
