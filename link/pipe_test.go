package link_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// ---- helpers shared by the link tests ----

// ethFrame returns a pooled Ethernet frame of size bytes carrying id
// after the header and a pattern derived from id after that.
func ethFrame(id uint32, size int) *pktbuf.Buffer {
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, size)
	fillFrame(pkt.Bytes(), id)
	return pkt
}

func fillFrame(b []byte, id uint32) {
	clear(b[:wire.EthernetHeaderLen])
	binary.BigEndian.PutUint16(b[12:], uint16(wire.EtherTypeIPv4))
	if len(b) >= wire.EthernetHeaderLen+4 {
		binary.BigEndian.PutUint32(b[wire.EthernetHeaderLen:], id)
	}
	for i := wire.EthernetHeaderLen + 4; i < len(b); i++ {
		b[i] = byte(id*31 + uint32(i))
	}
}

func expectedFrame(id uint32, size int) []byte {
	b := make([]byte, size)
	fillFrame(b, id)
	return b
}

func frameID(b []byte) uint32 { return binary.BigEndian.Uint32(b[wire.EthernetHeaderLen:]) }

// arrival is one frame as a sink saw it.
type arrival struct {
	id   uint32
	at   time.Duration // since the sink's base time
	sum  uint64        // FNV-1a of the frame
	data []byte        // a copy, when the sink keeps data
	goid uint64        // the delivering goroutine, when asked
	dev  string
}

// sink is a Receiver that records what arrives and releases the frames.
type sink struct {
	clk    clock.Clock
	base   time.Time
	keep   bool // copy frame data
	goids  bool // record goroutine ids
	notify chan struct{}

	mu  sync.Mutex
	got []arrival
}

func newSink(clk clock.Clock) *sink {
	if clk == nil {
		clk = clock.Real{}
	}
	return &sink{clk: clk, base: clk.Now()}
}

func (s *sink) Receive(dev link.Device, pkt *pktbuf.Buffer) {
	b := pkt.Bytes()
	a := arrival{at: s.clk.Now().Sub(s.base), dev: dev.Name()}
	if len(b) >= wire.EthernetHeaderLen+4 {
		a.id = frameID(b)
	}
	h := fnv.New64a()
	h.Write(b)
	a.sum = h.Sum64()
	if s.keep {
		a.data = bytes.Clone(b)
	}
	if s.goids {
		a.goid = goid()
	}
	pkt.Release()
	s.mu.Lock()
	s.got = append(s.got, a)
	s.mu.Unlock()
	if s.notify != nil {
		s.notify <- struct{}{}
	}
}

func (s *sink) arrivals() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.got...)
}

func (s *sink) ids() []uint32 {
	var ids []uint32
	for _, a := range s.arrivals() {
		ids = append(ids, a.id)
	}
	return ids
}

// goid returns the current goroutine's id, parsed from its stack header.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

// checkOutstanding fails if the pktbuf buffers live differ from base.
func checkOutstanding(t *testing.T, base int64) {
	t.Helper()
	if n := pktbuf.Outstanding(); n != base {
		t.Errorf("pktbuf.Outstanding() = %d, want %d (leak or double release)", n, base)
	}
}

func mustTransmit(t *testing.T, d link.Device, pkt *pktbuf.Buffer) {
	t.Helper()
	if err := d.Transmit(pkt); err != nil {
		t.Fatalf("%s: Transmit: %v", d.Name(), err)
	}
}

// waitN waits for n notifications, failing after a generous real-time
// bound (a hang guard, not a timing assumption).
func waitN(t *testing.T, ch <-chan struct{}, n int) {
	t.Helper()
	guard := time.NewTimer(10 * time.Second)
	defer guard.Stop()
	for i := 0; i < n; i++ {
		select {
		case <-ch:
		case <-guard.C:
			t.Fatalf("only %d of %d frames arrived", i, n)
		}
	}
}

// ---- pipe tests ----

func TestPipeProperties(t *testing.T) {
	a, b := link.NewPipe(link.PipeConfig{})
	defer a.Close()
	if a.Name() != "veth0" || b.Name() != "veth1" {
		t.Errorf("names %q %q", a.Name(), b.Name())
	}
	if a.Type() != link.TypeEthernet || a.MTU() != 1500 || b.MTU() != 1500 {
		t.Errorf("type %v mtu %d", a.Type(), a.MTU())
	}
	ma, mb := a.HardwareAddr(), b.HardwareAddr()
	if ma == mb || ma[0] != 0x02 || mb[0] != 0x02 {
		t.Errorf("generated MACs %v %v: want distinct locally administered unicast", ma, mb)
	}
	a2, b2 := link.NewPipe(link.PipeConfig{})
	if a2.HardwareAddr() != ma || b2.HardwareAddr() != mb {
		t.Errorf("generated MACs not deterministic: %v %v then %v %v", ma, mb, a2.HardwareAddr(), b2.HardwareAddr())
	}
	a2.Close()
	want := link.FlagBroadcast | link.FlagMulticast | link.FlagRunning | link.FlagLowerUp
	if a.Flags() != want || b.Flags() != want {
		t.Errorf("flags %v, want %v", a.Flags(), want)
	}
	if a.Peer() != b || b.Peer() != a {
		t.Error("Peer")
	}

	mac := wire.MAC{0x02, 1, 2, 3, 4, 5}
	r1, r2 := link.NewPipe(link.PipeConfig{Names: [2]string{"tun0", "tun1"}, Type: link.TypeRawIP, MTU: 9000,
		MACs: [2]wire.MAC{mac}, Capabilities: link.Capabilities{ChecksumOffload: true}})
	defer r1.Close()
	if r1.Name() != "tun0" || r2.Name() != "tun1" || r1.MTU() != 9000 || r1.Type() != link.TypeRawIP {
		t.Errorf("raw pipe %q %q %d %v", r1.Name(), r2.Name(), r1.MTU(), r1.Type())
	}
	if r1.HardwareAddr() != (wire.MAC{}) {
		t.Errorf("raw IP end has MAC %v", r1.HardwareAddr())
	}
	if f := r1.Flags(); f != link.FlagPointToPoint|link.FlagNoARP|link.FlagMulticast|link.FlagRunning|link.FlagLowerUp {
		t.Errorf("raw flags %v", f)
	}
	if !r2.Capabilities().ChecksumOffload {
		t.Error("capabilities not reported")
	}
	e1, _ := link.NewPipe(link.PipeConfig{MACs: [2]wire.MAC{mac}})
	defer e1.Close()
	if e1.HardwareAddr() != mac {
		t.Errorf("configured MAC %v, want %v", e1.HardwareAddr(), mac)
	}
}

func TestPipeBothWaysNotOnCallerGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{})
		sa, sb := newSink(nil), newSink(nil)
		sa.goids, sb.goids = true, true
		a.Attach(sa)
		b.Attach(sb)
		me := goid()
		for i := range uint32(100) {
			mustTransmit(t, a, ethFrame(i, 100))
			mustTransmit(t, b, ethFrame(1000+i, 60))
		}
		synctest.Wait()
		for _, c := range []struct {
			s     *sink
			first uint32
			dev   string
		}{{sb, 0, "veth1"}, {sa, 1000, "veth0"}} {
			got := c.s.arrivals()
			if len(got) != 100 {
				t.Fatalf("%s got %d frames", c.dev, len(got))
			}
			for i, a := range got {
				if a.id != c.first+uint32(i) || a.dev != c.dev || a.goid == me {
					t.Fatalf("%s arrival %d: id %d dev %s on goroutine %d (caller %d)", c.dev, i, a.id, a.dev, a.goid, me)
				}
			}
		}
		sta, stb := a.Stats().Snapshot(), b.Stats().Snapshot()
		if sta.TxPackets != 100 || sta.TxBytes != 10000 || stb.RxPackets != 100 || stb.RxBytes != 10000 ||
			stb.TxPackets != 100 || sta.RxPackets != 100 || sta.RxBytes != 6000 {
			t.Errorf("stats a %+v b %+v", sta, stb)
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestPipeNoReceiverCountsRxDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{})
		defer a.Close()
		for i := range uint32(5) {
			mustTransmit(t, a, ethFrame(i, 64))
		}
		synctest.Wait()
		if st := b.Stats().Snapshot(); st.RxDropped != 5 || st.RxPackets != 0 {
			t.Errorf("stats %+v", st)
		}
		s := newSink(nil)
		b.Attach(s)
		mustTransmit(t, a, ethFrame(9, 64))
		synctest.Wait()
		b.Attach(nil)
		mustTransmit(t, a, ethFrame(10, 64))
		synctest.Wait()
		if ids := s.ids(); len(ids) != 1 || ids[0] != 9 {
			t.Errorf("got %v", ids)
		}
		if st := b.Stats().Snapshot(); st.RxDropped != 6 {
			t.Errorf("RxDropped %d", st.RxDropped)
		}
		checkOutstanding(t, base)
	})
}

func TestPipeLatencyExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Latency: 100 * time.Millisecond},
			BtoA: link.Impairments{Latency: 7 * time.Millisecond}})
		defer a.Close()
		sb, sa := newSink(nil), newSink(nil)
		b.Attach(sb)
		a.Attach(sa)
		mustTransmit(t, a, ethFrame(1, 100))
		time.Sleep(30 * time.Millisecond)
		mustTransmit(t, a, ethFrame(2, 100))
		mustTransmit(t, b, ethFrame(3, 100))
		time.Sleep(99*time.Millisecond + 999*time.Microsecond)
		// 129.999 ms: frame 1 (due at 100 ms) and 3 (due at 37 ms) are in,
		// frame 2 (due 130 ms) is not.
		if ids := sb.ids(); len(ids) != 1 {
			t.Fatalf("at 129.999ms b has %v", ids)
		}
		time.Sleep(time.Second)
		got := sb.arrivals()
		if len(got) != 2 || got[0].at != 100*time.Millisecond || got[1].at != 130*time.Millisecond {
			t.Errorf("a->b arrivals %+v, want 100ms and 130ms", got)
		}
		if ga := sa.arrivals(); len(ga) != 1 || ga[0].at != 37*time.Millisecond {
			t.Errorf("b->a arrivals %+v, want 37ms", ga)
		}
	})
}

func TestPipeBandwidth(t *testing.T) {
	for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run("latency="+lat.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Bandwidth: 10_000_000, Latency: lat}})
				defer a.Close()
				s := newSink(nil)
				b.Attach(s)
				for i := range uint32(100) {
					mustTransmit(t, a, ethFrame(i, 1250))
				}
				time.Sleep(time.Second)
				got := s.arrivals()
				if len(got) != 100 {
					t.Fatalf("%d frames arrived", len(got))
				}
				for i, g := range got {
					want := lat + time.Duration(i+1)*time.Millisecond
					if g.id != uint32(i) || g.at != want {
						t.Fatalf("frame %d (id %d) arrived at %v, want %v", i, g.id, g.at, want)
					}
				}
				if last := got[99].at; last-lat != 100*time.Millisecond {
					t.Errorf("transfer took %v of fake time, want 100ms", last-lat)
				}
			})
		})
	}
}

func TestPipeQueueLimitTailDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Bandwidth: 10_000_000, QueueLimit: 10}})
		s := newSink(nil)
		b.Attach(s)
		var accepted, dropped int
		for i := range uint32(20) {
			switch err := a.Transmit(ethFrame(i, 1250)); {
			case err == nil:
				accepted++
			case errors.Is(err, errno.ENOBUFS):
				dropped++
			default:
				t.Fatalf("frame %d: %v", i, err)
			}
		}
		// One frame on the wire, ten waiting for it, nine dropped.
		if accepted != 11 || dropped != 9 {
			t.Errorf("accepted %d dropped %d, want 11 and 9", accepted, dropped)
		}
		if st := a.ImpairStats(); st.QueueDrops != 9 || st.Sent != 20 {
			t.Errorf("impair stats %+v", st)
		}
		if st := a.Stats().Snapshot(); st.TxDropped != 9 || st.TxPackets != 11 {
			t.Errorf("stats %+v", st)
		}
		// After 1 ms the first frame has arrived and the second is on the
		// wire: there is room for one more.
		time.Sleep(time.Millisecond)
		synctest.Wait()
		mustTransmit(t, a, ethFrame(100, 1250))
		if err := a.Transmit(ethFrame(101, 1250)); !errors.Is(err, errno.ENOBUFS) {
			t.Errorf("second frame after 1ms: %v, want ENOBUFS", err)
		}
		time.Sleep(time.Second)
		got := s.arrivals()
		if len(got) != 12 || got[11].id != 100 || got[11].at != 12*time.Millisecond {
			t.Errorf("arrivals: %d, last %+v", len(got), got[len(got)-1])
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestPipeBacklogLimitWithoutBandwidth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{QueueLimit: 3}})
		defer a.Close()
		// A receiver that blocks holds the frames that have arrived in
		// the backlog.
		entered, release := make(chan struct{}, 10), make(chan struct{})
		b.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
			entered <- struct{}{}
			<-release
			pkt.Release()
		}))
		mustTransmit(t, a, ethFrame(0, 64))
		<-entered // taken off the wire by the goroutine, stuck in Receive
		for i := range uint32(3) {
			mustTransmit(t, a, ethFrame(1+i, 64))
		}
		if err := a.Transmit(ethFrame(9, 64)); !errors.Is(err, errno.ENOBUFS) {
			t.Errorf("4th waiting frame: %v, want ENOBUFS", err)
		}
		close(release)
		synctest.Wait()
		if st := b.Stats().Snapshot(); st.RxPackets != 4 {
			t.Errorf("delivered %d, want 4", st.RxPackets)
		}
	})
}

func TestPipeCarrier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Latency: 10 * time.Millisecond},
			BtoA: link.Impairments{Latency: 10 * time.Millisecond}})
		defer a.Close()
		sa, sb := newSink(nil), newSink(nil)
		a.Attach(sa)
		b.Attach(sb)
		for i := range uint32(5) {
			mustTransmit(t, a, ethFrame(i, 100))
		}
		mustTransmit(t, b, ethFrame(50, 100))
		time.Sleep(5 * time.Millisecond)
		b.SetCarrier(false)
		if a.Carrier() || b.Carrier() {
			t.Error("Carrier() true after SetCarrier(false)")
		}
		for _, e := range []*link.PipeEnd{a, b} {
			if f := e.Flags(); f&(link.FlagRunning|link.FlagLowerUp) != 0 {
				t.Errorf("%s flags %v with carrier down", e.Name(), f)
			}
			if err := e.Transmit(ethFrame(99, 100)); !errors.Is(err, errno.ENETDOWN) {
				t.Errorf("%s Transmit with carrier down: %v", e.Name(), err)
			}
		}
		checkOutstanding(t, base) // the frames on the wire were dropped
		if st := a.ImpairStats(); st.CarrierDrops != 6 {
			t.Errorf("a->b CarrierDrops %d, want 5 flushed + 1 refused", st.CarrierDrops)
		}
		if st := b.ImpairStats(); st.CarrierDrops != 2 {
			t.Errorf("b->a CarrierDrops %d, want 2", st.CarrierDrops)
		}
		time.Sleep(time.Second)
		if len(sa.arrivals())+len(sb.arrivals()) != 0 {
			t.Error("frames arrived across an unplugged cable")
		}
		a.SetCarrier(true)
		if f := a.Flags(); f&link.FlagLowerUp == 0 {
			t.Errorf("flags %v after carrier up", f)
		}
		start := time.Now()
		mustTransmit(t, a, ethFrame(7, 100))
		time.Sleep(time.Second)
		if got := sb.arrivals(); len(got) != 1 || got[0].id != 7 || got[0].at != start.Add(10*time.Millisecond).Sub(sb.base) {
			t.Errorf("after carrier up: %+v", got)
		}
	})
}

func TestPipeFrameSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{})
		defer a.Close()
		b.Attach(newSink(nil))
		mustTransmit(t, a, ethFrame(0, 1514))
		mustTransmit(t, a, ethFrame(0, 1518)) // room for one 802.1Q tag, as veth
		if err := a.Transmit(ethFrame(0, 1519)); !errors.Is(err, errno.EMSGSIZE) {
			t.Errorf("1519-byte frame on MTU 1500: %v", err)
		}
		if err := a.Transmit(pktbuf.New(0, 13)); !errors.Is(err, errno.EINVAL) {
			t.Errorf("13-byte frame: %v", err)
		}
		if st := a.Stats().Snapshot(); st.TxErrors != 2 || st.TxPackets != 2 {
			t.Errorf("stats %+v", st)
		}

		r1, r2 := link.NewPipe(link.PipeConfig{Type: link.TypeRawIP, MTU: 1280})
		defer r1.Close()
		r2.Attach(newSink(nil))
		mustTransmit(t, r1, pktbuf.New(0, 1280))
		if err := r1.Transmit(pktbuf.New(0, 1281)); !errors.Is(err, errno.EMSGSIZE) {
			t.Errorf("1281-byte packet on raw MTU 1280: %v", err)
		}
		if err := r1.Transmit(pktbuf.New(0, 0)); !errors.Is(err, errno.EINVAL) {
			t.Errorf("empty packet: %v", err)
		}

		g1, g2 := link.NewPipe(link.PipeConfig{Capabilities: link.Capabilities{GSOMaxSize: 65536}})
		defer g1.Close()
		gs := newSink(nil)
		g2.Attach(gs)
		big := ethFrame(1, 30000)
		if err := g1.Transmit(big); !errors.Is(err, errno.EMSGSIZE) {
			t.Errorf("30000-byte frame without GSO metadata: %v", err)
		}
		big = ethFrame(2, 30000)
		big.GSOType, big.GSOSize = pktbuf.GSOTCPv4, 1448
		mustTransmit(t, g1, big)
		synctest.Wait()
		if got := gs.arrivals(); len(got) != 1 || got[0].id != 2 {
			t.Errorf("GSO frame: %+v", got)
		}
		a.Close()
		r1.Close()
		g1.Close()
		checkOutstanding(t, base)
	})
}

func TestPipeCloseReleasesAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{
			AtoB: link.Impairments{Latency: time.Second, Bandwidth: 1_000_000, Reorder: 0.5},
			BtoA: link.Impairments{Latency: time.Second},
		})
		s := newSink(nil)
		b.Attach(s)
		for i := range uint32(50) {
			mustTransmit(t, a, ethFrame(i, 500))
			mustTransmit(t, b, ethFrame(i, 500))
		}
		time.Sleep(10 * time.Millisecond)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		checkOutstanding(t, base)
		for _, e := range []*link.PipeEnd{a, b} {
			if err := e.Transmit(ethFrame(0, 100)); !errors.Is(err, errno.ENETDOWN) {
				t.Errorf("%s Transmit after Close: %v", e.Name(), err)
			}
			if e.Flags()&link.FlagRunning != 0 {
				t.Errorf("%s still RUNNING", e.Name())
			}
			if err := e.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		}
		time.Sleep(10 * time.Second)
		if n := len(s.arrivals()); n != 0 {
			t.Errorf("%d frames delivered after Close", n)
		}
		checkOutstanding(t, base)
		// The bubble ends only if the delivery goroutines have returned.
	})
}

func TestPipeManualClock(t *testing.T) {
	base := pktbuf.Outstanding()
	start := time.Unix(1_000_000, 0)
	clk := clock.NewManual(start)
	a, b := link.NewPipe(link.PipeConfig{Clock: clk,
		AtoB: link.Impairments{Latency: 10 * time.Millisecond, Bandwidth: 8_000_000}}) // 1000 bytes = 1 ms
	defer a.Close()
	s := newSink(clk)
	s.notify = make(chan struct{}, 100)
	b.Attach(s)
	for i := range uint32(5) {
		mustTransmit(t, a, ethFrame(i, 1000))
	}
	// Frame i is due at (i+1) ms of wire time plus 10 ms. Step the clock
	// to each due time and wait for that one delivery.
	clk.Advance(5 * time.Millisecond)
	for i := range 5 {
		clk.AdvanceTo(start.Add(time.Duration(11+i) * time.Millisecond))
		waitN(t, s.notify, 1)
	}
	got := s.arrivals()
	for i, g := range got {
		if want := time.Duration(11+i) * time.Millisecond; g.id != uint32(i) || g.at != want {
			t.Errorf("frame %d: id %d at %v, want %v", i, g.id, g.at, want)
		}
	}

	// Advance in small steps without waiting, racing the delivery
	// goroutine's re-arming of its timer: every frame must still arrive
	// (a timer re-armed late would miss the last step), none before its
	// time.
	t0 := clk.Now()
	for i := range uint32(50) {
		mustTransmit(t, a, ethFrame(100+i, 1000))
	}
	for range 600 { // to exactly the last frame's arrival time
		clk.Advance(100 * time.Microsecond)
		runtime.Gosched()
	}
	waitN(t, s.notify, 50)
	got = s.arrivals()[5:]
	for i, g := range got {
		due := t0.Sub(start) + time.Duration(11+i)*time.Millisecond
		if g.id != 100+uint32(i) || g.at < due {
			t.Errorf("frame %d: id %d at %v, due %v", i, g.id, g.at, due)
		}
	}
	a.Close()
	checkOutstanding(t, base)
}

func TestPipeSteadyStateAllocs(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector empties sync.Pools")
	}
	for _, tc := range []struct {
		name string
		imp  link.Impairments
		runs int
	}{
		{"perfect", link.Impairments{}, 2000},
		// A real-time latency exercises the timer path; corruption of
		// unshared frames is in place.
		{"latency+bandwidth+corrupt", link.Impairments{Latency: 20 * time.Microsecond, Bandwidth: 10_000_000_000, Corrupt: 0.5, Jitter: time.Microsecond}, 300},
		// Duplicates are clones from the pool.
		{"duplicate", link.Impairments{Duplicate: 1}, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := link.NewPipe(link.PipeConfig{AtoB: tc.imp})
			defer a.Close()
			per := 1
			if tc.imp.Duplicate == 1 {
				per = 2
			}
			done := make(chan struct{}, 2)
			b.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
				pkt.Release()
				done <- struct{}{}
			}))
			send := func() {
				if err := a.Transmit(pktbuf.New(pktbuf.DefaultHeadroom, 1500)); err != nil {
					panic(err)
				}
				for range per {
					<-done
				}
			}
			for range tc.runs {
				send()
			}
			if n := testing.AllocsPerRun(tc.runs, send); n != 0 {
				t.Errorf("%v allocations per frame, want 0", n)
			}
		})
	}
}

// transfer pushes n frames of size bytes through tx, retrying on a full
// queue, and waits until want(n) frames have been received.
func transfer(b *testing.B, tx link.Device, recvd *atomic.Int64, want func() int64) {
	for i := 0; i < b.N; {
		if err := tx.Transmit(pktbuf.New(pktbuf.DefaultHeadroom, 1500)); err != nil {
			if !errors.Is(err, errno.ENOBUFS) {
				b.Fatal(err)
			}
			runtime.Gosched()
			continue
		}
		i++
	}
	for recvd.Load() < want() {
		runtime.Gosched()
	}
	b.ReportMetric(float64(recvd.Load())/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkPipeTransfer(b *testing.B) {
	a, p := link.NewPipe(link.PipeConfig{})
	defer a.Close()
	var recvd atomic.Int64
	p.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) { pkt.Release(); recvd.Add(1) }))
	b.SetBytes(1500)
	b.ReportAllocs()
	b.ResetTimer()
	transfer(b, a, &recvd, func() int64 { return int64(b.N) })
}

func BenchmarkPipeTransferImpaired(b *testing.B) {
	a, p := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Loss: 0.01, Duplicate: 0.01, Corrupt: 0.01, Seed: 1}})
	defer a.Close()
	var recvd atomic.Int64
	p.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) { pkt.Release(); recvd.Add(1) }))
	b.SetBytes(1500)
	b.ReportAllocs()
	b.ResetTimer()
	transfer(b, a, &recvd, func() int64 {
		st := a.ImpairStats()
		return int64(st.Sent - st.Lost - st.QueueDrops + st.Duplicated)
	})
}

// ExampleNewPipe connects two ends with a 5 ms wire on a manual clock.
func ExampleNewPipe() {
	clk := clock.NewManual(time.Unix(0, 0))
	a, b := link.NewPipe(link.PipeConfig{
		Names: [2]string{"left", "right"},
		Clock: clk,
		AtoB:  link.Impairments{Latency: 5 * time.Millisecond},
	})
	defer a.Close()

	arrived := make(chan string, 1)
	b.Attach(link.ReceiverFunc(func(dev link.Device, pkt *pktbuf.Buffer) {
		eth, _ := wire.ParseEthernet(pkt.Bytes())
		arrived <- fmt.Sprintf("%s received %d bytes from %v at +%v",
			dev.Name(), pkt.Len(), eth.Src(), clk.Now().Sub(time.Unix(0, 0)))
		pkt.Release()
	}))

	pkt := pktbuf.New(pktbuf.DefaultHeadroom, 64)
	hdr := wire.EthernetFields{Dst: b.HardwareAddr(), Src: a.HardwareAddr(), Type: wire.EtherTypeIPv4}
	hdr.Encode(pkt.Bytes())
	if err := a.Transmit(pkt); err != nil {
		fmt.Println(err)
	}
	clk.Advance(5 * time.Millisecond) // the frame's timer fires; its goroutine delivers
	fmt.Println(<-arrived)
	fmt.Println(a.Stats().Snapshot().TxPackets, b.Stats().Snapshot().RxPackets)
	// Output:
	// right received 64 bytes from 02:0a:4c:fc:bf:10 at +5ms
	// 1 1
}
