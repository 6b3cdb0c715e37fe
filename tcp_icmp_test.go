package gosock_test

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// TestTCPConnectICMPUnreachable: a router with no route to the
// destination answers the SYN with ICMP network unreachable, and connect
// fails at once with ENETUNREACH, as Linux's tcp_v4_err ends a connection
// in SYN-SENT; the SYN is not retransmitted for the 2 minutes the SYN
// retries would take. The same over IPv6 (ICMPv6 no route → ENETUNREACH).
func TestTCPConnectICMPUnreachable(t *testing.T) {
	for _, tc := range []struct{ name, dst string }{{"v4", "10.9.9.9:80"}, {"v6", "[fd09::9]:80"}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				host := gosock.NewNamespace(netns.Options{Name: "host", Seed: 1})
				router := gosock.NewNamespace(netns.Options{Name: "router", Seed: 2})
				defer host.Close()
				defer router.Close()
				imp := link.Impairments{Latency: 5 * time.Millisecond}
				if _, _, err := gosock.Connect(host, router,
					gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24"), netip.MustParsePrefix("fd00::2/64")}},
					gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}},
					link.PipeConfig{AtoB: imp, BtoA: imp}); err != nil {
					t.Fatal(err)
				}
				for _, r := range []netns.Route{
					{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.1")},
					{Dst: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fd00::1")},
				} {
					if err := host.AddRoute(r); err != nil {
						t.Fatal(err)
					}
				}
				for _, k := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
					if err := router.Sysctl.Set(k, "1"); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(3 * time.Second) // past IPv6 duplicate address detection
				start := time.Now()
				d := gonet.Dialer{Namespace: host}
				_, err := d.DialContext(context.Background(), "tcp", tc.dst)
				took := time.Since(start)
				if !errors.Is(err, syscall.ENETUNREACH) {
					t.Fatalf("dial: %v, want ENETUNREACH", err)
				}
				if took > time.Second {
					t.Errorf("dial failed after %v: the ICMP error should end it within a round trip", took)
				}
				if n := host.MIB.Get(netns.TCPAttemptFails); n != 1 {
					t.Errorf("AttemptFails = %d, want 1", n)
				}
			})
		})
	}
}
