package netns

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// TestConfirmNeighbour: an entry used every 10 s for two minutes stays
// REACHABLE with no new solicitation while the upper layer confirms it
// (TCP forward progress), where without confirmation it goes STALE after
// the reachable time (30 s) and is probed. Confirming allocates nothing.
func TestConfirmNeighbour(t *testing.T) {
	for _, confirm := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			ns := New(Options{Seed: 1})
			defer ns.Close()
			res := &fakeResolver{}
			ns.SetNeighProtocol(4, res)
			a, b := link.NewPipe(link.PipeConfig{})
			b.Attach(link.ReceiverFunc(func(_ link.Device, p *pktbuf.Buffer) { p.Release() }))
			ifc, _ := ns.AddInterface(a)
			ifc.SetUp(true)
			table := ifc.Neighbours(4)
			peer := netip.MustParseAddr("10.0.0.2")
			mac := wire.MAC{2, 0, 0, 0, 0, 2}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(table.Resolve(peer, wire.EtherTypeIPv4, pktbuf.New(64, 100)))
			table.Update(peer, mac, UpdateFlags{Solicited: true, Override: true})
			stale := false
			for range 12 {
				time.Sleep(10 * time.Second)
				if confirm {
					ifc.ConfirmNeighbour(peer, ns.Clock().Now())
				}
				must(table.Resolve(peer, wire.EtherTypeIPv4, pktbuf.New(64, 100)))
				e, _ := table.Lookup(peer)
				stale = stale || e.State != NeighReachable
			}
			n, _ := res.count()
			if confirm && (stale || n != 1) {
				t.Errorf("confirmed: left REACHABLE %v, %d solicitations, want never and 1", stale, n)
			}
			if !confirm && (!stale || n < 2) {
				t.Errorf("unconfirmed: left REACHABLE %v, %d solicitations, want a stale entry probed again", stale, n)
			}
			if confirm {
				if allocs := testing.AllocsPerRun(100, func() { ifc.ConfirmNeighbour(peer, ns.Clock().Now()) }); allocs != 0 {
					t.Errorf("ConfirmNeighbour allocates %v times", allocs)
				}
			}
		})
	}
}

// BenchmarkConfirmNeighbour is the cost TCP adds to the first segment
// after an ACK with forward progress.
func BenchmarkConfirmNeighbour(b *testing.B) {
	ns := New(Options{Seed: 1})
	defer ns.Close()
	ns.SetNeighProtocol(4, &fakeResolver{})
	d, peerDev := link.NewPipe(link.PipeConfig{})
	peerDev.Attach(link.ReceiverFunc(func(_ link.Device, p *pktbuf.Buffer) { p.Release() }))
	ifc, _ := ns.AddInterface(d)
	ifc.SetUp(true)
	peer := netip.MustParseAddr("10.0.0.2")
	ifc.Neighbours(4).Add(peer, wire.MAC{2, 0, 0, 0, 0, 2})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ifc.ConfirmNeighbour(peer, ns.Clock().Now())
		}
	})
}
