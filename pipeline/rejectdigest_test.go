package pipeline

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestDigestRejects: a reject file read back groups its rows by error
// code, in the codes' order, each with its count and first row as the
// example; a reject file never written has no rejects.
func TestDigestRejects(t *testing.T) {
	t.Parallel()
	want := []RejectGroup{
		{Code: "invalid_email", Count: 2, Line: "3", Message: "email: not an email address"},
		{Code: "parent_rejected", Count: 1, Line: "2", Message: "partner p1 was rejected"},
	}
	tests := []struct{ name, file, content string }{
		{"csv", "in.rejects.csv", "key,email,_line,_key,_error_code,_error_message\n" +
			"k1,a@x.com,2,k1,parent_rejected,partner p1 was rejected\n" +
			"k2,bad,3,k2,invalid_email,email: not an email address\n" +
			"k3,worse,5,k3,invalid_email,email: something else\n"},
		{"jsonl", "in.rejects.jsonl", `{"key":"k1","_line":2,"_key":"k1","_error_code":"parent_rejected","_error_message":"partner p1 was rejected"}` + "\n" +
			`{"key":"k2","_line":3,"_key":"k2","_error_code":"invalid_email","_error_message":"email: not an email address"}` + "\n" +
			`{"key":"k3","_line":5,"_key":"k3","_error_code":"invalid_email","_error_message":"email: something else"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DigestRejects(t.Context(), writeFile(t, tt.file, tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("DigestRejects = %+v\nwant %+v", got, want)
			}
		})
	}
	got, err := DigestRejects(t.Context(), filepath.Join(t.TempDir(), "none.rejects.csv"))
	if got != nil || err != nil {
		t.Errorf("no reject file: %+v, %v; want nil, nil", got, err)
	}
}
