package main

/*
#include "arrow.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// Listings as Arrow arrays (the Arrow C Data Interface; objstore.h has the
// contract). A batch is built page by page into growable C buffers, so a
// large listing never gathers in Go memory, then wired into a block
// (arrow.c) whose release callbacks, written in C, free the buffers: nothing
// in Go tracks an array once it is handed out.

// maxUtf8Bytes bounds one utf8 column of a batch: Arrow's utf8 offsets are
// int32. A variable so that tests can lower it.
var maxUtf8Bytes = math.MaxInt32

// pageRows is how many entries a batch takes from the listing at a time.
const pageRows = 4096

// cBuffer is a growable buffer in C memory (malloc's, so 16-byte aligned:
// more than any Arrow type needs to be imported without a copy).
type cBuffer struct {
	p        unsafe.Pointer
	len, cap int
}

// reserve makes room for size bytes in all.
func (b *cBuffer) reserve(size int) error {
	if size <= b.cap {
		return nil
	}
	c := max(size, 2*b.cap, 1024)
	p := C.objstoreInternal_arrow_buffer_grow(b.p, C.size_t(b.cap), C.size_t(c))
	if p == nil {
		return outOfMemory(uintptr(c))
	}
	b.p, b.cap = p, c
	return nil
}

func (b *cBuffer) free() {
	C.objstoreInternal_arrow_buffer_free(b.p, C.size_t(b.cap))
	b.p, b.cap = nil, 0
}

func (b *cBuffer) bytes() []byte { return unsafe.Slice((*byte)(b.p), b.cap) }

// utf8Builder builds a utf8 column: offsets, data, and (nullable) a
// validity bitmap, where an empty string is null.
type utf8Builder struct {
	offsets, data, validity cBuffer
	rows, nulls             int
	nullable                bool
}

// reserve makes room for rows more strings of bytes in all.
func (u *utf8Builder) reserve(rows, bytes int) error {
	err := errors.Join(u.offsets.reserve(4*(u.rows+rows+1)), u.data.reserve(u.data.len+bytes))
	if err == nil && u.nullable {
		if err = u.validity.reserve((u.rows + rows + 7) / 8); err == nil {
			bits := u.validity.bytes()
			clear(bits[u.validity.len : (u.rows+rows+7)/8])
		}
	}
	return err
}

// add appends strings the builder has room for.
func (u *utf8Builder) add(n int, str func(i int) string) {
	offs := unsafe.Slice((*int32)(u.offsets.p), u.rows+n+1)
	data := u.data.bytes()
	var bits []byte
	if u.nullable {
		bits = u.validity.bytes()
	}
	pos := u.data.len
	offs[u.rows] = int32(pos)
	for i := range n {
		s := str(i)
		if len(s) > 0 {
			pos += copy(data[pos:], s)
			if bits != nil {
				row := u.rows + i
				bits[row>>3] |= 1 << (row & 7)
			}
		} else if u.nullable {
			u.nulls++
		}
		offs[u.rows+i+1] = int32(pos)
	}
	u.rows += n
	u.data.len = pos
	u.offsets.len = 4 * (u.rows + 1)
	u.validity.len = (u.rows + 7) / 8
}

func (u *utf8Builder) free() {
	u.offsets.free()
	u.data.free()
	u.validity.free()
}

// arrowBlock is an array being wired: its block and the buffers it owns.
type arrowBlock struct {
	b *C.objstore_arrow_block
}

func newArrowBlock() (arrowBlock, error) {
	b := C.objstoreInternal_arrow_block_new()
	if b == nil {
		return arrowBlock{}, outOfMemory(C.sizeof_objstore_arrow_block)
	}
	return arrowBlock{b}, nil
}

// own hands buf to the block (it frees it at the last release) and
// returns its address; nil for a buffer that was never needed. A buffer
// without bytes still gets memory: the interface's buffers are not NULL.
func (a arrowBlock) own(buf *cBuffer) (unsafe.Pointer, error) {
	if buf.cap == 0 {
		if err := buf.reserve(8); err != nil {
			return nil, err
		}
	}
	i := a.b.n_owned
	a.b.owned[i], a.b.owned_size[i] = buf.p, C.size_t(buf.cap)
	a.b.n_owned++
	p := buf.p
	*buf = cBuffer{}
	return p, nil
}

// setArray describes array i of the block (0 the parent, i > 0 child i-1).
func (a arrowBlock) setArray(i int, length, nulls int, bufs ...unsafe.Pointer) {
	for j, p := range bufs {
		a.b.buffers[i][j] = p
	}
	if i > 0 {
		c := &a.b.children[i-1]
		c.length, c.null_count, c.n_buffers = C.int64_t(length), C.int64_t(nulls), C.int64_t(len(bufs))
	}
}

// ownUtf8 hands a utf8 column's buffers to the block, the validity bitmap
// only if there are nulls, and describes it as array i.
func (a arrowBlock) ownUtf8(i int, u *utf8Builder) error {
	if u.rows == 0 {
		if err := u.offsets.reserve(4); err != nil {
			return err
		}
		*(*int32)(u.offsets.p) = 0
	}
	var validity unsafe.Pointer
	var err error
	if u.nulls > 0 {
		validity, err = a.own(&u.validity)
	}
	u.validity.free()
	offsets, err2 := a.own(&u.offsets)
	data, err3 := a.own(&u.data)
	if err := errors.Join(err, err2, err3); err != nil {
		return err
	}
	a.setArray(i, u.rows, u.nulls, validity, offsets, data)
	return nil
}

// batchBuilder builds a listing batch (objstore_list_arrow_schema) from
// pages of entries.
type batchBuilder struct {
	rows                   int
	paths, etags, versions utf8Builder
	times, sizes           cBuffer
}

func newBatchBuilder() *batchBuilder {
	return &batchBuilder{etags: utf8Builder{nullable: true}, versions: utf8Builder{nullable: true}}
}

// add appends the entries of metas that fit the batch (its utf8 columns
// stay within maxUtf8Bytes) and returns how many.
func (b *batchBuilder) add(metas []core.ObjectMeta) (int, error) {
	n, pathBytes, etagBytes, versionBytes := 0, b.paths.data.len, b.etags.data.len, b.versions.data.len
	for i := range metas {
		m := &metas[i]
		p, e, v := pathBytes+len(m.Location), etagBytes+len(m.ETag), versionBytes+len(m.Version)
		if p > maxUtf8Bytes || e > maxUtf8Bytes || v > maxUtf8Bytes {
			break
		}
		pathBytes, etagBytes, versionBytes, n = p, e, v, n+1
	}
	if n == 0 && len(metas) > 0 && b.rows == 0 {
		return 0, core.Errorf(core.Generic, "a listing entry's strings exceed %d bytes, more than an Arrow batch holds", maxUtf8Bytes)
	}
	rows := b.rows + n
	if err := errors.Join(
		b.paths.reserve(n, pathBytes-b.paths.data.len), b.etags.reserve(n, etagBytes-b.etags.data.len),
		b.versions.reserve(n, versionBytes-b.versions.data.len), b.times.reserve(8*rows), b.sizes.reserve(8*rows),
	); err != nil {
		return 0, err
	}
	b.paths.add(n, func(i int) string { return string(metas[i].Location) })
	b.etags.add(n, func(i int) string { return metas[i].ETag })
	b.versions.add(n, func(i int) string { return metas[i].Version })
	us := unsafe.Slice((*int64)(b.times.p), rows)[b.rows:]
	sz := unsafe.Slice((*uint64)(b.sizes.p), rows)[b.rows:]
	for i := range n {
		m := &metas[i]
		us[i] = 0 // the epoch for a time no backend leaves unset
		if !m.LastModified.IsZero() {
			us[i] = m.LastModified.UnixMicro()
		}
		sz[i] = m.Size
	}
	b.times.len, b.sizes.len, b.rows = 8*rows, 8*rows, rows
	return n, nil
}

// finish hands the batch to *out; the builder is empty afterwards.
func (b *batchBuilder) finish(out *C.struct_ArrowArray) error {
	defer b.free()
	a, err := newArrowBlock()
	if err != nil {
		return err
	}
	times, err1 := a.own(&b.times)
	sizes, err2 := a.own(&b.sizes)
	err = errors.Join(err1, err2, a.ownUtf8(1, &b.paths), a.ownUtf8(4, &b.etags), a.ownUtf8(5, &b.versions))
	a.setArray(0, b.rows, 0, nil)
	a.setArray(2, b.rows, 0, nil, times)
	a.setArray(3, b.rows, 0, nil, sizes)
	C.objstoreInternal_arrow_publish(a.b, out, C.int64_t(b.rows), 0, 1, 5)
	if err != nil {
		releaseArrow(out)
		return err
	}
	return nil
}

func (b *batchBuilder) free() {
	b.paths.free()
	b.etags.free()
	b.versions.free()
	b.times.free()
	b.sizes.free()
}

// exportStrings writes strs into *out as a utf8 array (not null).
func exportStrings(strs []core.Path, out *C.struct_ArrowArray) error {
	var u utf8Builder
	defer u.free()
	bytes := 0
	for _, s := range strs {
		bytes += len(s)
	}
	if bytes > maxUtf8Bytes {
		return core.Errorf(core.Generic, "%d common prefixes exceed %d bytes, more than an Arrow array holds", len(strs), maxUtf8Bytes)
	}
	if err := u.reserve(len(strs), bytes); err != nil {
		return err
	}
	u.add(len(strs), func(i int) string { return string(strs[i]) })
	a, err := newArrowBlock()
	if err != nil {
		return err
	}
	err = a.ownUtf8(1, &u)
	a.b.buffers[0] = a.b.buffers[1]
	C.objstoreInternal_arrow_publish(a.b, out, C.int64_t(u.rows), 0, 3, 0)
	if err != nil {
		releaseArrow(out)
		return err
	}
	return nil
}

// arrowLive is how many exported arrays are not yet released, and the
// bytes they hold.
func arrowLive() (arrays, bytes uint64) {
	var a, b C.uint64_t
	C.objstoreInternal_arrow_live(&a, &b)
	return uint64(a), uint64(b)
}

// released marks a caller's struct as holding nothing (the state it is
// in on failure).
func released(a *C.struct_ArrowArray) {
	if a != nil {
		*a = C.struct_ArrowArray{}
	}
}

// releaseArrow releases an exported array that was never handed over.
func releaseArrow(a *C.struct_ArrowArray) {
	if a.release != nil {
		C.objstoreInternal_arrow_release(a)
	}
}

// ---- objstore_list_next_arrow / its submit ----

// arrowPage is an exported listing page (Go memory holding C pointers
// only), moved into the caller's struct when handed over.
type arrowPage struct {
	array C.struct_ArrowArray
	rows  int
}

func listNextArrowOp(maxItems C.size_t) preparer[*listing, arrowPage] {
	return func(l *listing) (op[arrowPage], error) {
		return func(context.Context) (arrowPage, error) {
			b := newBatchBuilder()
			defer b.free()
			if err := l.fill(b, maxItems); err != nil {
				return arrowPage{}, err
			}
			p := arrowPage{rows: b.rows}
			return p, b.finish(&p.array)
		}, nil
	}
}

//export objstoreGo_list_next_arrow
func objstoreGo_list_next_arrow(lh unsafe.Pointer, maxItems C.size_t, out *C.struct_ArrowArray, n *C.size_t, errp **C.objstore_error) C.int {
	released(out)
	return call(errp, func() error {
		if err := errors.Join(needOut("out", out == nil), needOut("n", n == nil)); err != nil {
			return err
		}
		return runNow(lh, kindList, true, listNextArrowOp(maxItems), func(p arrowPage) error {
			*out, *n = p.array, C.size_t(p.rows)
			return nil
		})
	})
}

//export objstoreGo_submit_list_next_arrow
func objstoreGo_submit_list_next_arrow(lh unsafe.Pointer, maxItems C.size_t, out *C.struct_ArrowArray, id C.uint64_t, errp **C.objstore_error) C.int {
	released(out)
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return submitOp(lh, kindList, true, id, C.OBJSTORE_OP_LIST_NEXT_ARROW, listNextArrowOp(maxItems), output[arrowPage]{
			fill: func(c *C.objstore_completion, p arrowPage) {
				*out = p.array
				c.n_items = C.size_t(p.rows)
			},
			discard: func(p arrowPage) { releaseArrow(&p.array) },
		})
	})
}

// ---- objstore_list_with_delimiter_arrow / its submit ----

// arrowLevel is an exported one-level listing.
type arrowLevel struct {
	objects, prefixes C.struct_ArrowArray
	rows, nPrefixes   int
}

func (v *arrowLevel) release() {
	releaseArrow(&v.objects)
	releaseArrow(&v.prefixes)
}

func listWithDelimiterArrowOp(prefix *C.char) preparer[*stores.Handle, arrowLevel] {
	level := listWithDelimiterOp(prefix)
	return func(h *stores.Handle) (op[arrowLevel], error) {
		run, err := level(h)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (arrowLevel, error) {
			res, err := run(ctx)
			if err != nil {
				return arrowLevel{}, err
			}
			var v arrowLevel
			b := newBatchBuilder()
			defer b.free()
			if v.rows, err = b.add(res.Objects); err == nil && v.rows < len(res.Objects) {
				err = core.Errorf(core.Generic, "the strings of %d objects exceed %d bytes, more than an Arrow batch holds", len(res.Objects), maxUtf8Bytes)
			}
			if err == nil {
				err = b.finish(&v.objects)
			}
			if err == nil {
				v.nPrefixes, err = len(res.CommonPrefixes), exportStrings(res.CommonPrefixes, &v.prefixes)
			}
			if err != nil {
				v.release()
				return arrowLevel{}, err
			}
			return v, nil
		}, nil
	}
}

//export objstoreGo_list_with_delimiter_arrow
func objstoreGo_list_with_delimiter_arrow(store unsafe.Pointer, prefix *C.char, objects, prefixes *C.struct_ArrowArray, errp **C.objstore_error) C.int {
	released(objects)
	released(prefixes)
	return call(errp, func() error {
		if err := errors.Join(needOut("objects", objects == nil), needOut("common_prefixes", prefixes == nil)); err != nil {
			return err
		}
		return storeNow(store, listWithDelimiterArrowOp(prefix), func(v arrowLevel) error {
			*objects, *prefixes = v.objects, v.prefixes
			return nil
		})
	})
}

//export objstoreGo_submit_list_with_delimiter_arrow
func objstoreGo_submit_list_with_delimiter_arrow(store unsafe.Pointer, prefix *C.char, objects, prefixes *C.struct_ArrowArray, id C.uint64_t, errp **C.objstore_error) C.int {
	released(objects)
	released(prefixes)
	return call(errp, func() error {
		if err := errors.Join(needOut("objects", objects == nil), needOut("common_prefixes", prefixes == nil)); err != nil {
			return err
		}
		return storeSubmit(store, id, C.OBJSTORE_OP_LIST_WITH_DELIMITER_ARROW, listWithDelimiterArrowOp(prefix), output[arrowLevel]{
			fill: func(c *C.objstore_completion, v arrowLevel) {
				*objects, *prefixes = v.objects, v.prefixes
				c.n_items, c.n_prefixes = C.size_t(v.rows), C.size_t(v.nPrefixes)
			},
			discard: func(v arrowLevel) { v.release() },
		})
	})
}
