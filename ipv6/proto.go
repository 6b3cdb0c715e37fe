package ipv6

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/internal/reasm"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// MinMTU is the smallest link MTU IPv6 allows (RFC 8200 section 5).
const MinMTU = 1280

// maxPayload is the largest payload length field (IPV6_MAXPLEN).
const maxPayload = 0xffff

type stateKey struct{}

// Protocol is the IPv6 layer of one namespace.
type Protocol struct {
	ns    *netns.Namespace
	reasm *reasm.Table

	pmtuMu sync.Mutex
	pmtu   map[netip.Addr]pmtuEntry

	limiter icmpLimiter
	ifs     ifStates

	// echoHook receives ICMPv6 echo replies for ping sockets; set by the
	// socket layer.
	netns.EchoHooks // receivers of echo replies
	// ndp receives Neighbour Discovery messages.
	ndp atomic.Pointer[ndpBox]
}

// EchoHook receives echo replies for ping sockets (netns.EchoHook).
type EchoHook = netns.EchoHook

// NDPHandler receives Neighbour Discovery messages (router and neighbour
// solicitations and advertisements, redirects), as Linux's ndisc_rcv.
// The ipv6 layer has verified the ICMPv6 checksum and the hop limit of
// 255 (RFC 4861 section 6.1.1, 7.1.1, 8.1) before calling it.
type NDPHandler interface {
	// HandleNDP takes a message whose data starts at the ICMPv6 header,
	// with the IPv6 header marked as the network header. It runs on the
	// receiving goroutine and owns pkt.
	HandleNDP(pkt *pktbuf.Buffer, info *netns.PacketInfo)
}

type ndpBox struct{ h NDPHandler }

type pmtuEntry struct {
	mtu     int
	expires time.Time
}

// Register installs IPv6 in ns and returns it; a second call returns the
// instance already installed.
func Register(ns *netns.Namespace) *Protocol {
	if p := Of(ns); p != nil {
		return p
	}
	p := &Protocol{ns: ns, pmtu: make(map[netip.Addr]pmtuEntry)}
	p.limiter.init()
	p.ifs.init()
	p.reasm = reasm.New(reasm.Config{
		Clock:      ns.Clock(),
		HighThresh: func() int64 { return ns.Sysctl.Int(netns.IP6FragHighThresh) },
		Timeout:    func() time.Duration { return ns.Sysctl.Duration(netns.IP6FragTime) },
		// The header handed to the table is the unfragmentable part and
		// the fragment header, which reassembly removes: the payload
		// length of the result is what follows the fixed header.
		MaxPayload: func(hdrLen int) int {
			return maxPayload - (hdrLen - wire.IPv6HeaderLen - wire.IPv6FragmentLen)
		},
		Expired: p.reassemblyExpired,
	})
	ns.SetProtocolState(stateKey{}, p)
	ns.RegisterNetwork(wire.EtherTypeIPv6, p)
	ns.RegisterTransport(6, wire.ProtoICMPv6, icmpHandler{p})
	ns.AddObserver(observer{p})
	// Addresses configured before IPv6 was registered join their groups
	// now.
	for _, ifc := range ns.Interfaces() {
		for _, a := range ifc.Addresses() {
			observer{p}.AddressChanged(ifc, a, true)
		}
	}
	return p
}

// Of returns the IPv6 layer registered in ns, or nil.
func Of(ns *netns.Namespace) *Protocol {
	p, _ := ns.ProtocolState(stateKey{}).(*Protocol)
	return p
}

// Namespace returns the namespace the layer serves.
func (p *Protocol) Namespace() *netns.Namespace { return p.ns }

// SetNDPHandler installs the receiver of Neighbour Discovery messages
// (the ndp package registers itself).
func (p *Protocol) SetNDPHandler(h NDPHandler) { p.ndp.Store(&ndpBox{h}) }

// ReassemblyMemory returns the bytes held by incomplete datagrams.
func (p *Protocol) ReassemblyMemory() int64 { return p.reasm.Memory() }

// FlushReassembly drops every incomplete datagram, as a namespace's
// teardown does (ip6_frags_pre_net_exit).
func (p *Protocol) FlushReassembly() { p.reasm.Flush() }

// ReassemblyPending returns the number of incomplete datagrams.
func (p *Protocol) ReassemblyPending() int { return p.reasm.Pending() }

// PathMTU returns the path MTU learned for dst from packet-too-big
// messages, or 0 if none is known or it expired
// (net.ipv6.route.mtu_expires).
func (p *Protocol) PathMTU(dst netip.Addr) int {
	p.pmtuMu.Lock()
	defer p.pmtuMu.Unlock()
	e, ok := p.pmtu[dst]
	if !ok {
		return 0
	}
	if !p.ns.Clock().Now().Before(e.expires) {
		delete(p.pmtu, dst)
		return 0
	}
	return e.mtu
}

// LearnPMTU records a smaller path MTU for dst, as a transport that
// validated a packet-too-big message first reports it (TCP's
// tcp_v6_mtu_reduced, through inet6_csk_update_pmtu); the same bounds and
// expiry apply as for the MTUs the ICMPv6 layer learns itself.
func (p *Protocol) LearnPMTU(dst netip.Addr, mtu int) {
	p.learnPMTU(dst, int(min(uint32(mtu), uint32(maxPayload+1))))
}

// learnPMTU records a smaller path MTU for dst (Linux's
// __ip6_rt_update_pmtu): never below 1280 (RFC 8201 section 4), never
// raised by a message, forgotten after mtu_expires.
func (p *Protocol) learnPMTU(dst netip.Addr, mtu int) {
	mtu = max(mtu, MinMTU)
	now := p.ns.Clock().Now()
	p.pmtuMu.Lock()
	defer p.pmtuMu.Unlock()
	if e, ok := p.pmtu[dst]; ok && e.mtu <= mtu && now.Before(e.expires) {
		return
	}
	if len(p.pmtu) >= 4096 {
		for k := range p.pmtu { // bounded: forget an arbitrary entry
			delete(p.pmtu, k)
			break
		}
	}
	p.pmtu[dst] = pmtuEntry{mtu: mtu, expires: now.Add(p.ns.Sysctl.Duration(netns.IP6RouteMTUExpires))}
}

// conf reads net.ipv6.conf.DEV.key of an interface; ok is false when the
// interface has no IPv6 configuration (an MTU below 1280, or gone).
func conf(ifc *netns.Interface, k netns.Key) (v int64, ok bool) {
	return ifc.Namespace().Sysctl.DevInt(ifc.Name(), k)
}

// confInt is conf without the presence flag.
func confInt(ifc *netns.Interface, k netns.Key) int64 {
	v, _ := conf(ifc, k)
	return v
}

// confAll reads net.ipv6.conf.all.key.
func confAll(ns *netns.Namespace, k netns.Key) int64 {
	v, _ := ns.Sysctl.DevInt("all", k)
	return v
}

// Forwarding reports whether the namespace forwards IPv6
// (net.ipv6.conf.all.forwarding, which ip6_forward consults).
func (p *Protocol) Forwarding() bool { return confAll(p.ns, netns.Conf6Forwarding) != 0 }

// SolicitedNode returns the solicited-node multicast group of a unicast
// address, ff02::1:ffXX:XXXX with its low 24 bits (RFC 4291 2.7.1).
func SolicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 0x01, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}

// IsSolicitedNode reports whether a is a solicited-node multicast group.
func IsSolicitedNode(a netip.Addr) bool {
	b := a.As16()
	return a.Is6() && b[0] == 0xff && b[1] == 0x02 && b[2]|b[3]|b[4]|b[5]|b[6]|b[7]|b[8]|b[9]|b[10] == 0 &&
		b[11] == 0x01 && b[12] == 0xff
}

// Well-known multicast groups.
var (
	// AllNodes is the link-local all-nodes group, ff02::1.
	AllNodes = netip.MustParseAddr("ff02::1")
	// AllRouters is the link-local all-routers group, ff02::2.
	AllRouters = netip.MustParseAddr("ff02::2")
	// AllMLDv2Routers is the group MLDv2 reports go to, ff02::16.
	AllMLDv2Routers = netip.MustParseAddr("ff02::16")
)

// observer joins and leaves solicited-node groups as addresses come and
// go, and reports memberships when a link comes up (Linux's addrconf
// joining in addrconf_dad_begin, ipv6_mc_up and ipv6_mc_down).
type observer struct{ p *Protocol }

// LinkChanged reports memberships again on up, stops MLD timers on down.
func (o observer) LinkChanged(ifc *netns.Interface, up bool) {
	if up {
		o.p.linkUp(ifc)
	} else {
		o.p.linkDown(ifc)
	}
}

// AddressChanged joins or leaves the address's solicited-node group on
// interfaces that resolve addresses (not loopback, not NOARP).
func (o observer) AddressChanged(ifc *netns.Interface, a netns.Address, added bool) {
	if !a.Addr().Is6() || !resolves(ifc) {
		return
	}
	g := SolicitedNode(a.Addr())
	if added {
		o.p.JoinGroup(ifc, g)
	} else {
		o.p.LeaveGroup(ifc, g)
	}
}
