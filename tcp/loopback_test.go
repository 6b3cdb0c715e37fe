package tcp

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// TestLoopbackBigSndbuf moves 1 MiB over loopback (64 KiB MSS) with a
// large send buffer and a reader taking small random bites. It caught two
// bugs: a SYN-ACK's window taken as scaled (the sender overran the
// receiver), and an MSS so large that full segments made IPv4 datagrams
// of 65536 bytes, which IP refuses.
func TestLoopbackBigSndbuf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := netns.New(netns.Options{Seed: 1})
		ipv4.Register(ns)
		inet.Register(ns)
		Register(ns)
		defer ns.Close()
		p := sys.NewProcess(ns, sys.Options{})
		ls, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		mustT(t, p.Bind(ls, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}))
		mustT(t, p.Listen(ls, 1))
		c, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		mustT(t, p.SetsockoptInt(c, abi.SOL_SOCKET, abi.SO_SNDBUF, 2<<20))
		mustT(t, p.SetsockoptInt(c, abi.SOL_TCP, abi.TCP_NODELAY, 1))
		mustT(t, p.Connect(c, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}))
		s, _, err := p.Accept(ls)
		mustT(t, err)
		data := make([]byte, 1<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		got := make(chan []byte)
		go func() {
			var out []byte
			buf := make([]byte, 1024)
			for len(out) < len(data) {
				n, err := p.Read(s, buf[:1+rng.IntN(1023)])
				if err != nil || n == 0 {
					break
				}
				out = append(out, buf[:n]...)
			}
			got <- out
		}()
		go func() {
			for off := 0; off < len(data); {
				n, err := p.Write(c, data[off:min(off+1+rand.IntN(100000), len(data))])
				if err != nil {
					t.Error(err)
					return
				}
				off += n
			}
		}()
		select {
		case out := <-got:
			if !bytes.Equal(out, data) {
				t.Fatalf("got %d bytes, differ", len(out))
			}
		case <-time.After(time.Minute):
			info := make([]byte, abi.SizeofTCPInfo)
			p.Getsockopt(c, abi.SOL_TCP, abi.TCP_INFO, info)
			dump := func(fd int) string {
				so, _ := p.SocketOf(fd)
				var c *conn
				for x := range Of(ns).conns.all {
					if x.sk.S == so.Sock() {
						c = x
					}
				}
				if c == nil {
					return "?"
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				return fmt.Sprintf("una %d nxt %d max %d sndWnd %d sndBuf %d rcvNxt %d rcvWnd %d rcvWup %d rcvQ %d rcvSsthresh %d rcvbuf %d mss %d cwnd %d inflight %d ws %d/%d finQ %v",
					c.sndUna-c.iss, c.sndNxt-c.iss, c.sndMax-c.iss, c.sndWnd, c.sndBuf.Len(), c.rcvNxt-c.irs, c.rcvWnd, c.rcvWup-c.irs, c.rcvQ.Len(), c.rcvSsthresh, c.sk.S.RcvBuf(), c.mss, c.ccs.cwnd, c.inFlight(), c.sndWscale, c.rcvWscale, c.finQueued)
			}
			t.Fatalf("stalled; client state %d\nclient %s\nserver %s", info[0], dump(c), dump(s))
		}
	})
}

func mustT(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
