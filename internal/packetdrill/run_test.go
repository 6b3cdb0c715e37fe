package packetdrill

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock/netns"
)

// Runner tests with small scripts written for gosock: they use what the
// stack has today (UDP sockets, ICMP echo, pipes, epoll, errno of calls
// that fail) and a scripted fake TCP (run_fake_test.go), and cover
// every grammar form and every kind of mismatch.

func runScript(t *testing.T, o Options, name, src string) *Result {
	t.Helper()
	res := NewRunner(o).RunSource(filepath.Join(t.TempDir(), name), []byte(src))
	t.Logf("%s\n%s", res, res.Detail)
	return res
}

func wantOutcome(t *testing.T, res *Result, o Outcome, line int, texts ...string) {
	t.Helper()
	if res.Outcome != o {
		t.Fatalf("outcome %s, want %s: %s\n%s", res.Outcome, o, res, res.Detail)
	}
	if line > 0 && res.Pos.Line != line {
		t.Errorf("at line %d, want line %d: %s", res.Pos.Line, line, res)
	}
	all := res.Reason + "\n" + res.Detail
	for _, s := range texts {
		if !strings.Contains(all, s) {
			t.Errorf("message lacks %q:\n%s", s, all)
		}
	}
}

const udpScript = `// UDP sockets through the runner.
--tolerance_usecs=5000
0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_BINDTODEVICE, "tun0", 5) = 0
+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.168.0.1")}, 16) = 0
+0 sendto(3, ..., 100, 0, ..., ...) = 100
+0 > udp (100)
+.1 < udp (50)
+0 recvfrom(3, ..., 1000, 0, ..., ...) = 50
+0...0.2 read(3, ..., 1000) = 20
+.2 < udp (20)
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 read(3, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)
+0 fcntl(3, F_GETFL) = O_RDWR|O_NONBLOCK
+0 recv(3, ..., 10, MSG_DONTWAIT) = -1 EAGAIN
+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 4
+0 connect(4, ..., ...) = 0
+0 send(4, ..., 10, 0) = 10
+0 > udp (10)
+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 5}, {..., 7}], msg_flags=0}, 0) = 12
+0 > udp (12)
+0 < udp (8)
+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 8
+0 close(4) = 0
* < udp (1)
+0 > icmp unreachable port_unreachable [udp (1)]
+0 poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [5000], 4) = 0
+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [10000], [4]) = 0
+0 shutdown(3, SHUT_RD) = -1 ENOTCONN
+0 close(3) = 0
`

func TestRunUDP(t *testing.T) {
	wantOutcome(t, runScript(t, Options{}, "udp.pkt", udpScript), Pass, 0)
}

func TestRunUDPModes(t *testing.T) {
	src := `0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 bind(3, ..., ...) = 0
+0 sendto(3, ..., 30, 0, ..., ...) = 30
+0 > udp (30)
+.01 < udp (40)
+0 read(3, ..., 100) = 40
+0 < icmp echo_request
+0 > icmp echo_reply
`
	for _, m := range []IPMode{ModeIPv4, ModeIPv6, ModeIPv4Mapped} {
		t.Run(m.String(), func(t *testing.T) {
			res := runScript(t, Options{Mode: m}, "modes.pkt", src)
			wantOutcome(t, res, Pass, 0)
			if res.Mode != m {
				t.Errorf("ran in mode %s", res.Mode)
			}
		})
	}
	// The file name and the header choose the mode when the options do not.
	if res := runScript(t, Options{}, "modes-v6.pkt", src); res.Mode != ModeIPv6 || res.Outcome != Pass {
		t.Errorf("v6.pkt: %s in %s", res, res.Mode)
	}
	if res := runScript(t, Options{}, "modes.pkt", "--ip_version=ipv6\n"+src); res.Mode != ModeIPv6 || res.Outcome != Pass {
		t.Errorf("--ip_version: %s in %s", res, res.Mode)
	}
	res := runScript(t, Options{}, "modes.pkt", "--local_ip=10.0.0.1\n--remote_ip=10.9.0.2\n"+src)
	wantOutcome(t, res, Pass, 0)
}

func TestRunSyscallErrors(t *testing.T) {
	// Right errno: passes.
	res := runScript(t, Options{}, "errno.pkt", `0 socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP) = -1 EPROTONOSUPPORT (Protocol not supported)
+0 socket(12345, SOCK_DGRAM, 0) = -1 EAFNOSUPPORT
+0 close(9) = -1 EBADF
+0 read(9, ..., 10) = -1
+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 5
+0 listen(5, 1) = -1 EOPNOTSUPP
+0 fcntl(5, F_SETFL, O_NONBLOCK) = 0
+0 read(5, ..., 10) = -1 EAGAIN
`)
	wantOutcome(t, res, Pass, 0)

	// Wrong errno: fails with both errnos in the message.
	res = runScript(t, Options{}, "wrong-errno.pkt", `0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 read(3, ..., 10) = -1 EBADF (Bad file descriptor)
`)
	wantOutcome(t, res, Fail, 3, "read(3, ..., 10) = -1 EAGAIN, expected -1 EBADF", "errno: expected -1 EBADF, actual -1 EAGAIN")

	// Wrong return value.
	res = runScript(t, Options{}, "wrong-ret.pkt", `0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 sendto(3, ..., 100, 0, ..., ...) = 99
`)
	wantOutcome(t, res, Fail, 2, "sendto(3, ..., 100, 0, ..., ...) = 100, expected 99")

	// A call that fails where the script expects success.
	res = runScript(t, Options{}, "unexpected-error.pkt", "0 socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP) = 3\n")
	wantOutcome(t, res, Fail, 1, "= -1 EPROTONOSUPPORT, expected 3")

	// A call that succeeds where the script expects an error.
	res = runScript(t, Options{}, "unexpected-success.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = -1 EINVAL\n")
	wantOutcome(t, res, Fail, 1, "expected -1 EINVAL")

	// Output arguments are compared.
	res = runScript(t, Options{}, "getsockopt.pkt", `0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [10000], 4) = 0
+0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [10000], [4]) = 0
`)
	wantOutcome(t, res, Fail, 3, "getsockopt output: value: expected 10000, actual 20000")
}

func TestRunBlockingCalls(t *testing.T) {
	prefix := "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 bind(3, ..., ...) = 0\n"
	// Returns in its window.
	wantOutcome(t, runScript(t, Options{}, "block.pkt", prefix+"+0...0.3 read(3, ..., 100) = 10\n+.3 < udp (10)\n"), Pass, 0)
	// Relative end time uses the start's base.
	wantOutcome(t, runScript(t, Options{}, "block-rel.pkt", prefix+"+.1...0.3 read(3, ..., 100) = 10\n+.2 < udp (10)\n"), Pass, 0)
	// Returns too early.
	wantOutcome(t, runScript(t, Options{}, "block-early.pkt", prefix+"+0...0.3 read(3, ..., 100) = 10\n+.1 < udp (10)\n"),
		Fail, 3, "return of read() early", "expected at 0.3 s")
	// Returns too late: the next call waits for it, in vain.
	wantOutcome(t, runScript(t, Options{}, "block-late.pkt", prefix+"+0...0.1 read(3, ..., 100) = 10\n+.3 < udp (10)\n+0 close(3) = 0\n"),
		Fail, 3, "return of read() late", "actual at 0.3 s")
	// Never returns.
	wantOutcome(t, runScript(t, Options{}, "block-never.pkt", prefix+"+0...0.1 read(3, ..., 100) = 10\n"),
		Fail, 3, "return of read() late", "still blocked at 0.1125 s")
	// A call written to return at once that blocks.
	wantOutcome(t, runScript(t, Options{}, "block-unexpected.pkt", prefix+"+0 read(3, ..., 100) = 10\n"),
		Fail, 3, "read() blocked, expected to return at once")
	// "...0" returns at once.
	wantOutcome(t, runScript(t, Options{}, "block-zero.pkt", prefix+"+0 < udp (5)\n+0...0 read(3, ..., 100) = 5\n"), Pass, 0)
	// A timeout inside the stack fires on the virtual clock: poll waits 500 ms.
	res := runScript(t, Options{}, "poll-timeout.pkt", prefix+"+0...0.5 poll([{fd=3, events=POLLIN, revents=0}], 1, 500) = 0\n")
	wantOutcome(t, res, Pass, 0)
	if res.Elapsed > 5*time.Second {
		t.Errorf("a 0.5 s virtual wait took %v", res.Elapsed)
	}
}

func TestRunPacketMismatches(t *testing.T) {
	prefix := "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 bind(3, ..., ...) = 0\n"
	// Missing packet.
	wantOutcome(t, runScript(t, Options{}, "missing.pkt", prefix+"+0 > udp (10)\n"),
		Fail, 3, "missing outbound packet", "nothing sent by 2.004 s")
	// Unexpected extra packet: an ICMP error where the script expects a datagram.
	wantOutcome(t, runScript(t, Options{}, "extra.pkt", `0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 connect(3, ..., ...) = 0
+0 < udp (10)
+0 write(3, ..., 20) = 20
+0 > udp (20)
`), Fail, 5, "outbound packet: protocol", "actual:   > icmp unreachable port_unreachable")
	// Wrong payload length.
	wantOutcome(t, runScript(t, Options{}, "length.pkt", prefix+"+0 sendto(3, ..., 20, 0, ..., ...) = 20\n+0 > udp (21)\n"),
		Fail, 4, "payload length: expected 21, actual 20")
	// Early and late packets.
	wantOutcome(t, runScript(t, Options{}, "early.pkt", prefix+"+0 sendto(3, ..., 20, 0, ..., ...) = 20\n+.1 > udp (20)\n"),
		Fail, 4, "outbound packet early")
	// A late answer (the packet comes after its window) is reported as late.
	wantOutcome(t, runScript(t, Options{}, "late.pkt", prefix+"+0...0.5 read(3, ..., 10) = 5\n+.5 < udp (5)\n+0 sendto(3, ..., 20, 0, ..., ...) = 20\n0.2 > udp (20)\n"),
		Fail, 6, "outbound packet late: expected at 0.2 s (±0.004 s), actual at 0.5 s")
	// Windows and the tolerance.
	wantOutcome(t, runScript(t, Options{}, "window.pkt", prefix+"+0 sendto(3, ..., 20, 0, ..., ...) = 20\n+0~+.1 > udp (20)\n"), Pass, 0)
	wantOutcome(t, runScript(t, Options{}, "tolerance.pkt", "--tolerance_usecs=200000\n"+prefix+"+0 sendto(3, ..., 20, 0, ..., ...) = 20\n+.1 > udp (20)\n"), Pass, 0)
	wantOutcome(t, runScript(t, Options{Tolerance: 200 * time.Millisecond}, "tolerance2.pkt", prefix+"+0 sendto(3, ..., 20, 0, ..., ...) = 20\n+.1 > udp (20)\n"), Pass, 0)
	// Outbound IP annotations are checked.
	wantOutcome(t, runScript(t, Options{}, "ttl.pkt", prefix+"+0 < icmp echo_request\n+0 > (ttl 1) icmp echo_reply\n"), Fail, 4, "ttl: expected 1, actual 64")
}

func TestRunFakeTCP(t *testing.T) {
	base := func() *fakeTCP {
		return &fakeTCP{isn: 12345, synAckOpts: opt(2, 4, 0x05, 0xb4, 1, 3, 3, 8), train: []int{1000, 1000, 1000}, pshLast: true}
	}
	handshake := `0 < S 0:0(0) win 1000 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 1000
`
	run := func(name string, f *fakeTCP, src string) *Result {
		return runScript(t, Options{Setup: f.install}, name, src)
	}
	// Handshake and a TSO-style train of three MSS segments on one line.
	wantOutcome(t, run("train.pkt", base(), handshake+"+0 > P. 1:3001(3000) ack 1\n+.1 < . 1:1(0) ack 3001 win 1000\n"), Pass, 0)
	// The same train line by line.
	wantOutcome(t, run("pieces.pkt", base(), handshake+"+0 > . 1:1001(1000) ack 1\n+0 > . 1001:2001(1000) ack 1\n+0 > P. 2001:3001(1000) ack 1\n"), Pass, 0)
	// --strict_segments turns aggregation off.
	wantOutcome(t, run("strict.pkt", base(), "--strict_segments\n"+handshake+"+0 > P. 1:3001(3000) ack 1\n"),
		Fail, 5, "flags: expected P., actual .", "payload length: expected 3000, actual 1000")
	// A train that stops short.
	wantOutcome(t, run("short.pkt", base(), handshake+"+0 > P. 1:4001(4000) ack 1\n"), Fail, 4, "payload length: expected 4000, actual 3000")
	// Wrong sequence, ack, window and options.
	wantOutcome(t, run("seq.pkt", base(), handshake+"+0 > P. 2:3002(3000) ack 1\n"), Fail, 4, "seq: expected 2, actual 1")
	wantOutcome(t, run("ack.pkt", base(), "0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 2 <mss 1460,nop,wscale 8>\n"), Fail, 2, "ack: expected 2, actual 1")
	wantOutcome(t, run("win.pkt", base(), "0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 8>\n"),
		Fail, 2, "win: expected 65535, actual 502")
	wantOutcome(t, run("opts.pkt", base(), "0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>\n"),
		Fail, 2, "option wscale 7")
	wantOutcome(t, run("flags.pkt", base(), "0 < S 0:0(0) win 1000\n+0 > S 0:0(0) <mss 1460,nop,wscale 8>\n"), Fail, 2, "flags: expected S, actual S.")
	// A nonzero peer ISN: the SYN-ACK's ack is absolute, later ones relative.
	wantOutcome(t, run("isn.pkt", base(), `0 < S 1428932:1428932(0) win 1000
+0 > S. 0:0(0) ack 1428933 <mss 1460,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 1000
+0 > P. 1:3001(3000) ack 1
+0 < P. 1:101(100) ack 3001 win 1000
+0 > . 3001:3001(0) ack 101
`), Pass, 0)
	// An extra packet is caught by the next outbound line.
	f := base()
	f.extraAck = true
	wantOutcome(t, run("extra.pkt", f, handshake+"+0 > P. 1:3001(3000) ack 1\n"), Fail, 4, "payload length: expected 3000, actual 0")
	// Retransmission timing, with 12.5% tolerance over long gaps.
	rtx := func() *fakeTCP { f := base(); f.rto, f.retries = time.Second, 1; return f }
	syn := "0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"
	wantOutcome(t, run("rto.pkt", rtx(), syn+"+1 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"), Pass, 0)
	wantOutcome(t, run("rto-pct.pkt", rtx(), syn+"+.9 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"), Pass, 0)
	wantOutcome(t, run("rto-late.pkt", rtx(), syn+"+.8 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"), Fail, 3, "outbound packet late")
	wantOutcome(t, run("rto-early.pkt", rtx(), syn+"+1.2 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"), Fail, 3, "outbound packet early")
	wantOutcome(t, run("rto-missing.pkt", rtx(), syn+"+1 > S. 0:0(0) ack 1 <...>\n+2 > S. 0:0(0) ack 1 <...>\n"),
		Fail, 4, "missing outbound packet", "expected sent at 3 s (±0.25 s), actual nothing sent by 5.25 s")
	wantOutcome(t, run("rto-any.pkt", rtx(), syn+"* > S. 0:0(0) ack 1 <...>\n"), Pass, 0)
	// A delayed answer.
	d := func() *fakeTCP { f := base(); f.delay = 50 * time.Millisecond; return f }
	wantOutcome(t, run("delay.pkt", d(), "0 < S 0:0(0) win 1000\n+.05 > S. 0:0(0) ack 1 <...>\n"), Pass, 0)
	wantOutcome(t, run("delay-late.pkt", d(), "0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <...>\n"), Fail, 2, "outbound packet late")
}

func TestRunFakeTCPTimestamps(t *testing.T) {
	f := &fakeTCP{isn: 9, synAckOpts: opt(2, 4, 0x05, 0xb4), tsVal: 777777}
	src := `0 < S 0:0(0) win 1000 <mss 1000,nop,nop,TS val 5 ecr 0>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,TS val 100 ecr 5>
+.1 < . 1:1(0) ack 1 win 1000 <nop,nop,TS val 6 ecr 100>
`
	wantOutcome(t, runScript(t, Options{Setup: f.install}, "ts.pkt", src), Pass, 0)
	if len(f.ecrs) != 2 || f.ecrs[1] != 777777 {
		t.Errorf("peer's ecr values %v, want the stack's TS val 777777 echoed", f.ecrs)
	}
}

func TestRunFakeTCPActiveOpen(t *testing.T) {
	f := &fakeTCP{isn: 4000, connectAt: 100 * time.Millisecond, connectTo: 8080}
	src := `0.1 > S 0:0(0) <mss 1460>
+0 < S. 500:500(0) ack 1 win 1000
+0 > . 1:1(0) ack 1
+.1 < P. 1:11(10) ack 1 win 1000
+0 > . 1:1(0) ack 11
`
	wantOutcome(t, runScript(t, Options{Setup: f.install}, "active.pkt", src), Pass, 0)
}

func TestRunShellAndSysctls(t *testing.T) {
	// A sysctl reaches the namespace: new UDP sockets take
	// net.core.rmem_default.
	res := runScript(t, Options{}, "sysctl.pkt", "`sysctl -q net.core.rmem_default=100000`\n"+
		"0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [100000], [4]) = 0\n")
	wantOutcome(t, res, Pass, 0)
	// defaults.sh (here the built-in table) and a timed command.
	res = runScript(t, Options{}, "defaults.pkt", "`../common/defaults.sh`\n0 `sysctl -q net.ipv4.tcp_sack=0`\n"+
		"+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n`/tmp/sysctl_restore_${PPID}.sh`\n")
	wantOutcome(t, res, Pass, 0)
	// Unknown settings and commands are unsupported, with the reason.
	wantOutcome(t, runScript(t, Options{}, "unknown-sysctl.pkt", "`sysctl -q net.ipv4.tcp_no_such_thing=1`\n0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"),
		Unsupported, 1, "sysctl net.ipv4.tcp_no_such_thing is not in gosock's table")
	wantOutcome(t, runScript(t, Options{}, "unknown-cmd.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 `cat /etc/passwd`\n"),
		Unsupported, 2, `shell: command "cat /etc/passwd" is not emulated`)
	// A qdisc that drops everything: sends fail locally.
	res = runScript(t, Options{}, "qdisc.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"+
		"+0 `tc qdisc add dev tun0 root pfifo limit 0`\n+0 sendto(3, ..., 10, 0, ..., ...) = -1 ENOBUFS\n")
	wantOutcome(t, res, Pass, 0)
}

func TestRunPython(t *testing.T) {
	res := runScript(t, Options{}, "py.pkt", "0 %{ x = 1; x += 2 }%\n+0 %{ assert x == 3, x }%\n+0 %{ assert x == 4, 'x=%d' % x }%\n")
	wantOutcome(t, res, Fail, 3, "python assertion failed: x == 4", "message: x=3")
	// TCP_INFO of a socket that has none: unsupported, with the errno.
	res = runScript(t, Options{}, "py-udp.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 %{ assert tcpi_snd_cwnd == 10 }%\n")
	wantOutcome(t, res, Unsupported, 2, "TCP_INFO")
	// No socket at all.
	wantOutcome(t, runScript(t, Options{}, "py-none.pkt", "0 %{ assert tcpi_state == 1 }%\n"), Unsupported, 1, "no socket under test")
	// Statements outside the subset make the script unsupported before it runs.
	res = runScript(t, Options{}, "py-if.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_TCP) = 3\n+0 %{\nif x:\n  pass\n}%\n")
	wantOutcome(t, res, Unsupported, 2, "compound statement")
}

func TestRunPipesAndEpoll(t *testing.T) {
	res := runScript(t, Options{}, "epoll.pkt", `0 pipe([5, 6]) = 0
+0 write(6, ..., 10) = 10
+0 read(5, ..., 100) = 10
+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 bind(3, ..., ...) = 0
+0 epoll_create(1) = 7
+0 epoll_ctl(7, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0
+0 epoll_wait(7, {events=0, ptr=0}, 1, 0) = 0
+.1 < udp (10)
+0 epoll_wait(7, {events=EPOLLIN, fd=3}, 1, 0) = 1
+0 epoll_ctl(7, EPOLL_CTL_MOD, 3, {events=EPOLLIN|EPOLLOUT|EPOLLET, fd=3}) = 0
+0 epoll_wait(7, {events=EPOLLOUT, fd=3}, 1, 0) = 1
`)
	wantOutcome(t, res, Fail, 12, "epoll_wait events: events[0]: expected EPOLLOUT, actual EPOLLIN|EPOLLOUT")
}

func TestRunHeaderOptions(t *testing.T) {
	wantOutcome(t, runScript(t, Options{}, "opt.pkt", "--no_such_option=1\n0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"),
		Unsupported, 1, "header option --no_such_option")
	wantOutcome(t, runScript(t, Options{}, "badopt.pkt", "--tolerance_usecs=abc\n0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"),
		Fail, 1, "bad value for --tolerance_usecs")
	wantOutcome(t, runScript(t, Options{}, "parse.pkt", "0 socket(..., SOCK_DGRAM\n"), Fail, 2, "parse error")
	wantOutcome(t, runScript(t, Options{}, "unknown-call.pkt", "0 splice(3, 4) = 0\n"), Unsupported, 1, "splice() is not supported")
	wantOutcome(t, runScript(t, Options{}, "null.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, NULL, 4) = -1 EFAULT\n"),
		Unsupported, 2, "NULL option value")
	// A NULL data buffer goes through the system-call face: EFAULT.
	wantOutcome(t, runScript(t, Options{}, "nullbuf.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(3, NULL, 10) = 0\n"),
		Fail, 3, "= -1 EAGAIN, expected 0")
	wantOutcome(t, runScript(t, Options{}, "symbol.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_NO_SUCH, [1], 4) = 0\n"),
		Unsupported, 2, "symbol SO_NO_SUCH")
	wantOutcome(t, runScript(t, Options{}, "md5.pkt", "0 < . 1:1(0) ack 1 win 1 <md5 00>\n"), Unsupported, 1, "MD5")
}

func TestRunGrammarForms(t *testing.T) {
	// Every time form and line kind in one script.
	src := `// comments /* and */ blocks
/* a block
   comment */
--tolerance_usecs=10000
` + "`sysctl -q net.ipv4.tcp_sack=1`" + `
0.000 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
0.1 < [ect0] udp (10)
+0 read(3, ..., 100) = 10
0.2~0.3 < (tos 0x4, ttl 9) icmp echo_request
+0~+0.01 > icmp echo_reply
*  > udp (3)
`
	res := runScript(t, Options{}, "grammar.pkt", src)
	// The last line expects a datagram nobody sends: a missing packet,
	// after every form before it ran.
	wantOutcome(t, res, Fail, 13, "missing outbound packet")
}

func TestRunSetupHook(t *testing.T) {
	called := false
	setup := func(ns *netns.Namespace) error {
		called = true
		if ns.InterfaceByName(DeviceName) == nil {
			t.Error("setup hook did not see tun0")
		}
		return nil
	}
	wantOutcome(t, runScript(t, Options{Setup: setup}, "setup.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"), Pass, 0)
	if !called {
		t.Error("setup hook not called")
	}
	failing := func(*netns.Namespace) error { return errors.New("no way") }
	wantOutcome(t, runScript(t, Options{Setup: failing}, "setup-fail.pkt", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"), Fail, 0, "setup: no way")
}
