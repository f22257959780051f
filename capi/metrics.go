package main

/*
#include "capi.h"
*/
import "C"

import (
	"encoding/json"
	"strings"
	"unsafe"

	"github.com/libobjstore/objstore/core/observe"
	"github.com/libobjstore/objstore/core/stores"
)

// storeMetrics is one store's metrics document: the store's kind and
// bucket, whether it counts (metrics off for the process: all zero), and
// its counters.
type storeMetrics struct {
	Kind    string `json:"kind"`
	Bucket  string `json:"bucket,omitempty"`
	Enabled bool   `json:"enabled"`
	observe.Snapshot
}

func handleMetrics(h *stores.Handle) storeMetrics {
	o := h.Observed()
	if o == nil {
		return storeMetrics{Kind: h.Config.Kind, Bucket: h.Config.Bucket, Snapshot: new(observe.Metrics).Snapshot()}
	}
	return storeMetrics{Kind: o.Kind, Bucket: o.Bucket, Enabled: true, Snapshot: o.Metrics().Snapshot()}
}

// processMetrics is the process-wide document: the totals of each kind.
type processMetrics struct {
	Enabled bool                        `json:"enabled"`
	Kinds   map[string]observe.Snapshot `json:"kinds"`
	// EventsDropped counts request events dropped because the program
	// did not take them fast enough (see events.go).
	EventsDropped int64 `json:"events_dropped"`
}

// metricsOf reads the metrics of a store, or of the process for NULL, and
// hands them to show.
func metricsOf(store unsafe.Pointer, show func(labels []map[string]string, snaps []observe.Snapshot, doc any) error) error {
	if store == nil {
		kinds := observe.Process()
		var labels []map[string]string
		var snaps []observe.Snapshot
		for kind, s := range kinds {
			labels = append(labels, map[string]string{"kind": kind})
			snaps = append(snaps, s)
		}
		return show(labels, snaps, processMetrics{Enabled: observe.Enabled(), Kinds: kinds, EventsDropped: eventsDropped.Load()})
	}
	return withStore(store, func(h *stores.Handle) error {
		m := handleMetrics(h)
		labels := map[string]string{"kind": m.Kind, "bucket": m.Bucket}
		return show([]map[string]string{labels}, []observe.Snapshot{m.Snapshot}, m)
	})
}

//export objstoreGo_metrics_json
func objstoreGo_metrics_json(store unsafe.Pointer, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("json_out", out == nil); err != nil {
			return err
		}
		return metricsOf(store, func(_ []map[string]string, _ []observe.Snapshot, doc any) error {
			text, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			*out = C.CString(string(text))
			return nil
		})
	})
}

//export objstoreGo_metrics_prometheus
func objstoreGo_metrics_prometheus(store unsafe.Pointer, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("text_out", out == nil); err != nil {
			return err
		}
		return metricsOf(store, func(labels []map[string]string, snaps []observe.Snapshot, _ any) error {
			var b strings.Builder
			if err := observe.WritePrometheus(&b, labels, snaps); err != nil {
				return err
			}
			*out = C.CString(b.String())
			return nil
		})
	})
}
