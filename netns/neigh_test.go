package netns

import (
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// fakeResolver records solicitations and unreachable reports.
type fakeResolver struct {
	mu          sync.Mutex
	solicits    []solicit
	unreachable int
}

type solicit struct {
	target netip.Addr
	dst    wire.MAC
	at     time.Time
}

func (f *fakeResolver) Solicit(ifc *Interface, target netip.Addr, dst wire.MAC) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.solicits = append(f.solicits, solicit{target, dst, ifc.Namespace().Clock().Now()})
}

func (f *fakeResolver) count() (solicits, unreachable int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.solicits), f.unreachable
}

func (f *fakeResolver) Unreachable(_ *Interface, pkt *pktbuf.Buffer) {
	f.mu.Lock()
	f.unreachable++
	f.mu.Unlock()
	pkt.Release()
}

func TestNeighbourStateMachine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := New(Options{Seed: 1})
		defer ns.Close()
		res := &fakeResolver{}
		ns.SetNeighProtocol(4, res)
		a, b := link.NewPipe(link.PipeConfig{})
		got := make(chan int, 100)
		b.Attach(link.ReceiverFunc(func(_ link.Device, p *pktbuf.Buffer) { got <- p.Len(); p.Release() }))
		ifc, _ := ns.AddInterface(a)
		ifc.SetUp(true)
		table := ifc.Neighbours(4)
		peer := netip.MustParseAddr("10.0.0.2")
		mac := wire.MAC{2, 0, 0, 0, 0, 2}
		start := time.Now()

		// Resolution: three packets queue, one solicitation.
		for range 3 {
			if err := table.Resolve(peer, wire.EtherTypeIPv4, pktbuf.New(64, 100)); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := res.count(); n != 1 {
			t.Fatalf("%d solicitations, want 1", n)
		}
		table.Update(peer, mac, UpdateFlags{Solicited: true, Override: true})
		for range 3 {
			<-got
		}
		if e, _ := table.Lookup(peer); e.State != NeighReachable || e.MAC != mac {
			t.Fatalf("after reply: %+v", e)
		}
		// Reachable time (30 s) passes: STALE on lookup.
		time.Sleep(31 * time.Second)
		if e, _ := table.Lookup(peer); e.State != NeighStale {
			t.Fatalf("after 31 s: %v, want STALE", e.State)
		}
		// Use it: DELAY, then after 5 s PROBE with unicast solicitations
		// a second apart, then FAILED after ucast_solicit (3) of them.
		if err := table.Resolve(peer, wire.EtherTypeIPv4, pktbuf.New(64, 100)); err != nil {
			t.Fatal(err)
		}
		<-got
		if e, _ := table.Lookup(peer); e.State != NeighDelay {
			t.Fatalf("after use: %v, want DELAY", e.State)
		}
		time.Sleep(5*time.Second + time.Millisecond)
		if e, _ := table.Lookup(peer); e.State != NeighProbe {
			t.Fatalf("after delay: %v, want PROBE", e.State)
		}
		time.Sleep(3 * time.Second)
		if e, _ := table.Lookup(peer); e.State != NeighFailed {
			t.Fatalf("after probes: %v, want FAILED", e.State)
		}
		res.mu.Lock()
		probes := res.solicits[1:]
		res.mu.Unlock()
		if len(probes) != 3 {
			t.Fatalf("%d probes, want 3", len(probes))
		}
		for i, p := range probes {
			if p.dst != mac || p.at.Sub(start) != 36*time.Second+time.Duration(i)*time.Second {
				t.Errorf("probe %d: dst %v at %v", i, p.dst, p.at.Sub(start))
			}
		}
		// Confirmation during DELAY keeps the entry REACHABLE with no probe.
		table.Update(peer, mac, UpdateFlags{Solicited: true, Override: true})
		time.Sleep(31 * time.Second)
		_ = table.Resolve(peer, wire.EtherTypeIPv4, pktbuf.New(64, 100))
		<-got
		table.Confirm(peer)
		time.Sleep(6 * time.Second)
		if e, _ := table.Lookup(peer); e.State != NeighReachable {
			t.Errorf("confirmed entry: %v, want REACHABLE", e.State)
		}
		if n, _ := res.count(); n != 4 {
			t.Errorf("%d solicitations, want no new ones", n)
		}
		// Non-override advertisement with another address: STALE only.
		table.Update(peer, wire.MAC{2, 0, 0, 0, 0, 9}, UpdateFlags{})
		if e, _ := table.Lookup(peer); e.MAC != mac || e.State != NeighStale {
			t.Errorf("non-override update: %+v", e)
		}
		// Unresolvable neighbour: mcast_solicit (3) requests, then the
		// queued packet is reported unreachable.
		other := netip.MustParseAddr("10.0.0.3")
		_ = table.Resolve(other, wire.EtherTypeIPv4, pktbuf.New(64, 100))
		time.Sleep(4 * time.Second)
		if e, _ := table.Lookup(other); e.State != NeighFailed {
			t.Errorf("unresolvable: %v, want FAILED", e.State)
		}
		if _, u := res.count(); u != 1 {
			t.Errorf("%d unreachable reports, want 1", u)
		}
	})
}

func TestNeighbourQueueLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := pktbuf.Outstanding()
		ns := New(Options{Seed: 1})
		res := &fakeResolver{}
		ns.SetNeighProtocol(4, res)
		a, _ := link.NewPipe(link.PipeConfig{})
		ifc, _ := ns.AddInterface(a)
		ifc.SetUp(true)
		limit := ns.Sysctl.NeighInt(4, ifc.Name(), "unres_qlen_bytes")
		for range 1000 {
			_ = ifc.Neighbours(4).Resolve(netip.MustParseAddr("10.0.0.2"), wire.EtherTypeIPv4, pktbuf.New(64, 1000))
		}
		if d := ns.MIB.DropCount(DropNeighQueueFull); d == 0 || int64(1000-d)*1000 > limit {
			t.Errorf("dropped %d of 1000 with a %d-byte queue", d, limit)
		}
		ns.Close()
		synctest.Wait()
		if n := pktbuf.Outstanding() - before; n != 0 {
			t.Errorf("%d buffers leaked", n)
		}
	})
}
