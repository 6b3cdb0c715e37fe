package arp_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/arp"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// peer is a raw pipe end the test drives by hand.
type peer struct {
	end    *link.PipeEnd
	frames chan []byte
}

func (p *peer) Receive(_ link.Device, pkt *pktbuf.Buffer) {
	p.frames <- append([]byte(nil), pkt.Bytes()...)
	pkt.Release()
}

func (p *peer) send(t *testing.T, eth wire.EthernetFields, a wire.ARPFields) {
	t.Helper()
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.EthernetHeaderLen+wire.ARPLen)
	b := pkt.Bytes()
	eth.Type = wire.EtherTypeARP
	eth.Encode(wire.Ethernet(b))
	a.Encode(wire.ARP(b[wire.EthernetHeaderLen:]))
	if err := p.end.Transmit(pkt); err != nil {
		t.Fatal(err)
	}
}

// next returns the next ARP frame the namespace sent.
func (p *peer) next(t *testing.T) (wire.Ethernet, wire.ARP) {
	t.Helper()
	for {
		select {
		case f := <-p.frames:
			eth, err := wire.ParseEthernet(f)
			if err != nil || eth.Type() != wire.EtherTypeARP {
				continue
			}
			a, err := wire.ParseARP(eth.Payload())
			if err != nil {
				t.Fatal(err)
			}
			return eth, a
		case <-time.After(10 * time.Second):
			t.Fatal("no ARP frame")
		}
	}
}

var (
	hostIP = netip.MustParseAddr("10.0.0.1")
	peerIP = netip.MustParseAddr("10.0.0.2")
	peerHW = wire.MAC{0x02, 0, 0, 0, 0, 0x22}
)

func setup(t *testing.T) (*netns.Namespace, *netns.Interface, *peer) {
	ns := netns.New(netns.Options{Name: "h", Seed: 1})
	ipv4.Register(ns)
	arp.Register(ns)
	a, b := link.NewPipe(link.PipeConfig{MACs: [2]wire.MAC{{0x02, 0, 0, 0, 0, 0x11}, peerHW}})
	ifc, err := ns.AddInterface(a)
	if err != nil {
		t.Fatal(err)
	}
	ifc.SetUp(true)
	if err := ifc.AddAddress(netip.MustParsePrefix("10.0.0.1/24")); err != nil {
		t.Fatal(err)
	}
	p := &peer{end: b, frames: make(chan []byte, 64)}
	b.Attach(p)
	t.Cleanup(func() { ns.Close() })
	return ns, ifc, p
}

func TestAnswersRequestsAndLearnsSender(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ifc, p := setup(t)
		p.send(t, wire.EthernetFields{Dst: wire.BroadcastMAC, Src: peerHW},
			wire.ARPFields{Op: wire.ARPRequest, SenderHW: peerHW, SenderIP: peerIP, TargetIP: hostIP})
		eth, a := p.next(t)
		if eth.Dst() != peerHW || a.Op() != wire.ARPReply || a.SenderIP() != hostIP ||
			a.SenderHW() != ifc.Device().HardwareAddr() || a.TargetIP() != peerIP || a.TargetHW() != peerHW {
			t.Errorf("reply %v", a)
		}
		e, ok := ifc.Neighbours(4).Lookup(peerIP)
		if !ok || e.MAC != peerHW || e.State != netns.NeighStale {
			t.Errorf("sender entry %+v %v, want STALE", e, ok)
		}
		// A request for another address is not answered.
		p.send(t, wire.EthernetFields{Dst: wire.BroadcastMAC, Src: peerHW},
			wire.ARPFields{Op: wire.ARPRequest, SenderHW: peerHW, SenderIP: peerIP, TargetIP: netip.MustParseAddr("10.0.0.9")})
		synctest.Wait()
		if len(p.frames) != 0 {
			t.Error("answered a request for someone else")
		}
		// A probe (sender 0.0.0.0) is answered to 0.0.0.0 and learns nothing.
		p.send(t, wire.EthernetFields{Dst: wire.BroadcastMAC, Src: peerHW},
			wire.ARPFields{Op: wire.ARPRequest, SenderHW: peerHW, SenderIP: netip.IPv4Unspecified(), TargetIP: hostIP})
		_, a = p.next(t)
		if a.Op() != wire.ARPReply || a.TargetIP() != netip.IPv4Unspecified() || a.SenderIP() != hostIP {
			t.Errorf("probe reply %v", a)
		}
	})
}

func TestResolveQueueAndFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns, ifc, p := setup(t)
		before := ns.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4DestUnreach))
		// Two packets wait for one resolution.
		send := func() {
			rt, err := ns.Lookup(peerIP, netns.LookupFlags{})
			if err != nil {
				t.Fatal(err)
			}
			pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})
			if err := ipv4.Of(ns).Output(&rt, &ipv4.Header{Src: rt.Src, Dst: peerIP, Protocol: wire.ProtoICMP}, pkt); err != nil {
				t.Fatal(err)
			}
		}
		send()
		send()
		eth, a := p.next(t)
		if eth.Dst() != wire.BroadcastMAC || a.Op() != wire.ARPRequest || a.TargetIP() != peerIP || a.SenderIP() != hostIP {
			t.Fatalf("request %v", a)
		}
		if e, _ := ifc.Neighbours(4).Lookup(peerIP); e.State != netns.NeighIncomplete {
			t.Errorf("state %v, want INCOMPLETE", e.State)
		}
		// The reply releases both queued packets, in order.
		p.send(t, wire.EthernetFields{Dst: ifc.Device().HardwareAddr(), Src: peerHW},
			wire.ARPFields{Op: wire.ARPReply, SenderHW: peerHW, SenderIP: peerIP, TargetHW: ifc.Device().HardwareAddr(), TargetIP: hostIP})
		for range 2 {
			select {
			case f := <-p.frames:
				if eth, _ := wire.ParseEthernet(f); eth.Type() != wire.EtherTypeIPv4 || eth.Dst() != peerHW {
					t.Errorf("queued packet went out as %v", eth)
				}
			case <-time.After(time.Second):
				t.Fatal("queued packet not sent")
			}
		}
		if e, _ := ifc.Neighbours(4).Lookup(peerIP); e.State != netns.NeighReachable {
			t.Errorf("state %v, want REACHABLE", e.State)
		}
		// Silence for an unknown neighbour: 3 requests a second apart, then
		// FAILED and ICMP host unreachable to the local sender.
		other := netip.MustParseAddr("10.0.0.3")
		rt, _ := ns.Lookup(other, netns.LookupFlags{})
		pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})
		if err := ipv4.Of(ns).Output(&rt, &ipv4.Header{Src: rt.Src, Dst: other, Protocol: wire.ProtoICMP}, pkt); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for i := range 3 {
			_, a := p.next(t)
			if a.TargetIP() != other {
				t.Fatalf("request %d for %v", i, a.TargetIP())
			}
			if at := time.Since(start); at != time.Duration(i)*time.Second {
				t.Errorf("request %d at %v", i, at)
			}
		}
		time.Sleep(2 * time.Second)
		if e, _ := ifc.Neighbours(4).Lookup(other); e.State != netns.NeighFailed {
			t.Errorf("state %v, want FAILED", e.State)
		}
		if got := ns.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4DestUnreach)) - before; got != 1 {
			t.Errorf("%d host unreachables delivered locally, want 1", got)
		}
	})
}

func TestGratuitousARPUpdatesButDoesNotCreate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ifc, p := setup(t)
		newHW := wire.MAC{0x02, 0, 0, 0, 0, 0x33}
		garp := func(hw wire.MAC) {
			p.send(t, wire.EthernetFields{Dst: wire.BroadcastMAC, Src: hw},
				wire.ARPFields{Op: wire.ARPReply, SenderHW: hw, SenderIP: peerIP, TargetHW: wire.BroadcastMAC, TargetIP: peerIP})
			synctest.Wait()
		}
		garp(newHW)
		if _, ok := ifc.Neighbours(4).Lookup(peerIP); ok {
			t.Fatal("gratuitous ARP created an entry (arp_accept=0)")
		}
		ifc.Neighbours(4).Update(peerIP, peerHW, netns.UpdateFlags{Create: true, Solicited: true, Override: true})
		garp(newHW)
		if e, _ := ifc.Neighbours(4).Lookup(peerIP); e.MAC != newHW || e.State != netns.NeighStale {
			t.Errorf("after gratuitous ARP: %+v", e)
		}
	})
}
