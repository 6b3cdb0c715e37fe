package tcp_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// TestCleanLinkNoRetransmissions moves 1 MiB over a lossless 40 ms RTT
// link and checks that nothing was retransmitted and no segment fell
// outside the receiver's window. It caught the receiver rounding its
// offered edge down to the window scale's unit, which refused data the
// sender had been allowed to send.
func TestCleanLinkNoRetransmissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, cfd, sfd, cns, sns := connected(t, link.Impairments{Latency: 20 * time.Millisecond})
		data := make([]byte, 1<<20)
		done := make(chan int)
		start := time.Now()
		go func() {
			buf := make([]byte, 65536)
			n := 0
			for n < len(data) {
				k, err := sp.Read(sfd, buf)
				if err != nil || k == 0 {
					break
				}
				n += k
			}
			done <- n
		}()
		for off := 0; off < len(data); {
			n, err := cp.Write(cfd, data[off:])
			must(t, err)
			off += n
		}
		if n := <-done; n != len(data) {
			t.Fatalf("received %d bytes", n)
		}
		if r := cns.MIB.Get(netns.TCPRetransSegs); r != 0 {
			t.Errorf("%d retransmissions on a clean link", r)
		}
		if d := sns.MIB.DropCount(netns.DropTCPInvalidSequence); d != 0 {
			t.Errorf("%d segments dropped outside the receive window", d)
		}
		t.Logf("1 MiB at 40 ms RTT in %v of simulated time", time.Since(start))
	})
}
