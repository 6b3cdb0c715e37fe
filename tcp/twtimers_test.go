package tcp

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/netns"
)

// TestTimeWaitTimers drives the records' one timer with a manual clock:
// 300 records with expiries of 1 to 60 seconds, a third of them
// rescheduled and some killed early, in a seeded random order. Every
// record must end exactly when its last expiry comes (checked each
// 100 ms), none early, none twice, and once the last is gone no timer is
// left armed.
func TestTimeWaitTimers(t *testing.T) {
	mc := clock.NewManual(time.Unix(1000, 0))
	ns := netns.New(netns.Options{Seed: 1, Clock: mc})
	ipv4.Register(ns)
	inet.Register(ns)
	p := Register(ns)
	defer ns.Close()
	r := rand.New(rand.NewPCG(7, 8))
	const n = 300
	tws := make([]*twSock, n)
	want := make([]time.Time, n) // when each must end; zero: killed
	for i := range tws {
		tw := &twSock{p: p}
		tws[i] = tw
		d := time.Duration(1+r.IntN(600)) * 100 * time.Millisecond
		p.mu.Lock()
		tw.local = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(i+1))
		p.tws.insert(tw)
		p.mu.Unlock()
		tw.mu.Lock()
		p.twt.schedule(tw, mc.Now(), d)
		tw.mu.Unlock()
		want[i] = mc.Now().Add(d)
		if i%10 == 9 {
			mc.Advance(100 * time.Millisecond)
		}
	}
	for step := 0; step < 1000; step++ {
		now := mc.Now()
		for i, tw := range tws {
			tw.mu.Lock()
			dead := tw.dead
			tw.mu.Unlock()
			switch {
			case want[i].IsZero():
			case dead && now.Before(want[i]):
				t.Fatalf("record %d ended at %v, before its expiry %v", i, now, want[i])
			case !dead && !now.Before(want[i]):
				t.Fatalf("record %d alive at %v, after its expiry %v", i, now, want[i])
			}
			if dead || step >= 300 { // the last 70 s only watch them end
				continue
			}
			switch x := r.IntN(400); {
			case x < 2: // a retransmitted FIN restarts it
				tw.mu.Lock()
				tw.reschedule()
				tw.mu.Unlock()
				want[i] = now.Add(timeWaitLen)
			case x < 3: // an RST ends it
				tw.mu.Lock()
				tw.kill()
				tw.mu.Unlock()
				want[i] = time.Time{}
			}
		}
		mc.Advance(100 * time.Millisecond)
	}
	p.twt.mu.Lock()
	left, armed := len(p.twt.h), p.twt.armedAt
	p.twt.mu.Unlock()
	if left != 0 || armed != 0 || p.tws.n != 0 {
		t.Errorf("after every expiry: %d in the heap, armed for %d, %d in the table", left, armed, p.tws.n)
	}
	if at, pending := mc.Next(); pending {
		t.Errorf("a timer is still pending on the clock, for %v", at)
	}
}

// TestTimeWaitICMPIgnored: an ICMP error quoting a 4-tuple in TIME-WAIT
// is dropped without a count (tcp_v4_err returns early for a timewait
// sock) and leaves the record as it was; the same error for a 4-tuple
// with no socket counts IcmpInErrors.
func TestTimeWaitICMPIgnored(t *testing.T) {
	mc := clock.NewManual(time.Unix(1000, 0))
	ns := netns.New(netns.Options{Seed: 1, Clock: mc})
	ipv4.Register(ns)
	inet.Register(ns)
	p := Register(ns)
	defer ns.Close()
	local := netip.MustParseAddrPort("10.0.0.1:80")
	remote := netip.MustParseAddrPort("10.0.0.2:40000")
	tw := &twSock{p: p, local: local, remote: remote, sndNxt: 1000, rcvNxt: 2000}
	p.mu.Lock()
	p.tws.insert(tw)
	p.mu.Unlock()
	tw.mu.Lock()
	p.twt.schedule(tw, mc.Now(), timeWaitLen)
	tw.mu.Unlock()
	icmpErr := func(sport uint16) {
		q := make([]byte, 8)
		binary.BigEndian.PutUint16(q[0:], sport)
		binary.BigEndian.PutUint16(q[2:], remote.Port())
		binary.BigEndian.PutUint32(q[4:], 1000)
		handler{p, 4}.ControlInput(&netns.ControlError{
			Version: 4, Type: 3, Code: 1, Errno: 113, Fatal: true,
			Src: local.Addr(), Dst: remote.Addr(), Quoted: q,
		})
	}
	before := ns.MIB.Get(netns.ICMPInErrors)
	icmpErr(local.Port())
	if got := ns.MIB.Get(netns.ICMPInErrors); got != before {
		t.Errorf("IcmpInErrors %d -> %d for an error quoting TIME-WAIT", before, got)
	}
	tw.mu.Lock()
	dead := tw.dead
	tw.mu.Unlock()
	if dead || p.tws.n != 1 {
		t.Errorf("the ICMP error ended the TIME-WAIT record")
	}
	icmpErr(81)
	if got := ns.MIB.Get(netns.ICMPInErrors); got != before+1 {
		t.Errorf("IcmpInErrors %d -> %d for an error quoting no socket, want one more", before, got)
	}
	mc.Advance(timeWaitLen)
	if p.tws.n != 0 {
		t.Errorf("%d records after 2MSL", p.tws.n)
	}
}
