package link

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// sniffFakeDev is a minimal Device: Transmit keeps a copy of each frame,
// inject plays the part of the receive goroutine.
type sniffFakeDev struct {
	typ   Type
	stats Stats

	mu      sync.Mutex
	r       Receiver
	sent    [][]byte
	txErr   error
	closed  bool
	attachN int
}

func (d *sniffFakeDev) Name() string                  { return "fake0" }
func (d *sniffFakeDev) Type() Type                    { return d.typ }
func (d *sniffFakeDev) MTU() int                      { return 1500 }
func (d *sniffFakeDev) HardwareAddr() wire.MAC        { return wire.MAC{2, 0, 0, 0, 0, 1} }
func (d *sniffFakeDev) Flags() Flags                  { return FlagBroadcast | FlagRunning }
func (d *sniffFakeDev) Capabilities() Capabilities    { return Capabilities{GSOMaxSize: 1234} }
func (d *sniffFakeDev) Stats() *Stats                 { return &d.stats }
func (d *sniffFakeDev) Close() error                  { d.mu.Lock(); d.closed = true; d.mu.Unlock(); return nil }
func (d *sniffFakeDev) Attach(r Receiver)             { d.mu.Lock(); d.r = r; d.attachN++; d.mu.Unlock() }
func (d *sniffFakeDev) receiver() (r Receiver)        { d.mu.Lock(); r = d.r; d.mu.Unlock(); return r }
func (d *sniffFakeDev) setTxErr(err error)            { d.mu.Lock(); d.txErr = err; d.mu.Unlock() }
func (d *sniffFakeDev) sentFrames() (f [][]byte)      { d.mu.Lock(); f = d.sent; d.mu.Unlock(); return f }
func (d *sniffFakeDev) inject(frame []byte) (ok bool) { return d.injectBuf(pktbuf.FromBytes(0, frame)) }

func (d *sniffFakeDev) injectBuf(pkt *pktbuf.Buffer) bool {
	r := d.receiver()
	if r == nil {
		pkt.Release()
		return false
	}
	r.Receive(d, pkt)
	return true
}

func (d *sniffFakeDev) Transmit(pkt *pktbuf.Buffer) error {
	defer pkt.Release()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.txErr != nil {
		return d.txErr
	}
	if d.sent != nil { // recording on
		d.sent = append(d.sent, bytes.Clone(pkt.Bytes()))
	}
	return nil
}

// sniffCollector is a Receiver that keeps a copy of each frame and the device it
// came from.
type sniffCollector struct {
	mu     sync.Mutex
	frames [][]byte
	devs   []Device
}

func (c *sniffCollector) Receive(dev Device, pkt *pktbuf.Buffer) {
	c.mu.Lock()
	c.frames = append(c.frames, bytes.Clone(pkt.Bytes()))
	c.devs = append(c.devs, dev)
	c.mu.Unlock()
	pkt.Release()
}

func readPcap(t *testing.T, b []byte) (pcap.LinkType, []pcap.Packet) {
	t.Helper()
	r, err := pcap.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var pkts []pcap.Packet
	for {
		p, err := r.Next()
		if err == io.EOF {
			return r.LinkType(), pkts
		}
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	}
}

func TestSnifferCapturesBothDirections(t *testing.T) {
	base := pktbuf.Outstanding()
	tests := []struct {
		typ  Type
		want pcap.LinkType
	}{
		{TypeEthernet, pcap.LinkTypeEthernet},
		{TypeRawIP, pcap.LinkTypeRaw},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String(), func(t *testing.T) {
			dev := &sniffFakeDev{typ: tt.typ, sent: [][]byte{}}
			var file bytes.Buffer
			w, err := pcap.NewNanoWriter(&file, PcapLinkType(tt.typ), 0)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
			clk := clock.NewManual(start)
			s, err := NewSniffer(dev, w, clk)
			if err != nil {
				t.Fatal(err)
			}
			var _ Device = s
			var rx sniffCollector
			s.Attach(&rx)

			out1 := []byte("transmitted frame one")
			in1 := []byte("received frame")
			out2 := bytes.Repeat([]byte{7}, 1500)
			if err := s.Transmit(pktbuf.FromBytes(pktbuf.DefaultHeadroom, out1)); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Millisecond)
			if !dev.inject(in1) {
				t.Fatal("Attach did not reach the wrapped device")
			}
			clk.Advance(time.Millisecond)
			if err := s.Transmit(pktbuf.FromBytes(pktbuf.DefaultHeadroom, out2)); err != nil {
				t.Fatal(err)
			}

			// Traffic went through untouched.
			if sent := dev.sentFrames(); len(sent) != 2 || !bytes.Equal(sent[0], out1) || !bytes.Equal(sent[1], out2) {
				t.Errorf("device sent %d frames", len(sent))
			}
			if len(rx.frames) != 1 || !bytes.Equal(rx.frames[0], in1) || rx.devs[0] != s {
				t.Errorf("receiver got %d frames, from %v; want 1 from the sniffer", len(rx.frames), rx.devs)
			}

			lt, pkts := readPcap(t, file.Bytes())
			if lt != tt.want {
				t.Errorf("link type %v, want %v", lt, tt.want)
			}
			want := [][]byte{out1, in1, out2}
			if len(pkts) != len(want) {
				t.Fatalf("captured %d frames, want %d", len(pkts), len(want))
			}
			for i, p := range pkts {
				ts := start.Add(time.Duration(i) * time.Millisecond)
				if !bytes.Equal(p.Data, want[i]) || p.OrigLen != len(want[i]) || !p.Timestamp.Equal(ts) {
					t.Errorf("record %d: %d bytes orig %d at %v; want %d bytes at %v",
						i, len(p.Data), p.OrigLen, p.Timestamp, len(want[i]), ts)
				}
			}
			if s.WriteErrors() != 0 {
				t.Errorf("WriteErrors = %d", s.WriteErrors())
			}
		})
	}
	if n := pktbuf.Outstanding(); n != base {
		t.Errorf("%d buffers leaked", n-base)
	}
}

func TestSnifferDelegates(t *testing.T) {
	dev := &sniffFakeDev{typ: TypeEthernet}
	w, _ := pcap.NewWriter(io.Discard, pcap.LinkTypeEthernet, 0)
	s, err := NewSniffer(dev, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "fake0" || s.Type() != TypeEthernet || s.MTU() != 1500 ||
		s.HardwareAddr() != dev.HardwareAddr() || s.Flags() != dev.Flags() ||
		s.Capabilities() != dev.Capabilities() || s.Stats() != &dev.stats || s.Unwrap() != dev {
		t.Error("a Device method does not delegate to the wrapped device")
	}
	// Transmit errors come back as the device reports them.
	dev.setTxErr(errno.ENETDOWN)
	if err := s.Transmit(pktbuf.FromBytes(0, []byte{1})); err != errno.ENETDOWN {
		t.Errorf("Transmit = %v, want ENETDOWN", err)
	}
	s.Attach(&sniffCollector{})
	s.Attach(nil)
	if dev.receiver() != nil || dev.attachN != 2 {
		t.Error("Attach(nil) did not detach the wrapped device")
	}
	if dev.inject([]byte{1}) {
		t.Error("frame delivered after detach")
	}
	if err := s.Close(); err != nil || !dev.closed {
		t.Errorf("Close = %v, device closed %v", err, dev.closed)
	}
}

func TestSnifferSnaplen(t *testing.T) {
	dev := &sniffFakeDev{typ: TypeRawIP}
	var file bytes.Buffer
	w, _ := pcap.NewWriter(&file, pcap.LinkTypeRaw, 100)
	s, err := NewSniffer(dev, w, clock.NewManual(time.Unix(1, 0)), SnifferSnaplen(20))
	if err != nil {
		t.Fatal(err)
	}
	s.Attach(&sniffCollector{})
	frame := bytes.Repeat([]byte{0x45}, 300)
	s.Transmit(pktbuf.FromBytes(0, frame))
	dev.inject(frame[:10])
	_, pkts := readPcap(t, file.Bytes())
	if len(pkts) != 2 || len(pkts[0].Data) != 20 || pkts[0].OrigLen != 300 || len(pkts[1].Data) != 10 || pkts[1].OrigLen != 10 {
		t.Errorf("captured %+v", pkts)
	}
}

func TestSnifferLinkTypeMismatch(t *testing.T) {
	w, _ := pcap.NewWriter(io.Discard, pcap.LinkTypeRaw, 0)
	if _, err := NewSniffer(&sniffFakeDev{typ: TypeEthernet}, w, nil); err == nil {
		t.Error("raw-IP writer accepted for an Ethernet device")
	}
}

type sniffFailingWriter struct{}

func (sniffFailingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestSnifferWriteErrorsDoNotBreakTraffic has the pcap file fail after
// its header and checks frames still flow both ways.
func TestSnifferWriteErrorsDoNotBreakTraffic(t *testing.T) {
	fw := &sniffFlakyWriter{okWrites: 1} // the global header
	w, err := pcap.NewWriter(fw, pcap.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	dev := &sniffFakeDev{typ: TypeEthernet, sent: [][]byte{}}
	s, _ := NewSniffer(dev, w, nil)
	var rx sniffCollector
	s.Attach(&rx)
	for range 3 {
		if err := s.Transmit(pktbuf.FromBytes(0, []byte("out"))); err != nil {
			t.Fatal(err)
		}
		dev.inject([]byte("in"))
	}
	if len(dev.sentFrames()) != 3 || len(rx.frames) != 3 {
		t.Errorf("sent %d, received %d; want 3 and 3", len(dev.sentFrames()), len(rx.frames))
	}
	if s.WriteErrors() != 6 {
		t.Errorf("WriteErrors = %d, want 6", s.WriteErrors())
	}
}

type sniffFlakyWriter struct{ okWrites int }

func (f *sniffFlakyWriter) Write(p []byte) (int, error) {
	if f.okWrites == 0 {
		return sniffFailingWriter{}.Write(p)
	}
	f.okWrites--
	return len(p), nil
}

func TestSnifferTransmitAllocs(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector empties sync.Pools")
	}
	dev := &sniffFakeDev{typ: TypeEthernet}
	w, _ := pcap.NewWriter(io.Discard, pcap.LinkTypeEthernet, 0)
	s, _ := NewSniffer(dev, w, clock.NewManual(time.Unix(1, 0)))
	frame := make([]byte, 1514)
	send := func() {
		pkt := pktbuf.New(pktbuf.DefaultHeadroom, len(frame))
		copy(pkt.Bytes(), frame)
		if err := s.Transmit(pkt); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if n := testing.AllocsPerRun(100, send); n != 0 {
		t.Errorf("Transmit through the sniffer allocates %v times per frame", n)
	}
}

// TestSnifferOnPipe captures both directions of a pipe at one end.
func TestSnifferOnPipe(t *testing.T) {
	a, b := NewPipe(PipeConfig{})
	var file syncBuffer
	w, err := pcap.NewWriter(&file, pcap.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSniffer(a, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	type arrival struct {
		dev   Device
		frame []byte
	}
	atA, atB := make(chan arrival, 1), make(chan arrival, 1)
	s.Attach(ReceiverFunc(func(d Device, pkt *pktbuf.Buffer) {
		atA <- arrival{d, bytes.Clone(pkt.Bytes())}
		pkt.Release()
	}))
	b.Attach(ReceiverFunc(func(d Device, pkt *pktbuf.Buffer) {
		atB <- arrival{d, bytes.Clone(pkt.Bytes())}
		pkt.Release()
	}))
	frame := func(dst, src wire.MAC, fill byte) []byte {
		f := make([]byte, 60)
		(&wire.EthernetFields{Dst: dst, Src: src, Type: wire.EtherTypeIPv4}).Encode(wire.Ethernet(f))
		for i := wire.EthernetHeaderLen; i < len(f); i++ {
			f[i] = fill
		}
		return f
	}
	out := frame(b.HardwareAddr(), a.HardwareAddr(), 0xaa)
	in := frame(a.HardwareAddr(), b.HardwareAddr(), 0xbb)
	wait := func(ch chan arrival) arrival {
		select {
		case x := <-ch:
			return x
		case <-time.After(5 * time.Second):
			t.Fatal("frame did not cross the pipe within 5s")
			return arrival{}
		}
	}
	if err := s.Transmit(pktbuf.FromBytes(pktbuf.DefaultHeadroom, out)); err != nil {
		t.Fatal(err)
	}
	if got := wait(atB); !bytes.Equal(got.frame, out) {
		t.Error("frame changed crossing the pipe")
	}
	if err := b.Transmit(pktbuf.FromBytes(pktbuf.DefaultHeadroom, in)); err != nil {
		t.Fatal(err)
	}
	if got := wait(atA); !bytes.Equal(got.frame, in) || got.dev != s {
		t.Errorf("frame at the sniffed end: equal %v, from %T", bytes.Equal(got.frame, in), got.dev)
	}
	_, pkts := readPcap(t, file.Bytes())
	if len(pkts) != 2 || !bytes.Equal(pkts[0].Data, out) || !bytes.Equal(pkts[1].Data, in) ||
		pkts[1].Timestamp.Before(pkts[0].Timestamp) {
		t.Errorf("pcap holds %d frames, want the transmitted then the received one", len(pkts))
	}
}

// syncBuffer is a bytes.Buffer safe for the sniffer's two writers (the
// pcap.Writer already serializes them; the lock is for reading after).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
