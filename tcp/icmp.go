package tcp

import (
	"encoding/binary"
	"net/netip"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/waitq"
)

// ControlInput takes an ICMP or ICMPv6 error quoting one of our segments
// (tcp_v4_err, tcp_v6_err).
//
// The quoted sequence number must fall within what is outstanding
// (snd_una to snd_nxt), or the message is a forgery or stale and is
// counted in OutOfWindowIcmps and ignored. A connection still in its
// handshake gives up at once with the converted errno (a connect to an
// unreachable host fails with EHOSTUNREACH, to a closed port behind a
// filter with ECONNREFUSED). An established connection records the error
// as soft (sk_err_soft), to be reported if it later times out and by
// SO_ERROR, unless IP_RECVERR asks for errors at once.
//
// Fragmentation-needed and packet-too-big lower the connection's MSS to
// the path MTU the network layer learned and resend what no longer fits
// (pmtu.go).
func (h handler) ControlInput(ce *netns.ControlError) {
	if len(ce.Quoted) < 8 {
		return
	}
	p := h.p
	sport := binary.BigEndian.Uint16(ce.Quoted[0:])
	dport := binary.BigEndian.Uint16(ce.Quoted[2:])
	seq := binary.BigEndian.Uint32(ce.Quoted[4:])
	local := netip.AddrPortFrom(ce.Src, sport)
	remote := netip.AddrPortFrom(ce.Dst, dport)
	p.mu.RLock()
	c := p.conns.get(local, remote)
	tw := c == nil && p.tws.get(local, remote) != nil
	p.mu.RUnlock()
	if tw {
		return // TIME-WAIT takes no error (tcp_v4_err)
	}
	if c == nil {
		p.ns.MIB.Inc(netns.ICMPInErrors)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.icmpError(ce, seq)
}

// tcpICMPErrno is the errno TCP takes from an ICMP error; ok false for
// messages TCP takes no error from (path-MTU ones: see pmtu.go).
func tcpICMPErrno(ce *netns.ControlError) (errno.Errno, bool) {
	if ce.Version == 4 {
		switch ce.Type {
		case 3: // destination unreachable
			if ce.Code > 15 || ce.Code == 4 { // NR_ICMP_UNREACH; fragmentation needed
				return 0, false
			}
			return errno.Errno(ce.Errno), ce.Errno != 0
		case 11: // time exceeded
			return errno.EHOSTUNREACH, true
		case 12: // parameter problem
			return errno.EPROTO, true
		}
		return 0, false
	}
	switch ce.Type {
	case 1, 3, 4: // destination unreachable, time exceeded, parameter problem
		return errno.Errno(ce.Errno), ce.Errno != 0
	}
	return 0, false // packet too big and the rest
}

// icmpError applies an ICMP error to the connection; c.mu held. The
// sequence check comes first, for every type, as in tcp_v4_err.
func (c *conn) icmpError(ce *netns.ControlError, seq uint32) {
	mib := c.p.ns.MIB
	switch c.state {
	case Listen, TimeWait, Close:
		return
	}
	if c.parent != nil && !c.tfo.child {
		// A request of a listener (Linux keeps those as request socks):
		// tcp_req_err drops it on a hard error quoting its SYN-ACK.
		if seq != c.iss {
			mib.Inc(netns.TCPExtOutOfWindowIcmps)
			return
		}
		if _, ok := tcpICMPErrno(ce); ok && reqAbort(ce) {
			mib.Inc(netns.TCPExtListenDrops)
			c.parent.removeSynRecv(c)
			c.done()
		}
		return
	}
	high := c.sndNxt
	if seqnum.Value(high).LessThan(seqnum.Value(c.sndMax)) {
		high = c.sndMax
	}
	low := c.sndUna
	if c.tfo.child {
		low = c.iss // the SYN-ACK counts (tcp_v4_err: snt_isn of fastopen_rsk)
	}
	if !seqnum.Value(seq).Between(seqnum.Value(low), seqnum.Value(high)) {
		mib.Inc(netns.TCPExtOutOfWindowIcmps)
		return
	}
	if isPMTUError(ce) {
		c.mtuReduced(ce)
		return
	}
	err, ok := tcpICMPErrno(ce)
	if !ok {
		return
	}
	if c.sk != nil && c.sk.RecvErr() {
		e, _, ok := c.sk.ICMPErrorFor(ce, c.remote, nil)
		if ok {
			c.sk.QueueError(e)
		}
	}
	switch {
	case c.state == SynSent || c.state == SynRecv && (!c.tfo.child || c.parent != nil):
		// A Fast Open child not yet accepted ends too, with its data
		// still to be read (fastopen->sk set); once accepted it is
		// treated as connected.
		mib.Inc(netns.TCPAttemptFails)
		c.abort(err)
	case c.sk != nil && c.sk.RecvErr():
		c.sk.S.SetError(err)
		c.notify(waitq.EventErr)
	case c.sk != nil:
		c.sk.S.SetSoftError(err)
	}
}

// reqAbort says whether an ICMP error ends a pending request: parameter
// problem, time exceeded, network or host unreachable (tcp_v4_err's
// abort argument to tcp_req_err); for ICMPv6 the conversion's fatal flag
// (tcp_v6_err).
func reqAbort(ce *netns.ControlError) bool {
	if ce.Version == 4 {
		return ce.Type == 12 || ce.Type == 11 || ce.Type == 3 && (ce.Code == 0 || ce.Code == 1)
	}
	return ce.Fatal
}

// timeoutErr is the error a connection that timed out reports: the last
// soft error an ICMP message left, else ETIMEDOUT (tcp_write_err).
func (c *conn) timeoutErr() errno.Errno {
	if c.sk != nil {
		if e := c.sk.S.SoftError(); e != 0 {
			return e
		}
	}
	return errno.ETIMEDOUT
}
