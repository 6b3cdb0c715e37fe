package packetdrill

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gosock/gosock/wire"
)

// Default IP header values of injected packets.
const (
	defaultTTL = 64
	udpHdrLen  = 8
)

// BuildInbound builds the IP packet an inbound line describes, from the
// peer to the stack, translating the script's sequence numbers, acks,
// SACK blocks and TS ecr values through flow and ts (GRAMMAR.md section
// 5). It returns the flow with what the packet establishes: an injected
// SYN or SYN-ACK sets the peer's ISN. ecrScaled is --tcp_ts_ecr_scaled.
func BuildInbound(l *PacketLine, flow Flow, ts *TSState, ecrScaled bool) ([]byte, Flow, error) {
	var proto uint8
	var l4 []byte
	switch p := l.Packet.(type) {
	case *TCPSegment:
		proto = wire.ProtoTCP
		b, err := buildTCP(p, &flow, ts, ecrScaled)
		if err != nil {
			return nil, flow, err
		}
		l4 = b
	case *UDPDatagram:
		proto = wire.ProtoUDP
		l4 = make([]byte, udpHdrLen+int(p.Len))
		h := wire.UDP(l4)
		h.SetSrcPort(flow.RemotePort)
		h.SetDstPort(flow.LocalPort)
		h.SetLength(uint16(len(l4)))
	case *ICMPMessage:
		proto = wire.ProtoICMP
		if flow.IPv6 {
			proto = wire.ProtoICMPv6
		}
		b, err := buildICMP(p, flow)
		if err != nil {
			return nil, flow, err
		}
		l4 = b
	default:
		return nil, flow, fmt.Errorf("cannot inject %T", l.Packet)
	}
	pkt := wrapIP(l.IP, flow.IPv6, proto, flow.Remote, flow.Local, l4)
	l4 = pkt[len(pkt)-len(l4):]
	switch proto {
	case wire.ProtoTCP:
		h := wire.TCP(l4)
		h.SetChecksum(h.ComputeChecksum(flow.Remote, flow.Local))
	case wire.ProtoUDP:
		h := wire.UDP(l4)
		h.SetChecksum(h.ComputeChecksum(flow.Remote, flow.Local))
	case wire.ProtoICMP:
		h := wire.ICMPv4(l4)
		h.SetChecksum(h.ComputeChecksum())
	case wire.ProtoICMPv6:
		h := wire.ICMPv6(l4)
		h.SetChecksum(h.ComputeChecksum(flow.Remote, flow.Local))
	}
	return pkt, flow, nil
}

// wrapIP puts an IPv4 or IPv6 header (with the annotated ECN, TOS, TTL
// and flow label) in front of a transport payload.
func wrapIP(info *IPInfo, v6 bool, proto uint8, src, dst netip.Addr, l4 []byte) []byte {
	tos, ttl, flow := uint8(0), uint8(defaultTTL), uint32(0)
	if info != nil {
		if info.HasTOS {
			tos = info.TOS
		}
		switch info.ECN {
		case ECNNone:
			tos &^= 3
		case ECNECT0, ECNECT01:
			tos = tos&^3 | 2
		case ECNECT1:
			tos = tos&^3 | 1
		case ECNCE:
			tos |= 3
		}
		if info.HasTTL {
			ttl = info.TTL
		}
		if info.HasFlowLabel {
			flow = info.FlowLabel
		}
	}
	if v6 {
		p := make([]byte, 40+len(l4))
		binary.BigEndian.PutUint32(p, 6<<28|uint32(tos)<<20|flow&0xfffff)
		binary.BigEndian.PutUint16(p[4:], uint16(len(l4)))
		p[6], p[7] = proto, ttl
		copy(p[8:24], src.AsSlice())
		copy(p[24:40], dst.AsSlice())
		copy(p[40:], l4)
		return p
	}
	p := make([]byte, wire.IPv4MinHeaderLen+len(l4))
	h := wire.IPv4(p)
	h.SetVersionIHL(wire.IPv4MinHeaderLen)
	h.SetTOS(tos)
	h.SetTotalLen(uint16(len(p)))
	h.SetTTL(ttl)
	h.SetProtocol(proto)
	copy(p[12:16], src.AsSlice())
	copy(p[16:20], dst.AsSlice())
	h.UpdateChecksum()
	copy(p[20:], l4)
	return p
}

// buildTCP builds the TCP header and zero payload of an injected segment.
func buildTCP(s *TCPSegment, flow *Flow, ts *TSState, ecrScaled bool) ([]byte, error) {
	if !s.HasWin {
		return nil, fmt.Errorf("an inbound TCP packet needs a window (win N)")
	}
	syn := s.Flags&FlagSYN != 0
	seq := flow.RemoteISN + s.Seq.Start
	if syn {
		flow.RemoteISN, seq = s.Seq.Start, s.Seq.Start
	}
	var ack uint32
	if s.Flags&FlagACK != 0 || s.HasAck {
		ack = s.Ack
		if flow.HaveLocalISN {
			if syn {
				ack = flow.LocalISN + (s.Ack - flow.LocalSynSeq)
			} else {
				ack = flow.LocalISN + s.Ack
			}
		}
	}
	var opts []byte
	if s.Options != nil {
		if s.Options.Any {
			return nil, fmt.Errorf("an inbound packet cannot leave its options unspecified (<...>)")
		}
		base := uint32(0)
		if flow.HaveLocalISN {
			base = flow.LocalISN
		}
		var err error
		if opts, err = encodeTCPOptions(s.Options.Options, base, ts, ecrScaled); err != nil {
			return nil, err
		}
	}
	hl := wire.TCPMinHeaderLen + len(opts)
	if hl > wire.TCPMaxHeaderLen {
		return nil, fmt.Errorf("TCP options take %d bytes, more than the %d a header holds", len(opts), wire.TCPMaxOptionsLen)
	}
	b := make([]byte, hl+int(s.Seq.Len))
	h := wire.TCP(b)
	h.SetSrcPort(flow.RemotePort)
	h.SetDstPort(flow.LocalPort)
	h.SetSeq(seq)
	h.SetAck(ack)
	h.SetHeaderLen(hl)
	h.SetFlags(wire.TCPFlags(s.Flags))
	h.SetWindow(s.Win)
	h.SetUrgent(s.Urg)
	copy(b[wire.TCPMinHeaderLen:], opts)
	return b, nil
}

// encodeTCPOptions writes a script's option list in its order, padded
// with EOL to a multiple of 4 bytes. SACK blocks are offset by base (the
// stack's ISN); TS ecr values go through ts.
func encodeTCPOptions(list []*TCPOption, base uint32, ts *TSState, ecrScaled bool) ([]byte, error) {
	var b []byte
	for _, o := range list {
		switch o.Kind {
		case OptEOL:
			b = append(b, wire.TCPOptEOL)
		case OptNOP:
			b = append(b, wire.TCPOptNOP)
		case OptMSS:
			b = append(b, wire.TCPOptMSS, 4, byte(o.Value>>8), byte(o.Value))
		case OptWScale:
			b = append(b, wire.TCPOptWScale, 3, byte(o.Value))
		case OptSACKPermitted:
			b = append(b, wire.TCPOptSACKPermitted, 2)
		case OptSACK:
			b = append(b, wire.TCPOptSACK, byte(2+8*len(o.SACK)))
			for _, blk := range o.SACK {
				b = binary.BigEndian.AppendUint32(b, base+blk.Left)
				b = binary.BigEndian.AppendUint32(b, base+blk.Right)
			}
		case OptTimestamp:
			b = append(b, wire.TCPOptTimestamps, 10)
			b = binary.BigEndian.AppendUint32(b, o.TSVal)
			b = binary.BigEndian.AppendUint32(b, ts.Ecr(o.TSEcr, ecrScaled))
		case OptFastOpen:
			b = append(b, wire.TCPOptFastOpen, byte(2+len(o.Data)))
			b = append(b, o.Data...)
		case OptFastOpenExp:
			b = append(b, wire.TCPOptExp, byte(4+len(o.Data)), fastOpenExpMagic>>8, fastOpenExpMagic&0xff)
			b = append(b, o.Data...)
		case OptMD5:
			d := o.Data
			if len(d) == 0 {
				d = make([]byte, 16)
			}
			b = append(b, wire.TCPOptMD5, byte(2+len(d)))
			b = append(b, d...)
		case OptGeneric:
			b = append(b, o.Code, byte(2+len(o.Data)))
			b = append(b, o.Data...)
		default:
			return nil, fmt.Errorf("cannot encode TCP option %s", o)
		}
	}
	for len(b)%4 != 0 {
		b = append(b, wire.TCPOptEOL)
	}
	return b, nil
}

// buildICMP builds an ICMP or ICMPv6 message from the peer. An error
// quotes a packet the stack sent: its headers go from the stack to the
// peer, a TCP sequence number is in the stack's space.
func buildICMP(m *ICMPMessage, flow Flow) ([]byte, error) {
	typ, code, err := icmpTypeCode(m, flow.IPv6)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	b[0], b[1] = typ, code
	if m.HasMTU {
		if flow.IPv6 {
			binary.BigEndian.PutUint32(b[4:], m.MTU)
		} else {
			binary.BigEndian.PutUint16(b[6:], uint16(m.MTU))
		}
	}
	q := m.Quoted
	if q == nil {
		// Without a bracket packetdrill still echoes the headers of a
		// TCP segment the stack sent, at sequence 0 of its space (its
		// SYN or SYN-ACK), with no payload. A UDP script writes
		// "[udp (len)]".
		q = &QuotedPacket{Proto: "tcp"}
	}
	if q != nil {
		var proto uint8
		var l4 []byte
		switch q.Proto {
		case "udp":
			proto = wire.ProtoUDP
			l4 = make([]byte, udpHdrLen)
			binary.BigEndian.PutUint16(l4[0:], flow.LocalPort)
			binary.BigEndian.PutUint16(l4[2:], flow.RemotePort)
			binary.BigEndian.PutUint16(l4[4:], uint16(udpHdrLen+q.Len))
		default:
			proto = wire.ProtoTCP
			l4 = make([]byte, wire.TCPMinHeaderLen)
			h := wire.TCP(l4)
			h.SetSrcPort(flow.LocalPort)
			h.SetDstPort(flow.RemotePort)
			h.SetSeq(flow.LocalISN + q.Seq.Start)
			h.SetHeaderLen(wire.TCPMinHeaderLen)
			h.SetFlags(wire.TCPFlagACK)
		}
		inner := wrapIP(nil, flow.IPv6, proto, flow.Local, flow.Remote, l4)
		// The quoted header gives the length of the whole original packet.
		payload := q.Len
		if q.Proto != "udp" {
			payload = q.Seq.Len
		}
		if flow.IPv6 {
			binary.BigEndian.PutUint16(inner[4:], uint16(len(l4)+int(payload)))
		} else {
			h := wire.IPv4(inner)
			h.SetTotalLen(uint16(len(inner) + int(payload)))
			h.UpdateChecksum()
		}
		b = append(b, inner...)
	}
	return b, nil
}
