package main

/*
#include "capi.h"
*/
import "C"

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/observe"
	"github.com/libobjstore/objstore/core/stores"
)

// Request events reach the program through the ask queue, the library's
// one channel to it: each finished operation of a store with an event
// target is posted as an ask of kind OBJSTORE_ASK_EVENT naming the target,
// and the program takes the event's JSON with objstore_event_take. Nothing
// waits for the program: at most maxPendingEvents events wait to be taken,
// and those that would go past are dropped and counted (eventsDropped).

const (
	askEvent         = C.OBJSTORE_ASK_EVENT
	maxPendingEvents = 10000
)

var (
	pendingEvents = struct {
		sync.Mutex
		m map[uint64][]byte
	}{m: map[uint64][]byte{}}
	eventsDropped atomic.Int64
)

// postEvent queues e for the program's target, or drops it.
func postEvent(target uint64, e observe.Event) {
	if _, err := asks.openFD(); err != nil {
		eventsDropped.Add(1)
		return
	}
	text, err := json.Marshal(e)
	if err != nil {
		eventsDropped.Add(1)
		return
	}
	id := askIDs.Add(1)
	pendingEvents.Lock()
	if len(pendingEvents.m) >= maxPendingEvents {
		pendingEvents.Unlock()
		eventsDropped.Add(1)
		return
	}
	pendingEvents.m[id] = text
	pendingEvents.Unlock()
	asks.post(C.objstore_ask{ask_id: C.uint64_t(id), kind: askEvent, target: C.uint64_t(target), deadline_unix_ms: neverExpires})
}

// eventTargets are the targets of each store's handles: the store is
// shared by the handles of equal documents, each may ask for its events.
var eventTargets = struct {
	sync.Mutex
	m map[*observe.Observed]map[*stores.Handle]uint64
}{m: map[*observe.Observed]map[*stores.Handle]uint64{}}

// setEventTarget sends the events of h's store to target (0: no more).
func setEventTarget(h *stores.Handle, target uint64) error {
	o := h.Observed()
	if o == nil {
		if target == 0 {
			return nil
		}
		return core.Errorf(core.NotSupported, "metrics and events are off in this process (OBJSTORE_METRICS=off)")
	}
	eventTargets.Lock()
	defer eventTargets.Unlock()
	byHandle := eventTargets.m[o]
	if target == 0 {
		delete(byHandle, h)
	} else {
		if byHandle == nil {
			byHandle = map[*stores.Handle]uint64{}
			eventTargets.m[o] = byHandle
		}
		byHandle[h] = target
	}
	if len(byHandle) == 0 {
		delete(eventTargets.m, o)
		o.SetHook(nil)
		return nil
	}
	targets := make([]uint64, 0, len(byHandle))
	for _, t := range byHandle {
		targets = append(targets, t)
	}
	o.SetHook(func(e observe.Event) {
		for _, t := range targets {
			postEvent(t, e)
		}
	})
	return nil
}

//export objstoreGo_set_event_target
func objstoreGo_set_event_target(store unsafe.Pointer, target C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if store == nil {
			if target == 0 {
				observe.SetProcessHook(nil)
			} else {
				t := uint64(target)
				observe.SetProcessHook(func(e observe.Event) { postEvent(t, e) })
			}
			return nil
		}
		return withStore(store, func(h *stores.Handle) error { return setEventTarget(h, uint64(target)) })
	})
}

//export objstoreGo_event_take
func objstoreGo_event_take(id C.uint64_t, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("json_out", out == nil); err != nil {
			return err
		}
		pendingEvents.Lock()
		text, ok := pendingEvents.m[uint64(id)]
		delete(pendingEvents.m, uint64(id))
		pendingEvents.Unlock()
		if !ok {
			return errAskGone
		}
		*out = C.CString(string(text))
		return nil
	})
}
