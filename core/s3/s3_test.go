package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/s3/s3test"
	"github.com/libobjstore/objstore/core/storetest"
)

// server is one running S3 test server, from the variables
// buildscripts/servers/NAME.sh exports.
type server struct {
	name, endpoint, accessKey, secretKey string
}

func testServer(t *testing.T, name string) server {
	t.Helper()
	prefix := "OBJSTORE_TEST_" + strings.ToUpper(name) + "_"
	s := server{name: name, endpoint: os.Getenv(prefix + "ENDPOINT"), accessKey: os.Getenv(prefix + "ACCESS_KEY"), secretKey: os.Getenv(prefix + "SECRET_KEY")}
	if s.endpoint == "" || s.accessKey == "" || s.secretKey == "" {
		t.Fatalf("%sENDPOINT/_ACCESS_KEY/_SECRET_KEY are not set: run the tests via "+
			"buildscripts/with-servers.sh minio versitygw -- go test ./core/s3/...", prefix)
	}
	return s
}

var servers = []string{"minio", "versitygw"}

// config is the document of a store on this server, with explicit
// credentials (nothing from the environment).
func (s server) config(bucket string) core.Config {
	c := core.Config{
		Kind:   "s3",
		Bucket: bucket,
		Config: core.Options{
			"endpoint":          s.endpoint,
			"access_key_id":     s.accessKey,
			"secret_access_key": s.secretKey,
			"region":            "us-east-1",
		},
		ClientOptions: core.Options{"allow_http": "true"},
		// Fail fast on a broken server instead of retrying for minutes.
		RetryConfig: &core.RetryConfig{MaxRetries: aws.Int(2)},
	}
	return c
}

// openStore opens the backend's own store (an *s3.Store); openFront the
// store as users get it, behind the front (the prefix applied).
func openStore(t *testing.T, c core.Config, env map[string]string) core.Store {
	t.Helper()
	return openWith(t, Backend.Open, c, env)
}

func openFront(t *testing.T, c core.Config, env map[string]string) core.Store {
	t.Helper()
	return openWith(t, func(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
		return driver.Open(ctx, Backend, c, env)
	}, c, env)
}

func openWith(t *testing.T, opener func(context.Context, core.Config, map[string]string) (core.Store, error), c core.Config, env map[string]string) core.Store {
	t.Helper()
	c, err := Backend.Normalize(c)
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	st, err := opener(context.Background(), c, env)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return st
}

func uniqueBucket() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "objstore-test-" + hex.EncodeToString(b)
}

// newBucket creates an empty bucket and removes it (and everything in it)
// when the test ends.
func (s server) newBucket(t *testing.T) string {
	t.Helper()
	bucket := uniqueBucket()
	api := openStore(t, s.config(bucket), nil).(*Store).c.api
	ctx := context.Background()
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket %s on %s: %v", bucket, s.name, err)
	}
	t.Cleanup(func() { s3test.RemoveBucket(api, bucket) })
	return bucket
}

// capabilities are what each server cannot do (see the report in
// TestConformance's doc and docs/architecture.md, "Test servers").
func capabilities(name string) storetest.Capabilities {
	caps := storetest.Capabilities{
		// Test buckets are created without versioning.
		NoVersions: true,
		// Both servers store objects as files: "a" and "a/b" cannot coexist.
		ObjectAndPrefixConflict: true,
	}
	return caps
}

// TestConformance runs the whole conformance suite, prefix stores included,
// against every S3 test server, one fresh bucket per store.
func TestConformance(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			storetest.Run(t, func(t *testing.T) core.Store {
				return openStore(t, srv.config(srv.newBucket(t)), nil)
			}, capabilities(name))
		})
	}
}

// TestConformanceVersioned reruns the suite on MinIO with bucket
// versioning on, where Get of an old version must return old content.
// (versitygw's posix backend keeps versions only with a versioning
// directory configured, which the test server does not set.)
func TestConformanceVersioned(t *testing.T) {
	srv := testServer(t, "minio")
	caps := capabilities("minio")
	caps.NoVersions = false
	storetest.Run(t, func(t *testing.T) core.Store {
		bucket := srv.newBucket(t)
		st := openStore(t, srv.config(bucket), nil).(*Store)
		_, err := st.c.api.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
			Bucket:                  &bucket,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			t.Fatalf("enable versioning: %v", err)
		}
		return st
	}, caps)
}

// TestStorePrefixFromDocument checks that a document's prefix is applied by
// the front of driver.Open (the store sees only its subtree).
func TestStorePrefixFromDocument(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			bucket := srv.newBucket(t)
			c := srv.config(bucket)
			c.Prefix = "tenant/a"
			ps := openFront(t, c, nil)
			root := openStore(t, srv.config(bucket), nil)
			ctx := context.Background()
			if _, err := ps.Put(ctx, "x.txt", []byte("x"), core.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := root.Head(ctx, "tenant/a/x.txt"); err != nil {
				t.Fatalf("object written through the prefix store is not at tenant/a/x.txt: %v", err)
			}
			var got []string
			for m, err := range ps.List(ctx, "", core.ListOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(m.Location))
			}
			if len(got) != 1 || got[0] != "x.txt" {
				t.Fatalf("prefix store lists %q, want [x.txt]", got)
			}
		})
	}
}

func fetch(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET presigned URL: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// TestSignedURLs: a signed GET works with plain net/http; the same URL with
// one character of the signature changed is refused with 403; a URL that
// expired is refused.
func TestSignedURLs(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			st := openStore(t, srv.config(srv.newBucket(t)), nil)
			ctx := context.Background()
			data := []byte("presigned content")
			if _, err := st.Put(ctx, "dir/obj.txt", data, core.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			url, err := core.Sign(ctx, st, http.MethodGet, "dir/obj.txt", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if status, body := fetch(t, url); status != http.StatusOK || !bytes.Equal(body, data) {
				t.Fatalf("signed GET: status %d body %q", status, body)
			}

			i := strings.Index(url, "X-Amz-Signature=")
			if i < 0 {
				t.Fatalf("no X-Amz-Signature in %s", url)
			}
			pos := i + len("X-Amz-Signature=")
			flipped := byte('0')
			if url[pos] == '0' {
				flipped = '1'
			}
			tampered := url[:pos] + string(flipped) + url[pos+1:]
			if status, body := fetch(t, tampered); status != http.StatusForbidden {
				t.Fatalf("tampered signature: status %d (want 403) body %q", status, body)
			}

			short, err := core.Sign(ctx, st, http.MethodGet, "dir/obj.txt", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			if status, body := fetch(t, short); status != http.StatusForbidden {
				t.Fatalf("expired URL: status %d (want 403) body %q", status, body)
			}

			if _, err := core.Sign(ctx, st, "PATCH", "dir/obj.txt", time.Minute); !core.IsKind(err, core.NotSupported) {
				t.Fatalf("sign PATCH: %v, want NotSupported", err)
			}
		})
	}
}

// TestFailsFast: wrong credentials and a missing bucket give typed errors
// promptly (no retries of 4xx); the deadline only guards against a hang.
func TestFailsFast(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			bucket := srv.newBucket(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			wrong := srv.config(bucket)
			wrong.Config["secret_access_key"] = "definitely-not-the-secret"
			wrong.RetryConfig = nil // the default policy: 10 retries, which 4xx must not use
			st := openStore(t, wrong, nil)
			_, err := st.Get(ctx, "any", core.GetOptions{})
			if !core.IsKind(err, core.Unauthenticated) && !core.IsKind(err, core.PermissionDenied) {
				t.Fatalf("wrong secret: %v, want Unauthenticated or PermissionDenied", err)
			}
			if strings.Contains(err.Error(), "definitely-not-the-secret") {
				t.Fatalf("error shows the secret: %v", err)
			}
			wrongKey := srv.config(bucket)
			wrongKey.Config["access_key_id"] = "NOSUCHACCESSKEY"
			wrongKey.RetryConfig = nil
			_, err = openStore(t, wrongKey, nil).Put(ctx, "x", []byte("x"), core.PutOptions{})
			if !core.IsKind(err, core.Unauthenticated) && !core.IsKind(err, core.PermissionDenied) {
				t.Fatalf("unknown access key: %v, want Unauthenticated or PermissionDenied", err)
			}

			missing := srv.config("objstore-no-such-bucket-" + hex.EncodeToString([]byte(name)))
			missing.RetryConfig = nil
			ms := openStore(t, missing, nil)
			_, err = ms.Get(ctx, "any", core.GetOptions{})
			if !core.IsKind(err, core.NotFound) || !strings.Contains(err.Error(), "objstore-no-such-bucket") {
				t.Fatalf("missing bucket get: %v, want NotFound naming the bucket", err)
			}
			for _, lerr := range ms.List(ctx, "", core.ListOptions{}) {
				if !core.IsKind(lerr, core.NotFound) {
					t.Fatalf("missing bucket list: %v, want NotFound", lerr)
				}
			}
			if _, err := ms.Put(ctx, "x", []byte("x"), core.PutOptions{}); !core.IsKind(err, core.NotFound) {
				t.Fatalf("missing bucket put: %v, want NotFound", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("typed errors took longer than the guard deadline")
			}
		})
	}
}

// TestCopyIfNotExistsModes checks every copy_if_not_exists mode a server
// accepts against a real conflict.
func TestCopyIfNotExistsModes(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			// "" is the default for a custom endpoint (multipart); native
			// mode is not offered here: both servers ignore If-None-Match
			// on CopyObject.
			for _, mode := range []string{"", "multipart"} {
				c := srv.config(srv.newBucket(t))
				if mode != "" {
					c.Config["copy_if_not_exists"] = mode
				}
				st := openStore(t, c, nil)
				ctx := context.Background()
				mustPut(t, st, "src", "source")
				mustPut(t, st, "dst", "existing")
				if err := st.Copy(ctx, "src", "dst", core.CopyOptions{IfNotExists: true}); !core.IsKind(err, core.AlreadyExists) {
					t.Fatalf("mode %q: copy onto an existing object: %v, want AlreadyExists", mode, err)
				}
				expectBody(t, st, "dst", "existing")
				if err := st.Copy(ctx, "src", "new/dst", core.CopyOptions{IfNotExists: true}); err != nil {
					t.Fatalf("mode %q: copy to a new name: %v", mode, err)
				}
				expectBody(t, st, "new/dst", "source")
				// Attributes travel with the copy.
				attrs := core.Attributes{core.AttrContentType: "text/x-test", "origin": "src"}
				if _, err := st.Put(ctx, "with-attrs", []byte("a"), core.PutOptions{Attributes: attrs}); err != nil {
					t.Fatal(err)
				}
				if err := st.Copy(ctx, "with-attrs", "copied-attrs", core.CopyOptions{IfNotExists: true}); err != nil {
					t.Fatal(err)
				}
				res, err := st.Get(ctx, "copied-attrs", core.GetOptions{Head: true})
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.Attributes[core.AttrContentType] != "text/x-test" || res.Attributes["origin"] != "src" {
					t.Fatalf("mode %q: copied attributes %v", mode, res.Attributes)
				}
				// An empty source copies too.
				mustPut(t, st, "empty", "")
				if err := st.Copy(ctx, "empty", "empty-copy", core.CopyOptions{IfNotExists: true}); err != nil {
					t.Fatalf("mode %q: copy of an empty object: %v", mode, err)
				}
				expectBody(t, st, "empty-copy", "")
				if err := st.Copy(ctx, "missing", "other", core.CopyOptions{IfNotExists: true}); !core.IsKind(err, core.NotFound) {
					t.Fatalf("mode %q: copy of a missing source: %v, want NotFound", mode, err)
				}
			}
		})
	}
}

// TestBulkDeleteBatches deletes more than one DeleteObjects batch.
func TestBulkDeleteBatches(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			st := openStore(t, srv.config(srv.newBucket(t)), nil)
			ctx := context.Background()
			const n = 1203
			paths := make([]core.Path, n)
			errs := make(chan error, n)
			sem := make(chan struct{}, 16)
			for i := range paths {
				paths[i] = core.Path("many/" + hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))
				sem <- struct{}{}
				go func() {
					defer func() { <-sem }()
					_, err := st.Put(ctx, paths[i], []byte("x"), core.PutOptions{})
					errs <- err
				}()
			}
			for range paths {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			paths = append(paths, "many/not-there")
			for i, err := range core.DeleteMany(ctx, st, paths) {
				if err != nil && !(paths[i] == "many/not-there" && core.IsKind(err, core.NotFound)) {
					t.Fatalf("delete %s: %v", paths[i], err)
				}
			}
			for m, err := range st.List(ctx, "many", core.ListOptions{}) {
				t.Fatalf("left after bulk delete: %s %v", m.Location, err)
			}
		})
	}
}

// TestTagsAndRequestOptions: tags are sent with the Tagging header and
// can be read back; disable_tagging drops them.
func TestTags(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			bucket := srv.newBucket(t)
			st := openStore(t, srv.config(bucket), nil).(*Store)
			ctx := context.Background()
			tags := map[string]string{"team": "data eng", "tier": "gold"}
			if _, err := st.Put(ctx, "tagged", []byte("x"), core.PutOptions{Tags: tags}); err != nil {
				t.Fatal(err)
			}
			up, err := st.PutMultipart(ctx, "tagged-mp", core.MultipartOptions{Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			if err := up.PutPart(ctx, 0, []byte("y")); err != nil {
				t.Fatal(err)
			}
			if _, err := up.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"tagged", "tagged-mp"} {
				got := objectTags(t, st, key)
				if len(got) != 2 || got["team"] != "data eng" || got["tier"] != "gold" {
					t.Fatalf("%s: tags %v, want %v", key, got, tags)
				}
			}
			c := srv.config(bucket)
			c.Config["disable_tagging"] = "true"
			plain := openStore(t, c, nil).(*Store)
			if _, err := plain.Put(ctx, "untagged", []byte("x"), core.PutOptions{Tags: tags}); err != nil {
				t.Fatal(err)
			}
			if got := objectTags(t, st, "untagged"); len(got) != 0 {
				t.Fatalf("disable_tagging: tags %v were sent", got)
			}
		})
	}
}

func objectTags(t *testing.T, st *Store, key string) map[string]string {
	t.Helper()
	out, err := st.c.api.GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: &st.c.bucket, Key: &key})
	if err != nil {
		t.Fatalf("get tagging of %s: %v", key, err)
	}
	got := map[string]string{}
	for _, tag := range out.TagSet {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return got
}

// TestMultipartAbortLeavesNothing: after Abort no upload is listed.
func TestMultipartAbortLeavesNothing(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			bucket := srv.newBucket(t)
			st := openStore(t, srv.config(bucket), nil).(*Store)
			ctx := context.Background()
			up, err := st.PutMultipart(ctx, "aborted", core.MultipartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := up.PutPart(ctx, 0, bytes.Repeat([]byte("a"), 5<<20)); err != nil {
				t.Fatal(err)
			}
			if err := up.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			out, err := st.c.api.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Uploads) != 0 {
				t.Fatalf("uploads left after abort: %v", uploadKeys(out.Uploads))
			}
			if _, err := st.Head(ctx, "aborted"); !core.IsKind(err, core.NotFound) {
				t.Fatalf("head after abort: %v", err)
			}
		})
	}
}

func uploadKeys(us []types.MultipartUpload) []string {
	var keys []string
	for _, u := range us {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// TestCredentialsFromEnvMap: credentials and endpoint come from the env map
// given to Open, never from the process environment, and explicit config
// beats the map.
func TestCredentialsFromEnvMap(t *testing.T) {
	srv := testServer(t, "minio")
	bucket := srv.newBucket(t)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":     srv.accessKey,
		"AWS_SECRET_ACCESS_KEY": srv.secretKey,
		"AWS_ENDPOINT_URL":      srv.endpoint,
		"AWS_ALLOW_HTTP":        "true",
		"AWS_REGION":            "us-east-1",
	}
	ctx := context.Background()
	st := openStore(t, core.Config{Kind: "s3", Bucket: bucket}, env)
	mustPut(t, st, "from-env", "ok")
	expectBody(t, st, "from-env", "ok")

	env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-from-env"
	c := core.Config{Kind: "s3", Bucket: bucket, Config: core.Options{"aws_access_key_id": srv.accessKey, "AWS_SECRET_ACCESS_KEY": srv.secretKey}}
	expectBody(t, openStore(t, c, env), "from-env", "ok")

	_, err := openStore(t, core.Config{Kind: "s3", Bucket: bucket}, env).Get(ctx, "from-env", core.GetOptions{})
	if !core.IsKind(err, core.Unauthenticated) && !core.IsKind(err, core.PermissionDenied) {
		t.Fatalf("wrong secret from env map: %v", err)
	}
}

func mustPut(t *testing.T, st core.Store, path core.Path, body string) {
	t.Helper()
	if _, err := st.Put(context.Background(), path, []byte(body), core.PutOptions{}); err != nil {
		t.Fatalf("put %s: %v", path, err)
	}
}

func expectBody(t *testing.T, st core.Store, path core.Path, want string) {
	t.Helper()
	res, err := st.Get(context.Background(), path, core.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil || string(got) != want {
		t.Fatalf("get %s: %q %v, want %q", path, got, err, want)
	}
}

// TestSkipSignature reads a public object without credentials; the same
// store is refused where the bucket policy does not allow anonymous access.
func TestSkipSignature(t *testing.T) {
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			bucket := srv.newBucket(t)
			owner := openStore(t, srv.config(bucket), nil).(*Store)
			ctx := context.Background()
			mustPut(t, owner, "public/readme.txt", "anyone may read")
			mustPut(t, owner, "private/secret.txt", "owner only")
			policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},` +
				`"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + bucket + `/public/*"]}]}`
			if _, err := owner.c.api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &policy}); err != nil {
				t.Fatalf("put bucket policy: %v", err)
			}
			anon := openStore(t, core.Config{Kind: "s3", Bucket: bucket,
				Config:        core.Options{"endpoint": srv.endpoint, "skip_signature": "true"},
				ClientOptions: core.Options{"allow_http": "true"}}, nil)
			expectBody(t, anon, "public/readme.txt", "anyone may read")
			if _, err := anon.Get(ctx, "private/secret.txt", core.GetOptions{}); !core.IsKind(err, core.PermissionDenied) {
				t.Fatalf("anonymous get of a private object: %v, want PermissionDenied", err)
			}
		})
	}
}
