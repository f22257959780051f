// Package stalls_test is the stall matrix: every backend's real test server
// (MinIO for S3 — the fast GET path and the SDK path —, fake-gcs-server,
// Azurite, nginx) behind tests/faultproxy, which relays the headers and
// half the body of an object read and then goes silent, never answers, or
// flips a byte. Every read must return exactly the right bytes, or a typed
// error (Timeout for a stall, Integrity for a flipped byte) within
// timeout×(retries+1) plus one second — never hang, never hand back wrong
// bytes.
//
// Run with buildscripts/with-servers.sh minio versitygw fakegcs azurite
// nginx -- go test ./tests/stalls/ (make test does). versitygw appears in
// the flipped-byte column only: it keeps a CRC64NVME of every object. Set
// OBJSTORE_STALL_REPORT=FILE to write the matrix, with the time each case
// took, as a markdown table.
package stalls_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/stores"
	"github.com/libobjstore/objstore/tests/faultproxy"
)

const (
	objectSize = 4 << 20
	timeout    = 3 * time.Second
	retries    = 2
	// bound is the longest any read may take: every attempt times out.
	bound = timeout*(retries+1) + time.Second
)

// backend is one server and how to open a store on it at a base URL (the
// server itself, or the proxy in front of it).
type backend struct {
	name     string
	upstream string // the server's host:port
	// open returns the document of a store at base; clean stores (which
	// write the test object) get write options too.
	doc func(base, prefix string, clean bool) core.Config
	// sdk: read with If-Match, which S3 sends through the SDK rather than
	// the fast GET path.
	sdk bool
	// checksums: the server sends a checksum of whole-object reads.
	checksums bool
	// rangeChecksums: also for a ranged read that covers the whole object
	// (S3 sends its checksums only for reads without a Range header).
	rangeChecksums bool
	// upload and list are the methods that upload objects and parts (""
	// = PUT) and list them ("" = GET); multipart: the store uploads in
	// parts.
	upload, list string
	multipart    bool
	// flipOnly: the backend is here for the flipped-byte column only.
	flipOnly bool
	// secondETags: the server's ETag is the modification time in whole
	// seconds and the size (nginx), so a read resumes only once the
	// object is older than the current second (see httpstore.pinnable);
	// the test waits that long after writing it.
	secondETags bool
}

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run via buildscripts/with-servers.sh minio versitygw fakegcs azurite nginx -- go test ./tests/stalls/", name)
	}
	return v
}

func hostOf(t *testing.T, raw string) (host, path string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host, u.Path
}

func s3Backend(t *testing.T, server string, sdk bool) backend {
	endpoint := env(t, "OBJSTORE_TEST_"+server+"_ENDPOINT")
	host, _ := hostOf(t, endpoint)
	bucket := env(t, "OBJSTORE_TEST_"+server+"_BUCKET")
	key, secret := env(t, "OBJSTORE_TEST_"+server+"_ACCESS_KEY"), env(t, "OBJSTORE_TEST_"+server+"_SECRET_KEY")
	minio := server == "MINIO"
	name := "s3 " + strings.ToLower(server)
	if minio {
		name = "s3 fast path"
		if sdk {
			name = "s3 SDK path"
		}
	}
	// versitygw keeps a CRC64NVME of every object by default; MinIO keeps
	// a checksum only when the upload sends one.
	return backend{name: name, upstream: host, sdk: sdk, checksums: true, multipart: true, flipOnly: !minio,
		doc: func(base, prefix string, clean bool) core.Config {
			c := core.Config{Kind: "s3", Bucket: bucket, Prefix: prefix, Config: core.Options{
				"endpoint": base, "access_key_id": key, "secret_access_key": secret, "region": "us-east-1",
			}}
			if clean && minio {
				c.Config["checksum_algorithm"] = "CRC32C"
			}
			return c
		}}
}

func gcsBackend(t *testing.T) backend {
	endpoint := env(t, "OBJSTORE_TEST_GCS_ENDPOINT")
	host, _ := hostOf(t, endpoint)
	bucket := env(t, "OBJSTORE_TEST_GCS_BUCKET")
	return backend{name: "gcs", upstream: host, checksums: true, rangeChecksums: true, upload: "POST", multipart: true,
		doc: func(base, prefix string, clean bool) core.Config {
			return core.Config{Kind: "gcs", Bucket: bucket, Prefix: prefix, Config: core.Options{"google_base_url": base}}
		}}
}

// The well-known key of Azurite's devstoreaccount1, used to create the
// test's container.
const azuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

func azureBackend(t *testing.T) backend {
	endpoint := env(t, "OBJSTORE_TEST_AZURITE_ENDPOINT")
	host, account := hostOf(t, endpoint)
	name := "stalls-" + randomHex(6)
	cred, err := container.NewSharedKeyCredential(strings.Trim(account, "/"), azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := container.NewClientWithSharedKeyCredential(endpoint+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Create(context.Background(), nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { cl.Delete(context.Background(), nil) })
	return backend{name: "azure", upstream: host, checksums: true, rangeChecksums: true, multipart: true,
		doc: func(base, prefix string, clean bool) core.Config {
			return core.Config{Kind: "azure", Bucket: name, Prefix: prefix, Config: core.Options{
				"use_emulator": "true", "endpoint": base + account,
			}}
		}}
}

func httpBackend(t *testing.T) backend {
	endpoint := env(t, "OBJSTORE_TEST_WEBDAV_URL")
	host, path := hostOf(t, endpoint)
	return backend{name: "http", upstream: host, list: "PROPFIND", secondETags: true,
		doc: func(base, prefix string, clean bool) core.Config {
			return core.Config{Kind: "http", URL: base + path + prefix + "/"}
		}}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// open opens the store a document describes, with the client options and
// the retry policy of the matrix (timeout 3 s, two retries; short
// backoffs, which the bound does not count).
func open(c core.Config, client core.Options) (core.Store, func(), error) {
	c.ClientOptions = driver.Merge(core.Options{"allow_http": "true", "timeout": timeout.String(), "connect_timeout": "1s"}, client)
	n, init, maxB := retries, core.Duration(50*time.Millisecond), core.Duration(100*time.Millisecond)
	c.RetryConfig = &core.RetryConfig{MaxRetries: &n, Backoff: &core.BackoffConfig{InitBackoff: &init, MaxBackoff: &maxB}}
	h, err := stores.Open(context.Background(), c, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s store: %w", c.Kind, err)
	}
	return h.Store, func() { h.Close() }, nil
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>11)
	}
	return b
}

// op reads the test object one way and returns what it read. Calls that
// are not reads of the object (list, put, multipart) return what shows
// they did their job, and want says what that must be.
type op struct {
	name string
	read func(ctx context.Context, s core.Store, p core.Path, g core.GetOptions) ([]byte, error)
	sdk  bool // also run on the S3 SDK path (it takes GetOptions)
	// For calls: which requests the proxy faults (upload: the backend's
	// upload method), and the result wanted.
	call         bool
	list, upload bool
	want         func(data []byte) []byte
	// write replaces read for calls that write: the test object is
	// written through the faulty store and read back through the clean one.
	write func(ctx context.Context, s core.Store, p core.Path, data []byte) error
}

var ops = []op{
	{name: "get", sdk: true, read: func(ctx context.Context, s core.Store, p core.Path, g core.GetOptions) ([]byte, error) {
		res, err := s.Get(ctx, p, g)
		if err != nil {
			return nil, err
		}
		return core.ReadAll(res, nil)
	}},
	{name: "stream", sdk: true, read: func(ctx context.Context, s core.Store, p core.Path, g core.GetOptions) ([]byte, error) {
		res, err := s.Get(ctx, p, g)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out bytes.Buffer
		chunk := make([]byte, 256<<10)
		for uint64(out.Len()) < res.Len() {
			n, err := io.ReadFull(res.Body, chunk[:min(uint64(len(chunk)), res.Len()-uint64(out.Len()))])
			out.Write(chunk[:n])
			if err != nil {
				return nil, err
			}
		}
		return out.Bytes(), nil
	}},
	{name: "get_many", read: func(ctx context.Context, s core.Store, p core.Path, _ core.GetOptions) ([]byte, error) {
		r := core.GetMany(ctx, s, []core.GetManyRequest{{Path: p}}, nil, core.GetManyOptions{})
		return r[0].Data, r[0].Err
	}},
	{name: "get_ranges", read: func(ctx context.Context, s core.Store, p core.Path, _ core.GetOptions) ([]byte, error) {
		// Two ranges one coalesced request reads: [0, 3 MiB) and the rest.
		views, err := core.GetRanges(ctx, s, p, []core.Range{core.Bounded(0, 3<<20), core.Bounded(3<<20, objectSize)}, nil)
		if err != nil {
			return nil, err
		}
		return append(views[0], views[1]...), nil
	}},
}

// calls are the other calls of a store under the same faults: a listing
// page, a put and the parts of a multipart upload.
var calls = []op{
	{name: "list", call: true, list: true,
		want: func([]byte) []byte { return []byte("data/object.bin") },
		read: func(ctx context.Context, s core.Store, p core.Path, _ core.GetOptions) ([]byte, error) {
			var names []string
			for m, err := range s.List(ctx, "", core.ListOptions{}) {
				if err != nil {
					return nil, err
				}
				names = append(names, string(m.Location))
			}
			return []byte(strings.Join(names, ",")), nil
		}},
	{name: "put", call: true, upload: true,
		write: func(ctx context.Context, s core.Store, p core.Path, data []byte) error {
			_, err := s.Put(ctx, p, data, core.PutOptions{})
			return err
		}},
	{name: "multipart", call: true, upload: true,
		write: func(ctx context.Context, s core.Store, p core.Path, data []byte) error {
			return putParts(ctx, s, p, data)
		}},
}

// putParts uploads data in two parts, S3's 5 MiB minimum and the rest,
// aborting the upload if it fails.
func putParts(ctx context.Context, s core.Store, p core.Path, data []byte) error {
	up, err := s.PutMultipart(ctx, p, core.MultipartOptions{})
	if err != nil {
		return err
	}
	const first = 5 << 20
	err = up.PutPart(ctx, 0, data[:first])
	if err == nil {
		err = up.PutPart(ctx, 1, data[first:])
	}
	if err == nil {
		_, err = up.Complete(ctx)
	}
	if err != nil {
		up.Abort(context.Background())
	}
	return err
}

// callFaults are the faults the calls meet: an answer that stops half-way
// (the listing), and a request that is never answered.
var callFaults = []fault{
	{name: "stall once", proxy: faultproxy.Options{Fault: faultproxy.Stall, Times: 1, After: -1}, want: "bytes", limit: bound},
	{name: "no answer once", proxy: faultproxy.Options{Fault: faultproxy.Silent, Times: 1}, want: "bytes", limit: bound},
}

// fault is one column of the matrix.
type fault struct {
	name   string
	proxy  faultproxy.Options
	client core.Options // client options of the faulty store
	// want: "bytes" (the exact bytes), or the error kind required.
	want  string
	limit time.Duration // the read must end within this
	// replace: the test object is overwritten when the fault strikes;
	// fresh: the read starts at once after the object was written.
	replace, fresh bool
}

var faults = []fault{
	{name: "stall once", proxy: faultproxy.Options{Fault: faultproxy.Stall, Times: 1, After: -1}, want: "bytes", limit: bound},
	{name: "stall always", proxy: faultproxy.Options{Fault: faultproxy.Stall, After: -1}, want: "Timeout", limit: bound},
	{name: "no answer once", proxy: faultproxy.Options{Fault: faultproxy.Silent, Times: 1}, want: "bytes", limit: bound},
	{name: "stall once, read_timeout 1s", proxy: faultproxy.Options{Fault: faultproxy.Stall, Times: 1, After: -1},
		client: core.Options{"read_timeout": "1s", "timeout": "30s"}, want: "bytes", limit: 1*time.Second*(retries+1) + time.Second},
	{name: "flipped byte", proxy: faultproxy.Options{Fault: faultproxy.Flip, After: -1}, want: "Integrity", limit: bound},
	// The object is replaced while the read stalls: the resumed read must
	// not splice the new object's bytes onto the old one's.
	{name: "stall once, object replaced", proxy: faultproxy.Options{Fault: faultproxy.Stall, Times: 1, After: -1}, replace: true, want: "Precondition", limit: bound},
	// The same within the second the object was written: a server whose
	// ETags have whole seconds cannot tell the two objects apart, so the
	// read must not resume at all (a Timeout), never splice.
	{name: "stall once, object replaced in its first second", proxy: faultproxy.Options{Fault: faultproxy.Stall, Times: 1, After: -1}, replace: true, fresh: true, want: "Precondition", limit: bound},
}

// outcome is one cell of the report.
type outcome struct {
	backend, op, fault, result string
	elapsed, afterStrike       time.Duration
}

var report struct {
	sync.Mutex
	rows []outcome
}

func TestMain(m *testing.M) {
	code := m.Run()
	if path := os.Getenv("OBJSTORE_STALL_REPORT"); path != "" {
		if err := writeReport(path); err != nil {
			fmt.Fprintln(os.Stderr, "stall report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func writeReport(path string) error {
	report.Lock()
	defer report.Unlock()
	rows := report.rows
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		return a.backend+"\x00"+a.fault+"\x00"+a.op < b.backend+"\x00"+b.fault+"\x00"+b.op
	})
	var b strings.Builder
	fmt.Fprintf(&b, "| backend | fault | read | outcome | total | after the fault struck |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		after := "—"
		if r.afterStrike > 0 {
			after = r.afterStrike.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.backend, r.fault, r.op, r.result, r.elapsed.Round(10*time.Millisecond), after)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// slots bounds the cases running at once. They mostly wait (on stalls
// and timeouts), so many run together; go test's own -parallel limit is
// the number of CPUs, which would make the matrix take minutes.
var slots = make(chan struct{}, 20)

type matrixCase struct {
	name     string
	b        backend
	f        fault
	o        op
	problems []string
}

func TestStallMatrix(t *testing.T) {
	backends := []backend{
		s3Backend(t, "MINIO", false), s3Backend(t, "MINIO", true), s3Backend(t, "VERSITYGW", false),
		gcsBackend(t), azureBackend(t), httpBackend(t),
	}
	var cases []*matrixCase
	for _, b := range backends {
		for _, f := range faults {
			if f.proxy.Fault == faultproxy.Flip && !b.checksums || f.proxy.Fault != faultproxy.Flip && b.flipOnly {
				continue // nginx sends no checksum: a flipped byte cannot be told
			}
			for _, o := range ops {
				if b.sdk && !o.sdk {
					continue
				}
				if f.proxy.Fault == faultproxy.Flip && o.name == "get_ranges" && !b.rangeChecksums {
					continue // no checksum comes with a ranged answer
				}
				cases = append(cases, &matrixCase{name: b.name + "/" + f.name + "/" + o.name, b: b, f: f, o: o})
			}
		}
		if b.sdk || b.flipOnly {
			continue // the SDK path is a read path
		}
		for _, f := range callFaults {
			for _, o := range calls {
				if o.upload && (f.proxy.Fault == faultproxy.Stall || o.name == "multipart" && !b.multipart) {
					continue // uploads are answered with no body to stall in
				}
				cases = append(cases, &matrixCase{name: b.name + "/" + f.name + "/" + o.name, b: b, f: f, o: o})
			}
		}
	}
	// The endless stalls run first, on their own: they take the whole
	// bound, and the other cases' uploads and hashing would eat into it.
	endless := func(c *matrixCase) bool { return c.f.want == "Timeout" }
	for _, phase := range []func(*matrixCase) bool{endless, func(c *matrixCase) bool { return !endless(c) }} {
		var wg sync.WaitGroup
		for _, c := range cases {
			if !phase(c) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				c.problems = runCase(c.b, c.f, c.o)
			}()
		}
		wg.Wait()
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range c.problems {
				t.Error(p)
			}
		})
	}
}

// runCase runs one cell of the matrix and returns what went wrong.
func runCase(b backend, f fault, o op) (problems []string) {
	fail := func(format string, args ...any) []string {
		return append(problems, fmt.Sprintf(format, args...))
	}
	ctx := context.Background()
	prefix := "stalls-" + randomHex(6)
	clean, closeClean, err := open(b.doc("http://"+b.upstream, prefix, true), nil)
	if err != nil {
		return fail("%v", err)
	}
	defer closeClean()
	p := core.Path("data/object.bin")
	data := pattern(objectSize)
	if o.name == "multipart" {
		data = pattern(6 << 20)
	}
	var put core.PutResult
	if o.write == nil {
		if put, err = clean.Put(ctx, p, data, core.PutOptions{}); err != nil {
			return fail("put: %v", err)
		}
	}
	defer clean.Delete(context.Background(), p)
	if b.secondETags && o.write == nil && !f.fresh {
		time.Sleep(1100 * time.Millisecond)
	}
	want := data
	if o.want != nil {
		want = o.want(data)
	}

	popts := f.proxy
	popts.Upstream, popts.MinBody = b.upstream, 1<<20
	var replaceErr error
	var other []byte // the replacing object
	if f.replace {
		other = bytes.Clone(data)
		other[len(other)-1] ^= 1
		popts.OnStrike = func() { _, replaceErr = clean.Put(ctx, p, other, core.PutOptions{}) }
	}
	if o.call {
		popts.MinBody = 1
		switch {
		case o.upload:
			popts.Method = cmp.Or(b.upload, "PUT")
		case o.list:
			popts.Method = cmp.Or(b.list, "GET")
		}
	}
	proxy, err := faultproxy.Start(popts)
	if err != nil {
		return fail("%v", err)
	}
	defer proxy.Close()
	faulty, closeFaulty, err := open(b.doc(proxy.URL, prefix, false), f.client)
	if err != nil {
		return fail("%v", err)
	}
	defer closeFaulty()

	var g core.GetOptions
	if b.sdk {
		g.IfMatch = put.ETag
	}
	start := time.Now()
	var got []byte
	if o.write != nil {
		err = o.write(ctx, faulty, p, data)
	} else {
		got, err = o.read(ctx, faulty, p, g)
	}
	elapsed := time.Since(start)
	if o.write != nil && err == nil {
		if res, gerr := clean.Get(ctx, p, core.GetOptions{}); gerr != nil {
			return fail("reading back what %s wrote: %v", o.name, gerr)
		} else if got, gerr = core.ReadAll(res, nil); gerr != nil {
			return fail("reading back what %s wrote: %v", o.name, gerr)
		}
	}
	row := outcome{backend: b.name, op: o.name, fault: f.name, elapsed: elapsed}
	if s := proxy.Strikes(); len(s) > 0 {
		row.afterStrike = start.Add(elapsed).Sub(s[0])
	}
	switch {
	case err == nil && bytes.Equal(got, want):
		row.result = "exact bytes"
	case err == nil && other != nil && bytes.Equal(got, other):
		row.result = "the new object, read from its start"
	case err == nil:
		row.result = fmt.Sprintf("WRONG BYTES (%d)", len(got))
	default:
		row.result = core.KindOf(err).String() + " error"
	}
	report.Lock()
	report.rows = append(report.rows, row)
	report.Unlock()

	if proxy.Faulted() == 0 {
		return fail("the proxy faulted nothing: the case tested nothing")
	}
	if replaceErr != nil {
		return fail("replacing the object during the stall: %v", replaceErr)
	}
	if elapsed > f.limit {
		problems = fail("took %s, more than the %s bound", elapsed.Round(time.Millisecond), f.limit)
	}
	// The kinds of error the case admits ("bytes": none, only success).
	wantKinds := []string{f.want}
	switch {
	case f.fresh && b.secondETags:
		// Not resumed (Timeout) — or resumed and refused (Precondition)
		// when the write and the read fell in different seconds.
		wantKinds = []string{"Timeout", "Precondition"}
	}
	switch {
	case wantKinds[0] == "bytes":
		if err != nil || !bytes.Equal(got, want) {
			problems = fail("want the exact bytes after a resume; got %d bytes, %v", len(got), err)
		}
	case err == nil && other != nil && bytes.Equal(got, other):
		// The store saw the replacement before it handed out a byte (GCS
		// where it reads an object's metadata in a second request, after
		// the bytes began) and read the new object from its start: no
		// splice either.
	case err == nil:
		problems = fail("want a %s error; got success with %d bytes (equal: %v)", strings.Join(wantKinds, " or "), len(got), bytes.Equal(got, want))
	default:
		var e *core.Error
		if !errors.As(err, &e) || !slices.Contains(wantKinds, e.Kind.String()) {
			problems = fail("want a %s error; got %v", strings.Join(wantKinds, " or "), err)
		}
	}
	return problems
}
