package faults_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
)

// Races at five times the conformance suite's rounds, against a real S3
// server, the local filesystem and memory.

func raceStores(t *testing.T) map[string]func(t *testing.T) core.Store {
	return map[string]func(t *testing.T) core.Store{
		"memory": func(t *testing.T) core.Store { return memory.New() },
		"local":  func(t *testing.T) core.Store { s, _ := newLocal(t); return s },
		"minio": func(t *testing.T) core.Store {
			m := minioServer(t)
			return m.openS3(t, m.endpoint, m.newBucket(t), retryPolicy(3, 50*time.Millisecond, time.Second, 30*time.Second), 10*time.Second)
		},
	}
}

// 16 writers race a create-only put on one key, 100 rounds: exactly one
// wins each round, the others get AlreadyExists, and the winner's bytes are
// what is stored.
func TestCreateOnlyRace100Rounds(t *testing.T) {
	for name, open := range raceStores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			const writers, rounds = 16, 100
			for round := range rounds {
				path := mustPath(t, fmt.Sprintf("race/create/%03d", round))
				results := make([]error, writers)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						<-start
						_, results[w] = s.Put(ctx, path, []byte("writer "+strconv.Itoa(w)), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}})
					})
				}
				close(start)
				wg.Wait()
				winner := -1
				for w, err := range results {
					switch {
					case err == nil && winner >= 0:
						t.Fatalf("round %d: writers %d and %d both created the object", round, winner, w)
					case err == nil:
						winner = w
					case !core.IsKind(err, core.AlreadyExists):
						t.Fatalf("round %d: writer %d: %v, want AlreadyExists", round, w, err)
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: no writer won", round)
				}
				if got := read(t, s, path); got != "writer "+strconv.Itoa(winner) {
					t.Fatalf("round %d: stored %q, winner was %d", round, got, winner)
				}
			}
		})
	}
}

// 5 workers × 10 read-modify-write increments in update mode (create for
// the first): the counter ends at exactly 50, no increment lost.
func TestCounterRace(t *testing.T) {
	for name, open := range raceStores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			const workers, increments = 5, 10
			path := mustPath(t, "race/counter")
			errs := make(chan error, workers)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range increments {
						if err := increment(context.Background(), s, path); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := read(t, s, path); got != strconv.Itoa(workers*increments) {
				t.Fatalf("counter is %s after %d increments", got, workers*increments)
			}
		})
	}
}

func increment(ctx context.Context, s core.Store, path core.Path) error {
	for range 100000 {
		opts := core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}}
		n := 0
		res, err := s.Get(ctx, path, core.GetOptions{})
		switch {
		case core.IsKind(err, core.NotFound):
		case err != nil:
			return err
		default:
			body, err := core.ReadAll(res, nil)
			if err != nil {
				return err
			}
			if n, err = strconv.Atoi(string(body)); err != nil {
				return fmt.Errorf("counter holds %q", body)
			}
			opts.Mode = core.PutMode{Kind: core.PutUpdate, ETag: res.Meta.ETag, Version: res.Meta.Version}
		}
		_, err = s.Put(ctx, path, []byte(strconv.Itoa(n+1)), opts)
		if core.IsKind(err, core.Precondition) || core.IsKind(err, core.AlreadyExists) {
			continue // someone else got there first: read again
		}
		return err
	}
	return fmt.Errorf("increment never succeeded")
}

func read(t *testing.T, s core.Store, path core.Path) string {
	t.Helper()
	res, err := s.Get(context.Background(), path, core.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	b, err := core.ReadAll(res, nil)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}
