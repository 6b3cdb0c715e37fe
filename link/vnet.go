package link

import (
	"encoding/binary"

	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// VnetHdrLen is the size of struct virtio_net_hdr, the header a TUN or
// TAP device opened with IFF_VNET_HDR puts in front of every frame in
// both directions (TUNSETVNETHDRSZ's default).
const VnetHdrLen = 10

// virtio_net_hdr flags.
const (
	// VnetFlagNeedsCsum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the transport
	// checksum holds only the pseudo-header sum; the checksum over the
	// bytes from CsumStart is to be written at CsumStart+CsumOffset.
	VnetFlagNeedsCsum = 1
	// VnetFlagDataValid (VIRTIO_NET_HDR_F_DATA_VALID): the checksum was
	// already verified.
	VnetFlagDataValid = 2
)

// virtio_net_hdr GSO types.
const (
	VnetGSONone  = 0    // VIRTIO_NET_HDR_GSO_NONE
	VnetGSOTCPv4 = 1    // VIRTIO_NET_HDR_GSO_TCPV4
	VnetGSOUDP   = 3    // VIRTIO_NET_HDR_GSO_UDP (UFO, fragmentation)
	VnetGSOTCPv6 = 4    // VIRTIO_NET_HDR_GSO_TCPV6
	VnetGSOUDPL4 = 5    // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
	VnetGSOECN   = 0x80 // VIRTIO_NET_HDR_GSO_ECN: CWR may be set on the first segment
)

// VnetHdr is struct virtio_net_hdr. On the wire of a TUN device its
// 16-bit fields are in the host's byte order (the legacy virtio layout
// the tun driver uses unless TUNSETVNETBE/LE say otherwise).
type VnetHdr struct {
	Flags      uint8
	GSOType    uint8
	HdrLen     uint16 // bytes of headers before the first payload byte
	GSOSize    uint16 // payload bytes per segment
	CsumStart  uint16 // where checksumming starts, from the frame's start
	CsumOffset uint16 // where the checksum goes, from CsumStart
}

// Decode reads the header from b, which must hold VnetHdrLen bytes.
func (h *VnetHdr) Decode(b []byte) {
	_ = b[VnetHdrLen-1]
	h.Flags, h.GSOType = b[0], b[1]
	h.HdrLen = binary.NativeEndian.Uint16(b[2:])
	h.GSOSize = binary.NativeEndian.Uint16(b[4:])
	h.CsumStart = binary.NativeEndian.Uint16(b[6:])
	h.CsumOffset = binary.NativeEndian.Uint16(b[8:])
}

// Encode writes the header into b, which must hold VnetHdrLen bytes.
func (h *VnetHdr) Encode(b []byte) {
	_ = b[VnetHdrLen-1]
	b[0], b[1] = h.Flags, h.GSOType
	binary.NativeEndian.PutUint16(b[2:], h.HdrLen)
	binary.NativeEndian.PutUint16(b[4:], h.GSOSize)
	binary.NativeEndian.PutUint16(b[6:], h.CsumStart)
	binary.NativeEndian.PutUint16(b[8:], h.CsumOffset)
}

// ToBuffer maps a received header onto pkt's metadata, as Linux's
// virtio_net_hdr_to_skb: a TCP GSO type makes pkt a super-segment of
// GSOSize-byte segments; NEEDS_CSUM marks the checksum partial (to be
// finished if the packet is forwarded) and, like DATA_VALID, verified for
// local delivery, since the sender vouches for the data (Linux trusts a
// CHECKSUM_PARTIAL skb on receive). It reports false for a header it
// cannot honour (UFO, a USO gosock did not offer, a checksum position
// outside the frame), which the caller drops.
func (h *VnetHdr) ToBuffer(pkt *pktbuf.Buffer) bool {
	pkt.GSOType, pkt.GSOSize = pktbuf.GSONone, 0
	pkt.ChecksumPartial, pkt.ChecksumVerified = false, false
	switch h.GSOType &^ VnetGSOECN {
	case VnetGSONone:
	case VnetGSOTCPv4:
		pkt.GSOType = pktbuf.GSOTCPv4
	case VnetGSOTCPv6:
		pkt.GSOType = pktbuf.GSOTCPv6
	case VnetGSOUDPL4:
		pkt.GSOType = pktbuf.GSOUDPL4
	default:
		return false
	}
	if pkt.GSOType != pktbuf.GSONone {
		if h.GSOSize == 0 {
			return false
		}
		pkt.GSOSize = h.GSOSize
	}
	if h.Flags&VnetFlagNeedsCsum != 0 {
		if int(h.CsumStart)+int(h.CsumOffset)+2 > pkt.Len() {
			return false
		}
		pkt.ChecksumPartial = true
		pkt.ChecksumVerified = true
	}
	if h.Flags&VnetFlagDataValid != 0 {
		pkt.ChecksumVerified = true
	}
	return true
}

// FromBuffer fills the header for transmitting pkt, whose frame starts
// linkLen bytes before its network header: GSO type, segment size and
// header length for a super-segment (with the ECN bit when its TCP header
// carries CWR), and NEEDS_CSUM with the checksum's position for a partial
// checksum. It reports false when pkt's headers cannot be followed.
func (h *VnetHdr) FromBuffer(pkt *pktbuf.Buffer, linkLen int) bool {
	*h = VnetHdr{}
	if pkt.GSOType == pktbuf.GSONone && !pkt.ChecksumPartial {
		return true
	}
	b := pkt.Bytes()
	typ := pkt.GSOType
	if typ == pktbuf.GSONone {
		// A partial checksum alone: find the transport to point at it.
		if len(b) <= linkLen {
			return false
		}
		typ = pktbuf.GSOTCPv4
		if isUDP(b[linkLen:]) {
			typ = pktbuf.GSOUDPL4
		}
	}
	ipLen, thLen, _, err := gsoHeaders(b, linkLen, typ)
	if err != nil {
		return false
	}
	l4 := linkLen + ipLen
	if pkt.ChecksumPartial || pkt.GSOType != pktbuf.GSONone {
		// The kernel segments with the checksum to finish; a complete
		// one would be wrong after the cut, so make it partial.
		if !pkt.ChecksumPartial {
			makePartial(b, linkLen, ipLen, typ)
			pkt.ChecksumPartial = true
		}
		h.Flags = VnetFlagNeedsCsum
		h.CsumStart = uint16(l4)
		h.CsumOffset = 16 // struct tcphdr's check
		if typ == pktbuf.GSOUDPL4 {
			h.CsumOffset = 6
		}
	}
	if pkt.GSOType != pktbuf.GSONone {
		h.HdrLen = uint16(l4 + thLen)
		h.GSOSize = pkt.GSOSize
		switch pkt.GSOType {
		case pktbuf.GSOTCPv4:
			h.GSOType = VnetGSOTCPv4
		case pktbuf.GSOTCPv6:
			h.GSOType = VnetGSOTCPv6
		case pktbuf.GSOUDPL4:
			h.GSOType = VnetGSOUDPL4
		}
		if typ != pktbuf.GSOUDPL4 && wire.TCP(b[l4:]).Flags()&wire.TCPFlagCWR != 0 {
			h.GSOType |= VnetGSOECN
		}
	}
	return true
}

// isUDP reports whether the IP packet ip carries UDP (no extension
// headers followed).
func isUDP(ip []byte) bool {
	switch ip[0] >> 4 {
	case 4:
		return len(ip) >= wire.IPv4MinHeaderLen && wire.IPv4(ip).Protocol() == wire.ProtoUDP
	case 6:
		return len(ip) >= wire.IPv6HeaderLen && wire.IPv6(ip).NextHeader() == wire.ProtoUDP
	}
	return false
}

// makePartial replaces a complete transport checksum by the folded
// pseudo-header sum over the whole transport length, which is what a
// device finishing a partial checksum expects to find there.
func makePartial(b []byte, linkLen, ipLen int, typ pktbuf.GSOType) {
	ip := b[linkLen:]
	l4 := ip[ipLen:]
	var sum uint32
	if ip[0]>>4 == 4 {
		sum = gsoPseudo4(wire.IPv4(ip[:ipLen]), len(l4))
	} else {
		var src, dst [16]byte
		copy(src[:], ip[8:24])
		copy(dst[:], ip[24:40])
		sum = gsoPseudo6(&src, &dst, ip[6], len(l4))
	}
	off := 16
	if typ == pktbuf.GSOUDPL4 {
		off = 6
	}
	binary.BigEndian.PutUint16(l4[off:], ^wire.FoldChecksum(sum))
}
