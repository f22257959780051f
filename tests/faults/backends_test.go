package faults_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/azure"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/gcs"
	httpstore "github.com/libobjstore/objstore/core/http"
	s3store "github.com/libobjstore/objstore/core/s3"
)

// The real servers of the fault tests, one per HTTP backend: MinIO (S3),
// fake-gcs-server (GCS), Azurite (Azure) and nginx with WebDAV (HTTP), all
// started by buildscripts/with-servers.sh. Each test gets a fresh space
// (bucket, container or directory) and opens stores on it through any
// host:port in front of the server: a Toxiproxy proxy, a recording or a
// byte-flipping proxy.

type backend struct {
	name string
	// upstream is the host:port of the real server.
	upstream func(t testing.TB) string
	// newSpace makes an empty space for one test, removed when it ends.
	newSpace func(t testing.TB) *space
}

type space struct {
	backend driver.Backend
	// config is the document of a store on the space that reaches the
	// server at hostPort.
	config func(t testing.TB, hostPort string, retry *core.RetryConfig, timeout time.Duration) core.Config
	// openUploads counts the unfinished uploads of key the service itself
	// still holds (never our own bookkeeping). nil for HTTP, which streams
	// an upload in one request and keeps nothing between requests.
	openUploads func(t testing.TB, key string) int
}

// open opens a store on the space, reaching the server at hostPort.
func (sp *space) open(t testing.TB, hostPort string, retry *core.RetryConfig, timeout time.Duration) core.Store {
	t.Helper()
	return openBackend(t, sp.backend, sp.config(t, hostPort, retry, timeout))
}

var backends = []backend{
	{name: "s3", upstream: func(t testing.TB) string { return minioServer(t).hostPort(t) }, newSpace: minioSpace},
	{name: "gcs", upstream: func(t testing.TB) string { return hostOf(t, envURL(t, "OBJSTORE_TEST_GCS_ENDPOINT")) }, newSpace: gcsSpace},
	{name: "azure", upstream: func(t testing.TB) string { return hostOf(t, envURL(t, "OBJSTORE_TEST_AZURITE_ENDPOINT")) }, newSpace: azureSpace},
	{name: "http", upstream: func(t testing.TB) string { return hostOf(t, envURL(t, "OBJSTORE_TEST_WEBDAV_URL")) }, newSpace: webdavSpace},
}

func envURL(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run via buildscripts/with-servers.sh minio fakegcs azurite nginx toxiproxy -- go test ./tests/faults/", name)
	}
	return v
}

func hostOf(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// withHost is raw with its host:port replaced.
func withHost(t testing.TB, raw, hostPort string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = hostPort
	return u.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// openBackend normalizes and opens a document with a backend's own Backend,
// behind the front core/stores puts on every store.
func openBackend(t testing.TB, b driver.Backend, c core.Config) core.Store {
	t.Helper()
	c, err := b.Normalize(c)
	if err != nil {
		t.Fatalf("%s config: %v", b.Kind, err)
	}
	s, err := driver.Open(context.Background(), b, c, nil)
	if err != nil {
		t.Fatalf("open %s store: %v", b.Kind, err)
	}
	return s
}

func clientOptions(timeout time.Duration) core.Options {
	return core.Options{"allow_http": "true", "timeout": timeout.String(), "connect_timeout": "1s"}
}

func minioSpace(t testing.TB) *space { return s3Space(t, minioServer(t)) }

func s3Space(t testing.TB, m minio) *space {
	bucket := m.newBucket(t)
	return &space{
		backend: s3store.Backend,
		config: func(t testing.TB, hostPort string, retry *core.RetryConfig, timeout time.Duration) core.Config {
			return m.s3Config("http://"+hostPort, bucket, retry, timeout)
		},
		openUploads: func(t testing.TB, key string) int {
			ups, err := m.admin().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &key})
			if err != nil {
				t.Fatalf("list multipart uploads: %v", err)
			}
			return len(ups.Uploads)
		},
	}
}

// gcsSpace is a new bucket on fake-gcs-server, made and listed through its
// JSON API directly.
func gcsSpace(t testing.TB) *space {
	endpoint := envURL(t, "OBJSTORE_TEST_GCS_ENDPOINT")
	bucket := randomName("objstore-faults-")
	body, _ := json.Marshal(map[string]string{"name": bucket})
	resp, err := http.Post(endpoint+"/storage/v1/b?project=objstore-test", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("create bucket on fake-gcs-server: %v %v", resp, err)
	}
	resp.Body.Close()
	return &space{
		backend: gcs.Backend,
		config: func(t testing.TB, hostPort string, retry *core.RetryConfig, timeout time.Duration) core.Config {
			return core.Config{Kind: "gcs", Bucket: bucket,
				Config:        core.Options{"base_url": "http://" + hostPort},
				ClientOptions: clientOptions(timeout), RetryConfig: retry}
		},
		// A multipart upload's parts are temporary objects of the bucket,
		// each naming its destination in its metadata
		// (core/gcs/multipart.go): any left for key is an upload left open.
		openUploads: func(t testing.TB, key string) int {
			resp, err := http.Get(endpoint + "/storage/v1/b/" + bucket + "/o?prefix=" + url.QueryEscape(".objstore-multipart/"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var page struct {
				Items []struct {
					Name     string            `json:"name"`
					Metadata map[string]string `json:"metadata"`
				} `json:"items"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
				t.Fatalf("list temporaries: %v", err)
			}
			n := 0
			for _, it := range page.Items {
				if it.Metadata["objstore-upload-path"] == key {
					n++
				}
			}
			return n
		},
	}
}

// azureSpace is a new container on Azurite; uploads left open are blocks
// staged on a blob and never committed, read with Get Block List.
func azureSpace(t testing.TB) *space {
	endpoint := envURL(t, "OBJSTORE_TEST_AZURITE_ENDPOINT")
	name := randomName("faults-")
	admin := azureContainer(t, endpoint, name)
	if _, err := admin.Create(context.Background(), nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { admin.Delete(context.Background(), nil) })
	return &space{
		backend: azure.Backend,
		config: func(t testing.TB, hostPort string, retry *core.RetryConfig, timeout time.Duration) core.Config {
			return core.Config{Kind: "azure", Bucket: name,
				Config:        core.Options{"use_emulator": "true", "endpoint": withHost(t, endpoint, hostPort)},
				ClientOptions: clientOptions(timeout), RetryConfig: retry}
		},
		openUploads: func(t testing.TB, key string) int {
			list, err := admin.NewBlockBlobClient(key).GetBlockList(context.Background(), blockblob.BlockListTypeUncommitted, nil)
			if err != nil {
				if strings.Contains(err.Error(), "BlobNotFound") {
					return 0
				}
				t.Fatalf("get block list of %s: %v", key, err)
			}
			return len(list.UncommittedBlocks)
		},
	}
}

// azureContainer is an SDK client of a container on Azurite, with the
// emulator's well-known account key: the service's view, not our store's.
func azureContainer(t testing.TB, endpoint, name string) *container.Client {
	t.Helper()
	cred, err := container.NewSharedKeyCredential("devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
	if err != nil {
		t.Fatal(err)
	}
	opts := &container.ClientOptions{}
	opts.InsecureAllowCredentialWithHTTP = true
	c, err := container.NewClientWithSharedKeyCredential(strings.TrimSuffix(endpoint, "/")+"/"+name, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// webdavSpace is a new directory on nginx's WebDAV server.
func webdavSpace(t testing.TB) *space {
	base := envURL(t, "OBJSTORE_TEST_WEBDAV_URL")
	dir := randomName("faults-")
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, strings.TrimSuffix(base, "/")+"/"+dir+"/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	return &space{
		backend: httpstore.Backend,
		config: func(t testing.TB, hostPort string, retry *core.RetryConfig, timeout time.Duration) core.Config {
			return core.Config{Kind: "http",
				URL:           withHost(t, strings.TrimSuffix(base, "/")+"/"+dir+"/", hostPort),
				ClientOptions: clientOptions(timeout), RetryConfig: retry}
		},
	}
}
