package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
)

// Receive-buffer auto-tuning, as Linux's tcp_rcv_space_adjust
// (net.ipv4.tcp_moderate_rcvbuf): the buffer starts at tcp_rmem[1] and
// grows with what the application reads per round trip, up to
// tcp_rmem[2], unless the user fixed it with SO_RCVBUF. Sizes count
// payload bytes here, where Linux counts buffer memory (truesize). The
// send side's tcp_sndbuf_expand is still to come: with it, a loopback
// connection's 64 KiB MSS stalled nettest's BasicIO, which needs a look
// at the send path first.

// rcvSpaceAdjust grows the receive buffer when the application reads
// more per round trip than a quarter of it (a simplified
// tcp_rcv_space_adjust: the buffer becomes four times what one RTT
// delivered, so the window stays ahead of the sender's growth).
func (c *conn) rcvSpaceAdjust(copied int) {
	if c.sk == nil || c.sysInt(netns.TCPModerateRcvbuf) == 0 {
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
