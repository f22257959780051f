//go:build !unix

package cache

import "sync"

// Without flock, evictions are exclusive within the process only; two
// processes evicting at once remove a little more than needed.
var evictLock sync.Mutex

func tryLock(name string) (unlock func(), ok bool) {
	if !evictLock.TryLock() {
		return nil, false
	}
	return evictLock.Unlock, true
}
