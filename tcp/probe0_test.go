package tcp_test

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// TestRefusedDataOutlivesLinkDown: data written while the client's
// interface is down cannot leave; the probe timer keeps trying with a
// backed-off interval, as Linux's tcp_send_probe0 does for a refusal
// that is not local congestion, so the connection is still there a
// minute later (retrying every 500 ms it would have given up after
// tcp_retries2 tries, 7.5 s), and once the link is back the data
// arrives whole.
func TestRefusedDataOutlivesLinkDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, cns, _ := pair(t, link.Impairments{Latency: time.Millisecond})
		ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, 1))
		fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
		afd, _, err := sp.Accept(ls)
		must(t, err)

		ifc := cns.InterfaceByName("eth0")
		must(t, ifc.SetUp(false))
		data := bytes.Repeat([]byte("probe"), 1000)
		n, err := cp.Write(fd, data)
		must(t, err)
		if n != len(data) {
			t.Fatalf("write took %d of %d bytes", n, len(data))
		}
		time.Sleep(time.Minute)
		if e, _ := cp.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_ERROR); e != 0 {
			t.Fatalf("connection failed while the link was down: SO_ERROR %d", e)
		}
		if got := cns.MIB.Get(netns.TCPExtTCPAbortOnTimeout); got != 0 {
			t.Fatalf("TCPAbortOnTimeout %d", got)
		}
		must(t, ifc.SetUp(true))
		readExpect(t, sp, afd, data)
		must(t, cp.Close(fd))
		must(t, sp.Close(afd))
		must(t, sp.Close(ls))
	})
}
