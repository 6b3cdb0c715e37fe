package tcp

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
)

// TestBulkTransferAllocs moves data over loopback in steady state and
// counts heap allocations per 64 KiB round: once warm, the send queue,
// the retransmission queue's records (reused in place), the ACK path and
// the receive queue allocate nothing per segment.
func TestBulkTransferAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	if israce.Enabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	ns := netns.New(netns.Options{Seed: 1})
	ipv4.Register(ns)
	inet.Register(ns)
	Register(ns)
	defer ns.Close()
	p := sys.NewProcess(ns, sys.Options{})
	ls, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	addr := &abi.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}
	mustT(t, p.Bind(ls, addr))
	mustT(t, p.Listen(ls, 1))
	c, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	mustT(t, p.SetsockoptInt(c, abi.SOL_TCP, abi.TCP_NODELAY, 1))
	mustT(t, p.Connect(c, addr))
	s, _, err := p.Accept(ls)
	mustT(t, err)
	// The socket layer, below the syscall face (whose per-call context
	// is not the data path).
	cs, err := p.SocketOf(c)
	mustT(t, err)
	ss, err := p.SocketOf(s)
	mustT(t, err)
	ctx := context.Background()
	out := make([]byte, 64<<10)
	in := make([]byte, 64<<10)
	wmsg := &socket.Msg{Iov: [][]byte{nil}}
	rmsg := &socket.Msg{Iov: [][]byte{in}}
	round := func() {
		for off := 0; off < len(out); {
			wmsg.Iov[0] = out[off:]
			n, err := cs.Sendmsg(ctx, wmsg, abi.MSG_DONTWAIT)
			if errors.Is(err, errno.EAGAIN) {
				runtime.Gosched()
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			off += n
			for got := 0; got < n; {
				m, err := ss.Recvmsg(ctx, rmsg, abi.MSG_DONTWAIT)
				if errors.Is(err, errno.EAGAIN) {
					runtime.Gosched() // the loopback device delivers on its own goroutine
					continue
				}
				if err != nil || m == 0 {
					t.Fatal(err)
				}
				got += m
			}
		}
	}
	for range 50 {
		round() // warm up: buffers and queues reach their size
	}
	const runs = 100
	pkts := ns.MIB.Get(netns.IPInReceives)
	allocs := testing.AllocsPerRun(runs, round)
	perRound := float64(ns.MIB.Get(netns.IPInReceives)-pkts) / (runs + 1)
	t.Logf("%.1f allocations and %.1f packets per 64 KiB round", allocs, perRound)
	// The whole path, sockets to loopback and back up through IPv4, is
	// allocation-free once warm.
	if allocs > 0 {
		t.Errorf("%.1f allocations per 64 KiB round of %.1f packets: the data path allocates", allocs, perRound)
	}
}
