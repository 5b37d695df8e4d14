package parquet

import (
	"math"
	"math/big"
	"testing"
)

func TestScaledInt(t *testing.T) {
	tests := []struct {
		n     int64
		scale int
		want  string
	}{
		{12345, 2, "123.45"},
		{-12345, 2, "-123.45"},
		{5, 3, "0.005"},
		{-5, 3, "-0.005"},
		{0, 2, "0.00"},
		{100, 2, "1.00"},
		{7, 0, "7"},
		{7, -2, "700"},
		{math.MinInt64, 4, "-922337203685477.5808"},
		{math.MaxInt64, 18, "9.223372036854775807"},
	}
	for _, tt := range tests {
		if got := scaledInt(tt.n, tt.scale); got != tt.want {
			t.Errorf("scaledInt(%d, %d) = %q, want %q", tt.n, tt.scale, got, tt.want)
		}
		if tt.scale > 0 {
			if got := scaled(big.NewInt(tt.n), tt.scale); got != tt.want {
				t.Errorf("scaled(%d, %d) = %q, want %q", tt.n, tt.scale, got, tt.want)
			}
		}
	}
}

func TestTwosComplement(t *testing.T) {
	tests := []struct {
		b    []byte
		want int64
	}{
		{[]byte{0x00, 0x7f}, 127},
		{[]byte{0xff}, -1},
		{[]byte{0xff, 0x85}, -123},
		{[]byte{0x01, 0x00}, 256},
		{nil, 0},
	}
	for _, tt := range tests {
		if got := twosComplement(tt.b); got.Int64() != tt.want {
			t.Errorf("twosComplement(%x) = %v, want %d", tt.b, got, tt.want)
		}
	}
}

func TestStringCache(t *testing.T) {
	c := new(stringCache)
	long := string(make([]byte, 40))
	seq := []string{"USD", "EUR", "USD", "", "", "GBP", "JPY", "CHF", "USD", long, long, "EUR", "a", "b", "c", "d", "e", "USD"}
	for i, s := range seq {
		b := []byte(s)
		got := c.get(b)
		// The reader reuses its page buffer: a cached value must not see that.
		if len(b) > 0 {
			b[0] = '!'
		}
		if got != s {
			t.Fatalf("value %d: get(%q) = %q", i, s, got)
		}
	}
}
