package tcp_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/tcp"
)

// TestSocketsSnapshot checks the ss view of both ends of a connection
// with unread data on one side and unacknowledged data on the other,
// plus the listener with a connection waiting to be accepted.
func TestSocketsSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, cns, sns := pair(t, link.Impairments{Latency: 5 * time.Millisecond})
		ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, 7))
		c1, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.Connect(c1, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
		c2, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.Connect(c2, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
		sfd, _, err := sp.Accept(ls)
		must(t, err)
		// c1's 1000 bytes arrive and stay unread on the server.
		if _, err := cp.Write(c1, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()

		srv := tcp.Of(sns).Sockets()
		if len(srv) != 3 {
			t.Fatalf("server sockets: %+v", srv)
		}
		l := srv[0]
		if l.State != tcp.Listen || l.Local != netip.MustParseAddrPort("0.0.0.0:80") || l.Remote.IsValid() ||
			l.RecvQ != 1 || l.SendQ != 7 || l.V6 {
			t.Errorf("listener: %+v", l)
		}
		var unread int
		for _, s := range srv[1:] {
			if s.State != tcp.Established || s.Local != netip.MustParseAddrPort("10.0.0.2:80") ||
				s.Congestion != "cubic" || s.Info.State != uint8(tcp.Established) || s.Info.SndCwnd != 10 {
				t.Errorf("server connection: %+v", s)
			}
			unread += s.RecvQ
		}
		if unread != 1000 {
			t.Errorf("server Recv-Q total %d, want 1000", unread)
		}
		cli := tcp.Of(cns).Sockets()
		if len(cli) != 2 {
			t.Fatalf("client sockets: %+v", cli)
		}
		for _, s := range cli {
			if s.State != tcp.Established || s.Remote != netip.MustParseAddrPort("10.0.0.2:80") ||
				s.Local.Addr() != netip.MustParseAddr("10.0.0.1") || s.SendQ != 0 {
				t.Errorf("client connection: %+v", s)
			}
			// RTT samples are at least the 10 ms round trip (two 5 ms hops).
			if s.Info.RTT < 10000 || s.Info.RTT > 100000 {
				t.Errorf("client rtt %d us, want at least 10000", s.Info.RTT)
			}
		}

		// Data written while the peer's window is open but not yet
		// acknowledged shows in Send-Q.
		if _, err := sp.Write(sfd, make([]byte, 3000)); err != nil {
			t.Fatal(err)
		}
		// The accepted connection is c1's, the one with the unread data.
		accepted := func() tcp.SockInfo {
			for _, s := range tcp.Of(sns).Sockets() {
				if s.State == tcp.Established && s.RecvQ == 1000 {
					return s
				}
			}
			t.Fatal("the accepted connection is not listed")
			return tcp.SockInfo{}
		}
		if s := accepted(); s.SendQ != 3000 {
			t.Errorf("Send-Q %d right after a write, want 3000", s.SendQ)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if s := accepted(); s.SendQ != 0 || s.Info.BytesAcked < 3000 || s.Info.SegsOut < 3 {
			t.Errorf("after the ACKs: %+v", s)
		}

		// A closed connection passes through FIN-WAIT and stays listed in
		// TIME-WAIT on the side that closed first.
		must(t, cp.Close(c1))
		must(t, cp.Close(c2))
		time.Sleep(time.Second)
		synctest.Wait()
		for _, s := range tcp.Of(cns).Sockets() {
			if s.State != tcp.FinWait2 && s.State != tcp.TimeWait {
				t.Errorf("after close: %v %v", s.State, s.Remote)
			}
		}
		must(t, sp.Close(ls))
		must(t, sp.Close(sfd))
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if s := tcp.Of(cns).Sockets(); len(s) != 0 {
			t.Errorf("client sockets after TIME-WAIT: %+v", s)
		}
	})
}
