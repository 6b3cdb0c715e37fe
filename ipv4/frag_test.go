package ipv4_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

func TestFragmentedEchoAcrossLossyPipe(t *testing.T) {
	for _, mtu := range []int{1280, 1500} {
		t.Run("mtu"+itoa(mtu), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				before := pktbuf.Outstanding()
				a, b := host(t, "a", 11), host(t, "b", 12)
				imp := link.Impairments{Latency: 2 * time.Millisecond, Loss: 0.05, Reorder: 0.05, ReorderDelay: time.Millisecond}
				aImp, bImp := imp, imp
				aImp.Seed, bImp.Seed = 1, 2
				join(t, a, b, "10.0.0.1/24", "10.0.0.2/24", link.PipeConfig{MTU: mtu, AtoB: aImp, BtoA: bImp})
				// ARP first, over the lossy wire.
				p := pinger.New(a, 7)
				for seq := uint16(0); ; seq++ {
					if _, err := ping(t, p, "10.0.0.2", seq, 8, 5*time.Second); err == nil {
						break
					}
				}
				intact, lost := 0, 0
				sizes := []int{1473, 3000, 8000, 20000, 40000, 65507}
				for i := range 30 {
					size := sizes[i%len(sizes)]
					r, err := ping(t, p, "10.0.0.2", uint16(100+i), size, 3*time.Second)
					if err != nil {
						lost++
						continue
					}
					if !r.PayloadOK || r.Size != size {
						t.Fatalf("size %d: reply %+v corrupted", size, r)
					}
					intact++
				}
				if intact == 0 || lost == 0 {
					t.Errorf("intact %d lost %d: the loss model should give both", intact, lost)
				}
				// Incomplete datagrams time out (ipfrag_time 30 s) and free
				// their memory on both sides.
				time.Sleep(31 * time.Second)
				for _, ns := range []*netns.Namespace{a, b} {
					if m := ipv4.Of(ns).ReassemblyMemory(); m != 0 {
						t.Errorf("%s: %d bytes of reassembly memory held after timeout", ns.Name(), m)
					}
				}
				if b.MIB.Get(netns.IPReasmOKs) == 0 || b.MIB.Get(netns.IPReasmTimeout) == 0 {
					t.Errorf("b ReasmOKs %d ReasmTimeout %d", b.MIB.Get(netns.IPReasmOKs), b.MIB.Get(netns.IPReasmTimeout))
				}
				t.Logf("mtu %d: %d intact, %d lost; b FragCreates %d ReasmOKs %d ReasmFails %d",
					mtu, intact, lost, b.MIB.Get(netns.IPFragCreates), b.MIB.Get(netns.IPReasmOKs), b.MIB.Get(netns.IPReasmFails))
				a.Close()
				b.Close()
				synctest.Wait()
				if n := pktbuf.Outstanding() - before; n != 0 {
					t.Errorf("%d buffers leaked", n)
				}
			})
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// rawSend transmits an IPv4 packet built by the test from a's interface.
func rawSend(t *testing.T, ifc *netns.Interface, f wire.IPv4Fields, payload []byte) {
	t.Helper()
	rawSendVia(t, ifc, f.Dst, f, payload)
}

// rawSendVia is rawSend through next hop via.
func rawSendVia(t *testing.T, ifc *netns.Interface, via netip.Addr, f wire.IPv4Fields, payload []byte) {
	t.Helper()
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, f.Len()+len(payload))
	b := pkt.Bytes()
	f.TotalLen = uint16(f.Len() + len(payload))
	if f.TTL == 0 {
		f.TTL = 64
	}
	f.Encode(wire.IPv4(b))
	wire.IPv4(b).UpdateChecksum()
	copy(b[f.Len():], payload)
	if err := ifc.OutputIP(via, pkt); err != nil {
		t.Fatal(err)
	}
}

func TestFragmentFloodStaysBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := pktbuf.Outstanding()
		a, b := host(t, "a", 1), host(t, "b", 2)
		ia, _ := join(t, a, b, "10.0.0.1/24", "10.0.0.2/24", link.PipeConfig{})
		// Linux refuses a high threshold below the low one: lower low first.
		for _, kv := range [][2]string{{"net.ipv4.ipfrag_low_thresh", "196608"}, {"net.ipv4.ipfrag_high_thresh", "262144"}} {
			if err := b.Sysctl.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		chunk := make([]byte, 1400)
		src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		for i := range 2000 {
			// Middle fragments only: none can ever complete.
			rawSend(t, ia, wire.IPv4Fields{ID: uint16(i), Flags: wire.IPv4FlagMoreFragments, FragmentOffset: 1400,
				Protocol: wire.ProtoUDP, Src: src, Dst: dst}, chunk)
			if i%100 == 99 {
				synctest.Wait()
				if m := ipv4.Of(b).ReassemblyMemory(); m > 262144 {
					t.Fatalf("reassembly memory %d above the 256 KiB limit", m)
				}
			}
		}
		synctest.Wait()
		if fails := b.MIB.Get(netns.IPReasmFails); fails == 0 {
			t.Error("no reassembly failures counted under a flood")
		}
		time.Sleep(31 * time.Second)
		if m := ipv4.Of(b).ReassemblyMemory(); m != 0 {
			t.Errorf("%d bytes held after the timeout", m)
		}
		a.Close()
		b.Close()
		synctest.Wait()
		if n := pktbuf.Outstanding() - before; n != 0 {
			t.Errorf("%d buffers leaked", n)
		}
	})
}

func TestInputErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := host(t, "a", 1), host(t, "b", 2)
		ia, ib := join(t, a, b, "10.0.0.1/24", "10.0.0.2/24", link.PipeConfig{})
		src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		// Resolve ARP both ways first.
		ib.Neighbours(4).Add(src, ia.Device().HardwareAddr())
		ia.Neighbours(4).Add(dst, ib.Device().HardwareAddr())

		// Unknown protocol: ICMP protocol unreachable back to a.
		rawSend(t, ia, wire.IPv4Fields{Protocol: 253, Src: src, Dst: dst}, []byte("hello"))
		synctest.Wait()
		if got := b.MIB.Get(netns.IPInUnknownProtos); got != 1 {
			t.Errorf("InUnknownProtos %d", got)
		}
		if got := a.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4DestUnreach)); got != 1 {
			t.Errorf("a got %d destination unreachables", got)
		}

		// Bad header checksum: counted, dropped, no answer.
		pkt := pktbuf.New(pktbuf.DefaultHeadroom, 28)
		f := wire.IPv4Fields{TotalLen: 28, TTL: 64, Protocol: wire.ProtoICMP, Src: src, Dst: dst}
		f.Encode(wire.IPv4(pkt.Bytes()))
		wire.IPv4(pkt.Bytes()).SetChecksum(0xdead)
		if err := ia.OutputIP(dst, pkt); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := b.MIB.Get(netns.IPExtInCsumErrors); got != 1 {
			t.Errorf("InCsumErrors %d", got)
		}

		// Source-routed packet: dropped.
		lsrr := []byte{wire.IPv4OptLSRR, 7, 4, 10, 0, 0, 9, wire.IPv4OptEOL}
		rawSend(t, ia, wire.IPv4Fields{Protocol: wire.ProtoICMP, Src: src, Dst: dst, Options: lsrr}, []byte{8, 0, 0, 0, 0, 0, 0, 0})
		// Malformed option: parameter problem back.
		bad := []byte{wire.IPv4OptRR, 1, 0, 0}
		rawSend(t, ia, wire.IPv4Fields{Protocol: wire.ProtoICMP, Src: src, Dst: dst, Options: bad}, []byte{8, 0, 0, 0, 0, 0, 0, 0})
		synctest.Wait()
		if got := a.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4ParamProblem)); got != 1 {
			t.Errorf("a got %d parameter problems, want 1", got)
		}
		if got := b.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4EchoRequest)); got != 0 {
			t.Errorf("b answered %d echo requests with bad options", got)
		}
	})
}

func TestTTLExceededAtRouter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, r, _ := router(t)
		setForwarding(t, r, true)
		p := pinger.New(a, 1)
		if _, err := ping(t, p, "10.2.0.2", 1, 8, time.Second); err != nil { // resolve ARP on the way
			t.Fatal(err)
		}
		ia := a.InterfaceByName("eth0")
		rawSendVia(t, ia, netip.MustParseAddr("10.1.0.1"), wire.IPv4Fields{TTL: 1, Protocol: wire.ProtoICMP,
			Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("10.2.0.2")}, []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})
		synctest.Wait()
		if got := a.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4TimeExceeded)); got != 1 {
			t.Errorf("a got %d time exceeded, want 1", got)
		}
	})
}

func TestPathMTUFromFragNeeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, r, c := router(t)
		setForwarding(t, r, true)
		rc := r.InterfaceByName("r-c")
		if err := rc.SetMTU(1000); err != nil {
			t.Fatal(err)
		}
		_ = c
		ipA := ipv4.Of(a)
		dst := netip.MustParseAddr("10.2.0.2")
		rt, err := a.Lookup(dst, netns.LookupFlags{})
		if err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, 1400)
		payload[0] = 8 // echo request, checksum left wrong: c drops it, that's fine
		pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, payload)
		if err := ipA.Output(&rt, &ipv4.Header{Src: rt.Src, Dst: dst, Protocol: wire.ProtoICMP, DontFragment: true}, pkt); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if got := ipA.PathMTU(dst); got != 1000 {
			t.Fatalf("path MTU %d, want 1000", got)
		}
		// The next DF packet over the path MTU is refused locally.
		pkt = pktbuf.FromBytes(pktbuf.DefaultHeadroom, payload)
		if err := ipA.Output(&rt, &ipv4.Header{Src: rt.Src, Dst: dst, Protocol: wire.ProtoICMP, DontFragment: true}, pkt); err == nil {
			t.Error("DF packet over the path MTU was sent")
		}
		// Without DF it is fragmented to the path MTU and gets through.
		p := pinger.New(a, 3)
		r2, err := ping(t, p, "10.2.0.2", 1, 1400, time.Second)
		if err != nil || !r2.PayloadOK {
			t.Fatalf("fragmented ping: %v %+v", err, r2)
		}
		if got := a.MIB.Get(netns.IPFragCreates); got < 2 {
			t.Errorf("a FragCreates %d", got)
		}
	})
}
