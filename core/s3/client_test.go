package s3

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

func responseError(status int, code string) error {
	var err error = &smithy.GenericAPIError{Code: code, Message: "m"}
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
	}
}

// silentServer accepts connections, takes the requests and never answers;
// it returns its host:port.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// attemptTimeout is the error of a request to a server that never answers,
// sent with a 50 ms client timeout.
func attemptTimeout(t *testing.T) error {
	hc, err := driver.ClientOptions{Timeout: 50 * time.Millisecond}.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	_, err = hc.Get("http://" + silentServer(t) + "/")
	if !driver.IsAttemptTimeout(err) || !core.IsKind(err, core.Timeout) {
		t.Fatalf("silent server: %v, want an attempt timeout", err)
	}
	return err
}

func TestRetryerDecisions(t *testing.T) {
	r := &retryer{policy: driver.PolicyOf(nil)}
	if r.MaxAttempts() != core.DefaultMaxRetries+1 {
		t.Fatalf("max attempts %d", r.MaxAttempts())
	}
	retried := map[string]error{
		"500":                        responseError(500, "InternalError"),
		"503 SlowDown":               responseError(503, "SlowDown"),
		"429":                        responseError(429, ""),
		"408":                        responseError(408, ""),
		"409 conditional conflict":   responseError(409, "ConditionalRequestConflict"),
		"400 RequestTimeout":         responseError(400, "RequestTimeout"),
		"connection reset":           &net.OpError{Op: "read", Err: syscall.ECONNRESET},
		"connection refused (dial)":  &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED},
		"attempt timed out (client)": attemptTimeout(t),
	}
	for name, err := range retried {
		if !r.IsErrorRetryable(err) {
			t.Errorf("%s: not retried", name)
		}
	}
	final := map[string]error{
		"403":               responseError(403, "AccessDenied"),
		"403 bad signature": responseError(403, "SignatureDoesNotMatch"),
		"404 no bucket":     responseError(404, "NoSuchBucket"),
		"412":               responseError(412, "PreconditionFailed"),
		"416":               responseError(416, "InvalidRange"),
		"501":               responseError(501, "NotImplemented"),
		"cancelled":         context.Canceled,
		"deadline":          context.DeadlineExceeded,
		"other":             errors.New("invalid input"),
	}
	for name, err := range final {
		if r.IsErrorRetryable(err) {
			t.Errorf("%s: retried", name)
		}
	}
}

func TestRetryerBackoffBounds(t *testing.T) {
	init, maxB := core.Duration(200*time.Millisecond), core.Duration(time.Second)
	base := 3.0
	r := &retryer{policy: driver.PolicyOf(&core.RetryConfig{Backoff: &core.BackoffConfig{InitBackoff: &init, MaxBackoff: &maxB, Base: &base}})}
	for attempt := 1; attempt <= 20; attempt++ {
		d, err := r.RetryDelay(attempt, nil)
		if err != nil {
			t.Fatal(err)
		}
		ceiling := min(time.Duration(float64(init)*pow(base, attempt-1)), time.Duration(maxB))
		if d < time.Duration(init) || d > ceiling {
			t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, d, time.Duration(init), ceiling)
		}
	}
}

func pow(b float64, n int) float64 {
	x := 1.0
	for range n {
		x *= b
	}
	return x
}

func TestRetryTimeoutStopsRetries(t *testing.T) {
	timeout := core.Duration(time.Millisecond)
	r := &retryer{policy: driver.PolicyOf(&core.RetryConfig{RetryTimeout: &timeout})}
	ctx := context.WithValue(context.Background(), startTimeKey{}, time.Now().Add(-time.Second))
	if _, err := r.GetRetryToken(ctx, responseError(503, "")); !errors.Is(err, errRetryTimeout) {
		t.Fatalf("retry after retry_timeout allowed: %v", err)
	}
	ctx = context.WithValue(context.Background(), startTimeKey{}, time.Now())
	r.policy.RetryTimeout = time.Minute
	if _, err := r.GetRetryToken(ctx, responseError(503, "")); err != nil {
		t.Fatalf("retry within retry_timeout refused: %v", err)
	}
}

// TestUnresponsiveServerTimesOut: a server that accepts connections and
// never answers yields a Timeout error after the configured client timeout
// and retries, not a hang.
func TestUnresponsiveServerTimesOut(t *testing.T) {
	retries := 1
	st := openStore(t, core.Config{Kind: "s3", Bucket: "b",
		Config:        core.Options{"endpoint": "http://" + silentServer(t), "access_key_id": "a", "secret_access_key": "s"},
		ClientOptions: core.Options{"allow_http": "true", "timeout": "300ms"},
		RetryConfig:   &core.RetryConfig{MaxRetries: &retries},
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, op := range map[string]func() error{
		"get":  func() error { _, err := st.Get(ctx, "k", core.GetOptions{}); return err },
		"head": func() error { _, err := st.Head(ctx, "k"); return err },
		"put":  func() error { _, err := st.Put(ctx, "k", []byte("x"), core.PutOptions{}); return err },
	} {
		if err := op(); !core.IsKind(err, core.Timeout) {
			t.Errorf("%s: %v, want Timeout", name, err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the guard deadline expired: the client hung")
	}
	// The caller's own cancellation is Cancelled.
	cctx, ccancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); ccancel() }()
	if _, err := st.Put(cctx, "k", []byte("x"), core.PutOptions{}); !core.IsKind(err, core.Cancelled) {
		t.Errorf("cancelled put: %v, want Cancelled", err)
	}
}

func TestStripBucketHost(t *testing.T) {
	if got := stripBucketHost("https://mybucket.s3.example.com", "mybucket"); got != "https://s3.example.com" {
		t.Fatalf("got %s", got)
	}
	if got := stripBucketHost("https://s3.example.com", "mybucket"); got != "https://s3.example.com" {
		t.Fatalf("got %s", got)
	}
}
