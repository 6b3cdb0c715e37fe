package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// NDP message views (RFC 4861). Each covers a whole ICMPv6 message, from
// the type byte, so offsets match the RFC's diagrams and ICMPv6(view) gives
// the header accessors and checksum helpers. ParseNDPX checks the length
// of the fixed part and the ICMPv6 type (ErrBadHeader for another type).
// The other validity rules of RFC 4861 (hop limit 255, code 0, target not
// multicast, ...) are the NDP layer's, which must count each one.

// Lengths of the fixed parts of NDP messages, ICMPv6 header included.
const (
	NDPRouterSolicitLen   = 8
	NDPRouterAdvertLen    = 16
	NDPNeighborSolicitLen = 24
	NDPNeighborAdvertLen  = 24
	NDPRedirectLen        = 40
)

// Field offsets of NDP messages.
const (
	ndpTarget        = 8  // NS, NA, redirect
	ndpRedirectDest  = 24 // redirect
	ndpNAFlags       = 4
	ndpRACurHopLimit = 4
	ndpRAFlags       = 5
	ndpRALifetime    = 6
	ndpRAReachable   = 8
	ndpRARetrans     = 12
)

// Neighbor advertisement flags (the byte at offset 4).
const (
	NDPFlagRouter    uint8 = 0x80
	NDPFlagSolicited uint8 = 0x40
	NDPFlagOverride  uint8 = 0x20
)

// Router advertisement flags (the byte at offset 5).
const (
	NDPRAFlagManaged   uint8 = 0x80 // addresses from DHCPv6
	NDPRAFlagOther     uint8 = 0x40 // other configuration from DHCPv6
	NDPRAFlagHomeAgent uint8 = 0x20 // RFC 6275
	NDPRAFlagPrfMask   uint8 = 0x18 // default router preference (RFC 4191)
	NDPRAFlagProxy     uint8 = 0x04 // RFC 4389
)

// parseNDP checks the length and type shared by all NDP parsers.
func parseNDP(b []byte, n int, t ICMPv6Type) error {
	if len(b) < n {
		return ErrTruncated
	}
	if ICMPv6Type(b[icmpv6Type]) != t {
		return ErrBadHeader
	}
	return nil
}

// encodeNDP writes the ICMPv6 header of an NDP message, the reserved word
// and the options, and returns the message length.
func encodeNDP(b []byte, t ICMPv6Type, fixed int, opts []byte) int {
	n := fixed + len(opts)
	_ = b[n-1]
	b[icmpv6Type], b[icmpv6Code] = uint8(t), 0
	clear(b[icmpv6Checksum:fixed])
	copy(b[fixed:n], opts)
	return n
}

func addr16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b[:16])) }

// NDPRouterSolicit is a view of a router solicitation.
type NDPRouterSolicit []byte

// ParseNDPRouterSolicit validates b as a router solicitation.
func ParseNDPRouterSolicit(b []byte) (NDPRouterSolicit, error) {
	if err := parseNDP(b, NDPRouterSolicitLen, ICMPv6RouterSolicit); err != nil {
		return nil, err
	}
	return NDPRouterSolicit(b), nil
}

// Options returns the options area.
func (h NDPRouterSolicit) Options() []byte { return h[NDPRouterSolicitLen:] }

// OptionIter returns an iterator over the options.
func (h NDPRouterSolicit) OptionIter() NDPOptionIter { return NewNDPOptionIter(h.Options()) }

// Fields returns the message as a field struct. Options aliases the view.
func (h NDPRouterSolicit) Fields() NDPRouterSolicitFields {
	return NDPRouterSolicitFields{Options: h.Options()}
}

// String prints the message as tcpdump does.
func (h NDPRouterSolicit) String() string { return ICMPv6(h).String() }

// NDPRouterSolicitFields describes a router solicitation for building.
type NDPRouterSolicitFields struct {
	Options []byte // encoded options, a multiple of 8 bytes
}

// Len returns the message length Encode writes.
func (f *NDPRouterSolicitFields) Len() int { return NDPRouterSolicitLen + len(f.Options) }

// Encode writes the message into b, which must be at least Len bytes, with
// a zero checksum.
func (f *NDPRouterSolicitFields) Encode(b NDPRouterSolicit) {
	encodeNDP(b, ICMPv6RouterSolicit, NDPRouterSolicitLen, f.Options)
}

// NDPRouterAdvert is a view of a router advertisement.
type NDPRouterAdvert []byte

// ParseNDPRouterAdvert validates b as a router advertisement.
func ParseNDPRouterAdvert(b []byte) (NDPRouterAdvert, error) {
	if err := parseNDP(b, NDPRouterAdvertLen, ICMPv6RouterAdvert); err != nil {
		return nil, err
	}
	return NDPRouterAdvert(b), nil
}

// CurHopLimit returns the hop limit hosts should use (0: unspecified).
func (h NDPRouterAdvert) CurHopLimit() uint8 { return h[ndpRACurHopLimit] }

// Flags returns the flag byte (NDPRAFlagManaged, ...).
func (h NDPRouterAdvert) Flags() uint8 { return h[ndpRAFlags] }

// RouterLifetime returns the default router lifetime in seconds; 0 means
// the sender is not a default router.
func (h NDPRouterAdvert) RouterLifetime() uint16 { return binary.BigEndian.Uint16(h[ndpRALifetime:]) }

// ReachableTime returns the reachable time in milliseconds (0: unspecified).
func (h NDPRouterAdvert) ReachableTime() uint32 { return binary.BigEndian.Uint32(h[ndpRAReachable:]) }

// RetransTimer returns the retransmission timer in milliseconds.
func (h NDPRouterAdvert) RetransTimer() uint32 { return binary.BigEndian.Uint32(h[ndpRARetrans:]) }

// Options returns the options area.
func (h NDPRouterAdvert) Options() []byte { return h[NDPRouterAdvertLen:] }

// OptionIter returns an iterator over the options.
func (h NDPRouterAdvert) OptionIter() NDPOptionIter { return NewNDPOptionIter(h.Options()) }

// Fields returns the message as a field struct. Options aliases the view.
func (h NDPRouterAdvert) Fields() NDPRouterAdvertFields {
	return NDPRouterAdvertFields{CurHopLimit: h.CurHopLimit(), Flags: h.Flags(),
		RouterLifetime: h.RouterLifetime(), ReachableTime: h.ReachableTime(),
		RetransTimer: h.RetransTimer(), Options: h.Options()}
}

// String prints the message like tcpdump -v does, in one line.
func (h NDPRouterAdvert) String() string {
	return fmt.Sprintf("ICMP6, router advertisement, hop limit %d, flags 0x%02x, router lifetime %ds, reachable time %dms, retrans timer %dms, length %d",
		h.CurHopLimit(), h.Flags(), h.RouterLifetime(), h.ReachableTime(), h.RetransTimer(), len(h))
}

// NDPRouterAdvertFields describes a router advertisement for building.
type NDPRouterAdvertFields struct {
	CurHopLimit    uint8
	Flags          uint8
	RouterLifetime uint16 // seconds
	ReachableTime  uint32 // milliseconds
	RetransTimer   uint32 // milliseconds
	Options        []byte // encoded options, a multiple of 8 bytes
}

// Len returns the message length Encode writes.
func (f *NDPRouterAdvertFields) Len() int { return NDPRouterAdvertLen + len(f.Options) }

// Encode writes the message into b, which must be at least Len bytes, with
// a zero checksum.
func (f *NDPRouterAdvertFields) Encode(b NDPRouterAdvert) {
	encodeNDP(b, ICMPv6RouterAdvert, NDPRouterAdvertLen, f.Options)
	b[ndpRACurHopLimit] = f.CurHopLimit
	b[ndpRAFlags] = f.Flags
	binary.BigEndian.PutUint16(b[ndpRALifetime:], f.RouterLifetime)
	binary.BigEndian.PutUint32(b[ndpRAReachable:], f.ReachableTime)
	binary.BigEndian.PutUint32(b[ndpRARetrans:], f.RetransTimer)
}

// NDPNeighborSolicit is a view of a neighbor solicitation.
type NDPNeighborSolicit []byte

// ParseNDPNeighborSolicit validates b as a neighbor solicitation.
func ParseNDPNeighborSolicit(b []byte) (NDPNeighborSolicit, error) {
	if err := parseNDP(b, NDPNeighborSolicitLen, ICMPv6NeighborSolicit); err != nil {
		return nil, err
	}
	return NDPNeighborSolicit(b), nil
}

// Target returns the address being resolved.
func (h NDPNeighborSolicit) Target() netip.Addr { return addr16(h[ndpTarget:]) }

// SetTarget sets the target address.
func (h NDPNeighborSolicit) SetTarget(a netip.Addr) { putAddr16(h[ndpTarget:], a) }

// Options returns the options area.
func (h NDPNeighborSolicit) Options() []byte { return h[NDPNeighborSolicitLen:] }

// OptionIter returns an iterator over the options.
func (h NDPNeighborSolicit) OptionIter() NDPOptionIter { return NewNDPOptionIter(h.Options()) }

// Fields returns the message as a field struct. Options aliases the view.
func (h NDPNeighborSolicit) Fields() NDPNeighborSolicitFields {
	return NDPNeighborSolicitFields{Target: h.Target(), Options: h.Options()}
}

// String prints the message as tcpdump does.
func (h NDPNeighborSolicit) String() string { return ICMPv6(h).String() }

// NDPNeighborSolicitFields describes a neighbor solicitation for building.
type NDPNeighborSolicitFields struct {
	Target  netip.Addr
	Options []byte // encoded options, a multiple of 8 bytes
}

// Len returns the message length Encode writes.
func (f *NDPNeighborSolicitFields) Len() int { return NDPNeighborSolicitLen + len(f.Options) }

// Encode writes the message into b, which must be at least Len bytes, with
// a zero checksum.
func (f *NDPNeighborSolicitFields) Encode(b NDPNeighborSolicit) {
	encodeNDP(b, ICMPv6NeighborSolicit, NDPNeighborSolicitLen, f.Options)
	b.SetTarget(f.Target)
}

// NDPNeighborAdvert is a view of a neighbor advertisement.
type NDPNeighborAdvert []byte

// ParseNDPNeighborAdvert validates b as a neighbor advertisement.
func ParseNDPNeighborAdvert(b []byte) (NDPNeighborAdvert, error) {
	if err := parseNDP(b, NDPNeighborAdvertLen, ICMPv6NeighborAdvert); err != nil {
		return nil, err
	}
	return NDPNeighborAdvert(b), nil
}

// Flags returns the flag byte (NDPFlagRouter, NDPFlagSolicited,
// NDPFlagOverride).
func (h NDPNeighborAdvert) Flags() uint8 { return h[ndpNAFlags] }

// Router reports whether the R flag is set: the sender is a router.
func (h NDPNeighborAdvert) Router() bool { return h.Flags()&NDPFlagRouter != 0 }

// Solicited reports whether the S flag is set: this answers a solicitation.
func (h NDPNeighborAdvert) Solicited() bool { return h.Flags()&NDPFlagSolicited != 0 }

// Override reports whether the O flag is set: replace a cached address.
func (h NDPNeighborAdvert) Override() bool { return h.Flags()&NDPFlagOverride != 0 }

// Target returns the address being advertised.
func (h NDPNeighborAdvert) Target() netip.Addr { return addr16(h[ndpTarget:]) }

// SetFlags sets the flag byte.
func (h NDPNeighborAdvert) SetFlags(f uint8) { h[ndpNAFlags] = f }

// SetTarget sets the target address.
func (h NDPNeighborAdvert) SetTarget(a netip.Addr) { putAddr16(h[ndpTarget:], a) }

// Options returns the options area.
func (h NDPNeighborAdvert) Options() []byte { return h[NDPNeighborAdvertLen:] }

// OptionIter returns an iterator over the options.
func (h NDPNeighborAdvert) OptionIter() NDPOptionIter { return NewNDPOptionIter(h.Options()) }

// Fields returns the message as a field struct. Options aliases the view.
func (h NDPNeighborAdvert) Fields() NDPNeighborAdvertFields {
	return NDPNeighborAdvertFields{Flags: h.Flags(), Target: h.Target(), Options: h.Options()}
}

// String prints the message as tcpdump does, with the flags tcpdump -v
// shows.
func (h NDPNeighborAdvert) String() string {
	return fmt.Sprintf("ICMP6, neighbor advertisement, tgt is %s, Flags [%s], length %d", h.Target(), naFlagNames(h.Flags()), len(h))
}

func naFlagNames(f uint8) string {
	s := ""
	for _, n := range [...]struct {
		f    uint8
		name string
	}{{NDPFlagRouter, "router"}, {NDPFlagSolicited, "solicited"}, {NDPFlagOverride, "override"}} {
		if f&n.f != 0 {
			if s != "" {
				s += ", "
			}
			s += n.name
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// NDPNeighborAdvertFields describes a neighbor advertisement for building.
type NDPNeighborAdvertFields struct {
	Flags   uint8 // NDPFlagRouter | NDPFlagSolicited | NDPFlagOverride
	Target  netip.Addr
	Options []byte // encoded options, a multiple of 8 bytes
}

// Len returns the message length Encode writes.
func (f *NDPNeighborAdvertFields) Len() int { return NDPNeighborAdvertLen + len(f.Options) }

// Encode writes the message into b, which must be at least Len bytes, with
// a zero checksum.
func (f *NDPNeighborAdvertFields) Encode(b NDPNeighborAdvert) {
	encodeNDP(b, ICMPv6NeighborAdvert, NDPNeighborAdvertLen, f.Options)
	b.SetFlags(f.Flags)
	b.SetTarget(f.Target)
}

// NDPRedirect is a view of a redirect message.
type NDPRedirect []byte

// ParseNDPRedirect validates b as a redirect.
func ParseNDPRedirect(b []byte) (NDPRedirect, error) {
	if err := parseNDP(b, NDPRedirectLen, ICMPv6Redirect); err != nil {
		return nil, err
	}
	return NDPRedirect(b), nil
}

// Target returns the better first hop (or the destination itself when it
// is on-link).
func (h NDPRedirect) Target() netip.Addr { return addr16(h[ndpTarget:]) }

// Dest returns the destination being redirected.
func (h NDPRedirect) Dest() netip.Addr { return addr16(h[ndpRedirectDest:]) }

// Options returns the options area.
func (h NDPRedirect) Options() []byte { return h[NDPRedirectLen:] }

// OptionIter returns an iterator over the options.
func (h NDPRedirect) OptionIter() NDPOptionIter { return NewNDPOptionIter(h.Options()) }

// Fields returns the message as a field struct. Options aliases the view.
func (h NDPRedirect) Fields() NDPRedirectFields {
	return NDPRedirectFields{Target: h.Target(), Dest: h.Dest(), Options: h.Options()}
}

// String prints the message as tcpdump does.
func (h NDPRedirect) String() string { return ICMPv6(h).String() }

// NDPRedirectFields describes a redirect for building.
type NDPRedirectFields struct {
	Target, Dest netip.Addr
	Options      []byte // encoded options, a multiple of 8 bytes
}

// Len returns the message length Encode writes.
func (f *NDPRedirectFields) Len() int { return NDPRedirectLen + len(f.Options) }

// Encode writes the message into b, which must be at least Len bytes, with
// a zero checksum.
func (f *NDPRedirectFields) Encode(b NDPRedirect) {
	encodeNDP(b, ICMPv6Redirect, NDPRedirectLen, f.Options)
	putAddr16(b[ndpTarget:], f.Target)
	putAddr16(b[ndpRedirectDest:], f.Dest)
}

// NDP option types (RFC 4861 and later).
const (
	NDPOptSourceLinkAddr uint8 = 1
	NDPOptTargetLinkAddr uint8 = 2
	NDPOptPrefixInfo     uint8 = 3
	NDPOptRedirected     uint8 = 4
	NDPOptMTU            uint8 = 5
	NDPOptNonce          uint8 = 14 // RFC 3971, used by DAD (RFC 7527)
	NDPOptRouteInfo      uint8 = 24 // RFC 4191
	NDPOptRDNSS          uint8 = 25 // RFC 8106
	NDPOptDNSSL          uint8 = 31 // RFC 8106
	NDPOptCaptivePortal  uint8 = 37 // RFC 8910
	NDPOptPREF64         uint8 = 38 // RFC 8781
)

// Lengths of NDP options with a fixed size, type and length bytes included.
const (
	NDPLinkAddrOptionLen   = 8 // for Ethernet addresses
	NDPMTUOptionLen        = 8
	NDPPrefixInfoOptionLen = 32
	ndpOptUnit             = 8
)

// NDPOptionIter walks NDP options without allocating. Each option's length
// (in units of 8 bytes) is validated before it is yielded: zero is an error
// (RFC 4861 4.6: "nodes MUST silently discard an ND packet that contains an
// option with length zero"), and so is a length that runs past the end;
// both stop the walk with ErrBadOption. Typed accessors (LinkAddr, MTU,
// PrefixInfo) also check the length their type requires.
type NDPOptionIter struct {
	b        []byte
	off, end int
	err      error
}

// NewNDPOptionIter returns an iterator over the options area b.
func NewNDPOptionIter(b []byte) NDPOptionIter { return NDPOptionIter{b: b} }

// Next advances to the next option and reports whether there is one.
func (it *NDPOptionIter) Next() bool {
	if it.err != nil || it.end >= len(it.b) {
		return false
	}
	it.off = it.end
	rest := it.b[it.off:]
	if len(rest) < 2 || rest[1] == 0 || int(rest[1])*ndpOptUnit > len(rest) {
		it.err = ErrBadOption
		return false
	}
	it.end = it.off + int(rest[1])*ndpOptUnit
	return true
}

// Type returns the current option's type.
func (it *NDPOptionIter) Type() uint8 { return it.b[it.off] }

// Option returns the current option, type and length bytes included.
func (it *NDPOptionIter) Option() []byte { return it.b[it.off:it.end] }

// Data returns the current option's bytes after its type and length.
func (it *NDPOptionIter) Data() []byte { return it.b[it.off+2 : it.end] }

// Offset returns where the current (or malformed) option starts.
func (it *NDPOptionIter) Offset() int { return it.off }

// Err returns ErrBadOption if the walk stopped at a malformed option.
func (it *NDPOptionIter) Err() error { return it.err }

// LinkAddr returns the MAC address of a source or target link-layer
// address option. It reports false for other types and for lengths other
// than the 8 bytes an Ethernet address takes, which Linux's
// ndisc_opt_addr_data rejects too.
func (it *NDPOptionIter) LinkAddr() (MAC, bool) {
	t, o := it.Type(), it.Option()
	if (t != NDPOptSourceLinkAddr && t != NDPOptTargetLinkAddr) || len(o) != NDPLinkAddrOptionLen {
		return MAC{}, false
	}
	return MAC(o[2:8]), true
}

// MTU returns the value of an MTU option, reporting false for other types
// and wrong lengths.
func (it *NDPOptionIter) MTU() (uint32, bool) {
	o := it.Option()
	if it.Type() != NDPOptMTU || len(o) != NDPMTUOptionLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(o[4:]), true
}

// PrefixInfo returns a prefix information option, reporting false for
// other types and wrong lengths.
func (it *NDPOptionIter) PrefixInfo() (NDPPrefixInfo, bool) {
	o := it.Option()
	if it.Type() != NDPOptPrefixInfo || len(o) != NDPPrefixInfoOptionLen {
		return nil, false
	}
	return NDPPrefixInfo(o), true
}

// PutNDPLinkAddrOption writes a source (NDPOptSourceLinkAddr) or target
// (NDPOptTargetLinkAddr) link-layer address option for Ethernet into b and
// returns its length, NDPLinkAddrOptionLen.
func PutNDPLinkAddrOption(b []byte, typ uint8, m MAC) int {
	_ = b[NDPLinkAddrOptionLen-1]
	b[0], b[1] = typ, NDPLinkAddrOptionLen/ndpOptUnit
	copy(b[2:8], m[:])
	return NDPLinkAddrOptionLen
}

// PutNDPMTUOption writes an MTU option into b and returns its length,
// NDPMTUOptionLen.
func PutNDPMTUOption(b []byte, mtu uint32) int {
	_ = b[NDPMTUOptionLen-1]
	b[0], b[1], b[2], b[3] = NDPOptMTU, NDPMTUOptionLen/ndpOptUnit, 0, 0
	binary.BigEndian.PutUint32(b[4:], mtu)
	return NDPMTUOptionLen
}

// Field offsets of the prefix information option.
const (
	ndpPIPrefixLen = 2
	ndpPIFlags     = 3
	ndpPIValid     = 4
	ndpPIPreferred = 8
	ndpPIPrefix    = 16
)

// Prefix information flags.
const (
	NDPPrefixFlagOnLink     uint8 = 0x80 // L
	NDPPrefixFlagAutonomous uint8 = 0x40 // A: usable for SLAAC
	NDPPrefixFlagRouterAddr uint8 = 0x20 // R (RFC 6275)
)

// NDPPrefixInfo is a view of a prefix information option, as returned by
// NDPOptionIter.PrefixInfo, which has checked its 32-byte length.
type NDPPrefixInfo []byte

// PrefixLength returns the prefix length in bits.
func (h NDPPrefixInfo) PrefixLength() uint8 { return h[ndpPIPrefixLen] }

// Flags returns the flag byte (NDPPrefixFlagOnLink, ...).
func (h NDPPrefixInfo) Flags() uint8 { return h[ndpPIFlags] }

// OnLink reports whether the L flag is set.
func (h NDPPrefixInfo) OnLink() bool { return h.Flags()&NDPPrefixFlagOnLink != 0 }

// Autonomous reports whether the A flag is set.
func (h NDPPrefixInfo) Autonomous() bool { return h.Flags()&NDPPrefixFlagAutonomous != 0 }

// ValidLifetime returns the valid lifetime in seconds (0xffffffff: forever).
func (h NDPPrefixInfo) ValidLifetime() uint32 { return binary.BigEndian.Uint32(h[ndpPIValid:]) }

// PreferredLifetime returns the preferred lifetime in seconds.
func (h NDPPrefixInfo) PreferredLifetime() uint32 {
	return binary.BigEndian.Uint32(h[ndpPIPreferred:])
}

// Addr returns the prefix address field as sent (bits past the prefix
// length may be set; Prefix masks them).
func (h NDPPrefixInfo) Addr() netip.Addr { return addr16(h[ndpPIPrefix:]) }

// Prefix returns the prefix, masked; it is invalid (IsValid false) if the
// prefix length exceeds 128.
func (h NDPPrefixInfo) Prefix() netip.Prefix {
	p, err := h.Addr().Prefix(int(h.PrefixLength()))
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// Fields returns the option as a field struct.
func (h NDPPrefixInfo) Fields() NDPPrefixInfoFields {
	return NDPPrefixInfoFields{PrefixLength: h.PrefixLength(), Flags: h.Flags(),
		ValidLifetime: h.ValidLifetime(), PreferredLifetime: h.PreferredLifetime(), Prefix: h.Addr()}
}

// String prints the option as tcpdump -v does.
func (h NDPPrefixInfo) String() string {
	return fmt.Sprintf("prefix info: %s/%d, flags 0x%02x, valid time %ds, pref. time %ds",
		h.Addr(), h.PrefixLength(), h.Flags(), h.ValidLifetime(), h.PreferredLifetime())
}

// NDPPrefixInfoFields describes a prefix information option for building.
type NDPPrefixInfoFields struct {
	PrefixLength      uint8
	Flags             uint8
	ValidLifetime     uint32
	PreferredLifetime uint32
	Prefix            netip.Addr
}

// Len returns NDPPrefixInfoOptionLen.
func (f *NDPPrefixInfoFields) Len() int { return NDPPrefixInfoOptionLen }

// Encode writes the option into b, which must be at least Len bytes.
func (f *NDPPrefixInfoFields) Encode(b NDPPrefixInfo) {
	_ = b[NDPPrefixInfoOptionLen-1]
	b[0], b[1] = NDPOptPrefixInfo, NDPPrefixInfoOptionLen/ndpOptUnit
	b[ndpPIPrefixLen], b[ndpPIFlags] = f.PrefixLength, f.Flags
	binary.BigEndian.PutUint32(b[ndpPIValid:], f.ValidLifetime)
	binary.BigEndian.PutUint32(b[ndpPIPreferred:], f.PreferredLifetime)
	clear(b[ndpPIPreferred+4 : ndpPIPrefix])
	putAddr16(b[ndpPIPrefix:], f.Prefix)
}
