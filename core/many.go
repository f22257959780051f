package core

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultGetManyConcurrency bounds the objects GetMany reads at once.
const DefaultGetManyConcurrency = 64

// GetManyRequest is one read of GetMany: an object and a range of it (nil:
// the whole object).
type GetManyRequest struct {
	Path  Path
	Range *Range
}

// GetManyResult is the outcome of one request: its bytes, or its error.
type GetManyResult struct {
	Data []byte
	Err  error
}

// GetManyOptions tune GetMany; zero fields take the defaults.
type GetManyOptions struct {
	// Concurrency bounds the objects read at once (default 64). Bounded
	// ranges of one object count once: they go through GetRangesWith with
	// up to DefaultRangeConcurrency requests of their own.
	Concurrency int
	// Coalesce is GetRangesWith's gap for merging ranges of one object.
	Coalesce uint64
	// StopOnError cancels the reads not yet finished at the first failure;
	// their results are then Cancelled errors.
	StopOnError bool
}

// GetMany reads many ranges of many objects concurrently. Bounded ranges of
// the same object are coalesced (GetRangesWith) and share one allocation;
// every whole-object, offset or suffix request is its own read. The result
// has one entry per request, in request order; an error (a missing object,
// a range past the end) belongs to the requests of the read that failed,
// never to the whole batch. alloc is called from several goroutines at
// once, once per read, and must be safe for that.
func GetMany(ctx context.Context, s Store, reqs []GetManyRequest, alloc Allocator, opts GetManyOptions) []GetManyResult {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultGetManyConcurrency
	}
	results := make([]GetManyResult, len(reqs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// One read per object for its bounded ranges, one per other request,
	// in the order requests first name them.
	type read struct {
		path    Path
		single  int   // index of a whole/offset/suffix request, or -1
		members []int // indices of bounded requests
	}
	var reads []*read
	byPath := map[Path]*read{}
	for i, r := range reqs {
		if r.Range == nil || r.Range.Kind != RangeBounded {
			reads = append(reads, &read{path: r.Path, single: i})
			continue
		}
		if err := r.Range.Validate(); err != nil {
			results[i].Err = Wrap(InvalidArgument, "", r.Path, err)
			continue
		}
		rd := byPath[r.Path]
		if rd == nil {
			rd = &read{path: r.Path, single: -1}
			byPath[r.Path] = rd
			reads = append(reads, rd)
		}
		rd.members = append(rd.members, i)
	}

	fail := func() {
		if opts.StopOnError {
			cancel()
		}
	}
	do := func(rd *read) {
		if err := ctx.Err(); err != nil { // stopped: not started
			err = Wrap(Cancelled, "", rd.path, err)
			if rd.single >= 0 {
				results[rd.single].Err = err
			}
			for _, i := range rd.members {
				results[i].Err = err
			}
			return
		}
		if rd.single >= 0 {
			data, err := getWhole(ctx, s, rd.path, reqs[rd.single].Range, alloc)
			results[rd.single] = GetManyResult{Data: data, Err: err}
			if err != nil {
				fail()
			}
			return
		}
		ranges := make([]Range, len(rd.members))
		for j, i := range rd.members {
			ranges[j] = *reqs[i].Range
		}
		views, err := GetRangesWith(ctx, s, rd.path, ranges, alloc, RangeOptions{
			Coalesce:    opts.Coalesce,
			Concurrency: min(DefaultRangeConcurrency, opts.Concurrency),
		})
		for j, i := range rd.members {
			if err != nil {
				results[i].Err = err
			} else {
				results[i].Data = views[j]
			}
		}
		if err != nil {
			fail()
		}
	}
	// A fixed pool of workers taking reads in order: cheaper than a
	// goroutine per read when most reads are small.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(opts.Concurrency, len(reads)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(reads) {
					return
				}
				do(reads[k])
			}
		}()
	}
	wg.Wait()
	return results
}

// getWhole reads one object (or an offset or suffix range of it) into one
// allocation.
func getWhole(ctx context.Context, s Store, p Path, r *Range, alloc Allocator) ([]byte, error) {
	res, err := s.Get(ctx, p, GetOptions{Range: r})
	if err != nil {
		return nil, err
	}
	return ReadAll(res, alloc)
}
