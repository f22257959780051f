package core

import (
	"context"
	"sync"
)

// DefaultDeleteConcurrency bounds the deletes in flight of DeleteMany on a
// store without a batch delete call.
const DefaultDeleteConcurrency = 10

// DeleteMany deletes paths with the store's batch call where it has one,
// else with concurrent single deletes. The result has one entry per path.
func DeleteMany(ctx context.Context, s Store, paths []Path) []error {
	if bd, ok := s.(BulkDeleter); ok {
		return bd.DeleteMany(ctx, paths)
	}
	return DeleteConcurrently(ctx, s, paths, DefaultDeleteConcurrency)
}

// DeleteConcurrently deletes paths one by one with at most concurrency
// deletes in flight: the bulk delete of stores without a batch call.
func DeleteConcurrently(ctx context.Context, s Store, paths []Path, concurrency int) []error {
	errs := make([]error, len(paths))
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for i, p := range paths {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.Delete(ctx, p)
		}()
	}
	wg.Wait()
	return errs
}

// deletePrefixBatch is how many listed paths are deleted per DeleteMany call
// (S3's batch limit).
const deletePrefixBatch = 1000

// DeletePrefix deletes every object under prefix (whole segments; the root
// deletes everything). Objects already gone are not an error.
func DeletePrefix(ctx context.Context, s Store, prefix Path) error {
	batch := make([]Path, 0, deletePrefixBatch)
	flush := func() error {
		for _, err := range DeleteMany(ctx, s, batch) {
			if err != nil && !IsKind(err, NotFound) {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	for meta, err := range s.List(ctx, prefix, ListOptions{}) {
		if err != nil {
			return err
		}
		batch = append(batch, meta.Location)
		if len(batch) == deletePrefixBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
