package tcp

import (
	"context"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
)

// TestIdleHoldsNoRTOTimer: once the handshake is over, neither end of
// an idle connection keeps a retransmission timer (its memory counts for
// every idle connection); the first data makes one again, and data still
// flows both ways.
func TestIdleHoldsNoRTOTimer(t *testing.T) {
	ns := netns.New(netns.Options{Seed: 1})
	ipv4.Register(ns)
	inet.Register(ns)
	p := Register(ns)
	defer ns.Close()
	proc := sys.NewProcess(ns, sys.Options{})
	ls, _ := proc.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	addr := &abi.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}
	mustT(t, proc.Bind(ls, addr))
	mustT(t, proc.Listen(ls, 1))
	c, _ := proc.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	mustT(t, proc.Connect(c, addr))
	s, _, err := proc.Accept(ls)
	mustT(t, err)
	ends := func() []*conn {
		p.mu.RLock()
		defer p.mu.RUnlock()
		var cs []*conn
		for x := range p.conns.all {
			cs = append(cs, x)
		}
		return cs
	}
	cs := ends()
	if len(cs) != 2 {
		t.Fatalf("%d connections in the table, want 2", len(cs))
	}
	for _, x := range cs {
		x.mu.Lock()
		st, tm := x.state, x.rtoTimer
		x.mu.Unlock()
		if st != Established {
			t.Fatalf("connection in %v, want ESTABLISHED", st)
		}
		if tm != nil {
			t.Errorf("idle %v end (port %d) holds a retransmission timer", st, x.local.Port())
		}
	}
	cso, err := proc.SocketOf(c)
	mustT(t, err)
	sso, err := proc.SocketOf(s)
	mustT(t, err)
	ctx := context.Background()
	for _, dir := range [][2]*socket.Socket{{cso, sso}, {sso, cso}} {
		if _, err := dir[0].Sendmsg(ctx, &socket.Msg{Iov: [][]byte{[]byte("ping")}}, 0); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, err := dir[1].Recvmsg(ctx, &socket.Msg{Iov: [][]byte{buf}}, 0)
		if err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("read %q, %v; want ping", buf[:n], err)
		}
	}
}
