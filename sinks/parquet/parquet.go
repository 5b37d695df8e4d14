// Package parquet writes one export table as a Parquet file with a typed
// schema per table (see schema.go for the types and why), zstd-compressed by
// default, in row groups of bounded size so memory does not grow with the
// export.
package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// batchRows is how many converted rows the writer hands to parquet-go at a
// time: per-row calls cost reflection set-up each time.
const batchRows = 256

// Writer is a sinks.Sink writing Parquet.
type Writer struct {
	entity record.Entity
	t      table
}

var _ sinks.Sink = (*Writer)(nil)

// table hides the row type of one schema.
type table interface {
	add(rec record.Record) error
	close() error
}

type typedTable[T any] struct {
	w    *pq.GenericWriter[T]
	buf  []T
	conv func(record.Record) (T, error)
}

func (t *typedTable[T]) add(rec record.Record) error {
	row, err := t.conv(rec)
	if re, ok := errors.AsType[*record.RowError](err); ok {
		return re // the row's own problem: it says where
	}
	if err != nil {
		return fmt.Errorf("%s: %w", rec.Origin, err)
	}
	t.buf = append(t.buf, row)
	if len(t.buf) == cap(t.buf) {
		return t.flush()
	}
	return nil
}

func (t *typedTable[T]) flush() error {
	if len(t.buf) == 0 {
		return nil
	}
	_, err := t.w.Write(t.buf)
	clear(t.buf) // drop references to strings and slices
	t.buf = t.buf[:0]
	return err
}

func (t *typedTable[T]) close() error {
	if err := t.flush(); err != nil {
		return err
	}
	return t.w.Close()
}

func newTable[T any](w io.Writer, conv func(record.Record) (T, error), opts []pq.WriterOption) table {
	return &typedTable[T]{w: pq.NewGenericWriter[T](w, opts...), buf: make([]T, 0, batchRows), conv: conv}
}

// Codec returns the parquet-go codec of a --compression value.
func Codec(name string) (compress.Codec, error) {
	name, err := sinks.ParseCompression(name)
	if err != nil {
		return nil, err
	}
	switch name {
	case "snappy":
		return &pq.Snappy, nil
	case "none":
		return &pq.Uncompressed, nil
	}
	return new(zstdCodec), nil
}

// New returns a writer of the given table on w.
func New(w io.Writer, entity record.Entity, opts sinks.Options) (*Writer, error) {
	codec, err := Codec(opts.Compression)
	if err != nil {
		return nil, err
	}
	rg := opts.MaxRowsPerRowGroup
	if rg <= 0 {
		rg = sinks.DefaultRowGroupRows
	}
	wo := []pq.WriterOption{
		pq.Compression(codec),
		pq.MaxRowsPerRowGroup(rg),
		// Pages of about 1 MiB keep the buffered page small whatever the
		// row group size.
		pq.PageBufferSize(1 << 20),
	}
	if opts.CreatedBy != "" {
		wo = append(wo, pq.CreatedBy(opts.CreatedBy, "", ""))
	}
	var t table
	switch entity {
	case record.Partners:
		t = newTable(w, partnerToRow, wo)
	case record.Customers:
		t = newTable(w, customerToRow, wo)
	case record.Transactions:
		t = newTable(w, transactionToRow, wo)
	case record.Rewards:
		t = newTable(w, rewardToRow, wo)
	default:
		if t = listTable(w, entity, wo); t == nil {
			return nil, fmt.Errorf("parquet: no table %q", entity)
		}
	}
	return &Writer{entity: entity, t: t}, nil
}

// Write adds one record; rows reach the output a row group at a time.
func (w *Writer) Write(ctx context.Context, rec record.Record) error {
	if err := sinks.Entity(rec, w.entity); err != nil {
		return err
	}
	return w.t.add(rec)
}

// Close flushes the last row group and writes the footer. An empty table
// still gets a valid file with its schema.
func (w *Writer) Close() error { return w.t.close() }

// Schema returns the Parquet schema of a table, for manifests and docs.
func Schema(entity record.Entity) *pq.Schema {
	switch entity {
	case record.Partners:
		return pq.SchemaOf(partnerRow{})
	case record.Customers:
		return pq.SchemaOf(customerRow{})
	case record.Transactions:
		return pq.SchemaOf(transactionRow{})
	case record.Rewards:
		return pq.SchemaOf(rewardRow{})
	}
	return listSchema(entity)
}

func partnerToRow(rec record.Record) (partnerRow, error) {
	p := rec.Partner
	return partnerRow{
		ID:             optString(string(p.ID)),
		Email:          optString(p.Email),
		Name:           optString(p.Name),
		Surname:        optString(p.Surname),
		Key:            optString(p.Key),
		Status:         optString(p.Status),
		Approved:       p.Approved,
		TOS:            p.TOS,
		ReferralsCount: p.ReferralsCount,
		ReferralLink:   optString(p.ReferralLink),
		ReferralLinks:  p.ReferralLinks,
		Tags:           p.Tags,
		CustomFields:   optJSON(p.CustomFields),
		CreatedAt:      optTime(p.CreatedAt),
		UpdatedAt:      optTime(p.UpdatedAt),
	}, nil
}

func customerToRow(rec record.Record) (customerRow, error) {
	c := rec.Customer
	var partner *string
	if c.Partner != nil {
		partner = optString(string(c.Partner.ID))
	}
	return customerRow{
		Key:       optString(c.Key),
		Email:     optString(c.Email),
		Name:      optString(c.Name),
		Surname:   optString(c.Surname),
		Partner:   partner,
		Status:    optString(c.Status),
		Deleted:   c.Deleted,
		Tags:      c.Tags,
		CreatedAt: optTime(c.CreatedAt),
		UpdatedAt: optTime(c.UpdatedAt),
		DeletedAt: optTime(c.DeletedAt),
	}, nil
}

func transactionToRow(rec record.Record) (transactionRow, error) {
	t := rec.Transaction
	amount, err := EncodeDecimal(t.Amount)
	if err != nil {
		return transactionRow{}, amountError(rec, fmt.Sprintf("transaction %s", t.Key), err)
	}
	return transactionRow{
		Key:         optString(t.Key),
		Action:      optString(t.Action),
		Amount:      amount,
		AmountUnits: optString(t.AmountUnits),
		Partner:     optString(string(t.Partner)),
		Customer:    optString(t.Customer.Key),
		ProductID:   optString(t.ProductID),
		ProductType: t.ProductType,
		Rewarded:    t.Rewarded,
		Rewardable:  t.Rewardable,
		Credit:      t.Credit,
		IsCurrency:  t.IsCurrency,
		CreatedAt:   optTime(t.CreatedAt),
		DeletedAt:   optTime(t.DeletedAt),
	}, nil
}

// amountError is an amount the table cannot hold (wider than DECIMAL(38,9),
// written to the program before mapping refused such amounts): a problem of
// that row, not of the export, so it is a *record.RowError the caller can
// count and go on from. Nothing of the row is written.
func amountError(rec record.Record, what string, err error) error {
	return &record.RowError{Origin: rec.Origin, Field: "amount", Code: record.CodeInvalidAmount, Message: what + ": " + err.Error()}
}

func rewardToRow(rec record.Record) (rewardRow, error) {
	r, err := sinks.Reward(rec)
	if err != nil {
		return rewardRow{}, err
	}
	amount, err := EncodeDecimal(r.Amount)
	if err != nil {
		return rewardRow{}, amountError(rec, fmt.Sprintf("reward %s of transaction %s", r.Key, rec.Transaction.Key), err)
	}
	return rewardRow{
		TransactionKey:  optString(rec.Transaction.Key),
		Key:             optString(r.Key),
		Action:          optString(r.Action),
		Status:          optString(r.Status),
		Amount:          amount,
		AmountUnits:     optString(r.AmountUnits),
		Partner:         optString(string(r.Partner)),
		Customer:        optString(r.Customer.Key),
		ProductTypeData: optJSON(r.ProductType),
		CreatedAt:       optTime(r.CreatedAt),
		DeletedAt:       optTime(r.DeletedAt),
	}, nil
}
