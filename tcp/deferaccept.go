package tcp

// TCP_DEFER_ACCEPT keeps a child that completed its handshake with a bare
// ACK out of the accept queue until data arrives (admitChild drops the
// ACK) or the deferral runs out (synAckTimeout). Linux keeps the option
// as a count of SYN-ACK timeouts, not seconds: setsockopt rounds the
// seconds up to the timeouts that cover them and getsockopt gives back
// those timeouts' total.

// deferSecsToRetrans is secs_to_retrans(seconds, TCP_TIMEOUT_INIT,
// TCP_RTO_MAX) in seconds: the SYN-ACK timeouts, 1 s doubling up to
// 120 s, whose sum first reaches seconds (at most 255).
func deferSecsToRetrans(seconds int) int {
	if seconds <= 0 {
		return 0
	}
	timeout, period, n := 1, 1, 1
	for seconds > period && n < 255 {
		n++
		timeout = min(timeout*2, 120)
		period += timeout
	}
	return n
}

// deferRetransToSecs is retrans_to_secs: the seconds n SYN-ACK timeouts
// span.
func deferRetransToSecs(n int) int {
	if n <= 0 {
		return 0
	}
	timeout, period := 1, 1
	for n--; n > 0; n-- {
		timeout = min(timeout*2, 120)
		period += timeout
	}
	return period
}
