package packetdrill

import "testing"

// TestTimeWaitScripts runs the packet-level scripts for TIME-WAIT:
// testdata/scripts/timewait/*.pkt (segments answered by a closed
// connection's TIME-WAIT record, PAWS and the reopening SYN with
// timestamps, the 2MSL timer and its restart, tcp_rfc1337, the
// out-of-window ACK rate limit, and an orphan's FIN-WAIT-2 record: the
// peer's FIN, data after close, the FIN timeout). The packets they expect
// were worked out from Linux's tcp_timewait_state_process and
// tcp_v4_timewait_ack, named in each script's header; they were not run
// against a Linux kernel.
func TestTimeWaitScripts(t *testing.T) {
	runScriptDirs(t, []string{"timewait"}, []IPMode{ModeIPv4, ModeIPv6}, nil)
}
