package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Params size a mode's run.
type Params struct {
	// Duration is how long a timed mode (bulk, rr, connrate, many, lossy)
	// moves data.
	Duration time.Duration
	// Conns is the number of connections of idle and many.
	Conns int
	// Chunk is the size of each write of bulk, many and lossy.
	Chunk int
	// Workers is the number of concurrent dialers of connrate.
	Workers int

	// steady, if set, is called while idle's or many's connections are
	// all open (Run writes a heap profile there).
	steady func()
}

// Metric is one figure a mode measured.
type Metric struct {
	// Name says what was measured: "throughput", "tps", "p99".
	Name string
	// Unit is the printed unit: "Gbit/s", "µs", "B".
	Unit string
	// Value is the figure in Unit.
	Value float64
	// LowerBetter is set for costs (latency, memory), so a ratio below 1
	// is the good side.
	LowerBetter bool
}

// ModeFunc runs one mode against a stack and returns its figures.
type ModeFunc func(ctx context.Context, s Stack, p Params) ([]Metric, error)

// Modes maps each mode's name to its function.
var Modes = map[string]ModeFunc{
	"bulk":     Bulk,
	"rr":       RR,
	"connrate": ConnRate,
	"idle":     Idle,
	"many":     Many,
	"lossy":    Bulk, // bulk over the lossy link its cases configure
}

// ioDeadline bounds every blocking call of a run, so that a stalled stack
// fails the run instead of hanging it.
func ioDeadline(p Params) time.Time {
	return time.Now().Add(p.Duration + 60*time.Second)
}

// acceptOne accepts a single connection in the background.
func acceptOne(ln net.Listener) <-chan acceptResult {
	ch := make(chan acceptResult, 1)
	go func() {
		c, err := ln.Accept()
		ch <- acceptResult{c, err}
	}()
	return ch
}

type acceptResult struct {
	c   net.Conn
	err error
}

// pair opens one connection and returns its client and server ends.
func pair(ctx context.Context, s Stack, ln net.Listener) (client, server net.Conn, err error) {
	ch := acceptOne(ln)
	client, err = s.Dial(ctx, ln.Addr())
	if err != nil {
		ln.Close()
		<-ch
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	r := <-ch
	if r.err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("accept: %w", r.err)
	}
	return client, r.c, nil
}

// Bulk sends data one way over one connection for p.Duration and reports
// the goodput: the bytes the receiver read by then over the time taken.
// Data still queued or in flight when the time is up is not counted and
// not waited for, so a stack that stalls shows a low figure instead of
// stretching the run.
func Bulk(ctx context.Context, s Stack, p Params) ([]Metric, error) {
	ln, err := s.Listen()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	c, sc, err := pair(ctx, s, ln)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer sc.Close()
	var got atomic.Int64
	go count(sc, &got, 256<<10)
	buf := make([]byte, p.Chunk)
	start := time.Now()
	if err := writeUntil(c, buf, start.Add(p.Duration)); err != nil {
		return nil, err
	}
	n := got.Load()
	elapsed := time.Since(start)
	return []Metric{{Name: "goodput", Unit: "Gbit/s", Value: float64(n) * 8 / elapsed.Seconds() / 1e9}}, nil
}

// count reads c until it fails, adding what it reads to n.
func count(c net.Conn, n *atomic.Int64, bufSize int) {
	buf := make([]byte, bufSize)
	for {
		k, err := c.Read(buf)
		n.Add(int64(k))
		if err != nil {
			return
		}
	}
}

// writeUntil writes buf to c over and over until end, which it sets as
// c's write deadline so that a blocked write returns in time.
func writeUntil(c net.Conn, buf []byte, end time.Time) error {
	if err := c.SetWriteDeadline(end); err != nil {
		return err
	}
	for {
		if _, err := c.Write(buf); err != nil {
			// gVisor's adapter reports a deadline as a net.Error that
			// times out rather than as os.ErrDeadlineExceeded.
			var ne net.Error
			if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				return nil
			}
			return fmt.Errorf("write: %w", err)
		}
	}
}

// onlyReader hides a conn's WriterTo/ReaderFrom so io.Copy reads through
// the stack's Read, the path being measured.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// closeWrite half-closes c if it can, or closes it.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// RR bounces one byte back and forth over one connection for p.Duration
// and reports transactions per second and the mean and 99th percentile
// round-trip latency.
func RR(ctx context.Context, s Stack, p Params) ([]Metric, error) {
	ln, err := s.Listen()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	c, sc, err := pair(ctx, s, ln)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer sc.Close()
	dl := ioDeadline(p)
	c.SetDeadline(dl)
	sc.SetDeadline(dl)
	go echo(sc)

	var h latencyHist
	var b [1]byte
	start := time.Now()
	end := start.Add(p.Duration)
	for {
		t0 := time.Now()
		if t0.After(end) {
			break
		}
		if _, err := c.Write(b[:]); err != nil {
			return nil, fmt.Errorf("write: %w", err)
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		h.add(time.Since(t0))
	}
	elapsed := time.Since(start)
	if h.n == 0 {
		return nil, errors.New("no transaction completed")
	}
	return []Metric{
		{Name: "tps", Unit: "1/s", Value: float64(h.n) / elapsed.Seconds()},
		{Name: "mean", Unit: "µs", Value: h.mean().Seconds() * 1e6, LowerBetter: true},
		{Name: "p99", Unit: "µs", Value: h.quantile(0.99).Seconds() * 1e6, LowerBetter: true},
	}, nil
}

// echo writes back every byte it reads until the connection ends.
func echo(c net.Conn) {
	var b [1]byte
	for {
		if _, err := c.Read(b[:]); err != nil {
			return
		}
		if _, err := c.Write(b[:]); err != nil {
			return
		}
	}
}

// ConnRate opens and closes connections for p.Duration from p.Workers
// dialers at once and reports completed connections per second. The
// server closes each connection as soon as it accepts it and the client
// closes on end of stream, so TIME-WAIT lands on the server's side, as
// with an HTTP/1.0 server, and the client's ports are free at once.
func ConnRate(ctx context.Context, s Stack, p Params) ([]Metric, error) {
	ln, err := s.Listen()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	sd, _ := s.(SourceDialer)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(p.Duration)
	workers := max(p.Workers, 1)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [1]byte
			for time.Now().Before(end) {
				i := next.Add(1) - 1
				var c net.Conn
				var err error
				if sd != nil {
					// A fresh source address every connsPerSource connections keeps
					// clear of the server's TIME-WAIT tuples.
					c, err = sd.DialFrom(ctx, int(i/connsPerSource), ln.Addr())
				} else {
					c, err = s.Dial(ctx, ln.Addr())
				}
				if err == nil {
					c.SetDeadline(time.Now().Add(30 * time.Second))
					_, err = c.Read(b[:])
					if err == io.EOF {
						err = nil
					} else if err == nil {
						err = errors.New("server sent data")
					}
					c.Close()
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, fmt.Errorf("after %d connections: %w", next.Load(), firstErr)
	}
	return []Metric{{Name: "rate", Unit: "conn/s", Value: float64(next.Load()) / elapsed.Seconds()}}, nil
}

// connsPerSource is how many connections a run opens from one client
// address before moving to the next, well inside the 28,232 ephemeral
// ports of Linux's default ip_local_port_range.
const connsPerSource = 16384

// openConns opens n connections to ln with a bounded number of dials in
// flight, and returns both ends of each. When the stack can dial from
// several addresses, connection i comes from source firstSrc +
// i/connsPerSource, so a caller opening several batches gives each its
// own sources.
func openConns(ctx context.Context, s Stack, ln net.Listener, n, firstSrc int) (clients, servers []net.Conn, err error) {
	clients = make([]net.Conn, n)
	servers = make([]net.Conn, 0, n)
	accepted := make(chan error, 1)
	go func() {
		for len(servers) < n {
			c, err := ln.Accept()
			if err != nil {
				accepted <- err
				return
			}
			servers = append(servers, c)
		}
		accepted <- nil
	}()
	sd, _ := s.(SourceDialer)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var c net.Conn
			var err error
			if sd != nil {
				c, err = sd.DialFrom(ctx, firstSrc+i/connsPerSource, ln.Addr())
			} else {
				c, err = s.Dial(ctx, ln.Addr())
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("dial %d: %w", i, err)
			}
			clients[i] = c
		}()
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = <-accepted
	} else {
		ln.Close()
		<-accepted
	}
	if firstErr != nil {
		closeAll(clients)
		closeAll(servers)
		return nil, nil, firstErr
	}
	return clients, servers, nil
}

func closeAll(cs []net.Conn) {
	for _, c := range cs {
		if c != nil {
			c.Close()
		}
	}
}

// Idle opens p.Conns connections and lets them sit established, then
// as many again, and reports the Go heap and the goroutines the second
// batch cost per connection end, and the rate at which the second batch
// was opened (64 dials in flight, each accepted) (each connection has both its ends in
// this process; with the kernel the figure is only the Go side of the
// sockets, the kernel's memory is not counted). Measuring the second
// batch against the first leaves out one-time costs (tables growing,
// pools filling) and lets earlier runs' garbage settle.
func Idle(ctx context.Context, s Stack, p Params) ([]Metric, error) {
	ln, err := s.Listen()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	c1, s1, err := openConns(ctx, s, ln, p.Conns, 0)
	if err != nil {
		return nil, err
	}
	defer closeAll(c1)
	defer closeAll(s1)
	heap0, gr0 := settledHeap()
	start := time.Now()
	c2, s2, err := openConns(ctx, s, ln, p.Conns, (p.Conns+connsPerSource-1)/connsPerSource)
	if err != nil {
		return nil, err
	}
	setup := time.Since(start)
	defer closeAll(c2)
	defer closeAll(s2)
	heap1, gr1 := settledHeap()
	if p.steady != nil {
		p.steady()
	}
	runtime.KeepAlive(c1)
	runtime.KeepAlive(s1)
	ends := float64(2 * p.Conns)
	return []Metric{
		{Name: "heap/conn end", Unit: "B", Value: float64(int64(heap1)-int64(heap0)) / ends, LowerBetter: true},
		{Name: "goroutines/conn end", Unit: "", Value: float64(gr1-gr0) / ends, LowerBetter: true},
		{Name: "open rate", Unit: "conn/s", Value: float64(p.Conns) / setup.Seconds()},
	}, nil
}

// settledHeap collects garbage until the live heap stops shrinking and
// returns it with the number of goroutines. Stacks closed by an earlier
// run may still be winding down (goroutines exiting, timers firing), so
// one collection is not enough; sync.Pool's victim caches need two. The
// goroutine count is the least of several readings over 100 ms: a timer
// callback (a delayed ACK, a keepalive) runs on a goroutine of its own for
// a moment, while a goroutine a connection keeps shows in every reading.
func settledHeap() (uint64, int) {
	heap := settleHeap()
	gr := runtime.NumGoroutine()
	for range 10 {
		time.Sleep(10 * time.Millisecond)
		gr = min(gr, runtime.NumGoroutine())
	}
	return heap, gr
}

// settleHeap is settledHeap's collection loop.
func settleHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	last := ms.HeapAlloc
	for range 20 {
		time.Sleep(10 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc+ms.HeapAlloc/200 >= last {
			break
		}
		last = ms.HeapAlloc
	}
	return ms.HeapAlloc
}

// Many opens p.Conns connections, then has each send data for
// p.Duration at once, and reports the aggregate goodput (bytes read by
// the end over the time taken) and Jain's fairness index over the bytes
// each connection delivered (1 is perfectly fair, 1/n is one connection
// taking everything).
func Many(ctx context.Context, s Stack, p Params) ([]Metric, error) {
	ln, err := s.Listen()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	clients, servers, err := openConns(ctx, s, ln, p.Conns, 0)
	if err != nil {
		return nil, err
	}
	defer closeAll(clients)
	defer closeAll(servers)
	if p.steady != nil {
		p.steady()
	}
	got := make([]atomic.Int64, len(servers))
	for i, sc := range servers {
		go count(sc, &got[i], p.Chunk)
	}
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(p.Duration)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := writeUntil(c, make([]byte, p.Chunk), end); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, firstErr
	}
	var sum, sq float64
	for i := range got {
		n := float64(got[i].Load())
		sum += n
		sq += n * n
	}
	fair := 0.0
	if sq > 0 {
		fair = sum * sum / (float64(len(got)) * sq)
	}
	return []Metric{
		{Name: "goodput", Unit: "Gbit/s", Value: sum * 8 / elapsed.Seconds() / 1e9},
		{Name: "fairness", Unit: "Jain", Value: fair},
	}, nil
}
