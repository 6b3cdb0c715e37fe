package tcp

import (
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// Keepalive (RFC 1122 4.2.3.6, Linux's tcp_keepalive_timer): after
// TCP_KEEPIDLE (net.ipv4.tcp_keepalive_time) without traffic, probes go
// out every TCP_KEEPINTVL; TCP_KEEPCNT unanswered probes end the
// connection with ETIMEDOUT. A probe is an ACK one byte below sndUna,
// which the peer must answer.

func (c *conn) keepIdle() time.Duration {
	if c.opts.keepIdle > 0 {
		return time.Duration(c.opts.keepIdle) * time.Second
	}
	return time.Duration(c.sysInt(netns.TCPKeepaliveTime)) * time.Second
}

func (c *conn) keepIntvl() time.Duration {
	if c.opts.keepIntvl > 0 {
		return time.Duration(c.opts.keepIntvl) * time.Second
	}
	return time.Duration(c.sysInt(netns.TCPKeepaliveIntvl)) * time.Second
}

func (c *conn) keepCnt() int {
	if c.opts.keepCnt > 0 {
		return c.opts.keepCnt
	}
	return int(c.sysInt(netns.TCPKeepaliveProbes))
}

// keepaliveChanged (re)arms or stops the keepalive timer after
// SO_KEEPALIVE or TCP_KEEPIDLE changed (tcp_set_keepalive).
func (c *conn) keepaliveChanged() {
	if c.sk == nil || !c.sk.S.Flag(abi.SO_KEEPALIVE) {
		if c.keepTimer != nil {
			c.keepTimer.Stop()
		}
		return
	}
	c.armKeepalive(c.keepIdle())
}

func (c *conn) armKeepalive(d time.Duration) {
	if c.keepTimer == nil {
		c.keepTimer = c.p.ns.Clock().AfterFunc(d, c.onKeepalive)
		return
	}
	c.keepTimer.Reset(d)
}

// onKeepalive is tcp_keepalive_timer.
func (c *conn) onKeepalive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sk == nil || !c.sk.S.Flag(abi.SO_KEEPALIVE) {
		return
	}
	switch c.state {
	case Established, CloseWait, FinWait1, FinWait2, Closing, LastAck:
	default:
		return
	}
	idle := c.now().Sub(c.lastRecv)
	if c.inFlight() > 0 || c.sndBuf.Len() > 0 {
		// Data in flight: the retransmission timer watches the peer.
		c.armKeepalive(c.keepIdle())
		return
	}
	if idle < c.keepIdle() && c.probes == 0 {
		c.armKeepalive(c.keepIdle() - idle)
		return
	}
	if c.probes >= c.keepCnt() {
		c.p.ns.MIB.Inc(netns.TCPExtTCPKeepAlive)
		c.sendSegment(wire.TCPFlagRST|wire.TCPFlagACK, c.sndNxt, nil)
		c.p.ns.MIB.Inc(netns.TCPOutRsts)
		c.abort(c.timeoutErr())
		return
	}
	c.probes++
	c.p.ns.MIB.Inc(netns.TCPExtTCPKeepAlive)
	c.sendSegment(wire.TCPFlagACK, c.sndUna-1, nil)
	c.armKeepalive(c.keepIntvl())
}
