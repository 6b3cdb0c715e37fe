package link_test

import (
	"bytes"
	"math/bits"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

const statFrames = 10000

// sendAll sends n frames of size bytes from a, spaced by gap of fake time
// (none if zero), then lets everything on the wire arrive.
func sendAll(t *testing.T, a *link.PipeEnd, n int, size int, gap time.Duration) {
	t.Helper()
	for i := range uint32(n) {
		mustTransmit(t, a, ethFrame(i, size))
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	time.Sleep(time.Minute)
	synctest.Wait()
}

func TestImpairLossRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Loss: 0.1, Seed: 42, QueueLimit: -1}})
		s := newSink(nil)
		b.Attach(s)
		sendAll(t, a, statFrames, 64, 0)
		st := a.ImpairStats()
		got := s.ids()
		t.Logf("10%% loss over %d frames: %d lost", statFrames, st.Lost)
		if st.Lost < 900 || st.Lost > 1100 {
			t.Errorf("lost %d of %d at 10%%, want 900..1100", st.Lost, statFrames)
		}
		if len(got) != statFrames-int(st.Lost) || st.Delivered != uint64(len(got)) || st.Sent != statFrames {
			t.Errorf("delivered %d, stats %+v", len(got), st)
		}
		if !slices.IsSorted(got) {
			t.Error("loss reordered frames")
		}
		if tx := a.Stats().Snapshot(); tx.TxPackets != statFrames || tx.TxDropped != 0 {
			t.Errorf("a stats %+v: a lost frame is still a transmitted one", tx)
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestImpairLossExtremes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Loss: 1}})
		defer a.Close()
		s := newSink(nil)
		b.Attach(s)
		sendAll(t, a, 100, 64, 0)
		if n := len(s.ids()); n != 0 {
			t.Errorf("loss 1: %d frames arrived", n)
		}
		a.SetImpairments(link.Impairments{})
		sendAll(t, a, 100, 64, 0)
		if n := len(s.ids()); n != 100 {
			t.Errorf("after SetImpairments(zero): %d of 100 frames arrived", n)
		}
		if got := a.Impairments(); got != (link.Impairments{}) {
			t.Errorf("Impairments() = %+v", got)
		}
	})
}

func TestImpairDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Duplicate: 0.05, Seed: 7, QueueLimit: -1}})
		s := newSink(nil)
		b.Attach(s)
		sendAll(t, a, statFrames, 100, 0)
		st := a.ImpairStats()
		got := s.arrivals()
		t.Logf("5%% duplication over %d frames: %d duplicates", statFrames, st.Duplicated)
		if st.Duplicated < 400 || st.Duplicated > 600 {
			t.Errorf("duplicated %d, want 400..600", st.Duplicated)
		}
		if len(got) != statFrames+int(st.Duplicated) {
			t.Fatalf("%d arrivals, want %d", len(got), statFrames+int(st.Duplicated))
		}
		// Each copy arrives right behind its original, byte for byte.
		dups, next := 0, uint32(0)
		for i := 0; i < len(got); i++ {
			if got[i].id != next {
				t.Fatalf("arrival %d is frame %d, want %d", i, got[i].id, next)
			}
			if i+1 < len(got) && got[i+1].id == next {
				if got[i+1].sum != got[i].sum {
					t.Fatalf("duplicate of frame %d differs", next)
				}
				dups++
				i++
			}
			next++
		}
		if dups != int(st.Duplicated) {
			t.Errorf("saw %d duplicates, stats say %d", dups, st.Duplicated)
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestImpairDuplicateOwnBuffers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Duplicate: 1}})
		var held []*pktbuf.Buffer
		b.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
			if pkt.Shared() {
				t.Error("delivered copy is shared")
			}
			pkt.Bytes()[20] ^= 0xff // receivers may write their frames
			held = append(held, pkt)
		}))
		mustTransmit(t, a, ethFrame(1, 200))
		synctest.Wait()
		if len(held) != 2 || held[0] == held[1] {
			t.Fatalf("got %d frames (%p)", len(held), held)
		}
		if !bytes.Equal(held[0].Bytes(), held[1].Bytes()) {
			t.Error("the two copies differ after each was written once")
		}
		for _, p := range held {
			p.Release()
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestImpairCorruptOneBit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		const size = 200
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Corrupt: 0.05, Seed: 3, QueueLimit: -1}})
		s := newSink(nil)
		s.keep = true
		b.Attach(s)
		sendAll(t, a, statFrames, size, 0)
		got := s.arrivals()
		if len(got) != statFrames {
			t.Fatalf("%d arrivals", len(got))
		}
		corrupted := 0
		for i, g := range got {
			want := expectedFrame(uint32(i), size)
			flipped := 0
			for j := range want {
				flipped += bits.OnesCount8(want[j] ^ g.data[j])
			}
			switch flipped {
			case 0:
			case 1:
				corrupted++
			default:
				t.Fatalf("frame %d has %d flipped bits", i, flipped)
			}
		}
		st := a.ImpairStats()
		t.Logf("5%% corruption over %d frames: %d corrupted", statFrames, corrupted)
		if corrupted != int(st.Corrupted) || corrupted < 400 || corrupted > 600 {
			t.Errorf("corrupted %d (stats %d), want 400..600", corrupted, st.Corrupted)
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestImpairCorruptCopiesSharedBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Corrupt: 1}})
		s := newSink(nil)
		s.keep = true
		b.Attach(s)
		pkt := ethFrame(5, 300)
		pkt.ChecksumPartial = true
		keep := pkt.Ref() // e.g. a retransmission queue
		mustTransmit(t, a, pkt)
		synctest.Wait()
		want := expectedFrame(5, 300)
		if !bytes.Equal(keep.Bytes(), want) {
			t.Error("corruption reached the sender's shared copy")
		}
		if !keep.ChecksumPartial {
			t.Error("the sender's copy lost its metadata")
		}
		got := s.arrivals()
		if len(got) != 1 || bytes.Equal(got[0].data, want) {
			t.Fatalf("the delivered frame is not corrupted")
		}
		keep.Release()
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestImpairChecksumFlags(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{Capabilities: link.Capabilities{ChecksumOffload: true}})
		defer a.Close()
		type flags struct{ partial, verified bool }
		var got []flags
		b.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
			got = append(got, flags{pkt.ChecksumPartial, pkt.ChecksumVerified})
			pkt.Release()
		}))
		p := ethFrame(0, 100)
		p.ChecksumPartial = true
		mustTransmit(t, a, p)
		mustTransmit(t, a, ethFrame(1, 100))
		synctest.Wait()
		a.SetImpairments(link.Impairments{Corrupt: 1})
		p = ethFrame(2, 100)
		p.ChecksumPartial = true
		mustTransmit(t, a, p)
		synctest.Wait()
		want := []flags{{true, true}, {false, false}, {false, false}}
		if !slices.Equal(got, want) {
			t.Errorf("checksum flags %v, want %v (partial+intact: verified; corrupted: neither)", got, want)
		}
	})
}

func TestImpairReorder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{
			Latency: 10 * time.Millisecond, Reorder: 0.1, ReorderDelay: 5 * time.Millisecond, Seed: 11}})
		s := newSink(nil)
		b.Attach(s)
		sendAll(t, a, statFrames, 64, time.Millisecond)
		got := s.ids()
		if len(got) != statFrames {
			t.Fatalf("%d arrivals", len(got))
		}
		late, maxSeen := 0, uint32(0)
		for i, id := range got {
			if i > 0 && id < maxSeen {
				late++
			}
			maxSeen = max(maxSeen, id)
		}
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		for i, id := range sorted {
			if id != uint32(i) {
				t.Fatalf("frame %d lost or duplicated", i)
			}
		}
		st := a.ImpairStats()
		t.Logf("10%% reorder over %d frames: %d held back, %d arrived out of order", statFrames, st.Reordered, late)
		if st.Reordered < 900 || st.Reordered > 1100 {
			t.Errorf("reordered %d, want 900..1100", st.Reordered)
		}
		// Each held-back frame is overtaken by the frames sent within the
		// next 5 ms, unless they were all held back too.
		if d := int(st.Reordered) - late; d < 0 || d > 3 {
			t.Errorf("%d frames arrived out of order, %d were held back", late, st.Reordered)
		}
		// A reordered frame arrives exactly ReorderDelay late.
		arr := s.arrivals()
		for _, g := range arr {
			sent := time.Duration(g.id) * time.Millisecond
			if d := g.at - sent; d != 10*time.Millisecond && d != 15*time.Millisecond {
				t.Fatalf("frame %d took %v", g.id, d)
			}
		}
		a.Close()
		checkOutstanding(t, base)
	})
}

func TestImpairJitterKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{
			Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 5}})
		defer a.Close()
		s := newSink(nil)
		b.Attach(s)
		sendAll(t, a, 2000, 64, 500*time.Microsecond)
		got := s.arrivals()
		if len(got) != 2000 {
			t.Fatalf("%d arrivals", len(got))
		}
		var minD, maxD time.Duration = time.Hour, 0
		distinct := map[time.Duration]bool{}
		for i, g := range got {
			if g.id != uint32(i) {
				t.Fatalf("arrival %d is frame %d: jitter reordered", i, g.id)
			}
			d := g.at - time.Duration(i)*500*time.Microsecond
			minD, maxD = min(minD, d), max(maxD, d)
			distinct[d] = true
		}
		if minD < 15*time.Millisecond || maxD > 25*time.Millisecond || len(distinct) < 100 {
			t.Errorf("delays in [%v, %v], %d distinct; want within 20ms±5ms and varied", minD, maxD, len(distinct))
		}
	})
}

// run sends a fixed workload over a heavily impaired pipe and returns
// what arrived: frame ids and content hashes, in order.
func impairedRun(t *testing.T, seed int64) []arrival {
	var got []arrival
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{
			Latency: 3 * time.Millisecond, Jitter: time.Millisecond, Bandwidth: 100_000_000,
			Loss: 0.05, Duplicate: 0.05, Corrupt: 0.05, Reorder: 0.05, ReorderDelay: 2 * time.Millisecond,
			Seed: seed}})
		defer a.Close()
		s := newSink(nil)
		b.Attach(s)
		for i := range uint32(3000) {
			mustTransmit(t, a, ethFrame(i, 64+int(i%1400)))
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(time.Second)
		got = s.arrivals()
	})
	return got
}

func TestImpairDeterminism(t *testing.T) {
	same := func(x, y []arrival) bool {
		return slices.EqualFunc(x, y, func(p, q arrival) bool { return p.id == q.id && p.sum == q.sum && p.at == q.at })
	}
	r1, r2, r3 := impairedRun(t, 99), impairedRun(t, 99), impairedRun(t, 100)
	if len(r1) < 2500 {
		t.Fatalf("only %d arrivals", len(r1))
	}
	if !same(r1, r2) {
		t.Error("the same seed gave different deliveries")
	}
	if same(r1, r3) {
		t.Error("different seeds gave the same deliveries")
	}
}

func TestImpairDirectionsIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		imp := link.Impairments{Loss: 0.5, Seed: 1, QueueLimit: -1}
		a, b := link.NewPipe(link.PipeConfig{AtoB: imp, BtoA: imp})
		defer a.Close()
		sa, sb := newSink(nil), newSink(nil)
		a.Attach(sa)
		b.Attach(sb)
		for i := range uint32(200) {
			mustTransmit(t, a, ethFrame(i, 64))
			mustTransmit(t, b, ethFrame(i, 64))
		}
		synctest.Wait()
		if slices.Equal(sa.ids(), sb.ids()) {
			t.Error("both directions lost the same frames from one seed")
		}
	})
}
