package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/internal/services"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/tcp"
)

// tunConfig is what `gosock tun` was asked to do.
type tunConfig struct {
	name      string
	addrs     []netip.Prefix // gosock's
	peerAddrs []netip.Prefix // the kernel's, configured if given
	netnsName string
	serve     []services.Spec
	pcapFile  string
	mtu       int
	control   string
	noRoute   bool
	noOffload bool // open the device without IFF_VNET_HDR offloads
	get       string
	output    string
	connect   string
	stdin     io.Reader
}

func runTun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg tunConfig
	fs.StringVar(&cfg.name, "name", "gosock0", "name of the TUN interface to create")
	addr := fs.String("addr", "", "gosock's address(es) on the device, comma-separated prefixes (e.g. 10.7.0.2/24); required")
	peer := fs.String("peer-addr", "", "also configure these address(es) on the kernel's side of the device")
	fs.StringVar(&cfg.netnsName, "netns", "", "create the device in this network namespace (ip netns add NAME)")
	serve := fs.String("serve", "", "services to run, e.g. echo:7,discard:9,http:80,chargen:19,daytime:13")
	fs.StringVar(&cfg.pcapFile, "pcap", "", "write every frame of the device to this pcap file")
	fs.IntVar(&cfg.mtu, "mtu", 1500, "MTU of the device")
	fs.StringVar(&cfg.control, "control", "", "control socket for ss, nstat, capture and ping (default /run/gosock/[NETNS/]NAME.sock)")
	fs.BoolVar(&cfg.noRoute, "no-default-route", false, "do not route every destination through the device")
	fs.BoolVar(&cfg.noOffload, "no-offload", false, "open the device without IFF_VNET_HDR checksum and segmentation offload (plain MTU-sized frames)")
	fs.StringVar(&cfg.get, "get", "", "client mode: fetch this http:// URL through gosock, print its size and SHA-256, and exit")
	fs.StringVar(&cfg.output, "o", "", "with --get: write the body to this file (default: discard it)")
	fs.StringVar(&cfg.connect, "connect", "", "client mode: connect to HOST:PORT over gosock's TCP, copy standard input to it and it to standard output (as nc), and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock tun --addr PREFIX [--peer-addr PREFIX] [--netns NAME] [--serve LIST] [--pcap FILE]")
		fmt.Fprintln(stderr, "       gosock tun --addr PREFIX ... --get http://ADDR[:PORT]/PATH [-o FILE]")
		fmt.Fprintln(stderr, "       gosock tun --addr PREFIX ... --connect ADDR:PORT")
		fmt.Fprintln(stderr, "\nBrings gosock up on a Linux TUN device, so the host's kernel and its tools (curl,")
		fmt.Fprintln(stderr, "wrk, nc, ping) talk to gosock's TCP/IP stack. It serves the chosen services until")
		fmt.Fprintln(stderr, "Ctrl-C, then closes every connection (with a FIN) and removes the device. With")
		fmt.Fprintln(stderr, "--get or --connect gosock is the client instead. `gosock ss`, `nstat`, `capture` and `ping`")
		fmt.Fprintln(stderr, "talk to a running instance. Needs root (CAP_NET_ADMIN) and /dev/net/tun.")
		fmt.Fprintln(stderr, "\nHTTP serves /bytes/N (N seeded pseudo-random bytes) and /zeros/N.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q (see gosock help tun)", fs.Arg(0))
	}
	var err error
	if *addr == "" {
		return errors.New("--addr is required, e.g. --addr 10.7.0.2/24")
	}
	if cfg.addrs, err = parsePrefixes(*addr); err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if cfg.peerAddrs, err = parsePrefixes(*peer); err != nil {
		return fmt.Errorf("--peer-addr: %w", err)
	}
	if cfg.serve, err = services.ParseSpecs(*serve); err != nil {
		return fmt.Errorf("--serve: %w", err)
	}
	if cfg.get != "" && !strings.HasPrefix(cfg.get, "http://") {
		return fmt.Errorf("--get takes an http:// URL, not %q", cfg.get)
	}
	if cfg.get != "" && cfg.connect != "" {
		return errors.New("--get and --connect exclude each other")
	}
	if cfg.connect != "" {
		if _, err := netip.ParseAddrPort(cfg.connect); err != nil {
			return fmt.Errorf("--connect takes a numeric ADDRESS:PORT: %v", err)
		}
	}
	cfg.stdin = os.Stdin
	if cfg.control == "" {
		cfg.control = defaultControlPath(cfg.name, cfg.netnsName)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the default action returns, so a second
	// Ctrl-C ends a shutdown that hangs.
	context.AfterFunc(ctx, stop)
	return tunMain(ctx, cfg, stdout, stderr)
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			if a, aerr := netip.ParseAddr(f); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// instance is a running gosock on a TUN device.
type instance struct {
	ns   *netns.Namespace
	ifc  *netns.Interface
	tun  *link.TUNDevice
	dev  *tapDevice
	born time.Time

	pingMu  sync.Mutex
	pinger  *pinger.Pinger
	pingSeq uint16
}

func (inst *instance) linkType() pcap.LinkType { return link.PcapLinkType(inst.dev.Type()) }

// openTUN creates the device in the configured namespace, with a
// readable error for the two usual failures.
func openTUN(cfg tunConfig) (*link.TUNDevice, error) {
	if _, err := os.Stat(link.DefaultTUNPath); err != nil {
		return nil, fmt.Errorf("%s is missing (%v): load the tun module (modprobe tun) or, in a container, pass the device in", link.DefaultTUNPath, err)
	}
	var dev *link.TUNDevice
	err := inNetns(cfg.netnsName, func() error {
		var err error
		dev, err = link.OpenTUN(cfg.name, link.TUNOptions{MTU: cfg.mtu, NoOffload: cfg.noOffload})
		return err
	})
	switch {
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("creating TUN device %s needs CAP_NET_ADMIN: run as root (%v)", cfg.name, err)
	case errors.Is(err, syscall.EBUSY):
		return nil, fmt.Errorf("TUN device %s is in use by another program (%v)", cfg.name, err)
	case err != nil:
		return nil, fmt.Errorf("creating TUN device %s: %w", cfg.name, err)
	}
	return dev, nil
}

// configureKernel brings the kernel's side of the device up and gives it
// the peer addresses, with `ip`.
func configureKernel(cfg tunConfig) error {
	ip := func(args ...string) error {
		if cfg.netnsName != "" {
			args = append([]string{"-n", cfg.netnsName}, args...)
		}
		out, err := exec.Command("ip", args...).CombinedOutput()
		if errors.Is(err, exec.ErrNotFound) {
			return errors.New("configuring the kernel's side needs the ip command (iproute2)")
		}
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := ip("link", "set", "dev", cfg.name, "up"); err != nil {
		return err
	}
	for _, p := range cfg.peerAddrs {
		args := []string{"addr", "add", p.String(), "dev", cfg.name}
		if p.Addr().Is6() {
			args = append(args, "nodad")
		}
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

func tunMain(ctx context.Context, cfg tunConfig, stdout, stderr io.Writer) (err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "gosock tun: "+format+"\n", args...) }
	tun, err := openTUN(cfg)
	if err != nil {
		return err
	}
	var dev link.Device = tun
	var pw *pcap.Writer
	var pcapBuf *bufio.Writer
	if cfg.pcapFile != "" {
		f, err := os.Create(cfg.pcapFile)
		if err != nil {
			tun.Close()
			return err
		}
		defer f.Close()
		pcapBuf = bufio.NewWriterSize(f, 1<<20)
		if pw, err = pcap.NewWriter(pcapBuf, link.PcapLinkType(tun.Type()), 0); err != nil {
			tun.Close()
			return err
		}
		if dev, err = link.NewSniffer(tun, pw, nil); err != nil {
			tun.Close()
			return err
		}
	}
	inst := &instance{tun: tun, dev: newTapDevice(dev), born: time.Now()}
	inst.ns = gosock.NewNamespace(netns.Options{Name: cfg.name})
	defer func() {
		inst.ns.Close() // closes the device too
		if pcapBuf != nil {
			if ferr := pcapBuf.Flush(); ferr != nil && err == nil {
				err = ferr
			}
		}
	}()
	if inst.ifc, err = inst.ns.AddInterface(inst.dev); err != nil {
		inst.dev.Close() // not the namespace's yet
		return err
	}
	if err := inst.ifc.SetUp(true); err != nil {
		return err
	}
	for _, p := range cfg.addrs {
		// No duplicate address detection: the other end is the kernel
		// we configure.
		if err := inst.ifc.AddAddressFlags(p, netns.AddrNoDAD); err != nil {
			return fmt.Errorf("address %s: %w", p, err)
		}
	}
	if !cfg.noRoute {
		for _, v6 := range []bool{false, true} {
			if !hasFamily(cfg.addrs, v6) {
				continue
			}
			dst := netip.MustParsePrefix("0.0.0.0/0")
			if v6 {
				dst = netip.MustParsePrefix("::/0")
			}
			if err := inst.ns.AddRoute(netns.Route{Dst: dst, Iface: inst.ifc}); err != nil {
				return fmt.Errorf("default route: %w", err)
			}
		}
	}
	if err := configureKernel(cfg); err != nil {
		return err
	}
	ctl, err := listenControl(inst, cfg.control)
	if err != nil {
		return err
	}
	defer ctl.Close()
	var srv *services.Server
	if len(cfg.serve) > 0 {
		if srv, err = services.Start(inst.ns, cfg.serve, logf); err != nil {
			return err
		}
	}
	where := ""
	if cfg.netnsName != "" {
		where = " in netns " + cfg.netnsName
	}
	logf("%s up%s: gosock %s, kernel %s, mtu %d", cfg.name, where, prefixList(cfg.addrs), prefixList(cfg.peerAddrs), inst.ifc.MTU())
	if len(cfg.serve) > 0 {
		var names []string
		for _, s := range cfg.serve {
			names = append(names, fmt.Sprintf("%s:%d", s.Name, s.Port))
		}
		logf("serving %s", strings.Join(names, " "))
	}
	who := "--name " + cfg.name
	if cfg.netnsName != "" {
		who = "--netns " + cfg.netnsName + " " + who
	}
	logf("control socket %s (gosock ss/nstat/capture/ping %s)", cfg.control, who)

	switch {
	case cfg.get != "":
		err = fetch(ctx, inst.ns, cfg.get, cfg.output, stdout, logf)
	case cfg.connect != "":
		err = connectStdio(ctx, inst.ns, cfg.connect, cfg.stdin, stdout)
	default:
		logf("ready; Ctrl-C to stop")
		<-ctx.Done()
		logf("stopping")
	}
	if srv != nil {
		srv.Close()
	}
	inst.awaitClose(2 * time.Second)
	return err
}

func hasFamily(ps []netip.Prefix, v6 bool) bool {
	for _, p := range ps {
		if p.Addr().Is6() == v6 {
			return true
		}
	}
	return false
}

func prefixList(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "(not configured)"
	}
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

// awaitClose gives closed connections up to max to finish their FIN
// exchange before the device goes away: it returns once every TCP
// socket is in TIME-WAIT or FIN-WAIT-2 (their FIN acknowledged), or
// gone.
func (inst *instance) awaitClose(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		busy := false
		for _, s := range tcp.Of(inst.ns).Sockets() {
			if s.State != tcp.TimeWait && s.State != tcp.FinWait2 {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
		time.Sleep(10 * time.Millisecond) // polling the real clock: bounded by max
	}
}

// connectStdio is --connect: standard input goes to the connection,
// then a FIN (shutdown SHUT_WR) when it ends; what the peer sends goes
// to stdout until its FIN.
func connectStdio(ctx context.Context, ns *netns.Namespace, addr string, stdin io.Reader, stdout io.Writer) error {
	c, err := (&gonet.Dialer{Namespace: ns}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	conn := c.(*gonet.Conn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, stdin)
		if err == nil {
			err = conn.CloseWrite()
		}
		sent <- err
	}()
	if _, err := io.Copy(stdout, conn); err != nil {
		return err
	}
	// The peer has finished; a stdin still open is abandoned, as nc -N
	// does once the connection is done.
	select {
	case err := <-sent:
		return err
	default:
		return nil
	}
}

// fetch is --get: an HTTP GET through gosock, the body to file or
// nowhere, and a summary line with its SHA-256 on stdout.
func fetch(ctx context.Context, ns *netns.Namespace, url, file string, stdout io.Writer, logf func(string, ...any)) error {
	tr := &http.Transport{DialContext: (&gonet.Dialer{Namespace: ns}).DialContext, DisableCompression: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	var w io.Writer = h
	var f *os.File
	if file != "" {
		if f, err = os.Create(file); err != nil {
			return err
		}
		defer f.Close()
		w = io.MultiWriter(h, f)
	}
	var got atomic.Int64
	done := make(chan struct{})
	go func() { // progress, once a second, for the long downloads
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				n := got.Load()
				logf("%d of %d bytes (%.1f Mbit/s)", n, resp.ContentLength, float64(n)*8/time.Since(start).Seconds()/1e6)
			}
		}
	}()
	n, err := io.CopyBuffer(countingWriter{w, &got}, resp.Body, make([]byte, 256<<10))
	close(done)
	if err != nil {
		return fmt.Errorf("GET %s: after %d bytes: %w", url, n, err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "%s %d bytes sha256 %s in %v (%.1f Mbit/s)\n", resp.Status, n, hex.EncodeToString(h.Sum(nil)),
		took.Round(time.Millisecond), float64(n)*8/took.Seconds()/1e6)
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("GET %s: %d bytes of %d", url, n, resp.ContentLength)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// nextPing returns the instance's pinger, made on first use (one echo
// identifier per instance), and the next sequence number, shared by
// concurrent pings.
func (inst *instance) nextPing() (*pinger.Pinger, uint16) {
	inst.pingMu.Lock()
	defer inst.pingMu.Unlock()
	if inst.pinger == nil {
		inst.pinger = pinger.New(inst.ns, uint16(os.Getpid()))
	}
	inst.pingSeq++
	return inst.pinger, inst.pingSeq
}
