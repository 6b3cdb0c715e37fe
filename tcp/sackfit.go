package tcp

import "github.com/gosock/gosock/wire"

// fitSACK drops SACK blocks (the oldest first) from a data segment's
// options until header and payload fit the segment size the connection
// agreed on: the MSS plus the timestamp option it already allows for.
//
// Linux shrinks the payload instead (tcp_current_mss subtracts the SACK
// option from the MSS, and tcp_retransmit_skb fragments a queued segment
// that no longer fits). gosock's segments are cut at the MSS when first
// sent, so a retransmission that picked up SACK blocks since would exceed
// the path MTU, fail at the device with EMSGSIZE on every attempt, and
// leave the connection stuck (found by FuzzTCPLive); carrying fewer
// blocks on data segments keeps it within the MTU, and pure ACKs still
// carry all of them.
func (c *conn) fitSACK(o *wire.TCPOptions, payload int) {
	if payload == 0 || o.NumSACK == 0 || c.mss <= 0 {
		return
	}
	room := c.mss
	if c.tsOK {
		room += 12 // TCPOLEN_TSTAMP_ALIGNED, which negotiate took off
	}
	for o.NumSACK > 0 && payload+wire.TCPOptionsLen(o) > room {
		o.NumSACK--
	}
}
