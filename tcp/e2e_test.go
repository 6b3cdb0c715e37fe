package tcp_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
)

// pair makes client and server namespaces joined by a pipe with imp in
// both directions.
func pair(t *testing.T, imp link.Impairments) (*sys.Process, *sys.Process, *netns.Namespace, *netns.Namespace) {
	t.Helper()
	a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	t.Cleanup(func() { a.Close(); b.Close() })
	ia, ib := imp, imp
	ib.Seed = imp.Seed + 1
	_, _, err := gosock.Connect(a, b,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: ia, BtoA: ib})
	if err != nil {
		t.Fatal(err)
	}
	return sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2}), a, b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readExpect reads len(want) bytes from fd and fails unless they are
// want.
func readExpect(t *testing.T, p *sys.Process, fd int, want []byte) {
	t.Helper()
	got := make([]byte, 0, len(want))
	buf := make([]byte, 4096)
	for len(got) < len(want) {
		k, err := p.Read(fd, buf)
		if err != nil || k == 0 {
			t.Fatalf("fd %d: read after %d bytes: %d, %v", fd, len(got), k, err)
		}
		got = append(got, buf[:k]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fd %d: data corrupted", fd)
	}
}

// transfer sends size random bytes from a client to a server across a
// pipe with imp and checks the SHA-256 at the far end, then that both
// sides close cleanly and free everything.
func transfer(t *testing.T, imp link.Impairments, size int) {
	before := pktbuf.Outstanding()
	cp, sp, cns, sns := pair(t, imp)
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 16))

	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	want := sha256.Sum256(data)
	got := make(chan [32]byte, 1)
	go func() {
		fd, _, err := sp.Accept(ls)
		if err != nil {
			t.Error("accept:", err)
			got <- [32]byte{}
			return
		}
		h := sha256.New()
		buf := make([]byte, 16384)
		for {
			n, err := sp.Read(fd, buf)
			if err != nil {
				t.Error("read:", err)
				break
			}
			if n == 0 {
				break
			}
			h.Write(buf[:n])
		}
		sp.Close(fd)
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		got <- sum
	}()

	fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
	sa, err := cp.Getpeername(fd)
	must(t, err)
	if p := sa.(*abi.SockaddrInet4); p.Port != 80 || p.Addr != [4]byte{10, 0, 0, 2} {
		t.Errorf("getpeername %+v", p)
	}
	for off := 0; off < len(data); {
		n, err := cp.Write(fd, data[off:min(off+50000, len(data))])
		must(t, err)
		off += n
	}
	must(t, cp.Shutdown(fd, abi.SHUT_WR))
	if sum := <-got; sum != want {
		t.Fatalf("data corrupted: sha256 %x, want %x", sum, want)
	}
	// The server closed: end of stream on the client.
	n, err := cp.Read(fd, make([]byte, 10))
	if n != 0 || err != nil {
		t.Errorf("read after server close: %d %v", n, err)
	}
	must(t, cp.Close(fd))
	must(t, sp.Close(ls))
	time.Sleep(2 * time.Minute) // TIME-WAIT and FIN-WAIT-2 run out
	for _, ns := range []*netns.Namespace{cns, sns} {
		if n := ns.MIB.Get(netns.TCPCurrEstab); n != 0 {
			t.Errorf("%s: CurrEstab %d after close", ns.Name(), n)
		}
	}
	t.Logf("client: OutSegs %d RetransSegs %d FastRetrans %d Timeouts %d; server InSegs %d",
		cns.MIB.Get(netns.TCPOutSegs), cns.MIB.Get(netns.TCPRetransSegs), cns.MIB.Get(netns.TCPExtTCPFastRetrans),
		cns.MIB.Get(netns.TCPExtTCPTimeouts), sns.MIB.Get(netns.TCPInSegs))
	cns.Close()
	sns.Close()
	synctest.Wait()
	if n := pktbuf.Outstanding() - before; n != 0 {
		t.Errorf("%d buffers leaked", n)
	}
}

func TestTransferClean(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { transfer(t, link.Impairments{Latency: 5 * time.Millisecond}, 1<<20) })
}

func TestTransferImpaired(t *testing.T) {
	for _, loss := range []float64{0.01, 0.1} {
		synctest.Test(t, func(t *testing.T) {
			transfer(t, link.Impairments{Latency: 10 * time.Millisecond, Loss: loss, Reorder: 0.02,
				Duplicate: 0.01, Corrupt: 0.01, Seed: 3}, 256<<10)
		})
	}
}

func TestConnectErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, _, _, _ := pair(t, link.Impairments{Latency: time.Millisecond})
		fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		if err := cp.Connect(fd, &abi.SockaddrInet4{Port: 81, Addr: [4]byte{10, 0, 0, 2}}); !errors.Is(err, errno.ECONNREFUSED) {
			t.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
		}
		// Non-blocking connect: EINPROGRESS, then SO_ERROR.
		fd3, _ := cp.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
		if err := cp.Connect(fd3, &abi.SockaddrInet4{Port: 81, Addr: [4]byte{10, 0, 0, 2}}); !errors.Is(err, errno.EINPROGRESS) {
			t.Errorf("non-blocking connect: %v", err)
		}
		if err := cp.Connect(fd3, &abi.SockaddrInet4{Port: 81, Addr: [4]byte{10, 0, 0, 2}}); !errors.Is(err, errno.EALREADY) {
			t.Errorf("second connect: %v, want EALREADY", err)
		}
		time.Sleep(time.Second)
		if v, _ := cp.GetsockoptInt(fd3, abi.SOL_SOCKET, abi.SO_ERROR); v != int(errno.ECONNREFUSED) {
			t.Errorf("SO_ERROR %d, want ECONNREFUSED", v)
		}
		// Nobody answers ARP for 10.0.0.9: once address resolution gives
		// up (3 probes, 1 s apart) the neighbour layer sends ICMP host
		// unreachable for the queued SYN, and the connect fails with
		// EHOSTUNREACH, as Linux's "No route to host" after 3 s.
		fd2, _ := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		start := time.Now()
		err = cp.Connect(fd2, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 9}})
		if !errors.Is(err, errno.EHOSTUNREACH) || time.Since(start) != 3*time.Second {
			t.Errorf("connect to nobody: %v after %v, want EHOSTUNREACH after 3s", err, time.Since(start))
		}
		t.Logf("connect to nobody gave up after %v", time.Since(start))
	})
}
