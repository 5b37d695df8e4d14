package parquet

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

func cellString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func cellBool(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

func cellTime(p *time.Time) string {
	if p == nil {
		return ""
	}
	return p.UTC().Format(partnero.TimeLayout)
}

func cellDecimal(p *[16]byte) string {
	if p == nil {
		return ""
	}
	return DecodeDecimal(*p).String()
}

func cellList(v []string) string { return strings.Join(v, sinks.ListSeparator) }

func readRows[T any](r io.ReaderAt, size int64, cells func(T) []string) ([][]string, error) {
	// OpenFile first: NewGenericReader panics on a file that is not Parquet.
	f, err := pq.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("open parquet: %w", err)
	}
	gr := pq.NewGenericReader[T](f)
	defer gr.Close()
	var out [][]string
	buf := make([]T, 7)
	for {
		n, err := gr.Read(buf)
		for _, row := range buf[:n] {
			out = append(out, cells(row))
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read parquet: %w", err)
		}
	}
}

// Cells reads an export table back as text cells in the documented column
// order, each as sinks.Column.Value gives it ("" for NULL): the inverse of
// the writer, for tests and checks of exported files.
func Cells(r io.ReaderAt, size int64, entity record.Entity) ([][]string, error) {
	switch entity {
	case record.Partners:
		return readRows(r, size, func(r partnerRow) []string {
			rc := ""
			if r.ReferralsCount != nil {
				rc = strconv.FormatInt(*r.ReferralsCount, 10)
			}
			return []string{cellString(r.ID), cellString(r.Email), cellString(r.Name), cellString(r.Surname), cellString(r.Key), cellString(r.Status), cellBool(r.Approved), cellBool(r.TOS), rc,
				cellString(r.ReferralLink), cellList(r.ReferralLinks), cellList(r.Tags), cellString(r.CustomFields), cellTime(r.CreatedAt), cellTime(r.UpdatedAt)}
		})
	case record.Customers:
		return readRows(r, size, func(r customerRow) []string {
			return []string{cellString(r.Key), cellString(r.Email), cellString(r.Name), cellString(r.Surname), cellString(r.Partner), cellString(r.Status), cellBool(r.Deleted), cellList(r.Tags),
				cellTime(r.CreatedAt), cellTime(r.UpdatedAt), cellTime(r.DeletedAt)}
		})
	case record.Transactions:
		return readRows(r, size, func(r transactionRow) []string {
			return []string{cellString(r.Key), cellString(r.Action), cellDecimal(r.Amount), cellString(r.AmountUnits), cellString(r.Partner), cellString(r.Customer), cellString(r.ProductID),
				cellList(r.ProductType), cellBool(r.Rewarded), cellBool(r.Rewardable), cellBool(r.Credit), cellBool(r.IsCurrency), cellTime(r.CreatedAt), cellTime(r.DeletedAt)}
		})
	case record.Rewards:
		return readRows(r, size, func(r rewardRow) []string {
			return []string{cellString(r.TransactionKey), cellString(r.Key), cellString(r.Action), cellString(r.Status), cellDecimal(r.Amount), cellString(r.AmountUnits), cellString(r.Partner),
				cellString(r.Customer), cellString(r.ProductTypeData), cellTime(r.CreatedAt), cellTime(r.DeletedAt)}
		})
	}
	return nil, fmt.Errorf("parquet: no table %q", entity)
}
