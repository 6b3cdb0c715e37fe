package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"time"

	"github.com/gosock/gosock/internal/pinger"
)

// pingRequest is what `gosock ping` asks an instance to do.
type pingRequest struct {
	Dst      string        `json:"dst"`
	Count    int           `json:"count"`    // 0: until interrupted
	Size     int           `json:"size"`     // ICMP payload bytes
	Interval time.Duration `json:"interval"` // between requests
	Timeout  time.Duration `json:"timeout"`  // wait for each reply
}

func (r *pingRequest) check() error {
	a, err := netip.ParseAddr(r.Dst)
	switch {
	case err != nil:
		return fmt.Errorf("ping: %s: not a numeric IPv4 or IPv6 address", r.Dst)
	case a.Zone() != "":
		return fmt.Errorf("ping: %s: zones are not supported", r.Dst)
	case r.Count < 0:
		return errors.New("ping: bad number of packets to transmit")
	case r.Size < 0 || r.Size > 65507:
		return fmt.Errorf("ping: invalid -s value: '%d': out of range: 0 <= value <= 65507", r.Size)
	case r.Interval < 10*time.Millisecond:
		return errors.New("ping: the interval must be at least 10ms")
	case r.Timeout <= 0:
		return errors.New("ping: bad linger time")
	}
	return nil
}

func runPing(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ping", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf controlFlags
	cf.register(fs)
	req := pingRequest{}
	fs.IntVar(&req.Count, "c", 0, "stop after this many echo requests (0: until Ctrl-C)")
	fs.IntVar(&req.Size, "s", 56, "ICMP payload size in bytes")
	interval := fs.Float64("i", 1, "seconds between requests")
	timeout := fs.Float64("W", 1, "seconds to wait for each reply")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock ping [--name IF] [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] ADDRESS")
		fmt.Fprintln(stderr, "\nSends ICMP or ICMPv6 echo requests from a running `gosock tun` instance and prints")
		fmt.Fprintln(stderr, "the replies as Linux's ping does.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("one destination address is needed")
	}
	req.Dst = fs.Arg(0)
	req.Interval = time.Duration(*interval * float64(time.Second))
	req.Timeout = time.Duration(*timeout * float64(time.Second))
	if err := req.check(); err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.request(controlRequest{Op: "ping", Ping: &req}); err != nil {
		return err
	}
	stop := interruptHalfClose(c)
	defer stop()
	_, err = io.Copy(stdout, c.body())
	return err
}

// ping runs a ping for a client, writing Linux ping's lines to w, until
// the count is reached or done closes.
func (inst *instance) ping(w io.Writer, req *pingRequest, done <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	dst := netip.MustParseAddr(req.Dst)
	runPingLoop(ctx, w, dst, req, func(ctx context.Context, size int) (pinger.Reply, error) {
		p, seq := inst.nextPing()
		return p.Ping(ctx, dst, seq, size)
	})
}

// runPingLoop sends the requests through send and prints what Linux's
// ping prints: a header, a line per reply, the statistics.
func runPingLoop(ctx context.Context, w io.Writer, dst netip.Addr, req *pingRequest,
	send func(context.Context, int) (pinger.Reply, error)) {
	hdr := 20
	if dst.Is6() {
		hdr = 40
	}
	if dst.Is4() {
		fmt.Fprintf(w, "PING %s (%s) %d(%d) bytes of data.\n", dst, dst, req.Size, req.Size+8+hdr)
	} else {
		fmt.Fprintf(w, "PING %s (%s) %d data bytes\n", dst, dst, req.Size)
	}
	start := time.Now()
	var sent, received int
	var sum, sum2 float64
	minRTT, maxRTT := math.Inf(1), 0.0
	for i := 1; req.Count == 0 || i <= req.Count; i++ {
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		pctx, cancel := context.WithTimeout(ctx, req.Timeout)
		r, err := send(pctx, req.Size)
		cancel()
		sent++
		if err == nil {
			received++
			ms := float64(r.RTT) / float64(time.Millisecond)
			sum += ms
			sum2 += ms * ms
			minRTT, maxRTT = min(minRTT, ms), max(maxRTT, ms)
			// iputils prints ttl= for IPv6 too (the hop limit).
			fmt.Fprintf(w, "%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms\n", r.Size+8, r.From, i, r.TTL, pingTime(ms))
		} else if ctx.Err() != nil {
			sent-- // interrupted while waiting: not counted, as ping does not count it either
			break
		}
		if req.Count != 0 && i == req.Count {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(t0.Add(req.Interval))):
		}
	}
	elapsed := time.Since(start)
	fmt.Fprintf(w, "\n--- %s ping statistics ---\n", dst)
	loss := 0
	if sent > 0 {
		loss = (sent - received) * 100 / sent
	}
	fmt.Fprintf(w, "%d packets transmitted, %d received, %d%% packet loss, time %dms\n", sent, received, loss, elapsed.Milliseconds())
	if received > 0 {
		avg := sum / float64(received)
		mdev := math.Sqrt(max(sum2/float64(received)-avg*avg, 0))
		fmt.Fprintf(w, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", minRTT, avg, maxRTT, mdev)
	}
}

// pingTime formats a round-trip time with three significant digits, as
// iputils ping does.
func pingTime(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2f", ms)
	}
	return fmt.Sprintf("%.3f", ms)
}
