package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// ICMPv4HeaderLen is the length of the ICMPv4 header: type, code, checksum
// and the 4-byte "rest of header" whose meaning depends on the type.
const ICMPv4HeaderLen = 8

// Field offsets of the ICMPv4 header.
const (
	icmpv4Type     = 0
	icmpv4Code     = 1
	icmpv4Checksum = 2
	icmpv4Ident    = 4 // echo, timestamp, information
	icmpv4Seq      = 6
	icmpv4Pointer  = 4 // parameter problem
	icmpv4Gateway  = 4 // redirect
	icmpv4MTU      = 6 // destination unreachable, fragmentation needed (RFC 1191)
)

// ICMPv4Type is the type of an ICMPv4 message.
type ICMPv4Type uint8

// ICMPv4 message types (RFC 792 and successors).
const (
	ICMPv4EchoReply      ICMPv4Type = 0
	ICMPv4DestUnreach    ICMPv4Type = 3
	ICMPv4SourceQuench   ICMPv4Type = 4 // deprecated by RFC 6633; Linux ignores it
	ICMPv4Redirect       ICMPv4Type = 5
	ICMPv4EchoRequest    ICMPv4Type = 8
	ICMPv4RouterAdvert   ICMPv4Type = 9
	ICMPv4RouterSolicit  ICMPv4Type = 10
	ICMPv4TimeExceeded   ICMPv4Type = 11
	ICMPv4ParamProblem   ICMPv4Type = 12
	ICMPv4Timestamp      ICMPv4Type = 13
	ICMPv4TimestampReply ICMPv4Type = 14
	ICMPv4InfoRequest    ICMPv4Type = 15
	ICMPv4InfoReply      ICMPv4Type = 16
	ICMPv4AddrMask       ICMPv4Type = 17
	ICMPv4AddrMaskReply  ICMPv4Type = 18
)

// ICMPv4 destination unreachable codes (RFC 792, RFC 1122, RFC 1812).
const (
	ICMPv4CodeNetUnreach        uint8 = 0
	ICMPv4CodeHostUnreach       uint8 = 1
	ICMPv4CodeProtoUnreach      uint8 = 2
	ICMPv4CodePortUnreach       uint8 = 3
	ICMPv4CodeFragNeeded        uint8 = 4 // "need to frag": MTU carries the next-hop MTU
	ICMPv4CodeSrcRouteFailed    uint8 = 5
	ICMPv4CodeNetUnknown        uint8 = 6
	ICMPv4CodeHostUnknown       uint8 = 7
	ICMPv4CodeHostIsolated      uint8 = 8
	ICMPv4CodeNetProhibited     uint8 = 9
	ICMPv4CodeHostProhibited    uint8 = 10
	ICMPv4CodeNetUnreachTOS     uint8 = 11
	ICMPv4CodeHostUnreachTOS    uint8 = 12
	ICMPv4CodeAdminProhibited   uint8 = 13 // "packet filtered"
	ICMPv4CodePrecViolation     uint8 = 14
	ICMPv4CodePrecCutoff        uint8 = 15
	ICMPv4CodeTTLExceeded       uint8 = 0 // time exceeded
	ICMPv4CodeReassemblyTimeout uint8 = 1 // time exceeded
	ICMPv4CodeRedirectNet       uint8 = 0
	ICMPv4CodeRedirectHost      uint8 = 1
	ICMPv4CodeRedirectTOSNet    uint8 = 2
	ICMPv4CodeRedirectTOSHost   uint8 = 3
	ICMPv4CodeParamPointer      uint8 = 0 // Pointer names the bad byte
	ICMPv4CodeParamMissingOpt   uint8 = 1
	ICMPv4CodeParamBadLength    uint8 = 2
)

// String names the type as tcpdump does ("echo request", ...).
func (t ICMPv4Type) String() string {
	switch t {
	case ICMPv4EchoReply:
		return "echo reply"
	case ICMPv4DestUnreach:
		return "destination unreachable"
	case ICMPv4SourceQuench:
		return "source quench"
	case ICMPv4Redirect:
		return "redirect"
	case ICMPv4EchoRequest:
		return "echo request"
	case ICMPv4RouterAdvert:
		return "router advertisement"
	case ICMPv4RouterSolicit:
		return "router solicitation"
	case ICMPv4TimeExceeded:
		return "time exceeded"
	case ICMPv4ParamProblem:
		return "parameter problem"
	case ICMPv4Timestamp:
		return "time stamp request"
	case ICMPv4TimestampReply:
		return "time stamp reply"
	case ICMPv4InfoRequest:
		return "information request"
	case ICMPv4InfoReply:
		return "information reply"
	case ICMPv4AddrMask:
		return "address mask request"
	case ICMPv4AddrMaskReply:
		return "address mask reply"
	}
	return fmt.Sprintf("type-#%d", uint8(t))
}

// IsError reports whether t is an error message, which must never be
// sent in response to another error (RFC 1122 3.2.2).
func (t ICMPv4Type) IsError() bool {
	switch t {
	case ICMPv4DestUnreach, ICMPv4SourceQuench, ICMPv4Redirect, ICMPv4TimeExceeded, ICMPv4ParamProblem:
		return true
	}
	return false
}

// ICMPv4 is a view of an ICMPv4 message.
type ICMPv4 []byte

// ParseICMPv4 validates that b holds at least the 8-byte ICMPv4 header, as
// Linux's icmp_rcv requires, and returns the view. Every accessor is then
// safe whatever the type; which ones are meaningful depends on Type.
func ParseICMPv4(b []byte) (ICMPv4, error) {
	if len(b) < ICMPv4HeaderLen {
		return nil, ErrTruncated
	}
	return ICMPv4(b), nil
}

// Type returns the message type.
func (h ICMPv4) Type() ICMPv4Type { return ICMPv4Type(h[icmpv4Type]) }

// Code returns the message code.
func (h ICMPv4) Code() uint8 { return h[icmpv4Code] }

// Checksum returns the checksum field.
func (h ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(h[icmpv4Checksum:]) }

// Ident returns the identifier of echo, timestamp and information messages.
func (h ICMPv4) Ident() uint16 { return binary.BigEndian.Uint16(h[icmpv4Ident:]) }

// Seq returns the sequence number of echo, timestamp and information
// messages.
func (h ICMPv4) Seq() uint16 { return binary.BigEndian.Uint16(h[icmpv4Seq:]) }

// MTU returns the next-hop MTU of a "fragmentation needed" message
// (RFC 1191); 0 from old routers that predate it.
func (h ICMPv4) MTU() uint16 { return binary.BigEndian.Uint16(h[icmpv4MTU:]) }

// Pointer returns the offset of the offending byte of a parameter problem.
func (h ICMPv4) Pointer() uint8 { return h[icmpv4Pointer] }

// Gateway returns the gateway address of a redirect.
func (h ICMPv4) Gateway() netip.Addr {
	return netip.AddrFrom4([4]byte(h[icmpv4Gateway : icmpv4Gateway+4]))
}

// Rest returns the 4-byte rest-of-header field as one number.
func (h ICMPv4) Rest() uint32 { return binary.BigEndian.Uint32(h[icmpv4Ident:]) }

// Payload returns the bytes after the header: echo data, or the invoking
// packet's IP header and first bytes for error messages.
func (h ICMPv4) Payload() []byte { return h[ICMPv4HeaderLen:] }

// SetType sets the message type.
func (h ICMPv4) SetType(t ICMPv4Type) { h[icmpv4Type] = uint8(t) }

// SetCode sets the message code.
func (h ICMPv4) SetCode(c uint8) { h[icmpv4Code] = c }

// SetChecksum sets the checksum field.
func (h ICMPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(h[icmpv4Checksum:], v) }

// SetIdent sets the echo identifier.
func (h ICMPv4) SetIdent(v uint16) { binary.BigEndian.PutUint16(h[icmpv4Ident:], v) }

// SetSeq sets the echo sequence number.
func (h ICMPv4) SetSeq(v uint16) { binary.BigEndian.PutUint16(h[icmpv4Seq:], v) }

// SetMTU sets the next-hop MTU of a "fragmentation needed" message.
func (h ICMPv4) SetMTU(v uint16) { binary.BigEndian.PutUint16(h[icmpv4MTU:], v) }

// SetPointer sets the parameter problem pointer.
func (h ICMPv4) SetPointer(v uint8) { h[icmpv4Pointer] = v }

// SetGateway sets the redirect gateway; a must be IPv4.
func (h ICMPv4) SetGateway(a netip.Addr) { putAddr4(h[icmpv4Gateway:], a) }

// SetRest sets the whole 4-byte rest-of-header field.
func (h ICMPv4) SetRest(v uint32) { binary.BigEndian.PutUint32(h[icmpv4Ident:], v) }

// ComputeChecksum returns the checksum of the message (the whole view),
// the field taken as zero. ICMPv4 has no pseudo-header.
func (h ICMPv4) ComputeChecksum() uint16 {
	return FoldChecksum(Checksum(h[icmpv4Checksum+2:], Checksum(h[:icmpv4Checksum], 0)))
}

// ValidChecksum reports whether the checksum field verifies.
func (h ICMPv4) ValidChecksum() bool { return FoldChecksum(Checksum(h, 0)) == 0 }

// Fields returns the header as a field struct, decoding the rest-of-header
// field as Type says.
func (h ICMPv4) Fields() ICMPv4Fields {
	f := ICMPv4Fields{Type: h.Type(), Code: h.Code(), Checksum: h.Checksum()}
	switch f.restKind() {
	case icmpRestEcho:
		f.Ident, f.Seq = h.Ident(), h.Seq()
	case icmpRestMTU:
		f.MTU = h.MTU()
	case icmpRestPointer:
		f.Pointer = h.Pointer()
	case icmpRestGateway:
		f.Gateway = h.Gateway()
	}
	return f
}

// String prints the message as tcpdump does, e.g.
// "ICMP echo request, id 1, seq 1, length 64" or
// "ICMP 192.0.2.2 udp port 53 unreachable, length 36".
func (h ICMPv4) String() string {
	var sb strings.Builder
	sb.WriteString("ICMP ")
	switch t := h.Type(); t {
	case ICMPv4EchoRequest, ICMPv4EchoReply:
		fmt.Fprintf(&sb, "%s, id %d, seq %d", t, h.Ident(), h.Seq())
	case ICMPv4DestUnreach:
		writeUnreach4(&sb, h)
	case ICMPv4Redirect:
		dst := "?"
		if in, ok := quotedIPv4(h.Payload()); ok {
			dst = in.Dst().String()
		}
		fmt.Fprintf(&sb, "redirect %s to host %s", dst, h.Gateway())
	case ICMPv4TimeExceeded:
		if h.Code() == ICMPv4CodeReassemblyTimeout {
			sb.WriteString("ip reassembly time exceeded")
		} else {
			sb.WriteString("time exceeded in-transit")
		}
	case ICMPv4ParamProblem:
		fmt.Fprintf(&sb, "parameter problem - octet %d", h.Pointer())
	default:
		sb.WriteString(t.String())
	}
	fmt.Fprintf(&sb, ", length %d", len(h))
	return sb.String()
}

// writeUnreach4 prints a destination unreachable message, naming the
// invoking packet's destination (and port, for UDP and TCP).
func writeUnreach4(sb *strings.Builder, h ICMPv4) {
	in, ok := quotedIPv4(h.Payload())
	dst := "?"
	if ok {
		dst = in.Dst().String()
	}
	switch h.Code() {
	case ICMPv4CodeNetUnreach:
		fmt.Fprintf(sb, "net %s unreachable", dst)
	case ICMPv4CodeHostUnreach:
		fmt.Fprintf(sb, "host %s unreachable", dst)
	case ICMPv4CodeProtoUnreach:
		proto := uint8(0)
		if ok {
			proto = in.Protocol()
		}
		fmt.Fprintf(sb, "%s protocol %d unreachable", dst, proto)
	case ICMPv4CodePortUnreach:
		if ok && (in.Protocol() == ProtoUDP || in.Protocol() == ProtoTCP) && len(in) >= in.HeaderLen()+4 {
			port := binary.BigEndian.Uint16(in[in.HeaderLen()+2:])
			fmt.Fprintf(sb, "%s %s port %d unreachable", dst, protoName(in.Protocol()), port)
		} else {
			fmt.Fprintf(sb, "%s port unreachable", dst)
		}
	case ICMPv4CodeFragNeeded:
		fmt.Fprintf(sb, "%s unreachable - need to frag (mtu %d)", dst, h.MTU())
	case ICMPv4CodeAdminProhibited:
		fmt.Fprintf(sb, "host %s unreachable - admin prohibited filter", dst)
	default:
		fmt.Fprintf(sb, "%s unreachable - code %d", dst, h.Code())
	}
}

// quotedIPv4 returns the invoking packet's header quoted in an ICMP error.
// The quote is usually cut short, so the total length is not checked; the
// view covers what was quoted and is only safe for the fixed fields.
func quotedIPv4(b []byte) (IPv4, bool) {
	if len(b) < IPv4MinHeaderLen || b[0]>>4 != 4 {
		return nil, false
	}
	hl := int(b[0]&0xf) * 4
	if hl < IPv4MinHeaderLen || hl > len(b) {
		return nil, false
	}
	return IPv4(b), true
}

// ICMPv4Fields describes an ICMPv4 header for building. Encode writes the
// rest-of-header field from the members that Type uses: Ident and Seq for
// echo, timestamp and information messages; MTU for destination
// unreachable; Pointer for parameter problem; Gateway for redirect; zero
// otherwise. The checksum is written as given; compute it with
// ComputeChecksum once the payload is in place.
type ICMPv4Fields struct {
	Type     ICMPv4Type
	Code     uint8
	Checksum uint16
	Ident    uint16
	Seq      uint16
	MTU      uint16
	Pointer  uint8
	Gateway  netip.Addr
}

// Kinds of the ICMPv4 rest-of-header field.
const (
	icmpRestZero = iota
	icmpRestEcho
	icmpRestMTU
	icmpRestPointer
	icmpRestGateway
)

// restKind says how Type uses the rest-of-header field.
func (f *ICMPv4Fields) restKind() int {
	switch f.Type {
	case ICMPv4EchoRequest, ICMPv4EchoReply, ICMPv4Timestamp, ICMPv4TimestampReply,
		ICMPv4InfoRequest, ICMPv4InfoReply, ICMPv4AddrMask, ICMPv4AddrMaskReply:
		return icmpRestEcho
	case ICMPv4DestUnreach:
		return icmpRestMTU
	case ICMPv4ParamProblem:
		return icmpRestPointer
	case ICMPv4Redirect:
		return icmpRestGateway
	}
	return icmpRestZero
}

// Len returns ICMPv4HeaderLen.
func (f *ICMPv4Fields) Len() int { return ICMPv4HeaderLen }

// Encode writes the header into b, which must be at least Len bytes.
func (f *ICMPv4Fields) Encode(b ICMPv4) {
	_ = b[ICMPv4HeaderLen-1]
	b.SetType(f.Type)
	b.SetCode(f.Code)
	b.SetChecksum(f.Checksum)
	b.SetRest(0)
	switch f.restKind() {
	case icmpRestEcho:
		b.SetIdent(f.Ident)
		b.SetSeq(f.Seq)
	case icmpRestMTU:
		b.SetMTU(f.MTU)
	case icmpRestPointer:
		b.SetPointer(f.Pointer)
	case icmpRestGateway:
		b.SetGateway(f.Gateway)
	}
}
