package parquet

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// The row types below are the Parquet schemas of the export tables, in the
// column order of sinks.Columns. Conventions:
//   - every column is OPTIONAL: an empty or absent value is NULL;
//   - times are TIMESTAMP(MICROS, isAdjustedToUTC=true): the API's own
//     precision, readable by every warehouse (nanoseconds are not);
//   - amounts are DECIMAL(38,9) in a 16-byte FIXED_LEN_BYTE_ARRAY. A string
//     column would keep any text but make every warehouse cast; DECIMAL(38,9)
//     is exactly BigQuery's NUMERIC and fits Snowflake, DuckDB and Spark
//     natively, holds 29 integer digits and 9 fractional ones (an unrounded
//     commission such as 29.997 needs 3), and is exact. An amount with more
//     than 9 fractional digits fails the export rather than being rounded;
//   - lists (tags, product types, referral links) are OPTIONAL LIST<STRING>:
//     NULL when the API did not send the field (a partner listing carries no
//     tags and no referral links, so a snapshot cannot know them), an empty
//     list only when the API said the list is empty. An empty list where
//     nothing was known would claim "no tags", which is false;
//   - free-form JSON (custom_fields, product_type_data) is a STRING column
//     holding the JSON text.

// DecimalScale and DecimalPrecision describe every amount column (the
// struct tags below spell them out: decimal(9:38)); mapping refuses amounts
// wider than record's bound, which is the same.
const (
	DecimalScale     = record.AmountScale
	DecimalPrecision = record.AmountPrecision
)

type partnerRow struct {
	ID             *string    `parquet:"id,optional"`
	Email          *string    `parquet:"email,optional"`
	Name           *string    `parquet:"name,optional"`
	Surname        *string    `parquet:"surname,optional"`
	Key            *string    `parquet:"key,optional"`
	Status         *string    `parquet:"status,optional"`
	Approved       *bool      `parquet:"approved,optional"`
	TOS            *bool      `parquet:"tos,optional"`
	ReferralsCount *int64     `parquet:"referrals_count,optional"`
	ReferralLink   *string    `parquet:"referral_link,optional"`
	ReferralLinks  []string   `parquet:"referral_links,optional,list"`
	Tags           []string   `parquet:"tags,optional,list"`
	CustomFields   *string    `parquet:"custom_fields,optional"`
	CreatedAt      *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt      *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
}

type customerRow struct {
	Key       *string    `parquet:"key,optional"`
	Email     *string    `parquet:"email,optional"`
	Name      *string    `parquet:"name,optional"`
	Surname   *string    `parquet:"surname,optional"`
	Partner   *string    `parquet:"partner,optional"`
	Status    *string    `parquet:"status,optional"`
	Deleted   *bool      `parquet:"deleted,optional"`
	Tags      []string   `parquet:"tags,optional,list"`
	CreatedAt *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
	DeletedAt *time.Time `parquet:"deleted_at,optional,timestamp(microsecond)"`
}

type transactionRow struct {
	Key         *string    `parquet:"key,optional"`
	Action      *string    `parquet:"action,optional"`
	Amount      *[16]byte  `parquet:"amount,optional,decimal(9:38)"`
	AmountUnits *string    `parquet:"amount_units,optional"`
	Partner     *string    `parquet:"partner,optional"`
	Customer    *string    `parquet:"customer,optional"`
	ProductID   *string    `parquet:"product_id,optional"`
	ProductType []string   `parquet:"product_type,optional,list"`
	Rewarded    *bool      `parquet:"rewarded,optional"`
	Rewardable  *bool      `parquet:"rewardable,optional"`
	Credit      *bool      `parquet:"credit,optional"`
	IsCurrency  *bool      `parquet:"is_currency,optional"`
	CreatedAt   *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	DeletedAt   *time.Time `parquet:"deleted_at,optional,timestamp(microsecond)"`
}

type rewardRow struct {
	TransactionKey  *string    `parquet:"transaction_key,optional"`
	Key             *string    `parquet:"key,optional"`
	Action          *string    `parquet:"action,optional"`
	Status          *string    `parquet:"status,optional"`
	Amount          *[16]byte  `parquet:"amount,optional,decimal(9:38)"`
	AmountUnits     *string    `parquet:"amount_units,optional"`
	Partner         *string    `parquet:"partner,optional"`
	Customer        *string    `parquet:"customer,optional"`
	ProductTypeData *string    `parquet:"product_type_data,optional"`
	CreatedAt       *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	DeletedAt       *time.Time `parquet:"deleted_at,optional,timestamp(microsecond)"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t *partnero.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func optJSON(raw []byte) *string {
	s := string(raw)
	if s == "" || s == "null" {
		return nil
	}
	return &s
}

var decimalLimit = new(big.Int).Exp(big.NewInt(10), big.NewInt(DecimalPrecision), nil)

// EncodeDecimal returns d as the big-endian two's complement unscaled value
// of a DECIMAL(38,9), or nil for an unset amount. It fails rather than round.
func EncodeDecimal(d *partnero.Decimal) (*[16]byte, error) {
	if d == nil || d.IsZero() {
		return nil, nil
	}
	r := d.Rat()
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(DecimalScale), nil)))
	if !r.IsInt() {
		return nil, fmt.Errorf("amount %s has more than %d fractional digits: it does not fit DECIMAL(%d,%d)", d, DecimalScale, DecimalPrecision, DecimalScale)
	}
	n := r.Num()
	if new(big.Int).Abs(n).Cmp(decimalLimit) >= 0 {
		return nil, fmt.Errorf("amount %s does not fit DECIMAL(%d,%d)", d, DecimalPrecision, DecimalScale)
	}
	var out [16]byte
	if n.IsInt64() {
		// The common case, without big.Int bytes: sign-extend an int64.
		v := n.Int64()
		binary.BigEndian.PutUint64(out[8:], uint64(v))
		if v < 0 {
			for i := range 8 {
				out[i] = 0xff
			}
		}
		return &out, nil
	}
	abs := new(big.Int).Abs(n)
	if n.Sign() < 0 {
		// two's complement of a 128-bit value: 2^128 - |n|
		abs.Sub(new(big.Int).Lsh(big.NewInt(1), 128), abs)
	}
	abs.FillBytes(out[:])
	return &out, nil
}

// DecodeDecimal is the inverse of EncodeDecimal (for tests and readers).
func DecodeDecimal(b [16]byte) partnero.Decimal {
	n := new(big.Int).SetBytes(b[:])
	if b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	r := new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(DecimalScale), nil))
	d, err := partnero.ParseDecimal(r.FloatString(DecimalScale))
	if err != nil {
		panic(err) // a FloatString is always a valid decimal
	}
	return d
}
