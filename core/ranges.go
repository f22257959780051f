package core

import (
	"context"
	"sort"

	"golang.org/x/sync/errgroup"
)

// Defaults of GetRanges, as object_store's.
const (
	// DefaultRangeCoalesce is the largest gap between two ranges that are
	// still fetched in one request: reading a little unused data is cheaper
	// than another round trip.
	DefaultRangeCoalesce = 1 << 20
	// DefaultRangeConcurrency bounds the requests of one GetRanges call.
	DefaultRangeConcurrency = 10
)

// RangeOptions tune GetRangesWith; zero fields take the defaults.
type RangeOptions struct {
	// Coalesce merges ranges separated by at most this many bytes;
	// NoCoalesceGap merges only overlapping or adjacent ones.
	Coalesce    uint64
	Concurrency int // requests in flight
}

// NoCoalesceGap as RangeOptions.Coalesce asks for a gap of zero bytes (the
// zero value takes DefaultRangeCoalesce).
const NoCoalesceGap = ^uint64(0)

// Span is one request of a coalesced range read: [Start, End).
type Span struct {
	Start, End uint64
}

// CoalesceRanges plans the requests of a multi-range read: bounded ranges
// closer than maxGap bytes (or overlapping) are merged into one span. It
// returns the spans in ascending order and, for each input range, the index
// of the span that covers it. Every range must be bounded and non-empty.
func CoalesceRanges(ranges []Range, maxGap uint64) (spans []Span, spanOf []int, err error) {
	order := make([]int, len(ranges))
	for i, r := range ranges {
		if r.Kind != RangeBounded {
			return nil, nil, Errorf(InvalidArgument, "get_ranges takes bounded ranges only, got %s", r)
		}
		if err := r.Validate(); err != nil {
			return nil, nil, err
		}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ranges[order[a]].Start < ranges[order[b]].Start })
	spanOf = make([]int, len(ranges))
	for _, i := range order {
		r := ranges[i]
		if n := len(spans); n > 0 && (r.Start <= spans[n-1].End || r.Start-spans[n-1].End <= maxGap) {
			spans[n-1].End = max(spans[n-1].End, r.End)
		} else {
			spans = append(spans, Span{Start: r.Start, End: r.End})
		}
		spanOf[i] = len(spans) - 1
	}
	return spans, spanOf, nil
}

// GetRanges reads several bounded ranges of one object with the default
// coalescing and concurrency. See GetRangesWith.
func GetRanges(ctx context.Context, s Store, path Path, ranges []Range, alloc Allocator) ([][]byte, error) {
	return GetRangesWith(ctx, s, path, ranges, alloc, RangeOptions{})
}

// GetRangesWith reads several bounded ranges of one object. Nearby ranges
// are merged into one request, requests run concurrently, and alloc is
// called once for the total size of all requests; each span is read
// straight into its part of that memory and the results are views into it
// (overlapping ranges share bytes). An end past the end of the object is
// clamped (the memory for the asked length is still allocated); a start at or
// past it is InvalidArgument. On the first error the other requests are
// cancelled.
func GetRangesWith(ctx context.Context, s Store, path Path, ranges []Range, alloc Allocator, opts RangeOptions) ([][]byte, error) {
	switch opts.Coalesce {
	case 0:
		opts.Coalesce = DefaultRangeCoalesce
	case NoCoalesceGap:
		opts.Coalesce = 0
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultRangeConcurrency
	}
	out := make([][]byte, len(ranges))
	if len(ranges) == 0 {
		return out, nil
	}
	spans, spanOf, err := CoalesceRanges(ranges, opts.Coalesce)
	if err != nil {
		return nil, err
	}
	offsets := make([]uint64, len(spans))
	var total uint64
	for i, sp := range spans {
		offsets[i] = total
		total += sp.End - sp.Start
	}
	n, err := checkedLen(total)
	if err != nil {
		return nil, err
	}
	buf, err := alloc.get(n)
	if err != nil {
		return nil, err
	}
	ends := make([]uint64, len(spans)) // where each span really ended (clamped at EOF)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for i, sp := range spans {
		g.Go(func() error {
			r := Bounded(sp.Start, sp.End)
			res, err := s.Get(gctx, path, GetOptions{Range: &r})
			if err != nil {
				return err
			}
			defer res.Body.Close()
			ReadWhole(res.Body)
			if res.Start != sp.Start || res.End > sp.End || res.End < res.Start {
				return &Error{Kind: Generic, Path: string(path), Msg: "store answered a different range than asked"}
			}
			dst := buf[offsets[i] : offsets[i]+res.Len()]
			if err := readExactly(res.Body, dst, path); err != nil {
				return err
			}
			// Past a clamped end, the memory holds whatever alloc's did
			// (a reused buffer: another read's bytes): zeros instead.
			clear(buf[offsets[i]+res.Len() : offsets[i]+(sp.End-sp.Start)])
			ends[i] = res.End
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, r := range ranges {
		sp := spanOf[i]
		if r.Start >= ends[sp] {
			return nil, &Error{Kind: InvalidArgument, Path: string(path), Msg: "Invalid range: " + r.String() + " starts past the end of the object"}
		}
		from := offsets[sp] + (r.Start - spans[sp].Start)
		to := offsets[sp] + (min(r.End, ends[sp]) - spans[sp].Start)
		out[i] = buf[from:to:to]
	}
	return out, nil
}
