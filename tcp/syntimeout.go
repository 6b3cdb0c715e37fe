package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
)

// synExpired is tcp_write_timeout for a connection in SYN-SENT, asked
// as its retransmission timer fires: it gives up after limit
// retransmissions plus the net.ipv4.tcp_syn_linear_timeouts ones that
// are not backed off, or once the time since the first SYN reaches what
// limit retransmissions would take with a doubling timeout from 1 s
// (retransmits_timed_out with tcp_model_timeout), or TCP_USER_TIMEOUT
// when set. With TCP_SYNCNT 1 that is 3 s, after a third SYN at 2 s;
// with the default 6, 127 s, after 11 SYNs (the last at 67 s) the limit
// on their count ends it at 131 s.
func (c *conn) synExpired(limit int) bool {
	if c.retrans >= limit+int(c.sysInt(netns.TCPSynLinearTimeouts)) {
		return true
	}
	if c.retrans == 0 || c.synSent.IsZero() {
		return false
	}
	timeout := modelTimeout(limit, RTOInit)
	if ut := c.opts.userTimeout; ut > 0 {
		timeout = time.Duration(ut) * time.Millisecond
	}
	return c.now().Sub(c.synSent) >= timeout
}

// modelTimeout is tcp_model_timeout: how long boundary retransmissions
// take from a timeout of base doubling up to RTOMax.
func modelTimeout(boundary int, base time.Duration) time.Duration {
	thresh := 0 // ilog2(RTOMax / base)
	for base<<(thresh+1) <= RTOMax {
		thresh++
	}
	if boundary <= thresh {
		return time.Duration(2<<boundary-1) * base
	}
	return time.Duration(2<<thresh-1)*base + time.Duration(boundary-thresh)*RTOMax
}
