// Package pcap writes and reads capture files in the classic libpcap
// format, the one tcpdump, tshark and Wireshark read and write with -w
// and -r.
//
// A file is a 24-byte global header followed by records, each a 16-byte
// record header and the captured bytes of one frame:
//
//	global header: magic, version 2.4, thiszone, sigfigs, snaplen, link type
//	record header: ts seconds, ts micro- or nanoseconds, captured length, original length
//
// The magic number tells the byte order and the timestamp resolution:
// 0xa1b2c3d4 for microseconds, 0xa1b23c4d for nanoseconds, read in the
// writer's byte order. Writer uses little-endian, as libpcap does on the
// machines gosock runs on; Reader accepts either order and both
// resolutions.
//
// The format is documented as draft-ietf-opsawg-pcap and on
// tcpdump.org's link-layer header types page.
package pcap

import (
	"errors"
	"strconv"
)

// LinkType is the LINKTYPE_* value in the global header: what every frame
// in the file starts with.
type LinkType uint32

// Link types gosock writes.
const (
	// LinkTypeEthernet frames start with an Ethernet II header
	// (LINKTYPE_ETHERNET, DLT_EN10MB).
	LinkTypeEthernet LinkType = 1
	// LinkTypeRaw frames are bare IPv4 or IPv6 packets, told apart by the
	// version nibble (LINKTYPE_RAW; its DLT_RAW is 12 or 14 depending on
	// the platform, which is why files carry the LINKTYPE value).
	LinkTypeRaw LinkType = 101
	// LinkTypeLinuxSLL frames start with Linux's 16-byte "cooked" header
	// (LINKTYPE_LINUX_SLL), what tcpdump -i any writes.
	LinkTypeLinuxSLL LinkType = 113
)

// String returns the type's name as tcpdump prints it.
func (t LinkType) String() string {
	switch t {
	case LinkTypeEthernet:
		return "EN10MB"
	case LinkTypeRaw:
		return "RAW"
	case LinkTypeLinuxSLL:
		return "LINUX_SLL"
	}
	return "LinkType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// Magic numbers of the global header, as read in the file's byte order.
const (
	MagicMicroseconds uint32 = 0xa1b2c3d4
	MagicNanoseconds  uint32 = 0xa1b23c4d
)

// Version of the format written.
const (
	VersionMajor = 2
	VersionMinor = 4
)

// MaxSnaplen is the largest snapshot length, and so the largest record,
// that Writer writes and Reader accepts. It is libpcap's and Wireshark's
// limit (MAXIMUM_SNAPLEN, WTAP_MAX_PACKET_SIZE_STANDARD): tshark refuses
// files with larger records.
const MaxSnaplen = 262144

// Header sizes.
const (
	fileHeaderLen   = 24
	recordHeaderLen = 16
)

// ErrFormat is wrapped by the errors Reader returns for input that is not
// a well-formed pcap file.
var ErrFormat = errors.New("pcap: malformed file")
