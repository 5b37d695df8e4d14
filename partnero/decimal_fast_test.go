package partnero

import "testing"

func TestParsePlainDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"49.99", "49.99", true},
		{"049.990", "49.99", true},
		{"+5", "5", true},
		{"-0.00", "0", true},
		{"-0.50", "-0.5", true},
		{"100", "100", true},
		{"7.", "7", true},
		{"0", "0", true},
		{".5", "", false},
		{"1e3", "", false},
		{"1,5", "", false},
		{"", "", false},
		{"-", "", false},
		{" 1", "", false},
	}
	for _, tt := range tests {
		d, ok := ParsePlainDecimal(tt.in)
		if ok != tt.ok || d.String() != tt.want {
			t.Errorf("ParsePlainDecimal(%q) = %q, %v; want %q, %v", tt.in, d, ok, tt.want, tt.ok)
		}
	}
}

func TestMinorPlainDecimal(t *testing.T) {
	tests := []struct {
		in   string
		exp  int
		want string
		ok   bool
	}{
		{"4900", 2, "49", true},
		{"4999", 2, "49.99", true},
		{"5", 2, "0.05", true},
		{"-5", 3, "-0.005", true},
		{"1200", 0, "1200", true},
		{"0", 2, "0", true},
		{"-000", 2, "0", true},
		{"123456", 4, "12.3456", true},
		{"12.5", 2, "", false},
		{"", 2, "", false},
		{"5", 19, "", false},
	}
	for _, tt := range tests {
		d, ok := MinorPlainDecimal(tt.in, tt.exp)
		if ok != tt.ok || d.String() != tt.want {
			t.Errorf("MinorPlainDecimal(%q, %d) = %q, %v; want %q, %v", tt.in, tt.exp, d, ok, tt.want, tt.ok)
		}
	}
}

// FuzzPlainDecimal checks the fast paths agree with the general ones on
// every input they accept.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"49.99", "-0.10", "+007", "4900", "1e3", "", "0.000"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, exp int) {
		if d, ok := ParsePlainDecimal(s); ok {
			want, err := ParseDecimal(s)
			if err != nil || !want.Equal(d) {
				t.Fatalf("ParsePlainDecimal(%q) = %q; ParseDecimal = %q, %v", s, d, want, err)
			}
		}
		if d, ok := MinorPlainDecimal(s, exp); ok {
			want, err := DecimalFromMinor(s, exp)
			if err != nil || !want.Equal(d) {
				t.Fatalf("MinorPlainDecimal(%q, %d) = %q; DecimalFromMinor = %q, %v", s, exp, d, want, err)
			}
		}
	})
}
