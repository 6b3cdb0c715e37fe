package packetdrill

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPMTUScripts runs the packet-level scripts for TCP path MTU
// discovery on established connections (testdata/scripts/pmtu/*.pkt):
// an ICMP fragmentation-needed or ICMPv6 packet-too-big quoting data in
// flight shrinks the MSS and resends that data at once, cut to the new
// size, as Linux's tcp_v4_mtu_reduced/tcp_v6_mtu_reduced and
// tcp_simple_retransmit. Scripts named *v6.pkt run over IPv6; the IPv4
// ones also over IPv4-mapped IPv6 addresses, which take the IPv4 path.
func TestPMTUScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "scripts", "pmtu", "*.pkt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	for _, mode := range []IPMode{ModeAuto, ModeIPv4Mapped} {
		r := NewRunner(Options{Mode: mode})
		for _, s := range scripts {
			if mode == ModeIPv4Mapped && strings.HasSuffix(s, "v6.pkt") {
				continue
			}
			t.Run(mode.String()+"/"+filepath.Base(s), func(t *testing.T) {
				res := r.RunFile(s)
				if res.Outcome != Pass {
					t.Errorf("%s\n%s", res, res.Detail)
				}
			})
		}
	}
}
