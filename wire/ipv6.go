package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// IPv6HeaderLen is the length of the fixed IPv6 header.
const IPv6HeaderLen = 40

// Field offsets of the fixed IPv6 header.
const (
	ipv6VerTCFlow   = 0
	ipv6PayloadLen  = 4
	ipv6NextHeader  = 6
	ipv6HopLimit    = 7
	ipv6Src         = 8
	ipv6Dst         = 24
	ipv6FlowMask    = 0x000fffff
	ipv6VersionBits = 6 << 28
)

// IPv6 is a view of an IPv6 packet: the fixed header and its payload
// (extension headers included).
type IPv6 []byte

// ParseIPv6 validates b as an IPv6 packet and returns the view trimmed to
// 40 plus the payload length, dropping link-layer padding: version 6
// (ErrBadVersion) and a payload length that fits in b (ErrTruncated), as
// Linux's ipv6_rcv checks. Jumbograms (payload length 0 with a hop-by-hop
// jumbo option, RFC 2675) are not supported: the view is trimmed to the
// fixed header. Extension headers are checked when walked with ExtIter.
func ParseIPv6(b []byte) (IPv6, error) {
	if len(b) < IPv6HeaderLen {
		return nil, ErrTruncated
	}
	if b[ipv6VerTCFlow]>>4 != 6 {
		return nil, ErrBadVersion
	}
	n := IPv6HeaderLen + int(binary.BigEndian.Uint16(b[ipv6PayloadLen:]))
	if n > len(b) {
		return nil, ErrTruncated
	}
	return IPv6(b[:n]), nil
}

// Version returns the IP version field (6 in a parsed view).
func (h IPv6) Version() uint8 { return h[ipv6VerTCFlow] >> 4 }

// TrafficClass returns the traffic class (DSCP and ECN).
func (h IPv6) TrafficClass() uint8 {
	return uint8(binary.BigEndian.Uint32(h[ipv6VerTCFlow:]) >> 20)
}

// FlowLabel returns the 20-bit flow label.
func (h IPv6) FlowLabel() uint32 {
	return binary.BigEndian.Uint32(h[ipv6VerTCFlow:]) & ipv6FlowMask
}

// PayloadLen returns the payload length field: everything after the fixed
// header, extension headers included.
func (h IPv6) PayloadLen() uint16 { return binary.BigEndian.Uint16(h[ipv6PayloadLen:]) }

// NextHeader returns the type of the first extension header or of the
// upper-layer protocol.
func (h IPv6) NextHeader() uint8 { return h[ipv6NextHeader] }

// HopLimit returns the hop limit.
func (h IPv6) HopLimit() uint8 { return h[ipv6HopLimit] }

// Src returns the source address.
func (h IPv6) Src() netip.Addr { return netip.AddrFrom16([16]byte(h[ipv6Src : ipv6Src+16])) }

// Dst returns the destination address.
func (h IPv6) Dst() netip.Addr { return netip.AddrFrom16([16]byte(h[ipv6Dst : ipv6Dst+16])) }

// Payload returns the bytes after the fixed header.
func (h IPv6) Payload() []byte { return h[IPv6HeaderLen:] }

// ExtIter returns an iterator over the extension headers; its offsets are
// relative to Payload.
func (h IPv6) ExtIter() IPv6ExtIter { return NewIPv6ExtIter(h.Payload(), h.NextHeader()) }

// SetVersionTCFlow sets the version to 6 and the traffic class and flow
// label, which share the first word.
func (h IPv6) SetVersionTCFlow(tc uint8, flow uint32) {
	binary.BigEndian.PutUint32(h[ipv6VerTCFlow:], ipv6VersionBits|uint32(tc)<<20|flow&ipv6FlowMask)
}

// SetTrafficClass sets the traffic class, keeping the flow label.
func (h IPv6) SetTrafficClass(tc uint8) { h.SetVersionTCFlow(tc, h.FlowLabel()) }

// SetFlowLabel sets the flow label, keeping the traffic class.
func (h IPv6) SetFlowLabel(flow uint32) { h.SetVersionTCFlow(h.TrafficClass(), flow) }

// SetPayloadLen sets the payload length field.
func (h IPv6) SetPayloadLen(v uint16) { binary.BigEndian.PutUint16(h[ipv6PayloadLen:], v) }

// SetNextHeader sets the next header field.
func (h IPv6) SetNextHeader(v uint8) { h[ipv6NextHeader] = v }

// SetHopLimit sets the hop limit.
func (h IPv6) SetHopLimit(v uint8) { h[ipv6HopLimit] = v }

// SetSrc sets the source address.
func (h IPv6) SetSrc(a netip.Addr) { putAddr16(h[ipv6Src:], a) }

// SetDst sets the destination address.
func (h IPv6) SetDst(a netip.Addr) { putAddr16(h[ipv6Dst:], a) }

// Fields returns the fixed header as a field struct.
func (h IPv6) Fields() IPv6Fields {
	return IPv6Fields{
		TrafficClass: h.TrafficClass(), FlowLabel: h.FlowLabel(), PayloadLen: h.PayloadLen(),
		NextHeader: h.NextHeader(), HopLimit: h.HopLimit(), Src: h.Src(), Dst: h.Dst(),
	}
}

// String prints the packet as tcpdump does, e.g.
// "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 1, length 64".
// Extension headers are walked to find the upper layer and, as in tcpdump,
// named before it ("HBH", "DSTOPT", "srcrt (...)", "frag (offset|length)"),
// with the upper layer then printed without the addresses.
func (h IPv6) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "IP6 ")
	it := h.ExtIter()
	if !it.Next() {
		if it.Err() == nil {
			proto, off := it.Upper()
			writeUpper(&sb, proto, h.Src(), h.Dst(), h.Payload()[off:])
			return sb.String()
		}
	}
	fmt.Fprintf(&sb, "%s > %s: ", h.Src(), h.Dst())
	for ok := it.Err() == nil; ok; ok = it.Next() {
		hdr := it.Header()
		switch it.Type() {
		case ProtoIPv6Hop:
			sb.WriteString("HBH ")
		case ProtoIPv6DstOpts:
			sb.WriteString("DSTOPT ")
		case ProtoIPv6Route:
			sb.WriteString(IPv6Routing(hdr).String())
			sb.WriteByte(' ')
		case ProtoAH:
			// The walk guarantees 8 bytes; a sequence number needs 12.
			fmt.Fprintf(&sb, "AH(spi=0x%08x", binary.BigEndian.Uint32(hdr[4:]))
			if len(hdr) >= 12 {
				fmt.Fprintf(&sb, ",seq=0x%x", binary.BigEndian.Uint32(hdr[8:]))
			}
			sb.WriteString("): ")
		case ProtoIPv6Frag:
			fr := IPv6Fragment(hdr)
			fmt.Fprintf(&sb, "frag (%d|%d)", fr.FragmentOffset(), len(h.Payload())-it.Offset()-IPv6FragmentLen)
			if fr.FragmentOffset() != 0 {
				return sb.String()
			}
			sb.WriteByte(' ')
		}
	}
	if it.Err() != nil {
		fmt.Fprintf(&sb, "[bad extension header], length %d", h.PayloadLen())
		return sb.String()
	}
	proto, off := it.Upper()
	p := h.Payload()[off:]
	switch proto {
	case ProtoTCP:
		if t, err := ParseTCP(p); err == nil {
			sb.WriteString(t.String())
			return sb.String()
		}
	case ProtoUDP:
		if u, err := ParseUDP(p); err == nil {
			sb.WriteString(u.String())
			return sb.String()
		}
	case ProtoICMPv6:
		if c, err := ParseICMPv6(p); err == nil {
			sb.WriteString(c.String())
			return sb.String()
		}
	}
	fmt.Fprintf(&sb, "%s, length %d", protoName(proto), len(p))
	return sb.String()
}

// IPv6Fields describes the fixed IPv6 header for building.
type IPv6Fields struct {
	TrafficClass uint8
	FlowLabel    uint32
	PayloadLen   uint16 // extension headers plus upper layer
	NextHeader   uint8
	HopLimit     uint8
	Src, Dst     netip.Addr
}

// Len returns IPv6HeaderLen.
func (f *IPv6Fields) Len() int { return IPv6HeaderLen }

// Encode writes the header into b, which must be at least Len bytes.
func (f *IPv6Fields) Encode(b IPv6) {
	_ = b[IPv6HeaderLen-1]
	b.SetVersionTCFlow(f.TrafficClass, f.FlowLabel)
	b.SetPayloadLen(f.PayloadLen)
	b.SetNextHeader(f.NextHeader)
	b.SetHopLimit(f.HopLimit)
	b.SetSrc(f.Src)
	b.SetDst(f.Dst)
}

// putAddr16 writes address a at b[0:16]; the zero Addr writes ::, and an
// IPv4 address is written in its IPv4-mapped form.
func putAddr16(b []byte, a netip.Addr) {
	if !a.IsValid() {
		clear(b[:16])
		return
	}
	v := a.As16()
	copy(b[:16], v[:])
}
