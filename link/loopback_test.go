package link_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

func TestLoopbackProperties(t *testing.T) {
	lo := link.NewLoopback()
	defer lo.Close()
	if lo.Name() != "lo" || lo.Type() != link.TypeEthernet || lo.MTU() != 65536 || lo.HardwareAddr() != (wire.MAC{}) {
		t.Errorf("lo: %q %v mtu %d mac %v", lo.Name(), lo.Type(), lo.MTU(), lo.HardwareAddr())
	}
	if f := lo.Flags(); f != link.FlagLoopback|link.FlagRunning|link.FlagLowerUp {
		t.Errorf("flags %v", f)
	}
	if c := lo.Capabilities(); c.GSOMaxSize < 65536 || !c.ChecksumOffload {
		t.Errorf("capabilities %+v", c)
	}
	lo2 := link.NewLoopback(link.WithLoopbackMTU(16384), link.WithLoopbackBacklog(10))
	defer lo2.Close()
	if lo2.MTU() != 16384 {
		t.Errorf("MTU option: %d", lo2.MTU())
	}
}

func TestLoopbackInOrderOffCallerGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		lo := link.NewLoopback()
		s := newSink(nil)
		s.goids = true
		// The caller holds a lock across Transmit, as a protocol does; a
		// Receiver taking the same lock would deadlock if called inline.
		var protoLock sync.Mutex
		lo.Attach(link.ReceiverFunc(func(dev link.Device, pkt *pktbuf.Buffer) {
			protoLock.Lock()
			s.Receive(dev, pkt)
			protoLock.Unlock()
		}))
		me := goid()
		for i := range uint32(500) {
			protoLock.Lock()
			mustTransmit(t, lo, ethFrame(i, 40+int(i)))
			protoLock.Unlock()
		}
		synctest.Wait()
		got := s.arrivals()
		if len(got) != 500 {
			t.Fatalf("%d of 500 frames came back", len(got))
		}
		for i, a := range got {
			if a.id != uint32(i) || a.dev != "lo" || a.goid == me || a.goid == 0 {
				t.Fatalf("arrival %d: id %d dev %q goroutine %d (caller %d)", i, a.id, a.dev, a.goid, me)
			}
		}
		var bytes uint64
		for i := range 500 {
			bytes += uint64(40 + i)
		}
		if st := lo.Stats().Snapshot(); st.TxPackets != 500 || st.RxPackets != 500 || st.TxBytes != bytes || st.RxBytes != bytes {
			t.Errorf("stats %+v", st)
		}
		lo.Close()
		checkOutstanding(t, base)
	})
}

func TestLoopbackBacklogFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		lo := link.NewLoopback()
		entered, release := make(chan struct{}, 1), make(chan struct{})
		var n int
		lo.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
			if n == 0 {
				entered <- struct{}{}
				<-release
			}
			n++
			pkt.Release()
		}))
		mustTransmit(t, lo, ethFrame(0, 64))
		<-entered // the goroutine holds frame 0; the backlog is empty
		for i := range uint32(link.LoopbackBacklog) {
			mustTransmit(t, lo, ethFrame(1+i, 64))
		}
		if err := lo.Transmit(ethFrame(9999, 64)); !errors.Is(err, errno.ENOBUFS) {
			t.Errorf("Transmit to a full backlog: %v, want ENOBUFS", err)
		}
		if st := lo.Stats().Snapshot(); st.TxDropped != 1 || st.TxPackets != 1001 {
			t.Errorf("stats %+v", st)
		}
		close(release)
		synctest.Wait()
		if n != 1001 {
			t.Errorf("%d frames delivered, want 1001", n)
		}
		lo.Close()
		checkOutstanding(t, base)
	})
}

func TestLoopbackCloseReleasesQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		lo := link.NewLoopback()
		entered, release := make(chan struct{}, 1), make(chan struct{})
		var n int
		lo.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
			if n == 0 {
				entered <- struct{}{}
				<-release
			}
			n++
			pkt.Release()
		}))
		mustTransmit(t, lo, ethFrame(0, 64))
		<-entered
		for i := range uint32(10) {
			mustTransmit(t, lo, ethFrame(1+i, 64))
		}
		closed := make(chan struct{})
		go func() {
			lo.Close() // waits for the Receive in progress
			close(closed)
		}()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a Receive was in progress")
		default:
		}
		close(release)
		<-closed
		if n != 1 {
			t.Errorf("%d frames delivered; the 10 queued ones should have been released", n)
		}
		checkOutstanding(t, base)
		if err := lo.Transmit(ethFrame(0, 64)); !errors.Is(err, errno.ENETDOWN) {
			t.Errorf("Transmit after Close: %v", err)
		}
		if lo.Flags()&link.FlagRunning != 0 {
			t.Errorf("flags after Close: %v", lo.Flags())
		}
		if err := lo.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		checkOutstanding(t, base)
	})
}

func TestLoopbackFrameChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		lo := link.NewLoopback()
		var got []*pktbuf.Buffer
		lo.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) { got = append(got, pkt) }))
		mustTransmit(t, lo, ethFrame(0, 65536+14))
		if err := lo.Transmit(ethFrame(0, 65536+15)); !errors.Is(err, errno.EMSGSIZE) {
			t.Errorf("frame over MTU: %v", err)
		}
		if err := lo.Transmit(pktbuf.New(0, 10)); !errors.Is(err, errno.EINVAL) {
			t.Errorf("runt frame: %v", err)
		}
		p := ethFrame(1, 100)
		p.ChecksumPartial = true
		mustTransmit(t, lo, p)
		mustTransmit(t, lo, ethFrame(2, 100))
		synctest.Wait()
		if len(got) != 3 || !got[1].ChecksumVerified || got[2].ChecksumVerified {
			t.Errorf("got %d frames; a partial checksum must arrive verified, a full one not", len(got))
		}
		for _, p := range got {
			p.Release()
		}
		if st := lo.Stats().Snapshot(); st.TxErrors != 2 {
			t.Errorf("stats %+v", st)
		}
		// No receiver: counted and released.
		lo.Attach(nil)
		mustTransmit(t, lo, ethFrame(3, 100))
		synctest.Wait()
		if st := lo.Stats().Snapshot(); st.RxDropped != 1 {
			t.Errorf("RxDropped %d", st.RxDropped)
		}
		lo.Close()
		checkOutstanding(t, base)
	})
}

func TestLoopbackSteadyStateAllocs(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector empties sync.Pools")
	}
	lo := link.NewLoopback()
	defer lo.Close()
	done := make(chan struct{}, 1)
	lo.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
		pkt.Release()
		done <- struct{}{}
	}))
	send := func() {
		if err := lo.Transmit(pktbuf.New(pktbuf.DefaultHeadroom, 1500)); err != nil {
			panic(err)
		}
		<-done
	}
	for range 2000 {
		send()
	}
	if n := testing.AllocsPerRun(2000, send); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

func BenchmarkLoopbackTransfer(b *testing.B) {
	lo := link.NewLoopback()
	defer lo.Close()
	var recvd atomic.Int64
	lo.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) { pkt.Release(); recvd.Add(1) }))
	b.SetBytes(1500)
	b.ReportAllocs()
	b.ResetTimer()
	transfer(b, lo, &recvd, func() int64 { return int64(b.N) })
}
