package observe

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Snapshot is a copy of Metrics at one moment, as the C ABI and the
// bindings show it (JSON field names are the dict keys in Python).
type Snapshot struct {
	// Requests counts finished operations: operation → outcome ("ok" or
	// an error kind such as "not_found") → count. Only what happened is
	// listed.
	Requests         map[string]map[string]int64 `json:"requests"`
	InFlight         int64                       `json:"in_flight"`
	BytesIn          int64                       `json:"bytes_in"`
	BytesOut         int64                       `json:"bytes_out"`
	Attempts         int64                       `json:"attempts"`
	Retries          int64                       `json:"retries"`
	Throttled        int64                       `json:"throttled"`
	Resumes          int64                       `json:"resumes"`
	ChecksumFailures int64                       `json:"checksum_failures"`
	// TTFB (reads: until the answer's headers) and Duration (until the
	// operation ends; for reads, the body's end) per operation.
	TTFB     map[string]Histogram `json:"ttfb_seconds"`
	Duration map[string]Histogram `json:"duration_seconds"`
}

// Histogram is one latency histogram: Counts[i] operations took at most
// Bounds[i] seconds (and more than the bound before); the last count is
// those slower than every bound. Sum is in seconds.
type Histogram struct {
	Bounds []float64 `json:"bounds"`
	Counts []int64   `json:"counts"`
	Count  int64     `json:"count"`
	Sum    float64   `json:"sum"`
}

// Snapshot copies the counters. Each is read atomically; they are not read
// all at one instant.
func (m *Metrics) Snapshot() Snapshot {
	s := Snapshot{
		Requests: map[string]map[string]int64{}, TTFB: map[string]Histogram{}, Duration: map[string]Histogram{},
		InFlight: m.inFlight.Load(), BytesIn: m.bytesIn.Load(), BytesOut: m.bytesOut.Load(),
		Attempts: m.attempts.Load(), Retries: m.retries.Load(), Throttled: m.throttled.Load(),
		Resumes: m.resumes.Load(), ChecksumFailures: m.checksumFailures.Load(),
	}
	for op := range numOps {
		for o := range numOutcomes {
			if n := m.requests[op][o].Load(); n > 0 {
				if s.Requests[op.String()] == nil {
					s.Requests[op.String()] = map[string]int64{}
				}
				s.Requests[op.String()][outcomeName(o)] += n
			}
		}
		if h, ok := m.ttfb[op].snapshot(); ok {
			s.TTFB[op.String()] = h
		}
		if h, ok := m.duration[op].snapshot(); ok {
			s.Duration[op.String()] = h
		}
	}
	return s
}

func (h *histogram) snapshot() (Histogram, bool) {
	out := Histogram{Bounds: LatencyBounds[:], Counts: make([]int64, len(h.counts))}
	for i := range h.counts {
		out.Counts[i] = h.counts[i].Load()
		out.Count += out.Counts[i]
	}
	out.Sum = time.Duration(h.sum.Load()).Seconds()
	return out, out.Count > 0
}

// Process is the process-wide totals of every store kind that counted
// anything: every operation of every store opened in this process, closed
// ones included, by kind ("s3", "cache", ...). A cache's read that the
// cache answered is a "cache" get; one it passed on is also an "s3" get.
func Process() map[string]Snapshot {
	kinds := map[string]*Metrics{}
	total := func(kind string) *Metrics {
		if kinds[kind] == nil {
			kinds[kind] = new(Metrics)
		}
		return kinds[kind]
	}
	closed.Range(func(k, v any) bool {
		total(k.(string)).fold(v.(*Metrics))
		return true
	})
	live.Range(func(k, _ any) bool {
		o := k.(*Observed)
		total(o.Kind).fold(&o.metrics)
		return true
	})
	out := make(map[string]Snapshot, len(kinds))
	for kind, m := range kinds {
		if s := m.Snapshot(); len(s.Requests) > 0 || s.InFlight > 0 {
			out[kind] = s
		}
	}
	return out
}

// WritePrometheus writes snapshots in the Prometheus text exposition format
// (version 0.0.4), one series per label set: labels[i] are the labels of
// snaps[i] (e.g. kind="s3").
func WritePrometheus(w io.Writer, labels []map[string]string, snaps []Snapshot) error {
	var b strings.Builder
	family := func(name, typ, help string, each func(labels string, s Snapshot)) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for i, s := range snaps {
			each(labelText(labels[i]), s)
		}
	}
	counter := func(name, help string, get func(Snapshot) int64) {
		family(name, "counter", help, func(l string, s Snapshot) {
			fmt.Fprintf(&b, "%s{%s} %d\n", name, l, get(s))
		})
	}
	family("objstore_requests_total", "counter", "Operations finished, by operation and outcome.", func(l string, s Snapshot) {
		for _, op := range sortedKeys(s.Requests) {
			for _, o := range sortedKeys(s.Requests[op]) {
				fmt.Fprintf(&b, "objstore_requests_total{%s,operation=%q,outcome=%q} %d\n", l, op, o, s.Requests[op][o])
			}
		}
	})
	family("objstore_in_flight", "gauge", "Operations in progress (a read until its body ends).", func(l string, s Snapshot) {
		fmt.Fprintf(&b, "objstore_in_flight{%s} %d\n", l, s.InFlight)
	})
	counter("objstore_read_bytes_total", "Bytes read from the store.", func(s Snapshot) int64 { return s.BytesIn })
	counter("objstore_written_bytes_total", "Bytes written to the store.", func(s Snapshot) int64 { return s.BytesOut })
	counter("objstore_attempts_total", "HTTP requests sent.", func(s Snapshot) int64 { return s.Attempts })
	counter("objstore_retries_total", "Requests sent again after a failed attempt.", func(s Snapshot) int64 { return s.Retries })
	counter("objstore_throttled_total", "Throttling answers (429, 503).", func(s Snapshot) int64 { return s.Throttled })
	counter("objstore_resumes_total", "Broken or stalled bodies read on from where they stopped.", func(s Snapshot) int64 { return s.Resumes })
	counter("objstore_checksum_failures_total", "Bodies that did not match the service's checksum.", func(s Snapshot) int64 { return s.ChecksumFailures })
	histograms := func(name, help string, get func(Snapshot) map[string]Histogram) {
		family(name, "histogram", help, func(l string, s Snapshot) {
			hs := get(s)
			for _, op := range sortedKeys(hs) {
				h := hs[op]
				var cum int64
				for i, c := range h.Counts {
					cum += c
					le := "+Inf"
					if i < len(h.Bounds) {
						le = strconv.FormatFloat(h.Bounds[i], 'g', -1, 64)
					}
					fmt.Fprintf(&b, "%s_bucket{%s,operation=%q,le=%q} %d\n", name, l, op, le, cum)
				}
				fmt.Fprintf(&b, "%s_sum{%s,operation=%q} %g\n%s_count{%s,operation=%q} %d\n", name, l, op, h.Sum, name, l, op, h.Count)
			}
		})
	}
	histograms("objstore_ttfb_seconds", "Time to the first byte of a read's answer.", func(s Snapshot) map[string]Histogram { return s.TTFB })
	histograms("objstore_duration_seconds", "Time until an operation ends (a read: its body's end).", func(s Snapshot) map[string]Histogram { return s.Duration })
	_, err := io.WriteString(w, b.String())
	return err
}

func labelText(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range sortedKeys(labels) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return strings.Join(parts, ",")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Clip(keys)
}
