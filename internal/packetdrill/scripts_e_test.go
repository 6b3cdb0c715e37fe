package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestUrgentECNFastOpenScripts runs the packet-level scripts written for
// TCP urgent data, ECN and Fast Open where the corpus has none (or too
// few): testdata/scripts/{urgent,ecn,fastopen}/*.pkt. Each must pass, over
// IPv4 and over IPv6 (where the ECN codepoints sit in the traffic class);
// the expected packets and values in them follow Linux's code paths named
// in each script's header.
func TestUrgentECNFastOpenScripts(t *testing.T) {
	var scripts []string
	for _, dir := range []string{"urgent", "ecn", "fastopen"} {
		m, err := filepath.Glob(filepath.Join("testdata", "scripts", dir, "*.pkt"))
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, m...)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	for _, mode := range []IPMode{ModeIPv4, ModeIPv6} {
		r := NewRunner(Options{Mode: mode})
		for _, s := range scripts {
			t.Run(mode.String()+"/"+filepath.Base(s), func(t *testing.T) {
				res := r.RunFile(s)
				if res.Outcome != Pass {
					t.Errorf("%s\n%s", res, res.Detail)
				}
			})
		}
	}
}
