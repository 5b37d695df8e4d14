package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sinks/sinktest"
)

func readJSONL(t *testing.T, data []byte, entity record.Entity) [][]string {
	t.Helper()
	var recs []record.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"x_unknown_field":{"kept":true}`) {
			t.Errorf("line lost the unknown field: %s", line)
		}
		rec := record.Record{Entity: entity}
		var err error
		switch entity {
		case record.Partners:
			rec.Partner = new(partnero.Partner)
			err = json.Unmarshal(line, rec.Partner)
		case record.Customers:
			rec.Customer = new(partnero.Customer)
			err = json.Unmarshal(line, rec.Customer)
		case record.Transactions:
			rec.Transaction = new(partnero.Transaction)
			err = json.Unmarshal(line, rec.Transaction)
		case record.Rewards:
			var r struct {
				TransactionKey string `json:"transaction_key"`
				partnero.Reward
			}
			err = json.Unmarshal(line, &r)
			rec.Transaction = &partnero.Transaction{Key: r.TransactionKey, Rewards: []partnero.Reward{r.Reward}}
		}
		if err != nil {
			t.Fatalf("line %s: %v", line, err)
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sinktest.Expected(entity, recs)
}

func TestConformance(t *testing.T) {
	sinktest.Run(t, func(w io.Writer, e record.Entity) (sinks.Sink, error) {
		return New(w, e, sinks.Options{})
	}, readJSONL)
}

func TestRawKeptVerbatimAndCompacted(t *testing.T) {
	var buf bytes.Buffer
	w, err := New(&buf, record.Partners, sinks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := []json.RawMessage{
		json.RawMessage(`{"id":"1","amount":1.10,"when":"2025-04-30T16:44:13.000000Z"}`),
		json.RawMessage("{\n  \"id\": \"2\",\n  \"name\": \"a\\nb\"\n}"),
	}
	for _, raw := range in {
		if err := w.Write(t.Context(), record.Record{Entity: record.Partners, Partner: &partnero.Partner{}, Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"1","amount":1.10,"when":"2025-04-30T16:44:13.000000Z"}` + "\n" + `{"id":"2","name":"a\nb"}` + "\n"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}
