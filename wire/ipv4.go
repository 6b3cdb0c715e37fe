package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// IP protocol numbers (the IPv4 protocol field and the IPv6 next header
// field share one registry). They are untyped in spirit but declared as
// uint8 because every header stores them in one byte.
const (
	ProtoIPv6Hop     uint8 = 0
	ProtoICMP        uint8 = 1
	ProtoIGMP        uint8 = 2
	ProtoTCP         uint8 = 6
	ProtoUDP         uint8 = 17
	ProtoIPv6Route   uint8 = 43
	ProtoIPv6Frag    uint8 = 44
	ProtoESP         uint8 = 50
	ProtoAH          uint8 = 51
	ProtoICMPv6      uint8 = 58
	ProtoIPv6NoNext  uint8 = 59
	ProtoIPv6DstOpts uint8 = 60
	ProtoRaw         uint8 = 255
)

// IPv4 header lengths.
const (
	IPv4MinHeaderLen = 20
	IPv4MaxHeaderLen = 60
	// IPv4MaxOptionsLen is the room for options that the 4-bit IHL leaves.
	IPv4MaxOptionsLen = IPv4MaxHeaderLen - IPv4MinHeaderLen
)

// Field offsets of the IPv4 header.
const (
	ipv4VerIHL   = 0
	ipv4TOS      = 1
	ipv4TotalLen = 2
	ipv4ID       = 4
	ipv4FlagsOff = 6
	ipv4TTL      = 8
	ipv4Protocol = 9
	ipv4Checksum = 10
	ipv4Src      = 12
	ipv4Dst      = 16
	ipv4Options  = 20
)

// IPv4 flags, as returned by Flags (the top three bits of the fragment
// field, shifted down).
const (
	IPv4FlagMoreFragments uint8 = 1 << 0
	IPv4FlagDontFragment  uint8 = 1 << 1
	IPv4FlagReserved      uint8 = 1 << 2 // must be zero (RFC 791); RFC 3514 jokes aside
)

// IPv4 is a view of an IPv4 header and its payload.
type IPv4 []byte

// ParseIPv4 validates b as an IPv4 packet and returns the view trimmed to
// the total length, so link-layer padding is not part of Payload. It checks,
// in the order of Linux's ip_rcv_core: version 4 (ErrBadVersion), IHL >= 5
// (ErrBadLength), total length <= len(b) (ErrTruncated), and total length
// >= IHL*4 (ErrBadLength). The header checksum is not checked here; see
// ValidChecksum. Options are checked when iterated.
func ParseIPv4(b []byte) (IPv4, error) {
	if len(b) < IPv4MinHeaderLen {
		return nil, ErrTruncated
	}
	if b[ipv4VerIHL]>>4 != 4 {
		return nil, ErrBadVersion
	}
	hl := int(b[ipv4VerIHL]&0xf) * 4
	if hl < IPv4MinHeaderLen {
		return nil, ErrBadLength
	}
	total := int(binary.BigEndian.Uint16(b[ipv4TotalLen:]))
	if total > len(b) {
		return nil, ErrTruncated
	}
	if total < hl {
		return nil, ErrBadLength
	}
	return IPv4(b[:total]), nil
}

// Version returns the IP version field (4 in a parsed view).
func (h IPv4) Version() uint8 { return h[ipv4VerIHL] >> 4 }

// HeaderLen returns the header length in bytes (IHL*4).
func (h IPv4) HeaderLen() int { return int(h[ipv4VerIHL]&0xf) * 4 }

// TOS returns the type of service byte (DSCP and ECN).
func (h IPv4) TOS() uint8 { return h[ipv4TOS] }

// TotalLen returns the total length field: header plus payload.
func (h IPv4) TotalLen() uint16 { return binary.BigEndian.Uint16(h[ipv4TotalLen:]) }

// ID returns the identification field.
func (h IPv4) ID() uint16 { return binary.BigEndian.Uint16(h[ipv4ID:]) }

// Flags returns the three flag bits (IPv4FlagDontFragment, ...).
func (h IPv4) Flags() uint8 { return h[ipv4FlagsOff] >> 5 }

// DontFragment reports whether DF is set.
func (h IPv4) DontFragment() bool { return h.Flags()&IPv4FlagDontFragment != 0 }

// MoreFragments reports whether MF is set.
func (h IPv4) MoreFragments() bool { return h.Flags()&IPv4FlagMoreFragments != 0 }

// FragmentOffset returns the fragment offset in bytes (the field counts
// 8-byte units).
func (h IPv4) FragmentOffset() uint16 {
	return (binary.BigEndian.Uint16(h[ipv4FlagsOff:]) & 0x1fff) * 8
}

// IsFragment reports whether the packet is part of a fragmented datagram
// (MF set or a non-zero offset), so it must go to reassembly.
func (h IPv4) IsFragment() bool { return h.MoreFragments() || h.FragmentOffset() != 0 }

// TTL returns the time to live.
func (h IPv4) TTL() uint8 { return h[ipv4TTL] }

// Protocol returns the upper-layer protocol number (ProtoTCP, ...).
func (h IPv4) Protocol() uint8 { return h[ipv4Protocol] }

// Checksum returns the header checksum field.
func (h IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(h[ipv4Checksum:]) }

// Src returns the source address.
func (h IPv4) Src() netip.Addr { return netip.AddrFrom4([4]byte(h[ipv4Src : ipv4Src+4])) }

// Dst returns the destination address.
func (h IPv4) Dst() netip.Addr { return netip.AddrFrom4([4]byte(h[ipv4Dst : ipv4Dst+4])) }

// Options returns the options area (possibly empty), including padding.
func (h IPv4) Options() []byte { return h[ipv4Options:h.HeaderLen()] }

// Payload returns the bytes after the header. In a view from ParseIPv4 this
// is exactly the IP payload.
func (h IPv4) Payload() []byte { return h[h.HeaderLen():] }

// OptionIter returns an iterator over the options.
func (h IPv4) OptionIter() IPv4OptionIter { return NewIPv4OptionIter(h.Options()) }

// ValidChecksum reports whether the header checksum is correct.
func (h IPv4) ValidChecksum() bool {
	return FoldChecksum(Checksum(h[:h.HeaderLen()], 0)) == 0
}

// ComputeChecksum returns the header checksum, computed with the checksum
// field taken as zero.
func (h IPv4) ComputeChecksum() uint16 {
	hl := h.HeaderLen()
	return FoldChecksum(Checksum(h[ipv4Checksum+2:hl], Checksum(h[:ipv4Checksum], 0)))
}

// UpdateChecksum recomputes the header checksum and stores it, after the
// header has been built or changed.
func (h IPv4) UpdateChecksum() { h.SetChecksum(h.ComputeChecksum()) }

// SetVersionIHL sets the version to 4 and the header length to hl bytes,
// which must be a multiple of 4 between 20 and 60.
func (h IPv4) SetVersionIHL(hl int) { h[ipv4VerIHL] = 4<<4 | uint8(hl/4)&0xf }

// SetTOS sets the type of service byte.
func (h IPv4) SetTOS(v uint8) { h[ipv4TOS] = v }

// SetTotalLen sets the total length field.
func (h IPv4) SetTotalLen(v uint16) { binary.BigEndian.PutUint16(h[ipv4TotalLen:], v) }

// SetID sets the identification field.
func (h IPv4) SetID(v uint16) { binary.BigEndian.PutUint16(h[ipv4ID:], v) }

// SetFlags sets the three flag bits, keeping the fragment offset.
func (h IPv4) SetFlags(f uint8) { h[ipv4FlagsOff] = h[ipv4FlagsOff]&0x1f | f<<5 }

// SetFragmentOffset sets the fragment offset in bytes (rounded down to a
// multiple of 8), keeping the flags.
func (h IPv4) SetFragmentOffset(off uint16) {
	v := binary.BigEndian.Uint16(h[ipv4FlagsOff:])&0xe000 | (off/8)&0x1fff
	binary.BigEndian.PutUint16(h[ipv4FlagsOff:], v)
}

// SetTTL sets the time to live.
func (h IPv4) SetTTL(v uint8) { h[ipv4TTL] = v }

// SetProtocol sets the upper-layer protocol number.
func (h IPv4) SetProtocol(v uint8) { h[ipv4Protocol] = v }

// SetChecksum sets the header checksum field.
func (h IPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(h[ipv4Checksum:], v) }

// SetSrc sets the source address; a must be IPv4.
func (h IPv4) SetSrc(a netip.Addr) { putAddr4(h[ipv4Src:], a) }

// SetDst sets the destination address; a must be IPv4.
func (h IPv4) SetDst(a netip.Addr) { putAddr4(h[ipv4Dst:], a) }

// Fields returns the header as a field struct. Options aliases the view.
func (h IPv4) Fields() IPv4Fields {
	return IPv4Fields{
		TOS: h.TOS(), TotalLen: h.TotalLen(), ID: h.ID(), Flags: h.Flags(),
		FragmentOffset: h.FragmentOffset(), TTL: h.TTL(), Protocol: h.Protocol(),
		Src: h.Src(), Dst: h.Dst(), Options: h.Options(),
	}
}

// String prints the packet as tcpdump does, e.g.
// "IP 192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535, length 0".
func (h IPv4) String() string {
	var sb strings.Builder
	sb.WriteString("IP ")
	if h.FragmentOffset() != 0 {
		fmt.Fprintf(&sb, "%s > %s: ", h.Src(), h.Dst())
		fmt.Fprintf(&sb, "%s, frag (id %d, offset %d, length %d%s)", protoName(h.Protocol()),
			h.ID(), h.FragmentOffset(), len(h.Payload()), plusIf(h.MoreFragments()))
		return sb.String()
	}
	writeUpper(&sb, h.Protocol(), h.Src(), h.Dst(), h.Payload())
	return sb.String()
}

// writeUpper prints "src > dst: upper" for an IPv4 or IPv6 payload, with
// ports attached to the addresses for TCP and UDP, as tcpdump does.
func writeUpper(sb *strings.Builder, proto uint8, src, dst netip.Addr, p []byte) {
	switch proto {
	case ProtoTCP:
		if t, err := ParseTCP(p); err == nil {
			sb.WriteString(t.Format(src, dst))
			return
		}
	case ProtoUDP:
		if u, err := ParseUDP(p); err == nil {
			sb.WriteString(u.Format(src, dst))
			return
		}
	case ProtoICMP:
		if c, err := ParseICMPv4(p); err == nil {
			fmt.Fprintf(sb, "%s > %s: %s", src, dst, c)
			return
		}
	case ProtoICMPv6:
		if c, err := ParseICMPv6(p); err == nil {
			fmt.Fprintf(sb, "%s > %s: %s", src, dst, c)
			return
		}
	}
	fmt.Fprintf(sb, "%s > %s: %s, length %d", src, dst, protoName(proto), len(p))
}

// plusIf returns ", +" when more fragments follow, as tcpdump marks them.
func plusIf(more bool) string {
	if more {
		return ", +"
	}
	return ""
}

// protoName names an IP protocol for printing, as tcpdump does for the
// ones it cannot decode.
func protoName(p uint8) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "ICMP"
	case ProtoICMPv6:
		return "ICMP6"
	case ProtoIGMP:
		return "igmp"
	case ProtoESP:
		return "ESP"
	case ProtoAH:
		return "AH"
	case ProtoIPv6NoNext:
		return "no next header"
	}
	return fmt.Sprintf("ip-proto-%d", p)
}

// IPv4Fields describes an IPv4 header for building.
type IPv4Fields struct {
	TOS      uint8
	TotalLen uint16 // header plus payload; the builder knows the payload
	ID       uint16
	Flags    uint8 // IPv4FlagDontFragment | IPv4FlagMoreFragments
	// FragmentOffset is in bytes and must be a multiple of 8.
	FragmentOffset uint16
	TTL            uint8
	Protocol       uint8
	Src, Dst       netip.Addr // IPv4 only
	// Options are copied after the fixed header and padded with EOL to a
	// multiple of 4 bytes. At most IPv4MaxOptionsLen bytes.
	Options []byte
}

// Len returns the header length Encode writes: 20 plus the padded options.
func (f *IPv4Fields) Len() int { return IPv4MinHeaderLen + (len(f.Options)+3)&^3 }

// Encode writes the header into b, which must be at least Len bytes, and
// then computes the header checksum, which depends on nothing else. It
// panics if Options are longer than IPv4MaxOptionsLen, since IHL could not
// express the length.
func (f *IPv4Fields) Encode(b IPv4) {
	if len(f.Options) > IPv4MaxOptionsLen {
		panic("wire: IPv4 options longer than 40 bytes")
	}
	hl := f.Len()
	_ = b[hl-1]
	b.SetVersionIHL(hl)
	b.SetTOS(f.TOS)
	b.SetTotalLen(f.TotalLen)
	b.SetID(f.ID)
	binary.BigEndian.PutUint16(b[ipv4FlagsOff:], uint16(f.Flags&7)<<13|(f.FragmentOffset/8)&0x1fff)
	b.SetTTL(f.TTL)
	b.SetProtocol(f.Protocol)
	b.SetChecksum(0)
	b.SetSrc(f.Src)
	b.SetDst(f.Dst)
	n := copy(b[ipv4Options:], f.Options)
	clear(b[ipv4Options+n : hl])
	b.UpdateChecksum()
}

// IPv4 option types (RFC 791, RFC 2113). The top bit of a type is the
// "copied" flag: the option is repeated in every fragment.
const (
	IPv4OptEOL   uint8 = 0
	IPv4OptNOP   uint8 = 1
	IPv4OptRR    uint8 = 7   // record route
	IPv4OptTS    uint8 = 68  // timestamp
	IPv4OptSEC   uint8 = 130 // security (RFC 1108)
	IPv4OptLSRR  uint8 = 131 // loose source and record route
	IPv4OptCIPSO uint8 = 134
	IPv4OptSSRR  uint8 = 137 // strict source and record route
	IPv4OptRA    uint8 = 148 // router alert
)

// IPv4 timestamp option flags (the low nibble of its fourth byte).
const (
	IPv4OptTSOnly    = 0
	IPv4OptTSAddr    = 1
	IPv4OptTSPrespec = 3
)

// IPv4OptionIter walks IPv4 options without allocating. NOP and EOL are
// yielded like other options (printing and fragmenting need them); EOL is
// the last one yielded, since the bytes after it are padding. Each option's length is validated before it
// is yielded, with the structural rules of Linux's ip_options_compile:
// length >= 2 and within the area; RR, LSRR and SSRR at least 3 bytes with
// a pointer >= 4 that leaves room for a whole address; TS at least 4 bytes
// with a pointer >= 5, a known flag and room for its entry; RA at least 4
// bytes. A violation stops the walk with ErrBadOption, and Offset then
// tells where the bad option starts (for an ICMP parameter problem).
type IPv4OptionIter struct {
	b        []byte
	off, end int // current option is b[off:end]
	done     bool
	err      error
}

// NewIPv4OptionIter returns an iterator over the options area b.
func NewIPv4OptionIter(b []byte) IPv4OptionIter { return IPv4OptionIter{b: b} }

// Next advances to the next option and reports whether there is one. It
// returns false at the end, after EOL, or on a malformed option (see Err).
func (it *IPv4OptionIter) Next() bool {
	if it.done || it.err != nil {
		return false
	}
	it.off = it.end
	if it.off >= len(it.b) {
		it.done = true
		return false
	}
	rest := it.b[it.off:]
	switch rest[0] {
	case IPv4OptEOL:
		it.done = true
		it.end = it.off + 1
		return true
	case IPv4OptNOP:
		it.end = it.off + 1
		return true
	}
	if len(rest) < 2 || rest[1] < 2 || int(rest[1]) > len(rest) {
		return it.fail()
	}
	opt := rest[:rest[1]]
	switch opt[0] {
	case IPv4OptRR, IPv4OptLSRR, IPv4OptSSRR:
		if len(opt) < 3 || opt[2] < 4 || (int(opt[2]) <= len(opt) && int(opt[2])+3 > len(opt)) {
			return it.fail()
		}
	case IPv4OptTS:
		if len(opt) < 4 || opt[2] < 5 {
			return it.fail()
		}
		if int(opt[2]) <= len(opt) {
			switch opt[3] & 0xf {
			case IPv4OptTSOnly:
				if int(opt[2])+3 > len(opt) {
					return it.fail()
				}
			case IPv4OptTSAddr, IPv4OptTSPrespec:
				if int(opt[2])+7 > len(opt) {
					return it.fail()
				}
			default:
				return it.fail()
			}
		}
	case IPv4OptRA:
		if len(opt) < 4 {
			return it.fail()
		}
	}
	it.end = it.off + len(opt)
	return true
}

func (it *IPv4OptionIter) fail() bool {
	it.err = ErrBadOption
	return false
}

// Type returns the current option's type.
func (it *IPv4OptionIter) Type() uint8 { return it.b[it.off] }

// Option returns the current option, type and length bytes included.
func (it *IPv4OptionIter) Option() []byte { return it.b[it.off:it.end] }

// Data returns the current option's bytes after its type and length
// (empty for NOP and EOL).
func (it *IPv4OptionIter) Data() []byte {
	if it.end-it.off < 2 {
		return nil
	}
	return it.b[it.off+2 : it.end]
}

// Offset returns where the current option, or the malformed one after an
// error, starts within the options area.
func (it *IPv4OptionIter) Offset() int { return it.off }

// Err returns ErrBadOption if the walk stopped at a malformed option.
func (it *IPv4OptionIter) Err() error { return it.err }
