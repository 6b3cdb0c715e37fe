package gosock_test

import (
	"testing"
	"time"

	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Regression tests for bugs the soak and fuzz tests found.

// TestRegressTimeWaitOneAck: a FIN that takes us from FIN-WAIT-2 to
// TIME-WAIT is acknowledged once, as Linux's tcp_fin does. A second ACK
// used to follow; the peer, already CLOSED after the first, answered it
// with a reset that killed our TIME-WAIT (found by TestSoak).
func TestRegressTimeWaitOneAck(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	if err := r.proc.Close(fd); err != nil {
		t.Fatal(err)
	}
	r.expect(wire.TCPFlagFIN | wire.TCPFlagACK)
	r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, opts: r.ts()}) // FIN-WAIT-2
	r.data(nil, wire.TCPFlagFIN)
	out := r.all()
	if len(out) != 1 || out[0].tcp == nil || out[0].tcp.Flags() != wire.TCPFlagACK || out[0].tcp.Ack() != r.peerNxt {
		t.Fatalf("the FIN into TIME-WAIT drew %v, want one ACK of %d", out, r.peerNxt)
	}
	if c, _ := r.tcp.Tables(); c != 1 {
		t.Fatalf("%d connections, want the one in TIME-WAIT", c)
	}
	finish(t, r, before)
}

// TestRegressRetransmitWithSACK: a full-sized segment retransmitted
// while we hold out-of-order data (so our segments carry SACK blocks)
// still fits the MTU. It used to come out 24 bytes too long, fail at the
// device with EMSGSIZE on every retry, and leave the connection stuck
// with no retransmission ever sent (found by FuzzTCPLive).
func TestRegressRetransmitWithSACK(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	if _, err := r.proc.Write(fd, make([]byte, 3*1448)); err != nil {
		t.Fatal(err)
	}
	sent := r.all()
	if len(sent) == 0 {
		t.Fatal("nothing sent")
	}
	// Three holes' worth of out-of-order data: three SACK blocks.
	for i := range 3 {
		r.inject(seg{seq: r.peerNxt + 100 + uint32(i)*200, ack: r.ourNxt - 3*1448, flags: wire.TCPFlagACK,
			payload: make([]byte, 100), opts: r.ts()})
	}
	r.drain()
	retrans := 0
	for range 20 {
		r.advance(100 * time.Millisecond)
		for _, s := range r.all() {
			if s.tcp == nil || len(s.tcp.Payload()) == 0 {
				continue
			}
			retrans++
			if n := int(s.ip.TotalLen()); n > 1500 {
				t.Fatalf("retransmission of %d bytes on a 1500-byte MTU", n)
			}
			if s.tcp.Options() == nil {
				t.Fatal("no options")
			}
		}
	}
	if retrans == 0 {
		t.Fatal("no retransmission in 2 s")
	}
	finish(t, r, before)
}

// TestRegressSimultaneousOpenClose: a socket closed in SYN-RECEIVED after
// a simultaneous open, whose peer then goes silent, gives up in time. Its
// FIN could never be retransmitted (the record lay one byte off behind
// the unacknowledged SYN), and a retransmission that failed did not count
// toward tcp_retries2, so the connection stayed forever (found by
// FuzzTCPLive, input "10B").
func TestRegressSimultaneousOpenClose(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 9)
	t.Cleanup(r.close)
	fd, _ := liveSetup(r, liveSynSent)
	r.inject(seg{seq: r.peerNxt, flags: wire.TCPFlagSYN})
	r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
	if err := r.proc.Close(fd); err != nil {
		t.Fatal(err)
	}
	finish(t, r, before)
}

// TestRegressRetransmittedSYN: when our SYN-ACK is lost and the peer
// sends its SYN again, we answer with the SYN-ACK again, as Linux's
// tcp_check_req; a bare ACK (what the sequence check gave, the SYN lying
// before rcv_nxt) leaves a Linux peer in SYN-SENT until our own SYN-ACK
// timer fires (found by TestSoak: handshakes across a partition took
// seconds longer).
func TestRegressRetransmittedSYN(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 11)
	t.Cleanup(r.close)
	r.listen(8)
	r.inject(seg{seq: 500, flags: wire.TCPFlagSYN, opts: r.synOpts()})
	first := r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
	r.inject(seg{seq: 500, flags: wire.TCPFlagSYN, opts: r.synOpts()})
	again := r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
	if again.Seq() != first.Seq() || again.Ack() != 501 {
		t.Errorf("second SYN-ACK seq %d ack %d, want seq %d ack 501", again.Seq(), again.Ack(), first.Seq())
	}
	finish(t, r, before)
}
