package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestTimingScripts runs the packet-level scripts for the delayed-ACK
// engine (testdata/scripts/delack/*.pkt: interactive (ping-pong) mode,
// the timer ending it, and TCP_QUICKACK, as Linux's icsk_ack), for how
// long an unanswered connect retries (testdata/scripts/synretry/*.pkt,
// tcp_write_timeout), for the RTT samples ACKs give
// (testdata/scripts/rtt/*.pkt, tcp_clean_rtx_queue) and for when Nagle's
// algorithm holds a short segment (testdata/scripts/nagle/*.pkt,
// Minshall's variant), over IPv4 and IPv6.
func TestTimingScripts(t *testing.T) {
	var scripts []string
	for _, dir := range []string{"delack", "synretry", "rtt", "nagle"} {
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
