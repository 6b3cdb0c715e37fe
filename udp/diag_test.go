package udp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/udp"
)

// TestSocketsSnapshot checks the ss view of UDP sockets: a wildcard
// dual-stack server holding two unread datagrams, a v6-only one, and a
// connected client.
func TestSocketsSnapshot(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		srv := b.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, 0)
		defer b.p.Close(srv)
		must(t, b.p.Bind(srv, sa6("::", 9)))
		only := b.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, 0)
		defer b.p.Close(only)
		must(t, b.p.SetsockoptInt(only, abi.IPPROTO_IPV6, abi.IPV6_V6ONLY, 1))
		must(t, b.p.Bind(only, sa6("2001:db8::2", 19)))
		cl := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		defer a.p.Close(cl)
		must(t, a.p.Connect(cl, sa4("10.0.0.2", 9)))
		for range 2 {
			if _, err := a.p.Send(cl, make([]byte, 100), 0); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(10 * time.Millisecond)

		got := udp.Of(b.ns).Sockets()
		if len(got) != 2 {
			t.Fatalf("server sockets: %+v", got)
		}
		s := got[0]
		// truesize: payload, UDP and IPv4 headers, the fixed overhead.
		if s.Local != netip.MustParseAddrPort("[::]:9") || !s.V6 || s.V6Only || s.Connected ||
			s.Datagrams != 2 || s.RecvQ != 2*(100+8+20+576) {
			t.Errorf("wildcard server: %+v", s)
		}
		if s := got[1]; s.Local != netip.MustParseAddrPort("[2001:db8::2]:19") || !s.V6Only || s.RecvQ != 0 {
			t.Errorf("v6-only server: %+v", s)
		}
		port := a.port(t, cl)
		c := udp.Of(a.ns).Sockets()
		if len(c) != 1 || !c[0].Connected || c[0].V6 ||
			c[0].Local != netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(port)) ||
			c[0].Remote != netip.MustParseAddrPort("10.0.0.2:9") {
			t.Errorf("client: %+v", c)
		}
		buf := make([]byte, 200)
		if _, _, err := b.p.Recvfrom(srv, buf, 0); err != nil {
			t.Fatal(err)
		}
		if s := udp.Of(b.ns).Sockets()[0]; s.Datagrams != 1 || s.RecvQ != 100+8+20+576 {
			t.Errorf("after one read: %+v", s)
		}
	})
}
