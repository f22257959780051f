package limit

import (
	"context"
	"sync"
	"time"

	"github.com/libobjstore/objstore/core"
)

// bucket is a token bucket: rate tokens a second, at most burst saved up.
// A take reserves its tokens at once, in arrival order, and may leave the
// bucket in debt, which the takers after it wait out: no taker starves,
// none is served early, and a take larger than the burst (one big put) is
// simply a longer wait.
type bucket struct {
	rate  float64 // tokens a second
	burst float64

	mu     sync.Mutex
	tokens float64 // negative: a debt
	last   time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// take waits until n tokens are the caller's. When ctx ends first, the
// tokens go back and ctx's error is returned as a typed error.
func (b *bucket) take(ctx context.Context, n float64) error {
	wait := b.reserve(n)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.refund(n)
		return core.Wrap(core.Cancelled, storeName, "", context.Cause(ctx))
	}
}

// reserve takes n tokens now and says how long until the bucket is out of
// the debt that may leave.
func (b *bucket) reserve(n float64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

func (b *bucket) refund(n float64) {
	b.mu.Lock()
	b.tokens = min(b.burst, b.tokens+n)
	b.mu.Unlock()
}
