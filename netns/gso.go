package netns

import (
	"errors"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

// Software GSO at the device boundary, as Linux's validate_xmit_skb: a
// super-segment (a forwarded one from a TUN device with offloads, or a
// transport's) bound for a device that cannot take it whole is cut by
// link.SegmentGSO, and a partial checksum a device cannot finish is
// finished, before the sniffer tap sees the frames: captures show what
// the device really carries.

// linkLen returns the bytes of link header in front of pkt's network
// header.
func linkLen(pkt *pktbuf.Buffer) int {
	if nh := pkt.NetworkHeader(); nh != nil {
		return pkt.Len() - len(nh)
	}
	return 0
}

// needsSoftwareGSO reports whether pkt, a super-segment or a packet with
// a partial checksum, asks more of the device than it offers.
func (ifc *Interface) needsSoftwareGSO(pkt *pktbuf.Buffer) bool {
	caps := ifc.dev.Capabilities()
	if pkt.GSOType != pktbuf.GSONone && pkt.Len()-linkLen(pkt) > caps.GSOMaxSize {
		return true
	}
	return pkt.ChecksumPartial && !caps.ChecksumOffload
}

// transmitSegmented cuts pkt and transmits the pieces; a super-segment
// whose headers cannot be followed is dropped (SKB_GSO_SEG).
func (ifc *Interface) transmitSegmented(pkt *pktbuf.Buffer) error {
	_, err := link.SegmentGSO(pkt, linkLen(pkt), ifc.transmitSegment)
	if errors.Is(err, link.ErrGSOMalformed) {
		ifc.ns.MIB.Drop(DropSKBGSOSeg)
	}
	return err
}

// transmitSegment sends one piece of a cut super-segment.
func (ifc *Interface) transmitSegment(seg *pktbuf.Buffer) error {
	ifc.ns.tap(ifc, seg, true)
	return ifc.dev.Transmit(seg)
}
