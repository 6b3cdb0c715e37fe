package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ARPLen is the length of an ARP packet for Ethernet and IPv4, the only
// combination gosock resolves (RFC 826).
const ARPLen = 28

// ARP operation codes.
const (
	ARPRequest uint16 = 1
	ARPReply   uint16 = 2
)

// Hardware and protocol identifiers of Ethernet/IPv4 ARP.
const (
	arpHWEthernet = 1
	arpHWLen      = 6
	arpProtoLen   = 4
)

// Field offsets of an Ethernet/IPv4 ARP packet.
const (
	arpHWType    = 0
	arpProtoType = 2
	arpHWSize    = 4
	arpProtoSize = 5
	arpOp        = 6
	arpSenderHW  = 8
	arpSenderIP  = 14
	arpTargetHW  = 18
	arpTargetIP  = 24
)

// ARP is a view of an Ethernet/IPv4 ARP packet.
type ARP []byte

// ParseARP validates that b holds an ARP packet for Ethernet hardware
// addresses and IPv4 protocol addresses and returns the view trimmed to
// ARPLen, dropping the padding of minimum-size Ethernet frames. Other
// hardware or protocol types give ErrBadHeader, as Linux's arp_rcv drops
// them for Ethernet devices.
func ParseARP(b []byte) (ARP, error) {
	if len(b) < ARPLen {
		return nil, ErrTruncated
	}
	if binary.BigEndian.Uint16(b[arpHWType:]) != arpHWEthernet ||
		EtherType(binary.BigEndian.Uint16(b[arpProtoType:])) != EtherTypeIPv4 ||
		b[arpHWSize] != arpHWLen || b[arpProtoSize] != arpProtoLen {
		return nil, ErrBadHeader
	}
	return ARP(b[:ARPLen]), nil
}

// Op returns the operation (ARPRequest, ARPReply).
func (h ARP) Op() uint16 { return binary.BigEndian.Uint16(h[arpOp:]) }

// SenderHW returns the sender hardware address.
func (h ARP) SenderHW() MAC { return MAC(h[arpSenderHW : arpSenderHW+6]) }

// SenderIP returns the sender protocol address.
func (h ARP) SenderIP() netip.Addr { return netip.AddrFrom4([4]byte(h[arpSenderIP : arpSenderIP+4])) }

// TargetHW returns the target hardware address (zero in requests).
func (h ARP) TargetHW() MAC { return MAC(h[arpTargetHW : arpTargetHW+6]) }

// TargetIP returns the target protocol address.
func (h ARP) TargetIP() netip.Addr { return netip.AddrFrom4([4]byte(h[arpTargetIP : arpTargetIP+4])) }

// SetOp sets the operation.
func (h ARP) SetOp(op uint16) { binary.BigEndian.PutUint16(h[arpOp:], op) }

// SetSenderHW sets the sender hardware address.
func (h ARP) SetSenderHW(m MAC) { copy(h[arpSenderHW:], m[:]) }

// SetSenderIP sets the sender protocol address; a must be IPv4.
func (h ARP) SetSenderIP(a netip.Addr) { putAddr4(h[arpSenderIP:], a) }

// SetTargetHW sets the target hardware address.
func (h ARP) SetTargetHW(m MAC) { copy(h[arpTargetHW:], m[:]) }

// SetTargetIP sets the target protocol address; a must be IPv4.
func (h ARP) SetTargetIP(a netip.Addr) { putAddr4(h[arpTargetIP:], a) }

// Fields returns the packet as a field struct.
func (h ARP) Fields() ARPFields {
	return ARPFields{Op: h.Op(), SenderHW: h.SenderHW(), SenderIP: h.SenderIP(), TargetHW: h.TargetHW(), TargetIP: h.TargetIP()}
}

// String prints the packet as tcpdump does, e.g.
// "ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28".
func (h ARP) String() string {
	switch h.Op() {
	case ARPRequest:
		return fmt.Sprintf("ARP, Request who-has %s tell %s, length %d", h.TargetIP(), h.SenderIP(), len(h))
	case ARPReply:
		return fmt.Sprintf("ARP, Reply %s is-at %s, length %d", h.SenderIP(), h.SenderHW(), len(h))
	}
	return fmt.Sprintf("ARP, op %d, sender %s (%s) target %s (%s), length %d",
		h.Op(), h.SenderIP(), h.SenderHW(), h.TargetIP(), h.TargetHW(), len(h))
}

// ARPFields describes an Ethernet/IPv4 ARP packet for building.
type ARPFields struct {
	Op                 uint16
	SenderHW, TargetHW MAC
	SenderIP, TargetIP netip.Addr // IPv4 only
}

// Len returns ARPLen.
func (f *ARPFields) Len() int { return ARPLen }

// Encode writes the packet, including the fixed hardware and protocol type
// fields, into b, which must be at least Len bytes.
func (f *ARPFields) Encode(b ARP) {
	_ = b[ARPLen-1]
	binary.BigEndian.PutUint16(b[arpHWType:], arpHWEthernet)
	binary.BigEndian.PutUint16(b[arpProtoType:], uint16(EtherTypeIPv4))
	b[arpHWSize] = arpHWLen
	b[arpProtoSize] = arpProtoLen
	b.SetOp(f.Op)
	b.SetSenderHW(f.SenderHW)
	b.SetSenderIP(f.SenderIP)
	b.SetTargetHW(f.TargetHW)
	b.SetTargetIP(f.TargetIP)
}

// putAddr4 writes IPv4 address a at b[0:4]. The zero Addr writes 0.0.0.0,
// so field structs with unset addresses still encode. Any other non-IPv4
// address panics: that is a bug in the builder, never a property of
// received data.
func putAddr4(b []byte, a netip.Addr) {
	if !a.IsValid() {
		clear(b[:4])
		return
	}
	v := a.As4()
	copy(b[:4], v[:])
}
