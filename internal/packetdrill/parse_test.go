package packetdrill

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Helpers that build expected ASTs (positions are ignored by the tests).

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func relT(d time.Duration) TimeSpec { return TimeSpec{Kind: TimeRelative, Start: d, End: d} }

func absT(d time.Duration) TimeSpec { return TimeSpec{Kind: TimeAbsolute, Start: d, End: d} }

func seq(start, end, n uint32) SeqRange { return SeqRange{Start: start, End: end, Len: n} }

func opts(o ...*TCPOption) *TCPOptionList { return &TCPOptionList{Options: o} }

func mssO(v uint16) *TCPOption   { return &TCPOption{Kind: OptMSS, Value: v} }
func wsO(v uint16) *TCPOption    { return &TCPOption{Kind: OptWScale, Value: v} }
func nopO() *TCPOption           { return &TCPOption{Kind: OptNOP} }
func sackOKO() *TCPOption        { return &TCPOption{Kind: OptSACKPermitted} }
func tsO(v, e uint32) *TCPOption { return &TCPOption{Kind: OptTimestamp, TSVal: v, TSEcr: e} }

func num(v int64) *IntLit      { return &IntLit{Value: v} }
func hexN(v int64) *IntLit     { return &IntLit{Value: v, Hex: true} }
func id(name string) *Ident    { return &Ident{Name: name} }
func ell() *Ellipsis           { return &Ellipsis{} }
func or(x, y Expr) *BinaryExpr { return &BinaryExpr{Op: "|", X: x, Y: y} }
func list(e ...Expr) *ListExpr { return &ListExpr{Elems: e} }
func fld(name string, v Expr) *Field {
	return &Field{Name: name, Value: v}
}
func pos(v Expr) *Field                    { return &Field{Value: v} }
func strct(f ...*Field) *StructExpr        { return &StructExpr{Fields: f} }
func call(fun string, a ...Expr) *CallExpr { return &CallExpr{Fun: fun, Args: a} }

func tcp(dir Direction, t TimeSpec, f TCPFlags, s SeqRange, mod func(*TCPSegment)) *PacketLine {
	seg := &TCPSegment{Flags: f, Seq: s}
	if mod != nil {
		mod(seg)
	}
	return &PacketLine{Time: t, Dir: dir, Packet: seg}
}

func sys(t TimeSpec, name string, result Expr, args ...Expr) *SyscallLine {
	return &SyscallLine{Time: t, Name: name, Args: args, Result: result}
}

// mustParse parses src (with defines) and fails the test on error.
func mustParse(t *testing.T, src string, defines map[string]string) *Script {
	t.Helper()
	s, err := Parse("test.pkt", []byte(src), defines)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return s
}

// lineCases maps one-event scripts to their expected AST.
var lineCases = []struct {
	src  string
	want Line
}{
	// Packets.
	{"+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>",
		tcp(Inbound, relT(0), FlagSYN, seq(0, 0, 0), func(s *TCPSegment) {
			s.Win, s.HasWin = 32792, true
			s.Options = opts(mssO(1000), sackOKO(), nopO(), nopO(), nopO(), wsO(7))
		})},
	{"0.100 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>",
		tcp(Outbound, absT(ms(100)), FlagSYN|FlagACK, seq(0, 0, 0), func(s *TCPSegment) {
			s.Ack, s.HasAck = 1, true
			s.Options = opts(mssO(1460), sackOKO(), tsO(100, 0), nopO(), wsO(8))
		})},
	{"+.1 < . 1:1(0) ack 1 win 257",
		tcp(Inbound, relT(ms(100)), FlagACK, seq(1, 1, 0), func(s *TCPSegment) {
			s.Ack, s.HasAck, s.Win, s.HasWin = 1, true, 257, true
		})},
	{"+0 > P. 1:1001(1000) ack 1",
		tcp(Outbound, relT(0), FlagPSH|FlagACK, seq(1, 1001, 1000), func(s *TCPSegment) { s.Ack, s.HasAck = 1, true })},
	{"+0 < S 1428932:1428942(10) win 10000",
		tcp(Inbound, relT(0), FlagSYN, seq(1428932, 1428942, 10), func(s *TCPSegment) { s.Win, s.HasWin = 10000, true })},
	{"+0 < S 4294967295:9(10) win 1",
		tcp(Inbound, relT(0), FlagSYN, seq(4294967295, 9, 10), func(s *TCPSegment) { s.Win, s.HasWin = 1, true })},
	{"+0 < U. 1:2(1) ack 1 urg 1 win 100",
		tcp(Inbound, relT(0), FlagURG|FlagACK, seq(1, 2, 1), func(s *TCPSegment) {
			s.Ack, s.HasAck, s.Urg, s.HasUrg, s.Win, s.HasWin = 1, true, 1, true, 100, true
		})},
	{"+0 > - 1:1(0)", tcp(Outbound, relT(0), 0, seq(1, 1, 0), nil)},
	{"+0 > R 1:1(0)", tcp(Outbound, relT(0), FlagRST, seq(1, 1, 0), nil)},
	{"+0 > . 1:1(0) ack 1 <...>",
		tcp(Outbound, relT(0), FlagACK, seq(1, 1, 0), func(s *TCPSegment) {
			s.Ack, s.HasAck = 1, true
			s.Options = &TCPOptionList{Any: true}
		})},
	{"+0 > . 1:1(0) <>",
		tcp(Outbound, relT(0), FlagACK, seq(1, 1, 0), func(s *TCPSegment) { s.Options = &TCPOptionList{} })},
	{"+0 < . 1:1(0) ack 1 win 514 <sack 13201:14401 1:2,nop,nop,eol>",
		tcp(Inbound, relT(0), FlagACK, seq(1, 1, 0), func(s *TCPSegment) {
			s.Ack, s.HasAck, s.Win, s.HasWin = 1, true, 514, true
			s.Options = opts(&TCPOption{Kind: OptSACK, SACK: []SACKBlock{{13201, 14401}, {1, 2}}}, nopO(), nopO(), &TCPOption{Kind: OptEOL})
		})},
	{"+0 > S 0:0(0) <FO,FO abcd1234,FOEXP,FOEXP 76d2c1c530f51f79,md5 00ff,253 f989,30>",
		tcp(Outbound, relT(0), FlagSYN, seq(0, 0, 0), func(s *TCPSegment) {
			s.Options = opts(
				&TCPOption{Kind: OptFastOpen},
				&TCPOption{Kind: OptFastOpen, Data: []byte{0xab, 0xcd, 0x12, 0x34}},
				&TCPOption{Kind: OptFastOpenExp},
				&TCPOption{Kind: OptFastOpenExp, Data: []byte{0x76, 0xd2, 0xc1, 0xc5, 0x30, 0xf5, 0x1f, 0x79}},
				&TCPOption{Kind: OptMD5, Data: []byte{0, 0xff}},
				&TCPOption{Kind: OptGeneric, Code: 253, Data: []byte{0xf9, 0x89}},
				&TCPOption{Kind: OptGeneric, Code: 30},
			)
		})},
	{"+0 > [ect0] P. 1:1001(1000) ack 1",
		&PacketLine{Time: relT(0), Dir: Outbound, IP: &IPInfo{ECN: ECNECT0},
			Packet: &TCPSegment{Flags: FlagPSH | FlagACK, Seq: seq(1, 1001, 1000), Ack: 1, HasAck: true}}},
	{"+0 < [ce] . 1:1(0) ack 1 win 9",
		&PacketLine{Time: relT(0), Dir: Inbound, IP: &IPInfo{ECN: ECNCE},
			Packet: &TCPSegment{Flags: FlagACK, Seq: seq(1, 1, 0), Ack: 1, HasAck: true, Win: 9, HasWin: true}}},
	{"+0 > (ecn) . 1:1(0)",
		&PacketLine{Time: relT(0), Dir: Outbound, IP: &IPInfo{Paren: true, ECN: ECNECT01},
			Packet: &TCPSegment{Flags: FlagACK, Seq: seq(1, 1, 0)}}},
	{"+0 < (noecn, tos 0x10, ttl 64 flowlabel 0x12345) . 1:1(0)",
		&PacketLine{Time: relT(0), Dir: Inbound,
			IP:     &IPInfo{Paren: true, ECN: ECNNone, TOS: 0x10, HasTOS: true, TTL: 64, HasTTL: true, FlowLabel: 0x12345, HasFlowLabel: true},
			Packet: &TCPSegment{Flags: FlagACK, Seq: seq(1, 1, 0)}}},
	{"+0 < udp (1000)", &PacketLine{Time: relT(0), Dir: Inbound, Packet: &UDPDatagram{Len: 1000}}},
	{"+0 > [ect1] udp (10)", &PacketLine{Time: relT(0), Dir: Outbound, IP: &IPInfo{ECN: ECNECT1}, Packet: &UDPDatagram{Len: 10}}},
	{"+.01 < icmp unreachable frag_needed mtu 1200 [0:1000(1000)]",
		&PacketLine{Time: relT(ms(10)), Dir: Inbound, Packet: &ICMPMessage{Type: "unreachable", Code: "frag_needed",
			MTU: 1200, HasMTU: true, Quoted: &QuotedPacket{Proto: "tcp", Seq: seq(0, 1000, 1000)}}}},
	{"+0 < icmp unreachable",
		&PacketLine{Time: relT(0), Dir: Inbound, Packet: &ICMPMessage{Type: "unreachable"}}},
	{"+0 < icmp packet_too_big mtu 1400 [tcp 0:1440(1440)]",
		&PacketLine{Time: relT(0), Dir: Inbound, Packet: &ICMPMessage{Type: "packet_too_big", MTU: 1400, HasMTU: true,
			Quoted: &QuotedPacket{Proto: "tcp", Seq: seq(0, 1440, 1440)}}}},
	{"+0 < [ect0] icmp unreachable port_unreachable [udp (100)]",
		&PacketLine{Time: relT(0), Dir: Inbound, IP: &IPInfo{ECN: ECNECT0}, Packet: &ICMPMessage{Type: "unreachable",
			Code: "port_unreachable", Quoted: &QuotedPacket{Proto: "udp", Len: 100}}}},

	// Times.
	{"1 close(3) = 0", sys(absT(time.Second), "close", num(0), num(3))},
	{"0.000000001 close(3) = 0", sys(absT(1), "close", num(0), num(3))},
	{"* > F. 1:1(0) ack 1", tcp(Outbound, TimeSpec{Kind: TimeAny}, FlagFIN|FlagACK, seq(1, 1, 0), func(s *TCPSegment) { s.Ack, s.HasAck = 1, true })},
	{"0.1~0.2 close(3) = 0", sys(TimeSpec{Kind: TimeAbsolute, Start: ms(100), End: ms(200), Window: true}, "close", num(0), num(3))},
	{"+0~+0.5 > . 1:1(0)", tcp(Outbound, TimeSpec{Kind: TimeRelative, Start: 0, End: ms(500), Window: true}, FlagACK, seq(1, 1, 0), nil)},
	{"+.99~+1.1 > . 1:1(0)", tcp(Outbound, TimeSpec{Kind: TimeRelative, Start: ms(990), End: ms(1100), Window: true}, FlagACK, seq(1, 1, 0), nil)},
	{"+0...0.010 accept(3, ..., ...) = 4",
		&SyscallLine{Time: relT(0), Block: &BlockSpec{End: ms(10)}, Name: "accept", Args: []Expr{num(3), ell(), ell()}, Result: num(4)}},
	{"+.002 ... 0.004 connect(4, ..., ...) = 0",
		&SyscallLine{Time: relT(ms(2)), Block: &BlockSpec{End: ms(4)}, Name: "connect", Args: []Expr{num(4), ell(), ell()}, Result: num(0)}},
	{"+0 ... .02 close(4) = 0",
		&SyscallLine{Time: relT(0), Block: &BlockSpec{End: ms(20)}, Name: "close", Args: []Expr{num(4)}, Result: num(0)}},
	{"0.1...0.2 read(4, ..., 10) = 10",
		&SyscallLine{Time: absT(ms(100)), Block: &BlockSpec{End: ms(200)}, Name: "read", Args: []Expr{num(4), ell(), num(10)}, Result: num(10)}},

	// System calls.
	{"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", sys(absT(0), "socket", num(3), ell(), id("SOCK_STREAM"), id("IPPROTO_TCP"))},
	{"+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
		sys(relT(0), "setsockopt", num(0), num(3), id("SOL_SOCKET"), id("SO_REUSEADDR"), list(num(1)), num(4))},
	{"+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK|O_CLOEXEC) = 0",
		sys(relT(0), "fcntl", num(0), num(3), id("F_SETFL"), or(or(id("O_RDWR"), id("O_NONBLOCK")), id("O_CLOEXEC")))},
	{"+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)",
		&SyscallLine{Time: relT(0), Name: "fcntl", Args: []Expr{num(3), id("F_GETFL")}, Result: hexN(2), Note: "flags O_RDWR"}},
	{"+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)",
		&SyscallLine{Time: relT(0), Name: "connect", Args: []Expr{num(3), ell(), ell()}, Result: num(-1), Errno: "EINPROGRESS", Note: "Operation now in progress"}},
	{"+0 socket(..., SOCK_STREAM, IPPROTO_UDP) = -1",
		sys(relT(0), "socket", num(-1), ell(), id("SOCK_STREAM"), id("IPPROTO_UDP"))},
	{"+0 connect(3, ..., ...) = -1 ECONNREFUSED",
		&SyscallLine{Time: relT(0), Name: "connect", Args: []Expr{num(3), ell(), ell()}, Result: num(-1), Errno: "ECONNREFUSED"}},
	{`+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "", 3) = -1 (Invalid (really) Argument)`,
		&SyscallLine{Time: relT(0), Name: "setsockopt", Args: []Expr{num(3), id("SOL_TCP"), id("TCP_FASTOPEN_KEY"), &StringLit{}, num(3)},
			Result: num(-1), Note: "Invalid (really) Argument"}},
	{`+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "\xf7\x63a\n\t\\\"\101\0", 9) = 0`,
		sys(relT(0), "setsockopt", num(0), num(3), id("SOL_TCP"), id("TCP_FASTOPEN_KEY"), &StringLit{Value: "\xf7\x63a\n\t\\\"A\x00"}, num(9))},
	{"+0 write(4, NULL, 1000) = -1 EFAULT (Bad address)",
		&SyscallLine{Time: relT(0), Name: "write", Args: []Expr{num(4), &Null{}, num(1000)}, Result: num(-1), Errno: "EFAULT", Note: "Bad address"}},
	{"+0 setsockopt(4, SOL_TCP, TCP_NOTSENT_LOWAT, [0xffffffff], 4) = 0",
		sys(relT(0), "setsockopt", num(0), num(4), id("SOL_TCP"), id("TCP_NOTSENT_LOWAT"), list(hexN(0xffffffff)), num(4))},
	{"+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0",
		sys(relT(0), "getsockopt", num(0), num(3), id("SOL_SOCKET"), id("SO_ERROR"), list(num(0)), list(num(4)))},
	{"+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 0}, {..., 40}], msg_flags=0}, MSG_NOSIGNAL|MSG_FASTOPEN) = 40",
		sys(relT(0), "sendmsg", num(40), num(4), strct(
			&Field{Name: "msg_name", Index: ell(), Value: ell()},
			&Field{Name: "msg_iov", Index: num(2), Value: list(strct(pos(ell()), pos(num(0))), strct(pos(ell()), pos(num(40))))},
			fld("msg_flags", num(0)),
		), or(id("MSG_NOSIGNAL"), id("MSG_FASTOPEN")))},
	{"+0 recvmsg(3, {msg_iov(1)=[{..., 1000}], msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=9000}]}, 0) = 1000",
		sys(relT(0), "recvmsg", num(1000), num(3), strct(
			&Field{Name: "msg_iov", Index: num(1), Value: list(strct(pos(ell()), pos(num(1000))))},
			fld("msg_control", list(strct(fld("cmsg_level", id("SOL_TCP")), fld("cmsg_type", id("TCP_CM_INQ")), fld("cmsg_data", num(9000))))),
		), num(0))},
	{"+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 100) = 1",
		sys(relT(0), "poll", num(1), list(strct(fld("fd", num(4)), fld("events", or(id("POLLIN"), id("POLLOUT"))), fld("revents", id("POLLOUT")))), num(1), num(100))},
	{"+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0",
		sys(relT(0), "epoll_wait", num(0), num(5), strct(fld("events", num(0)), fld("ptr", num(0))), num(1), num(0))},
	{`+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, sizeof(struct sockaddr_in)) = 0`,
		sys(relT(0), "bind", num(0), num(3), strct(
			fld("sa_family", id("AF_INET")), fld("sin_port", call("htons", num(8080))),
			fld("sin_addr", call("inet_addr", &StringLit{Value: "192.0.2.1"})),
		), call("sizeof", id("struct sockaddr_in")))},
	{"+0 accept(3, &addr, &len) = 4", sys(relT(0), "accept", num(4), num(3), &AddrOf{X: id("addr")}, &AddrOf{X: id("len")})},
	{"+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=-5}, sizeof(int)) = 0",
		sys(relT(0), "setsockopt", num(0), num(3), id("SOL_SOCKET"), id("SO_LINGER"),
			strct(fld("onoff", num(1)), fld("linger", num(-5))), call("sizeof", id("int")))},
	{"+0 getpid() = 7", sys(relT(0), "getpid", num(7))},
	{"+0 f({a={b=1, c=[2, {}]}, x, y|z, g(1), sizeof(long)}, []) = 0",
		sys(relT(0), "f", num(0), strct(
			fld("a", strct(fld("b", num(1)), fld("c", list(num(2), strct())))),
			pos(id("x")), pos(or(id("y"), id("z"))), pos(call("g", num(1))), pos(call("sizeof", id("long"))),
		), list())},
	{"+0 poll(POLLIN) = POLLIN|POLLOUT", sys(relT(0), "poll", or(id("POLLIN"), id("POLLOUT")), id("POLLIN"))},
	{"+0 lseek(3, -9223372036854775808, 0) = 0", sys(relT(0), "lseek", num(0), num(3), num(-9223372036854775808), num(0))},

	// Shell commands and python blocks.
	{"+0 `ip route change 10.0.0.1 advmss 600 # comment`",
		&CommandLine{Time: relT(0), Command: "ip route change 10.0.0.1 advmss 600 # comment"}},
	{"+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%",
		&PythonLine{Time: relT(0), Code: " assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd ", Stmts: []PyStmt{
			&PyAssert{Text: "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd",
				Cond: &PyCompare{Operands: []PyExpr{&PyName{Name: "tcpi_snd_cwnd"}, &PyInt{Value: 10}}, Ops: []string{"=="}},
				Msg:  &PyName{Name: "tcpi_snd_cwnd"}},
		}}},
}

func TestParseLines(t *testing.T) {
	for _, tc := range lineCases {
		t.Run(tc.src, func(t *testing.T) {
			s := mustParse(t, tc.src, nil)
			if len(s.Lines) != 1 {
				t.Fatalf("got %d lines, want 1", len(s.Lines))
			}
			got := stripped(s).Lines[0]
			want := stripped(&Script{Lines: []Line{tc.want}}).Lines[0]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v\ngot  %s\nwant %s", got, want, got, want)
			}
			checkRoundTrip(t, tc.src, mustParse(t, tc.src, nil), nil)
		})
	}
}

func TestTCPFlags(t *testing.T) {
	cases := map[string]TCPFlags{
		"S": FlagSYN, "S.": FlagSYN | FlagACK, ".": FlagACK, "P.": FlagPSH | FlagACK,
		"F.": FlagFIN | FlagACK, "FP.": FlagFIN | FlagPSH | FlagACK, "SF.": FlagSYN | FlagFIN | FlagACK,
		"R": FlagRST, "R.": FlagRST | FlagACK, "E.": FlagECE | FlagACK, "SEW": FlagSYN | FlagECE | FlagCWR,
		"SE.": FlagSYN | FlagECE | FlagACK, "U.": FlagURG | FlagACK, "W": FlagCWR, "-": 0,
		"PF.": FlagFIN | FlagPSH | FlagACK, "WES": FlagSYN | FlagECE | FlagCWR,
		"SFRPUEW.": 0xff,
	}
	for text, want := range cases {
		s := mustParse(t, "+0 > "+text+" 0:0(0)", nil)
		seg := s.Lines[0].(*PacketLine).Packet.(*TCPSegment)
		if seg.Flags != want {
			t.Errorf("%q: flags %#x, want %#x", text, seg.Flags, want)
		}
		canon := want.String()
		if back := mustParse(t, "+0 > "+canon+" 0:0(0)", nil).Lines[0].(*PacketLine).Packet.(*TCPSegment).Flags; back != want {
			t.Errorf("%q: canonical %q parses as %#x", text, canon, back)
		}
	}
}

// TestFormat checks the canonical printing of lines.
func TestFormat(t *testing.T) {
	cases := []struct{ src, want string }{
		{"  +.1   <  S  0:0(0)  win 32792   <mss 1000, sackOK ,nop>", "+0.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop>"},
		{"0.100 > S. 0:0(0) urg 3 win 9 ack 1", "0.1 > S. 0:0(0) ack 1 win 9 urg 3"},
		{"+2.000 > PF. 1:1(0)", "+2 > FP. 1:1(0)"},
		{"+0.3~+.400 > . 1:1(0) <...>", "+0.3~+0.4 > . 1:1(0) <...>"},
		{"* > . 1:1(0)", "* > . 1:1(0)"},
		{"+0 ... 0.020 sendto(5, ..., 1900, MSG_FASTOPEN, ..., ...) = 1900", "+0...0.02 sendto(5, ..., 1900, MSG_FASTOPEN, ..., ...) = 1900"},
		{"+0 fcntl(3, F_GETFL) = 0x0002 (  flags O_RDWR  )", "+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)"},
		{"+0 ioctl(4, SIOCINQ, [0x541B]) = 0", "+0 ioctl(4, SIOCINQ, [0x541b]) = 0"},
		{`+0 f("\x01\"\\ok\xff") = 0`, `+0 f("\x01\"\\ok\xff") = 0`},
		{"+0 < (tos 16) icmp unreachable host_unreachable [udp (4)]", "+0 < (tos 0x10) icmp unreachable host_unreachable [udp (4)]"},
		{"+0 < [ect01, ttl 1] S 0:0(0) <FO 0A0b>", "+0 < [ect01, ttl 1] S 0:0(0) <FO 0a0b>"},
		{"+0 %{x=1}%", "+0 %{x=1}%"},
		{"`init`", "`init`"},
		{"0.000001 close(3) = 0", "0.000001 close(3) = 0"},
		{"+0 f(-0x10) = -1", "+0 f(-0x10) = -1"},
	}
	for _, tc := range cases {
		s := mustParse(t, tc.src, nil)
		if got := s.Lines[0].String(); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

func TestOptionsAndCommands(t *testing.T) {
	src := `// header comment
--tolerance_usecs=10000
--strict_segments   // a flag
--local_ip=fd::1
--remote_ip=192.0.2.1/* no space */

` + "`../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1  # on\n`" + `
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 ` + "`nstat > /dev/null`" + `
+0 close(3) = 0
` + "`/tmp/sysctl_restore_${PPID}.sh`\n"
	s := mustParse(t, src, nil)
	want := []*Option{
		{Name: "tolerance_usecs", Value: "10000", HasValue: true},
		{Name: "strict_segments"},
		{Name: "local_ip", Value: "fd::1", HasValue: true},
		{Name: "remote_ip", Value: "192.0.2.1", HasValue: true},
	}
	stripped(s)
	if !reflect.DeepEqual(s.Options, want) {
		t.Errorf("options = %v, want %v", s.Options, want)
	}
	if v, ok := s.Option("tolerance_usecs"); !ok || v != "10000" {
		t.Errorf("Option(tolerance_usecs) = %q, %v", v, ok)
	}
	if _, ok := s.Option("strict_segments"); !ok {
		t.Error("Option(strict_segments) missing")
	}
	if _, ok := s.Option("nope"); ok {
		t.Error("Option(nope) present")
	}
	init, cleanup := s.InitCommand(), s.CleanupCommand()
	if init == nil || init.Command != "../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1  # on\n" {
		t.Errorf("init = %v", init)
	}
	if cleanup == nil || cleanup.Command != "/tmp/sysctl_restore_${PPID}.sh" {
		t.Errorf("cleanup = %v", cleanup)
	}
	if len(s.Lines) != 5 {
		t.Fatalf("%d lines, want 5", len(s.Lines))
	}
	if c := s.Lines[2].(*CommandLine); c.Time.Kind != TimeRelative || c.Command != "nstat > /dev/null" {
		t.Errorf("timed command = %#v", c)
	}
	only := mustParse(t, "`just init`", nil)
	if only.InitCommand() == nil || only.CleanupCommand() != nil {
		t.Error("a lone untimed command should be the init command")
	}
	none := mustParse(t, "0 close(3) = 0", nil)
	if none.InitCommand() != nil || none.CleanupCommand() != nil {
		t.Error("no init/cleanup expected")
	}
	empty := mustParse(t, "// nothing\n", nil)
	if len(empty.Lines) != 0 || empty.InitCommand() != nil || empty.CleanupCommand() != nil {
		t.Error("empty script")
	}
}

func TestDefines(t *testing.T) {
	defs := map[string]string{
		"TFO_COOKIE":    "3021b9d889017eeb",
		"CODE":          "host_unreachable",
		"FLAGS":         "O_RDWR|O_NONBLOCK",
		"CMSG_LEVEL_IP": "SOL_IP",
		"EMPTY":         "",
		"NESTED":        "FLAGS|O_CLOEXEC",
	}
	src := `+0 < S 0:10(10) win 32792 <mss 1460,FOEXP TFO_COOKIE>
+0 < icmp unreachable CODE [0:10(10)]
+0 fcntl(3, F_SETFL, FLAGS) = 0
+0 f(CMSG_LEVEL_IP, EMPTY 1, NESTED) = 0
+0 ` + "`echo TFO_COOKIE`" + `
+0 %{ x = CODE }%
`
	s := mustParse(t, src, defs)
	seg := s.Lines[0].(*PacketLine).Packet.(*TCPSegment)
	if got := seg.Options.Options[1]; got.Kind != OptFastOpenExp || len(got.Data) != 8 || got.Data[0] != 0x30 {
		t.Errorf("cookie = %v", got)
	}
	if m := s.Lines[1].(*PacketLine).Packet.(*ICMPMessage); m.Code != "host_unreachable" {
		t.Errorf("icmp code = %q", m.Code)
	}
	if got := s.Lines[2].String(); got != "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0" {
		t.Errorf("line 3 = %s", got)
	}
	if got := s.Lines[3].String(); got != "+0 f(SOL_IP, 1, O_RDWR|O_NONBLOCK|O_CLOEXEC) = 0" {
		t.Errorf("line 4 = %s", got)
	}
	if got := s.Lines[4].(*CommandLine).Command; got != "echo TFO_COOKIE" {
		t.Errorf("shell text was expanded: %q", got)
	}
	if got := s.Lines[5].(*PythonLine).Code; got != " x = CODE " {
		t.Errorf("python text was expanded: %q", got)
	}
	// Tokens from a define take the position of the word they replace.
	cookie := seg.Options.Options[1]
	if cookie.Pos != (Pos{"test.pkt", 1, 37}) {
		t.Errorf("cookie option at %v", cookie.Pos)
	}
	checkRoundTrip(t, "defines", mustParse(t, src, defs), defs)

	m, err := ParseDefines([]string{"TFO_COOKIE=abcd", "CODE=x=y", "E="})
	if err != nil || !reflect.DeepEqual(m, map[string]string{"TFO_COOKIE": "abcd", "CODE": "x=y", "E": ""}) {
		t.Errorf("ParseDefines = %v, %v", m, err)
	}
	for _, bad := range []string{"NOEQUALS", "=v", "1X=2", "A-B=1"} {
		if _, err := ParseDefines([]string{bad}); err == nil {
			t.Errorf("ParseDefines(%q) succeeded", bad)
		}
	}
}

// TestPositions checks the positions recorded on nodes.
func TestPositions(t *testing.T) {
	src := "--opt=1\n" + // line 1
		"`init`\n" + // line 2
		"0 socket(..., SOCK_STREAM,\n" + // line 3
		"\t  IPPROTO_TCP) = 3\n" + // line 4
		"  +.1 > [ect0] S. 0:0(0) ack 1 <mss 1460, TS val 1 ecr 2>\n" + // line 5
		"+0 %{\n" + // line 6
		"  assert x == 1\n" + // line 7
		"}%\n" // line 8
	s := mustParse(t, src, nil)
	at := func(line, col int) Pos { return Pos{"test.pkt", line, col} }
	checks := []struct {
		what string
		got  Pos
		want Pos
	}{
		{"option", s.Options[0].Pos, at(1, 1)},
		{"init", s.Lines[0].Position(), at(2, 1)},
		{"socket line", s.Lines[1].Position(), at(3, 1)},
		{"socket time", s.Lines[1].Timing().Pos, at(3, 1)},
		{"socket arg 0", s.Lines[1].(*SyscallLine).Args[0].Position(), at(3, 10)},
		{"socket arg 2", s.Lines[1].(*SyscallLine).Args[2].Position(), at(4, 4)},
		{"socket result", s.Lines[1].(*SyscallLine).Result.Position(), at(4, 19)},
		{"packet line", s.Lines[2].Position(), at(5, 3)},
		{"ip info", s.Lines[2].(*PacketLine).IP.Pos, at(5, 9)},
		{"segment", s.Lines[2].(*PacketLine).Packet.Position(), at(5, 16)},
		{"options", s.Lines[2].(*PacketLine).Packet.(*TCPSegment).Options.Pos, at(5, 32)},
		{"TS option", s.Lines[2].(*PacketLine).Packet.(*TCPSegment).Options.Options[1].Pos, at(5, 43)},
		{"python line", s.Lines[3].Position(), at(6, 1)},
		{"python stmt", s.Lines[3].(*PythonLine).Stmts[0].Position(), at(7, 3)},
		{"python operand", s.Lines[3].(*PythonLine).Stmts[0].(*PyAssert).Cond.(*PyCompare).Operands[1].Position(), at(7, 15)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s at %v, want %v", c.what, c.got, c.want)
		}
	}
}

// TestStringers covers the String methods of enums and odd values.
func TestStringers(t *testing.T) {
	cases := []struct{ got, want string }{
		{TimeNone.String(), "none"}, {TimeAbsolute.String(), "absolute"}, {TimeRelative.String(), "relative"},
		{TimeAny.String(), "any"}, {TimeKind(9).String(), "TimeKind(9)"},
		{Inbound.String(), "<"}, {Outbound.String(), ">"}, {Direction(0).String(), "Direction(0)"},
		{ECNUnset.String(), ""}, {ECNCE.String(), "ce"}, {ECN(42).String(), "ECN(42)"},
		{TCPFlags(0).String(), "-"}, {(&TCPOption{Kind: 99}).String(), "?option(99)"},
		{(&IntLit{Value: -16, Hex: true}).String(), "-0x10"},
		{Pos{"f", 2, 3}.String(), "f:2:3"},
		{(&ParseError{File: "f.pkt", Line: 4, Col: 7, Msg: "boom"}).Error(), "f.pkt:4:7: boom"},
		{(&CommandLine{Command: "x"}).String(), "`x`"},
		{(&SyscallLine{Time: relT(0), Name: "f"}).String(), "+0 f() = "},
		{(&PacketLine{Time: relT(0), Dir: Inbound}).String(), "+0 <"},
		{TimeSpec{}.String(), ""},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if f := FlagSYN | FlagACK; !f.Has(FlagSYN) || !f.Has(FlagSYN|FlagACK) || f.Has(FlagFIN|FlagACK) {
		t.Error("TCPFlags.Has")
	}
	if (Pos{}).IsValid() || !(Pos{Line: 1}).IsValid() {
		t.Error("Pos.IsValid")
	}
	if f := strct(fld("a", num(1))); f.Lookup("a") == nil || f.Lookup("b") != nil {
		t.Error("StructExpr.Lookup")
	}
	var b strings.Builder
	s := mustParse(t, "--x\n0 close(3) = 0\n", nil)
	if err := s.Format(&b); err != nil || b.String() != "--x\n0 close(3) = 0\n" {
		t.Errorf("Format = %q, %v", b.String(), err)
	}
	if err := s.Format(failWriter{}); err == nil {
		t.Error("Format ignored a write error")
	}
	if err := (&Script{Lines: s.Lines}).Format(failWriter{}); err == nil {
		t.Error("Format ignored a write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

var errFail = &ParseError{Msg: "write failed"}
