package core

import (
	"iter"
	"sync"
)

// DefaultPageSize is a Pager's page size when none is asked for.
const DefaultPageSize = 1000

// MaxPageSize bounds one page, whatever the caller asks.
const MaxPageSize = 1 << 20

// Pager hands out a listing a page at a time, for callers that pull pages
// on demand (the C ABI's list handles, the bindings' lazy listings). Pages
// may be pulled from any goroutine, one call at a time. A page never mixes
// entries and an error: an error met after a page's first entries is held
// back and returned by the next call, which ends the listing. Nothing is
// fetched before the first Next, nor beyond the page asked for.
type Pager struct {
	next    func(limit int, reuse []ObjectMeta) (page, bool)
	last    []ObjectMeta // the page handed out last, reused for the next
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
// end of the listing. The entries are valid until the next call: their
// slice is reused (a large listing otherwise allocates a page per call,
// and the collections that brings cost more than the listing itself).
func (p *Pager) Next(limit int) ([]ObjectMeta, error) {
	if p.pending != nil {
		err := p.pending
		p.pending, p.done = nil, true
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	if p.done {
		return nil, nil
	}
	pg, ok := p.next(limit, p.last)
	p.last = pg.metas
	if !ok {
		p.done = true
		return nil, nil
	}
	if pg.err != nil {
		if len(pg.metas) == 0 {
			p.done = true
			return nil, pg.err
		}
		p.pending = pg.err
	}
	return pg.metas, nil
}

// Close stops the listing; Next then returns nothing.
func (p *Pager) Close() {
	p.stop()
	p.done = true
}

// page is a batch of a listing's entries, and the error that ended the
// listing after them, if one did.
type page struct {
	metas []ObjectMeta
	err   error
}

// pageCapacity is the most entries a page's slice is allocated for up
// front: small listings asked for large pages should not get them.
const pageCapacity = 4096

// pull turns a listing into a next/stop pair, like iter.Pull2 but on a
// plain goroutine: iter.Pull2's coroutines must be resumed from goroutines
// with the same OS-thread locking as their creator, and cgo calls (one
// locked goroutine per calling C thread) and async requests (unlocked
// workers) resume them from anywhere. next(limit) returns the next limit
// entries (fewer only at the end, or when an error ends the page), false
// once the listing is over. Entries are handed over a page at a time: one
// channel handoff per entry cost a thread wakeup each, more than the entry.
func pull(seq iter.Seq2[ObjectMeta, error]) (next func(limit int, reuse []ObjectMeta) (page, bool), stop func()) {
	type request struct {
		limit int
		reuse []ObjectMeta // a slice the caller is done with, or nil
	}
	want := make(chan request)
	pages := make(chan page)
	done := make(chan struct{})   // closed by stop
	exited := make(chan struct{}) // closed when the goroutine ends
	wait := func() (int, []ObjectMeta, bool) {
		select {
		case r := <-want:
			limit := max(r.limit, 1)
			if cap(r.reuse) < min(limit, pageCapacity) {
				r.reuse = make([]ObjectMeta, 0, min(limit, pageCapacity))
			}
			clear(r.reuse) // the old entries' strings may go
			return limit, r.reuse[:0], true
		case <-done:
			return 0, nil, false
		}
	}
	go func() {
		defer close(exited)
		defer close(pages)
		limit, buf, ok := wait()
		if !ok {
			return
		}
		pg := page{metas: buf}
		for meta, err := range seq {
			if err != nil {
				pg.err = err
			} else {
				pg.metas = append(pg.metas, meta)
				if len(pg.metas) < limit {
					continue
				}
			}
			select {
			case pages <- pg:
			case <-done:
				return
			}
			if err != nil {
				return
			}
			if limit, buf, ok = wait(); !ok {
				return
			}
			pg = page{metas: buf}
		}
		if len(pg.metas) > 0 {
			select {
			case pages <- pg:
			case <-done:
			}
		}
	}()
	next = func(limit int, reuse []ObjectMeta) (page, bool) {
		select {
		case want <- request{limit, reuse}:
		case <-exited:
			return page{}, false
		}
		pg, ok := <-pages
		return pg, ok
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	return next, stop
}
