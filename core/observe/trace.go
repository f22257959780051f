package observe

import (
	"context"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Tracer hears of each operation of a store as it begins and as it ends:
// core/tracing's spans. Unlike a Hook it sees the start, so that the span
// is in the context the operation runs in (an inner store's spans, a
// cache's misses, nest in it). A store without one pays a nil check.
type Tracer interface {
	// Begin starts the operation's record; it returns the context the
	// operation runs in and what to call with its Event when it ends.
	Begin(ctx context.Context, op string, path core.Path, start time.Time) (context.Context, func(Event))
}

// Traced makes the store report its operations to t as well; it is set
// before the store is handed out.
func (o *Observed) Traced(t Tracer) *Observed {
	o.tracer = t
	return o
}
