package observe_test

import (
	"context"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/observe"
)

// BenchmarkSmallOps is the wrapper's cost on a small get, get_range, head
// and put of a MemoryStore: each operation on the bare store, on the store
// counted as core/stores opens it (in_process), and counted as a store
// that sends HTTP requests is (each operation its calls' context).
func BenchmarkSmallOps(b *testing.B) {
	ctx := context.Background()
	data := make([]byte, 1024)
	r := core.Bounded(0, 8)
	ops := map[string]func(core.Store) error{
		"get": func(s core.Store) error {
			res, err := s.Get(ctx, "k", core.GetOptions{})
			if err == nil {
				_, err = core.ReadAll(res, nil)
			}
			return err
		},
		"get_range": func(s core.Store) error {
			res, err := s.Get(ctx, "k", core.GetOptions{Range: &r})
			if err == nil {
				_, err = core.ReadAll(res, nil)
			}
			return err
		},
		"head": func(s core.Store) error { _, err := s.Head(ctx, "k"); return err },
		"put":  func(s core.Store) error { _, err := s.Put(ctx, "k", data, core.PutOptions{}); return err },
	}
	stores := []struct {
		name string
		open func() core.Store
	}{
		{"bare", func() core.Store { return memory.New() }},
		{"in_process", func() core.Store { return observe.Store(memory.New(), "memory-bench", "").InProcess() }},
		{"observed", func() core.Store { return observe.Store(memory.New(), "memory-bench", "") }},
	}
	for _, name := range []string{"get", "get_range", "head", "put"} {
		for _, st := range stores {
			b.Run(name+"/"+st.name, func(b *testing.B) {
				s := st.open()
				defer s.Close()
				if _, err := s.Put(ctx, "k", data, core.PutOptions{}); err != nil {
					b.Fatal(err)
				}
				f := ops[name]
				b.ReportAllocs()
				for b.Loop() {
					if err := f(s); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
