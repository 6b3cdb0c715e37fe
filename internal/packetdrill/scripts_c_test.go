package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestRecoveryScripts runs the packet-level scripts written for loss
// recovery where the corpus has none: testdata/scripts/recovery/*.pkt
// (D-SACK sent and received, undo, PRR, RACK, F-RTO). Each must pass; the
// packets and values they expect were worked out from the Linux code
// paths named in each script's header.
func TestRecoveryScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "scripts", "recovery", "*.pkt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	r := NewRunner(Options{})
	for _, s := range scripts {
		t.Run(filepath.Base(s), func(t *testing.T) {
			res := r.RunFile(s)
			if res.Outcome != Pass {
				t.Errorf("%s\n%s", res, res.Detail)
			}
		})
	}
}
