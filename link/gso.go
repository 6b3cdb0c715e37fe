package link

import (
	"encoding/binary"
	"errors"

	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Software GSO: the fallback of Linux's skb_gso_segment for a device that
// cannot cut super-segments itself. A TCP layer that hands one buffer
// carrying up to 64 KiB of payload to the IP layer pays the per-packet
// cost of the stack once; the cut into wire-sized packets happens here, at
// the bottom, with only header rewriting and one copy of the payload per
// segment (into a pooled buffer), so it allocates nothing once warm.

// ErrGSOMalformed is returned by SegmentGSO for a super-segment whose
// headers it cannot follow (not IPv4 or IPv6, not the transport its GSO
// type names, IPv6 extension headers, truncated headers). Linux drops such
// a packet with SKB_DROP_REASON_SKB_GSO_SEG.
var ErrGSOMalformed = errors.New("link: malformed GSO super-segment")

// gsoHeaders locates the headers of the packet b (after linkLen bytes of
// link header): the network header length, the transport header length
// and whether it is IPv4.
func gsoHeaders(b []byte, linkLen int, typ pktbuf.GSOType) (ipLen, thLen int, v4 bool, err error) {
	if linkLen < 0 || len(b) < linkLen+1 {
		return 0, 0, false, ErrGSOMalformed
	}
	ip := b[linkLen:]
	proto := uint8(0)
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < wire.IPv4MinHeaderLen {
			return 0, 0, false, ErrGSOMalformed
		}
		ipLen = int(ip[0]&0xf) * 4
		if ipLen < wire.IPv4MinHeaderLen || len(ip) < ipLen {
			return 0, 0, false, ErrGSOMalformed
		}
		h := wire.IPv4(ip[:ipLen])
		if h.IsFragment() {
			return 0, 0, false, ErrGSOMalformed
		}
		proto, v4 = h.Protocol(), true
	case 6:
		if len(ip) < wire.IPv6HeaderLen {
			return 0, 0, false, ErrGSOMalformed
		}
		// Extension headers would need walking and a fragment header
		// rewriting; gosock's own senders never put any on TCP or UDP.
		ipLen, proto = wire.IPv6HeaderLen, wire.IPv6(ip).NextHeader()
	default:
		return 0, 0, false, ErrGSOMalformed
	}
	th := ip[ipLen:]
	switch typ {
	case pktbuf.GSOTCPv4, pktbuf.GSOTCPv6:
		if proto != wire.ProtoTCP || len(th) < wire.TCPMinHeaderLen {
			return 0, 0, false, ErrGSOMalformed
		}
		thLen = int(th[12]>>4) * 4
		if thLen < wire.TCPMinHeaderLen || len(th) < thLen {
			return 0, 0, false, ErrGSOMalformed
		}
	case pktbuf.GSOUDPL4:
		if proto != wire.ProtoUDP || len(th) < wire.UDPHeaderLen {
			return 0, 0, false, ErrGSOMalformed
		}
		thLen = wire.UDPHeaderLen
	default:
		return 0, 0, false, ErrGSOMalformed
	}
	return ipLen, thLen, v4, nil
}

// SegmentGSO cuts the super-segment pkt, which starts with linkLen bytes
// of link header (0 on a raw-IP device, 14 on Ethernet) followed by an
// IPv4 or IPv6 header and the transport header its GSOType names, into
// packets of at most GSOSize payload bytes, and hands each to emit in
// order (emit takes the reference, as Transmit does). It always takes
// the reference to pkt. It returns the number of segments emitted and the
// first error emit returned (later segments are still emitted, as a
// device that drops one frame of a burst carries on with the rest), or
// ErrGSOMalformed, in which case nothing is emitted.
//
// Every segment gets its own copy of the headers, fixed as Linux's
// tcp_gso_segment and inet_gso_segment fix them: IPv4 total length, an
// identification that counts up from the super-segment's and the header
// checksum; IPv6 payload length; TCP sequence number advanced by the
// payload before it, FIN and PSH kept only on the last segment, CWR only
// on the first; UDP length. The transport checksum of every segment is
// computed in full, whether or not the super-segment's was partial, and
// the segments carry no GSO or partial-checksum mark. A buffer without a
// GSO type, or whose payload already fits GSOSize, is emitted as one
// packet, with a partial checksum finished.
func SegmentGSO(pkt *pktbuf.Buffer, linkLen int, emit func(*pktbuf.Buffer) error) (int, error) {
	typ := pkt.GSOType
	if typ == pktbuf.GSONone {
		if pkt.ChecksumPartial {
			if err := FinishChecksum(pkt, linkLen); err != nil {
				pkt.Release()
				return 0, err
			}
		}
		return 1, emit(pkt)
	}
	b := pkt.Bytes()
	ipLen, thLen, v4, err := gsoHeaders(b, linkLen, typ)
	if err != nil {
		pkt.Release()
		return 0, err
	}
	hdrLen := linkLen + ipLen + thLen
	payload := b[hdrLen:]
	mss := int(pkt.GSOSize)
	if mss == 0 || len(payload) <= mss {
		pkt.GSOType, pkt.GSOSize = pktbuf.GSONone, 0
		pkt.ChecksumPartial = true // recomputed in full below
		if err := FinishChecksum(pkt, linkLen); err != nil {
			pkt.Release()
			return 0, err
		}
		return 1, emit(pkt)
	}
	defer pkt.Release()

	var ipID uint16
	var tcpSeq uint32
	var tcpFlags wire.TCPFlags
	ip0 := b[linkLen:]
	if v4 {
		ipID = wire.IPv4(ip0).ID()
	}
	isTCP := typ != pktbuf.GSOUDPL4
	if isTCP {
		th := wire.TCP(ip0[ipLen:])
		tcpSeq, tcpFlags = th.Seq(), th.Flags()
	}
	n := 0
	var firstErr error
	for off := 0; off < len(payload); off += mss {
		end := min(off+mss, len(payload))
		last := end == len(payload)
		seg := pktbuf.New(pktbuf.DefaultHeadroom, hdrLen+end-off)
		sb := seg.Bytes()
		copy(sb, b[:hdrLen])
		copy(sb[hdrLen:], payload[off:end])
		gsoCopyMeta(seg, pkt, linkLen, ipLen)

		ip := sb[linkLen:]
		l4 := ip[ipLen:]
		var src, dst [16]byte
		var sum uint32
		if v4 {
			h := wire.IPv4(ip[:ipLen])
			h.SetTotalLen(uint16(len(ip)))
			h.SetID(ipID + uint16(n))
			h.UpdateChecksum()
			sum = gsoPseudo4(h, len(l4))
		} else {
			h := wire.IPv6(ip)
			h.SetPayloadLen(uint16(len(l4)))
			copy(src[:], ip[8:24])
			copy(dst[:], ip[24:40])
			sum = gsoPseudo6(&src, &dst, ip[6], len(l4))
		}
		if isTCP {
			th := wire.TCP(l4)
			th.SetSeq(tcpSeq + uint32(off))
			f := tcpFlags
			if !last {
				f &^= wire.TCPFlagFIN | wire.TCPFlagPSH
			}
			if n > 0 {
				f &^= wire.TCPFlagCWR
			}
			th.SetFlags(f)
			th.SetChecksum(0)
			th.SetChecksum(wire.FoldChecksum(wire.Checksum(l4, sum)))
		} else {
			u := wire.UDP(l4)
			u.SetLength(uint16(len(l4)))
			binary.BigEndian.PutUint16(l4[6:], 0)
			c := wire.FoldChecksum(wire.Checksum(l4, sum))
			if c == 0 {
				c = 0xffff // RFC 768: zero means no checksum
			}
			binary.BigEndian.PutUint16(l4[6:], c)
		}
		if err := emit(seg); err != nil && firstErr == nil {
			firstErr = err
		}
		n++
	}
	return n, firstErr
}

// gsoCopyMeta gives a segment the super-segment's metadata, with header
// offsets at the same distances from the front, and no GSO or checksum
// marks: its checksums are complete.
func gsoCopyMeta(seg, pkt *pktbuf.Buffer, linkLen, ipLen int) {
	seg.Protocol, seg.IfIndex, seg.Mark = pkt.Protocol, pkt.IfIndex, pkt.Mark
	seg.Broadcast, seg.Multicast, seg.OtherHost = pkt.Broadcast, pkt.Multicast, pkt.OtherHost
	if linkLen > 0 {
		seg.SetLinkHeader()
	}
	seg.Pull(linkLen)
	seg.SetNetworkHeader()
	seg.Pull(ipLen)
	seg.SetTransportHeader()
	seg.Push(linkLen + ipLen)
}

func gsoPseudo4(h wire.IPv4, l4Len int) uint32 {
	sum := uint32(binary.BigEndian.Uint16(h[12:])) + uint32(binary.BigEndian.Uint16(h[14:])) +
		uint32(binary.BigEndian.Uint16(h[16:])) + uint32(binary.BigEndian.Uint16(h[18:]))
	return sum + uint32(h.Protocol()) + uint32(l4Len)
}

func gsoPseudo6(src, dst *[16]byte, next uint8, l4Len int) uint32 {
	sum := wire.Checksum(src[:], 0)
	sum = wire.Checksum(dst[:], sum)
	return sum + uint32(next) + uint32(l4Len>>16) + uint32(l4Len&0xffff)
}

// FinishChecksum writes the full transport checksum of the TCP or UDP
// packet in pkt (after linkLen bytes of link header) and clears
// ChecksumPartial, for a device that cannot finish a partial checksum
// (Linux's skb_checksum_help). A packet of another protocol is left
// alone; one whose headers cannot be followed gives ErrGSOMalformed.
func FinishChecksum(pkt *pktbuf.Buffer, linkLen int) error {
	if !pkt.ChecksumPartial {
		return nil
	}
	b := pkt.Bytes()
	if len(b) <= linkLen {
		return ErrGSOMalformed
	}
	typ := pktbuf.GSOTCPv4
	var proto uint8
	switch b[linkLen] >> 4 {
	case 4:
		if len(b) < linkLen+wire.IPv4MinHeaderLen {
			return ErrGSOMalformed
		}
		proto = wire.IPv4(b[linkLen:]).Protocol()
	case 6:
		if len(b) < linkLen+wire.IPv6HeaderLen {
			return ErrGSOMalformed
		}
		proto = wire.IPv6(b[linkLen:]).NextHeader()
	}
	switch proto {
	case wire.ProtoTCP:
	case wire.ProtoUDP:
		typ = pktbuf.GSOUDPL4
	default:
		pkt.ChecksumPartial = false
		return nil
	}
	ipLen, _, v4, err := gsoHeaders(b, linkLen, typ)
	if err != nil {
		return err
	}
	ip := b[linkLen:]
	l4 := ip[ipLen:]
	var sum uint32
	if v4 {
		// The transport ends where the IP total length says.
		h := wire.IPv4(ip)
		if t := int(h.TotalLen()); t >= ipLen && t < len(ip) {
			l4 = ip[ipLen:t]
		}
		sum = gsoPseudo4(h, len(l4))
	} else {
		h := wire.IPv6(ip)
		if t := wire.IPv6HeaderLen + int(h.PayloadLen()); t < len(ip) {
			l4 = ip[ipLen:t]
		}
		var src, dst [16]byte
		copy(src[:], ip[8:24])
		copy(dst[:], ip[24:40])
		sum = gsoPseudo6(&src, &dst, proto, len(l4))
	}
	off := 16 // TCP's checksum field
	if proto == wire.ProtoUDP {
		off = 6
	}
	binary.BigEndian.PutUint16(l4[off:], 0)
	c := wire.FoldChecksum(wire.Checksum(l4, sum))
	if c == 0 && proto == wire.ProtoUDP {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(l4[off:], c)
	pkt.ChecksumPartial = false
	return nil
}
