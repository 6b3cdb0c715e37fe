package tcp

import (
	"net/netip"

	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

type stateKey struct{}

// Protocol is TCP in one namespace: the receiver of segments for IPv4
// and IPv6 (tcp_v4_rcv, tcp_v6_rcv) and the namespace-wide secrets.
type Protocol struct {
	ns      *netns.Namespace
	secrets secrets
}

// Register installs TCP in ns (IPv4 and, if registered, IPv6 first) and
// returns it; a second call returns the instance already installed.
func Register(ns *netns.Namespace) *Protocol {
	if p, ok := ns.ProtocolState(stateKey{}).(*Protocol); ok {
		return p
	}
	p := &Protocol{ns: ns}
	p.secrets.seq = [2]uint64{ns.Rand(), ns.Rand()}
	p.secrets.ts = [2]uint64{ns.Rand(), ns.Rand()}
	ns.SetProtocolState(stateKey{}, p)
	ns.RegisterTransport(4, wire.ProtoTCP, handler{p, 4})
	ns.RegisterTransport(6, wire.ProtoTCP, handler{p, 6})
	return p
}

// Of returns the TCP registered in ns, or nil.
func Of(ns *netns.Namespace) *Protocol {
	p, _ := ns.ProtocolState(stateKey{}).(*Protocol)
	return p
}

type handler struct {
	p       *Protocol
	version int
}

// Input receives one segment (tcp_v4_rcv): header and checksum checks,
// then the socket lookup; a segment for no socket is answered with a
// reset, as Linux's tcp_v4_send_reset.
func (h handler) Input(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	p := h.p
	mib := p.ns.MIB
	defer pkt.Release()
	if info.Broadcast || info.Multicast {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	mib.Inc(netns.TCPInSegs)
	seg, err := wire.ParseTCP(pkt.Bytes())
	if err != nil {
		mib.Inc(netns.TCPInErrs)
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	if !pkt.ChecksumVerified && !seg.ValidChecksum(info.Src, info.Dst) {
		mib.Inc(netns.TCPInCsumErrors)
		mib.Inc(netns.TCPInErrs)
		mib.Drop(netns.DropTCPCsum)
		return
	}
	mib.Drop(netns.DropNoSocket)
	p.sendReset(seg, info)
}

// ControlInput takes ICMP errors about TCP segments. With no
// connections to report them to, there is nothing to do.
func (h handler) ControlInput(*netns.ControlError) {}

// sendReset answers seg, which found no socket, with a reset (RFC 9293
// section 3.10.7.1; tcp_v4_send_reset): never a reset for a reset; if
// seg carried an ACK, RST with seq = its ack; otherwise RST|ACK with
// seq 0 acknowledging everything seg occupied.
func (p *Protocol) sendReset(seg wire.TCP, info *netns.PacketInfo) {
	flags := seg.Flags()
	if flags&wire.TCPFlagRST != 0 {
		return
	}
	f := wire.TCPFields{SrcPort: seg.DstPort(), DstPort: seg.SrcPort(), Flags: wire.TCPFlagRST}
	if flags&wire.TCPFlagACK != 0 {
		f.Seq = seg.Ack()
	} else {
		n := uint32(len(seg.Payload()))
		if flags&wire.TCPFlagSYN != 0 {
			n++
		}
		if flags&wire.TCPFlagFIN != 0 {
			n++
		}
		f.Ack = seg.Seq() + n
		f.Flags |= wire.TCPFlagACK
	}
	p.transmit(info.Dst, info.Src, &f, nil, 0)
	p.ns.MIB.Inc(netns.TCPOutRsts)
}

// transmit builds a segment from f and payload and sends it from src to
// dst; tos is the IPv4 TOS or IPv6 traffic class.
func (p *Protocol) transmit(src, dst netip.Addr, f *wire.TCPFields, payload []byte, tos uint8) error {
	rt, err := p.ns.Lookup(dst, netns.LookupFlags{Src: src})
	if err != nil {
		return err
	}
	hl := f.Len()
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, hl+len(payload))
	b := pkt.Bytes()
	f.Checksum = 0
	f.Encode(wire.TCP(b))
	copy(b[hl:], payload)
	seg := wire.TCP(b)
	seg.SetChecksum(seg.ComputeChecksum(src, dst))
	pkt.SetTransportHeader()
	p.ns.MIB.Inc(netns.TCPOutSegs)
	if dst.Is4() {
		return ipv4.Of(p.ns).Output(&rt, &ipv4.Header{Src: src, Dst: dst, Protocol: wire.ProtoTCP, TOS: tos, DontFragment: true}, pkt)
	}
	return ipv6.Of(p.ns).Output(&rt, &ipv6.Header{Src: src, Dst: dst, NextHeader: wire.ProtoTCP, TrafficClass: tos}, pkt)
}
