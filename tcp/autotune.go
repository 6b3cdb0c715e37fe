package tcp

import (
	"math/bits"
	"time"

	"github.com/gosock/gosock/netns"
)

// Buffer auto-tuning, as Linux's tcp_sndbuf_expand and
// tcp_rcv_space_adjust (net.ipv4.tcp_moderate_rcvbuf): buffers start at
// tcp_wmem[1] / tcp_rmem[1] and grow with the connection's needs up to
// tcp_wmem[2] / tcp_rmem[2], unless the user fixed them with SO_SNDBUF or
// SO_RCVBUF. Sizes count payload bytes here, where Linux counts buffer
// memory (truesize).

// sndbufExpand makes room for two windows of data (tcp_sndbuf_expand:
// 2 × max(cwnd, 10, reordering+1) segments of Linux's per-segment
// charge: the MSS plus headers and skb overhead, rounded up to a power of
// two).
func (c *conn) sndbufExpand() {
	if c.sk == nil || c.underPressure() {
		return
	}
	mss := max(c.mss, 1)
	perMSS := 1<<bits.Len(uint(mss+320+320-1)) + 256
	segs := max(int(c.ccs.cwnd), 10, int(c.sysInt(netns.TCPReordering))+1)
	limit := int(c.p.ns.Sysctl.Vec(netns.TCPWmem)[2])
	c.sk.S.GrowSndBuf(min(2*segs*perMSS, limit))
}

// rcvSpaceAdjust grows the receive buffer when the application reads
// more per round trip than a quarter of it (a simplified
// tcp_rcv_space_adjust: the buffer becomes four times what one RTT
// delivered, so the window stays ahead of the sender's growth).
func (c *conn) rcvSpaceAdjust(copied int) {
	if c.sk == nil || c.sysInt(netns.TCPModerateRcvbuf) == 0 || c.underPressure() {
		return
	}
	rtt := c.rtt.srtt()
	if rtt <= 0 {
		rtt = 100 * time.Millisecond
	}
	now := c.now()
	c.rcvSpaceCopied += copied
	if now.Sub(c.rcvSpaceStart) < rtt {
		return
	}
	want := 4 * c.rcvSpaceCopied
	c.rcvSpaceStart, c.rcvSpaceCopied = now, 0
	limit := int(c.p.ns.Sysctl.Vec(netns.TCPRmem)[2])
	if want > c.sk.S.RcvBuf() {
		c.sk.S.GrowRcvBuf(min(want, limit))
	}
}
