package gvstack

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	gvnet "gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// peers is a gosock namespace (10.9.0.1) and a gVisor stack (10.9.0.2)
// at the two ends of one raw-IP pipe.
type peers struct {
	ns *netns.Namespace
	gv *Stack
}

func newPeers(t *testing.T, loss float64, seed int64) *peers {
	t.Helper()
	a, b := link.NewPipe(link.PipeConfig{
		Type: link.TypeRawIP,
		AtoB: link.Impairments{Loss: loss, Seed: seed},
		BtoA: link.Impairments{Loss: loss, Seed: seed + 1},
	})
	ns := gosock.NewNamespace(netns.Options{Name: "gosock", Seed: uint64(seed)})
	ifc, err := ns.AddInterface(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := ifc.SetUp(true); err != nil {
		t.Fatal(err)
	}
	if err := ifc.AddAddress(netip.MustParsePrefix("10.9.0.1/24")); err != nil {
		t.Fatal(err)
	}
	gv, err := NewStack(b, netip.MustParsePrefix("10.9.0.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		gv.Close()
		ns.Close()
		b.Close()
	})
	return &peers{ns: ns, gv: gv}
}

// transfer sends n seeded random bytes from src to dst and checks that
// the bytes, their count and their SHA-256 arrive intact and that dst
// sees the end of the stream.
func transfer(t *testing.T, src, dst net.Conn, n int, seed uint64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	src.SetDeadline(deadline)
	dst.SetDeadline(deadline)
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	want := sha256.Sum256(data)
	werr := make(chan error, 1)
	go func() {
		// Uneven writes exercise segment boundaries that do not line up
		// with the writes.
		rest := data
		for len(rest) > 0 {
			k := min(len(rest), 1+int(r.Uint32()%50000))
			if _, err := src.Write(rest[:k]); err != nil {
				werr <- err
				return
			}
			rest = rest[k:]
		}
		if cw, ok := src.(interface{ CloseWrite() error }); ok {
			werr <- cw.CloseWrite()
			return
		}
		werr <- nil
	}()
	h := sha256.New()
	got, err := io.Copy(h, dst)
	if err != nil {
		t.Fatalf("reading after %d of %d bytes: %v", got, n, err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing: %v", err)
	}
	if got != int64(n) {
		t.Fatalf("received %d bytes, sent %d", got, n)
	}
	if sum := h.Sum(nil); string(sum) != string(want[:]) {
		t.Fatalf("SHA-256 of the received bytes %x, sent %x", sum, want)
	}
}

// TestBulkWithGVisor moves random data between gosock and gVisor's
// netstack over an in-memory link, gosock as client and as server, on a
// clean link and with 1% and 10% loss each way, and checks it end to end.
func TestBulkWithGVisor(t *testing.T) {
	// gVisor's sender backs its retransmission timer off without the
	// resets Linux's does, so at 10% loss it can sit out minutes-long
	// timeouts: two gVisor stacks over the same link did not move 256 KiB
	// in five minutes. Data gVisor sends at 10% loss is kept small.
	sizes := map[float64][2]int{0: {4 << 20, 4 << 20}, 0.01: {1 << 20, 1 << 20}, 0.10: {256 << 10, 16 << 10}}
	if testing.Short() {
		sizes = map[float64][2]int{0: {1 << 20, 1 << 20}, 0.01: {256 << 10, 256 << 10}, 0.10: {64 << 10, 16 << 10}}
	}
	for _, loss := range []float64{0, 0.01, 0.10} {
		for _, gosockClient := range []bool{true, false} {
			role := "gosock-server"
			if gosockClient {
				role = "gosock-client"
			}
			t.Run(fmt.Sprintf("%s/loss=%g%%", role, loss*100), func(t *testing.T) {
				p := newPeers(t, loss, int64(loss*1000)+7)
				n, gvn := sizes[loss][0], sizes[loss][1] // sent by gosock, by gVisor
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if gosockClient {
					ln, err := gvnet.ListenTCP(p.gv.Stack, FullAddress(netip.MustParseAddrPort("10.9.0.2:5001")), ipv4.ProtocolNumber)
					if err != nil {
						t.Fatal(err)
					}
					defer ln.Close()
					acc := make(chan net.Conn, 1)
					go func() {
						c, err := ln.Accept()
						if err != nil {
							t.Error(err)
						}
						acc <- c
					}()
					d := gonet.Dialer{Namespace: p.ns}
					c, err := d.DialContext(ctx, "tcp4", "10.9.0.2:5001")
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					sc := <-acc
					if sc == nil {
						return
					}
					defer sc.Close()
					t.Run("upload", func(t *testing.T) { transfer(t, c, sc, n, 1) })
					t.Run("download", func(t *testing.T) { transfer(t, sc, c, gvn, 2) })
				} else {
					ln, err := gonet.Listen(p.ns, "tcp4", "10.9.0.1:5001")
					if err != nil {
						t.Fatal(err)
					}
					defer ln.Close()
					acc := make(chan net.Conn, 1)
					go func() {
						c, err := ln.Accept()
						if err != nil {
							t.Error(err)
						}
						acc <- c
					}()
					c, err := gvnet.DialContextTCP(ctx, p.gv.Stack, FullAddress(netip.MustParseAddrPort("10.9.0.1:5001")), ipv4.ProtocolNumber)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					sc := <-acc
					if sc == nil {
						return
					}
					defer sc.Close()
					t.Run("upload", func(t *testing.T) { transfer(t, c, sc, gvn, 3) })
					t.Run("download", func(t *testing.T) { transfer(t, sc, c, n, 4) })
				}
			})
		}
	}
}
