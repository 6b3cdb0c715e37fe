package tcp

import (
	"errors"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// New data the local device refuses (a full or dropping queue: local
// congestion) is not sent, as in tcp_write_xmit: it stays queued, and
// with nothing in flight the probe timer (ICSK_TIME_PROBE0, here the
// retransmission timer with nothing outstanding) tries it again every
// TCP_RESOURCE_PROBE_INTERVAL without backing off, each try counted in
// tcpi_probes (icsk_probes_out), until TCP_USER_TIMEOUT since the first
// try or tcp_retries2 tries end the connection (tcp_probe_timer,
// tcp_send_probe0). Other refusals (the device down, no route) back off
// between tries as zero-window probes do.

// xmitRefused undoes what output prepared for a new segment at seq that
// the device refused with err, asks a full device to wake the connection
// when it has room (txwake.go), and makes sure the probe timer runs, as
// the fallback: armed if it was not (tcp_check_probe_timer:
// tcp_probe0_base), left to its time if it was.
func (c *conn) xmitRefused(seq uint32, err error) {
	if c.rttTiming && c.rttSeq == seq {
		c.rttTiming = false
	}
	c.waitTxRoom(err)
	if c.inFlight() > 0 {
		return // the retransmission timer runs
	}
	w := c.wqInit()
	now := c.now()
	if c.rtoTimer != nil && c.rtoTimer.Stop() && w.probeAt.After(now) {
		c.rtoTimer.Reset(w.probeAt.Sub(now))
		return
	}
	c.armRTO()
	w.probeAt = now.Add(c.currentRTO())
}

// probeRefused is the probe timer's try when the window has room but
// local congestion kept the data back: send the next segment; if the
// device refuses it again, count the probe and retry after the resource
// interval. It reports whether it handled the timer (false: the window
// is what holds the data back, or nothing is queued).
func (c *conn) probeRefused() bool {
	room := int(c.sndUna + c.sndWnd - c.sndNxt)
	off := int(c.sndNxt - c.sndUna)
	n := min(room, c.sndBuf.Len()-off, max(c.mss, 1))
	if n <= 0 || c.inFlight() > 0 {
		return false
	}
	if c.probes == 0 {
		c.retransStart = c.now() // icsk_probes_tstamp
	}
	if ut := c.opts.userTimeout; ut > 0 && c.now().Sub(c.retransStart) >= time.Duration(ut)*time.Millisecond ||
		c.probes >= c.retriesLimit() {
		c.p.ns.MIB.Inc(netns.TCPExtTCPAbortOnTimeout)
		c.abort(c.timeoutErr())
		return true
	}
	flags := wire.TCPFlagACK
	if off+n == c.sndBuf.Len() {
		flags |= wire.TCPFlagPSH
	}
	if err := c.sendSegment(flags, c.sndNxt, c.sndBuf.View(off, n)); err != nil {
		c.probes++
		c.waitTxRoom(err)
		d := resourceProbeInterval
		if !errors.Is(err, errno.ENOBUFS) {
			// Not local congestion (a device down, no route): back off
			// as a zero-window probe does (tcp_probe0_when).
			c.backoff = min(c.backoff+1, c.retriesLimit())
			d = c.currentRTO()
		}
		c.rtoTimer.Reset(d)
		c.wqInit().probeAt = c.now().Add(d)
		return true
	}
	// It went: the retransmission timer takes over (tcp_send_probe0
	// with packets out).
	c.probes, c.backoff = 0, 0
	c.rtxAdd(c.sndNxt, n, flags)
	c.sndNxt += uint32(n)
	if int32(c.sndNxt-c.sndMax) > 0 {
		c.sndMax = c.sndNxt
	}
	c.armRTO()
	return true
}
