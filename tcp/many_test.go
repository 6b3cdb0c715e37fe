package tcp_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/stall"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
)

// manyConns is the connection count of issue 5's done-when: it is the
// concurrency that matters (listen queues, timers, demultiplexing), so
// the bytes per connection shrink to keep the test fast, never the count.
const manyConns = 1000

// manySeed varies TestManyConnsImpaired's impairment seed, so it can be
// run many times over different losses; the seed is logged.
var manySeed = flag.Int64("many.seed", 0, "TestManyConnsImpaired: added to the impairment seed")

// manyStall is how long of simulated time manyTransfer waits for some
// connection to end before it reports a stall with every goroutine's
// stack and the socket tables: the slowest connection at 10% loss takes
// about a minute, and tcp_retries2 gives up after about 15.
const manyStall = 20 * time.Minute

// manyTransfer runs manyConns concurrent connections across a pipe with
// imp, each sending size bytes of its own random data; the server hashes
// what arrives and answers with the SHA-256, which the client compares
// with its own. Then everything must close and be freed.
func manyTransfer(t *testing.T, imp link.Impairments, size int) {
	before := pktbuf.Outstanding()
	cp, sp, cns, sns := pair(t, imp)
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, manyConns))

	// A connection that stops moving must not hang the test: a stuck
	// read can leave timers running (so the bubble is never durably
	// blocked, which synctest would report) and the test would run on
	// until go test's timeout, or until someone kills it with no stacks.
	var progress sync.Mutex
	inFlight := map[int]string{}
	dog := stall.Watch(t.Name(), manyStall, func() string {
		progress.Lock()
		defer progress.Unlock()
		s := fmt.Sprintf("%d clients in flight:", len(inFlight))
		n := 0
		for i, step := range inFlight {
			if n++; n > 20 {
				break
			}
			s += fmt.Sprintf(" %d(%s)", i, step)
		}
		return s
	}, cns, sns)
	defer dog.Stop()
	step := func(i int, what string) {
		progress.Lock()
		if what == "" {
			delete(inFlight, i)
		} else {
			inFlight[i] = what
		}
		progress.Unlock()
		dog.Progress()
	}

	var wg, clients sync.WaitGroup
	// Server: one goroutine per accepted connection.
	accepted := 0
	wg.Go(func() {
		for range manyConns {
			fd, _, err := sp.Accept(ls)
			if err != nil {
				return // shut down below: the clients are done
			}
			accepted++
			dog.Progress()
			wg.Go(func() {
				serveHash(t, sp, fd)
				dog.Progress()
			})
		}
	})
	failed := make(chan int, manyConns)
	for i := range manyConns {
		clients.Go(func() {
			if !sendAndCheck(t, cp, i, size, func(what string) { step(i, what) }) {
				failed <- i
			}
			step(i, "")
		})
	}
	clients.Wait()
	// An accept still waiting means a connection the client saw complete
	// never reached the server's accept queue: wake it rather than hang.
	must(t, sp.Shutdown(ls, abi.SHUT_RDWR))
	wg.Wait()
	if accepted != manyConns {
		t.Errorf("server accepted %d of %d connections", accepted, manyConns)
	}
	close(failed)
	if n := len(failed); n > 0 {
		t.Errorf("%d of %d connections failed", n, manyConns)
	}
	must(t, sp.Close(ls))
	dog.Stop()                  // what follows is waiting on purpose
	time.Sleep(3 * time.Minute) // TIME-WAIT and FIN-WAIT-2 run out
	for _, ns := range []*netns.Namespace{cns, sns} {
		if n := ns.MIB.Get(netns.TCPCurrEstab); n != 0 {
			t.Errorf("%s: CurrEstab %d after close", ns.Name(), n)
		}
	}
	t.Logf("client: OutSegs %d RetransSegs %d Timeouts %d; server: OutSegs %d RetransSegs %d ListenDrops %d",
		cns.MIB.Get(netns.TCPOutSegs), cns.MIB.Get(netns.TCPRetransSegs), cns.MIB.Get(netns.TCPExtTCPTimeouts),
		sns.MIB.Get(netns.TCPOutSegs), sns.MIB.Get(netns.TCPRetransSegs), sns.MIB.Get(netns.TCPExtListenDrops))
	cns.Close()
	sns.Close()
	synctest.Wait()
	if n := pktbuf.Outstanding() - before; n != 0 {
		t.Errorf("%d buffers leaked", n)
	}
}

// serveHash reads a connection to its end, answers with the SHA-256 of
// what it read and closes.
func serveHash(t *testing.T, sp *sys.Process, fd int) {
	defer sp.Close(fd)
	h := sha256.New()
	buf := make([]byte, 4096)
	for {
		n, err := sp.Read(fd, buf)
		if err != nil {
			t.Error("server read:", err)
			return
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
	}
	if _, err := sp.Write(fd, h.Sum(nil)); err != nil {
		t.Error("server write:", err)
	}
}

// sendAndCheck connects, sends connection i's data, half-closes and
// compares the hash the server returns with its own; it tells step what
// it is doing, for a stall report.
func sendAndCheck(t *testing.T, cp *sys.Process, i, size int, step func(string)) bool {
	rng := rand.New(rand.NewPCG(uint64(i), 11))
	data := make([]byte, size/2+rng.IntN(size/2+1))
	for j := range data {
		data[j] = byte(rng.Uint32())
	}
	want := sha256.Sum256(data)
	fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	if err != nil {
		t.Error("socket:", err)
		return false
	}
	defer cp.Close(fd)
	step("connect")
	if err := cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}); err != nil {
		t.Errorf("conn %d: connect: %v", i, err)
		return false
	}
	if sa, err := cp.Getsockname(fd); err == nil {
		if in4, ok := sa.(*abi.SockaddrInet4); ok {
			step("write " + in4.AddrPort().String())
		}
	}
	for off := 0; off < len(data); {
		n, err := cp.Write(fd, data[off:])
		if err != nil {
			t.Errorf("conn %d: write: %v", i, err)
			return false
		}
		off += n
	}
	if err := cp.Shutdown(fd, abi.SHUT_WR); err != nil {
		t.Errorf("conn %d: shutdown: %v", i, err)
		return false
	}
	step("read")
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := cp.Read(fd, buf)
		if err != nil {
			t.Errorf("conn %d: read: %v", i, err)
			return false
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != string(want[:]) {
		t.Errorf("conn %d: server's sha256 %x, want %x", i, got, want)
		return false
	}
	return true
}

// TestManyConnsImpaired is issue 5's done-when on fake time: 1,000
// concurrent connections carry random data intact across a pipe with a
// 0.5 s RTT and 0%, 1% and 10% loss, with reordering, duplication and
// corruption (which the checksum catches).
func TestManyConnsImpaired(t *testing.T) {
	defer stall.OnSignal(t.Name())()
	t.Logf("impairment seed %d", 5+*manySeed)
	for _, tc := range []struct {
		name string
		loss float64
	}{{"loss0", 0}, {"loss1", 0.01}, {"loss10", 0.10}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				manyTransfer(t, link.Impairments{Latency: 250 * time.Millisecond, Loss: tc.loss,
					Reorder: 0.02, Duplicate: 0.01, Corrupt: 0.01, Seed: 5 + *manySeed, QueueLimit: -1}, 8<<10)
			})
		})
	}
}
