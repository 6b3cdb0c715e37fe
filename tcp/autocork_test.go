package tcp_test

import (
	"bytes"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
)

// autocorkWrites writes n chunks of size bytes back to back (no fake time
// passes between them) on a TCP_NODELAY connection from cp to sp at dst,
// so Nagle holds nothing and only autocorking can join them, and returns
// the data segments the client sent for them, what autocorking counted,
// and how much fake time the data took to arrive in full. It checks the
// data arrives intact.
func autocorkWrites(t *testing.T, cp, sp *sys.Process, cns *netns.Namespace, dst [4]byte, n, size int) (segs, corked uint64, took time.Duration) {
	t.Helper()
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 4))
	fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, cp.SetsockoptInt(fd, abi.SOL_TCP, abi.TCP_NODELAY, 1))
	must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: dst}))
	s, _, err := sp.Accept(ls)
	must(t, err)
	synctest.Wait() // the handshake's last ACK is in

	data := make([]byte, n*size)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	got := make(chan time.Time, 1)
	var out []byte
	go func() {
		buf := make([]byte, 65536)
		for len(out) < len(data) {
			m, err := sp.Read(s, buf)
			if err != nil || m == 0 {
				t.Error("read:", m, err)
				break
			}
			out = append(out, buf[:m]...)
		}
		got <- time.Now()
	}()
	segs0, corked0 := cns.MIB.Get(netns.TCPOutSegs), cns.MIB.Get(netns.TCPExtTCPAutoCorking)
	start := time.Now()
	for i := range n {
		m, err := cp.Write(fd, data[i*size:(i+1)*size])
		must(t, err)
		if m != size {
			t.Fatalf("write %d took %d of %d bytes", i, m, size)
		}
	}
	end := <-got
	synctest.Wait()
	if !bytes.Equal(out, data) {
		t.Fatalf("received %d bytes, not the %d written", len(out), len(data))
	}
	segs = cns.MIB.Get(netns.TCPOutSegs) - segs0
	corked = cns.MIB.Get(netns.TCPExtTCPAutoCorking) - corked0
	must(t, cp.Close(fd))
	must(t, sp.Close(s))
	must(t, sp.Close(ls))
	return segs, corked, end.Sub(start)
}

// TestAutocorkPipe writes 40 small chunks at once over a 10 Mbit/s pipe
// (no latency: a NIC's queue), which completes each frame at the end of
// its serialisation: with
// net.ipv4.tcp_autocorking on, the first chunk goes out alone and the
// others wait in its skb while it is queued, leaving in full-sized
// segments when it completes (TCPAutoCorking counts the throttle once);
// with it off, each chunk the congestion window allows goes out as its
// own segment.
func TestAutocorkPipe(t *testing.T) {
	const n, size = 40, 100
	run := func(t *testing.T, on string) (segs, corked uint64) {
		var took time.Duration
		synctest.Test(t, func(t *testing.T) {
			before := pktbuf.Outstanding()
			cp, sp, cns, sns := pair(t, link.Impairments{Bandwidth: 10_000_000})
			must(t, cns.Sysctl.Set("net.ipv4.tcp_autocorking", on))
			segs, corked, took = autocorkWrites(t, cp, sp, cns, [4]byte{10, 0, 0, 2}, n, size)
			time.Sleep(2 * time.Minute) // TIME-WAIT runs out
			cns.Close()
			sns.Close()
			synctest.Wait()
			if d := pktbuf.Outstanding() - before; d != 0 {
				t.Errorf("%d buffers leaked", d)
			}
		})
		t.Logf("tcp_autocorking=%s: %d segments, TCPAutoCorking %d, all in after %v", on, segs, corked, took)
		return segs, corked
	}
	onSegs, onCorked := run(t, "1")
	offSegs, offCorked := run(t, "0")
	if onCorked == 0 {
		t.Errorf("tcp_autocorking=1: TCPAutoCorking did not count")
	}
	if offCorked != 0 {
		t.Errorf("tcp_autocorking=0: TCPAutoCorking counted %d", offCorked)
	}
	// On: the first chunk, then the other 3,900 bytes in at most three
	// MSS-sized segments. Off: at least the initial window's ten chunks
	// one by one.
	if onSegs > 4 {
		t.Errorf("tcp_autocorking=1: %d segments for %d chunks, want at most 4", onSegs, n)
	}
	if offSegs < 10 {
		t.Errorf("tcp_autocorking=0: %d segments for %d chunks, want at least 10", offSegs, n)
	}
}

// TestAutocorkLoopback checks that loopback, which completes a frame as
// soon as it is handed over (as Linux's loopback_xmit orphans the skb),
// never has data held: the writes arrive without fake time passing and
// autocorking never counts.
func TestAutocorkLoopback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := gosock.NewNamespace(netns.Options{Name: "lo", Seed: 1})
		defer ns.Close()
		p := sys.NewProcess(ns, sys.Options{PID: 1})
		lo := netip.MustParseAddr("127.0.0.1").As4()
		segs, corked, took := autocorkWrites(t, p, p, ns, lo, 40, 100)
		if corked != 0 {
			t.Errorf("TCPAutoCorking %d on loopback", corked)
		}
		if took != 0 {
			t.Errorf("the data took %v of fake time over loopback, want none", took)
		}
		t.Logf("loopback: %d segments for 40 writes", segs)
	})
}
