package s3

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// stsProvider gets a new temporary key from MinIO's STS AssumeRole on every
// call, declared to expire after life. Its session policy lets the key read
// only until that declared expiry (MinIO checks aws:CurrentTime, to the
// second), so a request signed with a key past its declared life is refused
// by the server.
type stsProvider struct {
	srv   server
	life  time.Duration
	calls atomic.Int64
	wrong atomic.Int64 // answer an unknown key this many times first
	keys  sync.Map     // access key id -> declared expiry
}

func (p *stsProvider) String() string { return "stsProvider" }

func (p *stsProvider) Credential(ctx context.Context) (core.Credential, error) {
	p.calls.Add(1)
	if p.wrong.Add(-1) >= 0 {
		return core.Credential{AccessKeyID: "no-such-key", SecretAccessKey: "wrong"}, nil
	}
	if p.life == 0 {
		return core.Credential{AccessKeyID: p.srv.accessKey, SecretAccessKey: p.srv.secretKey}, nil
	}
	expires := time.Now().Add(p.life)
	// The server's clock has whole seconds: allow the second the declared
	// expiry falls in, no more.
	until := expires.Truncate(time.Second).Add(time.Second).UTC().Format(time.RFC3339)
	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Action": []string{"s3:*"}, "Resource": []string{"arn:aws:s3:::*"},
			"Condition": map[string]any{"DateLessThan": map[string]string{"aws:CurrentTime": until}},
		}},
	})
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.srv.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(p.srv.accessKey, p.srv.secretKey, "")})
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:minio:iam:::role/objstore"),
		RoleSessionName: aws.String("objstore-test"), DurationSeconds: aws.Int32(900), Policy: aws.String(string(policy))})
	if err != nil {
		return core.Credential{}, err
	}
	c := out.Credentials
	p.keys.Store(*c.AccessKeyId, expires)
	return core.Credential{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken, Expires: expires}, nil
}

func providerStore(t *testing.T, srv server, p core.CredentialProvider) (core.Store, string) {
	t.Helper()
	bucket := srv.newBucket(t)
	c := srv.config(bucket)
	delete(c.Config, "access_key_id")
	delete(c.Config, "secret_access_key")
	c, err := Backend.Normalize(c)
	if err != nil {
		t.Fatal(err)
	}
	st, err := driver.OpenWith(context.Background(), Backend, c, nil, driver.OpenOptions{Credentials: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, bucket
}

// TestProviderRotatingKeysMinIO: GETs for several credential lives, every one
// accepted by a server that refuses keys past their declared expiry, with
// one provider call per credential life.
func TestProviderRotatingKeysMinIO(t *testing.T) {
	srv := testServer(t, "minio")
	p := &stsProvider{srv: srv, life: 2 * time.Second}
	st, _ := providerStore(t, srv, p)
	ctx := context.Background()
	if _, err := st.Put(ctx, "obj", []byte("rotating"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	const run = 7 * time.Second
	start := time.Now()
	var gets atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < run {
				r, err := st.Get(ctx, "obj", core.GetOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				if err != nil || string(b) != "rotating" {
					t.Errorf("read %q, %v", b, err)
					return
				}
				gets.Add(1)
			}
		}()
	}
	wg.Wait()
	calls := p.calls.Load()
	// One call per 4/5 of a life (1.6 s), at least one per life.
	if calls < int64(run/p.life) || calls > int64(run/(p.life*4/5))+2 {
		t.Fatalf("%d provider calls for %d GETs over %v with %v credentials", calls, gets.Load(), run, p.life)
	}
	t.Logf("%d GETs, %d provider calls", gets.Load(), calls)
}

// TestProviderStaleKeyRetriedOnce: a key the server does not know is dropped
// and the provider asked again, once per operation.
func TestProviderStaleKeyRetriedOnce(t *testing.T) {
	srv := testServer(t, "minio")
	ctx := context.Background()
	for _, op := range []struct {
		name string
		want core.Kind // -1: success
		do   func(st core.Store) error
	}{
		{"get", core.NotFound, func(st core.Store) error { _, err := st.Get(ctx, "missing", core.GetOptions{}); return err }},
		{"head", core.NotFound, func(st core.Store) error { _, err := st.Head(ctx, "missing"); return err }},
		{"put", -1, func(st core.Store) error {
			_, err := st.Put(ctx, "x", []byte("x"), core.PutOptions{})
			return err
		}},
	} {
		p := &stsProvider{srv: srv}
		p.wrong.Store(1)
		st, _ := providerStore(t, srv, p)
		err := op.do(st)
		if op.want == -1 && err != nil || op.want != -1 && !core.IsKind(err, op.want) {
			t.Fatalf("%s: %v", op.name, err)
		}
		if n := p.calls.Load(); n != 2 {
			t.Fatalf("%s: %d provider calls, want 2", op.name, n)
		}
	}
	// Refused every time: one retry, then the service's refusal.
	bad := &stsProvider{srv: srv}
	bad.wrong.Store(1 << 30)
	st, _ := providerStore(t, srv, bad)
	if _, err := st.Get(ctx, "missing", core.GetOptions{}); !core.IsKind(err, core.Unauthenticated) {
		t.Fatalf("got %v", err)
	}
	if n := bad.calls.Load(); n != 2 {
		t.Fatalf("%d provider calls for one refused GET, want 2", n)
	}
}

func TestProviderFailureNamesProvider(t *testing.T) {
	srv := testServer(t, "minio")
	st, _ := providerStore(t, srv, failingProvider{})
	_, err := st.Get(context.Background(), "x", core.GetOptions{})
	if !core.IsKind(err, core.Unauthenticated) || !contains(err.Error(), "failingProvider", "boom") {
		t.Fatalf("got %v", err)
	}
}

type failingProvider struct{}

func (failingProvider) String() string { return "failingProvider" }
func (failingProvider) Credential(context.Context) (core.Credential, error) {
	return core.Credential{}, fmt.Errorf("boom")
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
