package driver

import (
	"testing"

	"github.com/libobjstore/objstore/core"
)

func TestParseContentRange(t *testing.T) {
	good := map[string]ContentRange{
		"bytes 0-4/10":    {0, 5, 10},
		"bytes 9-9/10":    {9, 10, 10},
		" bytes 3-6/7 ":   {3, 7, 7},
		"bytes 14-13/14":  {14, 14, 14}, // Azurite: a range starting at the end
		"bytes 0-0/1":     {0, 1, 1},
		"bytes 5-10/1000": {5, 11, 1000},
		"bytes 0--1/0":    {0, 0, 0}, // MinIO: a suffix range of an empty object
	}
	for v, want := range good {
		if got, err := ParseContentRange(v); err != nil || got != want {
			t.Errorf("ParseContentRange(%q) = %+v, %v; want %+v", v, got, err, want)
		}
	}
	for _, v := range []string{"", "bytes", "bytes 0-4", "bytes 0-4/*", "bytes */10", "items 0-4/10", "bytes 5-4/10",
		"bytes 0-10/10", "bytes -1-4/10", "bytes 0-x/10", "bytes 3-1/2", "bytes 0--1/5", "bytes 1--1/0"} {
		if got, err := ParseContentRange(v); !core.IsKind(err, core.Generic) || err == nil {
			t.Errorf("ParseContentRange(%q) = %+v, %v; want a Generic error", v, got, err)
		}
	}
}
