package cache

import (
	"container/list"
	"sync"
)

// lru is a map bounded by the summed size of its values, dropping the
// least recently used first. Safe for concurrent use.
type lru[K comparable, V any] struct {
	capacity int64
	sizeOf   func(V) int64

	mu    sync.Mutex
	used  int64
	order *list.List // of *lruItem; front: most recently used
	items map[K]*list.Element
}

type lruItem[K comparable, V any] struct {
	key   K
	value V
	size  int64
}

func newLRU[K comparable, V any](capacity int64, sizeOf func(V) int64) *lru[K, V] {
	return &lru[K, V]{capacity: capacity, sizeOf: sizeOf, order: list.New(), items: map[K]*list.Element{}}
}

func (l *lru[K, V]) get(k K) (V, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[k]; ok {
		l.order.MoveToFront(el)
		return el.Value.(*lruItem[K, V]).value, true
	}
	var zero V
	return zero, false
}

// put stores v under k, dropping old entries to make room; a value larger
// than the whole capacity is not stored.
func (l *lru[K, V]) put(k K, v V) {
	size := l.sizeOf(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.removeLocked(k)
	if size > l.capacity {
		return
	}
	l.items[k] = l.order.PushFront(&lruItem[K, V]{key: k, value: v, size: size})
	l.used += size
	for l.used > l.capacity {
		l.removeLocked(l.order.Back().Value.(*lruItem[K, V]).key)
	}
}

func (l *lru[K, V]) remove(k K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.removeLocked(k)
}

func (l *lru[K, V]) removeLocked(k K) {
	if el, ok := l.items[k]; ok {
		l.used -= el.Value.(*lruItem[K, V]).size
		l.order.Remove(el)
		delete(l.items, k)
	}
}

// bytes is the summed size of the values held.
func (l *lru[K, V]) bytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used
}
