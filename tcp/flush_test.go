package tcp_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// TestSendCallDelivers: over an unimpaired pipe, a request/response
// exchange's segments are delivered by the send calls themselves
// (link.Flusher), not by the pipe's goroutines, and every byte arrives;
// with latency on the wire the pipe's goroutine delivers them all.
func TestSendCallDelivers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		imp     link.Impairments
		flushed bool
	}{
		{"perfect", link.Impairments{}, true},
		{"latency", link.Impairments{Latency: time.Millisecond}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
				b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
				defer func() { a.Close(); b.Close() }()
				ia, ib, err := gosock.Connect(a, b,
					gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
					gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
					link.PipeConfig{AtoB: tc.imp, BtoA: tc.imp})
				must(t, err)
				cp, sp := sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2})
				ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				must(t, err)
				must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
				must(t, sp.Listen(ls, 8))
				const rounds = 200
				done := make(chan struct{})
				go func() {
					defer close(done)
					fd, _, err := sp.Accept(ls)
					must(t, err)
					for range rounds {
						readExpect(t, sp, fd, []byte{'q'})
						_, err := sp.Write(fd, []byte{'r'})
						must(t, err)
					}
					sp.Close(fd)
				}()
				fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				must(t, err)
				must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
				for range rounds {
					_, err := cp.Write(fd, []byte{'q'})
					must(t, err)
					readExpect(t, cp, fd, []byte{'r'})
				}
				<-done
				cp.Close(fd)
				sp.Close(ls)
				ea, eb := ia.Device().(*link.PipeEnd), ib.Device().(*link.PipeEnd)
				sa, sb := ea.ImpairStats(), eb.ImpairStats()
				t.Logf("client->server %+v; server->client %+v", sa, sb)
				if !tc.flushed {
					if sa.Flushed != 0 || sb.Flushed != 0 {
						t.Fatalf("frames on an impaired wire delivered by their sender: %d and %d", sa.Flushed, sb.Flushed)
					}
					return
				}
				// The requests and responses go with their send calls;
				// the ACKs a delivery makes the receiver send go with the
				// goroutine, as does a frame sent while the goroutine
				// has not yet gone idle after one (which the goroutine
				// then takes: a few, depending on the scheduling).
				if want := uint64(rounds * 9 / 10); sa.Flushed < want || sb.Flushed < want {
					t.Fatalf("flushed %d of %d and %d of %d frames, want at least %d each way",
						sa.Flushed, sa.Delivered, sb.Flushed, sb.Delivered, want)
				}
			})
		})
	}
}
