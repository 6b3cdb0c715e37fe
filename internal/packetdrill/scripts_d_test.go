package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestListenScripts runs the packet-level scripts written for the listen
// side where the corpus has none: testdata/scripts/listen/*.pkt (SYN
// cookies with and without timestamps, forged cookies, TCP_DEFER_ACCEPT,
// the request's SYN-ACK timer). Each must pass; what they expect was
// worked out from the Linux code named in each script's header.
func TestListenScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "scripts", "listen", "*.pkt"))
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
