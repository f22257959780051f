package driver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// flaky yields data[pos:end) but breaks after `budget` bytes with err (or a
// silent early EOF when err is nil).
type flaky struct {
	data     []byte
	pos, end uint64
	budget   int
	err      error
}

func (f *flaky) Read(p []byte) (int, error) {
	if f.pos >= f.end {
		return 0, io.EOF
	}
	if f.budget <= 0 {
		if f.err == nil {
			return 0, io.EOF
		}
		return 0, f.err
	}
	n := copy(p[:min(len(p), f.budget)], f.data[f.pos:f.end])
	f.pos += uint64(n)
	f.budget -= n
	return n, nil
}

func (f *flaky) Close() error { return nil }

func resumePolicy(retries int) Policy {
	return Policy{MaxRetries: retries, RetryTimeout: time.Minute, InitBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Base: 2}
}

func TestResumeBodyDeliversExactBytes(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 6000)
	for name, cause := range map[string]error{"reset": errors.New("read: connection reset by peer"), "early EOF": nil, "unexpected EOF": io.ErrUnexpectedEOF} {
		var opens []uint64
		res := &core.GetResult{Start: 1000, End: 90000, Body: &flaky{data: data, pos: 1000, end: 90000, budget: 20000, err: cause}}
		ResumeBody(context.Background(), res, resumePolicy(10), func(_ context.Context, start, end uint64) (io.ReadCloser, error) {
			if end != 90000 {
				t.Fatalf("%s: reopened up to %d", name, end)
			}
			opens = append(opens, start)
			return &flaky{data: data, pos: start, end: end, budget: 20000, err: cause}, nil
		})
		got, err := core.ReadAll(res, nil)
		if err != nil || !bytes.Equal(got, data[1000:90000]) {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
		if want := []uint64{21000, 41000, 61000, 81000}; !equalU64(opens, want) {
			t.Fatalf("%s: resumed at %v, want %v", name, opens, want)
		}
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResumeBodyGivesUp(t *testing.T) {
	data := make([]byte, 1000)
	broken := errors.New("connection reset")
	opens := 0
	res := &core.GetResult{Start: 0, End: 1000, Body: &flaky{data: data, end: 1000, budget: 10, err: broken}}
	ResumeBody(context.Background(), res, resumePolicy(3), func(_ context.Context, start, end uint64) (io.ReadCloser, error) {
		opens++
		return &flaky{data: data, pos: start, end: end, budget: 0, err: broken}, nil
	})
	_, err := core.ReadAll(res, nil)
	if !core.IsKind(err, core.Generic) || !errors.Is(err, broken) || opens != 3 {
		t.Fatalf("after %d reopens: %v", opens, err)
	}

	// The object changed: the pinned reopen's core.Precondition is the answer.
	res = &core.GetResult{Start: 0, End: 1000, Body: &flaky{data: data, end: 1000, budget: 10, err: broken}}
	ResumeBody(context.Background(), res, resumePolicy(3), func(context.Context, uint64, uint64) (io.ReadCloser, error) {
		return nil, core.Errorf(core.Precondition, "etag changed")
	})
	if _, err := core.ReadAll(res, nil); !core.IsKind(err, core.Precondition) {
		t.Fatalf("changed object: %v", err)
	}

	// The caller's cancellation is never resumed.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = &core.GetResult{Start: 0, End: 1000, Body: &flaky{data: data, end: 1000, budget: 10, err: broken}}
	ResumeBody(ctx, res, resumePolicy(3), func(context.Context, uint64, uint64) (io.ReadCloser, error) {
		t.Fatal("reopened after cancellation")
		return nil, nil
	})
	if _, err := core.ReadAll(res, nil); !core.IsKind(err, core.Cancelled) {
		t.Fatalf("cancelled: %v", err)
	}
}
