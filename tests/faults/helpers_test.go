// Package faults_test injects network faults (Toxiproxy) between the S3
// backend and MinIO, makes local writes fail midway, and races writers
// against every store kind. The rule under test: an operation either
// returns exactly the right bytes or a typed *core.Error — never short or
// wrong data as success, never a half-written object or a dangling upload.
package faults_test

import (
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
	s3store "github.com/libobjstore/objstore/core/s3"
	"github.com/libobjstore/objstore/tests/testminio"
)

type minio struct{ endpoint, accessKey, secretKey string }

func minioServer(t testing.TB) minio {
	t.Helper()
	s := testminio.FromEnv(t, "buildscripts/with-servers.sh minio toxiproxy -- go test ./tests/faults/")
	return minio{s.Endpoint, s.AccessKey, s.SecretKey}
}

// versitygwServer is the other S3 test server, for what must work on both.
func versitygwServer(t testing.TB) minio {
	t.Helper()
	m := minio{os.Getenv("OBJSTORE_TEST_VERSITYGW_ENDPOINT"), os.Getenv("OBJSTORE_TEST_VERSITYGW_ACCESS_KEY"), os.Getenv("OBJSTORE_TEST_VERSITYGW_SECRET_KEY")}
	if m.endpoint == "" || m.accessKey == "" || m.secretKey == "" {
		t.Fatal("OBJSTORE_TEST_VERSITYGW_ENDPOINT/_ACCESS_KEY/_SECRET_KEY are not set: run via buildscripts/with-servers.sh (all servers)")
	}
	return m
}

// hostPort is the endpoint's host:port, the upstream of a proxy.
func (m minio) hostPort(t testing.TB) string {
	u, err := url.Parse(m.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// admin is a plain SDK client straight to MinIO (no proxy, not our code),
// to set up buckets and to check what the store really holds.
func (m minio) admin() *s3.Client { return m.server().Admin() }

// newBucket creates an empty bucket, emptied and removed at the end.
func (m minio) newBucket(t testing.TB) string {
	t.Helper()
	return m.server().NewBucket(t, "objstore-faults-")
}

func (m minio) server() testminio.Server {
	return testminio.Server{Endpoint: m.endpoint, AccessKey: m.accessKey, SecretKey: m.secretKey}
}

// s3Config is the document of an S3 store on bucket at endpoint (MinIO
// itself or a proxy) with the given retry policy and client timeout.
func (m minio) s3Config(endpoint, bucket string, retry *core.RetryConfig, timeout time.Duration) core.Config {
	return core.Config{
		Kind:   "s3",
		Bucket: bucket,
		Config: core.Options{
			"endpoint": endpoint, "access_key_id": m.accessKey, "secret_access_key": m.secretKey, "region": "us-east-1",
		},
		ClientOptions: clientOptions(timeout),
		RetryConfig:   retry,
	}
}

// openS3 opens an S3 store on bucket at endpoint (MinIO itself or a proxy)
// with the given retry policy and client timeout.
func (m minio) openS3(t testing.TB, endpoint, bucket string, retry *core.RetryConfig, timeout time.Duration) core.Store {
	t.Helper()
	return openBackend(t, s3store.Backend, m.s3Config(endpoint, bucket, retry, timeout))
}

// retryPolicy is a short policy: the suite must finish in about a minute.
func retryPolicy(maxRetries int, initBackoff, maxBackoff, timeout time.Duration) *core.RetryConfig {
	ib, mb, rt := core.Duration(initBackoff), core.Duration(maxBackoff), core.Duration(timeout)
	return &core.RetryConfig{MaxRetries: &maxRetries, RetryTimeout: &rt,
		Backoff: &core.BackoffConfig{InitBackoff: &ib, MaxBackoff: &mb}}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>8) ^ seed
	}
	return b
}

// typed reports whether err is the library's own typed error.
func typed(err error) (*core.Error, bool) {
	var e *core.Error
	return e, errors.As(err, &e)
}

func mustPath(t testing.TB, s string) core.Path {
	t.Helper()
	p, err := core.ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
