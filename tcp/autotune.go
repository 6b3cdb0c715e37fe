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

// rcvSpaceAdjust is tcp_rcv_space_adjust, called as the application
// reads: once per receive round trip it compares what was read in the
// last one with the measure before (rcvq_space.space), and when the
// reader took more it grows the buffer to twice that plus a cushion of 16
// segments, plus twice the growth again for a sender still speeding up,
// in buffer space (tcp_space_from_win). Linux times the round trip with
// its receiver RTT estimate, which millisecond timestamps make at least a
// millisecond; gosock takes the smoothed RTT, at least a millisecond (100
// ms before any sample). Without the cushion, a reader taking a few
// kilobytes per call never grew the buffer over a sub-millisecond link,
// and a 64 KiB-MTU sender stalled on a window of less than a segment.
func (c *conn) rcvSpaceAdjust(copied int) {
	if c.sk == nil {
		return
	}
	c.rcvSpaceCopied += int32(min(copied, 1<<30))
	rtt := c.rtt.srtt()
	if rtt <= 0 {
		rtt = 100 * time.Millisecond
	}
	rtt = max(rtt, time.Millisecond)
	now := c.now()
	if now.Sub(c.rcvSpaceStart) < rtt {
		return
	}
	got, space := int64(c.rcvSpaceCopied), int64(c.rcvSpace)
	c.rcvSpaceStart, c.rcvSpaceCopied = now, 0
	if got <= space {
		return
	}
	if space > 0 && c.sysInt(netns.TCPModerateRcvbuf) != 0 && !c.underPressure() {
		rcvwin := 2*got + 16*int64(max(c.advMSS, 1))
		rcvwin += 2 * (rcvwin * (got - space) / space)
		// tcp_space_from_win at the default scaling ratio.
		want := min(rcvwin<<rmemToWinScale/defaultScalingRatio, c.p.ns.Sysctl.Vec(netns.TCPRmem)[2])
		if int(want) > c.sk.S.RcvBuf() {
			c.sk.S.GrowRcvBuf(int(want))
		}
	}
	c.rcvSpace = int32(min(got, 1<<30))
}

// rcvSpaceInit starts the receive-buffer measure as the connection is
// established (tcp_init_buffer_space: rcvq_space.space is the smallest of
// rcv_ssthresh, the window offered and ten segments).
func (c *conn) rcvSpaceInit() {
	c.rcvSpaceStart = c.now()
	c.rcvSpaceCopied = 0
	c.rcvSpace = int32(min(int64(c.rcvSsthresh), int64(c.rcvWnd), 10*int64(max(c.advMSS, 1))))
}
