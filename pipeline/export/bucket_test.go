package export

import (
	"strings"
	"testing"
)

// TestBucketURLRefused: a bucket URL that would put credentials on the
// command line, or a prefix that is not a plain path, is refused before
// anything is opened.
func TestBucketURLRefused(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"s3://AKIA:secret@bucket/prefix", "credentials do not go in the URL"},
		{"s3://bucket/a/../b", "empty, . or .. segment"},
		{"gs://bucket/a//b", "empty, . or .. segment"},
		{"azblob:///prefix", "no bucket name"},
	} {
		_, err := openStore(t.Context(), tc.out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.out, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error repeats the secret: %v", tc.out, err)
		}
	}
}

func TestManifestLocation(t *testing.T) {
	for out, want := range map[string]string{
		"s3://b/p?endpoint=http://x&region=r": "s3://b/p/manifest.json",
		"gs://b/p/":                           "gs://b/p/manifest.json",
		"out":                                 "out/manifest.json",
	} {
		if got := ManifestLocation(out); got != want {
			t.Errorf("ManifestLocation(%q) = %q, want %q", out, got, want)
		}
	}
}
