package core

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// Allocator returns memory of length n for a read to land in. The C ABI
// passes one that hands out C-allocated memory, so bytes are read straight
// into the caller's buffer with no intermediate copy. A nil Allocator means
// make([]byte, n).
type Allocator func(n int) []byte

func (a Allocator) get(n int) ([]byte, error) {
	if a == nil {
		return make([]byte, n), nil
	}
	b := a(n)
	if cap(b) < n {
		return nil, Errorf(InvalidArgument, "allocator returned %d bytes, %d were asked for", cap(b), n)
	}
	return b[:n], nil
}

// WholeReader is implemented by a GetResult body whose bound changes when
// its consumer reads it to the end at once (ReadAll, GetRanges), rather
// than at its own pace: a backend's body is then bounded by the client
// option timeout as a whole (see core/driver's Timeouts). Bodies that wrap
// another pass the call on.
type WholeReader interface{ ReadWhole() }

// ReadWhole tells body, if it cares, that it is read to its end at once.
func ReadWhole(body io.Reader) {
	if w, ok := body.(WholeReader); ok {
		w.ReadWhole()
	}
}

func checkedLen(n uint64) (int, error) {
	if n > math.MaxInt {
		return 0, Errorf(InvalidArgument, "%d bytes do not fit in memory", n)
	}
	return int(n), nil
}

// ReadAll reads the body of res into one allocation of exactly res.Len()
// bytes and closes the body. A body shorter or longer than announced is an
// error, never a short buffer. The body is read whole: the client option
// timeout bounds each attempt at it (see Timeouts).
func ReadAll(res *GetResult, alloc Allocator) ([]byte, error) {
	defer res.Body.Close()
	n, err := checkedLen(res.Len())
	if err != nil {
		return nil, err
	}
	buf, err := alloc.get(n)
	if err != nil {
		return nil, err
	}
	ReadWhole(res.Body)
	if err := readExactly(res.Body, buf, res.Meta.Location); err != nil {
		return nil, err
	}
	return buf, nil
}

// readExactly fills buf from r and checks that r then has nothing more.
func readExactly(r io.Reader, buf []byte, path Path) error {
	got, err := io.ReadFull(r, buf)
	if errors.Is(err, io.ErrUnexpectedEOF) || (errors.Is(err, io.EOF) && len(buf) > 0) {
		return &Error{Kind: Generic, Path: string(path), Msg: fmt.Sprintf("body ended after %d of %d bytes", got, len(buf))}
	}
	if err != nil {
		return Wrap(Generic, "", path, err)
	}
	var probe [1]byte
	for {
		n, err := r.Read(probe[:])
		if n > 0 {
			return &Error{Kind: Generic, Path: string(path), Msg: fmt.Sprintf("body is longer than the announced %d bytes", len(buf))}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return Wrap(Generic, "", path, err)
		}
	}
}
