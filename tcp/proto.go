package tcp

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

type stateKey struct{}

// Protocol is TCP in one namespace: the receiver of segments for IPv4
// and IPv6 (tcp_v4_rcv, tcp_v6_rcv), the connection and listener tables
// (the established and listening hashes), the port table and the
// namespace-wide secrets.
type Protocol struct {
	ns      *netns.Namespace
	secrets secrets
	ports   *inet.PortTable

	mem memAccount // tcp_memory_allocated and pressure (mem.go)

	tfoOnce sync.Once // the Fast Open key when none is configured (fastopen.go)
	tfoKey  tfoKey
	// tfoCache holds Fast Open cookies and MSS per destination (fastopen.go).
	tfoCache tfoCache

	mu        sync.RWMutex
	conns     connTable
	tws       twTable // connections in TIME-WAIT the user closed (twsock.go)
	listeners map[uint16][]*conn

	twt twTimers // the records' timer (twsock.go)
}

// Register installs TCP in ns: as the transport for IPv4 and IPv6, and as
// the SOCK_STREAM protocol of the inet families (inet.Register first). It
// returns the instance; a second call returns the one installed.
func Register(ns *netns.Namespace) *Protocol {
	if p, ok := ns.ProtocolState(stateKey{}).(*Protocol); ok {
		return p
	}
	p := &Protocol{ns: ns, listeners: make(map[uint16][]*conn)}
	p.twt.p = p
	p.secrets.seq = [2]uint64{ns.Rand(), ns.Rand()}
	p.secrets.ts = [2]uint64{ns.Rand(), ns.Rand()}
	p.ports = inet.NewPortTable(ns, inet.StreamReuse)
	ns.SetProtocolState(stateKey{}, p)
	ns.RegisterTransport(4, wire.ProtoTCP, handler{p, 4})
	ns.RegisterTransport(6, wire.ProtoTCP, handler{p, 6})
	if inet.Of(ns) != nil {
		_ = inet.AddProtocol(ns, inet.Protosw{
			Type: abi.SOCK_STREAM, Protocol: abi.IPPROTO_TCP, Proto: proto{p},
			Ops: inet.StreamOps, Flags: inet.ProtoswPermanent | inet.ProtoswICSK,
		})
	}
	return p
}

// hash adds a connection to the table; false if its 4-tuple is taken.
func (p *Protocol) hash(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tws.get(c.local, c.remote) != nil || !p.conns.insert(c) {
		return false
	}
	c.hashed = true
	return true
}

// unhash removes a connection from the table.
func (p *Protocol) unhash(c *conn) {
	if !c.hashed {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns.remove(c)
	c.hashed = false
}

func (p *Protocol) addListener(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := c.sk.Num
	p.listeners[port] = append(p.listeners[port], c)
}

func (p *Protocol) removeListener(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := c.sk.Num
	ls := p.listeners[port]
	for i, l := range ls {
		if l == c {
			p.listeners[port] = append(ls[:i:i], ls[i+1:]...)
			break
		}
	}
	if len(p.listeners[port]) == 0 {
		delete(p.listeners, port)
	}
}

// lookup finds the connection for a segment, else the best listener
// (__inet_lookup: established first, then listeners preferring a
// specific address over the wildcard).
func (p *Protocol) lookup(local, remote netip.AddrPort, ifindex int) *conn {
	c, _ := p.lookupTW(local, remote, ifindex, false)
	return c
}

// lookupTW is lookup that, with tw, looks for a record in TIME-WAIT
// after the established table and before the listeners, as Linux's
// ehash holds timewait socks beside the established ones.
func (p *Protocol) lookupTW(local, remote netip.AddrPort, ifindex int, tw bool) (*conn, *twSock) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if c := p.conns.get(local, remote); c != nil {
		return c, nil
	}
	if tw {
		if t := p.tws.get(local, remote); t != nil {
			return nil, t
		}
	}
	var best *conn
	bestScore := -1
	for _, l := range p.listeners[local.Port()] {
		a := l.sk.Addrs()
		bound := inet.Wire(a.RcvAddr)
		score := 0
		switch {
		case bound.IsValid() && !bound.IsUnspecified():
			if bound != local.Addr() {
				continue
			}
			score = 2
		case local.Addr().Is4() && l.sk.V6 && a.V6Only:
			continue
		case local.Addr().Is6() && !l.sk.V6:
			continue
		}
		if a.Dev != 0 && a.Dev != ifindex {
			continue
		}
		if l.sk.V6 == local.Addr().Is6() {
			score++
		}
		if score > bestScore {
			best, bestScore = l, score
		}
	}
	return best, nil
}

// Of returns the TCP registered in ns, or nil.
func Of(ns *netns.Namespace) *Protocol {
	p, _ := ns.ProtocolState(stateKey{}).(*Protocol)
	return p
}

type handler struct {
	p       *Protocol
	version int
}

// Input receives one segment (tcp_v4_rcv): header and checksum checks,
// then the socket lookup; a segment for no socket is answered with a
// reset, as Linux's tcp_v4_send_reset.
func (h handler) Input(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	p := h.p
	mib := p.ns.MIB
	defer pkt.Release()
	if info.Broadcast || info.Multicast {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	mib.Inc(netns.TCPInSegs)
	seg, err := wire.ParseTCP(pkt.Bytes())
	if err != nil {
		mib.Inc(netns.TCPInErrs)
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	if !pkt.ChecksumVerified && !seg.ValidChecksum(info.Src, info.Dst) {
		mib.Inc(netns.TCPInCsumErrors)
		mib.Inc(netns.TCPInErrs)
		mib.Drop(netns.DropTCPCsum)
		return
	}
	local := netip.AddrPortFrom(info.Dst, seg.DstPort())
	remote := netip.AddrPortFrom(info.Src, seg.SrcPort())
	ifindex := 0
	if info.Iface != nil {
		ifindex = info.Iface.Index()
	}
	c, tw, ic := p.steerLookup(local, remote, ifindex)
	if tw != nil {
		s := parseSegment(seg)
		p.twInput(tw, &s, local, remote, ic)
		return
	}
	if c == nil {
		mib.Drop(netns.DropNoSocket)
		if ic == nil { // a steered segment with no transparent socket is dropped
			p.sendReset(seg, info)
		}
		return
	}
	s := parseSegment(seg)
	s.ecn = info.TOS & 3
	c.mu.Lock()
	if c.state == Close && !c.hashed {
		// The connection ended while this segment waited for its lock:
		// if a TIME-WAIT record took its place (twsock.go), the record
		// answers, as the connection in TIME-WAIT would have.
		p.mu.RLock()
		tw := p.tws.get(local, remote)
		p.mu.RUnlock()
		if tw != nil {
			c.mu.Unlock()
			p.twInput(tw, &s, local, remote, ic)
			return
		}
	}
	c.steeredInput(&s, local, remote, ic)
	c.memSync()
	c.mu.Unlock()
}

// sendResetFor answers a segment with a reset from the addresses it was
// sent to.
func (p *Protocol) sendResetFor(s *segment, local, remote netip.AddrPort) {
	if s.has(wire.TCPFlagRST) {
		return
	}
	f := wire.TCPFields{SrcPort: local.Port(), DstPort: remote.Port(), Flags: wire.TCPFlagRST}
	if s.has(wire.TCPFlagACK) {
		f.Seq = s.ack
	} else {
		f.Ack = s.seq + s.seqLen()
		f.Flags |= wire.TCPFlagACK
	}
	p.transmit(local.Addr(), remote.Addr(), &f, nil, 0)
	p.ns.MIB.Inc(netns.TCPOutRsts)
}

// sendReset answers seg, which found no socket, with a reset (RFC 9293
// section 3.10.7.1; tcp_v4_send_reset): never a reset for a reset; if
// seg carried an ACK, RST with seq = its ack; otherwise RST|ACK with
// seq 0 acknowledging everything seg occupied.
func (p *Protocol) sendReset(seg wire.TCP, info *netns.PacketInfo) {
	flags := seg.Flags()
	if flags&wire.TCPFlagRST != 0 {
		return
	}
	f := wire.TCPFields{SrcPort: seg.DstPort(), DstPort: seg.SrcPort(), Flags: wire.TCPFlagRST}
	if flags&wire.TCPFlagACK != 0 {
		f.Seq = seg.Ack()
	} else {
		n := uint32(len(seg.Payload()))
		if flags&wire.TCPFlagSYN != 0 {
			n++
		}
		if flags&wire.TCPFlagFIN != 0 {
			n++
		}
		f.Ack = seg.Seq() + n
		f.Flags |= wire.TCPFlagACK
	}
	p.transmit(info.Dst, info.Src, &f, nil, 0)
	p.ns.MIB.Inc(netns.TCPOutRsts)
}

// transmit builds a segment from f and payload and sends it from src to
// dst; tos is the IPv4 TOS or IPv6 traffic class.
func (p *Protocol) transmit(src, dst netip.Addr, f *wire.TCPFields, payload []byte, tos uint8) error {
	return p.transmitGSO(src, dst, f, payload, tos, 0, true, time.Time{}, nil)
}
