package packetdrill

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gosock/gosock/wire"
)

// inbound injects the packet of an inbound line at its time.
func (e *executor) inbound(l *PacketLine, start time.Duration) error {
	if err := e.advanceTo(start); err != nil {
		return err
	}
	if seg, ok := l.Packet.(*TCPSegment); ok && seg.Flags&(FlagSYN|FlagACK) == FlagSYN {
		// A new connection, unless this SYN repeats the current passive
		// one's or crosses the stack's own SYN (simultaneous open).
		if e.newConn || e.flow.RemotePort == 0 || e.passive && e.flow.RemoteISN != seg.Seq.Start {
			e.startFlow(true)
		}
	}
	if e.flow.RemotePort == 0 {
		// Datagrams come from the port sends and connects name (8080);
		// a TCP peer gets a port of its own.
		e.flow.RemotePort = scriptPort
		if _, ok := l.Packet.(*TCPSegment); ok {
			e.flow.RemotePort = e.allocPort()
		}
	}
	pkt, flow, err := BuildInbound(l, e.flow, &e.ts, e.tsEcrScaled)
	if err != nil {
		return lineErr(l, err)
	}
	e.flow = flow
	e.tracef("inject %s", lineBody(l))
	if err := e.dev.Inject(pkt); err != nil {
		return lineFail(l, "cannot inject the packet", err.Error())
	}
	e.settle()
	if err := e.checkCalls(); err != nil {
		return err
	}
	e.anchor = start
	return nil
}

// allocPort returns a fresh port for the peer.
func (e *executor) allocPort() uint16 {
	p := e.nextPort
	e.nextPort++
	return p
}

// startFlow begins a new connection under test: passive (an injected
// SYN to the stack's port, from a fresh peer port) or active (the stack
// connects to the peer's port 8080 from a port it picks).
func (e *executor) startFlow(passive bool) {
	f := Flow{IPv6: e.flow.IPv6, Local: e.local, Remote: e.remote}
	if passive {
		f.LocalPort, f.RemotePort = scriptPort, e.allocPort()
		if e.sut >= 0 && e.listeners[e.sut] {
			e.childAwait = true
		}
	} else {
		f.RemotePort = scriptPort
	}
	e.flow, e.ts, e.newConn, e.passive = f, TSState{}, false, passive
}

// outbound waits for the packet of an outbound line and checks it.
func (e *executor) outbound(l *PacketLine, w window) error {
	c, err := e.nextPacket(l, w)
	if err != nil {
		return err
	}
	seg, isTCP := l.Packet.(*TCPSegment)
	if isTCP {
		e.maybeActiveOpen(c.Data)
		if !e.strictSegments && seg.Seq.Len > 0 {
			c = e.aggregate(c, int(seg.Seq.Len), w)
		}
	}
	cfg := MatchConfig{TSTickUsecs: e.tsTickUsecs, Tolerance: e.tol, Since: c.At.Sub(e.t0)}
	res := MatchOutbound(l, c.Data, e.flow, &e.ts, cfg)
	e.tracef("sent   %s", res.Actual)
	if res.Mismatch != nil {
		return lineMismatch(l, res.Mismatch)
	}
	if m := checkTiming("outbound packet", w, c.At.Sub(e.t0)); m != nil {
		m.Expected, m.Actual = "> "+lineBody(l), "> "+res.Actual
		return lineMismatch(l, m)
	}
	e.flow = res.Flow
	for _, p := range res.TS {
		e.ts.Record(p[0], p[1])
	}
	e.anchor = c.At.Sub(e.t0)
	return nil
}

// maybeActiveOpen starts a new flow when the stack sends a SYN that is
// not a retransmission of the current connection's.
func (e *executor) maybeActiveOpen(p []byte) {
	d, err := decodePacket(p)
	if err != nil || d.tcp == nil || d.tcp.Flags()&(wire.TCPFlagSYN|wire.TCPFlagACK) != wire.TCPFlagSYN {
		return
	}
	if e.flow.HaveLocalISN && d.tcp.Seq() == e.flow.LocalISN && d.tcp.SrcPort() == e.flow.LocalPort {
		return
	}
	e.startFlow(false)
}

// nextPacket returns the next packet the stack sends, waiting for it in
// virtual time (firing timers) until the end of the line's window.
func (e *executor) nextPacket(l *PacketLine, w window) (Captured, error) {
	limit := w.hi() + lateGrace
	if w.Any {
		limit = e.now() + anyTimeLimit
	}
	for {
		if c, ok := e.takePacket(); ok {
			return c, nil
		}
		now := e.now()
		_, timers := e.clk.Next()
		if now >= limit || w.Any && !timers && len(e.calls) == 0 {
			m := &Mismatch{What: "missing outbound packet", Expected: "> " + lineBody(l),
				Diffs: []Diff{{Field: "packet", Expected: "sent at " + w.String(), Actual: fmt.Sprintf("nothing sent by %s s", fmtSeconds(now))}}}
			if w.Any {
				m.Diffs[0].Expected = "sent at any time"
			}
			return Captured{}, lineFail(l, "missing outbound packet: > "+lineBody(l), m.Error())
		}
		stop := limit
		if next, ok := e.clk.Next(); ok && next.Sub(e.t0) < stop {
			stop = max(next.Sub(e.t0), now)
		}
		e.clk.AdvanceTo(e.t0.Add(stop))
		e.settle()
		if err := e.checkCalls(); err != nil {
			return Captured{}, err
		}
	}
}

// takePacket returns the oldest captured packet that is not background
// chatter, nor from a connection other than the one under test.
func (e *executor) takePacket() (Captured, bool) {
	for {
		c, ok := e.dev.Next()
		if !ok || !isBackgroundPacket(c.Data) && !e.otherFlowPacket(c.Data) {
			return c, ok
		}
	}
}

// otherFlowPacket reports a TCP segment that belongs to a connection the
// script has moved on from: its ports are not the connection under
// test's, or they are but the script has since created a new socket (a
// FIN from a close, a retransmission of one). Upstream packetdrill
// checks outbound packets against the socket under test only, which
// socket() replaces, and passes over the rest
// (find_socket_for_live_packet); a SYN may open the next connection and
// is always kept.
func (e *executor) otherFlowPacket(p []byte) bool {
	f := &e.flow
	if f.RemotePort == 0 {
		return false
	}
	d, err := decodePacket(p)
	if err != nil || d.tcp == nil || d.tcp.Flags()&(wire.TCPFlagSYN|wire.TCPFlagACK) == wire.TCPFlagSYN {
		return false
	}
	sport, dport := d.tcp.SrcPort(), d.tcp.DstPort()
	switch {
	case f.LocalPort == 0:
		// An active open whose SYN has not gone yet: anything else is
		// an older connection's.
		if e.passive {
			return false
		}
	case sport == f.LocalPort && dport == f.RemotePort:
		if !e.newConn {
			return false
		}
	}
	e.tracef("skip   a segment of another connection (ports %d > %d, flags %v)", sport, dport, d.tcp.Flags())
	return true
}

// aggregate joins consecutive TCP segments into the one TSO packet a
// script line describes (GRAMMAR.md section 9): pieces must follow each
// other in sequence with the same ports, ack, window, option length and
// flags (PSH, FIN and CWR aside), and every piece but the last must be
// as long as the first. It stops at want payload bytes, at a packet that
// does not continue the train (left for the next line), or when no
// packet comes within the window.
func (e *executor) aggregate(first Captured, want int, w window) Captured {
	d0, err := decodePacket(first.Data)
	if err != nil || d0.tcp == nil || len(d0.tcp.Payload()) == 0 || len(d0.tcp.Payload()) >= want {
		return first
	}
	pieces := []*decoded{d0}
	last := first
	total := len(d0.tcp.Payload())
	for total < want {
		if len(pieces) > 1 && len(pieces[len(pieces)-1].tcp.Payload()) != len(d0.tcp.Payload()) {
			break
		}
		c, ok := e.peekPacket(w)
		if !ok {
			break
		}
		d, err := decodePacket(c.Data)
		if err != nil || d.tcp == nil || !continuesTrain(pieces[len(pieces)-1], d) {
			break
		}
		e.takePacket()
		pieces = append(pieces, d)
		last = c
		total += len(d.tcp.Payload())
	}
	if len(pieces) == 1 {
		return first
	}
	return Captured{Data: mergeSegments(pieces), At: last.At}
}

// peekPacket returns the next packet without taking it, waiting within
// the window as nextPacket does; false if none comes.
func (e *executor) peekPacket(w window) (Captured, bool) {
	for {
		if c, ok := e.takePacket(); ok {
			e.dev.Unread(c)
			return c, true
		}
		next, ok := e.clk.Next()
		if w.Any || !ok || next.Sub(e.t0) > w.hi() {
			return Captured{}, false
		}
		e.clk.AdvanceTo(next)
		e.settle()
	}
}

// continuesTrain reports whether d follows prev in a TSO train.
func continuesTrain(prev, d *decoded) bool {
	p, h := prev.tcp, d.tcp
	const loose = wire.TCPFlagPSH | wire.TCPFlagFIN | wire.TCPFlagCWR
	return prev.version == d.version && prev.src == d.src && prev.dst == d.dst &&
		p.SrcPort() == h.SrcPort() && p.DstPort() == h.DstPort() &&
		h.Seq() == p.Seq()+uint32(len(p.Payload())) && len(h.Payload()) > 0 &&
		h.Ack() == p.Ack() && h.Window() == p.Window() && len(h.Options()) == len(p.Options()) &&
		h.Flags()&^loose == p.Flags()&^loose && p.Flags()&wire.TCPFlagFIN == 0
}

// mergeSegments builds the packet a train stands for: the last piece's
// headers with the first piece's seq and CWR bit, all the payloads, and
// fresh lengths and checksums.
func mergeSegments(pieces []*decoded) []byte {
	first, last := pieces[0], pieces[len(pieces)-1]
	hdr := len(last.transport) - len(last.tcp.Payload())
	var payload []byte
	for _, p := range pieces {
		payload = append(payload, p.tcp.Payload()...)
	}
	l4 := make([]byte, hdr+len(payload))
	copy(l4, last.transport[:hdr])
	copy(l4[hdr:], payload)
	h := wire.TCP(l4)
	h.SetSeq(first.tcp.Seq())
	h.SetFlags(last.tcp.Flags()&^wire.TCPFlagCWR | first.tcp.Flags()&wire.TCPFlagCWR)
	ipHdr := make([]byte, last.ipHdrLen)
	out := append(ipHdr, l4...)
	copy(out, last.raw[:last.ipHdrLen])
	if last.version == 4 {
		ip := wire.IPv4(out)
		ip.SetTotalLen(uint16(len(out)))
		ip.UpdateChecksum()
	} else {
		binary.BigEndian.PutUint16(out[4:], uint16(len(l4)))
		out[6] = wire.ProtoTCP
	}
	t := wire.TCP(out[last.ipHdrLen:])
	t.SetChecksum(0)
	t.SetChecksum(t.ComputeChecksum(last.src, last.dst))
	return out
}
