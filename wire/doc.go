// Package wire holds zero-copy views and builders for the packet headers
// gosock speaks: Ethernet, ARP, IPv4 (with options), IPv6 (with extension
// headers), ICMPv4, ICMPv6 (with NDP), UDP, TCP (with options), and the
// Internet checksum.
//
// wire deals only with the packet representation. It keeps no state, makes
// no policy decisions and knows nothing about hosts: what a stack does with
// a well-formed but unwelcome packet (a window scale above 14, an MSS option
// on a non-SYN segment, a TTL of zero) is decided in the protocol packages.
//
// # Views and the safety contract
//
// Every header is a named byte slice, for example
//
//	type TCP []byte
//
// with accessors (SrcPort), setters (SetSrcPort) and Payload that read and
// write the bytes in place, so nothing is copied and nothing is allocated.
//
// Each view has exactly one validating constructor, ParseX (ParseTCP,
// ParseIPv4, ...). ParseX checks every length the accessors rely on before
// any field is read. Once ParseX has returned a nil error, no accessor or
// setter of the returned view can panic, for as long as the caller does not
// change a length field (IHL, total length, data offset, UDP length, ...)
// or reslice the view. ParseX also trims the view to the length the header
// claims (IPv4 total length, IPv6 payload length, UDP length), so Payload
// never includes link-layer padding. Parsers return one of the sentinel
// errors below, which callers compare with errors.Is and turn into drop
// reasons.
//
// ParseX is required for every byte that came from the network. It is wrong
// when building an outgoing packet, because the buffer does not hold a
// header yet: builders use the unchecked conversion
//
//	tcp := wire.TCP(buf[off:])
//
// and fill it with XFields.Encode or the setters. An unchecked view panics
// like any slice if it is shorter than the fields that are touched.
//
// # Field structs
//
// Each header also has a plain struct, XFields (smoltcp's Repr, gVisor's
// TCPFields), used to build packets and to state expectations in tests.
// Len reports how many bytes Encode writes; Encode writes the header into
// a view that is at least Len bytes long and never writes past Len.
// Encode writes checksums only where the header alone determines them
// (IPv4's header checksum); transport checksums cover the payload and a
// pseudo-header, so the builder writes the payload first and then calls
// SetChecksum(ComputeChecksum(...)).
//
// # Iterators
//
// Variable-length parts (IPv4 options, IPv6 extension headers and their
// TLV options, NDP options, raw TCP options) are walked with small
// scanner-style iterators:
//
//	it := ip.OptionIter()
//	for it.Next() {
//		use(it.Type(), it.Data())
//	}
//	if err := it.Err(); err != nil {
//		// drop: an option's length field lies
//	}
//
// Iterators are values that live on the stack; they validate each length
// before yielding an element and never allocate.
//
// # Printing
//
// Every view has a String method that prints a tcpdump-like one-liner for
// the sniffer and for test failures, for example
//
//	IP 192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//
// String allocates; it is never on the data path.
package wire

import "errors"

// Sentinel errors returned by the parsers and iterators. They say why a
// packet was rejected so that the network layer can pick a drop reason.
var (
	// ErrTruncated means the buffer is shorter than the header, or shorter
	// than a length field in the header claims.
	ErrTruncated = errors.New("wire: truncated packet")

	// ErrBadLength means a length field is inconsistent in itself, for
	// example an IPv4 IHL below 5 or a UDP length below 8.
	ErrBadLength = errors.New("wire: bad length field")

	// ErrBadVersion means an IP version field does not match the parser.
	ErrBadVersion = errors.New("wire: bad IP version")

	// ErrBadOption means an option (IPv4, IPv6 TLV, TCP or NDP) has a length
	// that is impossible for its kind or runs past the end of its area.
	ErrBadOption = errors.New("wire: malformed option")

	// ErrBadHeader means a field other than a length or version makes the
	// header unusable, for example an ARP packet that is not Ethernet/IPv4
	// or an NDP view over the wrong ICMPv6 type.
	ErrBadHeader = errors.New("wire: malformed header")
)
