package ipv6_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

func TestFragmentRules(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		mib := n.ns.MIB
		req := echoRequest(peerAddr, nodeAddr, 1, 56) // 64 bytes
		frag := func(off int, more bool, id uint32, data []byte) []byte {
			return ip6(peerAddr, nodeAddr, wire.ProtoIPv6Frag, 64, cat(fragHdr(wire.ProtoICMPv6, off, more, id), data))
		}

		// An atomic fragment is processed at once (RFC 6946).
		oks := counter(n, netns.IP6ReasmOKs)
		p.send(frag(0, false, 1, req))
		echoed(t, p, "atomic fragment")
		if n.ip.ReassemblyPending() != 0 || counter(n, netns.IP6ReasmOKs)-oks != 1 {
			t.Errorf("atomic fragment: %d pending, ReasmOKs moved by %d", n.ip.ReassemblyPending(), counter(n, netns.IP6ReasmOKs)-oks)
		}
		// Two fragments, in either order.
		p.send(frag(0, true, 2, req[:32]))
		p.send(frag(32, false, 2, req[32:]))
		echoed(t, p, "two fragments")
		p.send(frag(32, false, 3, req[32:]))
		p.send(frag(0, true, 3, req[:32]))
		echoed(t, p, "two fragments reversed")

		// Overlap kills the whole datagram (RFC 5722).
		fails, dups := counter(n, netns.IP6ReasmFails), mib.DropCount(netns.DropDupFrag)
		p.send(frag(0, true, 4, req[:32]))
		p.send(frag(24, false, 4, req[24:]))
		p.send(frag(32, false, 4, req[32:]))
		silent(t, p, "overlapping fragments")
		if counter(n, netns.IP6ReasmFails)-fails != 1 || mib.DropCount(netns.DropDupFrag)-dups != 1 {
			t.Errorf("overlap: ReasmFails moved by %d, DUP_FRAG drops by %d; want 1 and 1",
				counter(n, netns.IP6ReasmFails)-fails, mib.DropCount(netns.DropDupFrag)-dups)
		}
		if n.ip.ReassemblyPending() != 1 { // the late third fragment opened a new queue
			t.Errorf("%d datagrams pending, want 1", n.ip.ReassemblyPending())
		}

		// A first fragment without the whole header chain (RFC 7112):
		// destination options, then nothing of the ICMPv6 header.
		dst := ext(wire.ProtoICMPv6, []byte{wire.IPv6OptPadN, 4, 0, 0, 0, 0})
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Frag, 64, cat(fragHdr(wire.ProtoIPv6DstOpts, 0, true, 5), dst)))
		paramProblem(t, p, wire.ICMPv6CodeIncompleteChain, 0)
		// A middle fragment whose length is not a multiple of 8.
		p.send(frag(0, true, 6, req[:20]))
		paramProblem(t, p, wire.ICMPv6CodeErroneousHeader, 4)
		// A fragment reaching past 65,535 bytes.
		p.send(frag(65528, false, 7, req[:16]))
		paramProblem(t, p, wire.ICMPv6CodeErroneousHeader, 42)
		// A second fragment header inside a reassembled datagram.
		inner := cat(fragHdr(wire.ProtoICMPv6, 0, false, 9), req)
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Frag, 64, cat(fragHdr(wire.ProtoIPv6Frag, 0, true, 8), inner[:40])))
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Frag, 64, cat(fragHdr(wire.ProtoIPv6Frag, 40, false, 8), inner[40:])))
		paramProblem(t, p, wire.ICMPv6CodeErroneousHeader, 40)

		// Time limit: with the first fragment in, ICMPv6 time exceeded
		// (reassembly) after ip6frag_time; without it, nothing.
		p.drain()
		timeouts := counter(n, netns.IP6ReasmTimeout)
		p.send(frag(0, true, 10, req[:32]))
		p.send(frag(32, false, 11, req[32:]))
		if n.ip.ReassemblyMemory() == 0 {
			t.Errorf("no reassembly memory held for incomplete datagrams")
		}
		time.Sleep(59 * time.Second)
		synctest.Wait()
		// Only the queue the late fragment of 4 opened, seconds earlier,
		// has expired so far.
		if got := counter(n, netns.IP6ReasmTimeout) - timeouts; got != 1 {
			t.Errorf("Ip6ReasmTimeout moved by %d before ip6frag_time, want 1", got)
		}
		time.Sleep(2 * time.Second)
		m, ok := p.expectICMP(wire.ICMPv6TimeExceeded)
		if !ok || m.Code() != wire.ICMPv6CodeReassemblyTimeout {
			t.Fatalf("no time exceeded (reassembly) after ip6frag_time")
		}
		if q := wire.IPv6(m.Payload()); q.NextHeader() != wire.ProtoIPv6Frag {
			t.Errorf("time exceeded does not quote the first fragment")
		}
		if _, ok := p.expectICMP(wire.ICMPv6TimeExceeded); ok {
			t.Errorf("time exceeded for a datagram whose first fragment never came")
		}
		// The three queues that timed out: 4's late fragment, 10 and 11.
		if got := counter(n, netns.IP6ReasmTimeout) - timeouts; got != 3 {
			t.Errorf("Ip6ReasmTimeout moved by %d, want 3", got)
		}
		if n.ip.ReassemblyMemory() != 0 || n.ip.ReassemblyPending() != 0 {
			t.Errorf("reassembly holds %d bytes in %d datagrams after the time limit", n.ip.ReassemblyMemory(), n.ip.ReassemblyPending())
		}
	})
}

// TestFragmentedEcho sends echo requests of 1,500 to 65,000 bytes across
// a 1280-byte-MTU wire: the source fragments them, the destination
// reassembles, answers with as large a reply, fragmented in turn. With
// 5% loss and reordering each either comes back intact or times out, and
// every byte of reassembly memory is returned.
func TestFragmentedEcho(t *testing.T) {
	sizes := []int{1500, 3000, 9000, 20000, 40000, 65000}
	bubble(t, func(t *testing.T) {
		a, b := newNode(t, "a", 1), newNode(t, "b", 2)
		ia, ib := connect(t, a, b, "eth0", "eth0", []string{"2001:db8::1/64"}, []string{"2001:db8::2/64"}, link.PipeConfig{MTU: 1280})
		settle(3 * time.Second)
		dst := addr("2001:db8::2")
		creates := counter(a, netns.IP6FragCreates)
		for i, size := range sizes {
			if _, ok := a.ping(dst, 0, uint16(i), size); !ok {
				t.Fatalf("no reply to a %d-byte echo", size)
			}
		}
		if counter(a, netns.IP6FragCreates) == creates || counter(b, netns.IP6ReasmOKs) < uint64(len(sizes)) {
			t.Errorf("FragCreates %d, ReasmOKs %d: the echoes were not fragmented", counter(a, netns.IP6FragCreates), counter(b, netns.IP6ReasmOKs))
		}

		seq := uint16(100)
		total, answered := 0, 0
		for _, seed := range []int64{1, 2, 3} {
			imp := link.Impairments{Loss: 0.05, Reorder: 0.05, ReorderDelay: time.Millisecond, Seed: seed}
			ia.Device().(*link.PipeEnd).SetImpairments(imp)
			imp.Seed += 100
			ib.Device().(*link.PipeEnd).SetImpairments(imp)
			for _, size := range sizes {
				seq++
				total++
				if _, ok := a.ping(dst, 0, seq, size); ok {
					answered++
				}
			}
		}
		t.Logf("with 5%% loss and reordering: %d of %d echoes answered", answered, total)
		if answered == 0 || answered == total {
			t.Errorf("%d of %d answered: the impairments did not bite as expected", answered, total)
		}
		settle(61 * time.Second)
		for _, n := range []*node{a, b} {
			if m, q := n.ip.ReassemblyMemory(), n.ip.ReassemblyPending(); m != 0 || q != 0 {
				t.Errorf("%s: reassembly holds %d bytes in %d datagrams after the time limit", n.ns.Name(), m, q)
			}
		}
		if counter(b, netns.IP6ReasmFails) == 0 {
			t.Errorf("b counted no reassembly failures despite loss")
		}
	})
}

// TestReassemblyFlood floods a namespace with first fragments that never
// complete: memory stays under ip6frag_high_thresh, the excess is
// dropped, and all of it is freed after ip6frag_time.
func TestReassemblyFlood(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		const high = 256 << 10
		for _, kv := range [][2]string{{"net.ipv6.ip6frag_low_thresh", fmt.Sprint(high / 2)}, {"net.ipv6.ip6frag_high_thresh", fmt.Sprint(high)}} {
			if err := n.ns.Sysctl.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		data := make([]byte, 1400)
		peak := int64(0)
		for id := range uint32(2000) {
			p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Frag, 64, cat(fragHdr(wire.ProtoUDP, 0, true, id), data)))
			if id%50 == 49 {
				synctest.Wait()
				peak = max(peak, n.ip.ReassemblyMemory())
			}
		}
		synctest.Wait()
		peak = max(peak, n.ip.ReassemblyMemory())
		if peak > high || peak < high/2 {
			t.Errorf("reassembly memory peaked at %d bytes, want at most ip6frag_high_thresh %d and near it", peak, high)
		}
		if d := n.ns.MIB.DropCount(netns.DropNoMem); d == 0 {
			t.Errorf("no fragment was dropped for memory")
		}
		t.Logf("peak %d bytes in %d datagrams; %d fragments dropped for memory", peak, n.ip.ReassemblyPending(), n.ns.MIB.DropCount(netns.DropNoMem))
		settle(61 * time.Second)
		if m := n.ip.ReassemblyMemory(); m != 0 {
			t.Errorf("reassembly holds %d bytes after the time limit", m)
		}
	})
}
