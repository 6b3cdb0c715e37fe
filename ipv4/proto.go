package ipv4

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/internal/reasm"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

type stateKey struct{}

// Protocol is the IPv4 layer of one namespace.
type Protocol struct {
	ns    *netns.Namespace
	reasm *reasm.Table
	ident atomic.Uint32

	pmtuMu sync.Mutex
	pmtu   map[netip.Addr]pmtuEntry

	limiter icmpLimiter

	// echoHook receives ICMP echo replies and other non-error messages
	// for ping sockets; set by the socket layer.
	netns.EchoHooks // receivers of echo replies
}

// EchoHook receives echo replies for ping sockets (netns.EchoHook).
type EchoHook = netns.EchoHook

type pmtuEntry struct {
	mtu     int
	expires time.Time
}

// Register installs IPv4 in ns and returns it; a second call returns the
// instance already installed.
func Register(ns *netns.Namespace) *Protocol {
	if p := Of(ns); p != nil {
		return p
	}
	p := &Protocol{ns: ns, pmtu: make(map[netip.Addr]pmtuEntry)}
	p.ident.Store(uint32(ns.Rand()))
	p.limiter.init()
	p.reasm = reasm.New(reasm.Config{
		Clock:      ns.Clock(),
		HighThresh: func() int64 { return ns.Sysctl.Int(netns.IPFragHighThresh) },
		Timeout:    func() time.Duration { return time.Duration(ns.Sysctl.Int(netns.IPFragTime)) * time.Second },
		MaxPayload: func(hdrLen int) int { return 0xffff - hdrLen },
		Expired:    p.reassemblyExpired,
	})
	ns.SetProtocolState(stateKey{}, p)
	ns.RegisterNetwork(wire.EtherTypeIPv4, p)
	ns.RegisterTransport(4, wire.ProtoICMP, icmpHandler{p})
	return p
}

// Of returns the IPv4 layer registered in ns, or nil.
func Of(ns *netns.Namespace) *Protocol {
	p, _ := ns.ProtocolState(stateKey{}).(*Protocol)
	return p
}

// Namespace returns the namespace the layer serves.
func (p *Protocol) Namespace() *netns.Namespace { return p.ns }

// ReassemblyMemory returns the bytes held by incomplete datagrams.
func (p *Protocol) ReassemblyMemory() int64 { return p.reasm.Memory() }

// PathMTU returns the path MTU learned for dst from ICMP
// fragmentation-needed messages, or 0 if none is known or it expired
// (net.ipv4.route.mtu_expires).
func (p *Protocol) PathMTU(dst netip.Addr) int {
	p.pmtuMu.Lock()
	defer p.pmtuMu.Unlock()
	e, ok := p.pmtu[dst]
	if !ok {
		return 0
	}
	if p.ns.Clock().Now().After(e.expires) {
		delete(p.pmtu, dst)
		return 0
	}
	return e.mtu
}

// LearnPMTU records a smaller path MTU for dst, as a transport that
// validated a fragmentation-needed message first reports it (TCP's
// tcp_v4_mtu_reduced, through inet_csk_update_pmtu); the same bounds and
// expiry apply as for the MTUs the ICMP layer learns itself.
func (p *Protocol) LearnPMTU(dst netip.Addr, mtu int) { p.learnPMTU(dst, mtu) }

// learnPMTU records a smaller path MTU for dst (Linux's
// __ip_rt_update_pmtu: never below min_pmtu, 552).
func (p *Protocol) learnPMTU(dst netip.Addr, mtu int) {
	const minPMTU = 552
	if mtu < minPMTU {
		mtu = minPMTU
	}
	p.pmtuMu.Lock()
	defer p.pmtuMu.Unlock()
	if e, ok := p.pmtu[dst]; ok && e.mtu <= mtu && p.ns.Clock().Now().Before(e.expires) {
		return
	}
	if len(p.pmtu) > 4096 {
		for k := range p.pmtu { // bounded: forget an arbitrary entry
			delete(p.pmtu, k)
			break
		}
	}
	p.pmtu[dst] = pmtuEntry{mtu: mtu, expires: p.ns.Clock().Now().Add(600 * time.Second)}
}

// forwarding reports net.ipv4.conf.DEV.forwarding for the interface a
// packet came in on (IN_DEV_FORWARD), through the typed key so the packet
// path does no name lookup. An interface being removed has no table left,
// which reads as off: a packet racing with the removal is dropped.
func forwarding(ifc *netns.Interface) bool {
	v, ok := ifc.Namespace().Sysctl.DevInt(ifc.Name(), netns.Conf4Forwarding)
	return ok && v != 0
}
