package gonet_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/gosock/gosock/clock"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pcap"
)

// web is an HTTP server in one namespace and a client in another, joined
// by a pipe.
type web struct {
	client, server *netns.Namespace
	srv            *http.Server
	tr             *http.Transport
	hc             *http.Client
	served         chan error
}

// netConfig describes the virtual network of a web test.
type netConfig struct {
	imp   link.Impairments
	pcap  io.Writer // if set, the client's end of the pipe is captured
	seeds [2]uint64
	clk   clock.Clock // nil: the standard clock
}

// newWeb builds the network, starts the server and makes the client.
// The server answers /n with n bytes (n < 1 MiB) and echoes POST bodies.
func newWeb(t testing.TB, cfg netConfig) *web {
	t.Helper()
	if cfg.seeds == [2]uint64{} {
		cfg.seeds = [2]uint64{1, 2}
	}
	w := &web{
		client: gosock.NewNamespace(netns.Options{Name: "client", Seed: cfg.seeds[0], Clock: cfg.clk}),
		server: gosock.NewNamespace(netns.Options{Name: "server", Seed: cfg.seeds[1], Clock: cfg.clk}),
	}
	ab, ba := cfg.imp, cfg.imp
	ba.Seed = cfg.imp.Seed + 1
	ea, eb := link.NewPipe(link.PipeConfig{Names: [2]string{"eth0", "eth0"}, AtoB: ab, BtoA: ba, Clock: cfg.clk})
	var devA link.Device = ea
	var sniffer *pcap.Writer
	if cfg.pcap != nil {
		var err error
		if sniffer, err = pcap.NewWriter(cfg.pcap, link.PcapLinkType(ea.Type()), 0); err != nil {
			t.Fatal(err)
		}
		if devA, err = link.NewSniffer(ea, sniffer, w.client.Clock()); err != nil {
			t.Fatal(err)
		}
	}
	attach(t, w.client, devA, "10.0.0.1/24")
	attach(t, w.server, eb, "10.0.0.2/24")
	gonet.SetHosts(w.client, map[string][]netip.Addr{"server": {netip.MustParseAddr("10.0.0.2")}})

	ln, err := gonet.Listen(w.server, "tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	w.srv = &http.Server{Handler: http.HandlerFunc(handle)}
	w.served = make(chan error, 1)
	go func() { w.served <- w.srv.Serve(ln) }()

	d := &gonet.Dialer{Namespace: w.client, Timeout: 30 * time.Second}
	w.tr = &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 8}
	w.hc = &http.Client{Transport: w.tr}
	t.Cleanup(func() {
		w.tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := w.srv.Shutdown(ctx); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		if err := <-w.served; err != http.ErrServerClosed {
			t.Errorf("Serve: %v", err)
		}
		// Let the connections' FINs cross before the wire goes.
		time.Sleep(time.Second)
		w.client.Close()
		w.server.Close()
		if sniffer != nil {
			sniffer.Flush()
		}
	})
	return w
}

func attach(t testing.TB, ns *netns.Namespace, dev link.Device, prefix string) {
	t.Helper()
	ifc, err := ns.AddInterface(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := ifc.SetUp(true); err != nil {
		t.Fatal(err)
	}
	if err := ifc.AddAddress(netip.MustParsePrefix(prefix)); err != nil {
		t.Fatal(err)
	}
}

func handle(rw http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		// Read it all first: net/http's HTTP/1 server is not full duplex.
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		rw.Write(b)
		return
	}
	var n int
	fmt.Sscanf(r.URL.Path, "/%d", &n)
	rw.Header().Set("Content-Type", "application/octet-stream")
	rw.Write(body(n))
}

// body returns n bytes of a fixed pattern.
func body(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// get fetches /n and checks the body.
func (w *web) get(t testing.TB, n int) error {
	resp, err := w.hc.Get(fmt.Sprintf("http://server/%d", n))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || !bytes.Equal(b, body(n)) {
		return fmt.Errorf("GET /%d: status %d, %d bytes", n, resp.StatusCode, len(b))
	}
	return nil
}

func TestHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t, netConfig{imp: link.Impairments{Latency: 20 * time.Millisecond}})
		start := time.Now()
		for _, n := range []int{0, 1, 1000, 100 << 10} {
			if err := w.get(t, n); err != nil {
				t.Fatal(err)
			}
		}
		// A POST echoed back.
		payload := body(50 << 10)
		resp, err := w.hc.Post("http://server/echo", "application/octet-stream", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("POST echo: %d bytes, %v", len(got), err)
		}
		// Requests in parallel, on several connections.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if err := w.get(t, 1000*i); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		t.Logf("simulated time %v", time.Since(start))
	})
}

// runRequests runs n sequential GETs of size bytes each across a pipe
// with 100 ms latency and 1% loss (seeded), in a synctest bubble, and
// returns the simulated time they took and the capture's SHA-256.
func runRequests(t *testing.T, n, size int, bandwidth int64) (simulated time.Duration, sum [32]byte) {
	simulated, capture := runRequestsCapture(t, n, size, bandwidth, false)
	return simulated, sha256.Sum256(capture)
}

// runRequestsCapture runs the requests and returns the client's capture.
// ordered runs the namespaces and the wire on a clock.Ordered, which
// makes the run a function of its seeds.
func runRequestsCapture(t *testing.T, n, size int, bandwidth int64, ordered bool) (simulated time.Duration, pcapFile []byte) {
	var capture bytes.Buffer
	synctest.Test(t, func(t *testing.T) {
		var clk clock.Clock
		if ordered {
			o := clock.NewOrdered(synctest.Wait)
			t.Cleanup(o.Close) // after newWeb's clean-up, which still needs the clock
			clk = o
		}
		w := newWeb(t, netConfig{
			imp:  link.Impairments{Latency: 100 * time.Millisecond, Loss: 0.01, Seed: 42, Bandwidth: bandwidth},
			pcap: &capture,
			clk:  clk,
		})
		start := time.Now()
		for i := range n {
			if err := w.get(t, size); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		simulated = time.Since(start)
	})
	return simulated, capture.Bytes()
}

// TestHTTPLossy1000 is the scenario: 1,000 requests across a
// pipe with 100 ms latency and 1% loss (seeded), minutes of simulated
// time in about a second of wall time.
func TestHTTPLossy1000(t *testing.T) {
	wall := time.Now()
	sim, sum := runRequests(t, 1000, 2000, 0)
	t.Logf("1000 requests: simulated %v, wall %v, capture sha256 %x", sim, time.Since(wall), sum)
	if sim < 200*time.Second {
		t.Errorf("simulated time %v, want at least 1,000 round trips of 200 ms", sim)
	}
}

// TestHTTPDeterministic runs the same lossy exchange twice with the same
// seeds on the standard clock and compares the packet captures.
//
// On the standard clock, simulated time does not order events that fall
// on the same instant: the goroutines runnable then (the pipe's delivery
// goroutines, the timers' callbacks, the applications) run in whatever
// order the Go scheduler picks. On a wire with a bandwidth every frame
// arrives at its own instant and the bubble settles between two arrivals,
// so short exchanges give identical captures. Without one, the frames of a
// burst arrive at the same instant, and whether the pipe's goroutine or
// the HTTP client draining the receive queue goes first shows in the
// window of the ACKs and in the order the capture writes frames of the
// same instant; that variant compares the captures with the window masked
// and each instant's records sorted. clock.Ordered removes the freedom
// altogether (TestHTTPOrderedRepeats).
func TestHTTPDeterministic(t *testing.T) {
	t.Run("Bandwidth", func(t *testing.T) {
		_, a := runRequests(t, 50, 5000, 10e6)
		_, b := runRequests(t, 50, 5000, 10e6)
		if a != b {
			t.Errorf("captures differ: sha256 %x then %x", a, b)
		} else {
			t.Logf("both captures: sha256 %x", a)
		}
	})
	t.Run("NoBandwidth", func(t *testing.T) {
		_, a := runRequestsCapture(t, 50, 5000, 0, false)
		_, b := runRequestsCapture(t, 50, 5000, 0, false)
		ma, mb := maskTCPWindow(t, a), maskTCPWindow(t, b)
		if ma != mb {
			t.Errorf("captures differ beyond the TCP window: masked sha256 %x then %x", ma, mb)
		}
		t.Logf("raw captures: sha256 %x, %x (equal: %v); window masked: %x", sha256.Sum256(a), sha256.Sum256(b),
			bytes.Equal(a, b), ma)
	})
}

// maskTCPWindow returns the SHA-256 of a capture's records (timestamps,
// lengths and bytes) with the window and checksum of IPv4 TCP segments
// zeroed, and the records of each instant sorted, so that frames sent and
// received at the same instant compare equal whichever the capture wrote
// first.
func maskTCPWindow(t *testing.T, capture []byte) [32]byte {
	r, err := pcap.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b := p.Data
		if len(b) >= 14+20 && b[12] == 0x08 && b[13] == 0x00 && b[14+9] == 6 {
			if tcp := b[14+int(b[14]&0xf)*4:]; len(tcp) >= 20 {
				clear(tcp[14:18]) // window, checksum
			}
		}
		recs = append(recs, fmt.Sprintf("%020d %d %x", p.Timestamp.UnixNano(), p.OrigLen, b))
	}
	slices.Sort(recs)
	return sha256.Sum256([]byte(strings.Join(recs, "\n")))
}

// TestHTTPOrderedRepeats is the scenario on a clock.Ordered:
// 1,000 requests across 100 ms latency and 1% loss, twice with the same
// seeds, must give byte-identical captures.
func TestHTTPOrderedRepeats(t *testing.T) {
	sim, a := runRequestsCapture(t, 1000, 2000, 0, true)
	_, b := runRequestsCapture(t, 1000, 2000, 0, true)
	if !bytes.Equal(a, b) {
		t.Fatalf("captures differ: sha256 %x then %x (%d and %d bytes)", sha256.Sum256(a), sha256.Sum256(b), len(a), len(b))
	}
	t.Logf("1000 requests twice: simulated %v each, identical captures of %d bytes, sha256 %x", sim, len(a), sha256.Sum256(a))
}

var _ net.Conn = (*gonet.Conn)(nil)
