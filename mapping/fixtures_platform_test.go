package mapping

import (
	"path/filepath"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// readFixture reads a file under testdata/PLATFORM/ (the example objects a
// platform's documentation prints) the way readSample reads the samples.
func readFixture(t *testing.T, platform, name string, comma rune) []record.Row {
	t.Helper()
	return readSample(t, filepath.Join("..", "mapping", "testdata", platform), name, comma)
}

// mapFixture maps every row of a fixture and returns the results in order.
func mapFixtureRows(t *testing.T, preset string, e record.Entity, rows []record.Row) []record.Mapped {
	t.Helper()
	spec, err := Preset(preset, e)
	if err != nil {
		t.Fatal(err)
	}
	m := mustMapper(t, e, spec)
	out := make([]record.Mapped, len(rows))
	for i, r := range rows {
		out[i] = m.Map(r)
	}
	return out
}
