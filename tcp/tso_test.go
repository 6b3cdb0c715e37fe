package tcp_test

import (
	"bytes"
	"math/rand/v2"
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

// gsoCounter wraps the receiving end's Receiver to count the
// super-segments and segments that cross the wire.
type gsoCounter struct {
	next       link.Receiver
	frames     int
	super      int
	maxPayload int
}

func (g *gsoCounter) Receive(dev link.Device, pkt *pktbuf.Buffer) {
	g.frames++
	if pkt.GSOType != pktbuf.GSONone {
		g.super++
		g.maxPayload = max(g.maxPayload, pkt.Len())
	}
	g.next.Receive(dev, pkt)
}

// tsoTransfer moves size bytes from a client to a server over a pipe at
// MTU 1500 with the given capabilities and loss, and returns what the
// client's device carried and the client's OutSegs.
func tsoTransfer(t *testing.T, caps link.Capabilities, loss float64, size int) (frames, super, maxLen int, outSegs uint64) {
	a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	defer func() { a.Close(); b.Close() }()
	_, si, err := gosock.Connect(a, b,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{MTU: 1500, Capabilities: caps,
			AtoB: link.Impairments{Latency: time.Millisecond, Loss: loss, Seed: 3},
			BtoA: link.Impairments{Latency: time.Millisecond, Seed: 4}})
	must(t, err)
	// The server's device delivers into its namespace: count on the way.
	cnt := &gsoCounter{}
	dev := si.Device().(*link.PipeEnd)
	cnt.next = si
	dev.Attach(cnt)

	cp, sp := sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2})
	ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
	must(t, sp.Listen(ls, 1))
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	got := make(chan []byte, 1)
	go func() {
		fd, _, err := sp.Accept(ls)
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		var buf bytes.Buffer
		p := make([]byte, 65536)
		for {
			n, err := sp.Read(fd, p)
			if err != nil || n == 0 {
				break
			}
			buf.Write(p[:n])
		}
		sp.Close(fd)
		got <- buf.Bytes()
	}()
	fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
	for off := 0; off < len(data); {
		n, err := cp.Write(fd, data[off:min(off+100000, len(data))])
		must(t, err)
		off += n
	}
	must(t, cp.Shutdown(fd, abi.SHUT_WR))
	if r := <-got; !bytes.Equal(r, data) {
		t.Fatalf("received %d bytes, not the %d sent", len(r), len(data))
	}
	cp.Close(fd)
	sp.Close(ls)
	return cnt.frames, cnt.super, cnt.maxPayload, a.MIB.Get(netns.TCPOutSegs)
}

// TestTSOSuperSegments: over a device that offers GSO, TCP sends
// super-segments (far fewer frames than segments, each within the size
// goal) and the data arrives intact, with and without loss; without GSO
// on the device, every frame is a plain segment.
func TestTSOSuperSegments(t *testing.T) {
	for _, c := range []struct {
		name string
		caps link.Capabilities
		loss float64
	}{
		{"gso", link.Capabilities{GSOMaxSize: 65536}, 0},
		{"gso+csum", link.Capabilities{GSOMaxSize: 65536, ChecksumOffload: true}, 0},
		{"gso lossy", link.Capabilities{GSOMaxSize: 65536, ChecksumOffload: true}, 0.02},
		{"no gso", link.Capabilities{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				before := pktbuf.Outstanding()
				const size = 2 << 20
				frames, super, maxLen, outSegs := tsoTransfer(t, c.caps, c.loss, size)
				t.Logf("%d frames (%d super-segments, largest %d bytes) for %d segments", frames, super, maxLen, outSegs)
				if outSegs < size/1448 {
					t.Errorf("OutSegs %d: fewer than the %d segments the data makes", outSegs, size/1448)
				}
				if c.caps.GSOMaxSize == 0 {
					if super != 0 {
						t.Errorf("%d super-segments over a device without GSO", super)
					}
				} else {
					if super == 0 || uint64(frames)*2 > outSegs {
						t.Errorf("%d frames, %d super-segments for %d segments: TSO not used", frames, super, outSegs)
					}
					if maxLen > 65535 {
						t.Errorf("super-segment of %d bytes", maxLen)
					}
				}
				time.Sleep(2 * time.Minute)
				synctest.Wait()
				if n := pktbuf.Outstanding() - before; n != 0 {
					t.Errorf("%d buffers leaked", n)
				}
			})
		})
	}
}
