package driver

import (
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

func TestKeyTable(t *testing.T) {
	keys := KeyTable{{Name: "region", Aliases: []string{"aws_region"}}, {Name: "mkdir"}}
	out, err := keys.Normalize("config", core.Options{"AWS_REGION": "eu"})
	if err != nil || out["region"] != "eu" {
		t.Fatalf("alias: %+v %v", out, err)
	}
	if _, err := keys.Normalize("config", core.Options{"region": "a", "aws_region": "b"}); !core.IsKind(err, core.InvalidArgument) {
		t.Errorf("two aliases of one key: %v", err)
	}
	if _, err := keys.Normalize("config", core.Options{"bogus": "1"}); !core.IsKind(err, core.UnknownConfigKey) {
		t.Errorf("unknown key: %v", err)
	}
	for v, want := range map[string]bool{"true": true, "1": true, "YES": true, "off": false, "0": false, "": false} {
		if got, err := ParseBool("k", v); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", v, got, err)
		}
	}
	if _, err := ParseBool("k", "maybe"); !core.IsKind(err, core.InvalidArgument) {
		t.Errorf("ParseBool(maybe): %v", err)
	}
	if d, err := ParseDuration("k", "1.5"); err != nil || d != 1500*time.Millisecond {
		t.Errorf("ParseDuration(1.5) = %v, %v", d, err)
	}
	if d, err := ParseDuration("k", "2m"); err != nil || d != 2*time.Minute {
		t.Errorf("ParseDuration(2m) = %v, %v", d, err)
	}
}
