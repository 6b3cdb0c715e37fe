// Package intercept terminates traffic captured from a device — a TUN
// interface, a virtual wire — in Go: connections and datagrams for any
// address, not only the namespace's own, are accepted as if they had been
// addressed to the application, each carrying its original destination.
// It is the VPN-client / tun2socks / sandbox-NAT use of a user-space
// stack.
//
// It is built the way a Linux transparent proxy is: an IP_TRANSPARENT
// socket plus a namespace steering rule (netns.InterceptRule, Linux's
// TPROXY target with its policy route). Everything below this package is
// the ordinary socket layer, so getsockname on an accepted connection
// returns the original destination, counters are the rule's and the
// stack's, and closing either side releases the flow.
//
//	ln, _ := intercept.Listen(ns, []intercept.Rule{{Iface: tun.Index()}}, nil)
//	for {
//		c, _ := ln.Accept() // c.LocalAddr() is where the client was going
//		go relay(c)
//	}
//
// # Pending connections
//
// By default a TCP handshake completes only when the application calls
// Accept: SYNs wait in a bounded queue (Options.Pending), and a client
// whose connection is never accepted never sees a SYN-ACK. With
// Options.EarlyHandshake the stack completes handshakes itself and the
// listen backlog, set to Options.Pending, bounds the connections waiting
// for Accept. Either way a full queue turns new flows away by
// Options.Overflow (drop the SYN, or refuse it with a reset), counted in
// Counters.Overflows; it never blocks established flows, other
// listeners, or the device.
package intercept

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/wire"
)

// Rule selects intercepted traffic: packets arriving on Iface (any when
// zero) for a destination in Prefixes (any when empty) and a port in
// Ports (any when empty).
type Rule struct {
	Prefixes []netip.Prefix
	Ports    []netns.PortRange
	Iface    int
}

// Options tune an interceptor; the zero value (or nil) is the default.
type Options struct {
	// Pending bounds the flows waiting for Accept: held SYNs, or the
	// accept queue with EarlyHandshake, or new UDP flows. Zero means 128.
	Pending int
	// Overflow is what happens to a new flow that finds Pending flows
	// waiting: netns.OverflowDrop (the default) or netns.OverflowRefuse.
	Overflow netns.Overflow
	// EarlyHandshake lets the stack complete TCP handshakes before
	// Accept, as an ordinary listener does.
	EarlyHandshake bool
	// IdleTimeout closes a UDP flow that has neither received nor sent a
	// datagram for that long; zero means one minute.
	IdleTimeout time.Duration
	// FlowQueue bounds the datagrams queued on one UDP flow for Read;
	// more are dropped and counted. Zero means 64.
	FlowQueue int
	// Priority places the interceptor's rules among the namespace's
	// others (netns.InterceptRule.Priority): lower goes first.
	Priority int
}

func (o *Options) pending() int {
	if o == nil || o.Pending <= 0 {
		return 128
	}
	return o.Pending
}

// Counters are an interceptor's counts. The rule counters (Matched,
// Steered, NoSocket, Overflows, Refused) are those of its steering rules
// in the namespace (netns.InterceptStats).
type Counters struct {
	// Matched counts packets that matched the rules; Steered the flows
	// handed to the interceptor's socket; NoSocket the packets dropped
	// for want of one (after Close).
	Matched, Steered, NoSocket uint64
	// Overflows counts new flows turned away because Pending flows were
	// already waiting; Refused the resets sent for them.
	Overflows, Refused uint64
	// Accepted counts flows returned by Accept.
	Accepted uint64
	// Active is the number of UDP flows open now; FlowsClosed counts
	// those closed, IdleExpired those closed by the idle timeout.
	Active, FlowsClosed, IdleExpired uint64
	// DatagramsIn and DatagramsOut count datagrams read from and written
	// to UDP flows; DatagramsDropped those dropped because a flow's queue
	// was full.
	DatagramsIn, DatagramsOut, DatagramsDropped uint64
}

// addRules installs one steering rule per Rule, aimed at port.
func addRules(ns *netns.Namespace, proto uint8, rules []Rule, port uint16, opts *Options) ([]*netns.Intercept, error) {
	if len(rules) == 0 {
		rules = []Rule{{}}
	}
	var out []*netns.Intercept
	for _, r := range rules {
		nr := netns.InterceptRule{Protocol: proto, Prefixes: r.Prefixes, Ports: r.Ports, Iface: r.Iface,
			OnPort: port, Pending: opts.pending()}
		if opts != nil {
			nr.Overflow = opts.Overflow
			nr.Priority = opts.Priority
			nr.Defer = proto == wire.ProtoTCP && !opts.EarlyHandshake
		} else {
			nr.Defer = proto == wire.ProtoTCP
		}
		ic, err := ns.AddIntercept(nr)
		if err != nil {
			removeRules(ns, out)
			return nil, err
		}
		out = append(out, ic)
	}
	return out, nil
}

func removeRules(ns *netns.Namespace, ics []*netns.Intercept) {
	for _, ic := range ics {
		ns.RemoveIntercept(ic.ID())
	}
}

func sumRules(ics []*netns.Intercept, c *Counters) {
	for _, ic := range ics {
		c.Matched += ic.Stats.Matched.Load()
		c.Steered += ic.Stats.Steered.Load()
		c.NoSocket += ic.Stats.NoSocket.Load()
		c.Overflows += ic.Stats.Overflows.Load()
		c.Refused += ic.Stats.Refused.Load()
	}
}

// transparent turns on IP_TRANSPARENT (IPV6_TRANSPARENT on an AF_INET6
// socket); the namespace's sockets made by gonet carry CAP_NET_ADMIN.
func transparent(network string, s *socket.Socket) error {
	level, name := abi.SOL_IP, abi.IP_TRANSPARENT
	if network == "tcp6" || network == "udp6" {
		level, name = abi.SOL_IPV6, abi.IPV6_TRANSPARENT
	}
	return s.SetSockopt(level, name, intBytes(1))
}

func intBytes(v int) []byte {
	b := make([]byte, 4)
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	return b
}

// Listener accepts intercepted TCP connections. Each is a *gonet.Conn
// whose LocalAddr is the original destination.
type Listener struct {
	ns       *netns.Namespace
	ln       net.Listener
	rules    []*netns.Intercept
	accepted atomic.Uint64
	closed   atomic.Bool
}

// Listen starts intercepting TCP connections that match any of rules
// (everything when rules is empty) in ns. The listening socket is an
// IP_TRANSPARENT dual-stack socket on an ephemeral port of ns.
func Listen(ns *netns.Namespace, rules []Rule, opts *Options) (*Listener, error) {
	lc := gonet.ListenConfig{Namespace: ns, Control: func(network, _ string, rc gonet.RawConn) error {
		var err error
		if cerr := rc.Control(func(s *socket.Socket) { err = transparent(network, s) }); cerr != nil {
			return cerr
		}
		return err
	}}
	ln, err := lc.Listen(context.Background(), "tcp", ":0")
	if err != nil {
		return nil, err
	}
	if opts != nil && opts.EarlyHandshake {
		// The accept queue is the pending queue: listen again with the
		// bound as backlog, as listen(2) on a listener updates it.
		rc, err := ln.(*gonet.Listener).SyscallConn()
		if err == nil {
			err = rc.Control(func(s *socket.Socket) { err = s.Listen(opts.pending()) })
		}
		if err != nil {
			ln.Close()
			return nil, err
		}
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	ics, err := addRules(ns, wire.ProtoTCP, rules, port, opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &Listener{ns: ns, ln: ln, rules: ics}, nil
}

// Accept waits for the next intercepted connection; with the default
// deferred handshake, this is what answers its SYN.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.ln.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	return c, nil
}

// Addr is the listening socket's own address (an ephemeral port).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close removes the steering rules, then closes the listening socket:
// connections not yet accepted are reset, and held SYNs forgotten.
// Accepted connections are the caller's to close.
func (l *Listener) Close() error {
	if !l.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	removeRules(l.ns, l.rules)
	return l.ln.Close()
}

// Counters returns the listener's counts.
func (l *Listener) Counters() Counters {
	var c Counters
	sumRules(l.rules, &c)
	c.Accepted = l.accepted.Load()
	return c
}

// OriginalDestination returns where an intercepted connection or flow
// was addressed: its local address, unmapped.
func OriginalDestination(c net.Conn) (netip.AddrPort, error) {
	var ap netip.AddrPort
	switch a := c.LocalAddr().(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		return ap, errors.New("intercept: not an inet connection")
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
