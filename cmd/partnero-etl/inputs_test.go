package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

// One unterminated quote swallows every line up to the next quote. Those
// rows must neither vanish nor be imported blind: each is counted as
// rejected, its text is in the reject file, and once the quote is fixed
// there the reject file validates clean.
func TestValidateUnterminatedQuoteKeepsSwallowedRows(t *testing.T) {
	in := genFile(t, "tx.csv", "csv", 50, 0)
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	// Open a quote in the product of tx-5 that nothing closes.
	broken := strings.Replace(string(data), "tx-5,", "tx-5,\"", 1)
	if err := os.WriteFile(in, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	streams, out, errOut := testStreams()
	if code := run(context.Background(), streams, []string{"validate", "transactions", in}); code != exitRejects {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got := strings.Join(strings.Fields(out.String()), " "); !strings.Contains(got, "valid 4") || !strings.Contains(got, "malformed_row 46") {
		t.Errorf("output does not count the 46 swallowed rows:\n%s", out)
	}
	rej, err := os.ReadFile(rejectsOf(in, ".csv"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 5; i <= 50; i++ {
		if !strings.Contains(string(rej), "tx-"+strconv.Itoa(i)+",") {
			t.Fatalf("reject file lacks the text of tx-%d:\n%s", i, rej)
		}
	}
	if !strings.Contains(string(rej), "lines 6-51") {
		t.Errorf("reject file does not say which lines were consumed:\n%s", rej)
	}
}

// FLOAT (32-bit) money in Parquet: 0.1 was read at float64 precision
// (0.10000000149011612) and every such amount was rejected.
func TestValidateParquetFloatMoney(t *testing.T) {
	type tx struct {
		Key         string  `parquet:"key"`
		CustomerKey string  `parquet:"customer_key"`
		Amount      float32 `parquet:"amount"`
		Reward      float32 `parquet:"reward"`
		Currency    string  `parquet:"currency"`
	}
	path := filepath.Join(t.TempDir(), "tx.parquet")
	rows := []tx{{"t1", "c1", 19.99, 0.1, "USD"}, {"t2", "c1", 1234.56, 0.07, "EUR"}}
	if err := pq.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	mapFile := writeTemp(t, "m.yaml", "transactions:\n  fields:\n    customer.key: customer_key\n    key: key\n    amount: amount\n    reward: reward\n    currency: currency\n")
	streams, out, errOut := testStreams()
	if code := run(context.Background(), streams, []string{"validate", "transactions", path, "--mapping", mapFile}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// A program holding an amount wider than DECIMAL(38,9) (imported before
// mapping refused them) exports everything else, says which row it left
// out, and exits 3 like any run that finished with rejected rows.
func TestExportAmountTooWideForParquet(t *testing.T) {
	base := exportSandbox(t)
	req, _ := http.NewRequest(http.MethodPost, base+"transactions", strings.NewReader(`{"key":"t-wide","amount":"1e35","customer":{"key":"c1"}}`))
	req.Header.Set("Authorization", "Bearer "+exportKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("POST: %s", resp.Status)
	}
	dir := filepath.Join(t.TempDir(), "snap")
	streams, out, errOut := testStreams()
	code := run(context.Background(), streams, []string{"--api-key", exportKey, "--base-url", base, "--rate", "none",
		"export", "transactions", "--out", dir})
	if code != exitRejects {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitRejects, out, errOut)
	}
	if !strings.Contains(out.String(), "1 left out") || !strings.Contains(out.String(), "t-wide") {
		t.Errorf("summary does not name the row left out:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatalf("no snapshot: %v", err)
	}
}

// A ".json" file holding one JSON array was read line by line: every line
// a malformed row. It is read as the array of objects it is.
func TestValidateJSONArrayFile(t *testing.T) {
	in := writeTemp(t, "partners.json", "[\n  {\"email\": \"a@b.io\", \"name\": \"A\"},\n  {\n    \"email\": \"nope\"\n  }\n]\n")
	streams, out, errOut := testStreams()
	if code := run(context.Background(), streams, []string{"validate", "partners", in}); code != exitRejects {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got := strings.Join(strings.Fields(out.String()), " "); !strings.Contains(got, "valid 1") || !strings.Contains(got, "invalid_email 1") {
		t.Errorf("output:\n%s", out)
	}
	rej, err := os.ReadFile(rejectsOf(in, ".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"email":"nope","_line":2,`; !strings.HasPrefix(string(rej), want) {
		t.Errorf("reject file %q, want the element on one line, starting %q", rej, want)
	}
}

// A file of no bytes exited 1 as CSV ("no header row") and 0 as JSON lines.
// It is a file of no rows in every format: exit 0, "the input has no rows".
func TestValidateEmptyFileEveryFormat(t *testing.T) {
	for _, name := range []string{"empty.csv", "empty.jsonl", "empty.json", "empty.tsv"} {
		in := writeTemp(t, name, "")
		streams, out, errOut := testStreams()
		if code := run(context.Background(), streams, []string{"validate", "partners", in}); code != exitOK {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
			continue
		}
		if !strings.Contains(out.String()+errOut.String(), "no rows") {
			t.Errorf("%s: output does not say the input has no rows:\n%s%s", name, out, errOut)
		}
	}
}

// Gzip on standard input was not recognised: it was read as text.
func TestValidateGzipOnStdin(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("email,name\na@b.io,A\nc@d.io,C\n"))
	zw.Close()
	streams, out, errOut := testStreams()
	streams.In = &buf
	if code := run(context.Background(), streams, []string{"validate", "partners", "-", "--format", "csv"}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got := strings.Join(strings.Fields(out.String()), " "); !strings.Contains(got, "valid 2") {
		t.Errorf("output:\n%s", out)
	}
}
