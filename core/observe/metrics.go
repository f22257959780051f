// Package observe is where the library's request events come from, written
// once: the operation each opened store does (Store, the wrapper core/stores
// puts on every store) and the HTTP attempts, retries, throttling answers
// and resumes core/driver reports for the operation in flight (Attempt,
// Resumed). Each event is an atomic add on the counters of its store and of
// its store kind's process-wide totals: cheap enough to be always on, with
// no lock on the read path. A store with an event hook (SetHook) also gets
// one Event per operation; a store without one builds none.
package observe

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Op is the operation an event counts.
type Op uint8

const (
	OpGet Op = iota
	OpGetRange
	OpHead
	OpPut
	OpPutMultipart // starting an upload in parts
	OpPutPart
	OpCompleteMultipart
	OpAbortMultipart
	OpList
	OpListWithDelimiter
	OpDelete
	OpDeleteMany
	OpCopy
	OpRename
	OpSign
	OpListUploads
	OpAbortUpload
	numOps
)

var opNames = [numOps]string{
	OpGet: "get", OpGetRange: "get_range", OpHead: "head", OpPut: "put",
	OpPutMultipart: "put_multipart", OpPutPart: "put_part",
	OpCompleteMultipart: "complete_multipart", OpAbortMultipart: "abort_multipart",
	OpList: "list", OpListWithDelimiter: "list_with_delimiter", OpDelete: "delete",
	OpDeleteMany: "delete_many", OpCopy: "copy", OpRename: "rename", OpSign: "sign",
	OpListUploads: "list_uploads", OpAbortUpload: "abort_upload",
}

func (o Op) String() string { return opNames[o] }

// numOutcomes bounds the outcomes counted per operation: "ok" and one per
// core.Kind (15 today); a kind past the bound counts as the last slot.
const numOutcomes = 32

// outcomeOf is 0 for success, else 1 + the error's kind.
func outcomeOf(err error) int {
	if err == nil {
		return 0
	}
	return min(1+int(core.KindOf(err)), numOutcomes-1)
}

// outcomeName is "ok" or the error kind in snake case ("not_found").
func outcomeName(i int) string {
	if i == 0 {
		return "ok"
	}
	return snake(core.Kind(i - 1).String())
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LatencyBounds are the upper bounds, in seconds, of the latency histograms'
// buckets (a last bucket takes what is slower): fixed, so that histograms
// of every store and process add up.
var LatencyBounds = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

var boundNanos = func() (b [len(LatencyBounds)]int64) {
	for i, s := range LatencyBounds {
		b[i] = int64(s * float64(time.Second))
	}
	return b
}()

type histogram struct {
	counts [len(LatencyBounds) + 1]atomic.Int64
	sum    atomic.Int64 // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(boundNanos) && int64(d) > boundNanos[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// Metrics are the counters of one store, or of every store of one kind in
// the process. All fields are atomics: recording takes no lock.
type Metrics struct {
	requests         [numOps][numOutcomes]atomic.Int64
	ttfb, duration   [numOps]histogram
	inFlight         atomic.Int64
	bytesIn          atomic.Int64 // read from the store (bodies, as they stream)
	bytesOut         atomic.Int64 // written to it
	attempts         atomic.Int64 // HTTP requests sent
	retries          atomic.Int64
	throttled        atomic.Int64 // 429 and 503 answers
	resumes          atomic.Int64 // broken or stalled bodies read on
	checksumFailures atomic.Int64
}

// enabled is the process switch: OBJSTORE_METRICS=off (or 0, false) at
// process start opens stores without the wrapper, for measuring its cost.
var enabled = func() bool {
	switch strings.ToLower(os.Getenv("OBJSTORE_METRICS")) {
	case "0", "off", "false", "no":
		return false
	}
	return true
}()

// Enabled reports whether stores opened now count their operations.
func Enabled() bool { return enabled }

// The process-wide totals of each kind are its live stores' counters plus
// those of its stores closed before (folded in by Close): the hot path adds
// to one Metrics only.
var (
	live   sync.Map // *Observed -> struct{}
	closed sync.Map // kind -> *Metrics
)

func closedTotals(kind string) *Metrics {
	if m, ok := closed.Load(kind); ok {
		return m.(*Metrics)
	}
	m, _ := closed.LoadOrStore(kind, new(Metrics))
	return m.(*Metrics)
}

// fold adds every counter of from to m.
func (m *Metrics) fold(from *Metrics) {
	for op := range numOps {
		for o := range numOutcomes {
			m.requests[op][o].Add(from.requests[op][o].Load())
		}
		m.ttfb[op].fold(&from.ttfb[op])
		m.duration[op].fold(&from.duration[op])
	}
	for _, f := range []func(*Metrics) *atomic.Int64{
		func(m *Metrics) *atomic.Int64 { return &m.inFlight },
		func(m *Metrics) *atomic.Int64 { return &m.bytesIn },
		func(m *Metrics) *atomic.Int64 { return &m.bytesOut },
		func(m *Metrics) *atomic.Int64 { return &m.attempts },
		func(m *Metrics) *atomic.Int64 { return &m.retries },
		func(m *Metrics) *atomic.Int64 { return &m.throttled },
		func(m *Metrics) *atomic.Int64 { return &m.resumes },
		func(m *Metrics) *atomic.Int64 { return &m.checksumFailures },
	} {
		f(m).Add(f(from).Load())
	}
}

func (h *histogram) fold(from *histogram) {
	for i := range h.counts {
		h.counts[i].Add(from.counts[i].Load())
	}
	h.sum.Add(from.sum.Load())
}

// request counts one finished operation.
func (m *Metrics) request(op Op, err error, ttfb, total time.Duration, read bool) {
	m.requests[op][outcomeOf(err)].Add(1)
	m.duration[op].observe(total)
	if read {
		m.ttfb[op].observe(ttfb)
	}
}
