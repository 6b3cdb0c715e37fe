package tcp_test

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
)

// TestFullQueueWakesSenders: eight connections write at once into a
// client pipe whose queue holds eight frames behind a 100 Mbit/s wire, so
// the device refuses most of the burst with ENOBUFS. Every refused
// connection is woken as the queue drains (link.TxNotifier) and all the
// data arrives within a few serialisation times on the fake clock, not
// after the probe timer's first try (the RTO, at least 200 ms) or the
// resource probe's 500 ms.
func TestFullQueueWakesSenders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const conns, size = 8, 6 * 1448
		cp, sp, cns, _ := pair(t, link.Impairments{Latency: time.Millisecond})
		end, ok := cns.InterfaceByName("eth0").Device().(*link.PipeEnd)
		if !ok {
			t.Fatalf("client device is %T, not a pipe end", cns.InterfaceByName("eth0").Device())
		}
		end.SetImpairments(link.Impairments{Latency: time.Millisecond, Bandwidth: 100e6, QueueLimit: 8})

		ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, conns))
		var cfd, sfd [conns]int
		for i := range conns {
			cfd[i], err = cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			must(t, err)
			must(t, cp.Connect(cfd[i], &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
			sfd[i], _, err = sp.Accept(ls)
			must(t, err)
		}
		drops := end.ImpairStats().QueueDrops

		start := time.Now()
		var data [conns][]byte
		for i := range conns {
			data[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
			n, err := cp.Write(cfd[i], data[i])
			must(t, err)
			if n != size {
				t.Fatalf("conn %d: write took %d of %d bytes", i, n, size)
			}
		}
		for i := range conns {
			readExpect(t, sp, sfd[i], data[i])
		}
		took := time.Since(start)
		refused := end.ImpairStats().QueueDrops - drops
		t.Logf("%d connections x %d bytes: %d frames refused, all delivered in %v", conns, size, refused, took)
		if refused == 0 {
			t.Fatal("the queue refused nothing: the test does not exercise the wakeup")
		}
		// 48 full frames take 5.9 ms on the wire; allow for the ACKs and
		// the latency, far below the 200 ms the fallback would take.
		if took > 50*time.Millisecond {
			t.Fatalf("delivery took %v: refused senders waited for a timer", took)
		}
		for i := range conns {
			must(t, cp.Close(cfd[i]))
			must(t, sp.Close(sfd[i]))
		}
		must(t, sp.Close(ls))
	})
}
