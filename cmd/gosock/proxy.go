package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/intercept"
	"github.com/gosock/gosock/netns"
)

// proxyConfig is what `gosock proxy` was asked to do.
type proxyConfig struct {
	tun       tunConfig
	via       string // "direct" or "socks5://host:port"
	outNetns  string // direct: open outgoing sockets in this network namespace
	idle      time.Duration
	pending   int
	peerRoute bool // route everything on the kernel's side into the device
	// ready, if set, is called once the proxy is up (tests).
	ready func(*proxy)
}

func runProxy(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg proxyConfig
	fs.StringVar(&cfg.tun.name, "name", "gosock0", "name of the TUN interface to create")
	addr := fs.String("addr", "", "gosock's address(es) on the device, comma-separated prefixes (e.g. 10.7.0.1/24); required")
	peer := fs.String("peer-addr", "", "also configure these address(es) on the kernel's side of the device")
	fs.StringVar(&cfg.tun.netnsName, "netns", "", "create the device in this network namespace (ip netns add NAME)")
	fs.BoolVar(&cfg.peerRoute, "peer-default-route", false, "on the kernel's side, route every destination into the device")
	fs.StringVar(&cfg.via, "via", "direct", "where flows go: direct (the host's own sockets) or socks5://HOST:PORT")
	fs.StringVar(&cfg.outNetns, "out-netns", "", "with --via direct: open the outgoing sockets in this network namespace")
	fs.DurationVar(&cfg.idle, "udp-idle", time.Minute, "close a UDP flow after this long without traffic")
	fs.IntVar(&cfg.pending, "pending", 128, "connections waiting for the relay before new ones are refused")
	fs.IntVar(&cfg.tun.mtu, "mtu", 1500, "MTU of the device")
	fs.StringVar(&cfg.tun.control, "control", "", "control socket for ss, nstat and `gosock proxy stats` (default /run/gosock/[NETNS/]NAME.sock)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock proxy --addr PREFIX [--peer-addr PREFIX] [--netns NAME] [--via direct|socks5://HOST:PORT]")
		fmt.Fprintln(stderr, "       gosock proxy stats [--name NAME] [--netns NAME]")
		fmt.Fprintln(stderr, "\nTerminates every TCP connection and UDP flow the kernel routes into a TUN device")
		fmt.Fprintln(stderr, "(tun2socks): gosock accepts them whatever their destination, through transparent")
		fmt.Fprintln(stderr, "sockets and steering rules, and relays each to its original destination, directly")
		fmt.Fprintln(stderr, "through the host's sockets or through a SOCKS5 server (CONNECT, UDP ASSOCIATE).")
		fmt.Fprintln(stderr, "`gosock ss` lists the live flows (Local is the original destination), `gosock nstat`")
		fmt.Fprintln(stderr, "the stack's counters, `gosock proxy stats` the relay's. Needs root and /dev/net/tun.\n\nFlags:")
		fs.PrintDefaults()
	}
	if len(args) > 0 && args[0] == "stats" {
		return runProxyStats(args[1:], stdout, stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q (see gosock help proxy)", fs.Arg(0))
	}
	var err error
	if *addr == "" {
		return errors.New("--addr is required, e.g. --addr 10.7.0.1/24")
	}
	if cfg.tun.addrs, err = parsePrefixes(*addr); err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if cfg.tun.peerAddrs, err = parsePrefixes(*peer); err != nil {
		return fmt.Errorf("--peer-addr: %w", err)
	}
	if _, err := newUpstream(cfg); err != nil {
		return err
	}
	if cfg.tun.control == "" {
		cfg.tun.control = defaultControlPath(cfg.tun.name, cfg.tun.netnsName)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return proxyMain(ctx, cfg, stdout, stderr)
}

// proxy is a running `gosock proxy`: the namespace on the device, the
// interceptors and the relay's counters.
type proxy struct {
	inst *instance
	up   upstream
	tcp  *intercept.Listener
	udp  *intercept.UDPListener
	logf func(string, ...any)
	wg   sync.WaitGroup

	st proxyCounters
}

// proxyCounters count the relay's flows; TCP and UDP Active are the
// flows open now, Opened and Closed all of them, Failed those whose
// upstream could not be reached.
type proxyCounters struct {
	TCPOpened, TCPClosed, TCPFailed, TCPActive atomic.Int64
	TCPReset                                   atomic.Int64 // relays ended by an error
	UDPOpened, UDPClosed, UDPFailed, UDPActive atomic.Int64
	BytesUp, BytesDown                         atomic.Int64
	DatagramsUp, DatagramsDown                 atomic.Int64
}

// proxyStats is the JSON form of the counters, with the interceptors'.
type proxyStats struct {
	Via                             string
	TCPOpened, TCPClosed, TCPFailed int64
	TCPActive, TCPReset             int64
	UDPOpened, UDPClosed, UDPFailed int64
	UDPActive                       int64
	BytesUp, BytesDown              int64
	DatagramsUp, DatagramsDown      int64
	TCP, UDP                        intercept.Counters
}

func (p *proxy) stats() proxyStats {
	s := proxyStats{
		Via:       p.up.String(),
		TCPOpened: p.st.TCPOpened.Load(), TCPClosed: p.st.TCPClosed.Load(), TCPFailed: p.st.TCPFailed.Load(), TCPActive: p.st.TCPActive.Load(), TCPReset: p.st.TCPReset.Load(),
		UDPOpened: p.st.UDPOpened.Load(), UDPClosed: p.st.UDPClosed.Load(), UDPFailed: p.st.UDPFailed.Load(), UDPActive: p.st.UDPActive.Load(),
		BytesUp: p.st.BytesUp.Load(), BytesDown: p.st.BytesDown.Load(),
		DatagramsUp: p.st.DatagramsUp.Load(), DatagramsDown: p.st.DatagramsDown.Load(),
	}
	if p.tcp != nil {
		s.TCP = p.tcp.Counters()
	}
	if p.udp != nil {
		s.UDP = p.udp.Counters()
	}
	return s
}

// proxies maps running instances to their relays, for the control
// socket's "proxy" request.
var proxies sync.Map // *instance -> *proxy

// controlExtra answers the control requests of commands other than
// `gosock tun`'s own: "proxy" gives a proxy instance's counters.
func controlExtra(inst *instance, op string) (any, bool) {
	if op != "proxy" {
		return nil, false
	}
	p, ok := proxies.Load(inst)
	if !ok {
		return nil, false
	}
	return p.(*proxy).stats(), true
}

func proxyMain(ctx context.Context, cfg proxyConfig, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "gosock proxy: "+format+"\n", args...) }
	up, err := newUpstream(cfg)
	if err != nil {
		return err
	}
	tun, err := openTUN(cfg.tun)
	if err != nil {
		return err
	}
	inst := &instance{tun: tun, dev: newTapDevice(tun), born: time.Now()}
	inst.ns = gosock.NewNamespace(netns.Options{Name: cfg.tun.name})
	defer inst.ns.Close() // closes the device too
	if inst.ifc, err = inst.ns.AddInterface(inst.dev); err != nil {
		return err
	}
	if err := inst.ifc.SetUp(true); err != nil {
		return err
	}
	for _, p := range cfg.tun.addrs {
		if err := inst.ifc.AddAddressFlags(p, netns.AddrNoDAD); err != nil {
			return fmt.Errorf("address %s: %w", p, err)
		}
	}
	// Replies go back into the device whatever their (original) source.
	for _, v6 := range []bool{false, true} {
		if !hasFamily(cfg.tun.addrs, v6) {
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
	if err := configureKernel(cfg.tun); err != nil {
		return err
	}
	if cfg.peerRoute {
		if err := peerDefaultRoute(cfg.tun); err != nil {
			return err
		}
	}
	p := &proxy{inst: inst, up: up, logf: logf}
	// Everything arriving on the device is intercepted, except what is
	// addressed to gosock itself.
	rule := intercept.Rule{Iface: inst.ifc.Index()}
	opts := &intercept.Options{Pending: cfg.pending, Overflow: netns.OverflowRefuse, IdleTimeout: cfg.idle}
	if p.tcp, err = intercept.Listen(inst.ns, []intercept.Rule{rule}, opts); err != nil {
		return err
	}
	defer p.tcp.Close()
	if p.udp, err = intercept.ListenUDP(inst.ns, []intercept.Rule{rule}, opts); err != nil {
		return err
	}
	defer p.udp.Close()
	proxies.Store(inst, p)
	defer proxies.Delete(inst)
	ctl, err := listenControl(inst, cfg.tun.control)
	if err != nil {
		return err
	}
	defer ctl.Close()
	p.wg.Add(2)
	go p.acceptTCP(ctx)
	go p.acceptUDP(ctx)
	where := ""
	if cfg.tun.netnsName != "" {
		where = " in netns " + cfg.tun.netnsName
	}
	logf("%s up%s: gosock %s, kernel %s; relaying via %s", cfg.tun.name, where, prefixList(cfg.tun.addrs), prefixList(cfg.tun.peerAddrs), up)
	logf("control socket %s (gosock ss/nstat --name %s, gosock proxy stats --name %s)", cfg.tun.control, cfg.tun.name, cfg.tun.name)
	if cfg.ready != nil {
		cfg.ready(p)
	}
	<-ctx.Done()
	logf("stopping")
	p.tcp.Close()
	p.udp.Close()
	p.wg.Wait()
	inst.awaitClose(2 * time.Second)
	s := p.stats()
	logf("tcp %d opened, %d closed, %d failed; udp %d opened, %d closed, %d failed; %d bytes up, %d down",
		s.TCPOpened, s.TCPClosed, s.TCPFailed, s.UDPOpened, s.UDPClosed, s.UDPFailed, s.BytesUp, s.BytesDown)
	return nil
}

// peerDefaultRoute routes everything on the kernel's side into the
// device: the proxy's client namespace.
func peerDefaultRoute(cfg tunConfig) error {
	for _, v6 := range []bool{false, true} {
		if !hasFamily(cfg.peerAddrs, v6) {
			continue
		}
		args := []string{"route", "replace", "default", "dev", cfg.name}
		if v6 {
			args = append([]string{"-6"}, args...)
		}
		if cfg.netnsName != "" {
			args = append([]string{"-n", cfg.netnsName}, args...)
		}
		if out, err := execIP(args...); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out))
		}
	}
	return nil
}

// acceptTCP relays every intercepted connection until the listener
// closes. Each connection gets two goroutines, one per direction: the
// relay is an application on top of gosock, whose own sockets have none.
func (p *proxy) acceptTCP(ctx context.Context) {
	defer p.wg.Done()
	for {
		c, err := p.tcp.Accept()
		if err != nil {
			return
		}
		p.st.TCPOpened.Add(1)
		p.st.TCPActive.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() {
				p.st.TCPActive.Add(-1)
				p.st.TCPClosed.Add(1)
			}()
			dst, _ := intercept.OriginalDestination(c)
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			u, err := p.up.DialTCP(dctx, dst)
			cancel()
			if err != nil {
				p.st.TCPFailed.Add(1)
				abort(c) // the client sees a reset, as from a closed port
				return
			}
			if err := relayTCP(c, u, &p.st.BytesUp, &p.st.BytesDown); err != nil {
				p.st.TCPReset.Add(1)
				p.logf("%v -> %v: %v", c.RemoteAddr(), dst, err)
			}
		}()
	}
}

// abort closes a connection with a reset (SO_LINGER 0).
func abort(c net.Conn) {
	if l, ok := c.(interface{ SetLinger(int) error }); ok {
		l.SetLinger(0)
	}
	c.Close()
}

// relayTCP copies both ways until both directions have ended: an end of
// stream is passed on as a half-close, an error ends both at once, with
// resets, and is returned. Both connections are closed when it returns.
func relayTCP(a, b net.Conn, ab, ba *atomic.Int64) error {
	var once sync.Once
	var first error
	kill := func(err error) {
		once.Do(func() {
			first = err
			abort(a)
			abort(b)
		})
	}
	half := func(dst, src net.Conn, n *atomic.Int64, done chan<- struct{}) {
		defer close(done)
		buf := relayBufs.Get().(*[]byte)
		defer relayBufs.Put(buf)
		for {
			k, rerr := src.Read(*buf)
			if k > 0 {
				if _, werr := dst.Write((*buf)[:k]); werr != nil {
					kill(werr)
					return
				}
				n.Add(int64(k))
			}
			if rerr == io.EOF {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
				return
			}
			if rerr != nil {
				kill(rerr)
				return
			}
		}
	}
	d1, d2 := make(chan struct{}), make(chan struct{})
	go half(b, a, ab, d1)
	half(a, b, ba, d2)
	<-d1
	a.Close()
	b.Close()
	return first
}

var relayBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// acceptUDP relays every intercepted UDP flow until the listener closes.
func (p *proxy) acceptUDP(ctx context.Context) {
	defer p.wg.Done()
	for {
		f, err := p.udp.Accept()
		if err != nil {
			return
		}
		p.st.UDPOpened.Add(1)
		p.st.UDPActive.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() {
				p.st.UDPActive.Add(-1)
				p.st.UDPClosed.Add(1)
			}()
			dst, _ := intercept.OriginalDestination(f)
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			u, err := p.up.DialUDP(dctx, dst)
			cancel()
			if err != nil {
				p.st.UDPFailed.Add(1)
				f.Close()
				return
			}
			p.relayUDP(f, u)
		}()
	}
}

// relayUDP moves datagrams between a flow and its upstream until the
// flow ends (its Close, or its idle timeout); the upstream is closed
// with it.
func (p *proxy) relayUDP(f *intercept.Flow, u net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, err := u.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
					f.Close()
					return
				}
				continue // an ICMP error from the destination: keep the flow
			}
			if _, err := f.Write(buf[:n]); err != nil {
				return
			}
			p.st.DatagramsDown.Add(1)
		}
	}()
	buf := make([]byte, 65535)
	for {
		n, err := f.Read(buf)
		if err != nil {
			break
		}
		if _, err := u.Write(buf[:n]); err == nil {
			p.st.DatagramsUp.Add(1)
		}
	}
	u.Close()
	<-done
	f.Close()
}

// upstream opens the proxy's side of a flow.
type upstream interface {
	DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error)
	// DialUDP returns a connection whose Write sends one datagram to dst
	// and whose Read returns one datagram from it.
	DialUDP(ctx context.Context, dst netip.AddrPort) (net.Conn, error)
	String() string
}

func newUpstream(cfg proxyConfig) (upstream, error) {
	switch {
	case cfg.via == "direct":
		return directUpstream{netns: cfg.outNetns}, nil
	case strings.HasPrefix(cfg.via, "socks5://"):
		hp := strings.TrimPrefix(cfg.via, "socks5://")
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return nil, fmt.Errorf("--via %s: %v", cfg.via, err)
		}
		return &socks5Client{server: hp, netns: cfg.outNetns}, nil
	}
	return nil, fmt.Errorf("--via takes direct or socks5://HOST:PORT, not %q", cfg.via)
}

// directUpstream dials the original destination with the host's own
// sockets, made in the network namespace netns if set.
type directUpstream struct{ netns string }

func (d directUpstream) String() string {
	if d.netns != "" {
		return "direct (netns " + d.netns + ")"
	}
	return "direct"
}

func (d directUpstream) DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	return hostDial(ctx, d.netns, "tcp", dst.String())
}

func (d directUpstream) DialUDP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	return hostDial(ctx, d.netns, "udp", dst.String())
}

// hostDial dials with the host's sockets, in network namespace ns if not
// empty (the socket is made on a thread inside it, and keeps belonging
// to it).
func hostDial(ctx context.Context, ns, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(ns, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// runProxyStats is `gosock proxy stats`: a running proxy's counters.
func runProxyStats(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf controlFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	var s proxyStats
	if err := c.call(controlRequest{Op: "proxy"}, &s); err != nil {
		return err
	}
	writeProxyStats(stdout, s)
	return nil
}

func writeProxyStats(w io.Writer, s proxyStats) {
	fmt.Fprintf(w, "via %s\n", s.Via)
	fmt.Fprintf(w, "tcp  active %d  opened %d  closed %d  failed %d  reset %d  bytes up %d down %d\n",
		s.TCPActive, s.TCPOpened, s.TCPClosed, s.TCPFailed, s.TCPReset, s.BytesUp, s.BytesDown)
	fmt.Fprintf(w, "udp  active %d  opened %d  closed %d  failed %d  datagrams up %d down %d\n",
		s.UDPActive, s.UDPOpened, s.UDPClosed, s.UDPFailed, s.DatagramsUp, s.DatagramsDown)
	for _, x := range []struct {
		name string
		c    intercept.Counters
	}{{"tcp", s.TCP}, {"udp", s.UDP}} {
		fmt.Fprintf(w, "intercept %s  matched %d  steered %d  nosocket %d  overflows %d  refused %d  accepted %d\n",
			x.name, x.c.Matched, x.c.Steered, x.c.NoSocket, x.c.Overflows, x.c.Refused, x.c.Accepted)
	}
	fmt.Fprintf(w, "udp flows  expired %d  dropped datagrams %d\n", s.UDP.IdleExpired, s.UDP.DatagramsDropped)
}
