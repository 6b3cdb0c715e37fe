package gonet_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// twoHosts makes namespaces "client" (10.0.0.1, fd00::1) and "server"
// (10.0.0.2, fd00::2) joined by a pipe with imp in both directions.
func twoHosts(t testing.TB, imp link.Impairments) (client, server *netns.Namespace) {
	t.Helper()
	client = gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	server = gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	for _, ns := range []*netns.Namespace{client, server} {
		// IPv6 addresses usable at once, without duplicate address
		// detection's wait (tests on the real clock).
		if err := ns.Sysctl.Set("net.ipv6.conf.default.accept_dad", "0"); err != nil {
			t.Fatal(err)
		}
	}
	ab, ba := imp, imp
	ba.Seed = imp.Seed + 1
	_, _, err := gosock.Connect(client, server,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24"), netip.MustParsePrefix("fd00::2/64")}},
		link.PipeConfig{AtoB: ab, BtoA: ba})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeNamespaces(client, server) })
	return client, server
}

// closeNamespaces lets the last segments (FINs, ACKs, resets) land, then
// closes the namespaces. gosock's ipv4 panics on a frame that is being
// received while its interface is removed (forward reads the sysctl of a
// device already gone), so tests do not close under traffic.
func closeNamespaces(nss ...*netns.Namespace) {
	time.Sleep(100 * time.Millisecond)
	for _, ns := range nss {
		ns.Close()
	}
}

// pipeMaker returns a nettest.MakePipe that listens on laddr in lns and
// dials the listener's address from dns.
func pipeMaker(t *testing.T, lns, dns *netns.Namespace, network, laddr, dialAddr string) nettest.MakePipe {
	return func() (c1, c2 net.Conn, stop func(), err error) {
		ln, err := gonet.Listen(lns, network, laddr)
		if err != nil {
			return nil, nil, nil, err
		}
		addr := dialAddr
		if addr == "" {
			addr = ln.Addr().String()
		}
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			c, err := ln.Accept()
			ch <- result{c, err}
		}()
		d := gonet.Dialer{Namespace: dns}
		c1, err = d.DialContext(context.Background(), network, addr)
		if err != nil {
			ln.Close()
			return nil, nil, nil, err
		}
		r := <-ch
		if r.err != nil {
			c1.Close()
			ln.Close()
			return nil, nil, nil, r.err
		}
		stop = func() {
			c1.Close()
			r.c.Close()
			ln.Close()
		}
		return c1, r.c, stop, nil
	}
}

func TestConnTCPLoopback(t *testing.T) {
	ns := gosock.NewNamespace(netns.Options{Name: "lo", Seed: 1})
	defer closeNamespaces(ns)
	nettest.TestConn(t, pipeMaker(t, ns, ns, "tcp", "127.0.0.1:0", ""))
}

func TestConnTCPAcrossNamespaces(t *testing.T) {
	for _, tc := range []struct {
		name, network, laddr, raddr string
		imp                         link.Impairments
	}{
		{"IPv4", "tcp", ":0", "10.0.0.2", link.Impairments{}},
		{"IPv6", "tcp6", "[fd00::2]:0", "fd00::2", link.Impairments{}},
		{"DualStack", "tcp", ":0", "fd00::2", link.Impairments{}},
		{"Latency", "tcp", ":0", "10.0.0.2", link.Impairments{Latency: 500 * time.Microsecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := twoHosts(t, tc.imp)
			ln, err := gonet.Listen(server, tc.network, tc.laddr)
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			ln.Close()
			nettest.TestConn(t, pipeMaker(t, server, client, tc.network, net.JoinHostPort("", port), net.JoinHostPort(tc.raddr, port)))
		})
	}
}

func TestConnUnix(t *testing.T) {
	for _, network := range []string{"unix", "unixpacket"} {
		t.Run(network, func(t *testing.T) {
			ns := gosock.NewNamespace(netns.Options{Name: "unix", Seed: 1})
			defer ns.Close()
			nettest.TestConn(t, pipeMaker(t, ns, ns, network, "/run/"+network+".sock", ""))
		})
	}
}
