package local

import (
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/storetest"
)

var caps = storetest.Capabilities{
	NoAttributes:            true,
	NoVersions:              true,
	NoSign:                  true,
	ObjectAndPrefixConflict: true,
}

func newStore(t *testing.T) core.Store {
	s, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore, caps)
}

func TestConformanceWithCleanup(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store {
		s, err := New(t.TempDir()+"/created/by/mkdir", Options{Mkdir: true, AutomaticCleanup: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, caps)
}
