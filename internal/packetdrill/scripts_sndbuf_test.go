package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestSndbufScripts runs the scripts of testdata/scripts/sndbuf: where
// Linux 6.18 puts PSH on the TSO packets it cuts from its write queue,
// and how a write is limited by the send buffer's truesize charge. The
// packets and return values they expect were measured on this machine's
// kernel through a TUN device with TSO (each script's header says what).
func TestSndbufScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "scripts", "sndbuf", "*.pkt"))
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
