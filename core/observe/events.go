package observe

import (
	"sync/atomic"
	"time"
)

// Event is one finished operation, for a program that asked for them
// (SetHook): what a logging or progress hook needs, and no path (only its
// length), so that events never carry object names the program did not
// choose to log.
type Event struct {
	Operation string        `json:"operation"`
	Kind      string        `json:"store_kind"`
	Bucket    string        `json:"bucket"`
	PathLen   int           `json:"path_length"`
	Status    string        `json:"status"`          // "ok" or the error kind ("not_found")
	Error     string        `json:"error,omitempty"` // the error's message
	Bytes     int64         `json:"bytes"`           // body bytes read or written
	TTFB      time.Duration `json:"-"`
	Duration  time.Duration `json:"-"`
	Attempts  int           `json:"attempts"`
	Retries   int           `json:"retries"`
	// Seconds, for JSON.
	TTFBSeconds     float64 `json:"ttfb_seconds"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Hook receives the events of a store. It runs on the goroutine that ended
// the operation: it must not block (hand the event to a queue and return).
type Hook func(Event)

// SetHook makes the store report each finished operation to h; nil stops
// it. A store without a hook builds no event.
func (o *Observed) SetHook(h Hook) {
	if h == nil {
		o.hook.Store(nil)
		return
	}
	o.hook.Store(&h)
}

// process is the hook of every store (SetProcessHook).
var processHook atomic.Pointer[Hook]

// SetProcessHook makes every store report each finished operation to h,
// besides its own hook; nil stops it.
func SetProcessHook(h Hook) {
	if h == nil {
		processHook.Store(nil)
		return
	}
	processHook.Store(&h)
}

func (p *op) event(err error, total time.Duration) Event {
	e := Event{
		Operation: p.kind.String(), Kind: p.store.Kind, Bucket: p.store.Bucket, PathLen: p.pathLen,
		Status: outcomeName(outcomeOf(err)), Bytes: p.bytes.Load(), TTFB: p.ttfb, Duration: total,
		TTFBSeconds: p.ttfb.Seconds(), DurationSeconds: total.Seconds(),
	}
	if p.ctx != nil {
		e.Attempts, e.Retries = int(p.ctx.attempts.Load()), int(p.ctx.retries.Load())
	}
	if err != nil {
		e.Error = err.Error()
	}
	return e
}
