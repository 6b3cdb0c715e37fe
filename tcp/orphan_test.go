package tcp_test

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/tcp"
)

// TestOrphanRetries: a connection the user closed gives up after
// tcp_orphan_retries retransmissions (its default 0 meaning 8 while the
// RTO is below its maximum, tcp_orphan_retries in Linux's tcp_timer.c),
// not after tcp_retries2 (15) as one the user still holds; with a 40 ms
// round trip Linux's time model (102.2 s for 8) sends the same 8. Both
// end silently (no reset) and count TCPAbortOnTimeout. The orphan used
// to retransmit 15 times over about 15 minutes, which kept a peer that
// waited for its answer stuck that much longer in the soak.
func TestOrphanRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		orphan  bool
		sysctl  string
		retrans uint64
	}{
		{"orphan", true, "0", 8},
		{"orphan-sysctl3", true, "3", 3},
		{"held", false, "0", 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cp, sp, cns, sns, cut := orphanPair(t)
				defer cns.Close()
				defer sns.Close()
				sns.Sysctl.Set("net.ipv4.tcp_orphan_retries", tc.sysctl)
				ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				must(t, err)
				must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
				must(t, sp.Listen(ls, 1))
				fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				must(t, err)
				must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
				afd, _, err := sp.Accept(ls)
				must(t, err)
				must(t, sp.Close(ls))
				synctest.Wait()
				cut()
				if _, err := sp.Write(afd, []byte("lost answer")); err != nil {
					t.Fatal(err)
				}
				if tc.orphan {
					must(t, sp.Close(afd))
				}
				before := sns.MIB.Get(netns.TCPExtTCPTimeouts)
				time.Sleep(time.Hour)
				if c, _ := tcp.Of(sns).Tables(); c != 0 {
					t.Fatalf("server still has %d connections after an hour", c)
				}
				// Retransmissions by timeout: TCPRetransSegs also counts
				// the tail loss probe that goes first.
				if n := sns.MIB.Get(netns.TCPExtTCPTimeouts) - before; n != tc.retrans {
					t.Errorf("%d retransmission timeouts before giving up, want %d", n, tc.retrans)
				}
				if n := sns.MIB.Get(netns.TCPExtTCPAbortOnTimeout); n != 1 {
					t.Errorf("TCPAbortOnTimeout %d, want 1", n)
				}
				if n := sns.MIB.Get(netns.TCPOutRsts); n != 0 {
					t.Errorf("OutRsts %d, want 0: a connection that times out ends silently", n)
				}
				if !tc.orphan {
					// ETIMEDOUT, or the soft error a failed neighbour
					// resolution left (tcp_write_err reports it first).
					if _, err := sp.Read(afd, make([]byte, 8)); !errors.Is(err, errno.ETIMEDOUT) && !errors.Is(err, errno.EHOSTUNREACH) {
						t.Errorf("read after the timeout: %v, want ETIMEDOUT or EHOSTUNREACH", err)
					}
					must(t, sp.Close(afd))
				}
				must(t, cp.Close(fd))
				cp.Exit()
				sp.Exit()
			})
		})
	}
}

// orphanPair is pair with 20 ms each way and a function that cuts the
// link both ways.
func orphanPair(t *testing.T) (cp, sp *sys.Process, cns, sns *netns.Namespace, cut func()) {
	cns = gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	sns = gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	imp := link.Impairments{Latency: 20 * time.Millisecond, QueueLimit: -1}
	ci, si, err := gosock.Connect(cns, sns,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: imp, BtoA: imp})
	must(t, err)
	cut = func() {
		lost := imp
		lost.Loss = 1
		ci.Device().(*link.PipeEnd).SetImpairments(lost)
		si.Device().(*link.PipeEnd).SetImpairments(lost)
	}
	return sys.NewProcess(cns, sys.Options{PID: 1}), sys.NewProcess(sns, sys.Options{PID: 2}), cns, sns, cut
}
