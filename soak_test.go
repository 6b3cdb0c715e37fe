package gosock_test

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/stall"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/tcp"
)

var (
	soakFor   = flag.Duration("soak", 0, "TestSoak: keep starting connections for this much simulated time (0: one wave, as in CI)")
	soakConns = flag.Int("soak.conns", 1000, "TestSoak: concurrent connections")
	soakSize  = flag.Int("soak.size", 16<<10, "TestSoak: largest transfer per connection, bytes")
	soakSeed  = flag.Uint64("soak.seed", 0, "TestSoak: added to every seed (namespaces, impairments, faults, data); logged so a failure can be rerun")
	soakStall = flag.Duration("soak.stall", 30*time.Minute, "TestSoak: simulated time without a connection ending after which the soak dumps every stack and the socket tables and crashes")
)

// soakActive tracks the connections in flight, for the stall report:
// which are stuck, and in what step.
type soakActive struct {
	mu sync.Mutex
	m  map[int]soakStep
}

// soakStep is where a client is and since when.
type soakStep struct {
	step  string
	since time.Time
	local string
}

func (a *soakActive) set(i int, step, local string) {
	a.mu.Lock()
	a.m[i] = soakStep{step, time.Now(), local}
	a.mu.Unlock()
}

func (a *soakActive) done(i int) {
	a.mu.Lock()
	delete(a.m, i)
	a.mu.Unlock()
}

// String lists the oldest connections in flight.
func (a *soakActive) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]int, 0, len(a.m))
	for i := range a.m {
		ids = append(ids, i)
	}
	sort.Slice(ids, func(x, y int) bool { return a.m[ids[x]].since.Before(a.m[ids[y]].since) })
	s := fmt.Sprintf("%d connections in flight; oldest:", len(ids))
	for _, i := range ids[:min(len(ids), 20)] {
		st := a.m[i]
		s += fmt.Sprintf("\n  connection %d (%s) in %s since %v", i, st.local, st.step, st.since.Format(time.TimeOnly))
	}
	return s
}

// soakOutcome counts how connections ended, by side and errno name.
type soakOutcome struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *soakOutcome) add(what string) {
	o.mu.Lock()
	o.n[what]++
	o.mu.Unlock()
}

func (o *soakOutcome) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := make([]string, 0, len(o.n))
	for k := range o.n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf(" %s=%d", k, o.n[k])
	}
	return s
}

// errName names an error for the outcome table.
func errName(err error) string {
	var e errno.Errno
	if errors.As(err, &e) {
		return e.String()
	}
	return err.Error()
}

// Ways a soak client ends its connection.
const (
	soakClean    = iota // send, half-close, check the server's SHA-256, close
	soakAbort           // send part, then close with SO_LINGER 0: a reset
	soakHangUp          // send, half-close, close without reading the answer
	soakShutRead        // send, SHUT_RD, half-close, close
	soakModes
)

// TestSoak is mixed traffic under faults: waves of concurrent
// connections (1,000 by default) carry random amounts of seeded data
// from a client namespace to a server namespace across a pipe with loss,
// reordering, duplication and corruption, while a fault injector flaps
// the carrier, takes the client's interface down and up, and partitions
// the link for seconds at a time. Clients end each connection one of
// four ways (clean, abortive reset, hang-up without reading, SHUT_RD).
// Every clean connection must deliver its bytes intact (the server's
// SHA-256 matches) unless a fault made it fail with an errno Linux gives
// for that (a connect with ENETUNREACH or ETIMEDOUT, a read with
// ECONNRESET or ETIMEDOUT); every other must end with an errno its way
// allows;
// TCP's invariants are checked every simulated second; and after the
// processes exit, no connection, charged memory, packet buffer or
// goroutine may remain.
//
// It runs on fake time: one wave in CI; -soak=10m keeps starting waves
// for ten simulated minutes. A connection that stops moving for
// -soak.stall of simulated time crashes the test with every goroutine's
// stack and both socket tables (internal/stall), as does a SIGTERM or
// SIGINT from outside; -soak.seed varies the seeds. (The seeds fix the
// traffic and the faults, not the order in which the bubble's goroutines
// run, so a rerun with the same seed is similar, not identical.)
func TestSoak(t *testing.T) {
	defer stall.OnSignal("TestSoak")()
	t.Logf("seed %d", *soakSeed)
	goroutines := runtime.NumGoroutine()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap := ms.HeapAlloc
	synctest.Test(t, soak)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("goroutines %d before, %d after; heap %d KiB before, %d KiB after",
		goroutines, runtime.NumGoroutine(), heap>>10, ms.HeapAlloc>>10)
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines left behind", n-goroutines)
	}
	if ms.HeapAlloc > heap+32<<20 {
		t.Errorf("heap grew by %d KiB", (ms.HeapAlloc-heap)>>10)
	}
}

func soak(t *testing.T) {
	before := pktbuf.Outstanding()
	start := time.Now()
	seed := *soakSeed
	cns := gosock.NewNamespace(netns.Options{Name: "client", Seed: 11 + seed})
	sns := gosock.NewNamespace(netns.Options{Name: "server", Seed: 12 + seed})
	imp := link.Impairments{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.02,
		Reorder: 0.02, Duplicate: 0.01, Corrupt: 0.01, QueueLimit: -1, Seed: 21 + int64(seed)}
	ci, si, err := gosock.Connect(cns, sns,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: imp, BtoA: imp})
	if err != nil {
		t.Fatal(err)
	}
	cdev, sdev := ci.Device().(*link.PipeEnd), si.Device().(*link.PipeEnd)
	cp := sys.NewProcess(cns, sys.Options{PID: 1})
	sp := sys.NewProcess(sns, sys.Options{PID: 2})

	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.SetsockoptInt(ls, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
	// Keepalive, inherited by every accepted socket: a server whose
	// client vanished (its reset lost) finds out.
	must(t, soakKeepalive(sp, ls))
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 4096))

	var clients, servers soakOutcome
	clients.n, servers.n = map[string]int{}, map[string]int{}
	active := soakActive{m: map[int]soakStep{}}
	dog := stall.Watch("TestSoak", *soakStall, active.String, cns, sns)
	defer dog.Stop()
	var wg sync.WaitGroup
	serving := make(chan struct{})
	var stopping atomic.Bool
	wg.Go(func() {
		for {
			fd, _, err := sp.Accept(ls)
			if errors.Is(err, errno.ECONNABORTED) {
				// A client reset before we accepted (Linux's accept
				// reports it when the peer address is already gone).
				servers.add("accept-ECONNABORTED")
				continue
			}
			if err != nil {
				if !stopping.Load() {
					t.Errorf("accept: %v", err)
				}
				close(serving)
				return // the listener shut down
			}
			wg.Go(func() {
				what := soakServe(sp, fd)
				servers.add(what)
				dog.Progress()
				if strings.HasPrefix(what, "bad-") {
					t.Errorf("server: %s", what)
				}
			})
		}
	})

	// The fault injector, which also checks invariants every second.
	done := make(chan struct{})
	var faults soakOutcome
	faults.n = map[string]int{}
	var invariantErr atomic.Pointer[error]
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(31+seed, 0))
		next := time.Now().Add(time.Second)
		nfaults := 0
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
			for _, ns := range []*netns.Namespace{cns, sns} {
				if err := tcp.Of(ns).CheckInvariants(); err != nil && invariantErr.Load() == nil {
					invariantErr.Store(&err)
				}
			}
			if time.Now().Before(next) {
				continue
			}
			next = time.Now().Add(time.Duration(1+rng.IntN(4)) * time.Second)
			d := time.Duration(1+rng.IntN(3)) * time.Second
			// Each kind once first, so even a short run sees all three.
			kind := rng.IntN(3)
			if nfaults < 3 {
				kind = nfaults
			}
			nfaults++
			switch kind {
			case 0: // carrier loss
				faults.add("carrier")
				cdev.SetCarrier(false)
				time.Sleep(d)
				cdev.SetCarrier(true)
			case 1: // the client's interface down and up
				faults.add("ifdown")
				ci.SetUp(false)
				time.Sleep(d)
				ci.SetUp(true)
			case 2: // a partition: everything lost both ways
				faults.add("partition")
				cut := imp
				cut.Loss = 1
				cdev.SetImpairments(cut)
				sdev.SetImpairments(cut)
				time.Sleep(3 * d)
				// A fresh seed each time: SetImpairments restarts the
				// random stream, and with the same seed the n-th frame
				// after every partition would meet the same fate (a
				// connection's lone retransmission lost every time).
				heal := imp
				heal.Seed = rng.Int64()
				cdev.SetImpairments(heal)
				heal.Seed++
				sdev.SetImpairments(heal)
			}
		}
	})

	conns := *soakConns
	var failed, verified atomic.Int64
	seq := 0
	for wave := 0; ; wave++ {
		var cw sync.WaitGroup
		for range conns {
			i := seq
			seq++
			cw.Go(func() {
				what, ok := soakClient(cp, i, *soakSize, seed, &active, &verified)
				active.done(i)
				dog.Progress()
				clients.add(what)
				if !ok {
					failed.Add(1)
					t.Errorf("connection %d: %s", i, what)
				}
			})
		}
		cw.Wait()
		if time.Since(start) >= *soakFor {
			break
		}
	}
	// A close would not wake the blocked accept (as in Linux); a
	// shutdown does.
	stopping.Store(true)
	must(t, sp.Shutdown(ls, abi.SHUT_RDWR))
	<-serving
	must(t, sp.Close(ls))
	close(done)
	wg.Wait()
	dog.Stop() // what follows is waiting on purpose
	if p := invariantErr.Load(); p != nil {
		t.Errorf("invariant broken during the soak: %v", *p)
	}
	cp.Exit()
	sp.Exit()
	elapsed := time.Since(start)
	time.Sleep(30 * time.Minute) // orphans, FIN-WAIT-2 and TIME-WAIT run out
	t.Logf("%d connections in %v of simulated time, %d bytes verified by SHA-256; faults:%v",
		seq, elapsed.Round(time.Second), verified.Load(), faults.String())
	t.Logf("clients:%v", clients.String())
	t.Logf("servers:%v", servers.String())
	t.Logf("client: OutSegs %d RetransSegs %d Timeouts %d OutRsts %d; server: RetransSegs %d ListenDrops %d OutRsts %d",
		cns.MIB.Get(netns.TCPOutSegs), cns.MIB.Get(netns.TCPRetransSegs), cns.MIB.Get(netns.TCPExtTCPTimeouts),
		cns.MIB.Get(netns.TCPOutRsts), sns.MIB.Get(netns.TCPRetransSegs), sns.MIB.Get(netns.TCPExtListenDrops),
		sns.MIB.Get(netns.TCPOutRsts))
	for _, ns := range []*netns.Namespace{cns, sns} {
		p := tcp.Of(ns)
		if c, l := p.Tables(); c != 0 || l != 0 {
			t.Errorf("%s: %d connections, %d listeners left", ns.Name(), c, l)
		}
		if m := p.MemoryAllocated(); m != 0 {
			t.Errorf("%s: %d bytes of TCP memory left", ns.Name(), m)
		}
		if n := ns.MIB.Get(netns.TCPCurrEstab); n != 0 {
			t.Errorf("%s: CurrEstab %d", ns.Name(), n)
		}
	}
	cns.Close()
	sns.Close()
	synctest.Wait()
	if n := pktbuf.Outstanding() - before; n != 0 {
		t.Errorf("%d packet buffers leaked", n)
	}
}

// soakServe reads a connection to its end, answers with the SHA-256 of
// what it read and closes. It returns how the connection ended.
func soakServe(sp *sys.Process, fd int) string {
	defer sp.Close(fd)
	h := sha256.New()
	buf := make([]byte, 8192)
	for {
		n, err := sp.Read(fd, buf)
		if err != nil {
			// The client reset (abort) or vanished during a fault.
			if !errors.Is(err, errno.ECONNRESET) && !soakTimedOut(err) {
				return "bad-read-" + errName(err)
			}
			return "read-" + errName(err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
	}
	if _, err := sp.Write(fd, h.Sum(nil)); err != nil {
		// A client that hung up resets when the answer arrives.
		if !errors.Is(err, errno.EPIPE) && !errors.Is(err, errno.ECONNRESET) {
			return "bad-write-" + errName(err)
		}
		return "write-" + errName(err)
	}
	return "ok"
}

// soakClient runs connection i: random data of up to size bytes, ended
// one of the soak's ways. It returns a label and whether the ending was
// one the way allows.
func soakClient(cp *sys.Process, i, size int, seed uint64, active *soakActive, verified *atomic.Int64) (string, bool) {
	rng := rand.New(rand.NewPCG(uint64(i), 41+seed))
	mode := rng.IntN(10)
	switch {
	case mode < 7:
		mode = soakClean
	default:
		mode -= 6 // 1..3
	}
	data := make([]byte, rng.IntN(size+1))
	for j := range data {
		data[j] = byte(rng.Uint32())
	}
	fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	if err != nil {
		return "socket-" + errName(err), false
	}
	defer cp.Close(fd)
	// Keepalive, as on the server. Without it a clean client can wait
	// for the server's answer forever, as it would on Linux: once it has
	// half-closed and its FIN is acknowledged it sits in FIN-WAIT-2 with
	// no timer (tcp_fin_timeout is for orphans), while the server's
	// answer and FIN, lost across faults, run out of orphan retries and
	// the server's socket goes away without a reset. The 10-minute soak
	// hung that way (TestSoakHalfClosedPeerGone shows it alone).
	if err := soakKeepalive(cp, fd); err != nil {
		return "keepalive-" + errName(err), false
	}
	// Start within the first few seconds, so the wave overlaps.
	active.set(i, "sleep", "")
	time.Sleep(time.Duration(rng.IntN(3000)) * time.Millisecond)
	active.set(i, "connect", "")
	if err := cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}); err != nil {
		// A connect during a fault: the route is gone while the
		// interface is down (ENETUNREACH), or the SYNs run out
		// (tcp_syn_retries, about 20 s) across a partition.
		ok := errors.Is(err, errno.ENETUNREACH) || errors.Is(err, errno.ETIMEDOUT) || errors.Is(err, errno.EHOSTUNREACH)
		return "connect-" + errName(err), ok
	}
	local := ""
	if sa, err := cp.Getsockname(fd); err == nil {
		if in4, ok := sa.(*abi.SockaddrInet4); ok {
			local = in4.AddrPort().String()
		}
	}
	active.set(i, "write", local)
	send := data
	if mode == soakAbort {
		send = data[:len(data)/2]
	}
	for off := 0; off < len(send); {
		n, err := cp.Write(fd, send[off:])
		if err != nil {
			return "write-" + errName(err), false
		}
		off += n
	}
	switch mode {
	case soakAbort:
		if err := cp.SetsockoptLinger(fd, true, 0); err != nil {
			return "linger-" + errName(err), false
		}
		return "abort", true
	case soakShutRead:
		if err := cp.Shutdown(fd, abi.SHUT_RD); err != nil {
			return "shutrd-" + errName(err), false
		}
	}
	active.set(i, "shutdown", local)
	if err := cp.Shutdown(fd, abi.SHUT_WR); err != nil {
		return "shutdown-" + errName(err), false
	}
	if mode != soakClean {
		return [...]string{soakHangUp: "hangup", soakShutRead: "shutrd"}[mode], true
	}
	active.set(i, "read", local)
	want := sha256.Sum256(data)
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := cp.Read(fd, buf)
		if err != nil {
			// The server gave up on us during an outage: its half-open
			// child ran out of SYN-ACK retries, or keepalive timed out,
			// and our retransmission or keepalive probe drew a reset; or
			// ours timed out. Data is never wrong.
			ok := errors.Is(err, errno.ECONNRESET) || soakTimedOut(err)
			return "read-" + errName(err), ok
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != string(want[:]) {
		return fmt.Sprintf("sha256 %x, want %x", got, want), false
	}
	verified.Add(int64(len(data)))
	return "clean", true
}

// soakTimedOut says err is how Linux reports a connection that timed out
// (retransmissions or keepalive probes unanswered): ETIMEDOUT, or the
// soft error an ICMP error left on the way (tcp_write_err reports
// sk_err_soft first), here the host unreachable a failed neighbour
// resolution reports while the link is down.
func soakTimedOut(err error) bool {
	return errors.Is(err, errno.ETIMEDOUT) || errors.Is(err, errno.EHOSTUNREACH) || errors.Is(err, errno.ENETUNREACH)
}

// soakKeepalive turns keepalive on for fd: a probe after 30 s idle, then
// every 10 s, the connection given up after 5 unanswered.
func soakKeepalive(p *sys.Process, fd int) error {
	for _, o := range []struct{ level, name, v int }{
		{abi.SOL_SOCKET, abi.SO_KEEPALIVE, 1},
		{abi.SOL_TCP, abi.TCP_KEEPIDLE, 30},
		{abi.SOL_TCP, abi.TCP_KEEPINTVL, 10},
		{abi.SOL_TCP, abi.TCP_KEEPCNT, 5},
	} {
		if err := p.SetsockoptInt(fd, o.level, o.name, o.v); err != nil {
			return err
		}
	}
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSoakHalfClosedPeerGone is the 10-minute soak's hang alone. A
// client half-closes and waits for the server's answer; the answer and
// the server's FIN are lost across a long partition until the server's
// orphaned socket gives up, silently as Linux's does (tcp_write_err, no
// reset). Without keepalive the client then waits in FIN-WAIT-2 forever,
// as on Linux (FIN-WAIT-2 has a timer only for orphans): its read is
// still blocked when SO_RCVTIMEO ends it, long after the partition
// healed. With keepalive, as the soak's clients now have, the read ends
// with an error instead.
func TestSoakHalfClosedPeerGone(t *testing.T) {
	for _, keepalive := range []bool{false, true} {
		t.Run(fmt.Sprintf("keepalive=%v", keepalive), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { halfClosedPeerGone(t, keepalive) })
		})
	}
}

func halfClosedPeerGone(t *testing.T, keepalive bool) {
	cns := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	sns := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	defer cns.Close()
	defer sns.Close()
	imp := link.Impairments{Latency: 20 * time.Millisecond, QueueLimit: -1}
	ci, si, err := gosock.Connect(cns, sns,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: imp, BtoA: imp})
	must(t, err)
	cdev, sdev := ci.Device().(*link.PipeEnd), si.Device().(*link.PipeEnd)
	cp := sys.NewProcess(cns, sys.Options{PID: 1})
	sp := sys.NewProcess(sns, sys.Options{PID: 2})
	defer cp.Exit()
	defer sp.Exit()
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 8))
	fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	if keepalive {
		must(t, soakKeepalive(cp, fd))
	}
	must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
	afd, _, err := sp.Accept(ls)
	must(t, err)
	if _, err := cp.Write(fd, []byte("question")); err != nil {
		t.Fatal(err)
	}
	must(t, cp.Shutdown(fd, abi.SHUT_WR))
	buf := make([]byte, 64)
	for {
		n, err := sp.Read(afd, buf)
		must(t, err)
		if n == 0 {
			break
		}
	}
	synctest.Wait() // the client's FIN is acknowledged: FIN-WAIT-2
	cut := imp
	cut.Loss = 1
	cdev.SetImpairments(cut)
	sdev.SetImpairments(cut)
	if _, err := sp.Write(afd, []byte("answer")); err != nil {
		t.Fatal(err)
	}
	must(t, sp.Close(afd)) // LAST-ACK, orphaned: retransmits, then gives up
	must(t, sp.Close(ls))
	time.Sleep(40 * time.Minute)
	if c, _ := tcp.Of(sns).Tables(); c != 0 {
		t.Fatalf("server still has %d connections after 40 minutes of partition", c)
	}
	cdev.SetImpairments(imp)
	sdev.SetImpairments(imp)

	must(t, cp.SetsockoptTimeval(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, 20*time.Minute))
	n, err := cp.Read(fd, buf)
	if !keepalive {
		// Linux's answer too: nothing tells the client, which is why
		// the soak's clients need keepalive.
		if !errors.Is(err, errno.EAGAIN) {
			t.Fatalf("read without keepalive = %d, %v; want EAGAIN after SO_RCVTIMEO (the client cannot know)", n, err)
		}
		if s := tcp.Of(cns).Sockets(); len(s) != 1 || s[0].State != tcp.FinWait2 {
			t.Fatalf("client sockets %+v, want one in FIN-WAIT-2", s)
		}
		must(t, cp.Close(fd))
		return
	}
	// The probes ran out during the partition (ETIMEDOUT), or one after
	// it drew the server's reset (ECONNRESET).
	if !errors.Is(err, errno.ETIMEDOUT) && !errors.Is(err, errno.ECONNRESET) {
		t.Fatalf("read with keepalive = %d, %v; want ETIMEDOUT or ECONNRESET", n, err)
	}
	must(t, cp.Close(fd))
}
