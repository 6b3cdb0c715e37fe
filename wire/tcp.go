package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// TCP header lengths.
const (
	TCPMinHeaderLen = 20
	TCPMaxHeaderLen = 60
	// TCPMaxOptionsLen is the room for options that the 4-bit data offset
	// leaves (Linux's MAX_TCP_OPTION_SPACE).
	TCPMaxOptionsLen = TCPMaxHeaderLen - TCPMinHeaderLen
)

// Field offsets of the TCP header.
const (
	tcpSrcPort  = 0
	tcpDstPort  = 2
	tcpSeq      = 4
	tcpAck      = 8
	tcpDataOff  = 12
	tcpFlags    = 13
	tcpWindow   = 14
	tcpChecksum = 16
	tcpUrgent   = 18
	tcpOptions  = 20
)

// TCPFlags holds the eight flag bits of the TCP header (byte 13).
type TCPFlags uint8

// TCP flag bits.
const (
	TCPFlagFIN TCPFlags = 1 << 0
	TCPFlagSYN TCPFlags = 1 << 1
	TCPFlagRST TCPFlags = 1 << 2
	TCPFlagPSH TCPFlags = 1 << 3
	TCPFlagACK TCPFlags = 1 << 4
	TCPFlagURG TCPFlags = 1 << 5
	TCPFlagECE TCPFlags = 1 << 6
	TCPFlagCWR TCPFlags = 1 << 7
)

// tcpFlagChars lists the flags in tcpdump's printing order with the letter
// tcpdump and packetdrill both use for each.
var tcpFlagChars = [8]struct {
	f TCPFlags
	c byte
}{
	{TCPFlagFIN, 'F'}, {TCPFlagSYN, 'S'}, {TCPFlagRST, 'R'}, {TCPFlagPSH, 'P'},
	{TCPFlagACK, '.'}, {TCPFlagURG, 'U'}, {TCPFlagECE, 'E'}, {TCPFlagCWR, 'W'},
}

// String prints the flags as tcpdump does inside "Flags [...]": "S" for
// SYN, "S." for SYN-ACK, "P." for PSH-ACK, "F." for FIN-ACK, "SEW" for an
// ECN-setup SYN, and "none" when no flag is set. Except for "none" this is
// also packetdrill's notation, which ParseTCPFlags reads back.
func (f TCPFlags) String() string {
	if f == 0 {
		return "none"
	}
	var b [8]byte
	n := 0
	for _, fc := range tcpFlagChars {
		if f&fc.f != 0 {
			b[n] = fc.c
			n++
		}
	}
	return string(b[:n])
}

// ParseTCPFlags reads flags written in packetdrill's or tcpdump's notation
// ("S", "S.", "P.", ".", "FEW", in any order; "" and "none" mean no flag),
// so test scripts and expectations can name flags as people write them.
func ParseTCPFlags(s string) (TCPFlags, error) {
	if s == "none" {
		return 0, nil
	}
	var f TCPFlags
next:
	for i := 0; i < len(s); i++ {
		for _, fc := range tcpFlagChars {
			if s[i] == fc.c {
				f |= fc.f
				continue next
			}
		}
		return 0, fmt.Errorf("wire: unknown TCP flag %q in %q", s[i], s)
	}
	return f, nil
}

// TCP is a view of a TCP segment.
type TCP []byte

// ParseTCP validates b as a TCP segment: at least 20 bytes (ErrTruncated),
// a data offset of at least 5 words (ErrBadLength) that fits in b
// (ErrTruncated), as Linux's tcp_v4_rcv checks. The view is not trimmed:
// TCP has no length field, the segment ends where the IP payload ends.
// Options are checked by ParseTCPOptions.
func ParseTCP(b []byte) (TCP, error) {
	if len(b) < TCPMinHeaderLen {
		return nil, ErrTruncated
	}
	hl := int(b[tcpDataOff]>>4) * 4
	if hl < TCPMinHeaderLen {
		return nil, ErrBadLength
	}
	if hl > len(b) {
		return nil, ErrTruncated
	}
	return TCP(b), nil
}

// SrcPort returns the source port.
func (h TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(h[tcpSrcPort:]) }

// DstPort returns the destination port.
func (h TCP) DstPort() uint16 { return binary.BigEndian.Uint16(h[tcpDstPort:]) }

// Seq returns the sequence number.
func (h TCP) Seq() uint32 { return binary.BigEndian.Uint32(h[tcpSeq:]) }

// Ack returns the acknowledgment number (meaningful only with ACK set).
func (h TCP) Ack() uint32 { return binary.BigEndian.Uint32(h[tcpAck:]) }

// DataOffset returns the data offset field in 32-bit words.
func (h TCP) DataOffset() uint8 { return h[tcpDataOff] >> 4 }

// HeaderLen returns the header length in bytes, options included.
func (h TCP) HeaderLen() int { return int(h.DataOffset()) * 4 }

// Reserved returns the four bits between the data offset and the flags.
// The lowest is AccECN's AE bit (RFC 9768), formerly NS.
func (h TCP) Reserved() uint8 { return h[tcpDataOff] & 0xf }

// Flags returns the flag bits.
func (h TCP) Flags() TCPFlags { return TCPFlags(h[tcpFlags]) }

// Window returns the window field, not yet scaled.
func (h TCP) Window() uint16 { return binary.BigEndian.Uint16(h[tcpWindow:]) }

// Checksum returns the checksum field.
func (h TCP) Checksum() uint16 { return binary.BigEndian.Uint16(h[tcpChecksum:]) }

// Urgent returns the urgent pointer (meaningful only with URG set).
func (h TCP) Urgent() uint16 { return binary.BigEndian.Uint16(h[tcpUrgent:]) }

// Options returns the options area, padding included.
func (h TCP) Options() []byte { return h[tcpOptions:h.HeaderLen()] }

// Payload returns the segment data.
func (h TCP) Payload() []byte { return h[h.HeaderLen():] }

// SetSrcPort sets the source port.
func (h TCP) SetSrcPort(v uint16) { binary.BigEndian.PutUint16(h[tcpSrcPort:], v) }

// SetDstPort sets the destination port.
func (h TCP) SetDstPort(v uint16) { binary.BigEndian.PutUint16(h[tcpDstPort:], v) }

// SetSeq sets the sequence number.
func (h TCP) SetSeq(v uint32) { binary.BigEndian.PutUint32(h[tcpSeq:], v) }

// SetAck sets the acknowledgment number.
func (h TCP) SetAck(v uint32) { binary.BigEndian.PutUint32(h[tcpAck:], v) }

// SetHeaderLen sets the data offset to hl bytes, which must be a multiple
// of 4 between 20 and 60, keeping the reserved bits.
func (h TCP) SetHeaderLen(hl int) { h[tcpDataOff] = uint8(hl/4)<<4 | h[tcpDataOff]&0xf }

// SetReserved sets the four reserved bits (AE is the lowest).
func (h TCP) SetReserved(v uint8) { h[tcpDataOff] = h[tcpDataOff]&0xf0 | v&0xf }

// SetFlags sets the flag bits.
func (h TCP) SetFlags(f TCPFlags) { h[tcpFlags] = uint8(f) }

// SetWindow sets the window field.
func (h TCP) SetWindow(v uint16) { binary.BigEndian.PutUint16(h[tcpWindow:], v) }

// SetChecksum sets the checksum field.
func (h TCP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(h[tcpChecksum:], v) }

// SetUrgent sets the urgent pointer.
func (h TCP) SetUrgent(v uint16) { binary.BigEndian.PutUint16(h[tcpUrgent:], v) }

// ComputeChecksum returns the checksum of the segment (the whole view) with
// its IPv4 or IPv6 pseudo-header, the field taken as zero.
func (h TCP) ComputeChecksum(src, dst netip.Addr) uint16 {
	return transportChecksum(h, tcpChecksum, ProtoTCP, src, dst)
}

// ValidChecksum reports whether the checksum field verifies.
func (h TCP) ValidChecksum(src, dst netip.Addr) bool {
	return validTransportChecksum(h, ProtoTCP, src, dst)
}

// OptionIter returns an iterator over the raw options, for the options
// TCPOptions does not model (MPTCP, TCP-AO, AccECN, SMC, ...).
func (h TCP) OptionIter() TCPOptionIter { return NewTCPOptionIter(h.Options()) }

// Fields returns the header as a field struct. Options aliases the view's
// options area; Opts is nil.
func (h TCP) Fields() TCPFields {
	return TCPFields{
		SrcPort: h.SrcPort(), DstPort: h.DstPort(), Seq: h.Seq(), Ack: h.Ack(),
		Reserved: h.Reserved(), Flags: h.Flags(), Window: h.Window(),
		Checksum: h.Checksum(), Urgent: h.Urgent(), Options: h.Options(),
	}
}

// String prints the segment like tcpdump but with ports only, since the
// addresses live in the IP header: "8080 > 80: Flags [S], seq 0, win 65535,
// length 0". Format adds the addresses.
func (h TCP) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d > %d: ", h.SrcPort(), h.DstPort())
	h.writeSummary(&sb)
	return sb.String()
}

// Format prints the segment with its addresses as tcpdump does, e.g.
// "192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535,
// options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0".
// Sequence numbers are absolute (tcpdump -S), since a one-liner has no
// connection to make them relative to.
func (h TCP) Format(src, dst netip.Addr) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s.%d > %s.%d: ", src, h.SrcPort(), dst, h.DstPort())
	h.writeSummary(&sb)
	return sb.String()
}

// writeSummary prints everything after the ports, in the order and with
// the rules of tcpdump's tcp_print.
func (h TCP) writeSummary(sb *strings.Builder) {
	f := h.Flags()
	n := len(h.Payload())
	fmt.Fprintf(sb, "Flags [%s]", f)
	if n > 0 || f&(TCPFlagSYN|TCPFlagFIN|TCPFlagRST) != 0 {
		fmt.Fprintf(sb, ", seq %d", h.Seq())
		if n > 0 {
			fmt.Fprintf(sb, ":%d", h.Seq()+uint32(n))
		}
	}
	if f&TCPFlagACK != 0 {
		fmt.Fprintf(sb, ", ack %d", h.Ack())
	}
	fmt.Fprintf(sb, ", win %d", h.Window())
	if f&TCPFlagURG != 0 {
		fmt.Fprintf(sb, ", urg %d", h.Urgent())
	}
	if len(h.Options()) > 0 {
		sb.WriteString(", options [")
		writeTCPOptions(sb, h.Options())
		sb.WriteString("]")
	}
	fmt.Fprintf(sb, ", length %d", n)
}

// TCPFields describes a TCP header for building. Options can be given in
// two forms, both optional: Opts, the structured options, written first in
// Linux's order by EncodeTCPOptions (the form the TCP output path uses),
// and Options, raw bytes appended after them (the form tests use to send
// unusual or malformed options). The raw bytes are padded with EOL to a
// multiple of 4. The checksum is written as given; compute it with
// ComputeChecksum once the payload is in place.
type TCPFields struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Reserved         uint8 // the 4 bits before the flags; AE is the lowest
	Flags            TCPFlags
	Window           uint16
	Checksum         uint16
	Urgent           uint16
	Opts             *TCPOptions
	Options          []byte
}

// Len returns the header length Encode writes: 20 bytes plus options.
func (f *TCPFields) Len() int {
	n := TCPMinHeaderLen + (len(f.Options)+3)&^3
	if f.Opts != nil {
		n += TCPOptionsLen(f.Opts)
	}
	return n
}

// Encode writes the header into b, which must be at least Len bytes. It
// panics if the options do not fit in 40 bytes, since the data offset could
// not express the length; the TCP layer sizes SACK blocks to fit, as
// Linux's tcp_established_options does.
func (f *TCPFields) Encode(b TCP) {
	hl := f.Len()
	if hl > TCPMaxHeaderLen {
		panic("wire: TCP options longer than 40 bytes")
	}
	_ = b[hl-1]
	b.SetSrcPort(f.SrcPort)
	b.SetDstPort(f.DstPort)
	b.SetSeq(f.Seq)
	b.SetAck(f.Ack)
	b[tcpDataOff] = uint8(hl/4)<<4 | f.Reserved&0xf
	b.SetFlags(f.Flags)
	b.SetWindow(f.Window)
	b.SetChecksum(f.Checksum)
	b.SetUrgent(f.Urgent)
	off := tcpOptions
	if f.Opts != nil {
		off += EncodeTCPOptions(b[off:hl], f.Opts)
	}
	off += copy(b[off:hl], f.Options)
	clear(b[off:hl])
}
