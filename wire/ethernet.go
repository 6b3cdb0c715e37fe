package wire

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// MAC is a 48-bit IEEE 802 MAC address. It is an array, not a slice, so it
// is comparable and can key neighbour tables directly.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff, the destination of ARP requests.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// String formats m as six lower-case hex pairs separated by colons, as
// ip-link(8) and tcpdump print it.
func (m MAC) String() string {
	const hex = "0123456789abcdef"
	var b [17]byte
	for i, v := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hex[v>>4]
		b[i*3+1] = hex[v&0xf]
	}
	return string(b[:])
}

// IsMulticast reports whether the group bit is set (broadcast included),
// which decides whether a frame is for one host or many.
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// EtherType is the 16-bit protocol identifier of an Ethernet frame.
type EtherType uint16

// EtherTypes that gosock handles.
const (
	EtherTypeIPv4 EtherType = 0x0800
	EtherTypeARP  EtherType = 0x0806
	EtherTypeVLAN EtherType = 0x8100
	EtherTypeIPv6 EtherType = 0x86DD
)

// String names t as tcpdump does ("IPv4", "ARP", "IPv6", "802.1Q"), or
// prints it in hex.
func (t EtherType) String() string {
	switch t {
	case EtherTypeIPv4:
		return "IPv4"
	case EtherTypeARP:
		return "ARP"
	case EtherTypeVLAN:
		return "802.1Q"
	case EtherTypeIPv6:
		return "IPv6"
	}
	return fmt.Sprintf("0x%04x", uint16(t))
}

// EthernetHeaderLen is the length of an untagged Ethernet II header.
const EthernetHeaderLen = 14

// Field offsets of the Ethernet II header.
const (
	ethDst  = 0
	ethSrc  = 6
	ethType = 12
)

// Ethernet is a view of an Ethernet II frame (without the FCS, which no
// device hands to software).
type Ethernet []byte

// ParseEthernet validates that b holds an Ethernet header and returns the
// view. The frame is not trimmed: Ethernet has no length field, so minimum
// frame padding stays in Payload and the IP layer trims it.
func ParseEthernet(b []byte) (Ethernet, error) {
	if len(b) < EthernetHeaderLen {
		return nil, ErrTruncated
	}
	return Ethernet(b), nil
}

// Dst returns the destination MAC address.
func (h Ethernet) Dst() MAC { return MAC(h[ethDst : ethDst+6]) }

// Src returns the source MAC address.
func (h Ethernet) Src() MAC { return MAC(h[ethSrc : ethSrc+6]) }

// Type returns the EtherType.
func (h Ethernet) Type() EtherType { return EtherType(binary.BigEndian.Uint16(h[ethType:])) }

// Payload returns the bytes after the header.
func (h Ethernet) Payload() []byte { return h[EthernetHeaderLen:] }

// SetDst sets the destination MAC address.
func (h Ethernet) SetDst(m MAC) { copy(h[ethDst:], m[:]) }

// SetSrc sets the source MAC address.
func (h Ethernet) SetSrc(m MAC) { copy(h[ethSrc:], m[:]) }

// SetType sets the EtherType.
func (h Ethernet) SetType(t EtherType) { binary.BigEndian.PutUint16(h[ethType:], uint16(t)) }

// Fields returns the header as a field struct.
func (h Ethernet) Fields() EthernetFields {
	return EthernetFields{Dst: h.Dst(), Src: h.Src(), Type: h.Type()}
}

// String prints the frame like tcpdump -e: the link header, then the
// payload's one-liner when it is IPv4, IPv6 or ARP.
func (h Ethernet) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s > %s, ethertype %s (0x%04x), length %d", h.Src(), h.Dst(), h.Type(), uint16(h.Type()), len(h))
	var inner string
	switch h.Type() {
	case EtherTypeIPv4:
		if ip, err := ParseIPv4(h.Payload()); err == nil {
			inner = ip.String()
		} else {
			inner = "IP [|ip]"
		}
	case EtherTypeIPv6:
		if ip, err := ParseIPv6(h.Payload()); err == nil {
			inner = ip.String()
		} else {
			inner = "IP6 [|ip6]"
		}
	case EtherTypeARP:
		if a, err := ParseARP(h.Payload()); err == nil {
			inner = a.String()
		} else {
			inner = "ARP [|arp]"
		}
	}
	if inner != "" {
		sb.WriteString(": ")
		sb.WriteString(inner)
	}
	return sb.String()
}

// EthernetFields describes an Ethernet II header for building.
type EthernetFields struct {
	Dst, Src MAC
	Type     EtherType
}

// Len returns EthernetHeaderLen.
func (f *EthernetFields) Len() int { return EthernetHeaderLen }

// Encode writes the header into b, which must be at least Len bytes.
func (f *EthernetFields) Encode(b Ethernet) {
	_ = b[EthernetHeaderLen-1]
	b.SetDst(f.Dst)
	b.SetSrc(f.Src)
	b.SetType(f.Type)
}
