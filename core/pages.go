package core

import (
	"iter"
	"sync"
)

// DefaultPageSize is a Pager's page size when none is asked for.
const DefaultPageSize = 1000

// maxPageSize bounds one page, whatever the caller asks.
const maxPageSize = 1 << 20

// Pager hands out a listing a page at a time, for callers that pull pages
// on demand (the C ABI's list handles, the bindings' lazy listings). Pages
// may be pulled from any goroutine, one call at a time. A page never mixes
// entries and an error: an error met after a page's first entries is held
// back and returned by the next call, which ends the listing. Nothing is
// fetched before the first Next, nor beyond the page asked for.
type Pager struct {
	next    func(limit int) ([]pulled, bool)
	stop    func()
	pending error
	done    bool
}

// NewPager pages through seq (a Store.List). Close it when done with it,
// also before its end.
func NewPager(seq iter.Seq2[ObjectMeta, error]) *Pager {
	p := &Pager{}
	p.next, p.stop = pull(seq)
	return p
}

// Next returns up to limit more entries (0: DefaultPageSize); none at the
// end of the listing.
func (p *Pager) Next(limit int) ([]ObjectMeta, error) {
	if p.pending != nil {
		err := p.pending
		p.pending, p.done = nil, true
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, maxPageSize)
	if p.done {
		return nil, nil
	}
	batch, ok := p.next(limit)
	if !ok {
		p.done = true
		return nil, nil
	}
	metas := make([]ObjectMeta, 0, len(batch))
	for _, e := range batch {
		if e.err != nil {
			if len(metas) == 0 {
				p.done = true
				return nil, e.err
			}
			p.pending = e.err
			break
		}
		metas = append(metas, e.meta)
	}
	return metas, nil
}

// Close stops the listing; Next then returns nothing.
func (p *Pager) Close() {
	p.stop()
	p.done = true
}

// pulled is one entry of a listing, or the error that ended it.
type pulled struct {
	meta ObjectMeta
	err  error
}

// pull turns a listing into a next/stop pair, like iter.Pull2 but on a
// plain goroutine: iter.Pull2's coroutines must be resumed from goroutines
// with the same OS-thread locking as their creator, and cgo calls (one
// locked goroutine per calling C thread) and async requests (unlocked
// workers) resume them from anywhere. next(limit) returns the next limit
// entries (fewer only at the end, or when an error ends the batch), false
// once the listing is over. Entries are handed over a page at a time: one
// channel handoff per entry cost a thread wakeup each, more than the entry.
func pull(seq iter.Seq2[ObjectMeta, error]) (next func(limit int) ([]pulled, bool), stop func()) {
	want := make(chan int)
	batches := make(chan []pulled)
	done := make(chan struct{})   // closed by stop
	exited := make(chan struct{}) // closed when the goroutine ends
	wait := func() (int, bool) {
		select {
		case n := <-want:
			return max(n, 1), true
		case <-done:
			return 0, false
		}
	}
	go func() {
		defer close(exited)
		defer close(batches)
		limit, ok := wait()
		if !ok {
			return
		}
		var batch []pulled
		for meta, err := range seq {
			batch = append(batch, pulled{meta, err})
			if len(batch) < limit && err == nil {
				continue
			}
			select {
			case batches <- batch:
			case <-done:
				return
			}
			batch = nil
			if limit, ok = wait(); !ok {
				return
			}
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-done:
			}
		}
	}()
	next = func(limit int) ([]pulled, bool) {
		select {
		case want <- limit:
		case <-exited:
			return nil, false
		}
		b, ok := <-batches
		return b, ok
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	return next, stop
}
