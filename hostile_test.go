package gosock_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Hostile traffic against live connections, through rawPeer: what a host
// on the link can send, and what Linux does about it. Each test ends by
// closing everything and checking that no connection, memory or buffer
// is left.

// established returns a rawPeer with a connection accepted on port 80
// from the peer's port 40000, its fd, and the listener's.
func established(t *testing.T) (r *rawPeer, fd, lfd int) {
	r = newRawPeer(t, 1)
	t.Cleanup(r.close)
	lfd = r.listen(16)
	fd = r.handshake(lfd, 40000, 1_000_000)
	r.drain()
	return r, fd, lfd
}

// echoWorks checks the connection still carries data both ways.
func echoWorks(t *testing.T, r *rawPeer, fd int) {
	t.Helper()
	r.drain()
	msg := []byte("still alive")
	r.data(msg, wire.TCPFlagPSH)
	buf := make([]byte, 100)
	n, err := r.proc.Read(fd, buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("read after the attack: %q, %v", buf[:n], err)
	}
	if _, err := r.proc.Write(fd, []byte("pong")); err != nil {
		t.Fatalf("write after the attack: %v", err)
	}
	var got []byte
	for _, s := range r.all() {
		if s.tcp != nil {
			got = append(got, s.tcp.Payload()...)
		}
	}
	if string(got) != "pong" {
		t.Fatalf("we sent %q after the attack, want pong", got)
	}
}

// acksOnly checks that everything we sent is a pure ACK acknowledging
// peerNxt (a challenge or duplicate ACK), and returns how many.
func acksOnly(t *testing.T, r *rawPeer) int {
	t.Helper()
	out := r.all()
	for _, s := range out {
		if s.tcp == nil || s.tcp.Flags() != wire.TCPFlagACK || len(s.tcp.Payload()) != 0 || s.tcp.Ack() != r.peerNxt {
			t.Fatalf("want only ACKs of %d, we sent %v", r.peerNxt, s)
		}
	}
	return len(out)
}

func finish(t *testing.T, r *rawPeer, before int64) {
	t.Helper()
	r.closeAll()
	if n := pktbuf.Outstanding() - before; n != 0 {
		t.Fatalf("%d packet buffers leaked", n)
	}
}

// TestHostileBlindReset: RFC 5961 section 3. A reset exactly at rcv_nxt
// resets; one elsewhere in the window earns a challenge ACK and the
// connection survives; one outside the window is dropped silently.
func TestHostileBlindReset(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	mib := r.ns.MIB
	for _, off := range []uint32{1, 1000, 60000} {
		r.inject(seg{seq: r.peerNxt + off, flags: wire.TCPFlagRST})
		if n := acksOnly(t, r); n != 1 {
			t.Fatalf("in-window RST at +%d: %d challenge ACKs, want 1", off, n)
		}
	}
	if n := mib.Get(netns.TCPExtTCPChallengeACK); n != 3 {
		t.Errorf("TCPChallengeACK %d, want 3", n)
	}
	for _, off := range []uint32{1 << 20, 1 << 31, 0xffffffff} {
		r.inject(seg{seq: r.peerNxt + off, flags: wire.TCPFlagRST})
		if n := acksOnly(t, r); n != 0 {
			t.Fatalf("out-of-window RST at +%d answered with %d segments", off, n)
		}
	}
	// RST|ACK with a blind ack value is judged by its sequence alone.
	r.inject(seg{seq: r.peerNxt + 10, ack: 12345, flags: wire.TCPFlagRST | wire.TCPFlagACK})
	acksOnly(t, r)
	echoWorks(t, r, fd)
	// The real thing.
	r.inject(seg{seq: r.peerNxt, flags: wire.TCPFlagRST})
	if _, err := r.proc.Read(fd, make([]byte, 10)); !errors.Is(err, errno.ECONNRESET) {
		t.Fatalf("read after an exact RST: %v, want ECONNRESET", err)
	}
	finish(t, r, before)
}

// TestHostileBlindSYN: RFC 5961 section 4. A SYN on a synchronized
// connection, in or out of the window, earns a challenge ACK; the
// connection survives.
func TestHostileBlindSYN(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	for _, off := range []uint32{0, 1, 5000, 1 << 30, 1 << 31} {
		r.inject(seg{seq: r.peerNxt + off, flags: wire.TCPFlagSYN, opts: r.synOpts()})
		if n := acksOnly(t, r); n != 1 {
			t.Fatalf("SYN at +%d: %d ACKs, want one challenge ACK", off, n)
		}
	}
	echoWorks(t, r, fd)
	finish(t, r, before)
}

// TestHostileBlindData: data outside the window is not delivered and
// draws a duplicate ACK; data inside it but carrying an ACK older than
// snd_una minus the largest window the peer ever offered is dropped with
// a challenge ACK (RFC 5961 section 5.2, tcp_ack's TOO_OLD_ACK); data
// acknowledging what we never sent is dropped (RFC 9293).
func TestHostileBlindData(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	// Send some data of ours so snd_una has moved.
	if _, err := r.proc.Write(fd, bytes.Repeat([]byte("x"), 3000)); err != nil {
		t.Fatal(err)
	}
	r.all()
	r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, opts: r.ts()})
	r.drain()
	evil := []byte("EVIL")
	cases := []struct {
		name     string
		seq, ack uint32
	}{
		{"beyond the window", r.peerNxt + 1<<24, r.ourNxt},
		{"before the window", r.peerNxt - 1<<24, r.ourNxt},
		{"ACK far older than snd_una", r.peerNxt, r.ourNxt - 1<<30},
		{"ACK of unsent data", r.peerNxt, r.ourNxt + 1<<20},
	}
	for _, c := range cases {
		r.inject(seg{seq: c.seq, ack: c.ack, flags: wire.TCPFlagACK | wire.TCPFlagPSH, payload: evil, opts: r.ts()})
		if n := acksOnly(t, r); n > 1 {
			t.Errorf("%s: %d ACKs", c.name, n)
		}
		if n, err := r.proc.Read(fd, make([]byte, 100)); !errors.Is(err, errno.EAGAIN) {
			t.Fatalf("%s: the injected data was delivered (%d bytes, %v)", c.name, n, err)
		}
	}
	echoWorks(t, r, fd)
	finish(t, r, before)
}

// TestHostileOutOfOrderFlood: a peer that sends out-of-order segments
// overlapping each other, one byte apart, cannot make the receiver hold
// more than its receive buffer: the excess is dropped (TCPOFODrop), the
// connection survives, and the hole still fills.
func TestHostileOutOfOrderFlood(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	rcvbuf, err := r.proc.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_RCVBUF)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("o"), 1000)
	const n = 5000
	for i := range n {
		r.inject(seg{seq: r.peerNxt + 1 + uint32(i), ack: r.ourNxt, flags: wire.TCPFlagACK, payload: chunk, opts: r.ts()})
		if i%512 == 0 {
			r.drain()
		}
	}
	r.drain()
	held := r.tcp.MemoryAllocated()
	t.Logf("%d overlapping segments of %d bytes: %d bytes held, SO_RCVBUF %d, TCPOFODrop %d",
		n, len(chunk), held, rcvbuf, r.ns.MIB.Get(netns.TCPExtTCPOFODrop))
	if held > int64(rcvbuf) {
		t.Fatalf("receiver holds %d bytes, more than SO_RCVBUF %d", held, rcvbuf)
	}
	if r.ns.MIB.Get(netns.TCPExtTCPOFODrop) == 0 {
		t.Fatal("no TCPOFODrop counted")
	}
	r.checkInvariants()
	// The missing first byte arrives: the stream is one byte then the
	// out-of-order data the receiver kept.
	r.data([]byte("o"), 0)
	buf := make([]byte, 1<<20)
	got, _ := r.proc.Read(fd, buf)
	if got < 1001 || !bytes.Equal(buf[:got], bytes.Repeat([]byte("o"), got)) {
		t.Fatalf("after the hole filled: read %d bytes", got)
	}
	finish(t, r, before)
}

// TestHostileDataAfterClose: once the application closed the socket, new
// data from the peer has nobody to read it: Linux resets the connection
// (TCPAbortOnData) instead of holding the data until FIN-WAIT-2 runs out.
func TestHostileDataAfterClose(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	if err := r.proc.Close(fd); err != nil {
		t.Fatal(err)
	}
	r.expect(wire.TCPFlagFIN | wire.TCPFlagACK)
	r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, opts: r.ts()}) // FIN-WAIT-2
	r.data(bytes.Repeat([]byte("d"), 1000), 0)
	rst := r.expect(wire.TCPFlagRST)
	if rst.Seq() != r.ourNxt {
		t.Errorf("RST seq %d, want %d", rst.Seq(), r.ourNxt)
	}
	if n := r.ns.MIB.Get(netns.TCPExtTCPAbortOnData); n != 1 {
		t.Errorf("TCPAbortOnData %d, want 1", n)
	}
	if c, _ := r.tcp.Tables(); c != 0 {
		t.Errorf("%d connections left after the reset", c)
	}
	if m := r.tcp.MemoryAllocated(); m != 0 {
		t.Errorf("%d bytes held after the reset", m)
	}
	finish(t, r, before)
}

// TestHostileLyingOptions: option lengths that run past the header, zero
// or one, and header lengths that lie. Options are parsed up to the lie
// and the segment processed, as Linux's tcp_parse_options; a data offset
// beyond the segment or below 5 drops it (TcpInErrs).
func TestHostileLyingOptions(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 2)
	t.Cleanup(r.close)
	lfd := r.listen(16)
	lies := [][]byte{
		{2, 0, 5, 0xb4},             // MSS with length 0
		{2, 1, 5, 0xb4},             // length 1
		{2, 40, 5, 0xb4},            // longer than the options area
		{3, 2, 7, 1},                // window scale with length 2, then NOP
		{8, 3, 0, 0},                // timestamps of 3 bytes
		{5, 255, 0, 0},              // SACK of 255 bytes
		{4, 2, 2, 3, 5, 0, 1, 1},    // SACK-permitted, then MSS of length 3
		{30, 3, 0, 0, 2, 4, 0, 200}, // unknown option, then MSS 200
	}
	for i, o := range lies {
		port := uint16(41000 + i)
		r.sport = port
		r.inject(seg{seq: 7, flags: wire.TCPFlagSYN, rawOpts: o})
		sa := r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
		r.inject(seg{seq: 8, ack: sa.Seq() + 1, flags: wire.TCPFlagACK, rawOpts: o, payload: []byte("hi")})
		fd, _, err := r.proc.Accept4(lfd, abi.SOCK_NONBLOCK)
		if err != nil {
			t.Fatalf("options % x: accept: %v", o, err)
		}
		buf := make([]byte, 10)
		if n, err := r.proc.Read(fd, buf); err != nil || string(buf[:n]) != "hi" {
			t.Fatalf("options % x: read %q, %v", o, buf[:n], err)
		}
		r.drain()
	}
	// A data offset pointing past the end, and one below the minimum.
	inErrs := r.ns.MIB.Get(netns.TCPInErrs)
	for _, doff := range []byte{15, 4, 0} {
		p := r.packet(seg{sport: 41000, seq: 10, flags: wire.TCPFlagACK})
		th := p[20:]
		th[12] = doff << 4
		th[16], th[17] = 0, 0
		sum := wire.TCP(th).ComputeChecksum(r.them, r.us)
		th[16], th[17] = byte(sum>>8), byte(sum)
		r.injectRaw(p)
		if out := r.all(); len(out) != 0 {
			t.Errorf("data offset %d answered with %v", doff, out[0])
		}
	}
	if d := r.ns.MIB.Get(netns.TCPInErrs) - inErrs; d != 3 {
		t.Errorf("TcpInErrs rose by %d, want 3", d)
	}
	r.checkInvariants()
	finish(t, r, before)
}

// TestHostileICMPForgedSequence: ICMP errors quoting one of our
// connections, but a sequence number outside snd_una..snd_nxt, are
// ignored (Linux counts OutOfWindowIcmps and drops them): no error
// reaches the socket and the connection goes on.
func TestHostileICMPForgedSequence(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	icmpAbout := func(typ, code uint8, seq uint32) {
		// The quoted header: our segment to the peer.
		quoted := r.packet(seg{sport: 80, dport: r.sport, seq: seq, flags: wire.TCPFlagACK})
		quoted[12], quoted[13], quoted[14], quoted[15], quoted[16], quoted[17], quoted[18], quoted[19] =
			10, 0, 0, 1, 10, 0, 0, 2
		icmp := make([]byte, 8+28)
		icmp[0], icmp[1] = typ, code
		if typ == 3 && code == 4 {
			icmp[6], icmp[7] = 0x02, 0x40 // next-hop MTU 576
		}
		copy(icmp[8:], quoted[:28])
		sum := wire.FoldChecksum(wire.Checksum(icmp, 0))
		icmp[2], icmp[3] = byte(sum>>8), byte(sum) // FoldChecksum complements
		ipf := wire.IPv4Fields{TTL: 64, Protocol: wire.ProtoICMP, ID: 2, Src: r.them, Dst: r.us}
		ipf.TotalLen = uint16(ipf.Len() + len(icmp))
		p := make([]byte, int(ipf.TotalLen))
		ipf.Encode(wire.IPv4(p))
		wire.IPv4(p).UpdateChecksum()
		copy(p[ipf.Len():], icmp)
		r.injectRaw(p)
	}
	for _, c := range []struct{ typ, code uint8 }{{3, 1}, {3, 3}, {3, 4}, {11, 0}, {12, 0}} {
		for _, seq := range []uint32{r.ourNxt + 1<<20, r.ourNxt - 1<<20} {
			icmpAbout(c.typ, c.code, seq)
		}
	}
	if v, _ := r.proc.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_ERROR); v != 0 {
		t.Fatalf("SO_ERROR %d after forged ICMP errors", v)
	}
	// Every one quoted a sequence number outside snd_una..snd_nxt.
	if n := r.ns.MIB.Get(netns.TCPExtOutOfWindowIcmps); n != 10 {
		t.Errorf("OutOfWindowIcmps = %d, want 10", n)
	}
	// One quoting snd_una is believed, but an established connection only
	// keeps it as a soft error (sk_err_soft): SO_ERROR reports it once,
	// and the connection goes on.
	icmpAbout(3, 1, r.ourNxt)
	if v, _ := r.proc.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_ERROR); v != int(errno.EHOSTUNREACH) {
		t.Errorf("SO_ERROR %d after an in-window host unreachable, want EHOSTUNREACH", v)
	}
	if v, _ := r.proc.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_ERROR); v != 0 {
		t.Errorf("SO_ERROR %d read twice", v)
	}
	echoWorks(t, r, fd)
	finish(t, r, before)
}

// TestHostilePortScan: a SYN scan of 1,000 closed ports is answered by
// one RST|ACK per probe (Linux does not rate-limit resets); an ACK scan
// by RSTs; a UDP scan by port unreachables that icmp_ratelimit holds to a
// burst of six per peer, then one per second.
func TestHostilePortScan(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 3)
	t.Cleanup(r.close)
	r.listen(16) // port 80 is open
	synacks, rsts := 0, 0
	for port := uint16(1); port <= 1000; port++ {
		r.inject(seg{dport: port, seq: uint32(port) * 1000, flags: wire.TCPFlagSYN})
		for _, s := range r.all() {
			switch f := s.tcp.Flags(); {
			case f == wire.TCPFlagSYN|wire.TCPFlagACK && port == 80:
				synacks++
			case f == wire.TCPFlagRST|wire.TCPFlagACK && s.tcp.Ack() == uint32(port)*1000+1 && s.tcp.Seq() == 0:
				rsts++
			default:
				t.Fatalf("port %d: SYN answered with %v", port, s)
			}
		}
	}
	if synacks != 1 || rsts != 999 {
		t.Errorf("SYN scan: %d SYN-ACKs, %d RSTs; want 1 and 999", synacks, rsts)
	}
	for port := uint16(2000); port < 2100; port++ {
		r.inject(seg{dport: port, seq: 5, ack: 77, flags: wire.TCPFlagACK})
		rst := r.expect(wire.TCPFlagRST)
		if rst.Seq() != 77 {
			t.Fatalf("ACK scan: RST seq %d, want 77", rst.Seq())
		}
	}
	udp := func(port uint16) []byte {
		ipf := wire.IPv4Fields{TTL: 64, Protocol: wire.ProtoUDP, ID: port, Src: r.them, Dst: r.us}
		ipf.TotalLen = uint16(ipf.Len() + 8)
		p := make([]byte, ipf.TotalLen)
		ipf.Encode(wire.IPv4(p))
		wire.IPv4(p).UpdateChecksum()
		u := p[ipf.Len():]
		u[0], u[1], u[2], u[3], u[4], u[5] = 0x9c, 0x40, byte(port>>8), byte(port), 0, 8
		return p
	}
	unreach := 0
	for port := uint16(3000); port < 3200; port++ {
		r.injectRaw(udp(port))
		for _, s := range r.all() {
			if s.icmp == nil || s.icmp.Type() != 3 || s.icmp.Code() != 3 {
				t.Fatalf("UDP scan answered with %v", s)
			}
			unreach++
		}
	}
	t.Logf("UDP scan of 200 ports in one instant: %d port unreachables, OutRateLimitHost %d",
		unreach, r.ns.MIB.Get(netns.ICMPOutRateLimitHost))
	if unreach < 1 || unreach > 6 {
		t.Errorf("UDP scan: %d port unreachables, want a burst of at most 6", unreach)
	}
	r.advance(time.Second)
	r.drain() // the SYN-ACK of port 80, retransmitted
	r.injectRaw(udp(4000))
	if out := r.all(); len(out) != 1 || out[0].icmp == nil {
		t.Errorf("a second later: %v, want one port unreachable", out)
	}
	finish(t, r, before)
}

// TestHostileZeroWindow: a peer that keeps its window shut and answers
// every probe holds the connection open as long as it likes (the
// persist timer keeps probing, backed off to TCP_RTO_MAX) unless
// TCP_USER_TIMEOUT is set, which then aborts it with ETIMEDOUT.
func TestHostileZeroWindow(t *testing.T) {
	for _, userTimeout := range []time.Duration{0, 30 * time.Second} {
		t.Run(userTimeout.String(), func(t *testing.T) {
			before := pktbuf.Outstanding()
			r, fd, _ := established(t)
			if userTimeout > 0 {
				if err := r.proc.SetsockoptInt(fd, abi.SOL_TCP, abi.TCP_USER_TIMEOUT, int(userTimeout/time.Millisecond)); err != nil {
					t.Fatal(err)
				}
			}
			// The peer shuts its window.
			r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, window: 0, opts: r.ts()})
			r.inject(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK, window: 0, opts: r.ts()})
			r.drain()
			if _, err := r.proc.Write(fd, []byte("blocked")); err != nil {
				t.Fatal(err)
			}
			probes := 0
			var last time.Time
			var gaps []time.Duration
			end := r.clk.Now().Add(10 * time.Minute)
			for r.clk.Now().Before(end) {
				r.advance(100 * time.Millisecond)
				for _, s := range r.all() {
					if s.tcp == nil || s.tcp.Flags()&wire.TCPFlagRST != 0 {
						continue
					}
					probes++
					if !last.IsZero() {
						gaps = append(gaps, r.clk.Now().Sub(last))
					}
					last = r.clk.Now()
					// Answer the probe: the window is still zero.
					r.inject(seg{seq: r.peerNxt, ack: r.ourNxt - uint32(len(s.tcp.Payload())), flags: wire.TCPFlagACK, window: 0, opts: r.ts()})
					r.drain()
				}
			}
			_, err := r.proc.Write(fd, []byte("more"))
			t.Logf("user timeout %v: %d probes in 10 minutes, gaps %v; write then: %v", userTimeout, probes, gaps, err)
			if userTimeout == 0 {
				if probes < 10 {
					t.Errorf("only %d zero-window probes in 10 minutes", probes)
				}
				if err != nil {
					t.Errorf("the connection died without TCP_USER_TIMEOUT: %v", err)
				}
				for _, g := range gaps {
					if g > 121*time.Second {
						t.Errorf("probe gap %v beyond TCP_RTO_MAX", g)
					}
				}
			} else if !errors.Is(err, errno.ETIMEDOUT) {
				t.Errorf("with TCP_USER_TIMEOUT %v the write after 10 minutes: %v, want ETIMEDOUT", userTimeout, err)
			}
			finish(t, r, before)
		})
	}
}

// TestHostileIdleConnections: slowloris. Half-open connections (a SYN,
// then nothing) leave the SYN queue after the SYN-ACK retries
// (tcp_synack_retries 5: about 63 s); idle established connections on a
// server with keepalive (TCP_KEEPIDLE 60 s, TCP_KEEPINTVL 10 s,
// TCP_KEEPCNT 3) end with ETIMEDOUT once the peer stops answering.
func TestHostileIdleConnections(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 4)
	t.Cleanup(r.close)
	lfd := r.listen(1024)
	for i := range 200 {
		r.sport = uint16(20000 + i)
		r.inject(seg{seq: 99, flags: wire.TCPFlagSYN, opts: r.synOpts()})
	}
	r.drain()
	var fds []int
	for i := range 20 {
		fd := r.handshake(lfd, uint16(30000+i), 5000)
		for opt, v := range map[int]int{abi.TCP_KEEPIDLE: 60, abi.TCP_KEEPINTVL: 10, abi.TCP_KEEPCNT: 3} {
			if err := r.proc.SetsockoptInt(fd, abi.SOL_TCP, opt, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.proc.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, 1); err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	conns, _ := r.tcp.Tables()
	t.Logf("after 200 SYNs and 20 handshakes: %d entries in the connection table", conns)
	for range 130 {
		r.advance(time.Second)
		r.drain()
	}
	if c, _ := r.tcp.Tables(); c != 0 {
		t.Errorf("%d connections left 130 s later", c)
	}
	for _, fd := range fds {
		if _, err := r.proc.Read(fd, make([]byte, 1)); !errors.Is(err, errno.ETIMEDOUT) {
			t.Fatalf("idle connection read: %v, want ETIMEDOUT", err)
		}
	}
	finish(t, r, before)
}

// fragments cuts the IPv4 packet p into fragments carrying size bytes of
// its payload each (a multiple of 8), with IP ID id.
func fragments(p []byte, size int, id uint16) [][]byte {
	h := wire.IPv4(p)
	payload := h.Payload()
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		var flags uint8
		if end < len(payload) {
			flags = wire.IPv4FlagMoreFragments
		}
		f := wire.IPv4Fields{TTL: 64, Protocol: h.Protocol(), ID: id, Flags: flags, FragmentOffset: uint16(off),
			Src: h.Src(), Dst: h.Dst()}
		f.TotalLen = uint16(f.Len() + end - off)
		b := make([]byte, f.TotalLen)
		f.Encode(wire.IPv4(b))
		wire.IPv4(b).UpdateChecksum()
		copy(b[f.Len():], payload[off:end])
		out = append(out, b)
	}
	return out
}

// TestHostileFragments: a TCP segment in 8-byte fragments, delivered in
// reverse order, is reassembled and its data read; the same segment with
// one overlapping fragment carrying other bytes is dropped whole (Linux
// discards overlapping IPv4 fragments since 4.19: IpReasmFails), so
// overlap cannot smuggle data past the checksum; a flood of incomplete
// fragments stays within the reassembly memory and is gone after
// ipfrag_time.
func TestHostileFragments(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	msg := []byte("reassembled from tiny fragments!")
	p := r.packet(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK | wire.TCPFlagPSH, payload: msg})
	frags := fragments(p, 8, 77)
	for i := len(frags) - 1; i >= 0; i-- {
		r.injectRaw(frags[i])
	}
	r.peerNxt += uint32(len(msg))
	buf := make([]byte, 100)
	if n, err := r.proc.Read(fd, buf); err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("read after %d fragments: %q, %v", len(frags), buf[:n], err)
	}
	r.drain()

	// Overlap: a second copy of fragment 2's range, shifted by 8 bytes
	// and carrying other bytes.
	evil := []byte("EVIL")
	fails := r.ns.MIB.Get(netns.IPReasmFails)
	p = r.packet(seg{seq: r.peerNxt, ack: r.ourNxt, flags: wire.TCPFlagACK | wire.TCPFlagPSH, payload: append([]byte(nil), msg...)})
	frags = fragments(p, 16, 78)
	bad := append([]byte(nil), frags[1]...)
	h := wire.IPv4(bad)
	h.SetFragmentOffset(h.FragmentOffset() + 8)
	copy(h.Payload(), bytes.Repeat(evil, 4))
	h.UpdateChecksum()
	r.injectRaw(frags[0])
	r.injectRaw(frags[1])
	r.injectRaw(bad)
	for _, f := range frags[2:] {
		r.injectRaw(f)
	}
	if n, err := r.proc.Read(fd, buf); !errors.Is(err, errno.EAGAIN) {
		t.Fatalf("overlapping fragments delivered %q (%v)", buf[:n], err)
	}
	if r.ns.MIB.Get(netns.IPReasmFails) == fails {
		t.Error("no IpReasmFails for the overlap")
	}

	// A flood: 20,000 first fragments of distinct datagrams, never
	// completed.
	held := pktbuf.Outstanding()
	for id := range 20000 {
		r.injectRaw(frags[0])
		wire.IPv4(frags[0]).SetID(uint16(1000 + id))
		wire.IPv4(frags[0]).UpdateChecksum()
	}
	peak := pktbuf.Outstanding() - held
	t.Logf("20,000 incomplete datagrams: %d buffers held, IpReasmFails %d", peak, r.ns.MIB.Get(netns.IPReasmFails))
	// ipfrag_high_thresh (4 MiB) over the least a fragment is charged
	// (its bytes plus 256, as Linux's truesize overhead).
	if limit := int64(4<<20) / int64(len(frags[0])+256); peak > limit {
		t.Errorf("%d fragment buffers held after the flood, more than ipfrag_high_thresh allows (%d)", peak, limit)
	}
	r.advance(31 * time.Second) // ipfrag_time
	if n := pktbuf.Outstanding() - held; n > 0 {
		t.Errorf("%d fragment buffers held after ipfrag_time", n)
	}
	echoWorks(t, r, fd)
	finish(t, r, before)
}

// TestHostileSynFloodMemory: 50,000 forged SYNs (over 300 times a backlog
// of 128) leave the listener holding no more than its SYN queue; the
// rest are answered with SYN cookies and cost nothing: no connection,
// no charged memory, no packet buffer, and the heap stays flat. A real
// client completes its handshake on a cookie in the middle of the flood
// and exchanges data. (tcp/listen_test.go's TestSynFlood checks the
// counters at 10 times the backlog.)
func TestHostileSynFloodMemory(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 10)
	t.Cleanup(r.close)
	const backlog = 128
	lfd := r.listen(backlog)
	var ms runtime.MemStats
	flood := func(n, base int) {
		for i := range n {
			r.sport = uint16(1024 + (base+i)%60000)
			r.inject(seg{seq: uint32(base+i) * 7919, flags: wire.TCPFlagSYN, opts: r.synOpts()})
			if i%1024 == 0 {
				r.drain()
			}
		}
		r.drain()
	}
	flood(10000, 0)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap := ms.HeapAlloc
	held := pktbuf.Outstanding()
	flood(40000, 10000)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	conns, _ := r.tcp.Tables()
	mib := r.ns.MIB
	t.Logf("50,000 SYNs at backlog %d: %d connections held, SyncookiesSent %d, heap %+d KiB over the last 40,000, buffers %+d",
		backlog, conns, mib.Get(netns.TCPExtSyncookiesSent), (int64(ms.HeapAlloc)-int64(heap))>>10, pktbuf.Outstanding()-held)
	if conns > backlog+1 {
		t.Errorf("%d connections held, more than the SYN queue (%d)", conns, backlog+1)
	}
	if mib.Get(netns.TCPExtSyncookiesSent) < 40000 {
		t.Errorf("SyncookiesSent %d", mib.Get(netns.TCPExtSyncookiesSent))
	}
	if d := pktbuf.Outstanding() - held; d != 0 {
		t.Errorf("%d packet buffers more after 40,000 more SYNs", d)
	}
	if int64(ms.HeapAlloc)-int64(heap) > 4<<20 {
		t.Errorf("heap grew by %d KiB over 40,000 SYNs", (ms.HeapAlloc-heap)>>10)
	}
	// A real client, on a cookie.
	fd := r.handshake(lfd, 65000, 42)
	r.drain()
	echoWorks(t, r, fd)
	if mib.Get(netns.TCPExtSyncookiesRecv) != 1 {
		t.Errorf("SyncookiesRecv %d, want 1", mib.Get(netns.TCPExtSyncookiesRecv))
	}
	finish(t, r, before)
}
