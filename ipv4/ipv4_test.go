package ipv4_test

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/arp"
	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// host makes a namespace with IPv4 and ARP registered.
func host(t *testing.T, name string, seed uint64) *netns.Namespace {
	ns := netns.New(netns.Options{Name: name, Seed: seed})
	ipv4.Register(ns)
	arp.Register(ns)
	t.Cleanup(func() { ns.Close() })
	return ns
}

// wire joins a and b with a pipe and gives each end an address.
func join(t *testing.T, a, b *netns.Namespace, aAddr, bAddr string, cfg link.PipeConfig) (*netns.Interface, *netns.Interface) {
	t.Helper()
	ea, eb := link.NewPipe(cfg)
	ia, err := a.AddInterface(ea)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := b.AddInterface(eb)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		ifc  *netns.Interface
		addr string
	}{{ia, aAddr}, {ib, bAddr}} {
		if err := x.ifc.SetUp(true); err != nil {
			t.Fatal(err)
		}
		if err := x.ifc.AddAddress(netip.MustParsePrefix(x.addr)); err != nil {
			t.Fatal(err)
		}
	}
	return ia, ib
}

func ping(t *testing.T, p *pinger.Pinger, dst string, seq uint16, size int, timeout time.Duration) (pinger.Reply, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Ping(ctx, netip.MustParseAddr(dst), seq, size)
}

func TestPingAcrossPipe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := pktbuf.Outstanding()
		a, b := host(t, "a", 1), host(t, "b", 2)
		join(t, a, b, "10.0.0.1/24", "10.0.0.2/24", link.PipeConfig{
			Names: [2]string{"eth0", "eth1"},
			AtoB:  link.Impairments{Latency: 5 * time.Millisecond},
			BtoA:  link.Impairments{Latency: 5 * time.Millisecond},
		})
		pa, pb := pinger.New(a, 100), pinger.New(b, 200)
		for seq := range uint16(3) {
			r, err := ping(t, pa, "10.0.0.2", seq, 56, time.Second)
			if err != nil {
				t.Fatalf("ping 10.0.0.2 seq %d: %v", seq, err)
			}
			want := 10 * time.Millisecond
			if seq == 0 {
				want = 20 * time.Millisecond // ARP request and reply first
			}
			if r.RTT != want || !r.PayloadOK || r.From != netip.MustParseAddr("10.0.0.2") || r.TTL != 64 {
				t.Errorf("seq %d: reply %+v, want rtt %v", seq, r, want)
			}
		}
		if _, err := ping(t, pb, "10.0.0.1", 1, 1000, time.Second); err != nil {
			t.Fatalf("reverse ping: %v", err)
		}
		// a resolved b (REACHABLE); b learned a from a's request (STALE)
		// and moved to DELAY when it used the entry for its reply, as
		// Linux does.
		for _, c := range []struct {
			ns    *netns.Namespace
			dev   string
			state netns.NeighState
		}{{a, "eth0", netns.NeighReachable}, {b, "eth1", netns.NeighDelay}} {
			es := c.ns.InterfaceByName(c.dev).Neighbours(4).Entries()
			if len(es) != 1 || es[0].State != c.state {
				t.Errorf("%s neighbours %+v, want one %v", c.ns.Name(), es, c.state)
			}
		}
		// Loopback works too.
		if _, err := ping(t, pa, "127.0.0.1", 9, 64, time.Second); err != nil {
			t.Errorf("ping 127.0.0.1: %v", err)
		}
		if _, err := ping(t, pa, "10.0.0.1", 10, 64, time.Second); err != nil {
			t.Errorf("ping own address: %v", err)
		}
		if got := b.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4EchoRequest)); got != 3 {
			t.Errorf("b Icmp InEchos = %d, want 3", got)
		}
		a.Close()
		b.Close()
		synctest.Wait()
		if n := pktbuf.Outstanding() - before; n != 0 {
			t.Errorf("%d buffers leaked", n)
		}
	})
}

// router builds a - r - c with 10.1.0.0/24 and 10.2.0.0/24.
func router(t *testing.T) (a, r, c *netns.Namespace) {
	a, r, c = host(t, "a", 1), host(t, "r", 2), host(t, "c", 3)
	join(t, a, r, "10.1.0.2/24", "10.1.0.1/24", link.PipeConfig{Names: [2]string{"eth0", "r-a"}})
	join(t, r, c, "10.2.0.1/24", "10.2.0.2/24", link.PipeConfig{Names: [2]string{"r-c", "eth0"}})
	for _, x := range []struct {
		ns *netns.Namespace
		gw string
	}{{a, "10.1.0.1"}, {c, "10.2.0.1"}} {
		if err := x.ns.AddRoute(netns.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr(x.gw)}); err != nil {
			t.Fatal(err)
		}
	}
	return a, r, c
}

func setForwarding(t *testing.T, ns *netns.Namespace, on bool) {
	v := "0"
	if on {
		v = "1"
	}
	if err := ns.Sysctl.Set("net.ipv4.ip_forward", v); err != nil {
		t.Fatal(err)
	}
}

func TestForwarding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, r, _ := router(t)
		pa := pinger.New(a, 1)
		// Off by default: the router drops silently and counts it, as
		// Linux's ip_error does when forwarding is disabled.
		if _, err := ping(t, pa, "10.2.0.2", 1, 56, 2*time.Second); err == nil {
			t.Fatal("reply through a router with forwarding off")
		}
		if got := r.MIB.Get(netns.IPInAddrErrors); got != 1 {
			t.Errorf("router InAddrErrors = %d, want 1", got)
		}
		setForwarding(t, r, true)
		rep, err := ping(t, pa, "10.2.0.2", 2, 56, 2*time.Second)
		if err != nil {
			t.Fatalf("ping through router: %v", err)
		}
		if rep.TTL != 63 {
			t.Errorf("reply TTL %d, want 63 (one hop)", rep.TTL)
		}
		if got := r.MIB.Get(netns.IPForwDatagrams); got != 2 {
			t.Errorf("router ForwDatagrams = %d, want 2", got)
		}
		// No route at the router: ICMP net unreachable comes back.
		if _, err := ping(t, pa, "10.9.0.1", 3, 56, 2*time.Second); err == nil {
			t.Fatal("reply from an unrouted network")
		}
		if got := a.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4DestUnreach)); got != 1 {
			t.Errorf("a received %d destination unreachables, want 1", got)
		}
		if got := r.MIB.Get(netns.IPExtInNoRoutes); got != 1 {
			t.Errorf("router InNoRoutes = %d", got)
		}
	})
}
