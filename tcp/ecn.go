package tcp

import (
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// Explicit Congestion Notification (RFC 3168) as Linux's classic mode
// (net.ipv4.tcp_ecn: 0 off, 1 request it on outgoing connections and
// accept it, 2, the default, accept it when the peer asks). The SYN asks
// with ECE|CWR, the SYN-ACK agrees with ECE alone; new data then goes out
// as ECT(0); a receiver seeing CE echoes ECE on every segment until a
// data segment carries CWR; a sender seeing ECE reduces its window once
// per window of data (the CWR state) and sets CWR on its next new data
// segment. AccECN (Linux 6.18's tcp_ecn 3-5) is not implemented.

// IP ECN codepoints, the low two bits of the IPv4 TOS byte or the IPv6
// traffic class (RFC 3168 5).
const (
	ecnNotECT = 0
	ecnECT1   = 1
	ecnECT0   = 2
	ecnCE     = 3
)

// Linux's tp->ecn_flags.
const (
	ecnOK         = 1 << iota // TCP_ECN_OK: negotiated (or asked for, before the SYN-ACK)
	ecnQueueCWR               // TCP_ECN_QUEUE_CWR: set CWR on the next new data segment
	ecnDemandCWR              // TCP_ECN_DEMAND_CWR: CE seen; echo ECE until CWR arrives
	ecnSeen                   // TCP_ECN_SEEN: an ECT or CE codepoint arrived
	ecnSynNoFlags             // the SYN is retransmitted without ECE|CWR (tcp_ecn_fallback)
)

// ecnState is a connection's ECN state.
type ecnState struct {
	flags uint8
	// receivedCE counts data segments that arrived CE-marked; deliveredCE
	// the segments acknowledged by ACKs with ECE (tcpi_delivered_ce).
	receivedCE  uint32
	deliveredCE uint32
}

func (e *ecnState) has(f uint8) bool { return e.flags&f != 0 }

// ecnRequest decides at connect whether the SYN asks for ECN
// (tcp_ecn_send_syn).
func (c *conn) ecnRequest() {
	c.ecn = ecnState{}
	if c.sysInt(netns.TCPECN) == 1 {
		c.ecn.flags = ecnOK
	}
}

// ecnSynFlags adds the ECN flags of a SYN or SYN-ACK: ECE|CWR on a SYN
// that asks (not on its retransmissions when tcp_ecn_fallback is set,
// RFC 3168 6.1.1.1), ECE on a SYN-ACK that agrees.
func (c *conn) ecnSynFlags(flags wire.TCPFlags) wire.TCPFlags {
	if !c.ecn.has(ecnOK) {
		return flags
	}
	if flags&wire.TCPFlagACK != 0 {
		return flags | wire.TCPFlagECE
	}
	if c.retrans > 0 && c.sysInt(netns.TCPECNFallback) != 0 {
		c.ecn.flags |= ecnSynNoFlags
	}
	if c.ecn.has(ecnSynNoFlags) {
		return flags
	}
	return flags | wire.TCPFlagECE | wire.TCPFlagCWR
}

// ecnSynRcvd decides whether a listener's child agrees to ECN
// (tcp_ecn_create_request): the SYN must carry ECE and CWR, arrive
// Not-ECT (an ECT SYN means a middlebox rewrote the field), and
// tcp_ecn must not be 0.
func (c *conn) ecnSynRcvd(s *segment) {
	c.ecn = ecnState{}
	if s.flags&(wire.TCPFlagECE|wire.TCPFlagCWR) != wire.TCPFlagECE|wire.TCPFlagCWR {
		return
	}
	if s.ecn == ecnNotECT && c.sysInt(netns.TCPECN) != 0 {
		c.ecn.flags = ecnOK
	}
}

// ecnSynAckRcvd checks the peer's answer to our ECN-setup SYN
// (tcp_ecn_rcv_synack: ECE without CWR agrees) or, in a simultaneous
// open, its own SYN (tcp_ecn_rcv_syn: ECE and CWR).
func (c *conn) ecnSynAckRcvd(s *segment) {
	if !c.ecn.has(ecnOK) {
		return
	}
	ece, cwr := s.has(wire.TCPFlagECE), s.has(wire.TCPFlagCWR)
	if s.has(wire.TCPFlagACK) && (!ece || cwr) || !s.has(wire.TCPFlagACK) && (!ece || !cwr) {
		c.ecn.flags &^= ecnOK
	}
}

// ecnSend sets the ECN fields of a segment other than a SYN
// (tcp_ecn_send) and returns the IP codepoint: ECT(0), and CWR if one is
// queued, for new data; Not-ECT for ACKs, FINs alone and
// retransmissions; ECE while the peer must be told of congestion.
func (c *conn) ecnSend(f *wire.TCPFields, payloadLen int) uint8 {
	if !c.ecn.has(ecnOK) {
		return ecnNotECT
	}
	tos := uint8(ecnNotECT)
	if payloadLen > 0 && !seqnum.Value(f.Seq).LessThan(seqnum.Value(c.sndMax)) {
		tos = ecnECT0
		if c.ecn.has(ecnQueueCWR) {
			c.ecn.flags &^= ecnQueueCWR
			f.Flags |= wire.TCPFlagCWR
		}
	}
	if c.ecn.has(ecnDemandCWR) {
		f.Flags |= wire.TCPFlagECE
	}
	return tos
}

// ecnQueueCWR asks for CWR on the next new data segment, when the window
// was reduced (tcp_ecn_queue_cwr: CWR state, recovery, RTO).
func (c *conn) ecnQueueCWR() {
	if c.ecn.has(ecnOK) {
		c.ecn.flags |= ecnQueueCWR
	}
}

// ecnData handles the ECN fields of an arriving segment that occupies
// sequence space; newData says some of it is new (tcp_ecn_accept_cwr,
// tcp_ecn_check_ce). CWR ends the echo and, on data, is ACKed at once;
// CE starts the echo and quick ACKs; Not-ECT data after ECT was seen
// quick-ACKs too (a path that stopped marking).
func (c *conn) ecnData(s *segment, newData bool) {
	if !c.ecn.has(ecnOK) {
		return
	}
	if s.has(wire.TCPFlagCWR) {
		c.ecn.flags &^= ecnDemandCWR
		if len(s.payload) > 0 {
			c.dack.ackNow = true // ICSK_ACK_NOW
		}
	}
	if !newData {
		return
	}
	switch s.ecn {
	case ecnNotECT:
		if c.ecn.has(ecnSeen) {
			c.enterQuickAck(2)
		}
	case ecnCE:
		c.ecn.receivedCE++
		if !c.ecn.has(ecnDemandCWR) {
			c.enterQuickAck(2)
			c.ecn.flags |= ecnDemandCWR
		}
		c.ecn.flags |= ecnSeen
	default:
		c.ecn.flags |= ecnSeen
	}
}

// ecnEcho reports whether an ACK carries a congestion echo the sender
// must act on (tcp_ecn_rcv_ecn_echo: ECE, not on a SYN, ECN agreed).
func (c *conn) ecnEcho(s *segment) bool {
	return c.ecn.has(ecnOK) && s.has(wire.TCPFlagECE) && !s.has(wire.TCPFlagSYN)
}

// ecnInfo fills the ECN parts of TCP_INFO.
func (c *conn) ecnInfo(t *abi.TCPInfo) {
	if c.ecn.has(ecnOK) {
		t.Options |= abi.TCPI_OPT_ECN
	}
	if c.ecn.has(ecnSeen) {
		t.Options |= abi.TCPI_OPT_ECN_SEEN
	}
	t.DeliveredCE = c.ecn.deliveredCE
}

// ecnAck reacts to an ACK's congestion echo before the ACK is processed
// further (tcp_ack's FLAG_ECE: tcp_try_to_open → tcp_enter_cwr): in the
// Open or Disorder state the window is reduced once, by PRR (prr.go),
// until everything sent so far is acknowledged, and CWR goes out on the
// next new data. An echo during recovery or loss changes nothing more.
func (c *conn) ecnAck(s *segment) {
	if !c.ecnEcho(s) {
		return
	}
	if seqnum.Value(s.ack).GreaterThan(seqnum.Value(c.sndUna)) {
		// tcpi_delivered_ce: the segments this ACK delivers.
		mss := uint32(max(c.mss, 1))
		c.ecn.deliveredCE += (s.ack - c.sndUna + mss - 1) / mss
	}
	if c.caState >= caCWR {
		return
	}
	c.lr.priorSsthresh = 0
	c.lr.undoActive = false // tcp_enter_cwr: no undo of an ECN reduction
	c.initCwndReduction()
	c.setCAState(caCWR)
	c.ecnQueueCWR()
}

// cwrAckReno is the CWR state's window for a connection without SACK,
// whose ACKs do not go through the scoreboard's state machine: each ACK
// shrinks the window by PRR, and the state ends once an ACK goes beyond
// everything sent when it began (tcp_fastretrans_alert's CWR exit). It
// reports whether the ACK was handled (congestion avoidance must not
// grow the window).
func (c *conn) cwrAckReno(segs uint32) bool {
	if c.caState != caCWR {
		return false
	}
	if seqnum.Value(c.sndUna).GreaterThan(seqnum.Value(c.lr.highSeq)) {
		c.endCwndReduction()
		c.setCAState(caOpen)
		return false
	}
	c.cwndReduction(int(segs), 0, flagSndUnaAdvanced)
	return true
}
