package gosock_test

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/packetdrill"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/tcp"
	"github.com/gosock/gosock/wire"
)

// rawPeer is a gosock namespace ("us", 10.0.0.1) on a manual clock whose
// only interface is a raw-IP capture device, and a hand-driven peer
// (10.0.0.2) that speaks TCP to it segment by segment: what a hostile
// host on the link can do. Everything is synchronous: an injected
// segment is processed, and the replies captured, before inject returns,
// and timers fire only inside advance. Sockets are non-blocking, so no
// goroutine is ever left behind.
type rawPeer struct {
	t    testing.TB
	clk  *clock.Manual
	ns   *netns.Namespace
	dev  *packetdrill.Device
	proc *sys.Process
	tcp  *tcp.Protocol

	us, them netip.Addr
	sport    uint16 // the peer's port
	lport    uint16 // ours
	// What the peer believes of the connection: its next sequence number
	// (what we have acknowledged) and ours (the highest we sent).
	peerNxt, ourNxt uint32
	// ourAck is the last acknowledgment we sent: where we expect the
	// peer's next byte.
	ourAck uint32
	tsVal  uint32
}

var rawPeerStart = time.Unix(1_800_000_000, 0)

// newRawPeer builds the namespace; seed fixes its secrets and ISNs.
func newRawPeer(t testing.TB, seed uint64) *rawPeer {
	clk := clock.NewManual(rawPeerStart)
	ns := gosock.NewNamespace(netns.Options{Name: "us", Clock: clk, Seed: seed})
	dev := packetdrill.NewDevice("tun0", 1500, clk)
	ifc, err := ns.AddInterface(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := ifc.SetUp(true); err != nil {
		t.Fatal(err)
	}
	if err := ifc.AddAddressFlags(netip.MustParsePrefix("10.0.0.1/24"), netns.AddrNoDAD); err != nil {
		t.Fatal(err)
	}
	r := &rawPeer{t: t, clk: clk, ns: ns, dev: dev, proc: sys.NewProcess(ns, sys.Options{PID: 1}),
		tcp: tcp.Of(ns), us: netip.MustParseAddr("10.0.0.1"), them: netip.MustParseAddr("10.0.0.2"),
		sport: 40000, lport: 80, tsVal: 1000}
	r.drain()
	return r
}

// close ends the process and the namespace.
func (r *rawPeer) close() {
	r.proc.Exit()
	r.ns.Close()
}

// drain discards what we sent so far.
func (r *rawPeer) drain() {
	for r.dev.Pending() > 0 {
		r.dev.Next()
	}
}

// sent is one captured segment of ours, parsed.
type sent struct {
	ip  wire.IPv4
	tcp wire.TCP
	// icmp is set instead of tcp for an ICMP message.
	icmp wire.ICMPv4
}

func (s sent) String() string {
	if s.tcp != nil {
		return s.tcp.String()
	}
	return fmt.Sprintf("ICMP type %d code %d", s.icmp.Type(), s.icmp.Code())
}

// next returns our next captured packet, tracking ourNxt; ok is false
// when none is waiting.
func (r *rawPeer) next() (sent, bool) {
	for {
		c, ok := r.dev.Next()
		if !ok {
			return sent{}, false
		}
		ip, err := wire.ParseIPv4(c.Data)
		if err != nil {
			continue // IPv6 chatter
		}
		switch ip.Protocol() {
		case wire.ProtoTCP:
			t, err := wire.ParseTCP(ip.Payload())
			if err != nil {
				r.t.Fatalf("we sent a bad TCP segment: %v", err)
			}
			if !t.ValidChecksum(ip.Src(), ip.Dst()) {
				r.t.Fatalf("we sent a bad TCP checksum: %v", t)
			}
			n := uint32(len(t.Payload()))
			if t.Flags()&(wire.TCPFlagSYN|wire.TCPFlagFIN) != 0 {
				n++
			}
			if end := t.Seq() + n; int32(end-r.ourNxt) > 0 || r.ourNxt == 0 {
				r.ourNxt = end
			}
			if t.Flags()&wire.TCPFlagACK != 0 {
				r.ourAck = t.Ack()
			}
			return sent{ip: ip, tcp: t}, true
		case wire.ProtoICMP:
			m, err := wire.ParseICMPv4(ip.Payload())
			if err != nil {
				r.t.Fatalf("we sent a bad ICMP message: %v", err)
			}
			return sent{ip: ip, icmp: m}, true
		}
	}
}

// all returns every captured packet.
func (r *rawPeer) all() []sent {
	var out []sent
	for {
		s, ok := r.next()
		if !ok {
			return out
		}
		out = append(out, s)
	}
}

// expect returns our next segment and checks its flags.
func (r *rawPeer) expect(flags wire.TCPFlags) wire.TCP {
	r.t.Helper()
	s, ok := r.next()
	if !ok {
		r.t.Fatalf("expected %v, we sent nothing", flags)
	}
	if s.tcp == nil || s.tcp.Flags() != flags {
		r.t.Fatalf("expected %v, we sent %v", flags, s)
	}
	return s.tcp
}

// seg describes a segment from the peer; zero Window means 65535 and
// zero ports the connection's.
type seg struct {
	sport, dport uint16
	seq, ack     uint32
	flags        wire.TCPFlags
	window       uint16
	opts         *wire.TCPOptions
	rawOpts      []byte // options area as given (lies allowed)
	payload      []byte
	badSum       bool
}

// packet builds the IPv4 packet carrying s from the peer to us.
func (r *rawPeer) packet(s seg) []byte {
	if s.sport == 0 {
		s.sport = r.sport
	}
	if s.dport == 0 {
		s.dport = r.lport
	}
	if s.window == 0 {
		s.window = 65535
	}
	f := wire.TCPFields{SrcPort: s.sport, DstPort: s.dport, Seq: s.seq, Ack: s.ack, Flags: s.flags,
		Window: s.window, Opts: s.opts, Options: s.rawOpts}
	tl := f.Len() + len(s.payload)
	ipf := wire.IPv4Fields{TTL: 64, Protocol: wire.ProtoTCP, ID: 1, Src: r.them, Dst: r.us}
	ipf.TotalLen = uint16(ipf.Len() + tl)
	b := make([]byte, ipf.Len()+tl)
	ipf.Encode(wire.IPv4(b))
	wire.IPv4(b).UpdateChecksum()
	th := wire.TCP(b[ipf.Len():])
	f.Encode(th)
	copy(th[f.Len():], s.payload)
	sum := th.ComputeChecksum(r.them, r.us)
	if s.badSum {
		sum++
	}
	th.SetChecksum(sum)
	return b
}

// inject delivers s to us.
func (r *rawPeer) inject(s seg) {
	if err := r.dev.Inject(r.packet(s)); err != nil {
		r.t.Fatal(err)
	}
}

// injectRaw delivers an IP packet as given.
func (r *rawPeer) injectRaw(p []byte) {
	if len(p) == 0 {
		return
	}
	if err := r.dev.Inject(p); err != nil {
		r.t.Fatal(err)
	}
}

// data sends payload in sequence from the peer, acknowledging all of
// ours, and advances peerNxt.
func (r *rawPeer) data(payload []byte, extra wire.TCPFlags) {
	r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK | extra, payload: payload, opts: r.ts()})
	r.peerNxt += uint32(len(payload))
	if extra&wire.TCPFlagFIN != 0 {
		r.peerNxt++
	}
}

// ts returns timestamp options for the next peer segment.
func (r *rawPeer) ts() *wire.TCPOptions {
	r.tsVal++
	return &wire.TCPOptions{HasTimestamps: true, TSVal: r.tsVal}
}

// advance moves the clock by d, firing the timers on the way.
func (r *rawPeer) advance(d time.Duration) { r.clk.Advance(d) }

// listen makes a non-blocking listener on port 80.
func (r *rawPeer) listen(backlog int) int {
	r.t.Helper()
	fd, err := r.proc.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.proc.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1); err != nil {
		r.t.Fatal(err)
	}
	if err := r.proc.Bind(fd, &abi.SockaddrInet4{Port: 80}); err != nil {
		r.t.Fatal(err)
	}
	if err := r.proc.Listen(fd, backlog); err != nil {
		r.t.Fatal(err)
	}
	return fd
}

// synOpts are the options of the peer's SYN: MSS 1460, SACK, timestamps
// and window scale 7, as a Linux peer sends.
func (r *rawPeer) synOpts() *wire.TCPOptions {
	o := r.ts()
	o.HasMSS, o.MSS = true, 1460
	o.SACKPermitted = true
	o.HasWScale, o.WScale = true, 7
	return o
}

// handshake opens a connection from the peer's port sport to our
// listener and returns the accepted fd (-1 if accept failed).
func (r *rawPeer) handshake(lfd int, sport uint16, iss uint32) int {
	r.t.Helper()
	r.sport, r.lport = sport, 80
	r.inject(seg{seq: iss, flags: wire.TCPFlagSYN, opts: r.synOpts()})
	r.peerNxt = iss + 1
	r.ourNxt = 0
	sa := r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
	if sa.Ack() != iss+1 {
		r.t.Fatalf("SYN-ACK acknowledges %d, want %d", sa.Ack(), iss+1)
	}
	r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, opts: r.ts()})
	fd, _, err := r.proc.Accept4(lfd, abi.SOCK_NONBLOCK)
	if err != nil {
		r.t.Fatalf("accept: %v", err)
	}
	return fd
}

// connect opens a connection from us to the peer's port 80 from a
// non-blocking socket and completes the handshake with a SYN-ACK of
// sequence iss.
func (r *rawPeer) connect(iss uint32) int {
	r.t.Helper()
	fd, err := r.proc.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.proc.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}); !errors.Is(err, errno.EINPROGRESS) {
		r.t.Fatalf("connect: %v", err)
	}
	r.ourNxt = 0
	syn := r.expect(wire.TCPFlagSYN)
	r.sport, r.lport = 80, syn.SrcPort()
	r.peerNxt = iss + 1
	r.inject(seg{seq: iss, ack: syn.Seq() + 1, flags: wire.TCPFlagSYN | wire.TCPFlagACK, opts: r.synOpts()})
	r.expect(wire.TCPFlagACK)
	return fd
}

// checkInvariants fails the test if TCP's state is inconsistent.
func (r *rawPeer) checkInvariants() {
	r.t.Helper()
	if err := r.tcp.CheckInvariants(); err != nil {
		r.t.Fatal(err)
	}
}

// closeAll closes every fd, runs the clock far enough for every
// connection to finish (retransmissions give up, TIME-WAIT and
// FIN-WAIT-2 run out), and checks that nothing is left: no connection,
// no listener, no charged memory.
func (r *rawPeer) closeAll() {
	r.t.Helper()
	r.proc.Exit()
	for range 40 {
		r.advance(time.Minute)
		r.drain()
	}
	if c, l := r.tcp.Tables(); c != 0 || l != 0 {
		r.t.Fatalf("%d connections and %d listeners left after close", c, l)
	}
	if m := r.tcp.MemoryAllocated(); m != 0 {
		r.t.Fatalf("TCP memory %d bytes after close, want 0", m)
	}
}
