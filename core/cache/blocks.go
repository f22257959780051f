package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/libobjstore/objstore/core"
)

// How blocks are fetched. A reader needing a block no tier holds claims
// it (a flight: the one fetch of that block) together with the missing,
// unclaimed blocks after it up to the end of its range, and fetches them
// in one ranged request pinned to the object's etag (If-Match): a run. It
// reads the run as its caller reads, storing each block as it completes
// and handing it to the readers waiting for it. A reader that finds a
// block claimed waits for it; if the run's owner stops reading for
// stallWait, it fetches the rest of its range itself, claiming nothing,
// so no reader waits on another's caller for long.

// stallWait is how long a reader waits for a block another reader is
// fetching before it fetches its range itself.
var stallWait = 10 * time.Second

// errAbandoned: the run that claimed a block ended before reaching it (its
// reader closed the body early); a waiter fetches the block itself.
var errAbandoned = errors.New("the reader fetching the block stopped")

var errStalled = errors.New("the reader fetching the block is not reading")

// flight is the one fetch of one block in progress.
type flight struct {
	done chan struct{}
	data []byte
	err  error
}

func (f *flight) wait(ctx context.Context) ([]byte, error) {
	t := time.NewTimer(stallWait)
	defer t.Stop()
	select {
	case <-f.done:
		return f.data, f.err
	case <-ctx.Done():
		return nil, core.Wrap(core.Cancelled, storeName, "", context.Cause(ctx))
	case <-t.C:
		return nil, errStalled
	}
}

// claim returns the flight of block id and whether it is the caller's to
// complete.
func (c *Store) claim(id blockID) (*flight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.flights[id]; f != nil {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	c.flights[id] = f
	return f, true
}

func (c *Store) complete(id blockID, f *flight, data []byte, err error) {
	c.mu.Lock()
	if c.flights[id] == f {
		delete(c.flights, id)
	}
	c.mu.Unlock()
	f.data, f.err = data, err
	close(f.done)
}

func (c *Store) blockLen(e *entry, i int64) int {
	return int(min(uint64(c.opts.BlockBytes), e.meta.Size-uint64(i)*uint64(c.opts.BlockBytes)))
}

// lookup finds a block in the memory tier, then the disk tier (keeping
// what it finds there in memory too).
func (c *Store) lookup(e *entry, i int64) ([]byte, bool) {
	id := blockID{e.object, i}
	if c.mem != nil {
		if data, ok := c.mem.get(id); ok {
			c.stats.memoryHits.Add(1)
			return data, true
		}
	}
	if c.disk != nil {
		if data, ok := c.disk.readBlock(e.object, i, c.blockLen(e, i)); ok {
			c.stats.diskHits.Add(1)
			if c.mem != nil {
				c.mem.put(id, data)
			}
			return data, true
		}
	}
	return nil, false
}

// present reports, cheaply, whether a tier holds the block.
func (c *Store) present(e *entry, i int64) bool {
	if c.mem != nil {
		if _, ok := c.mem.get(blockID{e.object, i}); ok {
			return true
		}
	}
	return c.disk != nil && c.disk.hasBlock(e.object, i)
}

// keep stores a fetched block in every tier.
func (c *Store) keep(e *entry, i int64, data []byte) {
	if c.mem != nil {
		c.mem.put(blockID{e.object, i}, data)
	}
	if c.disk != nil {
		c.disk.writeBlock(e.object, i, data)
	}
}

// drop forgets e after its object changed under a read.
func (c *Store) drop(e *entry) {
	if cur, ok := c.metas.get(e.meta.Location); ok && cur.object == e.object {
		c.metas.remove(e.meta.Location)
	}
	if c.disk != nil {
		c.disk.removeMeta(c.metaKey(e.meta.Location))
	}
}

// run is one ranged read of consecutive blocks from the inner store.
type run struct {
	c       *Store
	e       *entry
	body    io.ReadCloser
	first   int64
	next    int64     // the block read next
	last    int64     // the last block it holds
	flights []*flight // flights[i-first]: the claimed flight of block i, nil when not ours
	err     error
}

// startRun makes a run of res, an open read of whole blocks of e; with
// claim, it completes the flights of the blocks no one else is fetching.
func (c *Store) startRun(e *entry, res *core.GetResult, claim bool) *run {
	bs := uint64(c.opts.BlockBytes)
	first, last := int64(res.Start/bs), int64((res.End+bs-1)/bs)-1
	r := &run{c: c, e: e, body: res.Body, first: first, next: first, last: last, flights: make([]*flight, last-first+1)}
	if claim {
		for i := first; i <= last; i++ {
			if f, mine := c.claim(blockID{e.object, i}); mine {
				r.flights[i-first] = f
			}
		}
	}
	return r
}

// fetchRun claims the missing blocks from first (whose flight the caller
// holds, nil for an unclaimed fetch) up to last and opens their read; an
// unclaimed fetch (private) reads first to last whatever the tiers hold.
func (c *Store) fetchRun(ctx context.Context, e *entry, first, last int64, firstFlight *flight, private bool) (*run, error) {
	flights := []*flight{firstFlight}
	end := first
	for i := first + 1; i <= last; i++ {
		if !private {
			if c.present(e, i) {
				break
			}
			f, mine := c.claim(blockID{e.object, i})
			if !mine {
				break
			}
			flights = append(flights, f)
		} else {
			flights = append(flights, nil)
		}
		end = i
	}
	bs := uint64(c.opts.BlockBytes)
	start, stop := uint64(first)*bs, min(uint64(end+1)*bs, e.meta.Size)
	c.stats.requests.Add(1)
	res, err := c.inner.Get(ctx, e.meta.Location, core.GetOptions{Range: &core.Range{Kind: core.RangeBounded, Start: start, End: stop}, IfMatch: e.meta.ETag})
	if err == nil && (res.Start != start || res.End != stop) {
		res.Body.Close()
		err = &core.Error{Kind: core.Generic, Store: storeName, Path: string(e.meta.Location),
			Msg: fmt.Sprintf("the inner store answered bytes %d-%d for %d-%d", res.Start, res.End, start, stop)}
	}
	if err != nil {
		if core.IsKind(err, core.Precondition) || core.IsKind(err, core.NotFound) {
			c.drop(e)
			err = errChanged
		}
		for i, f := range flights {
			if f != nil {
				c.complete(blockID{e.object, first + int64(i)}, f, nil, err)
			}
		}
		return nil, err
	}
	return &run{c: c, e: e, body: res.Body, first: first, next: first, last: end, flights: flights}, nil
}

func (r *run) covers(i int64) bool { return r.err == nil && i == r.next && i <= r.last }

// read reads block i, the run's next, keeps it and completes its flight.
func (r *run) read(i int64) ([]byte, error) {
	c, e := r.c, r.e
	buf := make([]byte, c.blockLen(e, i))
	if n, err := io.ReadFull(r.body, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = &core.Error{Kind: core.Generic, Store: storeName, Path: string(e.meta.Location),
				Msg: fmt.Sprintf("the inner store's body ended %d bytes into block %d", n, i)}
		} else {
			err = core.Wrap(core.Generic, storeName, e.meta.Location, err)
		}
		r.err = err
		r.close()
		return nil, err
	}
	c.stats.fetched.Add(1)
	c.keep(e, i, buf)
	if f := r.flights[i-r.first]; f != nil {
		r.flights[i-r.first] = nil
		c.complete(blockID{e.object, i}, f, buf, nil)
	}
	r.next++
	if r.next > r.last {
		r.body.Close()
	}
	return buf, nil
}

// close ends the run; the blocks it claimed and did not reach go back to
// their waiters, who fetch them themselves.
func (r *run) close() {
	r.body.Close()
	err := r.err
	if err == nil {
		err = errAbandoned
	}
	for k, f := range r.flights {
		if f != nil {
			r.flights[k] = nil
			r.c.complete(blockID{r.e.object, r.first + int64(k)}, f, nil, err)
		}
	}
	if r.err == nil {
		r.err = errAbandoned
	}
}

// body is the body of a cached get: the range [pos, end) of e, block by
// block.
type body struct {
	c        *Store
	ctx      context.Context
	e        *entry
	pos, end uint64
	cur      []byte // the rest of the current block, from pos
	run      *run   // the run this body reads, if any
	private  bool   // a run's owner stalled: fetch the rest without claims
	whole    bool
	err      error
	closed   bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, os.ErrClosed
	}
	if len(b.cur) == 0 {
		if b.pos >= b.end {
			return 0, io.EOF
		}
		if b.err != nil {
			return 0, b.err
		}
		if err := b.fill(); err != nil {
			if errors.Is(err, errChanged) {
				err = &core.Error{Kind: core.Precondition, Store: storeName, Path: string(b.e.meta.Location), Msg: "the object changed while it was read"}
			}
			b.err = err
			return 0, err
		}
	}
	n := copy(p, b.cur)
	b.cur = b.cur[n:]
	b.pos += uint64(n)
	return n, nil
}

// fill loads the block holding pos.
func (b *body) fill() error {
	bs := uint64(b.c.opts.BlockBytes)
	i := int64(b.pos / bs)
	data, err := b.block(i, int64((b.end-1)/bs))
	if err != nil {
		return err
	}
	from := b.pos - uint64(i)*bs
	b.cur = data[from:min(uint64(len(data)), b.end-uint64(i)*bs)]
	return nil
}

func (b *body) block(i, last int64) ([]byte, error) {
	c := b.c
	if b.run != nil {
		if b.run.covers(i) {
			return b.run.read(i)
		}
		b.run.close()
		b.run = nil
	}
	for tries := 0; ; tries++ {
		if !b.private {
			if data, ok := c.lookup(b.e, i); ok {
				return data, nil
			}
		}
		var f *flight
		mine := b.private
		if !b.private {
			f, mine = c.claim(blockID{b.e.object, i})
			if mine {
				if data, ok := c.lookup(b.e, i); ok { // kept between the lookup and the claim
					c.complete(blockID{b.e.object, i}, f, data, nil)
					return data, nil
				}
			}
		}
		if mine {
			r, err := c.fetchRun(b.ctx, b.e, i, last, f, b.private)
			if err != nil {
				return nil, err
			}
			if b.whole {
				core.ReadWhole(r.body)
			}
			b.run = r
			return r.read(i)
		}
		data, err := f.wait(b.ctx)
		switch {
		case err == nil:
			return data, nil
		case errors.Is(err, errStalled):
			b.private = true
		case core.IsKind(err, core.Cancelled) || tries >= 2:
			return nil, err
		}
		// The fetch failed or its reader gave up: fetch it here.
	}
}

func (b *body) Close() error {
	if !b.closed {
		b.closed = true
		if b.run != nil {
			b.run.close()
			b.run = nil
		}
	}
	return nil
}

// ReadWhole passes core.ReadWhole on to the inner body being read.
func (b *body) ReadWhole() {
	b.whole = true
	if b.run != nil {
		core.ReadWhole(b.run.body)
	}
}

type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }
