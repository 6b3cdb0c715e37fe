package tcp_test

import (
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
)

// TestBusyPathNeedsNoARP: a client sends 1 KB every 100 ms for two and a
// half minutes, five times the 30 s base_reachable_time. The server's
// ACKs for the data show forward progress, and each next segment
// confirms the client's neighbour entry for the server (Linux's
// sk_dst_confirm and neigh_confirm), so the entry never goes stale and
// the client sends no ARP request after the one that resolved the server
// before the handshake. Datagrams paced the same way, which confirm
// nothing, make the client probe the entry again after each reachable
// time and its 5 s delay: what TCP would do without the confirmation.
func TestBusyPathNeedsNoARP(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "ipv4", true: "ipv6"}[v6], func(t *testing.T) { busyPath(t, v6) })
	}
}

func busyPath(t *testing.T, v6 bool) {
	const (
		period = 100 * time.Millisecond
		writes = 1500 // 150 s
		chunk  = 1000
	)
	synctest.Test(t, func(t *testing.T) {
		cp, sp, _, gate, fd, afd := gatedPair(t, v6, false)
		if got := gate.solicits.Load(); got != 1 {
			t.Fatalf("%d solicitations to set the connection up, want 1", got)
		}
		var wg sync.WaitGroup
		var received int
		wg.Go(func() {
			buf := make([]byte, 4096)
			for {
				n, err := sp.Read(afd, buf)
				if err != nil || n == 0 {
					return
				}
				received += n
			}
		})
		data := make([]byte, chunk)
		for range writes {
			if n, err := cp.Write(fd, data); err != nil || n != chunk {
				t.Fatalf("write: %d, %v", n, err)
			}
			time.Sleep(period)
		}
		must(t, cp.Shutdown(fd, abi.SHUT_WR))
		wg.Wait()
		if received != writes*chunk {
			t.Fatalf("received %d bytes, want %d", received, writes*chunk)
		}
		if got := gate.solicits.Load(); got != 1 {
			t.Errorf("%d solicitations in %v of transfer, want only the first", got, writes*period)
		}
		must(t, cp.Close(fd))
		must(t, sp.Close(afd))
	})
	synctest.Test(t, func(t *testing.T) {
		cp, sp, _, gate, fd, afd := gatedPair(t, v6, false)
		must(t, cp.Close(fd))
		must(t, sp.Close(afd))
		family, server := abi.AF_INET, netip.MustParseAddr("10.0.0.2")
		if v6 {
			family, server = abi.AF_INET6, netip.MustParseAddr("fd00::2")
		}
		us, err := sp.Socket(family, abi.SOCK_DGRAM, 0)
		must(t, err)
		must(t, sp.Bind(us, sockaddr(netip.AddrPortFrom(netip.Addr{}, 53), v6)))
		uc, err := cp.Socket(family, abi.SOCK_DGRAM, 0)
		must(t, err)
		to := sockaddr(netip.AddrPortFrom(server, 53), v6)
		data := make([]byte, chunk)
		for range writes {
			must(t, cp.Sendto(uc, data, 0, to))
			time.Sleep(period)
		}
		// REACHABLE for 30 s, then STALE, DELAY for 5 s and a unicast
		// probe the server answers: about one request per 35 s.
		if got := gate.solicits.Load(); got < 4 {
			t.Errorf("%d solicitations in %v of unconfirmed datagrams, want at least 4", got, writes*period)
		}
		must(t, cp.Close(uc))
		must(t, sp.Close(us))
	})
}
