package main

import (
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
