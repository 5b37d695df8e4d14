package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A sandbox that dies without saving (SIGKILL: Close never runs) keeps every
// write it acknowledged: the next start finds the same records, with the
// same generated ids and keys, and new records do not collide with them.
func TestAcknowledgedWritesSurviveACrash(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	cfg := Config{Keys: []string{testKey}, DataFile: file, Seed: 9}
	s := mustNew(t, cfg)
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/v1/partners", `{"email":"a@example.com","tags":["vip"]}`},
		{"POST", "/v1/partners", `{"id":"p2","key":"bob","email":"b@example.com"}`},
		{"POST", "/v1/customers", `{"key":"c1","partner":{"key":"bob"}}`},
		{"POST", "/v1/transactions", `{"amount":"99.99","customer":{"key":"c1"}}`},
		{"POST", "/v1/transactions?key=t2&amount=5&customer[key]=c1", ``},
		{"POST", "/v1/customers/c1/suspend", ``},
		{"PUT", "/v1/partners/p2", `{"update":{"name":"Bobby"}}`},
	} {
		if rec := serve(s, testKey, req.method, req.path, req.body); rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", req.method, req.path, rec.Code, rec.Body)
		}
	}
	// A refused write changes nothing, before or after the crash.
	if rec := serve(s, testKey, "POST", "/v1/customers", `{"key":"c2","partner":{"key":"nobody"}}`); rec.Code < 400 {
		t.Fatalf("unknown partner accepted: %d", rec.Code)
	}
	want := map[string]string{}
	for _, path := range []string{"/v1/partners?sort=asc", "/v1/customers/c1", "/v1/transactions?sort=asc", "/v1/partners/p2"} {
		want[path] = serve(s, testKey, "GET", path, "").Body.String()
	}
	// No Close, no Save: the process is gone.
	s.crash()

	s2 := mustNew(t, cfg)
	for path, body := range want {
		if got := serve(s2, testKey, "GET", path, "").Body.String(); got != body {
			t.Errorf("GET %s after the crash:\n got %s\nwant %s", path, got, body)
		}
	}
	if rec := serve(s2, testKey, "POST", "/v1/partners", `{"email":"c@example.com"}`); rec.Code != 201 {
		t.Errorf("create after the crash: %d %s", rec.Code, rec.Body)
	}
	// Crash again after a reset: the reset is kept too.
	serve(s2, "", "POST", "/_sandbox/reset", "")
	serve(s2, testKey, "POST", "/v1/partners", `{"email":"d@example.com"}`)
	s2.crash()
	s3 := mustNew(t, cfg)
	if st := s3.Stats(); st.Programs[0].Partners != 1 || st.Programs[0].Customers != 0 {
		t.Errorf("after a reset and a crash: %+v", st.Programs[0])
	}
}

// --data on a path that cannot be written fails at start, not at exit
// after every write was lost.
func TestUnwritableDataFileFailsAtStart(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	for _, path := range []string{
		filepath.Join(dir, "missing", "sandbox.json"),
		filepath.Join(notDir, "sandbox.json"),
		dir, // a folder
	} {
		if _, err := New(Config{Keys: []string{testKey}, DataFile: path}); err == nil {
			t.Errorf("New accepted --data %s", path)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the path", path, err)
		}
	}
}

// A batch create takes at most MaxBatchTransactions items: beyond, a 422
// names the field, and nothing is created.
func TestBatchItemCap(t *testing.T) {
	s := mustNew(t, Config{})
	serve(s, testKey, "POST", "/v1/partners", `{"key":"a","email":"a@example.com"}`)
	serve(s, testKey, "POST", "/v1/customers", `{"key":"c","partner":{"key":"a"}}`)
	batch := func(n int) string {
		var items []string
		for i := range n {
			items = append(items, fmt.Sprintf(`{"key":"t%d","amount":1}`, i))
		}
		return `{"customer":{"key":"c"},"transactions":[` + strings.Join(items, ",") + `]}`
	}
	rec := serve(s, testKey, "POST", "/v1/transactions", batch(MaxBatchTransactions+1))
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), `"transactions":[`) || !strings.Contains(rec.Body.String(), fmt.Sprint(MaxBatchTransactions)) {
		t.Fatalf("an oversized batch: %d %s", rec.Code, rec.Body)
	}
	if st := s.Stats(); st.Programs[0].Transactions != 0 {
		t.Fatalf("a refused batch created %d transactions", st.Programs[0].Transactions)
	}
	if rec := serve(s, testKey, "POST", "/v1/transactions", batch(MaxBatchTransactions)); rec.Code != 201 {
		t.Fatalf("a full batch: %d %s", rec.Code, rec.Body)
	}
}

// A --data that is a symbolic link stays one: the file it names is saved.
func TestDataFileThroughALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s := mustNew(t, Config{DataFile: link})
	serve(s, testKey, "POST", "/v1/partners", `{"email":"a@example.com"}`)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if st := mustNew(t, Config{DataFile: real}).Stats(); st.Programs[0].Partners != 1 {
		t.Errorf("the linked file holds %+v", st.Programs[0])
	}
}

// Past its size the log is folded into the data file while the sandbox
// runs; a crash afterwards still finds every write, none twice (the entries
// the data file holds are skipped on replay, even from a log that was not
// emptied: a crash between saving and emptying).
func TestLogCompaction(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	cfg := Config{Keys: []string{testKey}, DataFile: file, CompactLogBytes: 2048}
	s := mustNew(t, cfg)
	serve(s, testKey, "POST", "/v1/partners", `{"key":"a","email":"a@example.com"}`)
	serve(s, testKey, "POST", "/v1/customers", `{"key":"c","partner":{"key":"a"}}`)
	for i := range 40 {
		if rec := serve(s, testKey, "POST", "/v1/transactions", fmt.Sprintf(`{"key":"t%d","amount":"1","customer":{"key":"c"}}`, i)); rec.Code != 201 {
			t.Fatalf("create %d: %d", i, rec.Code)
		}
	}
	fi, err := os.Stat(file + LogSuffix)
	if err != nil || fi.Size() > 2048+1024 {
		t.Fatalf("the log was not compacted: %v %v", fi.Size(), err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no data file after compaction: %v", err)
	}
	// A log the data file already holds (saving done, emptying not).
	log, _ := os.ReadFile(file + LogSuffix)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file+LogSuffix, log, 0o600)
	s.crash()

	s2 := mustNew(t, cfg)
	if st := s2.Stats(); st.Programs[0].Transactions != 40 || st.Programs[0].Partners != 1 {
		t.Errorf("after the crash: %+v", st.Programs[0])
	}
}

// crash drops the sandbox as a killed process would: its log is closed
// (the kernel releases the lock), nothing is saved.
func (s *Server) crash() { s.log.close() }

// Two sandboxes cannot share a data file: the second is refused at start.
func TestDataFileInUse(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	s := mustNew(t, Config{DataFile: file})
	defer s.Close()
	if _, err := New(Config{Keys: []string{testKey}, DataFile: file}); err == nil || !strings.Contains(err.Error(), "in use by another sandbox") {
		t.Fatalf("err = %v, want the data file in use", err)
	}
}
