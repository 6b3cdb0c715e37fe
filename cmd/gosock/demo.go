package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/wire"
)

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	latency := fs.Duration("latency", 10*time.Millisecond, "one-way latency of each virtual wire")
	loss := fs.Float64("loss", 0.0, "loss rate on the alice-router wire (0..1)")
	seed := fs.Int64("seed", 1, "seed for every random choice, so runs repeat")
	pcapFile := fs.String("pcap", "", "also write alice's traffic to this pcap file")
	count := fs.Int("count", 3, "echo requests per destination")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock demo [flags]")
		fmt.Fprintln(stderr, "\nBuilds alice - router - bob as three namespaces joined by in-memory wires,")
		fmt.Fprintln(stderr, "pings across the router over IPv4 and IPv6 (one ping large enough to be")
		fmt.Fprintln(stderr, "fragmented), then prints routes, neighbours, counters and decoded packets.")
		fmt.Fprintln(stderr, "Needs no privileges.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	d := &demo{out: stdout, start: time.Now()}
	return d.run(*latency, *loss, *seed, *pcapFile, *count)
}

type demo struct {
	out   io.Writer
	start time.Time
}

func (d *demo) printf(format string, a ...any) { fmt.Fprintf(d.out, format, a...) }

func (d *demo) run(latency time.Duration, loss float64, seed int64, pcapFile string, count int) error {
	alice := gosock.NewNamespace(netns.Options{Name: "alice", Seed: uint64(seed)})
	router := gosock.NewNamespace(netns.Options{Name: "router", Seed: uint64(seed) + 1})
	bob := gosock.NewNamespace(netns.Options{Name: "bob", Seed: uint64(seed) + 2})
	defer alice.Close()
	defer router.Close()
	defer bob.Close()

	var capture lockedBuffer // frames keep coming (late ACKs, MLD) while we read it
	pw, err := pcap.NewWriter(&capture, pcap.LinkTypeEthernet, 65535)
	if err != nil {
		return err
	}
	imp := func(s int64, l float64) link.Impairments {
		return link.Impairments{Latency: latency, Loss: l, Seed: seed*10 + s}
	}
	// alice <-> router, captured at alice's end.
	a0, r0 := link.NewPipe(link.PipeConfig{Names: [2]string{"eth0", "eth0"}, AtoB: imp(1, loss), BtoA: imp(2, loss)})
	sniff, err := link.NewSniffer(a0, pw, alice.Clock())
	if err != nil {
		return err
	}
	r1, b0 := link.NewPipe(link.PipeConfig{Names: [2]string{"eth1", "eth0"}, AtoB: imp(3, 0), BtoA: imp(4, 0)})
	type cfg struct {
		ns    *netns.Namespace
		dev   link.Device
		addrs []string
	}
	for _, c := range []cfg{
		{alice, sniff, []string{"10.1.0.2/24", "2001:db8:1::2/64"}},
		{router, r0, []string{"10.1.0.1/24", "2001:db8:1::1/64"}},
		{router, r1, []string{"10.2.0.1/24", "2001:db8:2::1/64"}},
		{bob, b0, []string{"10.2.0.2/24", "2001:db8:2::2/64"}},
	} {
		ifc, err := c.ns.AddInterface(c.dev)
		if err != nil {
			return err
		}
		if err := ifc.SetUp(true); err != nil {
			return err
		}
		for _, a := range c.addrs {
			// The demo skips duplicate address detection so it starts at once.
			if err := ifc.AddAddressFlags(netip.MustParsePrefix(a), netns.AddrNoDAD); err != nil {
				return err
			}
		}
	}
	for _, r := range []struct {
		ns  *netns.Namespace
		dst string
		gw  string
	}{
		{alice, "0.0.0.0/0", "10.1.0.1"}, {alice, "::/0", "2001:db8:1::1"},
		{bob, "0.0.0.0/0", "10.2.0.1"}, {bob, "::/0", "2001:db8:2::1"},
	} {
		if err := r.ns.AddRoute(netns.Route{Dst: netip.MustParsePrefix(r.dst), Gateway: netip.MustParseAddr(r.gw)}); err != nil {
			return fmt.Errorf("route %s via %s in %s: %w", r.dst, r.gw, r.ns.Name(), err)
		}
	}
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		if err := router.Sysctl.Set(k, "1"); err != nil {
			return err
		}
	}

	d.printf("gosock demo: three network namespaces in one process, no privileges needed\n\n")
	d.printf("  alice eth0 10.1.0.2 2001:db8:1::2\n")
	d.printf("      | %v one way, %.1f%% loss\n", latency, loss*100)
	d.printf("  router eth0 10.1.0.1 2001:db8:1::1 / eth1 10.2.0.1 2001:db8:2::1   (forwarding on)\n")
	d.printf("      | %v one way\n", latency)
	d.printf("  bob eth0 10.2.0.2 2001:db8:2::2\n\n")

	p := pinger.New(alice, 0x4242)
	for _, dst := range []string{"10.2.0.2", "2001:db8:2::2"} {
		d.ping(p, netip.MustParseAddr(dst), count, 56)
	}
	d.ping(p, netip.MustParseAddr("10.2.0.2"), 1, 4000)
	d.ping(p, netip.MustParseAddr("2001:db8:2::2"), 1, 4000)
	if err := d.http(alice, bob); err != nil {
		return err
	}

	d.printf("alice$ ip route\n")
	for _, v6 := range []bool{false, true} {
		for _, r := range alice.Routes(v6) {
			if r.Table == netns.TableMain {
				d.printf("  %s\n", r.String())
			}
		}
	}
	d.printf("\nalice$ ip neigh\n")
	ifc := alice.InterfaceByName("eth0")
	for _, v := range []int{4, 6} {
		for _, e := range ifc.Neighbours(v).Entries() {
			d.printf("  %s dev eth0 lladdr %s %s\n", e.Addr, e.MAC, e.State)
		}
	}
	up := time.Since(d.start)
	var counters strings.Builder
	writeNstat(&counters, takeNstat(alice), up, []string{"Tcp*"})
	d.printf("\nalice$ nstat 'Tcp*'\n%s", indented(counters.String()))
	counters.Reset()
	writeNstat(&counters, takeNstat(router), up, nil)
	d.printf("\nrouter$ nstat\n%s", indented(counters.String()))

	if err := pw.Flush(); err != nil {
		return err
	}
	if pcapFile != "" {
		if err := os.WriteFile(pcapFile, capture.Snapshot(), 0o644); err != nil {
			return err
		}
	}
	d.printf("\nalice$ tcpdump -i eth0 -c 8 (decoded by gosock's wire package)\n")
	r, err := pcap.NewReader(bytes.NewReader(capture.Snapshot()))
	if err != nil {
		return err
	}
	var first time.Time
	for i := 0; i < 8; i++ {
		pkt, err := r.Next()
		if err != nil {
			break
		}
		if first.IsZero() {
			first = pkt.Timestamp
		}
		eth, err := wire.ParseEthernet(pkt.Data)
		if err != nil {
			continue
		}
		d.printf("  %8.3fms %s\n", float64(pkt.Timestamp.Sub(first).Microseconds())/1000, eth.String())
	}
	if pcapFile != "" {
		d.printf("\nfull capture written to %s (open it with tshark or Wireshark)\n", pcapFile)
	}
	return nil
}

// http serves HTTP from bob on gosock's TCP and fetches from alice across
// the router, over IPv4 and IPv6, through the standard net/http package.
func (d *demo) http(alice, bob *netns.Namespace) error {
	ln, err := gonet.Listen(bob, "tcp", ":80")
	if err != nil {
		return err
	}
	body := bytes.Repeat([]byte("gosock "), 1<<17) // 896 KiB
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(body)
			return
		}
		fmt.Fprintf(w, "hello %s, this is bob speaking gosock TCP\n", r.RemoteAddr)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	tr := &http.Transport{DialContext: (&gonet.Dialer{Namespace: alice}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for _, url := range []string{"http://10.2.0.2/", "http://[2001:db8:2::2]/big"} {
		d.printf("alice$ curl %s\n", url)
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			d.printf("  error: %v\n\n", err)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err != nil {
			d.printf("  error reading the body: %v\n\n", err)
			continue
		}
		if len(b) < 200 {
			d.printf("  %s  %s", resp.Status, b)
		} else {
			d.printf("  %s  %d bytes in %v (%.1f Mbit/s)\n", resp.Status, len(b), took.Round(time.Millisecond),
				float64(len(b))*8/took.Seconds()/1e6)
		}
		d.printf("\n")
	}
	// The keep-alive connections are still open: show them as ss does.
	var table strings.Builder
	writeSS(&table, takeSS(bob), ssOptions{tcp: true, all: true})
	d.printf("bob$ ss -tan\n%s\n", indented(table.String()))
	table.Reset()
	writeSS(&table, takeSS(alice), ssOptions{tcp: true, info: true})
	d.printf("alice$ ss -tni\n%s\n", indented(table.String()))
	return nil
}

// lockedBuffer is a bytes.Buffer safe to write from the devices'
// goroutines while the demo reads a snapshot.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Snapshot returns a copy of what was written so far.
func (b *lockedBuffer) Snapshot() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// ping prints lines in the style of Linux's ping.
func (d *demo) ping(p *pinger.Pinger, dst netip.Addr, count, size int) {
	prog := "ping"
	if dst.Is6() {
		prog = "ping -6"
	}
	d.printf("alice$ %s -c %d -s %d %s\n", prog, count, size, dst)
	received := 0
	for i := 1; i <= count; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r, err := p.Ping(ctx, dst, uint16(i), size)
		cancel()
		if err != nil {
			d.printf("  no reply for icmp_seq=%d (%v)\n", i, err)
			continue
		}
		received++
		ttl := "ttl"
		if dst.Is6() {
			ttl = "hlim"
		}
		d.printf("  %d bytes from %s: icmp_seq=%d %s=%d time=%.1f ms\n", r.Size+8, r.From, r.Seq, ttl, r.TTL, float64(r.RTT.Microseconds())/1000)
	}
	d.printf("  --- %s ping statistics ---\n  %d packets transmitted, %d received, %d%% packet loss\n\n",
		dst, count, received, (count-received)*100/count)
}
