package cache

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// The disk tier: one directory that any number of processes share.
//
//	<disk_dir>/v1/blocks/<ab>/<object key>-<block index>   a block
//	<disk_dir>/v1/meta/<ab>/<meta key>                      what is known of an object
//	<disk_dir>/v1/tmp/                                      files being written
//	<disk_dir>/v1/evict.lock                                one evictor at a time
//
// A file is written under tmp/ and renamed into place (rename is atomic
// within a filesystem), so a reader finds a whole file or none, and two
// processes writing the same block both write the same bytes. A block
// file carries its length and CRC-32C, checked on every read: a file cut
// short by a crash is dropped, never served. Files are never changed in
// place, only replaced or removed; a reader holding one open keeps reading
// it after another process removes it.
//
// The size bound: each process adds up what it writes, and once that
// reaches a sixteenth of disk_bytes, sums the directory and, above
// disk_bytes, removes the least recently used files (by modification
// time, which a read refreshes once a minute) down to nine tenths of it,
// under an exclusive lock that other evictors skip rather than wait for.
// Between two sums the tier may so exceed disk_bytes by a sixteenth of it
// per writing process.
type diskTier struct {
	root      string
	capacity  int64
	scanEvery int64

	written  atomic.Int64 // bytes written by this process since its last sum
	evicting atomic.Bool
	evicted  atomic.Int64 // files removed by this process's evictions
}

const (
	diskLayout = "v1"
	// touchEvery: a hit refreshes a file's modification time (its place in
	// the eviction order) at most this often, to keep hits cheap.
	touchEvery = time.Minute
	// staleTemp: a temporary file this old was left by a writer that died.
	staleTemp = time.Hour
	// blockMagic starts every block file; the header is magic, CRC-32C of
	// the data, and the data's length.
	blockMagic  = "osc1"
	blockHeader = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func openDisk(dir string, capacity int64) (*diskTier, error) {
	d := &diskTier{root: filepath.Join(dir, diskLayout), capacity: capacity, scanEvery: max(capacity/16, 1)}
	for _, sub := range []string{"blocks", "meta", "tmp"} {
		if err := os.MkdirAll(filepath.Join(d.root, sub), 0o700); err != nil {
			return nil, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "cannot create the disk tier in " + dir, Err: err}
		}
	}
	return d, nil
}

func (d *diskTier) blockFile(object string, index int64) string {
	return filepath.Join(d.root, "blocks", object[:2], object+"-"+strconv.FormatInt(index, 10))
}

func (d *diskTier) metaFile(key string) string {
	return filepath.Join(d.root, "meta", key[:2], key)
}

// readBlock returns the block of the given length, or false when there is
// none (or only a damaged one, which it removes).
func (d *diskTier) readBlock(object string, index int64, length int) ([]byte, bool) {
	name := d.blockFile(object, index)
	f, err := os.Open(name)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	buf := make([]byte, blockHeader+length)
	n, _ := f.ReadAt(buf, 0)
	extra, _ := f.ReadAt(make([]byte, 1), int64(len(buf)))
	data := buf[blockHeader:]
	if n != len(buf) || extra != 0 || string(buf[:4]) != blockMagic ||
		binary.LittleEndian.Uint64(buf[8:16]) != uint64(length) ||
		binary.LittleEndian.Uint32(buf[4:8]) != crc32.Checksum(data, castagnoli) {
		os.Remove(name)
		return nil, false
	}
	d.touch(f, name)
	return data, true
}

func (d *diskTier) hasBlock(object string, index int64) bool {
	_, err := os.Stat(d.blockFile(object, index))
	return err == nil
}

func (d *diskTier) touch(f *os.File, name string) {
	if fi, err := f.Stat(); err == nil && time.Since(fi.ModTime()) > touchEvery {
		now := time.Now()
		_ = os.Chtimes(name, now, now)
	}
}

func (d *diskTier) writeBlock(object string, index int64, data []byte) {
	buf := make([]byte, blockHeader+len(data))
	copy(buf, blockMagic)
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(data, castagnoli))
	binary.LittleEndian.PutUint64(buf[8:16], uint64(len(data)))
	copy(buf[blockHeader:], data)
	d.publish(d.blockFile(object, index), buf)
}

// diskMeta is what the disk tier knows of an object: an entry, with the
// path it is for (checked on read).
type diskMeta struct {
	Path         string            `json:"path"`
	ETag         string            `json:"etag"`
	Version      string            `json:"version,omitempty"`
	Size         uint64            `json:"size"`
	LastModified time.Time         `json:"last_modified"`
	Attributes   map[string]string `json:"attributes,omitempty"`
	Validated    time.Time         `json:"validated"`
}

func (d *diskTier) readMeta(key string, path core.Path) (*entry, bool) {
	name := d.metaFile(key)
	text, err := os.ReadFile(name)
	if err != nil {
		return nil, false
	}
	var m diskMeta
	if json.Unmarshal(text, &m) != nil || m.Path != string(path) {
		os.Remove(name)
		return nil, false
	}
	return &entry{
		meta:      core.ObjectMeta{Location: path, ETag: m.ETag, Version: m.Version, Size: m.Size, LastModified: m.LastModified},
		attrs:     m.Attributes,
		validated: m.Validated,
	}, true
}

func (d *diskTier) writeMeta(key string, e *entry) {
	text, _ := json.Marshal(diskMeta{
		Path: string(e.meta.Location), ETag: e.meta.ETag, Version: e.meta.Version, Size: e.meta.Size,
		LastModified: e.meta.LastModified, Attributes: e.attrs, Validated: e.validated,
	})
	d.publish(d.metaFile(key), text)
}

func (d *diskTier) removeMeta(key string) {
	os.Remove(d.metaFile(key))
}

// publish writes content to name atomically: a temporary file renamed into
// place. The disk tier is a cache: a write that fails is a miss later, not
// an error now.
func (d *diskTier) publish(name string, content []byte) {
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "w-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(content)
	cerr := tmp.Close()
	if werr == nil && cerr == nil {
		err = os.Rename(tmp.Name(), name)
		if errors.Is(err, fs.ErrNotExist) { // first file of its fan-out directory
			if os.MkdirAll(filepath.Dir(name), 0o700) == nil {
				err = os.Rename(tmp.Name(), name)
			}
		}
	}
	if werr != nil || cerr != nil || err != nil {
		os.Remove(tmp.Name())
		return
	}
	if d.written.Add(int64(len(content))) >= d.scanEvery {
		d.evict()
	}
}

// evict sums the tier and, above its capacity, removes the least recently
// used files down to nine tenths of it. One process evicts at a time; the
// others carry on.
func (d *diskTier) evict() {
	if !d.evicting.CompareAndSwap(false, true) {
		return
	}
	defer d.evicting.Store(false)
	unlock, ok := tryLock(filepath.Join(d.root, "evict.lock"))
	if !ok {
		return
	}
	defer unlock()
	d.written.Store(0)

	type file struct {
		name  string
		size  int64
		mtime time.Time
	}
	var files []file
	var total int64
	for _, sub := range []string{"blocks", "meta", "tmp"} {
		_ = filepath.WalkDir(filepath.Join(d.root, sub), func(name string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil // a directory another evictor removed meanwhile, or the walk's own
			}
			fi, err := de.Info()
			if err != nil {
				return nil
			}
			if sub == "tmp" {
				if time.Since(fi.ModTime()) > staleTemp {
					os.Remove(name)
				}
				return nil
			}
			files = append(files, file{name, fi.Size(), fi.ModTime()})
			total += fi.Size()
			return nil
		})
	}
	if total <= d.capacity {
		return
	}
	slices.SortFunc(files, func(a, b file) int { return a.mtime.Compare(b.mtime) })
	target := d.capacity / 10 * 9
	for _, f := range files {
		if total <= target {
			break
		}
		if err := os.Remove(f.name); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size
			d.evicted.Add(1)
		}
	}
}

// size sums the files of the tier (for tests and Stats).
func (d *diskTier) size() int64 {
	var total int64
	for _, sub := range []string{"blocks", "meta"} {
		_ = filepath.WalkDir(filepath.Join(d.root, sub), func(name string, de fs.DirEntry, err error) error {
			if err == nil && !de.IsDir() {
				if fi, err := de.Info(); err == nil {
					total += fi.Size()
				}
			}
			return nil
		})
	}
	return total
}
