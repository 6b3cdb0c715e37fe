package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// UDPHeaderLen is the length of the UDP header.
const UDPHeaderLen = 8

// Field offsets of the UDP header.
const (
	udpSrcPort  = 0
	udpDstPort  = 2
	udpLength   = 4
	udpChecksum = 6
)

// UDP is a view of a UDP datagram.
type UDP []byte

// ParseUDP validates b as a UDP datagram and returns the view trimmed to
// the length field, as Linux's __udp4_lib_rcv trims the skb. A length below
// 8 is ErrBadLength; one beyond len(b) is ErrTruncated. IPv6 jumbograms
// (length 0, RFC 2675) are not supported and give ErrBadLength.
func ParseUDP(b []byte) (UDP, error) {
	if len(b) < UDPHeaderLen {
		return nil, ErrTruncated
	}
	n := int(binary.BigEndian.Uint16(b[udpLength:]))
	if n < UDPHeaderLen {
		return nil, ErrBadLength
	}
	if n > len(b) {
		return nil, ErrTruncated
	}
	return UDP(b[:n]), nil
}

// SrcPort returns the source port.
func (h UDP) SrcPort() uint16 { return binary.BigEndian.Uint16(h[udpSrcPort:]) }

// DstPort returns the destination port.
func (h UDP) DstPort() uint16 { return binary.BigEndian.Uint16(h[udpDstPort:]) }

// Length returns the length field: header plus payload.
func (h UDP) Length() uint16 { return binary.BigEndian.Uint16(h[udpLength:]) }

// Checksum returns the checksum field (0 means none was computed, which
// only IPv4 allows).
func (h UDP) Checksum() uint16 { return binary.BigEndian.Uint16(h[udpChecksum:]) }

// Payload returns the bytes after the header.
func (h UDP) Payload() []byte { return h[UDPHeaderLen:] }

// SetSrcPort sets the source port.
func (h UDP) SetSrcPort(v uint16) { binary.BigEndian.PutUint16(h[udpSrcPort:], v) }

// SetDstPort sets the destination port.
func (h UDP) SetDstPort(v uint16) { binary.BigEndian.PutUint16(h[udpDstPort:], v) }

// SetLength sets the length field.
func (h UDP) SetLength(v uint16) { binary.BigEndian.PutUint16(h[udpLength:], v) }

// SetChecksum sets the checksum field.
func (h UDP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(h[udpChecksum:], v) }

// ComputeChecksum returns the checksum of the datagram (the whole view)
// with its pseudo-header, the field taken as zero. A computed 0 is returned
// as 0xffff, because 0 on the wire means "no checksum" (RFC 768).
func (h UDP) ComputeChecksum(src, dst netip.Addr) uint16 {
	c := transportChecksum(h, udpChecksum, ProtoUDP, src, dst)
	if c == 0 {
		c = 0xffff
	}
	return c
}

// ValidChecksum reports whether the checksum verifies. Over IPv4 a zero
// field means the sender computed none and is accepted (RFC 768); over IPv6
// a zero field is invalid (RFC 8200 section 8.1), as Linux treats it unless
// a socket opts out with UDP_NO_CHECK6_RX, which is a host decision.
func (h UDP) ValidChecksum(src, dst netip.Addr) bool {
	if h.Checksum() == 0 {
		return src.Is4() && dst.Is4()
	}
	return validTransportChecksum(h, ProtoUDP, src, dst)
}

// Fields returns the header as a field struct.
func (h UDP) Fields() UDPFields {
	return UDPFields{SrcPort: h.SrcPort(), DstPort: h.DstPort(), Length: h.Length(), Checksum: h.Checksum()}
}

// String prints the ports and payload length, e.g. "53 > 33000: UDP, length 12".
func (h UDP) String() string {
	return fmt.Sprintf("%d > %d: UDP, length %d", h.SrcPort(), h.DstPort(), len(h.Payload()))
}

// Format prints the datagram with its addresses as tcpdump does, e.g.
// "192.0.2.1.53 > 192.0.2.2.33000: UDP, length 12".
func (h UDP) Format(src, dst netip.Addr) string {
	return fmt.Sprintf("%s.%d > %s.%d: UDP, length %d", src, h.SrcPort(), dst, h.DstPort(), len(h.Payload()))
}

// UDPFields describes a UDP header for building. The checksum is written as
// given; compute it with ComputeChecksum once the payload is in place.
type UDPFields struct {
	SrcPort, DstPort uint16
	Length           uint16 // header plus payload
	Checksum         uint16
}

// Len returns UDPHeaderLen.
func (f *UDPFields) Len() int { return UDPHeaderLen }

// Encode writes the header into b, which must be at least Len bytes.
func (f *UDPFields) Encode(b UDP) {
	_ = b[UDPHeaderLen-1]
	b.SetSrcPort(f.SrcPort)
	b.SetDstPort(f.DstPort)
	b.SetLength(f.Length)
	b.SetChecksum(f.Checksum)
}
