package wire

import (
	"encoding/binary"
	"fmt"
)

// IsIPv6ExtHeader reports whether protocol number p is an IPv6 extension
// header that IPv6ExtIter walks through: hop-by-hop options, routing,
// fragment, destination options and AH, as Linux's ipv6_ext_hdr (which
// also lists "no next header"; that one ends the walk here, as upper
// layer 59). ESP is not walked: what follows it is encrypted.
func IsIPv6ExtHeader(p uint8) bool {
	switch p {
	case ProtoIPv6Hop, ProtoIPv6Route, ProtoIPv6Frag, ProtoIPv6DstOpts, ProtoAH:
		return true
	}
	return false
}

// IPv6ExtIter walks the extension header chain of an IPv6 packet without
// allocating. Each header's length is validated before it is yielded: the
// generic (len+1)*8 form, 8 bytes for the fragment header, (len+2)*4 for
// AH (RFC 4302). A header that runs past the end stops the walk with
// ErrTruncated.
//
// When Next returns false with a nil Err, Upper gives the upper-layer
// protocol and its offset. After a fragment header with a non-zero offset
// the walk stops too: the rest of such a fragment is data, not headers, and
// Upper reports the fragment header's next header and where the fragment
// data begins.
//
// The iterator checks lengths only. Ordering rules (hop-by-hop options only
// first, RFC 8200 section 4.1) are left to the IPv6 layer, which needs the
// position anyway to send a parameter problem.
type IPv6ExtIter struct {
	b        []byte
	next     uint8 // type of the header at end
	typ      uint8 // type of the current header b[off:end]
	off, end int
	stop     bool
	err      error
}

// NewIPv6ExtIter returns an iterator over b, which starts with a header of
// type next (the IPv6 next header field). Offsets are relative to b.
func NewIPv6ExtIter(b []byte, next uint8) IPv6ExtIter { return IPv6ExtIter{b: b, next: next} }

// Next advances to the next extension header and reports whether there is
// one.
func (it *IPv6ExtIter) Next() bool {
	if it.stop || it.err != nil || !IsIPv6ExtHeader(it.next) {
		return false
	}
	rest := it.b[it.end:]
	n := 8
	if it.next != ProtoIPv6Frag {
		if len(rest) < 2 {
			it.err = ErrTruncated
			return false
		}
		if it.next == ProtoAH {
			n = (int(rest[1]) + 2) * 4
		} else {
			n = (int(rest[1]) + 1) * 8
		}
	}
	if n > len(rest) {
		it.err = ErrTruncated
		return false
	}
	it.typ = it.next
	it.off = it.end
	it.end += n
	it.next = rest[0]
	if it.typ == ProtoIPv6Frag && IPv6Fragment(rest).FragmentOffset() != 0 {
		it.stop = true
	}
	return true
}

// Type returns the current header's protocol number (ProtoIPv6Hop, ...).
func (it *IPv6ExtIter) Type() uint8 { return it.typ }

// Header returns the current extension header, whole.
func (it *IPv6ExtIter) Header() []byte { return it.b[it.off:it.end] }

// Offset returns where the current header starts.
func (it *IPv6ExtIter) Offset() int { return it.off }

// Upper returns the upper-layer protocol and the offset where it starts,
// once Next has returned false with a nil Err.
func (it *IPv6ExtIter) Upper() (proto uint8, offset int) { return it.next, it.end }

// Err returns ErrTruncated if a header ran past the end of the packet.
func (it *IPv6ExtIter) Err() error { return it.err }

// IPv6FragmentLen is the length of the fragment header.
const IPv6FragmentLen = 8

// Field offsets of the fragment header.
const (
	ipv6FragNext   = 0
	ipv6FragOffM   = 2
	ipv6FragIdent  = 4
	ipv6FragOffMsk = 0xfff8
)

// IPv6Fragment is a view of an IPv6 fragment header followed by the
// fragment's data.
type IPv6Fragment []byte

// ParseIPv6Fragment validates that b holds a fragment header.
func ParseIPv6Fragment(b []byte) (IPv6Fragment, error) {
	if len(b) < IPv6FragmentLen {
		return nil, ErrTruncated
	}
	return IPv6Fragment(b), nil
}

// NextHeader returns the type of the header that follows in the
// reassembled packet.
func (h IPv6Fragment) NextHeader() uint8 { return h[ipv6FragNext] }

// FragmentOffset returns the fragment's offset in bytes.
func (h IPv6Fragment) FragmentOffset() uint16 {
	return binary.BigEndian.Uint16(h[ipv6FragOffM:]) & ipv6FragOffMsk
}

// MoreFragments reports whether the M flag is set.
func (h IPv6Fragment) MoreFragments() bool { return h[ipv6FragOffM+1]&1 != 0 }

// Ident returns the identification field.
func (h IPv6Fragment) Ident() uint32 { return binary.BigEndian.Uint32(h[ipv6FragIdent:]) }

// Payload returns the fragment data after the header.
func (h IPv6Fragment) Payload() []byte { return h[IPv6FragmentLen:] }

// SetNextHeader sets the next header field.
func (h IPv6Fragment) SetNextHeader(v uint8) { h[ipv6FragNext] = v }

// SetFragment sets the offset in bytes (rounded down to a multiple of 8)
// and the M flag.
func (h IPv6Fragment) SetFragment(off uint16, more bool) {
	v := off & ipv6FragOffMsk
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(h[ipv6FragOffM:], v)
}

// SetIdent sets the identification field.
func (h IPv6Fragment) SetIdent(v uint32) { binary.BigEndian.PutUint32(h[ipv6FragIdent:], v) }

// Fields returns the header as a field struct.
func (h IPv6Fragment) Fields() IPv6FragmentFields {
	return IPv6FragmentFields{NextHeader: h.NextHeader(), FragmentOffset: h.FragmentOffset(),
		MoreFragments: h.MoreFragments(), Ident: h.Ident()}
}

// String prints the header as tcpdump does: "frag (0x1234:1448|8)" is
// tcpdump's ident:offset|length; this prints the same facts in words.
func (h IPv6Fragment) String() string {
	return fmt.Sprintf("frag (id %d, offset %d, length %d%s)", h.Ident(), h.FragmentOffset(), len(h.Payload()), plusIf(h.MoreFragments()))
}

// IPv6FragmentFields describes a fragment header for building.
type IPv6FragmentFields struct {
	NextHeader     uint8
	FragmentOffset uint16 // bytes, a multiple of 8
	MoreFragments  bool
	Ident          uint32
}

// Len returns IPv6FragmentLen.
func (f *IPv6FragmentFields) Len() int { return IPv6FragmentLen }

// Encode writes the header into b, which must be at least Len bytes.
func (f *IPv6FragmentFields) Encode(b IPv6Fragment) {
	_ = b[IPv6FragmentLen-1]
	b.SetNextHeader(f.NextHeader)
	b[1] = 0
	b.SetFragment(f.FragmentOffset, f.MoreFragments)
	b.SetIdent(f.Ident)
}

// IPv6 routing header types.
const (
	IPv6RoutingType0   uint8 = 0 // deprecated by RFC 5095; Linux refuses it
	IPv6RoutingType2   uint8 = 2 // Mobile IPv6 (RFC 6275)
	IPv6RoutingTypeRPL uint8 = 3 // RFC 6554
	IPv6RoutingTypeSRH uint8 = 4 // segment routing (RFC 8754)
)

// Field offsets of the routing header.
const (
	ipv6RtNext    = 0
	ipv6RtLen     = 1
	ipv6RtType    = 2
	ipv6RtSegLeft = 3
	ipv6RtData    = 4
)

// IPv6Routing is a view of an IPv6 routing header.
type IPv6Routing []byte

// ParseIPv6Routing validates that b holds a routing header of the length
// its length field claims, and returns the view trimmed to it.
func ParseIPv6Routing(b []byte) (IPv6Routing, error) {
	if len(b) < 8 {
		return nil, ErrTruncated
	}
	n := (int(b[ipv6RtLen]) + 1) * 8
	if n > len(b) {
		return nil, ErrTruncated
	}
	return IPv6Routing(b[:n]), nil
}

// NextHeader returns the next header field.
func (h IPv6Routing) NextHeader() uint8 { return h[ipv6RtNext] }

// RoutingType returns the routing type (IPv6RoutingTypeSRH, ...).
func (h IPv6Routing) RoutingType() uint8 { return h[ipv6RtType] }

// SegmentsLeft returns how many route segments remain; a node that does
// not know the routing type may ignore the header only if this is zero
// (RFC 8200 section 4.4).
func (h IPv6Routing) SegmentsLeft() uint8 { return h[ipv6RtSegLeft] }

// Data returns the type-specific data after the first four bytes.
func (h IPv6Routing) Data() []byte { return h[ipv6RtData:] }

// SetNextHeader sets the next header field.
func (h IPv6Routing) SetNextHeader(v uint8) { h[ipv6RtNext] = v }

// SetRoutingType sets the routing type.
func (h IPv6Routing) SetRoutingType(v uint8) { h[ipv6RtType] = v }

// SetSegmentsLeft sets the segments left field.
func (h IPv6Routing) SetSegmentsLeft(v uint8) { h[ipv6RtSegLeft] = v }

// Fields returns the header as a field struct. Data aliases the view.
func (h IPv6Routing) Fields() IPv6RoutingFields {
	return IPv6RoutingFields{NextHeader: h.NextHeader(), RoutingType: h.RoutingType(),
		SegmentsLeft: h.SegmentsLeft(), Data: h.Data()}
}

// String prints the header as tcpdump does, e.g. "srcrt (len=2, type=0, segleft=1)".
func (h IPv6Routing) String() string {
	return fmt.Sprintf("srcrt (len=%d, type=%d, segleft=%d)", h[ipv6RtLen], h.RoutingType(), h.SegmentsLeft())
}

// IPv6RoutingFields describes a routing header for building.
type IPv6RoutingFields struct {
	NextHeader   uint8
	RoutingType  uint8
	SegmentsLeft uint8
	Data         []byte // padded with zeros to a multiple of 8 with the first 4 bytes
}

// Len returns the header length Encode writes.
func (f *IPv6RoutingFields) Len() int { return (ipv6RtData + len(f.Data) + 7) &^ 7 }

// Encode writes the header into b, which must be at least Len bytes. It
// panics if Data is too long for the length field (above 2044 bytes).
func (f *IPv6RoutingFields) Encode(b IPv6Routing) {
	n := f.Len()
	if n/8-1 > 0xff {
		panic("wire: IPv6 routing header too long")
	}
	_ = b[n-1]
	b.SetNextHeader(f.NextHeader)
	b[ipv6RtLen] = uint8(n/8 - 1)
	b.SetRoutingType(f.RoutingType)
	b.SetSegmentsLeft(f.SegmentsLeft)
	c := copy(b[ipv6RtData:n], f.Data)
	clear(b[ipv6RtData+c : n])
}

// IPv6 hop-by-hop and destination option types (RFC 8200 section 4.2).
const (
	IPv6OptPad1        uint8 = 0
	IPv6OptPadN        uint8 = 1
	IPv6OptRouterAlert uint8 = 5    // RFC 2711; MLD relies on it
	IPv6OptJumbo       uint8 = 0xC2 // RFC 2675
)

// Actions for an unrecognised option, from the top two bits of its type
// (RFC 8200 section 4.2). IPv6OptionAction extracts them.
const (
	IPv6OptActionSkip         = 0 // skip over the option
	IPv6OptActionDiscard      = 1 // discard the packet silently
	IPv6OptActionICMP         = 2 // discard, send parameter problem code 2
	IPv6OptActionICMPUnicast  = 3 // the same, unless the destination was multicast
	ipv6OptActionShift        = 6
	ipv6OptHeaderPrefixLength = 2 // next header and length bytes
)

// IPv6OptionAction returns what a node must do with an option type it does
// not recognise.
func IPv6OptionAction(t uint8) int { return int(t >> ipv6OptActionShift) }

// IPv6OptionIter walks the TLV options of a hop-by-hop or destination
// options header without allocating. Pad1 and PadN are yielded like any
// option. An option whose length runs past the header stops the walk with
// ErrBadOption.
type IPv6OptionIter struct {
	b        []byte
	off, end int
	err      error
}

// NewIPv6OptionIter returns an iterator over the options of hdr, a whole
// hop-by-hop or destination options header (as yielded by IPv6ExtIter);
// offsets are relative to hdr, as a parameter problem pointer needs them.
func NewIPv6OptionIter(hdr []byte) IPv6OptionIter {
	start := min(ipv6OptHeaderPrefixLength, len(hdr))
	return IPv6OptionIter{b: hdr, off: start, end: start}
}

// Next advances to the next option and reports whether there is one.
func (it *IPv6OptionIter) Next() bool {
	if it.err != nil || it.end >= len(it.b) {
		return false
	}
	it.off = it.end
	if it.b[it.off] == IPv6OptPad1 {
		it.end++
		return true
	}
	if len(it.b)-it.off < 2 || int(it.b[it.off+1])+2 > len(it.b)-it.off {
		it.err = ErrBadOption
		return false
	}
	it.end = it.off + 2 + int(it.b[it.off+1])
	return true
}

// Type returns the current option's type.
func (it *IPv6OptionIter) Type() uint8 { return it.b[it.off] }

// Data returns the current option's data (empty for Pad1).
func (it *IPv6OptionIter) Data() []byte {
	if it.end-it.off < 2 {
		return nil
	}
	return it.b[it.off+2 : it.end]
}

// Offset returns where the current (or malformed) option starts in hdr.
func (it *IPv6OptionIter) Offset() int { return it.off }

// Err returns ErrBadOption if the walk stopped at a malformed option.
func (it *IPv6OptionIter) Err() error { return it.err }
