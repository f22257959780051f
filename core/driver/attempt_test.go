package driver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// dripServer answers GET with n chunks of size bytes, one every gap, after
// a Content-Length for all of them; stallAfter >= 0 stops after that many
// chunks until the client goes away.
func dripServer(t *testing.T, n, size int, gap time.Duration, stallAfter int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", itoa(n*size))
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte{'x'}, size)
		for i := 0; i < n; i++ {
			if i == stallAfter {
				<-r.Context().Done()
				return
			}
			if i > 0 {
				time.Sleep(gap)
			}
			w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

func client(t *testing.T, timeouts Timeouts) *http.Client {
	t.Helper()
	hc, err := ClientOptions{Timeout: timeouts.Attempt, ReadTimeout: timeouts.Idle, ConnectTimeout: time.Second}.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

// within fails unless f ends between lo and hi.
func within(t *testing.T, lo, hi time.Duration, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d < lo || d > hi {
		t.Fatalf("took %s, want between %s and %s", d.Round(time.Millisecond), lo, hi)
	}
}

func wantAttemptTimeout(t *testing.T, err error) {
	t.Helper()
	if !IsAttemptTimeout(err) || !core.IsKind(err, core.Timeout) {
		t.Fatalf("got %v, want an attempt timeout (kind Timeout)", err)
	}
}

func TestTransportBoundsAServerThatNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	for name, to := range map[string]Timeouts{"timeout": {Attempt: 300 * time.Millisecond}, "read_timeout": {Attempt: time.Minute, Idle: 300 * time.Millisecond}} {
		t.Run(name, func(t *testing.T) {
			within(t, 250*time.Millisecond, 2*time.Second, func() {
				_, err := client(t, to).Get("http://" + ln.Addr().String() + "/")
				wantAttemptTimeout(t, err)
			})
		})
	}
}

func TestTransportBoundsAStalledUpload(t *testing.T) {
	// The server reads nothing of the body: the upload blocks once the
	// socket buffers are full.
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-done }))
	defer srv.Close()
	defer close(done) // before Close: the server cannot tell that the client left
	body := bytes.Repeat([]byte{'u'}, 64<<20)
	for name, to := range map[string]Timeouts{"timeout": {Attempt: 400 * time.Millisecond}, "read_timeout": {Attempt: time.Minute, Idle: 400 * time.Millisecond}} {
		t.Run(name, func(t *testing.T) {
			within(t, 300*time.Millisecond, 3*time.Second, func() {
				req, _ := http.NewRequest(http.MethodPut, srv.URL, bytes.NewReader(body))
				_, err := client(t, to).Do(req)
				wantAttemptTimeout(t, err)
			})
		})
	}
}

func TestTransportBoundsTheBodyOfAnAnswer(t *testing.T) {
	srv := dripServer(t, 10, 1000, 0, 3)
	for name, to := range map[string]Timeouts{"timeout": {Attempt: 300 * time.Millisecond}, "read_timeout": {Attempt: time.Minute, Idle: 300 * time.Millisecond}} {
		t.Run(name, func(t *testing.T) {
			resp, err := client(t, to).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			within(t, 200*time.Millisecond, 2*time.Second, func() {
				got, err := io.ReadAll(resp.Body)
				wantAttemptTimeout(t, err)
				if len(got) != 3000 {
					t.Fatalf("read %d bytes before the stall, want 3000", len(got))
				}
			})
		})
	}
}

// objectRead opens url as an object read (BeginRead + Body), as backends do.
func objectRead(t *testing.T, to Timeouts, url string) io.ReadCloser {
	t.Helper()
	ctx, ra := to.BeginRead(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client(t, to).Do(req)
	if err != nil {
		ra.Abandon()
		t.Fatal(err)
	}
	return ra.Body(resp.Body)
}

func TestObjectBodyStreamIsBoundedOnlyByIdleGaps(t *testing.T) {
	// 12 chunks, 100 ms apart: longer than the attempt timeout in all, but
	// no gap reaches read_timeout.
	srv := dripServer(t, 12, 1000, 100*time.Millisecond, -1)
	to := Timeouts{Attempt: 400 * time.Millisecond, Idle: 350 * time.Millisecond}
	body := objectRead(t, to, srv.URL)
	defer body.Close()
	buf := make([]byte, 1000)
	for i := 0; i < 12; i++ {
		if _, err := io.ReadFull(body, buf); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if i == 5 {
			// A slow consumer is no stall: time outside Read never counts.
			time.Sleep(600 * time.Millisecond)
		}
	}
}

func TestObjectBodyWithoutReadTimeoutFallsBackToTimeout(t *testing.T) {
	srv := dripServer(t, 10, 1000, 0, 2)
	body := objectRead(t, Timeouts{Attempt: 300 * time.Millisecond}, srv.URL)
	defer body.Close()
	within(t, 250*time.Millisecond, 2*time.Second, func() {
		_, err := io.ReadAll(body)
		wantAttemptTimeout(t, err)
		if !strings.Contains(err.Error(), "timeout, as read_timeout is not set") {
			t.Fatalf("message %q does not name the bound", err)
		}
	})
}

func TestObjectBodyReadWholeIsBoundedByTheAttemptTimeout(t *testing.T) {
	// Bytes keep coming (every 100 ms, under read_timeout), but the whole
	// read takes longer than the attempt timeout.
	srv := dripServer(t, 20, 1000, 100*time.Millisecond, -1)
	body := objectRead(t, Timeouts{Attempt: 500 * time.Millisecond, Idle: time.Second}, srv.URL)
	defer body.Close()
	core.ReadWhole(body)
	within(t, 400*time.Millisecond, 2*time.Second, func() {
		_, err := io.ReadAll(body)
		wantAttemptTimeout(t, err)
		if !progressingTimeout(err) {
			t.Fatalf("a long answer still delivering is not marked progressing: %v", err)
		}
	})
}

// timedOut yields data[pos:end) in pieces of step bytes, failing each
// attempt after budget bytes with err.
type timedOut struct {
	data          []byte
	pos, end      uint64
	budget, step  int
	err           error
	opens, closes *int
}

func (f *timedOut) Read(p []byte) (int, error) {
	if f.pos >= f.end {
		return 0, io.EOF
	}
	if f.budget <= 0 {
		return 0, f.err
	}
	n := copy(p[:min(len(p), f.budget, f.step)], f.data[f.pos:f.end])
	f.pos += uint64(n)
	f.budget -= n
	return n, nil
}

func (f *timedOut) Close() error { *f.closes++; return nil }

func TestResumeAfterAProgressingTimeoutUsesNoRetry(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	long := &core.Error{Kind: core.Timeout, Err: &waitExpired{msg: "long", progressing: true}}
	stalled := &core.Error{Kind: core.Timeout, Err: &waitExpired{msg: "stalled"}}
	var opens, closes int
	open := func(start uint64, err error) io.ReadCloser {
		opens++
		return &timedOut{data: data, pos: start, end: uint64(len(data)), budget: 10000, step: 4096, err: err, opens: &opens, closes: &closes}
	}

	// Ten cut-offs of a long answer, no retries allowed: still complete.
	res := &core.GetResult{Start: 0, End: uint64(len(data)), Body: open(0, long)}
	ResumeBody(context.Background(), res, resumePolicy(0), func(_ context.Context, start, _ uint64) (io.ReadCloser, error) {
		return open(start, long), nil
	})
	got, err := core.ReadAll(res, nil)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("long answer: %d bytes, %v", len(got), err)
	}
	if opens != 10 || closes != 10 {
		t.Fatalf("opened %d, closed %d bodies, want 10 and 10", opens, closes)
	}

	// Stalls use retries up, and the error says Timeout.
	res = &core.GetResult{Start: 0, End: uint64(len(data)), Body: open(0, stalled)}
	ResumeBody(context.Background(), res, resumePolicy(2), func(_ context.Context, start, _ uint64) (io.ReadCloser, error) {
		return open(start, stalled), nil
	})
	_, err = core.ReadAll(res, nil)
	if !core.IsKind(err, core.Timeout) || !strings.Contains(err.Error(), "retries are exhausted") {
		t.Fatalf("stalls past the retries: %v, want Timeout with retries exhausted", err)
	}
}

func TestResumePassesReadWholeToEveryAttempt(t *testing.T) {
	var marked []int
	bodies := 0
	res := &core.GetResult{Start: 0, End: 30}
	mk := func() io.ReadCloser {
		bodies++
		return &wholeProbe{id: bodies, marked: &marked, left: 10}
	}
	res.Body = mk()
	ResumeBody(context.Background(), res, resumePolicy(5), func(context.Context, uint64, uint64) (io.ReadCloser, error) { return mk(), nil })
	if _, err := core.ReadAll(res, nil); err != nil {
		t.Fatal(err)
	}
	if len(marked) != 3 || marked[0] != 1 || marked[1] != 2 || marked[2] != 3 {
		t.Fatalf("bodies told they are read whole: %v, want [1 2 3]", marked)
	}
}

// wholeProbe yields left bytes, then breaks; it records ReadWhole calls.
type wholeProbe struct {
	id     int
	marked *[]int
	left   int
}

func (w *wholeProbe) ReadWhole() { *w.marked = append(*w.marked, w.id) }
func (w *wholeProbe) Read(p []byte) (int, error) {
	if w.left == 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), w.left)
	w.left -= n
	return n, nil
}
func (w *wholeProbe) Close() error { return nil }

func TestReadTimeoutOptionParses(t *testing.T) {
	c, err := ParseClientOptions(core.Options{"read_timeout": "2s", "timeout": "7"})
	if err != nil || c.Timeouts() != (Timeouts{Attempt: 7 * time.Second, Idle: 2 * time.Second}) {
		t.Fatalf("parsed %+v, %v", c.Timeouts(), err)
	}
	if c, _ := ParseClientOptions(nil); c.ReadTimeout != 0 || c.Timeout != 30*time.Second {
		t.Fatalf("defaults: read_timeout %s, timeout %s; want unset and 30s (object_store's)", c.ReadTimeout, c.Timeout)
	}
	if _, err := ParseClientOptions(core.Options{"read_timeout": "-1s"}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("negative read_timeout: %v, want InvalidArgument", err)
	}
}
