package core

import (
	"errors"
	"fmt"
	"io"
)

// BodyReader reads the body of an open GetResult in parts: chunks of a
// chosen size, then (or instead) the rest in one allocation. Every part is
// checked against the length the result announced: a body that ends early
// is an error, never a short part. Not safe for concurrent use.
type BodyReader struct {
	res      *GetResult
	consumed uint64 // body bytes handed out so far
	done     bool   // the body is closed
}

// NewBodyReader reads res's body; it owns the body from now on.
func NewBodyReader(res *GetResult) *BodyReader { return &BodyReader{res: res} }

// Result is the GetResult being read.
func (r *BodyReader) Result() *GetResult { return r.res }

// Remaining is how many bytes are still to be read.
func (r *BodyReader) Remaining() uint64 {
	if r.done {
		return 0
	}
	return r.res.Len() - r.consumed
}

// Rest reads everything not yet read into one allocation of exactly that
// size, as ReadAll does, and closes the body (empty once it is read).
func (r *BodyReader) Rest(alloc Allocator) ([]byte, error) {
	if r.done {
		return alloc.get(0)
	}
	rest := *r.res // the part of the body not yet handed out
	rest.Start += r.consumed
	r.done, r.consumed = true, r.res.Len() // ReadAll closes the body
	return ReadAll(&rest, alloc)
}

// Next reads the next size bytes (fewer only at the end) into one
// allocation; nil at the end, when the body is closed. A failure closes
// the body.
func (r *BodyReader) Next(size uint64, alloc Allocator) ([]byte, error) {
	remaining := r.Remaining()
	if remaining == 0 {
		r.Close()
		return nil, nil
	}
	n, err := checkedLen(min(size, remaining))
	if err != nil {
		return nil, err
	}
	chunk, err := alloc.get(n)
	if err != nil {
		return nil, err
	}
	if got, err := io.ReadFull(r.res.Body, chunk); err != nil {
		r.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &Error{Kind: Generic, Path: string(r.res.Meta.Location),
				Msg: fmt.Sprintf("body ended after %d of %d bytes", r.consumed+uint64(got), r.res.Len())}
		}
		return nil, Wrap(Generic, "", r.res.Meta.Location, err)
	}
	r.consumed += uint64(n)
	return chunk, nil
}

// Close closes the body (once; later calls do nothing).
func (r *BodyReader) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	return r.res.Body.Close()
}
