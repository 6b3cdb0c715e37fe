package main

import (
	"bytes"
	"testing"

	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/pktbuf"
)

// sinkDevice is a device that takes frames and drops them.
type sinkDevice struct{ link.Device }

func (sinkDevice) Type() link.Type { return link.TypeRawIP }

func (sinkDevice) Transmit(pkt *pktbuf.Buffer) error {
	pkt.Release()
	return nil
}

// TestCaptureDataPathAllocs checks that the capture hook costs the data
// path no allocation, idle or capturing, once its slots have grown to
// the frames' size; and that a capture nobody drains drops frames
// instead of blocking.
func TestCaptureDataPathAllocs(t *testing.T) {
	d := newTapDevice(sinkDevice{})
	frame := make([]byte, 1500)
	frame[0] = 0x45
	send := func() {
		pkt := pktbuf.New(0, len(frame))
		copy(pkt.Bytes(), frame)
		d.Transmit(pkt)
	}
	for range 10 {
		send() // warm the buffer pool
	}
	if !israce.Enabled {
		if n := testing.AllocsPerRun(100, send); n != 0 {
			t.Errorf("idle: %v allocations per frame", n)
		}
	}
	lc := newLiveCapture(0)
	d.add(lc)
	for range captureSlots {
		send() // every slot grows to the frame size once
	}
	if got := lc.dropped.Load(); got != 0 {
		t.Fatalf("%d frames dropped with free slots", got)
	}
	for range 100 {
		send()
	}
	if got := lc.dropped.Load(); got != 100 {
		t.Errorf("a full capture dropped %d frames, want the 100 past its slots", got)
	}
	// The writer drains what was kept, as a pcap file.
	var buf bytes.Buffer
	done := make(chan struct{})
	n, err := lc.writeTo(&buf, pcap.LinkTypeRaw, captureSlots, done)
	if err != nil || n != captureSlots {
		t.Fatalf("writeTo: %d frames, %v", n, err)
	}
	r, err := pcap.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Next()
	if err != nil || !bytes.Equal(p.Data, frame) {
		t.Errorf("first frame: %v, % x", err, p.Data[:min(len(p.Data), 4)])
	}
	// Frames now go into the drained slots, already grown: copying them
	// allocates nothing either.
	if !israce.Enabled {
		if n := testing.AllocsPerRun(100, send); n != 0 {
			t.Errorf("capturing: %v allocations per frame", n)
		}
	}
	if got := lc.dropped.Load(); got != 100 {
		t.Errorf("%d frames dropped with free slots", got-100)
	}
	d.remove(lc)
	if d.taps.Load() != nil {
		t.Error("capture still attached")
	}
}
