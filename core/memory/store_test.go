package memory

import (
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return New() }, storetest.Capabilities{
		NoVersions:      true,
		NoSign:          true,
		NoUploadCleanup: true, // uploads live in the process only
	})
}
