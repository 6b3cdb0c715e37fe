package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/pktbuf"
)

// runCapture is `gosock capture`: a pcap of a running instance's device,
// as `tcpdump -i DEV -w FILE -c N` would write it.
func runCapture(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf controlFlags
	cf.register(fs)
	out := fs.String("w", "", "write the capture to this file (- for standard output); required")
	count := fs.Int("c", 0, "stop after this many frames (0: until interrupted)")
	snaplen := fs.Int("s", 0, "cut frames to this many bytes (0: whole frames)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock capture [--name IF] -w FILE [-c N] [-s SNAPLEN]")
		fmt.Fprintln(stderr, "\nWrites the frames a running `gosock tun` instance sends and receives on its")
		fmt.Fprintln(stderr, "device to a pcap file (tcpdump, tshark and Wireshark read it), until N frames")
		fmt.Fprintln(stderr, "or Ctrl-C. Frames the file cannot keep up with are dropped and counted.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("-w FILE is required")
	}
	if *count < 0 || *snaplen < 0 {
		return fmt.Errorf("-c and -s take non-negative numbers")
	}
	var w io.Writer = stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.request(controlRequest{Op: "capture", Count: *count, Snaplen: *snaplen}); err != nil {
		return err
	}
	stop := interruptHalfClose(c)
	defer stop()
	n, err := io.Copy(w, c.body())
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("the instance sent no capture")
	}
	if *out != "-" {
		fmt.Fprintf(stderr, "gosock capture: %d bytes written to %s\n", n, *out)
	}
	return nil
}

// tapDevice wraps the instance's device so that captures can start and
// stop while traffic flows. With no capture attached a frame costs one
// atomic load.
type tapDevice struct {
	link.Device
	mu   sync.Mutex // serialises changes to taps
	taps atomic.Pointer[[]*liveCapture]
}

func newTapDevice(dev link.Device) *tapDevice { return &tapDevice{Device: dev} }

// Unwrap returns the wrapped device.
func (d *tapDevice) Unwrap() link.Device { return d.Device }

// Attach hands incoming frames to the captures, then to r, with the
// tapDevice as the device they arrived on.
func (d *tapDevice) Attach(r link.Receiver) {
	if r == nil {
		d.Device.Attach(nil)
		return
	}
	d.Device.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
		d.capture(pkt.Bytes())
		r.Receive(d, pkt)
	}))
}

// Transmit captures the frame and sends it on the wrapped device.
func (d *tapDevice) Transmit(pkt *pktbuf.Buffer) error {
	d.capture(pkt.Bytes())
	return d.Device.Transmit(pkt)
}

func (d *tapDevice) capture(frame []byte) {
	taps := d.taps.Load()
	if taps == nil {
		return
	}
	now := time.Now()
	for _, t := range *taps {
		t.offer(now, frame)
	}
}

func (d *tapDevice) add(c *liveCapture) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var next []*liveCapture
	if old := d.taps.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, c)
	d.taps.Store(&next)
}

func (d *tapDevice) remove(c *liveCapture) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.taps.Load()
	if old == nil {
		return
	}
	var next []*liveCapture
	for _, t := range *old {
		if t != c {
			next = append(next, t)
		}
	}
	if len(next) == 0 {
		d.taps.Store(nil)
		return
	}
	d.taps.Store(&next)
}

// captureSlots is how many frames a capture holds while its writer
// catches up; more are dropped, as a full capture buffer drops them in
// the kernel.
const captureSlots = 1024

// capturedFrame is one frame copied off the data path.
type capturedFrame struct {
	ts   time.Time
	data []byte
	orig int
}

// liveCapture copies frames off the data path into a fixed set of
// reusable slots, for a goroutine that writes them out, so a slow reader
// never holds up traffic.
type liveCapture struct {
	snaplen int
	free    chan *capturedFrame
	full    chan *capturedFrame
	dropped atomic.Uint64
}

func newLiveCapture(snaplen int) *liveCapture {
	if snaplen <= 0 || snaplen > pcap.MaxSnaplen {
		snaplen = pcap.MaxSnaplen
	}
	c := &liveCapture{snaplen: snaplen, free: make(chan *capturedFrame, captureSlots), full: make(chan *capturedFrame, captureSlots)}
	for range captureSlots {
		c.free <- &capturedFrame{}
	}
	return c
}

// offer copies frame into a free slot, or counts it dropped. Called on
// the data path: it never blocks, and once the slots have grown to the
// frames' size it does not allocate.
func (c *liveCapture) offer(ts time.Time, frame []byte) {
	select {
	case f := <-c.free:
		f.ts, f.orig = ts, len(frame)
		f.data = append(f.data[:0], frame[:min(len(frame), c.snaplen)]...)
		c.full <- f // cannot block: there are as many slots as room
	default:
		c.dropped.Add(1)
	}
}

// writeTo writes captured frames to w as a pcap file of the device's
// link type until count frames (0: no limit), a write fails, or done is
// closed. It returns how many frames it wrote.
func (c *liveCapture) writeTo(w io.Writer, lt pcap.LinkType, count int, done <-chan struct{}) (int, error) {
	pw, err := pcap.NewWriter(w, lt, c.snaplen)
	if err != nil {
		return 0, err
	}
	n := 0
	for count == 0 || n < count {
		select {
		case f := <-c.full:
			err := pw.WritePacket(f.ts, f.data, f.orig)
			c.free <- f
			if err != nil {
				return n, err
			}
			n++
		case <-done:
			return n, nil
		}
	}
	return n, nil
}
