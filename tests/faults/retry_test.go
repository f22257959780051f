package faults_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
)

// statusInjector answers the first `failures` requests with `status` (all
// of them when failures < 0) and forwards the rest to MinIO: Toxiproxy
// works on TCP and cannot make a server answer 503.
type statusInjector struct {
	status   int
	failures int64
	seen     atomic.Int64
	mu       sync.Mutex
	arrivals []time.Time
}

func newInjector(t *testing.T, m minio, status int, failures int64) (*statusInjector, string) {
	target, err := url.Parse(m.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	in := &statusInjector{status: status, failures: failures}
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := in.seen.Add(1)
		in.mu.Lock()
		in.arrivals = append(in.arrivals, time.Now())
		in.mu.Unlock()
		if in.failures < 0 || n <= in.failures {
			w.WriteHeader(in.status)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return in, srv.URL
}

// The S3 backend's SDK retryer follows the retry policy: transient statuses
// are retried up to max_retries, then reported typed; final ones are not
// retried; successful retries return the right bytes.
func TestS3RetryerFollowsPolicy(t *testing.T) {
	m := minioServer(t)
	bucket := m.newBucket(t)
	clean := m.openS3(t, m.endpoint, bucket, retryPolicy(0, time.Millisecond, time.Millisecond, time.Second), 10*time.Second)
	put(t, clean, "obj", []byte("exact bytes"))
	const maxRetries = 3
	policy := retryPolicy(maxRetries, 20*time.Millisecond, 80*time.Millisecond, 30*time.Second)

	for _, status := range []int{500, 502, 503, 504, 429, 408} {
		in, endpoint := newInjector(t, m, status, 2)
		s := m.openS3(t, endpoint, bucket, policy, 5*time.Second)
		if got := read(t, s, "obj"); got != "exact bytes" {
			t.Fatalf("%d twice then OK: read %q", status, got)
		}
		if n := in.seen.Load(); n != 3 {
			t.Errorf("%d twice then OK: %d requests, want 3", status, n)
		}
		in, endpoint = newInjector(t, m, status, -1)
		s = m.openS3(t, endpoint, bucket, policy, 5*time.Second)
		_, err := s.Head(context.Background(), "obj")
		if _, ok := typed(err); !ok || !strings.Contains(err.Error(), strconv.Itoa(status)) {
			t.Errorf("%d always: %v, want a typed error naming the status", status, err)
		}
		if n := in.seen.Load(); n != maxRetries+1 {
			t.Errorf("%d always: %d requests, want %d", status, n, maxRetries+1)
		}
		// Every wait between attempts is at least init_backoff.
		in.mu.Lock()
		for i := 1; i < len(in.arrivals); i++ {
			if gap := in.arrivals[i].Sub(in.arrivals[i-1]); gap < 20*time.Millisecond {
				t.Errorf("%d: attempt %d followed after %s, below init_backoff", status, i+1, gap)
			}
		}
		in.mu.Unlock()
	}
	for status, kind := range map[int]core.Kind{501: core.NotSupported, 403: core.PermissionDenied, 400: core.InvalidArgument} {
		in, endpoint := newInjector(t, m, status, -1)
		s := m.openS3(t, endpoint, bucket, policy, 5*time.Second)
		_, err := s.Head(context.Background(), "obj")
		if n := in.seen.Load(); n != 1 {
			t.Errorf("head %d: %d requests, want 1 (not retried)", status, n)
		}
		if status != 400 && !core.IsKind(err, kind) { // (a HEAD answer has no body to tell 400s apart)
			t.Errorf("head %d: %v, want %v", status, err, kind)
		}
		// A plain GET first tries the fast path, which hands any non-2xx
		// answer to the SDK: one extra request, never a retry loop.
		in.seen.Store(0)
		_, err = s.Get(context.Background(), "obj", core.GetOptions{})
		if !core.IsKind(err, kind) {
			t.Errorf("get %d: %v, want %v", status, err, kind)
		}
		if n := in.seen.Load(); n > 2 {
			t.Errorf("get %d: %d requests, want at most 2 (not retried)", status, n)
		}
	}
	// retry_timeout ends the retries long before max_retries.
	in, endpoint := newInjector(t, m, 503, -1)
	s := m.openS3(t, endpoint, bucket, retryPolicy(1000, 20*time.Millisecond, 20*time.Millisecond, 300*time.Millisecond), 5*time.Second)
	if _, err := s.Head(context.Background(), "obj"); err == nil {
		t.Fatal("503 always: success")
	}
	if n := in.seen.Load(); n >= 100 {
		t.Errorf("retry_timeout 300ms with 20ms backoff: %d requests", n)
	}
}

// answerLostOnce is a proxy to MinIO that carries out the first request
// matching match but answers it with status, as if the answer were lost;
// it counts the matching requests.
func answerLostOnce(t *testing.T, m minio, match func(r *http.Request) bool, status int) (endpoint string, seen *atomic.Int64) {
	target, _ := url.Parse(m.endpoint)
	forward := httputil.NewSingleHostReverseProxy(target)
	seen = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if match(r) && seen.Add(1) == 1 {
			forward.ServeHTTP(httptest.NewRecorder(), r) // done on the server…
			w.WriteHeader(status)                        // …but the answer is lost
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, seen
}

// A multipart upload whose CreateMultipartUpload or
// CompleteMultipartUpload reached MinIO but whose answer was lost (the SDK
// then retries the call) still succeeds with the exact bytes, and leaves no
// upload open: a retried Complete finds the upload gone (NoSuchUpload) and
// recognizes the object by its multipart ETag; the upload a lost Create
// began is aborted.
func TestS3LostAnswersInMultipartUpload(t *testing.T) {
	cases := []struct {
		call   string
		match  func(r *http.Request) bool
		status int
	}{
		{"CreateMultipartUpload", func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("uploads") }, http.StatusBadGateway},
		{"CompleteMultipartUpload", func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("uploadId") }, http.StatusInternalServerError},
	}
	m := minioServer(t)
	bucket := m.newBucket(t)
	clean := m.openS3(t, m.endpoint, bucket, retryPolicy(0, time.Millisecond, time.Millisecond, time.Second), 10*time.Second)
	for i, c := range cases {
		t.Run(c.call, func(t *testing.T) {
			endpoint, seen := answerLostOnce(t, m, c.match, c.status)
			s := m.openS3(t, endpoint, bucket, retryPolicy(3, 20*time.Millisecond, 100*time.Millisecond, 30*time.Second), 10*time.Second)
			key := "lost-" + c.call
			data := pattern(5<<20+1000, byte(11+i))
			if _, err := core.PutMultipartReader(context.Background(), s, mustPath(t, key), bytes.NewReader(data), core.WriterOptions{ChunkSize: 5 << 20}); err != nil {
				t.Fatalf("multipart put with a lost %s answer: %v", c.call, err)
			}
			if n := seen.Load(); n != 2 {
				t.Fatalf("%d %s requests, want 2 (one retry)", n, c.call)
			}
			ups, err := m.admin().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &key})
			if err != nil {
				t.Fatal(err)
			}
			if len(ups.Uploads) != 0 {
				t.Fatalf("%d upload(s) left open by the lost %s answer", len(ups.Uploads), c.call)
			}
			storedWholeOrNothing(t, clean, key, data, nil)
		})
	}
}
