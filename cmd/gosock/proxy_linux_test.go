//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosock/gosock/intercept"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/tcp"
	"github.com/gosock/gosock/udp"
)

// proxyBytes is the body the test's kernel HTTP server sends for
// /bytes/N: N bytes from a generator seeded with N.
func proxyBytes(n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)})
	b := make([]byte, n)
	r.Read(b)
	return b
}

// syncBuffer is a bytes.Buffer safe for the proxy's log and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProxyDirect is the tun2socks case end to end: a network namespace
// ("client") whose default route points into a gosock TUN device, and a
// second one ("server") with a kernel HTTP server and a UDP echo server
// on 10.99.0.1, reachable from the client only through `gosock proxy
// --via direct`, which runs here with its outgoing sockets in the server
// namespace. curl and a UDP client reach the servers; 1,000 short
// connections and 10 long transfers check out; afterwards every flow is
// counted closed and gosock holds no socket but its two interceptors
// (and TIME-WAIT remnants).
func TestProxyDirect(t *testing.T) { testProxy(t, false, 1000, 10) }

// TestProxySOCKS5 is the same through a SOCKS5 server in the server
// namespace (--via socks5://10.99.0.1:1080), with fewer connections.
func TestProxySOCKS5(t *testing.T) { testProxy(t, true, 200, 4) }

func testProxy(t *testing.T, socks bool, short, long int) {
	nettest.RequireTUN(t)
	curl := needTool(t, "curl")
	client, server := nettest.New(t), nettest.New(t)
	server.AddAddr(t, "lo", "10.99.0.1/32")
	server.AddAddr(t, "lo", "fd99::1/128", "nodad")

	var (
		hln, hln6 net.Listener
		upc, upc6 net.PacketConn
	)
	if err := server.Do(func() (err error) {
		if hln, err = net.Listen("tcp", "10.99.0.1:80"); err != nil {
			return err
		}
		if hln6, err = net.Listen("tcp", "[fd99::1]:80"); err != nil {
			return err
		}
		if upc6, err = net.ListenPacket("udp", "[fd99::1]:7"); err != nil {
			return err
		}
		upc, err = net.ListenPacket("udp", "10.99.0.1:7")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/"))
		if err != nil || n < 0 || n > 64<<20 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(proxyBytes(n))
	})}
	go hs.Serve(hln)
	go hs.Serve(hln6)
	defer hs.Close()
	for _, pc := range []net.PacketConn{upc, upc6} {
		go func() {
			buf := make([]byte, 65535)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo(buf[:n], from)
			}
		}()
		defer pc.Close()
	}

	via := "direct"
	var srv *socksServer
	if socks {
		var sln net.Listener
		if err := server.Do(func() (err error) { sln, err = net.Listen("tcp", "10.99.0.1:1080"); return err }); err != nil {
			t.Fatal(err)
		}
		srv = &socksServer{ln: sln,
			dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return hostDial(ctx, server.Name, network, addr)
			},
			listen: func(network, addr string) (pc net.PacketConn, err error) {
				err = server.Do(func() error { pc, err = net.ListenPacket(network, addr); return err })
				return pc, err
			}}
		go srv.serve()
		defer srv.close()
		via = "socks5://10.99.0.1:1080"
	}

	// Without the proxy the client has no way to the servers.
	if out, err := client.Command(curl, "-sS", "--max-time", "2", "http://10.99.0.1/bytes/1").CombinedOutput(); err == nil {
		t.Fatalf("the server is reachable without the proxy: %s", out)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ctl := filepath.Join(t.TempDir(), "proxy.sock")
	readyc := make(chan *proxy, 1)
	var logs syncBuffer
	cfg := proxyConfig{
		tun: tunConfig{name: "gsproxy0", addrs: mustPrefixes(t, "10.200.0.1/24,fd20::1/64"), peerAddrs: mustPrefixes(t, "10.200.0.2/24,fd20::2/64"),
			netnsName: client.Name, mtu: 1500, control: ctl},
		via: via, outNetns: server.Name, idle: time.Second, pending: 128, peerRoute: true,
		ready: func(p *proxy) { readyc <- p },
	}
	errc := make(chan error, 1)
	go func() { errc <- proxyMain(ctx, cfg, io.Discard, &logs) }()
	var p *proxy
	select {
	case p = <-readyc:
	case err := <-errc:
		t.Fatalf("proxy: %v\n%s", err, logs.String())
	}
	defer func() {
		stop()
		if err := <-errc; err != nil {
			t.Errorf("proxy: %v", err)
		}
		t.Logf("proxy log:\n%s", logs.String())
	}()

	if f := os.Getenv("GOSOCK_PROXY_TEST_PCAP"); f != "" {
		// A capture of the client's side of the device, for debugging.
		cmd := client.Command("tcpdump", "-i", "gsproxy0", "-w", f, "-U", "-s", "128")
		if err := cmd.Start(); err == nil {
			time.Sleep(time.Second) // tcpdump has no readiness signal; debugging only
			defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
		}
	}

	// curl, from the kernel of the client namespace.
	want := sha256.Sum256(proxyBytes(1 << 20))
	out, err := client.Command(curl, "-sS", "--max-time", "30", "http://10.99.0.1/bytes/1048576").Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	if sha256.Sum256(out) != want {
		t.Fatalf("curl: %d bytes, checksum differs", len(out))
	}
	// And over IPv6 (IPV6_TRANSPARENT).
	out, err = client.Command(curl, "-sS", "--max-time", "30", "http://[fd99::1]/bytes/65536").Output()
	if err != nil {
		t.Fatalf("curl over IPv6: %v", err)
	}
	if !bytes.Equal(out, proxyBytes(65536)) {
		t.Fatalf("curl over IPv6: %d bytes, checksum differs", len(out))
	}

	// A UDP client in the client namespace, over IPv4 and IPv6.
	buf := make([]byte, 2048)
	for _, dst := range []string{"10.99.0.1:7", "[fd99::1]:7"} {
		var uc net.Conn
		if err := client.Do(func() (err error) { uc, err = net.Dial("udp", dst); return err }); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			msg := fmt.Sprintf("datagram %d", i)
			if _, err := uc.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			uc.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := uc.Read(buf)
			if err != nil || string(buf[:n]) != msg {
				t.Fatalf("udp echo %d to %s: %q, %v", i, dst, buf[:n], err)
			}
		}
		uc.Close()
	}

	// Go's HTTP client, its sockets made in the client namespace, one
	// connection per request.
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			err := client.Do(func() (err error) {
				var d net.Dialer
				c, err = d.DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
	}}
	get := func(n int) error {
		resp, err := hc.Get("http://10.99.0.1/bytes/" + strconv.Itoa(n))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		h := sha256.New()
		if _, err := io.Copy(h, resp.Body); err != nil {
			return fmt.Errorf("GET /bytes/%d: %w", n, err)
		}
		if !bytes.Equal(h.Sum(nil), sha(proxyBytes(n))) {
			return fmt.Errorf("GET /bytes/%d: checksum differs", n)
		}
		return nil
	}
	longSize := 8 << 20
	if israce.Enabled {
		longSize = 2 << 20
	}
	var wg sync.WaitGroup
	errs := make(chan error, short+long)
	for i := range long {
		wg.Go(func() { errs <- get(longSize + i) })
	}
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for n := range work {
				errs <- get(n)
			}
		})
	}
	ssDuring := ""
	for i := range short {
		work <- 100 + i
		if i == short/2 {
			// The live flows, as `gosock ss` shows them: the local
			// address is the original destination.
			var b bytes.Buffer
			if err := runSS([]string{"-tn", "--control", ctl}, &b, &b); err != nil {
				t.Errorf("gosock ss: %v", err)
			}
			ssDuring = b.String()
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed < 5 {
				t.Error(err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d requests failed", failed, short+long)
	}
	if !strings.Contains(ssDuring, "10.99.0.1]:80") { // a v4-mapped address: the interceptor is dual-stack
		t.Errorf("gosock ss during the transfers shows no flow to 10.99.0.1:80:\n%s", ssDuring)
	}

	// Every flow released: wait for the relay's own account (the UDP
	// flow ends after its idle second), bounded.
	deadline := time.Now().Add(20 * time.Second)
	for p.st.TCPActive.Load() != 0 || p.st.UDPActive.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("flows still open: %+v", p.stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := p.stats()
	wantTCP := int64(2 + short + long)
	if s.TCPOpened != wantTCP || s.TCPClosed != wantTCP || s.TCPFailed != 0 {
		t.Errorf("tcp flows: opened %d closed %d failed %d, want %d/%d/0", s.TCPOpened, s.TCPClosed, s.TCPFailed, wantTCP, wantTCP)
	}
	if s.UDPOpened != 2 || s.UDPClosed != 2 || s.UDP.IdleExpired != 2 || s.DatagramsUp != 40 || s.DatagramsDown != 40 {
		t.Errorf("udp: %+v", s)
	}
	if s.TCP.Accepted != uint64(wantTCP) || s.TCP.Overflows != 0 || s.TCP.NoSocket != 0 {
		t.Errorf("tcp interceptor: %+v", s.TCP)
	}
	// The stack's sockets: the listening interceptor and connections in
	// TIME-WAIT (gosock closed first, after the server did); no other.
	for _, si := range tcp.Of(p.inst.ns).Sockets() {
		if si.State != tcp.Listen && si.State != tcp.TimeWait {
			t.Errorf("TCP socket left: %v %v -> %v", si.State, si.Local, si.Remote)
		}
	}
	if n := udpSockets(p); n != 2 {
		t.Errorf("%d UDP sockets, want the interceptor's two (IPv4, IPv6) only", n)
	}
	var sb bytes.Buffer
	if err := runProxyStats([]string{"--control", ctl}, &sb, &sb); err != nil {
		t.Errorf("gosock proxy stats: %v", err)
	}
	if !strings.Contains(sb.String(), fmt.Sprintf("tcp  active 0  opened %d  closed %d", wantTCP, wantTCP)) {
		t.Errorf("gosock proxy stats:\n%s", sb.String())
	}
	t.Logf("gosock proxy stats:\n%s", sb.String())
	if !socks {
		slowInterceptor(t, p, client, curl, get)
	}
	if srv != nil {
		srv.mu.Lock()
		if srv.connects != int(wantTCP) || srv.associates != 2 {
			t.Errorf("the SOCKS5 server saw %d CONNECTs and %d ASSOCIATEs, want %d and 2", srv.connects, srv.associates, wantTCP)
		}
		srv.mu.Unlock()
	}
}

func sha(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// udpSockets counts the UDP sockets bound in the proxy's namespace.
func udpSockets(p *proxy) int {
	n := 0
	for port := 1; port < 65536; port++ {
		n += len(udp.Of(p.inst.ns).Table().Socks(uint16(port)))
	}
	return n
}

func mustPrefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	ps, err := parsePrefixes(s)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// slowInterceptor puts a second interceptor in the proxy's namespace,
// ahead of the proxy's own, for port 81, and never accepts from it: of
// five clients two wait in its pending queue and three are refused at
// once, counted, while the proxy keeps relaying port 80.
func slowInterceptor(t *testing.T, p *proxy, client *nettest.NS, curl string, get func(int) error) {
	stuck, err := intercept.Listen(p.inst.ns, []intercept.Rule{{Ports: []netns.PortRange{{First: 81, Last: 81}}}},
		&intercept.Options{Pending: 2, Overflow: netns.OverflowRefuse, Priority: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	codes := make(chan int, 5)
	for range 5 {
		go func() {
			err := client.Command(curl, "-sS", "--connect-timeout", "3", "http://10.99.0.1:81/").Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			codes <- code
		}()
	}
	for i := range 20 {
		if err := get(1000 + i); err != nil {
			t.Errorf("the proxy beside a stuck interceptor: %v", err)
		}
	}
	refused, held := 0, 0
	for range 5 {
		switch c := <-codes; c {
		case 7: // couldn't connect: refused
			refused++
		case 28: // timed out: held, never accepted
			held++
		default:
			t.Errorf("curl to the stuck interceptor exited %d", c)
		}
	}
	c := stuck.Counters()
	if refused != 3 || held != 2 || c.Overflows != 3 || c.Refused != 3 || c.Accepted != 0 {
		t.Errorf("stuck interceptor: %d refused, %d held, counters %+v; want 3, 2", refused, held, c)
	}
}
