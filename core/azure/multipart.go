package azure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/libobjstore/objstore/core"
)

// A multipart upload is a block blob built from staged blocks: each part
// is staged (Put Block) under a block ID derived from the upload's random
// nonce and the part index, and Complete commits the list in index order
// (Put Block List), which is when the blob appears, with its attributes,
// metadata and tags.
//
// Abort marks the upload finished and removes the blocks it staged when the
// blob was never committed; staged blocks of an existing blob stay until its
// next commit or their 7-day expiry (see uploads.go). Until Complete no blob
// is visible, so an aborted upload leaves nothing a reader can see.
type upload struct {
	s     *Store
	path  core.Path
	bb    *blockblob.Client
	opts  core.MultipartOptions
	nonce string

	mu     sync.Mutex
	blocks map[int]string // part index -> block ID
	done   bool
}

func (s *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	// Check the attributes now rather than after every part is uploaded.
	if _, _, err := s.splitAttributes(path, opts.Attributes); err != nil {
		return nil, err
	}
	var n [8]byte
	if _, err := rand.Read(n[:]); err != nil {
		return nil, core.Wrap(core.Generic, storeName, path, err)
	}
	return &upload{
		s: s, path: path, opts: opts,
		bb:     s.cl.container.NewBlockBlobClient(string(path)),
		nonce:  hex.EncodeToString(n[:]),
		blocks: map[int]string{},
	}, nil
}

// blockID is fixed width, as Azure requires every block ID of a blob to
// have the same length: 16 hex digits of nonce, a dash, 10 digits of index.
func blockID(nonce string, index int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%010d", nonce, index))
}

// maxBlocks is Azure's limit of committed blocks per blob.
const maxBlocks = 50000

func (u *upload) PutPart(ctx context.Context, index int, data []byte) error {
	if index < 0 || index >= maxBlocks {
		return &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: fmt.Sprintf("part index %d is outside 0..%d", index, maxBlocks-1)}
	}
	if err := u.checkOpen(); err != nil {
		return err
	}
	id := blockID(u.nonce, index)
	if _, err := u.bb.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(data)), &blockblob.StageBlockOptions{TransactionalValidation: contentMD5(data)}); err != nil {
		return mapError(err, u.path)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.blocks[index] = id
	return nil
}

func (u *upload) checkOpen() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: "the upload is already completed or aborted"}
	}
	return nil
}

func (u *upload) Complete(ctx context.Context) (core.PutResult, error) {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return core.PutResult{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: "the upload is already completed or aborted"}
	}
	indices := make([]int, 0, len(u.blocks))
	for i := range u.blocks {
		indices = append(indices, i)
	}
	sort.Ints(indices)
	ids := make([]string, len(indices))
	for n, i := range indices {
		if i != n {
			u.mu.Unlock()
			return core.PutResult{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: fmt.Sprintf("part %d was never uploaded", n)}
		}
		ids[n] = u.blocks[i]
	}
	u.done = true // a second Complete or a late part must not race this one
	u.mu.Unlock()

	headers, md, err := u.s.splitAttributes(u.path, u.opts.Attributes)
	if err != nil {
		return core.PutResult{}, err
	}
	resp, err := u.bb.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		HTTPHeaders: headers,
		Metadata:    md,
		Tags:        u.s.tags(u.opts.Tags),
	})
	if err != nil {
		u.mu.Lock()
		u.done = false // the staged blocks are still there: Complete may be retried
		u.mu.Unlock()
		return core.PutResult{}, mapError(err, u.path)
	}
	return core.PutResult{ETag: etag(resp.ETag), Version: deref(resp.VersionID)}, nil
}

func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	u.done = true
	u.mu.Unlock()
	return u.s.discardStaged(ctx, u.path)
}
