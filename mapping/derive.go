package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// DerivedKeyPrefix starts every key DerivedKey makes, so that a derived key
// is never mistaken for a payment id the source platform issued.
const DerivedKeyPrefix = "derived-"

// DerivedKey returns a deterministic key for a transaction that carries no
// key of its own: "derived-" and 32 hex digits (128 bits) of a SHA-256 over
// the transaction's content (customer key and email, amount, currency,
// reward, created_at, action, product id and types). The same row gets the
// same key on every run, so a re-run finds what it created; two rows with
// identical content get the same key, and the second is reported as a
// duplicate (give such rows a key column if they really are two sales).
func DerivedKey(t *partnero.Transaction) string {
	var buf [512]byte
	b := buf[:0]
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	field(t.Customer.Key)
	field(t.Customer.Email)
	if t.Amount != nil {
		field(t.Amount.String())
	} else {
		field("")
	}
	field(t.AmountUnits)
	if t.Reward != nil {
		field(t.Reward.String())
	} else {
		field("")
	}
	if t.CreatedAt != nil {
		b = t.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.999999999Z")
	}
	b = append(b, '|')
	field(t.Action)
	field(t.ProductID)
	for _, p := range t.ProductType {
		field(p)
	}
	sum := sha256.Sum256(b)
	var out [len(DerivedKeyPrefix) + 32]byte
	copy(out[:], DerivedKeyPrefix)
	hex.Encode(out[len(DerivedKeyPrefix):], sum[:16])
	return string(out[:])
}
