//go:build unix

package cache

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive lock on the file name without waiting: the
// lock of the process holding it, released by unlock (or by its exit).
func tryLock(name string) (unlock func(), ok bool) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true // closing the file releases the lock
}
