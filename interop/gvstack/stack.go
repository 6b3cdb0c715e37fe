package gvstack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/gosock/gosock/bench"
	"github.com/gosock/gosock/link"
)

// NICID is the ID of the one NIC NewStack makes.
const NICID tcpip.NICID = 1

// Stack is a gVisor stack with one NIC over a gosock device.
type Stack struct {
	*stack.Stack
	link *Link
}

// NewStack returns a gVisor stack with IPv4 and TCP whose one NIC is a
// Link over dev, with addr assigned and a route to addr's prefix. TCP is
// set as close to Linux's defaults as gVisor allows: SACK on, cubic,
// receive-buffer moderation on, send buffers 4 KiB..16 KiB..4 MiB and
// receive buffers 4 KiB..128 KiB..6 MiB (tcp_wmem, tcp_rmem).
func NewStack(dev link.Device, addr netip.Prefix) (*Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	fail := func(what string, err tcpip.Error) (*Stack, error) {
		s.Close()
		s.Wait()
		return nil, fmt.Errorf("gvstack: %s: %s", what, err)
	}
	sack := tcpip.TCPSACKEnabled(true)
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); err != nil {
		return fail("SACK", err)
	}
	cc := tcpip.CongestionControlOption("cubic")
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &cc); err != nil {
		return fail("cubic", err)
	}
	mod := tcpip.TCPModerateReceiveBufferOption(true)
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &mod); err != nil {
		return fail("receive buffer moderation", err)
	}
	snd := tcpip.TCPSendBufferSizeRangeOption{Min: 4096, Default: 16384, Max: 4 << 20}
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &snd); err != nil {
		return fail("send buffer sizes", err)
	}
	rcv := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4096, Default: 131072, Max: 6 << 20}
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &rcv); err != nil {
		return fail("receive buffer sizes", err)
	}
	l := NewLink(dev)
	if err := s.CreateNIC(NICID, l); err != nil {
		return fail("NIC", err)
	}
	gs := &Stack{Stack: s, link: l}
	if err := gs.AddAddress(addr); err != nil {
		s.Close()
		s.Wait()
		return nil, err
	}
	s.SetRouteTable([]tcpip.Route{{Destination: subnet(addr), NIC: NICID}})
	return gs, nil
}

// AddAddress assigns another IPv4 address to the NIC.
func (s *Stack) AddAddress(addr netip.Prefix) error {
	pa := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(addr.Addr().As4()), PrefixLen: addr.Bits()},
	}
	if err := s.AddProtocolAddress(NICID, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("gvstack: address %v: %s", addr, err)
	}
	return nil
}

// Close shuts the stack down and waits for its goroutines.
func (s *Stack) Close() {
	s.Stack.Close()
	s.Stack.Wait()
}

func subnet(p netip.Prefix) tcpip.Subnet {
	m := p.Masked()
	sn, err := tcpip.NewSubnet(tcpip.AddrFrom4(m.Addr().As4()), tcpip.MaskFromBytes(net.CIDRMask(p.Bits(), 32)))
	if err != nil {
		panic(err)
	}
	return sn
}

// FullAddress converts an address and port for gVisor's calls.
func FullAddress(ap netip.AddrPort) tcpip.FullAddress {
	return tcpip.FullAddress{NIC: NICID, Addr: tcpip.AddrFrom4(ap.Addr().As4()), Port: ap.Port()}
}

// Factory makes gvisor stacks for the bench harness: two gVisor stacks,
// client 10.0.0.1 (and 10.1.x.y for DialFrom) and server 10.0.0.2,
// joined by the same kind of link.Pipe as gosock's (raw IP, so no ARP),
// carrying the LinkConfig's MTU, GSO, loss and RTT.
var Factory = bench.Factory{Name: "gvisor", New: newBenchStack}

type benchStack struct {
	client, server *Stack
	a, b           *link.PipeEnd

	mu      sync.Mutex
	sources int // client addresses added for DialFrom
}

func newBenchStack(cfg bench.LinkConfig) (bench.Stack, error) {
	pc := link.PipeConfig{Type: link.TypeRawIP, MTU: cfg.MTU}
	if cfg.GSO {
		pc.Capabilities = link.Capabilities{GSOMaxSize: 65536, ChecksumOffload: true}
	}
	for i, imp := range []*link.Impairments{&pc.AtoB, &pc.BtoA} {
		imp.Latency = cfg.RTT / 2
		imp.Loss = cfg.Loss
		imp.Seed = cfg.Seed*2 + int64(i)
	}
	a, b := link.NewPipe(pc)
	client, err := NewStack(a, netip.MustParsePrefix("10.0.0.1/8"))
	if err != nil {
		a.Close()
		return nil, err
	}
	server, err := NewStack(b, netip.MustParsePrefix("10.0.0.2/8"))
	if err != nil {
		client.Close()
		a.Close()
		return nil, err
	}
	return &benchStack{client: client, server: server, a: a, b: b}, nil
}

func (s *benchStack) Listen() (net.Listener, error) {
	return gonet.ListenTCP(s.server.Stack, FullAddress(netip.MustParseAddrPort("10.0.0.2:0")), ipv4.ProtocolNumber)
}

func (s *benchStack) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil, err
	}
	return gonet.DialContextTCP(ctx, s.client.Stack, FullAddress(ap), ipv4.ProtocolNumber)
}

// DialFrom dials from 10.1.0.1 plus src, adding the address first.
func (s *benchStack) DialFrom(ctx context.Context, src int, addr net.Addr) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for s.sources <= src {
		a := nth(netip.MustParseAddr("10.1.0.1"), s.sources)
		if err := s.client.AddAddress(netip.PrefixFrom(a, 8)); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.sources++
	}
	s.mu.Unlock()
	local := FullAddress(netip.AddrPortFrom(nth(netip.MustParseAddr("10.1.0.1"), src), 0))
	return gonet.DialTCPWithBind(ctx, s.client.Stack, local, FullAddress(ap), ipv4.ProtocolNumber)
}

func (s *benchStack) Close() error {
	s.client.Close()
	s.server.Close()
	return s.a.Close()
}

// nth returns the IPv4 address n after base.
func nth(base netip.Addr, n int) netip.Addr {
	b := base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) + uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
