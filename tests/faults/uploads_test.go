package faults_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/local"
	"github.com/libobjstore/objstore/core/stores"
)

// No orphaned uploads: a multipart upload begun by a process that is then
// killed is found and aborted by core.CleanupUploads, on every backend that
// keeps uploads between requests; and a CreateMultipartUpload whose answer
// is lost leaves no second upload behind.

// childUploadEnv, when set, makes this test binary the child that begins an
// upload and waits to be killed (see TestMain).
const childUploadEnv = "OBJSTORE_FAULTS_UPLOAD_CHILD"

type childUpload struct {
	Config json.RawMessage `json:"config"`
	Key    string          `json:"key"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childUploadEnv); spec != "" {
		os.Exit(runUploadChild(spec))
	}
	os.Exit(m.Run())
}

// runUploadChild begins a multipart upload of two parts, says "ready" on
// stdout and waits to be killed.
func runUploadChild(spec string) int {
	var c childUpload
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg, err := core.ParseConfig(c.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	h, err := stores.Open(ctx, cfg, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	up, err := h.Store.PutMultipart(ctx, core.Path(c.Key), core.MultipartOptions{})
	if err == nil {
		err = up.PutPart(ctx, 0, pattern(5<<20, 31))
	}
	if err == nil {
		err = up.PutPart(ctx, 1, pattern(1000, 32))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	time.Sleep(10 * time.Minute)
	return 0
}

// localSpace is a new LocalStore root; uploads left open are its staging
// directories on disk.
func localSpace(t testing.TB) *space {
	dir := t.TempDir()
	return &space{
		backend: local.Backend,
		config: func(testing.TB, string, *core.RetryConfig, time.Duration) core.Config {
			return core.Config{Kind: "local", Prefix: dir}
		},
		openUploads: func(t testing.TB, key string) int {
			entries, err := os.ReadDir(filepath.Join(dir, ".objstore.multipart"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return len(entries)
		},
	}
}

// TestCleanupUploadsOfKilledProcess: a child process begins an upload (two
// parts, 5 MiB and 1,000 bytes) and is SIGKILLed; the service still holds
// the upload; CleanupUploads spares it while it is younger than the given
// age, then aborts it, and the service holds nothing any more.
func TestCleanupUploadsOfKilledProcess(t *testing.T) {
	spaces := map[string]func(testing.TB) *space{"local": localSpace}
	for _, b := range backends {
		if b.name != "http" { // HTTP keeps no upload between requests
			spaces[b.name] = b.newSpace
		}
	}
	for name, newSpace := range spaces {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sp := newSpace(t)
			hostPort := ""
			for _, b := range backends {
				if b.name == name {
					hostPort = b.upstream(t)
				}
			}
			retry := retryPolicy(2, 50*time.Millisecond, time.Second, 20*time.Second)
			cfg, err := sp.backend.Normalize(sp.config(t, hostPort, retry, 20*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			const key = "killed/run-1/data.bin"
			spec, _ := json.Marshal(childUpload{Config: cfg.JSON(), Key: key})
			child := exec.Command(os.Args[0], "-test.run=^$")
			child.Env = append(os.Environ(), childUploadEnv+"="+string(spec))
			child.Stderr = os.Stderr
			out, err := child.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			ready := make(chan bool, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				ready <- strings.TrimSpace(line) == "ready"
			}()
			select {
			case ok := <-ready:
				if !ok {
					child.Process.Kill()
					child.Wait()
					t.Fatal("the child failed to begin its upload")
				}
			case <-time.After(60 * time.Second):
				child.Process.Kill()
				child.Wait()
				t.Fatal("the child did not begin its upload within 60s")
			}
			if err := child.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
				t.Fatal(err)
			}
			child.Wait()
			if n := sp.openUploads(t, key); n == 0 {
				t.Fatal("the killed process left no upload open: nothing to clean up")
			}

			s := sp.open(t, hostPort, retry, 20*time.Second)
			ctx := context.Background()
			young, err := core.CleanupUploads(ctx, s, "killed", core.CleanupOptions{OlderThan: time.Hour})
			if err != nil || len(young) != 0 {
				t.Fatalf("cleanup of uploads older than an hour: %+v, %v; want none", young, err)
			}
			aborted, err := core.CleanupUploads(ctx, s, "killed", core.CleanupOptions{})
			if err != nil {
				t.Fatalf("cleanup: %v", err)
			}
			if len(aborted) != 1 || aborted[0].Path != key {
				t.Fatalf("cleanup aborted %+v, want exactly the upload of %s", aborted, key)
			}
			if n := sp.openUploads(t, key); n != 0 {
				t.Fatalf("after the cleanup the service still holds %d upload(s) (parts) of %s", n, key)
			}
			t.Logf("aborted %+v", aborted[0])
		})
	}
}
