package main

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The fd must be readable exactly while completions wait: producers
// posting while the consumer drains (in batches of random size, sometimes
// stopping before the queue is empty) must never leave completions behind
// an unreadable fd (a lost wakeup: the consumer would sleep forever), and a
// readable fd must always have something to poll (no spurious wakeup).
func TestQueueNoLostOrSpuriousWakeups(t *testing.T) {
	fd, err := cq.openFD()
	if err != nil {
		t.Fatal(err)
	}
	for len(cq.pollIDs(1024)) > 0 { // start empty
	}
	const producers, perProducer = 4, 25000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perProducer {
				cq.postID(uint64(p*perProducer + i))
				if rand.IntN(64) == 0 {
					runtime.Gosched()
				}
				if rand.IntN(5000) == 0 {
					time.Sleep(time.Millisecond) // let the consumer catch up and go idle
				}
			}
		}()
	}
	seen := make([]bool, producers*perProducer)
	received, spurious := 0, 0
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for received < len(seen) {
		n, err := unix.Poll(fds, 5000)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("fd not readable for 5 s with %d completions queued and %d of %d received (lost wakeup)", cq.len(), received, len(seen))
		}
		first := true
		for {
			ids := cq.pollIDs(1 + rand.IntN(200))
			if len(ids) == 0 {
				if first {
					spurious++
				}
				break
			}
			first = false
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("completion %d delivered twice", id)
				}
				seen[id] = true
			}
			received += len(ids)
			if rand.IntN(4) == 0 {
				break // leave the rest: the fd must stay readable
			}
		}
	}
	wg.Wait()
	if spurious != 0 {
		t.Errorf("%d wakeups found nothing to poll", spurious)
	}
	if n, _ := unix.Poll(fds, 0); n != 0 || cq.len() != 0 {
		t.Errorf("after draining everything: fd readable %v, %d queued", n != 0, cq.len())
	}
}

// Lowering the limit while requests wait retires workers: once the
// running ones finish, no more than the new limit run at once, and every
// request still completes exactly once.
func TestAsyncLimitLoweredWhileBusy(t *testing.T) {
	for len(cq.pollIDs(1024)) > 0 {
	}
	defer setLimit(setLimit(10))
	gate := make(chan struct{})
	var mu sync.Mutex
	running, peak := 0, 0
	blocking := func(context.Context) (result, error) { <-gate; return result{}, nil }
	queued := func(context.Context) (result, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // overlap, were more workers left
		mu.Lock()
		running--
		mu.Unlock()
		return result{}, nil
	}
	const first, waiting = 10, 40
	for i := range first {
		if err := submitBare(uint64(900000+i), blocking); err != nil {
			t.Fatal(err)
		}
	}
	for i := range waiting {
		if err := submitBare(uint64(910000+i), queued); err != nil {
			t.Fatal(err)
		}
	}
	setLimit(2)
	close(gate)
	seen := map[uint64]int{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < first+waiting && time.Now().Before(deadline) {
		for _, id := range cq.pollIDs(64) {
			seen[id]++
		}
		time.Sleep(time.Millisecond)
	}
	if len(seen) != first+waiting {
		t.Fatalf("%d of %d requests completed", len(seen), first+waiting)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("request %d completed %d times", id, n)
		}
	}
	if peak > 2 {
		t.Errorf("%d queued requests ran at once after the limit was lowered to 2", peak)
	}
}
