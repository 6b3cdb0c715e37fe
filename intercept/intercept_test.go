package intercept_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/intercept"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/tcp"
)

// world is a client namespace (10.0.0.2) whose default route points at a
// proxy namespace (10.0.0.1), where the tests intercept: the addresses
// the client reaches (198.51.100.0/24) exist nowhere.
type world struct {
	client, proxy *netns.Namespace
	pifc          *netns.Interface // the proxy's interface
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{
		client: gosock.NewNamespace(netns.Options{Name: "client", Seed: 1}),
		proxy:  gosock.NewNamespace(netns.Options{Name: "proxy", Seed: 2}),
	}
	for _, ns := range []*netns.Namespace{w.client, w.proxy} {
		// IPv6 addresses usable at once, without duplicate address
		// detection.
		if err := ns.Sysctl.Set("net.ipv6.conf.default.accept_dad", "0"); err != nil {
			t.Fatal(err)
		}
	}
	_, pifc, err := gosock.Connect(w.client, w.proxy,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24"), netip.MustParsePrefix("fd00::2/64")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}},
		link.PipeConfig{AtoB: link.Impairments{Latency: time.Millisecond}, BtoA: link.Impairments{Latency: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	w.pifc = pifc
	if err := w.client.AddRoute(netns.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	if err := w.client.AddRoute(netns.Route{Dst: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fd00::1")}); err != nil {
		t.Fatal(err)
	}
	return w
}

// close lets the last segments land (on fake time), then closes the
// namespaces; tests defer it inside their bubble.
func (w *world) close() {
	time.Sleep(time.Second)
	w.client.Close()
	w.proxy.Close()
}

func (w *world) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := gonet.Dialer{Namespace: w.client}
	return d.DialContext(ctx, network, addr)
}

func echo(c net.Conn) {
	defer c.Close()
	io.Copy(c, c)
}

// TestListen_OriginalDestination: a connection to an address nobody owns
// is accepted by the interceptor, whose accepted socket reports the
// original destination as its local address (getsockname), and the
// client sees its peer as that address.
func TestListen_OriginalDestination(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		ln, err := intercept.Listen(w.proxy, []intercept.Rule{{Iface: w.pifc.Index()}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		dsts := []string{"198.51.100.7:80", "203.0.113.9:443", "10.0.0.1:8080", "[2001:db8::7]:80"}
		for _, dst := range dsts {
			got := make(chan netip.AddrPort, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					t.Error(err)
					close(got)
					return
				}
				od, _ := intercept.OriginalDestination(c)
				got <- od
				echo(c)
			}()
			c, err := w.dial(t.Context(), "tcp", dst)
			if err != nil {
				t.Fatalf("dial %s: %v", dst, err)
			}
			if od := <-got; od.String() != dst {
				t.Errorf("original destination %v, want %s", od, dst)
			}
			if c.RemoteAddr().String() != dst {
				t.Errorf("client's peer %v, want %s", c.RemoteAddr(), dst)
			}
			msg := []byte("hello " + dst)
			c.Write(msg)
			buf := make([]byte, len(msg))
			if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, msg) {
				t.Fatalf("echo: %q %v", buf, err)
			}
			c.Close()
		}
		cs := ln.Counters()
		if n := uint64(len(dsts)); cs.Steered != n || cs.Accepted != n || cs.Overflows != 0 || cs.NoSocket != 0 {
			t.Errorf("counters %+v", cs)
		}
		ln.Close()
		time.Sleep(2 * time.Minute) // past TIME-WAIT
		synctest.Wait()
		for _, ns := range []*netns.Namespace{w.proxy, w.client} {
			if s := tcp.Of(ns).Sockets(); len(s) != 0 {
				t.Errorf("%s: %d TCP sockets left: %+v", ns.Name(), len(s), s)
			}
		}
	})
}

// TestListen_ReuseAfterTimeWait: a client that reuses its port while
// the proxy's side of the old connection is in TIME-WAIT (the proxy
// closed first) reaches the interceptor at once; the old incarnation
// ends (nf_tproxy_handle_time_wait4).
func TestListen_ReuseAfterTimeWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		ln, err := intercept.Listen(w.proxy, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("bye"))
				c.Close() // the proxy closes first: its side ends in TIME-WAIT
			}
		}()
		d := gonet.Dialer{Namespace: w.client, LocalAddr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 40000}}
		for i := range 3 {
			start := time.Now()
			c, err := d.DialContext(t.Context(), "tcp", "198.51.100.7:80")
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			if b, err := io.ReadAll(c); err != nil || string(b) != "bye" {
				t.Fatalf("connection %d: %q, %v", i, b, err)
			}
			c.Close()
			if took := time.Since(start); took > 100*time.Millisecond {
				t.Errorf("connection %d took %v: its SYN was not answered at once", i, took)
			}
			synctest.Wait()
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestListen_ConnectionOutlivesListener: an accepted connection keeps
// working after its interceptor is closed and its rule removed (the
// transport still owns its non-local address: early demux).
func TestListen_ConnectionOutlivesListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		ln, err := intercept.Listen(w.proxy, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := ln.Accept()
			accepted <- c
		}()
		c, err := w.dial(t.Context(), "tcp", "198.51.100.7:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := <-accepted
		go echo(s)
		ln.Close()
		if n := len(w.proxy.Intercepts()); n != 0 {
			t.Fatalf("%d rules after Close", n)
		}
		roundTrip(t, c, "after the rule is gone")
		// A new connection to the same address is no longer taken.
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if nc, err := w.dial(ctx, "tcp", "198.51.100.7:80"); err == nil {
			nc.Close()
			t.Error("a new connection was accepted without a rule")
		}
	})
}

// TestListen_DeferredHandshake: without EarlyHandshake, a SYN is not
// answered until Accept; the client's connect waits (its SYN is
// retransmitted) and completes once the application accepts.
func TestListen_DeferredHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		ln, err := intercept.Listen(w.proxy, []intercept.Rule{{Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		if _, err := w.dial(ctx, "tcp", "198.51.100.7:80"); err == nil {
			t.Fatal("connected before the application accepted")
		}
		if got := tcp.Of(w.proxy).Sockets(); len(got) != 1 || got[0].State != tcp.Listen {
			t.Errorf("proxy sockets before accept: %+v", got)
		}
		done := make(chan error, 1)
		go func() {
			c, err := w.dial(t.Context(), "tcp", "198.51.100.7:80")
			if err == nil {
				c.Close()
			}
			done <- err
		}()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("dial returned before accept: %v", err)
		default:
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := <-done; err != nil {
			t.Fatalf("dial after accept: %v", err)
		}
	})
}

// TestListen_SlowApplication: an interceptor whose application stops
// accepting fills its pending queue; further flows are refused (or
// dropped) and counted, while another interceptor's flows, and the
// flows already established, keep working.
func TestListen_SlowApplication(t *testing.T) {
	for _, policy := range []netns.Overflow{netns.OverflowRefuse, netns.OverflowDrop} {
		for _, early := range []bool{false, true} {
			name := map[netns.Overflow]string{netns.OverflowRefuse: "refuse", netns.OverflowDrop: "drop"}[policy]
			if early {
				name += "/early"
			}
			t.Run(name, func(t *testing.T) { slowApplication(t, policy, early) })
		}
	}
}

func slowApplication(t *testing.T, policy netns.Overflow, early bool) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		const pending = 4
		stuck, err := intercept.Listen(w.proxy, []intercept.Rule{{Ports: []netns.PortRange{{First: 80, Last: 80}}}},
			&intercept.Options{Pending: pending, Overflow: policy, EarlyHandshake: early})
		if err != nil {
			t.Fatal(err)
		}
		defer stuck.Close()
		busy, err := intercept.Listen(w.proxy, []intercept.Rule{{Ports: []netns.PortRange{{First: 443, Last: 443}}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		go func() {
			for {
				c, err := busy.Accept()
				if err != nil {
					return
				}
				go echo(c)
			}
		}()
		// One established flow on the busy listener, before the flood.
		long, err := w.dial(t.Context(), "tcp", "198.51.100.1:443")
		if err != nil {
			t.Fatal(err)
		}
		defer long.Close()

		const flood = 12
		results := make(chan error, flood)
		stop := make(chan struct{})
		defer close(stop)
		for i := range flood {
			go func() {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				c, err := w.dial(ctx, "tcp", netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)}), 80).String())
				if err == nil {
					defer c.Close()
					// Hold the connection until the test ends.
					<-stop
				}
				results <- err
			}()
		}
		synctest.Wait()
		// The busy listener serves new and old flows meanwhile.
		for i := range 20 {
			c, err := w.dial(t.Context(), "tcp", netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), 443).String())
			if err != nil {
				t.Fatalf("busy listener, connection %d: %v", i, err)
			}
			roundTrip(t, c, "ping")
			c.Close()
		}
		roundTrip(t, long, "still here")

		cs := stuck.Counters()
		turnedAway := flood - pending
		if early {
			// The accept queue holds backlog+1 (sk_acceptq_is_full).
			turnedAway--
		}
		if cs.Overflows < uint64(turnedAway) {
			t.Errorf("overflows %d, want at least %d (%+v)", cs.Overflows, turnedAway, cs)
		}
		if policy == netns.OverflowRefuse {
			refused := 0
			for range turnedAway {
				if err := <-results; errors.Is(err, syscall.ECONNREFUSED) {
					refused++
				} else {
					t.Errorf("turned-away dial: %v, want ECONNREFUSED", err)
				}
			}
			if cs.Refused != uint64(refused) {
				t.Errorf("refused counter %d, want %d", cs.Refused, refused)
			}
		} else if cs.Refused != 0 {
			t.Errorf("refused %d under the drop policy", cs.Refused)
		}
		if bc := busy.Counters(); bc.Overflows != 0 || bc.Accepted != 21 {
			t.Errorf("busy listener counters %+v", bc)
		}
	})
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("round trip: %q, %v", buf, err)
	}
}

// TestSteering_NeedsTransparentSocket is Linux's rule: a steered SYN
// finds only an IP_TRANSPARENT listener; with none it is dropped (no
// reset), counted NoSocket. A normal listener on the target port does
// not get it.
func TestSteering_NeedsTransparentSocket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		plain, err := gonet.Listen(w.proxy, "tcp", ":7000")
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		ic, err := w.proxy.AddIntercept(netns.InterceptRule{Protocol: 6, OnPort: 7000})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if _, err := w.dial(ctx, "tcp", "198.51.100.7:80"); !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, syscall.ETIMEDOUT) {
			t.Errorf("dial: %v, want a timeout (SYNs dropped)", err)
		}
		if n := ic.Stats.NoSocket.Load(); n < 2 {
			t.Errorf("NoSocket %d, want the SYN and its retransmissions", n)
		}
		if n := w.proxy.MIB.Get(netns.TCPOutRsts); n != 0 {
			t.Errorf("%d resets sent", n)
		}
		// The same for UDP: dropped, no ICMP port unreachable.
		uic, err := w.proxy.AddIntercept(netns.InterceptRule{Protocol: 17, OnPort: 7000})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := gonet.ListenPacket(w.client, "udp4", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if _, err := pc.WriteTo([]byte("q"), net.UDPAddrFromAddrPort(netip.MustParseAddrPort("198.51.100.7:53"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if n := uic.Stats.NoSocket.Load(); n != 1 {
			t.Errorf("UDP NoSocket %d, want 1", n)
		}
		if n := w.proxy.MIB.Get(netns.UDPNoPorts); n != 0 {
			t.Errorf("UDPNoPorts %d: answered as a closed port", n)
		}
	})
}
