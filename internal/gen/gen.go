// Package gen writes synthetic input files for tests and benchmarks: N
// transactions rows with Partnero's canonical column names, as CSV, JSON
// lines or Parquet. The output is deterministic (row i is always the same),
// so benchmarks compare like with like and tests can predict every value.
package gen

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// TransactionColumns are the columns of a generated transactions file, in
// order. In JSON lines and Parquet the customer.* columns are a nested
// "customer" object; in CSV they are flat columns named with the dot.
var TransactionColumns = []string{
	"key", "amount", "currency", "action", "product_id", "product_type",
	"created_at", "customer.key", "customer.email", "source_id",
}

// Options shape the generated rows.
type Options struct {
	// BadEvery makes every BadEvery-th row (1-based rows BadEvery,
	// 2*BadEvery, ...) carry an invalid customer email; 0 makes every row
	// valid.
	BadEvery int
	// RowGroupRows bounds a Parquet row group; 0 means 64k rows.
	RowGroupRows int64
}

// Transaction is row i (0-based) of a generated transactions file.
type Transaction struct {
	Key           string
	AmountMinor   int64 // in the currency's minor units; JPY has none
	Currency      string
	Action        string
	ProductID     string
	ProductType   string
	CreatedAt     time.Time
	CustomerKey   string
	CustomerEmail string
	SourceID      string
}

var currencies = [...]string{"USD", "EUR", "GBP", "JPY"}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Row returns row i of a generated file.
func Row(i int, opts Options) Transaction {
	cur := currencies[i%len(currencies)]
	amount := int64(100 + (i*7919)%99900)
	if cur == "JPY" {
		amount *= 10
	}
	cust := i / 4
	email := "customer" + strconv.Itoa(cust) + "@example.com"
	if opts.BadEvery > 0 && (i+1)%opts.BadEvery == 0 {
		email = "customer" + strconv.Itoa(cust) + "-at-example.com"
	}
	return Transaction{
		Key:           "tx-" + strconv.Itoa(i+1),
		AmountMinor:   amount,
		Currency:      cur,
		Action:        "sale",
		ProductID:     "prod-" + strconv.Itoa(i%50),
		ProductType:   "subscription",
		CreatedAt:     epoch.Add(time.Duration(i) * time.Second),
		CustomerKey:   "cus-" + strconv.Itoa(cust),
		CustomerEmail: email,
		SourceID:      "src-" + strconv.Itoa(i+1),
	}
}

// Amount returns the amount as decimal text in major units ("12.34"; a JPY
// amount has no fraction).
func (t Transaction) Amount() string {
	if t.Currency == "JPY" {
		return strconv.FormatInt(t.AmountMinor, 10)
	}
	return fmt.Sprintf("%d.%02d", t.AmountMinor/100, t.AmountMinor%100)
}

// WriteTransactions writes n generated rows to w in format (csv, jsonl or
// parquet). ctx is checked every few thousand rows.
func WriteTransactions(ctx context.Context, w io.Writer, format string, n int, opts Options) error {
	switch format {
	case "csv":
		return writeCSV(ctx, w, n, opts)
	case "jsonl":
		return writeJSONL(ctx, w, n, opts)
	case "parquet":
		return writeParquet(ctx, w, n, opts)
	}
	return fmt.Errorf("unknown format %q: want csv, jsonl or parquet", format)
}

// WriteTransactionsFile writes n generated rows to a new file at path.
func WriteTransactionsFile(ctx context.Context, path, format string, n int, opts Options) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := WriteTransactions(ctx, bw, format, n, opts); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

func checkEvery(ctx context.Context, i int) error {
	if i%4096 == 0 {
		return ctx.Err()
	}
	return nil
}

func writeCSV(ctx context.Context, w io.Writer, n int, opts Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TransactionColumns); err != nil {
		return err
	}
	rec := make([]string, len(TransactionColumns))
	for i := range n {
		if err := checkEvery(ctx, i); err != nil {
			return err
		}
		t := Row(i, opts)
		rec[0], rec[1], rec[2], rec[3], rec[4] = t.Key, t.Amount(), t.Currency, t.Action, t.ProductID
		rec[5], rec[6], rec[7], rec[8], rec[9] = t.ProductType, t.CreatedAt.Format(time.RFC3339), t.CustomerKey, t.CustomerEmail, t.SourceID
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type jsonCustomer struct {
	Key   string `json:"key"`
	Email string `json:"email"`
}

type jsonTransaction struct {
	Key         string       `json:"key"`
	Amount      json.Number  `json:"amount"`
	Currency    string       `json:"currency"`
	Action      string       `json:"action"`
	ProductID   string       `json:"product_id"`
	ProductType string       `json:"product_type"`
	CreatedAt   string       `json:"created_at"`
	Customer    jsonCustomer `json:"customer"`
	SourceID    string       `json:"source_id"`
}

func writeJSONL(ctx context.Context, w io.Writer, n int, opts Options) error {
	enc := json.NewEncoder(w)
	for i := range n {
		if err := checkEvery(ctx, i); err != nil {
			return err
		}
		t := Row(i, opts)
		if err := enc.Encode(jsonTransaction{
			Key: t.Key, Amount: json.Number(t.Amount()), Currency: t.Currency, Action: t.Action,
			ProductID: t.ProductID, ProductType: t.ProductType, CreatedAt: t.CreatedAt.Format(time.RFC3339),
			Customer: jsonCustomer{Key: t.CustomerKey, Email: t.CustomerEmail}, SourceID: t.SourceID,
		}); err != nil {
			return err
		}
	}
	return nil
}

type parquetCustomer struct {
	Key   string `parquet:"key"`
	Email string `parquet:"email"`
}

// parquetTransaction is the Parquet schema of a generated file: the amount
// is a DECIMAL(18,2) and the time a microsecond timestamp, as a warehouse
// would write them.
type parquetTransaction struct {
	Key         string          `parquet:"key"`
	Amount      int64           `parquet:"amount,decimal(2:18)"`
	Currency    string          `parquet:"currency"`
	Action      string          `parquet:"action"`
	ProductID   string          `parquet:"product_id"`
	ProductType string          `parquet:"product_type"`
	CreatedAt   time.Time       `parquet:"created_at,timestamp(microsecond)"`
	Customer    parquetCustomer `parquet:"customer"`
	SourceID    string          `parquet:"source_id"`
}

func writeParquet(ctx context.Context, w io.Writer, n int, opts Options) error {
	groupRows := opts.RowGroupRows
	if groupRows <= 0 {
		groupRows = 64 << 10
	}
	pw := pq.NewGenericWriter[parquetTransaction](w,
		pq.Compression(&zstd.Codec{}), pq.MaxRowsPerRowGroup(groupRows))
	batch := make([]parquetTransaction, 0, 1024)
	flush := func() error {
		if _, err := pw.Write(batch); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	for i := range n {
		if err := checkEvery(ctx, i); err != nil {
			return err
		}
		t := Row(i, opts)
		minor := t.AmountMinor
		if t.Currency == "JPY" {
			minor *= 100 // the column has two decimals for every currency
		}
		batch = append(batch, parquetTransaction{
			Key: t.Key, Amount: minor, Currency: t.Currency, Action: t.Action, ProductID: t.ProductID,
			ProductType: t.ProductType, CreatedAt: t.CreatedAt,
			Customer: parquetCustomer{Key: t.CustomerKey, Email: t.CustomerEmail}, SourceID: t.SourceID,
		})
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	return pw.Close()
}
