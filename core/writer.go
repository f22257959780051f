package core

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Defaults of the streaming writer.
const (
	DefaultChunkSize         = 5 << 20 // S3's minimum part size
	DefaultWriterConcurrency = 12
)

// WriterOptions configure NewWriter; zero fields take the defaults.
type WriterOptions struct {
	ChunkSize      int // bytes per part; an object that fits in one chunk is a single Put
	MaxConcurrency int // parts uploading at once
	Attributes     Attributes
	Tags           map[string]string
}

// Writer streams an object to a store. Bytes are buffered up to ChunkSize;
// only once more than one chunk has been written does it start a multipart
// upload, and then each full chunk is uploaded as a part while writing goes
// on, at most MaxConcurrency parts at once. A small object costs one Put.
// A Writer is not safe for concurrent use.
type Writer struct {
	ctx    context.Context
	cancel context.CancelFunc
	store  Store
	path   Path
	opts   WriterOptions

	buf    []byte        // the chunk being filled
	lent   bool          // buf is the caller's memory (WriteBorrowed), never reused
	free   chan []byte   // chunk buffers whose part upload finished, for reuse
	slots  chan struct{} // bounds the parts in flight
	upload MultipartUpload
	parts  int
	wg     sync.WaitGroup

	mu     sync.Mutex
	err    error // first failure; the upload is aborted when it is reported
	closed bool
}

// NewWriter returns a Writer for path. Nothing is sent until the first
// chunk fills or Close is called.
func NewWriter(ctx context.Context, s Store, path Path, opts WriterOptions) *Writer {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultWriterConcurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	return &Writer{
		ctx: ctx, cancel: cancel, store: s, path: path, opts: opts,
		free:  make(chan []byte, opts.MaxConcurrency+1),
		slots: make(chan struct{}, opts.MaxConcurrency),
	}
}

func (w *Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed && w.err == nil {
		return Errorf(InvalidArgument, "writer is closed")
	}
	return w.err
}

func (w *Writer) firstErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
		w.cancel()
	}
	w.mu.Unlock()
}

func (w *Writer) newChunk() []byte {
	select {
	case b := <-w.free:
		return b[:0]
	default:
		return make([]byte, 0, w.opts.ChunkSize)
	}
}

// Write buffers p, uploading every chunk that fills once more bytes follow
// it.
func (w *Writer) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if err := w.failed(); err != nil {
			return written, err
		}
		if w.buf == nil {
			w.buf = w.newChunk()
		}
		if len(w.buf) == w.opts.ChunkSize {
			w.flush()
			w.buf = w.newChunk()
		}
		n := copy(w.buf[len(w.buf):w.opts.ChunkSize], p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
		written += n
	}
	return written, nil
}

// WriteBorrowed is Write for memory that stays valid and unchanged until
// Close or Abort returns: every whole chunk of p becomes a part uploaded
// straight from p, without a copy. Only what tops up a chunk begun by an
// earlier write, and the tail after p's last whole chunk, are copied.
func (w *Writer) WriteBorrowed(p []byte) (int, error) {
	size := w.opts.ChunkSize
	written := 0
	if w.buf != nil && len(w.buf) < size {
		n, err := w.Write(p[:min(len(p), size-len(w.buf))])
		written, p = n, p[n:]
		if err != nil {
			return written, err
		}
	}
	for len(p) >= size {
		if err := w.failed(); err != nil {
			return written, err
		}
		if w.buf != nil { // full, and more bytes follow it
			w.flush()
		}
		w.buf, w.lent = p[:size:size], true
		p = p[size:]
		written += size
	}
	n, err := w.Write(p)
	return written + n, err
}

// ReadFrom reads r to its end straight into the chunk buffers (io.Copy
// uses it).
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.failed(); err != nil {
			return total, err
		}
		if w.buf == nil {
			w.buf = w.newChunk()
		}
		if len(w.buf) < w.opts.ChunkSize {
			n, err := r.Read(w.buf[len(w.buf):w.opts.ChunkSize])
			w.buf = w.buf[:len(w.buf)+n]
			total += int64(n)
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			if err != nil {
				return total, err
			}
			continue
		}
		// The chunk is full: it becomes a part only if more bytes follow.
		next := w.newChunk()
		n, err := r.Read(next[:w.opts.ChunkSize])
		if n > 0 {
			w.flush()
			w.buf = next[:n]
			total += int64(n)
		} else {
			select {
			case w.free <- next:
			default:
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// flush uploads w.buf as the next part, starting the upload first if need be.
func (w *Writer) flush() {
	if w.upload == nil {
		up, err := w.store.PutMultipart(w.ctx, w.path, MultipartOptions{Attributes: w.opts.Attributes, Tags: w.opts.Tags})
		if err != nil {
			w.fail(err)
			return
		}
		w.upload = up
	}
	chunk, lent, index := w.buf, w.lent, w.parts
	w.buf, w.lent = nil, false
	w.parts++
	select {
	case w.slots <- struct{}{}:
	case <-w.ctx.Done():
		w.fail(Wrap(Cancelled, "", w.path, w.ctx.Err()))
		return
	}
	w.wg.Add(1)
	go func() {
		defer func() { <-w.slots; w.wg.Done() }()
		if err := w.upload.PutPart(w.ctx, index, chunk); err != nil {
			w.fail(err)
		}
		if lent {
			return
		}
		select {
		case w.free <- chunk:
		default:
		}
	}()
}

// Close uploads what is buffered and completes the object: a single Put if
// it never outgrew one chunk, else the last part and Complete. After any
// failure the multipart upload is aborted and the first error returned.
func (w *Writer) Close() (PutResult, error) {
	if err := w.failed(); err != nil {
		w.abort()
		return PutResult{}, err
	}
	defer w.cancel()
	w.closeState()
	// A cancelled writer never completes, even on a store whose writes do
	// not look at the context (the local filesystem).
	if err := w.ctx.Err(); err != nil {
		w.abort()
		return PutResult{}, Wrap(Cancelled, "", w.path, err)
	}
	if w.upload == nil {
		res, err := w.store.Put(w.ctx, w.path, w.buf, PutOptions{Attributes: w.opts.Attributes, Tags: w.opts.Tags})
		w.buf, w.lent = nil, false
		return res, err
	}
	if len(w.buf) > 0 {
		w.flush()
	}
	w.wg.Wait()
	if err := w.firstErr(); err != nil {
		w.abort()
		return PutResult{}, err
	}
	if err := w.ctx.Err(); err != nil {
		w.abort()
		return PutResult{}, Wrap(Cancelled, "", w.path, err)
	}
	res, err := w.upload.Complete(w.ctx)
	if err != nil {
		w.fail(err)
		w.abort()
		return PutResult{}, err
	}
	w.upload = nil
	return res, nil
}

func (w *Writer) closeState() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// Abort drops what was written: no object is created and uploaded parts
// are removed.
func (w *Writer) Abort() error {
	w.closeState()
	return w.abort()
}

func (w *Writer) abort() error {
	w.cancel()
	w.wg.Wait()
	w.buf, w.lent = nil, false
	if w.upload == nil {
		return nil
	}
	up := w.upload
	w.upload = nil
	// The writer's context may be cancelled by now; aborting must still
	// reach the store.
	return up.Abort(context.WithoutCancel(w.ctx))
}

// PutMultipartReader streams r to path through a Writer.
func PutMultipartReader(ctx context.Context, s Store, path Path, r io.Reader, opts WriterOptions) (PutResult, error) {
	w := NewWriter(ctx, s, path, opts)
	if _, err := w.ReadFrom(r); err != nil {
		w.Abort()
		return PutResult{}, err
	}
	return w.Close()
}
