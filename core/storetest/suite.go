package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/libobjstore/objstore/core"
)

// item is one behaviour every backend must have. Its name is the anchor of
// its section in docs/conformance.md, which a failure points to.
type item struct {
	name string
	run  func(t *testing.T, s core.Store, caps Capabilities)
	// viaPrefix: also run through core.Prefixed in item 12.
	viaPrefix bool
}

var items = []item{
	{"01_put_get_delete_list", testPutGetDeleteList, true},
	{"01b_tricky_keys", testTrickyKeys, true},
	{"01c_get_ranges", testGetRanges, true},
	{"01d_bulk_and_prefix_delete", testBulkDelete, true},
	{"02_attributes", testAttributes, true},
	{"03_conditional_get", testConditionalGet, true},
	{"04_conditional_put", testConditionalPut, true},
	{"04b_counter_race", testCounterRace, false},
	{"04c_create_race", testCreateRace, false},
	{"05_multipart", testMultipart, true},
	{"05b_writer", testWriter, false},
	{"06_list_by_segment", testListBySegment, true},
	{"07_list_with_delimiter", testListWithDelimiter, true},
	{"08_missing_objects", testMissing, true},
	{"09_copy_rename", testCopyRename, true},
	{"10_copy_if_not_exists", testCopyIfNotExists, true},
	{"11_paginated_list_offset", testPaginatedList, false},
	{"13_invalid_paths", testInvalidPaths, false},
	{"14_sign", testSign, true},
	{"15_cleanup_uploads", testCleanupUploads, true},
}

// testPrefix is the prefix under which item 12 reruns the suite.
const testPrefix = "prefix store/inner"

// Run runs every item of the conformance suite as a subtest, each on a
// fresh store from newStore, then reruns most of them through
// core.Prefixed (item 12) and checks the prefix store's isolation. Every
// store is tested behind the front every opened store has (core.Scoped,
// see core/driver's Open), as users get it.
func Run(t *testing.T, newStore func(t *testing.T) core.Store, caps Capabilities) {
	t.Helper()
	newStore = behindFront(newStore)
	for _, it := range items {
		t.Run(it.name, func(t *testing.T) {
			explainFailure(t, it.name)
			it.run(t, newStore(t), caps)
		})
	}
	t.Run("12_prefix_stores", func(t *testing.T) {
		explainFailure(t, "12_prefix_stores")
		for _, it := range items {
			if !it.viaPrefix {
				continue
			}
			t.Run(it.name, func(t *testing.T) {
				explainFailure(t, it.name)
				it.run(t, core.Prefixed(newStore(t), core.MustPath(testPrefix)), caps)
			})
		}
		t.Run("isolation", func(t *testing.T) { testPrefixIsolation(t, newStore(t), caps) })
	})
}

// RunItem runs one item by name (e.g. "05_multipart") on a fresh store, for
// backends debugging a single behaviour.
func RunItem(t *testing.T, name string, newStore func(t *testing.T) core.Store, caps Capabilities) {
	t.Helper()
	newStore = behindFront(newStore)
	for _, it := range items {
		if it.name == name {
			explainFailure(t, it.name)
			it.run(t, newStore(t), caps)
			return
		}
	}
	t.Fatalf("no conformance item %q", name)
}

func testPrefixIsolation(t *testing.T, base core.Store, caps Capabilities) {
	ctx := context.Background()
	put(t, base, "prefix store/sibling.txt", []byte("sibling"))
	put(t, base, "prefix storex/inner/x", []byte("lookalike"))
	put(t, base, "prefix store/innerx/y", []byte("lookalike 2"))
	ps := core.Prefixed(base, core.MustPath(testPrefix))

	expectList(t, ps, "", caps)
	put(t, ps, "a/one", []byte("1"))
	put(t, ps, "two", []byte("2"))
	expectList(t, ps, "", caps, "a/one", "two")
	expectContent(t, base, testPrefix+"/a/one", []byte("1"))
	expectNotFound(t, ps, "sibling.txt")
	if m, err := ps.Head(ctx, p(t, "a/one")); err != nil || m.Location != "a/one" {
		t.Fatalf("head through prefix: %v %q, want location a/one", err, m.Location)
	}
	lr, err := ps.ListWithDelimiter(ctx, "")
	expectOK(t, err, "list_with_delimiter through prefix")
	if !slices.Equal(pathStrings(lr.CommonPrefixes), []string{"a"}) || len(lr.Objects) != 1 || lr.Objects[0].Location != "two" {
		t.Fatalf("list_with_delimiter through prefix: %+v", lr)
	}
	expectOK(t, ps.Copy(ctx, p(t, "two"), p(t, "three"), core.CopyOptions{}), "copy through prefix")
	expectContent(t, base, testPrefix+"/three", []byte("2"))
	expectOK(t, core.Rename(ctx, ps, p(t, "three"), p(t, "four"), core.CopyOptions{}), "rename through prefix")
	expectContent(t, base, testPrefix+"/four", []byte("2"))
	expectNotFound(t, base, testPrefix+"/three")
	expectOK(t, ps.Delete(ctx, p(t, "four")), "delete through prefix")
	expectNotFound(t, base, testPrefix+"/four")

	expectOK(t, core.DeletePrefix(ctx, ps, ""), "delete_prefix of the whole prefix store")
	expectList(t, ps, "", caps)
	expectList(t, base, "", caps, "prefix store/innerx/y", "prefix store/sibling.txt", "prefix storex/inner/x")
	if core.Prefixed(base, "") != base {
		t.Fatalf("Prefixed with an empty prefix must return the store itself")
	}
}

// behindFront opens each store behind the front of core/stores: the checks
// every backend may take for granted are made there, once.
func behindFront(newStore func(t *testing.T) core.Store) func(t *testing.T) core.Store {
	return func(t *testing.T) core.Store { return core.Scoped(newStore(t), "") }
}

// explainFailure points a failed item to what it checks.
func explainFailure(t *testing.T, name string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("what %s checks, and the capabilities a backend may declare: docs/conformance.md#%s", name, name)
		}
	})
}
