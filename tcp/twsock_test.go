package tcp_test

import (
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/tcp"
)

// closeServerFirst opens n connections from cp to sp's listener ls on
// port 80 and closes each from the server first, then from the client,
// so the server's ends go to TIME-WAIT.
func closeServerFirst(t *testing.T, cp, sp *sys.Process, ls, n int) {
	t.Helper()
	for range n {
		c, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.Connect(c, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
		a, _, err := sp.Accept(ls)
		must(t, err)
		must(t, sp.Close(a))
		time.Sleep(10 * time.Millisecond)
		must(t, cp.Close(c))
		time.Sleep(10 * time.Millisecond)
	}
	synctest.Wait()
}

func listen80(t *testing.T, sp *sys.Process) int {
	t.Helper()
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 64))
	return ls
}

// TestTimeWaitMaxBuckets: beyond net.ipv4.tcp_max_tw_buckets TIME-WAIT
// sockets, a connection that would enter TIME-WAIT closes instead,
// counted TCPTimeWaitOverflow (tcp_time_wait when inet_twsk_alloc
// fails); the FIN is still acknowledged, so the peer finishes cleanly.
func TestTimeWaitMaxBuckets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, cns, sns := pair(t, link.Impairments{Latency: time.Millisecond})
		must(t, sns.Sysctl.Set("net.ipv4.tcp_max_tw_buckets", "3"))
		ls := listen80(t, sp)
		closeServerFirst(t, cp, sp, ls, 5)
		if n := countState(sns, tcp.TimeWait); n != 3 {
			t.Errorf("%d server connections in TIME-WAIT, want 3", n)
		}
		if got := sns.MIB.Get(netns.TCPExtTCPTimeWaitOverflow); got != 2 {
			t.Errorf("TCPTimeWaitOverflow %d, want 2", got)
		}
		if conns, _ := tcp.Of(cns).Tables(); conns != 0 {
			t.Errorf("%d client connections left, want 0 (each peer got its FIN acknowledged)", conns)
		}
		if got := cns.MIB.Get(netns.TCPRetransSegs); got != 0 {
			t.Errorf("the client retransmitted %d segments", got)
		}
		// With the limit at 0 none enters TIME-WAIT.
		must(t, sns.Sysctl.Set("net.ipv4.tcp_max_tw_buckets", "0"))
		closeServerFirst(t, cp, sp, ls, 1)
		if got := sns.MIB.Get(netns.TCPExtTCPTimeWaitOverflow); got != 3 {
			t.Errorf("TCPTimeWaitOverflow %d with the limit at 0, want 3", got)
		}
		must(t, sp.Close(ls))
		time.Sleep(61 * time.Second)
		if conns, _ := tcp.Of(sns).Tables(); conns != 0 {
			t.Errorf("%d server connections after 2MSL, want 0", conns)
		}
		if got := sns.MIB.Get(netns.TCPExtTW); got != 3 {
			t.Errorf("TW %d after the timers ran out, want 3", got)
		}
	})
}

// TestTimeWaitListing: ss lists a closed connection's TIME-WAIT record
// with what its 2MSL timer has left; a connection whose socket the user
// still holds stays in TIME-WAIT as the connection (no timer shown) until
// close, which hands over the time left. Both are gone after 2MSL, the
// port with them.
func TestTimeWaitListing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, _, sns := pair(t, link.Impairments{Latency: time.Millisecond})
		ls := listen80(t, sp)
		closeServerFirst(t, cp, sp, ls, 1)
		time.Sleep(10 * time.Second)
		s := tcp.Of(sns).Sockets()
		if len(s) != 2 || s[1].State != tcp.TimeWait || !s[1].Orphan || !s[1].TimeWaitSock || s[1].Info.State != uint8(tcp.TimeWait) {
			t.Fatalf("sockets: %+v", s)
		}
		// 10 s and the close's 10 ms and one-way trip of the FIN.
		if left := s[1].TimeWaitLeft; left < 49*time.Second || left > 50*time.Second {
			t.Errorf("TIME-WAIT timer has %v left, want about 50 s", left)
		}

		// The server shuts down its sending side and keeps the socket.
		c, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.Connect(c, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
		a, _, err := sp.Accept(ls)
		must(t, err)
		must(t, sp.Shutdown(a, abi.SHUT_WR))
		time.Sleep(10 * time.Millisecond)
		must(t, cp.Close(c))
		time.Sleep(10 * time.Millisecond)
		held := func() (tcp.SockInfo, int) {
			n := 0
			var h tcp.SockInfo
			for _, si := range tcp.Of(sns).Sockets() {
				if si.State == tcp.TimeWait {
					n++
					if !si.Orphan {
						h = si
					}
				}
			}
			return h, n
		}
		if h, n := held(); n != 2 || h.State != tcp.TimeWait || h.TimeWaitSock || h.TimeWaitLeft != 0 {
			t.Fatalf("%d in TIME-WAIT, the held one %+v", n, h)
		}
		time.Sleep(20 * time.Second)
		must(t, sp.Close(a))
		var left []time.Duration
		for _, si := range tcp.Of(sns).Sockets() {
			if si.State == tcp.TimeWait {
				if !si.Orphan || !si.TimeWaitSock {
					t.Errorf("a TIME-WAIT socket still held after close: %+v", si)
				}
				left = append(left, si.TimeWaitLeft)
			}
		}
		if len(left) != 1 {
			// The first record ran out at 60 s: 10 + 20 s passed, so it
			// is still there too.
			if len(left) != 2 {
				t.Fatalf("%d TIME-WAIT records, want 2", len(left))
			}
		}
		for _, l := range left {
			if l < 29*time.Second || l > 40*time.Second {
				t.Errorf("TIME-WAIT time left %v, want 30 to 40 s", l)
			}
		}
		must(t, sp.Close(ls))
		time.Sleep(41 * time.Second)
		if conns, listeners := tcp.Of(sns).Tables(); conns != 0 || listeners != 0 {
			t.Errorf("after 2MSL: %d connections, %d listeners", conns, listeners)
		}
		// The port is free again.
		s2, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		if err := sp.Bind(s2, &abi.SockaddrInet4{Port: 80}); err != nil {
			t.Errorf("bind after TIME-WAIT: %v", err)
		}
		sp.Close(s2)
	})
}

// TestTimeWaitHeap measures the heap a connection in TIME-WAIT holds: n
// connections are opened and closed by the server first, and the live
// heap after a collection, less the heap before, is divided by n. The
// whole connection with its socket is over 2.5 KB, the inet socket alone
// about 700 bytes; the record, with the port it holds without the socket,
// must stay under 400 bytes, so that a connection or socket kept alive
// by it fails the test.
func TestTimeWaitHeap(t *testing.T) {
	const n = 1000
	synctest.Test(t, func(t *testing.T) {
		cp, sp, _, sns := pair(t, link.Impairments{Latency: time.Millisecond})
		ls := listen80(t, sp)
		closeServerFirst(t, cp, sp, ls, 10) // warm up: tables, pools
		time.Sleep(61 * time.Second)
		before := liveHeap()
		closeServerFirst(t, cp, sp, ls, n)
		after := liveHeap()
		// A few of the client's random ports repeat, and the new SYN
		// reopens the old 4-tuple's TIME-WAIT: count what is there.
		tw := countState(sns, tcp.TimeWait)
		if tw < n*9/10 {
			t.Fatalf("%d connections in TIME-WAIT, want about %d", tw, n)
		}
		per := (int64(after) - int64(before)) / int64(tw)
		t.Logf("heap per TIME-WAIT connection: %d B", per)
		if per > 400 {
			t.Errorf("heap per TIME-WAIT connection %d B, want at most 400", per)
		}
		sp.Close(ls)
		time.Sleep(61 * time.Second)
	})
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
