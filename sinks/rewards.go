package sinks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// RewardRecords splits a transaction record into the records of the rewards
// table, one per reward, so a warehouse needs no JSON parsing to see
// commissions. Each has Entity record.Rewards and a Transaction that is a
// shallow copy of the original holding only that reward (its Key is the
// transaction key the reward row carries). Raw is the reward object as the API
// sent it, with "transaction_key" added in front, when the transaction's Raw
// holds a matching rewards array; otherwise it is the typed reward marshalled.
func RewardRecords(rec record.Record) ([]record.Record, error) {
	tx := rec.Transaction
	if tx == nil || len(tx.Rewards) == 0 {
		return nil, nil
	}
	var raws []json.RawMessage
	if len(rec.Raw) > 0 {
		var holder struct {
			Rewards []json.RawMessage `json:"rewards"`
		}
		if err := json.Unmarshal(rec.Raw, &holder); err == nil && len(holder.Rewards) == len(tx.Rewards) {
			raws = holder.Rewards
		}
	}
	out := make([]record.Record, 0, len(tx.Rewards))
	for i := range tx.Rewards {
		one := *tx
		one.Rewards = tx.Rewards[i : i+1 : i+1]
		var raw json.RawMessage
		if raws != nil {
			raw = raws[i]
		} else {
			b, err := json.Marshal(tx.Rewards[i])
			if err != nil {
				return nil, fmt.Errorf("transaction %s: reward %d: %w", tx.Key, i, err)
			}
			raw = b
		}
		out = append(out, record.Record{
			Entity:      record.Rewards,
			Origin:      rec.Origin,
			Transaction: &one,
			Raw:         withTransactionKey(raw, tx.Key),
		})
	}
	return out, nil
}

// Reward returns the one reward a rewards-table record carries.
func Reward(rec record.Record) (*partnero.Reward, error) {
	if rec.Transaction == nil || len(rec.Transaction.Rewards) != 1 {
		return nil, fmt.Errorf("%s: a rewards record must carry one transaction with exactly one reward", rec.Origin)
	}
	return &rec.Transaction.Rewards[0], nil
}

// withTransactionKey puts "transaction_key" first into a JSON object.
func withTransactionKey(raw json.RawMessage, key string) json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) < 2 || trimmed[0] != '{' {
		return raw
	}
	var b bytes.Buffer
	b.WriteString(`{"transaction_key":`)
	kb, _ := json.Marshal(key) // a string always marshals
	b.Write(kb)
	rest := bytes.TrimSpace(trimmed[1:])
	if len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes()
}

// Entity checks that rec belongs to the table a sink writes.
func Entity(rec record.Record, want record.Entity) error {
	if rec.Entity != want {
		return fmt.Errorf("%s: a %s record in the %s table", rec.Origin, rec.Entity, want)
	}
	ok := false
	switch want {
	case record.Partners:
		ok = rec.Partner != nil
	case record.Customers:
		ok = rec.Customer != nil
	case record.Transactions:
		ok = rec.Transaction != nil
	case record.Rewards:
		ok = rec.Transaction != nil && len(rec.Transaction.Rewards) == 1
	default:
		_, ok = listEntityOK(rec, want)
	}
	if !ok {
		return fmt.Errorf("%s: %s record without its %s", rec.Origin, want, strconv.Quote(string(want)))
	}
	return nil
}
