package ipv4

import (
	"net/netip"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Header is what a transport protocol chooses for the IPv4 header of a
// packet it sends.
type Header struct {
	// Src and Dst are the addresses; Src must be set (the route lookup
	// suggests one).
	Src, Dst netip.Addr
	// Protocol is the transport protocol number.
	Protocol uint8
	// TTL is the time to live; 0 means net.ipv4.ip_default_ttl (IP_TTL
	// unset), or 1 for multicast (IP_MULTICAST_TTL's default).
	TTL uint8
	// TOS is the type-of-service byte (IP_TOS).
	TOS uint8
	// DontFragment sets DF: path MTU discovery is on (IP_MTU_DISCOVER
	// IP_PMTUDISC_DO/WANT), so a packet over the path MTU is refused with
	// EMSGSIZE instead of being fragmented locally.
	DontFragment bool
	// ID is the IP identification for DF packets (a socket's counter);
	// non-DF packets get one from the namespace's generator.
	ID uint16
	// ConfirmedAt, when not zero, says the sender saw forward progress
	// on this path since its last packet (a TCP ACK for new data:
	// Linux's sk_dst_pending_confirm), at that time: the next hop's
	// neighbour entry is confirmed with it as the packet goes out, so a
	// busy path is not re-resolved. The sender passes the clock reading
	// it already has, which saves the neighbour table reading it again
	// for every segment.
	ConfirmedAt time.Time
}

// Output sends a transport segment (its header at pkt's front) along the
// route rt, which Namespace.Lookup returned for h.Dst (Linux's
// ip_queue_xmit / ip_build_and_send_pkt). It pushes the IP header,
// fragments as needed and transmits. It takes the reference to pkt.
func (p *Protocol) Output(rt *netns.RouteResult, h *Header, pkt *pktbuf.Buffer) error {
	mib := p.ns.MIB
	mib.Inc(netns.IPOutRequests)
	if rt.Iface == nil {
		mib.Inc(netns.IPOutNoRoutes)
		pkt.Release()
		return errno.ENETUNREACH
	}
	total := wire.IPv4MinHeaderLen + pkt.Len()
	if total > 0xffff {
		mib.Inc(netns.IPOutDiscards)
		pkt.Release()
		return errno.EMSGSIZE
	}
	ttl := h.TTL
	if ttl == 0 {
		if h.Dst.IsMulticast() {
			ttl = 1
		} else {
			ttl = uint8(p.ns.Sysctl.Int(netns.IPDefaultTTL))
		}
	}
	f := wire.IPv4Fields{
		TOS:      h.TOS,
		TotalLen: uint16(total),
		TTL:      ttl,
		Protocol: h.Protocol,
		Src:      h.Src,
		Dst:      h.Dst,
	}
	if h.DontFragment {
		f.Flags = wire.IPv4FlagDontFragment
		f.ID = h.ID
	} else {
		f.ID = uint16(p.ident.Add(1))
	}
	if !h.ConfirmedAt.IsZero() && !rt.Local {
		rt.Iface.ConfirmNeighbour(rt.NextHop, h.ConfirmedAt)
	}
	hdr := wire.IPv4(pkt.Push(wire.IPv4MinHeaderLen))
	f.Encode(hdr)
	hdr.UpdateChecksum()
	pkt.SetNetworkHeader()
	pkt.Protocol = uint16(wire.EtherTypeIPv4)
	mib.Add(netns.IPExtOutOctets, uint64(total))
	mtu := rt.MTU
	if pm := p.PathMTU(h.Dst); pm != 0 && pm < mtu {
		mtu = pm
	}
	if total > mtu && h.DontFragment && pkt.GSOType == pktbuf.GSONone && !rt.Local {
		mib.Inc(netns.IPFragFails)
		pkt.Release()
		return errno.EMSGSIZE
	}
	return p.finishOutput(rt.Iface, rt.NextHop, mtu, pkt)
}

// finishOutput fragments a packet larger than mtu (unless it is a GSO
// super-segment the device will cut) and hands the pieces to the
// neighbour layer (ip_finish_output).
func (p *Protocol) finishOutput(ifc *netns.Interface, nextHop netip.Addr, mtu int, pkt *pktbuf.Buffer) error {
	if pkt.Len() <= mtu || pkt.GSOType != pktbuf.GSONone {
		return p.transmit(ifc, nextHop, pkt)
	}
	return p.fragment(ifc, nextHop, mtu, pkt)
}

func (p *Protocol) transmit(ifc *netns.Interface, nextHop netip.Addr, pkt *pktbuf.Buffer) error {
	if ifc.IsLoopback() {
		// Loopback needs no checksum verification on the way back in
		// (CHECKSUM_UNNECESSARY), as Linux's loopback_xmit marks it.
		pkt.ChecksumVerified = true
	}
	err := ifc.OutputIP(nextHop, pkt)
	if err != nil {
		p.ns.MIB.Inc(netns.IPOutDiscards)
	}
	return err
}

// fragment cuts a packet into pieces that fit mtu (ip_do_fragment's slow
// path): each piece carries a copy of the header (options without the
// copy bit only in the first) and a multiple of 8 payload bytes.
func (p *Protocol) fragment(ifc *netns.Interface, nextHop netip.Addr, mtu int, pkt *pktbuf.Buffer) error {
	defer pkt.Release()
	mib := p.ns.MIB
	h := wire.IPv4(pkt.Bytes())
	if h.DontFragment() {
		mib.Inc(netns.IPFragFails)
		return errno.EMSGSIZE
	}
	hlen := h.HeaderLen()
	payload := h.Payload()
	// Options copied into later fragments: those with the copy flag.
	var laterOpts [40]byte
	nOpts := 0
	it := h.OptionIter()
	for it.Next() {
		if o := it.Option(); it.Type()&0x80 != 0 {
			nOpts += copy(laterOpts[nOpts:], o)
		}
	}
	laterHlen := wire.IPv4MinHeaderLen + (nOpts+3)&^3
	baseOff := int(h.FragmentOffset())
	origMF := h.MoreFragments()
	for off := 0; off < len(payload); {
		hl := hlen
		if off > 0 {
			hl = laterHlen
		}
		room := (mtu - hl) &^ 7
		if room <= 0 {
			mib.Inc(netns.IPFragFails)
			return errno.EMSGSIZE
		}
		n := min(room, len(payload)-off)
		frag := pktbuf.New(pktbuf.DefaultHeadroom, hl+n)
		b := frag.Bytes()
		if off == 0 {
			copy(b, h[:hlen])
		} else {
			copy(b, h[:wire.IPv4MinHeaderLen])
			copy(b[wire.IPv4MinHeaderLen:], laterOpts[:nOpts])
			clear(b[wire.IPv4MinHeaderLen+nOpts : hl]) // EOL padding
			wire.IPv4(b).SetVersionIHL(hl)
		}
		copy(b[hl:], payload[off:off+n])
		fh := wire.IPv4(b)
		fh.SetTotalLen(uint16(hl + n))
		more := off+n < len(payload) || origMF
		flags := fh.Flags() &^ wire.IPv4FlagMoreFragments
		if more {
			flags |= wire.IPv4FlagMoreFragments
		}
		fh.SetFlags(flags)
		fh.SetFragmentOffset(uint16(baseOff + off))
		fh.UpdateChecksum()
		frag.SetNetworkHeader()
		frag.Protocol = pkt.Protocol
		frag.Mark = pkt.Mark
		mib.Inc(netns.IPFragCreates)
		if err := p.transmit(ifc, nextHop, frag); err != nil {
			mib.Inc(netns.IPFragFails)
			return err
		}
		off += n
	}
	mib.Inc(netns.IPFragOKs)
	return nil
}
