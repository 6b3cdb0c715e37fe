package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestDelackScripts runs the packet-level scripts for the delayed-ACK
// engine (testdata/scripts/delack/*.pkt): interactive (ping-pong) mode,
// the timer ending it, and TCP_QUICKACK, as Linux's icsk_ack, over IPv4
// and IPv6.
func TestDelackScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "scripts", "delack", "*.pkt"))
	if err != nil {
		t.Fatal(err)
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
