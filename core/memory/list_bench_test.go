package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/libobjstore/objstore/core"
)

// Listing 100,000 keys, straight and paged as the C ABI pages them: the
// sorted index and the pager's reused pages keep both near the cost of
// reading the entries.
func BenchmarkList100k(b *testing.B) {
	s := New()
	ctx := context.Background()
	for i := range 100000 {
		if _, err := s.Put(ctx, core.Path(fmt.Sprintf("list/%03d/%06d", i/1000, i)), []byte("x"), core.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("seq", func(b *testing.B) {
		for range b.N {
			for _, err := range s.List(ctx, "list", core.ListOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("pager", func(b *testing.B) {
		for range b.N {
			p := core.NewPager(s.List(ctx, "list", core.ListOptions{}))
			for {
				page, err := p.Next(1000)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
			}
			p.Close()
		}
	})
}
