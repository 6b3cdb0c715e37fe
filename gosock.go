// Package gosock is a user-space TCP/IP stack whose socket layer
// reproduces the Linux kernel's. This package wires the layers together:
// NewNamespace makes a network namespace with every protocol registered,
// and Connect joins two namespaces with a virtual wire.
//
// The layers live in their own packages, lowest first: errno, wire,
// pktbuf, link (devices), netns (namespaces, routes, neighbours, sysctls,
// counters), ipv4 and arp, ipv6 and ndp, and the socket families above
// them: inet (AF_INET, AF_INET6) with tcp, udp and raw (raw and ping
// sockets), packet (AF_PACKET) and unix (AF_UNIX).
package gosock

import (
	"net/netip"

	"github.com/gosock/gosock/arp"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/ndp"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/packet"
	"github.com/gosock/gosock/raw"
	"github.com/gosock/gosock/tcp"
	"github.com/gosock/gosock/udp"
	"github.com/gosock/gosock/unix"
)

// NewNamespace makes a namespace with a loopback interface and every
// protocol gosock implements registered in it.
func NewNamespace(opts netns.Options) *netns.Namespace {
	ns := netns.New(opts)
	Register(ns)
	return ns
}

// Register installs every protocol in a namespace made with netns.New.
func Register(ns *netns.Namespace) {
	ipv4.Register(ns)
	arp.Register(ns)
	ipv6.Register(ns)
	ndp.Register(ns)
	inet.Register(ns)
	tcp.Register(ns)
	udp.Register(ns)
	raw.Register(ns)
	packet.Register(ns)
	unix.Register(ns)
}

// Link describes one end of a Connect: the interface name and the
// addresses to configure on it.
type Link struct {
	Name  string
	Addrs []netip.Prefix
}

// Connect joins a and b with a pipe (link.NewPipe with cfg; the names in
// the Link values override cfg.Names), adds the interfaces, configures
// their addresses and brings them up, as `ip link add type veth` plus
// `ip addr add` and `ip link set up` would.
func Connect(a, b *netns.Namespace, la, lb Link, cfg link.PipeConfig) (*netns.Interface, *netns.Interface, error) {
	if la.Name != "" {
		cfg.Names[0] = la.Name
	}
	if lb.Name != "" {
		cfg.Names[1] = lb.Name
	}
	if cfg.Clock == nil {
		cfg.Clock = a.Clock()
	}
	ea, eb := link.NewPipe(cfg)
	ia, err := attach(a, ea, la.Addrs)
	if err != nil {
		ea.Close()
		return nil, nil, err
	}
	ib, err := attach(b, eb, lb.Addrs)
	if err != nil {
		_ = a.RemoveInterface(ia)
		return nil, nil, err
	}
	return ia, ib, nil
}

func attach(ns *netns.Namespace, dev link.Device, addrs []netip.Prefix) (*netns.Interface, error) {
	ifc, err := ns.AddInterface(dev)
	if err != nil {
		return nil, err
	}
	if err := ifc.SetUp(true); err != nil {
		return nil, err
	}
	for _, p := range addrs {
		if err := ifc.AddAddress(p); err != nil {
			_ = ns.RemoveInterface(ifc)
			return nil, err
		}
	}
	return ifc, nil
}
