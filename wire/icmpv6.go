package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// ICMPv6HeaderLen is the length of the ICMPv6 header that Linux's
// icmpv6_rcv requires: type, code, checksum and the 4-byte field whose
// meaning depends on the type (every ICMPv6 message has it).
const ICMPv6HeaderLen = 8

// Field offsets of the ICMPv6 header.
const (
	icmpv6Type     = 0
	icmpv6Code     = 1
	icmpv6Checksum = 2
	icmpv6Ident    = 4 // echo
	icmpv6Seq      = 6
	icmpv6MTU      = 4 // packet too big
	icmpv6Pointer  = 4 // parameter problem
)

// ICMPv6Type is the type of an ICMPv6 message.
type ICMPv6Type uint8

// ICMPv6 message types (RFC 4443, RFC 4861, RFC 2710, RFC 3810).
const (
	ICMPv6DestUnreach     ICMPv6Type = 1
	ICMPv6PacketTooBig    ICMPv6Type = 2
	ICMPv6TimeExceeded    ICMPv6Type = 3
	ICMPv6ParamProblem    ICMPv6Type = 4
	ICMPv6EchoRequest     ICMPv6Type = 128
	ICMPv6EchoReply       ICMPv6Type = 129
	ICMPv6MLDQuery        ICMPv6Type = 130
	ICMPv6MLDReport       ICMPv6Type = 131
	ICMPv6MLDDone         ICMPv6Type = 132
	ICMPv6RouterSolicit   ICMPv6Type = 133
	ICMPv6RouterAdvert    ICMPv6Type = 134
	ICMPv6NeighborSolicit ICMPv6Type = 135
	ICMPv6NeighborAdvert  ICMPv6Type = 136
	ICMPv6Redirect        ICMPv6Type = 137
	ICMPv6MLDv2Report     ICMPv6Type = 143
)

// ICMPv6 codes (RFC 4443, RFC 7112).
const (
	ICMPv6CodeNoRoute            uint8 = 0 // destination unreachable
	ICMPv6CodeAdminProhibited    uint8 = 1
	ICMPv6CodeBeyondScope        uint8 = 2
	ICMPv6CodeAddrUnreach        uint8 = 3
	ICMPv6CodePortUnreach        uint8 = 4
	ICMPv6CodeSrcPolicyFailed    uint8 = 5
	ICMPv6CodeRejectRoute        uint8 = 6
	ICMPv6CodeHopLimitExceeded   uint8 = 0 // time exceeded
	ICMPv6CodeReassemblyTimeout  uint8 = 1
	ICMPv6CodeErroneousHeader    uint8 = 0 // parameter problem
	ICMPv6CodeUnknownNextHeader  uint8 = 1
	ICMPv6CodeUnknownOption      uint8 = 2
	ICMPv6CodeIncompleteChain    uint8 = 3 // first fragment lacks the header chain (RFC 7112)
	icmpv6FirstInformationalType       = 128
)

// String names the type as tcpdump does.
func (t ICMPv6Type) String() string {
	switch t {
	case ICMPv6DestUnreach:
		return "destination unreachable"
	case ICMPv6PacketTooBig:
		return "packet too big"
	case ICMPv6TimeExceeded:
		return "time exceeded in-transit"
	case ICMPv6ParamProblem:
		return "parameter problem"
	case ICMPv6EchoRequest:
		return "echo request"
	case ICMPv6EchoReply:
		return "echo reply"
	case ICMPv6MLDQuery:
		return "multicast listener query"
	case ICMPv6MLDReport:
		return "multicast listener report"
	case ICMPv6MLDDone:
		return "multicast listener done"
	case ICMPv6RouterSolicit:
		return "router solicitation"
	case ICMPv6RouterAdvert:
		return "router advertisement"
	case ICMPv6NeighborSolicit:
		return "neighbor solicitation"
	case ICMPv6NeighborAdvert:
		return "neighbor advertisement"
	case ICMPv6Redirect:
		return "redirect"
	case ICMPv6MLDv2Report:
		return "multicast listener report v2"
	}
	return fmt.Sprintf("unknown icmp6 type (%d)", uint8(t))
}

// IsError reports whether t is an error message (types below 128), which
// must never be sent in response to another error (RFC 4443 2.4).
func (t ICMPv6Type) IsError() bool { return t < icmpv6FirstInformationalType }

// ICMPv6 is a view of an ICMPv6 message.
type ICMPv6 []byte

// ParseICMPv6 validates that b holds at least the 8-byte ICMPv6 header and
// returns the view. Type-specific bodies (NDP) have their own parsers.
func ParseICMPv6(b []byte) (ICMPv6, error) {
	if len(b) < ICMPv6HeaderLen {
		return nil, ErrTruncated
	}
	return ICMPv6(b), nil
}

// Type returns the message type.
func (h ICMPv6) Type() ICMPv6Type { return ICMPv6Type(h[icmpv6Type]) }

// Code returns the message code.
func (h ICMPv6) Code() uint8 { return h[icmpv6Code] }

// Checksum returns the checksum field.
func (h ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(h[icmpv6Checksum:]) }

// Ident returns the identifier of an echo message.
func (h ICMPv6) Ident() uint16 { return binary.BigEndian.Uint16(h[icmpv6Ident:]) }

// Seq returns the sequence number of an echo message.
func (h ICMPv6) Seq() uint16 { return binary.BigEndian.Uint16(h[icmpv6Seq:]) }

// MTU returns the MTU of a packet too big message.
func (h ICMPv6) MTU() uint32 { return binary.BigEndian.Uint32(h[icmpv6MTU:]) }

// Pointer returns the offset of the offending byte of a parameter problem.
func (h ICMPv6) Pointer() uint32 { return binary.BigEndian.Uint32(h[icmpv6Pointer:]) }

// Payload returns the bytes after the 8-byte header: echo data, or as much
// of the invoking packet as fits in the minimum MTU for error messages.
func (h ICMPv6) Payload() []byte { return h[ICMPv6HeaderLen:] }

// SetType sets the message type.
func (h ICMPv6) SetType(t ICMPv6Type) { h[icmpv6Type] = uint8(t) }

// SetCode sets the message code.
func (h ICMPv6) SetCode(c uint8) { h[icmpv6Code] = c }

// SetChecksum sets the checksum field.
func (h ICMPv6) SetChecksum(v uint16) { binary.BigEndian.PutUint16(h[icmpv6Checksum:], v) }

// SetIdent sets the echo identifier.
func (h ICMPv6) SetIdent(v uint16) { binary.BigEndian.PutUint16(h[icmpv6Ident:], v) }

// SetSeq sets the echo sequence number.
func (h ICMPv6) SetSeq(v uint16) { binary.BigEndian.PutUint16(h[icmpv6Seq:], v) }

// SetMTU sets the MTU of a packet too big message.
func (h ICMPv6) SetMTU(v uint32) { binary.BigEndian.PutUint32(h[icmpv6MTU:], v) }

// SetPointer sets the parameter problem pointer.
func (h ICMPv6) SetPointer(v uint32) { binary.BigEndian.PutUint32(h[icmpv6Pointer:], v) }

// ComputeChecksum returns the checksum of the message (the whole view) with
// its IPv6 pseudo-header, the field taken as zero.
func (h ICMPv6) ComputeChecksum(src, dst netip.Addr) uint16 {
	return transportChecksum(h, icmpv6Checksum, ProtoICMPv6, src, dst)
}

// ValidChecksum reports whether the checksum field verifies.
func (h ICMPv6) ValidChecksum(src, dst netip.Addr) bool {
	return validTransportChecksum(h, ProtoICMPv6, src, dst)
}

// Fields returns the header as a field struct, decoding the 4-byte field as
// Type says.
func (h ICMPv6) Fields() ICMPv6Fields {
	f := ICMPv6Fields{Type: h.Type(), Code: h.Code(), Checksum: h.Checksum()}
	switch f.Type {
	case ICMPv6EchoRequest, ICMPv6EchoReply:
		f.Ident, f.Seq = h.Ident(), h.Seq()
	case ICMPv6PacketTooBig:
		f.MTU = h.MTU()
	case ICMPv6ParamProblem:
		f.Pointer = h.Pointer()
	}
	return f
}

// String prints the message as tcpdump does, e.g.
// "ICMP6, echo request, id 1, seq 1, length 64" or
// "ICMP6, neighbor solicitation, who has 2001:db8::2, length 32".
func (h ICMPv6) String() string {
	var sb strings.Builder
	t := h.Type()
	fmt.Fprintf(&sb, "ICMP6, %s", t)
	switch t {
	case ICMPv6EchoRequest, ICMPv6EchoReply:
		fmt.Fprintf(&sb, ", id %d, seq %d", h.Ident(), h.Seq())
	case ICMPv6PacketTooBig:
		fmt.Fprintf(&sb, ", mtu %d", h.MTU())
	case ICMPv6ParamProblem:
		switch h.Code() {
		case ICMPv6CodeErroneousHeader:
			sb.WriteString(", erroneous")
		case ICMPv6CodeUnknownNextHeader:
			sb.WriteString(", next header")
		case ICMPv6CodeUnknownOption:
			sb.WriteString(", option")
		default:
			fmt.Fprintf(&sb, ", code-#%d", h.Code())
		}
		fmt.Fprintf(&sb, " - octet %d", h.Pointer())
	case ICMPv6TimeExceeded:
		if h.Code() == ICMPv6CodeReassemblyTimeout {
			return fmt.Sprintf("ICMP6, ip6 reassembly time exceeded, length %d", len(h))
		}
		if in, ok := quotedIPv6(h.Payload()); ok {
			fmt.Fprintf(&sb, " for %s", in.Dst())
		}
	case ICMPv6DestUnreach:
		sb.WriteString(", ")
		sb.WriteString(unreach6Name(h.Code()))
		in, ok := quotedIPv6(h.Payload())
		switch {
		case !ok:
		case h.Code() == ICMPv6CodePortUnreach:
			// tcpdump names the port only when the upper layer follows
			// the fixed header directly.
			p := in[IPv6HeaderLen:]
			if (in.NextHeader() == ProtoUDP || in.NextHeader() == ProtoTCP) && len(p) >= 4 {
				fmt.Fprintf(&sb, ", %s %s port %d", in.Dst(), protoName(in.NextHeader()), binary.BigEndian.Uint16(p[2:]))
			} else {
				fmt.Fprintf(&sb, ", %s", in.Dst())
			}
		default:
			fmt.Fprintf(&sb, " %s", in.Dst())
		}
	case ICMPv6NeighborSolicit:
		if ns, err := ParseNDPNeighborSolicit(h); err == nil {
			fmt.Fprintf(&sb, ", who has %s", ns.Target())
		}
	case ICMPv6NeighborAdvert:
		if na, err := ParseNDPNeighborAdvert(h); err == nil {
			fmt.Fprintf(&sb, ", tgt is %s", na.Target())
		}
	case ICMPv6Redirect:
		if rd, err := ParseNDPRedirect(h); err == nil {
			fmt.Fprintf(&sb, ", %s to %s", rd.Dest(), rd.Target())
		}
	}
	fmt.Fprintf(&sb, ", length %d", len(h))
	return sb.String()
}

// quotedIPv6 returns the invoking packet's fixed header quoted in an
// ICMPv6 error; the quote may be cut short, so only the fixed header is
// checked.
func quotedIPv6(b []byte) (IPv6, bool) {
	if len(b) < IPv6HeaderLen || b[0]>>4 != 6 {
		return nil, false
	}
	return IPv6(b), true
}

// unreach6Name names a destination unreachable code as tcpdump does.
func unreach6Name(c uint8) string {
	switch c {
	case ICMPv6CodeNoRoute:
		return "unreachable route"
	case ICMPv6CodeAdminProhibited:
		return "unreachable prohibited"
	case ICMPv6CodeBeyondScope:
		return "beyond scope"
	case ICMPv6CodeAddrUnreach:
		return "unreachable address"
	case ICMPv6CodePortUnreach:
		return "unreachable port"
	}
	return fmt.Sprintf("unreachable code %d", c)
}

// ICMPv6Fields describes an ICMPv6 header for building. Encode writes the
// 4-byte field from the members that Type uses: Ident and Seq for echo, MTU
// for packet too big, Pointer for parameter problem, zero otherwise (NDP
// messages have their own field structs in ndp.go). The checksum is written
// as given; compute it with ComputeChecksum once the payload is in place.
type ICMPv6Fields struct {
	Type     ICMPv6Type
	Code     uint8
	Checksum uint16
	Ident    uint16
	Seq      uint16
	MTU      uint32
	Pointer  uint32
}

// Len returns ICMPv6HeaderLen.
func (f *ICMPv6Fields) Len() int { return ICMPv6HeaderLen }

// Encode writes the header into b, which must be at least Len bytes.
func (f *ICMPv6Fields) Encode(b ICMPv6) {
	_ = b[ICMPv6HeaderLen-1]
	b.SetType(f.Type)
	b.SetCode(f.Code)
	b.SetChecksum(f.Checksum)
	switch f.Type {
	case ICMPv6EchoRequest, ICMPv6EchoReply:
		b.SetIdent(f.Ident)
		b.SetSeq(f.Seq)
	case ICMPv6PacketTooBig:
		b.SetMTU(f.MTU)
	case ICMPv6ParamProblem:
		b.SetPointer(f.Pointer)
	default:
		b.SetMTU(0)
	}
}
