package packetdrill

import (
	"path/filepath"
	"strings"
	"testing"
)

// runScriptDirs runs every script of the named directories under
// testdata/scripts in each IP mode (ModeAuto alone when modes is empty),
// as subtests that must pass; skip, when set, passes over a script in a
// mode. The subtests are named by script, prefixed by the mode when there
// are several.
func runScriptDirs(t *testing.T, dirs []string, modes []IPMode, skip func(IPMode, string) bool) {
	t.Helper()
	var scripts []string
	for _, dir := range dirs {
		m, err := filepath.Glob(filepath.Join("testdata", "scripts", dir, "*.pkt"))
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, m...)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	if len(modes) == 0 {
		modes = []IPMode{ModeAuto}
	}
	for _, mode := range modes {
		r := NewRunner(Options{Mode: mode})
		for _, s := range scripts {
			if skip != nil && skip(mode, s) {
				continue
			}
			name := filepath.Base(s)
			if len(modes) > 1 {
				name = mode.String() + "/" + name
			}
			t.Run(name, func(t *testing.T) {
				res := r.RunFile(s)
				if res.Outcome != Pass {
					t.Errorf("%s\n%s", res, res.Detail)
				}
			})
		}
	}
}

// TestRecoveryScripts runs the packet-level scripts written for loss
// recovery where the corpus has none: testdata/scripts/recovery/*.pkt
// (D-SACK sent and received, undo, PRR, RACK, F-RTO). The packets and
// values they expect were worked out from the Linux code paths named in
// each script's header.
func TestRecoveryScripts(t *testing.T) {
	runScriptDirs(t, []string{"recovery"}, nil, nil)
}

// TestListenScripts runs the packet-level scripts written for the listen
// side where the corpus has none: testdata/scripts/listen/*.pkt (SYN
// cookies with and without timestamps, forged cookies, TCP_DEFER_ACCEPT,
// the request's SYN-ACK timer).
func TestListenScripts(t *testing.T) {
	runScriptDirs(t, []string{"listen"}, nil, nil)
}

// TestUrgentECNFastOpenScripts runs the scripts written for TCP urgent
// data, ECN and Fast Open where the corpus has none (or too few):
// testdata/scripts/{urgent,ecn,fastopen}/*.pkt, over IPv4 and over IPv6
// (where the ECN codepoints sit in the traffic class).
func TestUrgentECNFastOpenScripts(t *testing.T) {
	runScriptDirs(t, []string{"urgent", "ecn", "fastopen"}, []IPMode{ModeIPv4, ModeIPv6}, nil)
}

// TestEfaultScripts runs the scripts of testdata/scripts/efault: calls
// whose buffer is NULL, which the runner makes through the system-call
// face (sys.Process.Syscall) as packetdrill makes them through the
// kernel's.
func TestEfaultScripts(t *testing.T) {
	runScriptDirs(t, []string{"efault"}, nil, nil)
}

// TestPMTUScripts runs the packet-level scripts for TCP path MTU
// discovery on established connections (testdata/scripts/pmtu/*.pkt):
// an ICMP fragmentation-needed or ICMPv6 packet-too-big quoting data in
// flight shrinks the MSS and resends that data at once, cut to the new
// size, as Linux's tcp_v4_mtu_reduced/tcp_v6_mtu_reduced and
// tcp_simple_retransmit. Scripts named *v6.pkt run over IPv6; the IPv4
// ones also over IPv4-mapped IPv6 addresses, which take the IPv4 path.
func TestPMTUScripts(t *testing.T) {
	runScriptDirs(t, []string{"pmtu"}, []IPMode{ModeAuto, ModeIPv4Mapped}, func(mode IPMode, s string) bool {
		return mode == ModeIPv4Mapped && strings.HasSuffix(s, "v6.pkt")
	})
}

// TestSndbufScripts runs the scripts of testdata/scripts/sndbuf: where
// Linux 6.18 puts PSH on the TSO packets it cuts from its write queue,
// and how a write is limited by the send buffer's truesize charge. The
// packets and return values they expect were measured on this machine's
// kernel through a TUN device with TSO (each script's header says what).
func TestSndbufScripts(t *testing.T) {
	runScriptDirs(t, []string{"sndbuf"}, nil, nil)
}

// TestTimingScripts runs the packet-level scripts for the delayed-ACK
// engine (testdata/scripts/delack/*.pkt: interactive (ping-pong) mode,
// the timer ending it, and TCP_QUICKACK, as Linux's icsk_ack), for how
// long an unanswered connect retries (testdata/scripts/synretry/*.pkt,
// tcp_write_timeout), for the RTT samples ACKs give
// (testdata/scripts/rtt/*.pkt, tcp_clean_rtx_queue) and for when Nagle's
// algorithm holds a short segment (testdata/scripts/nagle/*.pkt,
// Minshall's variant), over IPv4 and IPv6.
func TestTimingScripts(t *testing.T) {
	runScriptDirs(t, []string{"delack", "synretry", "rtt", "nagle"}, []IPMode{ModeIPv4, ModeIPv6}, nil)
}

// TestRcvlowatScripts runs testdata/scripts/rcvlowat: SO_RCVLOWAT on TCP
// (when poll reports POLLIN, what a non-blocking and a blocking read
// return), over IPv4 and IPv6.
func TestRcvlowatScripts(t *testing.T) {
	runScriptDirs(t, []string{"rcvlowat"}, []IPMode{ModeIPv4, ModeIPv6}, nil)
}
