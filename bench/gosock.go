package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// GosockPipe makes gosock stacks of two namespaces, client and server,
// joined by a link.Pipe that carries the LinkConfig: its MTU, GSO as the
// pipe's GSOMaxSize, loss and half the RTT as each direction's
// impairments. The client is 10.0.0.1 (and 10.1.x.y for DialFrom), the
// server 10.0.0.2, all in 10.0.0.0/8, which exists only inside the
// process.
var GosockPipe = Factory{Name: "gosock", New: newGosockPipe}

// GosockLoopback makes gosock stacks of one namespace talking to itself
// over its loopback device, as two processes on one host would over
// 127.0.0.1. It supports only a perfect link with loopback's own MTU.
var GosockLoopback = Factory{Name: "gosock-lo", New: newGosockLoopback}

// gosockStack is a client namespace and a server namespace, which may be
// the same one.
type gosockStack struct {
	client, server *netns.Namespace
	clientIfc      *netns.Interface
	serverIfc      *netns.Interface
	listenAddr     string
	srcBase        netip.Addr // DialFrom's source 0; the rest follow it
	srcPrefix      int

	mu      sync.Mutex
	sources []*gonet.Dialer // DialFrom's dialers, by source index
}

func newGosockPipe(cfg LinkConfig) (Stack, error) {
	client := gosock.NewNamespace(netns.Options{Name: "bench-client", Seed: uint64(cfg.Seed)*2 + 1})
	server := gosock.NewNamespace(netns.Options{Name: "bench-server", Seed: uint64(cfg.Seed)*2 + 2})
	pc := link.PipeConfig{MTU: cfg.MTU}
	if cfg.GSO {
		pc.Capabilities = link.Capabilities{GSOMaxSize: 65536, ChecksumOffload: true}
	}
	for i, imp := range []*link.Impairments{&pc.AtoB, &pc.BtoA} {
		imp.Latency = cfg.RTT / 2
		imp.Loss = cfg.Loss
		imp.Seed = cfg.Seed*2 + int64(i)
	}
	ci, si, err := gosock.Connect(client, server,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/8")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/8")}},
		pc)
	if err != nil {
		client.Close()
		server.Close()
		return nil, err
	}
	// Static neighbour entries, both ways (`ip neigh add ... nud
	// permanent`; DialFrom adds the server's for each new client
	// address): the runs measure TCP, and a run of a million connections
	// starves the pipe for long enough that an ARP re-resolution of a
	// busy neighbour can time out (3 s) and fail a connect with
	// EHOSTUNREACH.
	ci.Neighbours(4).Add(netip.MustParseAddr("10.0.0.2"), si.Device().HardwareAddr())
	si.Neighbours(4).Add(netip.MustParseAddr("10.0.0.1"), ci.Device().HardwareAddr())
	return &gosockStack{
		client: client, server: server, clientIfc: ci, serverIfc: si,
		listenAddr: "10.0.0.2:0",
		srcBase:    netip.MustParseAddr("10.1.0.1"), srcPrefix: 8,
	}, nil
}

func newGosockLoopback(cfg LinkConfig) (Stack, error) {
	if cfg.Loss != 0 || cfg.RTT != 0 || (cfg.MTU != 0 && cfg.MTU < 65280) {
		return nil, ErrUnsupported
	}
	ns := gosock.NewNamespace(netns.Options{Name: "bench-lo", Seed: uint64(cfg.Seed)})
	return &gosockStack{
		client: ns, server: ns,
		listenAddr: "127.0.0.1:0",
		srcBase:    netip.MustParseAddr("127.1.0.1"),
	}, nil
}

func (s *gosockStack) Listen() (net.Listener, error) {
	// No keepalive on accepted connections, as on the dialed ones: Go's
	// default (15 s) would keep a timer per server end and, in a run of
	// a million idle connections, a stream of probes.
	lc := gonet.ListenConfig{Namespace: s.server, KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp4", s.listenAddr)
}

func (s *gosockStack) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	d := gonet.Dialer{Namespace: s.client, KeepAlive: -1}
	return d.DialContext(ctx, "tcp4", addr.String())
}

// DialFrom dials from the src-th address after srcBase, adding it to the
// client's interface first if it is new. Loopback needs no addresses:
// 127.0.0.0/8 is all local.
func (s *gosockStack) DialFrom(ctx context.Context, src int, addr net.Addr) (net.Conn, error) {
	d, err := s.source(src)
	if err != nil {
		return nil, err
	}
	return d.DialContext(ctx, "tcp4", addr.String())
}

func (s *gosockStack) source(src int) (*gonet.Dialer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.sources) <= src {
		a := nthAddr(s.srcBase, len(s.sources))
		if s.clientIfc != nil {
			if err := s.clientIfc.AddAddress(netip.PrefixFrom(a, s.srcPrefix)); err != nil {
				return nil, fmt.Errorf("bench: adding client address %v: %w", a, err)
			}
			if s.serverIfc != nil {
				s.serverIfc.Neighbours(4).Add(a, s.clientIfc.Device().HardwareAddr())
			}
		}
		s.sources = append(s.sources, &gonet.Dialer{
			Namespace: s.client, KeepAlive: -1,
			LocalAddr: &net.TCPAddr{IP: a.AsSlice()},
		})
	}
	return s.sources[src], nil
}

func (s *gosockStack) Close() error {
	err := s.client.Close()
	if s.server != s.client {
		if e := s.server.Close(); err == nil {
			err = e
		}
	}
	return err
}

// nthAddr returns the IPv4 address n after base.
func nthAddr(base netip.Addr, n int) netip.Addr {
	b := base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
