package tcp_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/tcp"
)

// TestRcvBufGrowsWithSmallReads sends 16 MiB over a 65,280-byte-MTU pipe
// with a 1 ms round trip to a reader that takes 8 KiB per read, as
// io.Copy into io.Discard does. tcp_rcv_space_adjust grows the receive
// buffer to twice what a round trip delivered plus 16 segments, so the
// window soon covers many segments and the sender is seldom limited by
// it. Before, the buffer grew to four times one round trip's reads only,
// which 8 KiB reads under a sub-millisecond RTT never made larger than
// about 300 KB: the window stayed a few segments, the sender was
// window-limited all the time, and the transfer took 294 ms of the
// bubble's time (12 ms with the growth).
func TestRcvBufGrowsWithSmallReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
		b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
		defer a.Close()
		defer b.Close()
		imp := link.Impairments{Latency: 500 * time.Microsecond}
		_, _, err := gosock.Connect(a, b,
			gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
			gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
			link.PipeConfig{MTU: 65280, AtoB: imp, BtoA: imp})
		must(t, err)
		cp, sp := sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2})
		ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, 1))
		const size = 16 << 20
		rcvbuf := make(chan int, 1)
		go func() {
			fd, _, err := sp.Accept(ls)
			if err != nil {
				t.Error("accept:", err)
				rcvbuf <- 0
				return
			}
			buf := make([]byte, 8192)
			for got := 0; got < size; {
				n, err := sp.Read(fd, buf)
				if err != nil || n == 0 {
					t.Errorf("read after %d bytes: %d, %v", got, n, err)
					break
				}
				got += n
			}
			v, err := sp.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_RCVBUF)
			must(t, err)
			rcvbuf <- v
			sp.Close(fd)
		}()
		fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
		start := time.Now()
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < size; {
			n, err := cp.Write(fd, chunk)
			must(t, err)
			sent += n
		}
		if v := <-rcvbuf; v < 1<<20 {
			t.Errorf("receiver's SO_RCVBUF %d after 16 MiB read 8 KiB at a time, want at least 1 MiB", v)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			var info abi.TCPInfo
			for _, si := range tcp.Of(a).Sockets() {
				if si.State != tcp.Listen {
					info = si.Info
				}
			}
			t.Errorf("16 MiB took %v over a 1 ms round trip, want under 50 ms (window-limited %d µs of %d µs busy)",
				d, info.RwndLimited, info.BusyTime)
		}
		must(t, cp.Close(fd))
		must(t, sp.Close(ls))
	})
}
