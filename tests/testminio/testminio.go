// Package testminio is what Go tests outside core share about the MinIO
// test server that buildscripts/servers/minio.sh starts: where it is, a
// plain SDK client to it (not this library's code), and fresh buckets.
package testminio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core/s3/s3test"
)

// Server is the running MinIO test server.
type Server struct{ Endpoint, AccessKey, SecretKey string }

// FromEnv is the server with-servers.sh started; the test fails (never
// skips) when it did not. run says how to run the package's tests.
func FromEnv(t testing.TB, run string) Server {
	t.Helper()
	s := Server{os.Getenv("OBJSTORE_TEST_MINIO_ENDPOINT"), os.Getenv("OBJSTORE_TEST_MINIO_ACCESS_KEY"), os.Getenv("OBJSTORE_TEST_MINIO_SECRET_KEY")}
	if s.Endpoint == "" || s.AccessKey == "" || s.SecretKey == "" {
		t.Fatal("OBJSTORE_TEST_MINIO_ENDPOINT/_ACCESS_KEY/_SECRET_KEY are not set: run via " + run)
	}
	return s
}

// Admin is a plain SDK client straight to MinIO, to set up buckets and to
// check what the server really holds.
func (s Server) Admin() *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint)
		o.UsePathStyle = true
	})
}

// NewBucket creates an empty bucket named prefix and a random suffix, and
// at the end of the test aborts its uploads, empties and removes it.
func (s Server) NewBucket(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	bucket := prefix + hex.EncodeToString(b)
	api := s.Admin()
	ctx := context.Background()
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() { s3test.RemoveBucket(api, bucket) })
	return bucket
}
