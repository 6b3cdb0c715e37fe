package packetdrill

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// errorCases are scripts that must fail, with the exact error.
var errorCases = []struct {
	src     string
	defines map[string]string
	want    string
}{
	// Lexical errors.
	{"0 close(3) = 0 /* never closed", nil, "e.pkt:1:16: unterminated /* comment"},
	{"0 `echo hi", nil, "e.pkt:1:3: unterminated shell command (missing closing `)"},
	{"0 %{ assert 1 == 1 }", nil, "e.pkt:1:3: unterminated python block (missing }%)"},
	{"0 f(%d) = 0", nil, `e.pkt:1:5: unexpected "%" (python blocks are written %{ ... }%)`},
	{"0 f(\"abc) = 0\n", nil, "e.pkt:1:5: unterminated string"},
	{"0 f(\"abc\\", nil, "e.pkt:1:5: unterminated string"},
	{`0 f("a\qb") = 0`, nil, `e.pkt:1:7: unknown escape sequence "\\q"`},
	{`0 f("\x") = 0`, nil, `e.pkt:1:6: \x escape without hex digits`},
	{`0 f("\777") = 0`, nil, `e.pkt:1:6: octal escape out of range`},
	{"#define X 1\n0 close(3) = 0", nil, `e.pkt:1:1: unexpected "#": comments are // or /* */ (# only starts a comment inside shell commands and python blocks)`},
	{"0 close(3) = 0\n  $", nil, `e.pkt:2:3: unexpected character '$'`},
	{"0 close(3) = 0 é", nil, `e.pkt:1:16: unexpected character 'é'`},
	{"0 close(3) = 0 \xff", nil, `e.pkt:1:16: unexpected byte 0xff`},

	// Script structure.
	{"socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", nil, `e.pkt:1:1: expected a time (such as 0.1, +0.1 or *) at the start of an event, found "socket"`},
	{"-1 close(3) = 0", nil, `e.pkt:1:1: expected a time (such as 0.1, +0.1 or *) at the start of an event, found "-"`},
	{"0 close(3) = 0\n--tolerance_usecs=1000", nil, "e.pkt:2:1: option --tolerance_usecs must come before the first command or event"},
	{"`a`\n0 close(3) = 0\n`b`\n  +0 close(4) = 0", nil, `e.pkt:4:3: unexpected "+" after the untimed cleanup command at line 3 (an untimed shell command must come before the first event or after the last one)`},
	{"+0 = 3", nil, `e.pkt:1:4: expected a packet (< or >), system call, shell command or python block after the time, found "="`},
	{"+0", nil, "e.pkt:1:3: expected a packet (< or >), system call, shell command or python block after the time, found end of file"},

	// Times.
	{"+ close(3) = 0", nil, `e.pkt:1:3: expected a time in seconds, found "close"`},
	{"0x10 close(3) = 0", nil, `e.pkt:1:1: bad time "0x10": not a decimal number`},
	{"+1.1234567891 close(3) = 0", nil, `e.pkt:1:2: bad time "1.1234567891": at most 9 decimal places`},
	{"99999999999 close(3) = 0", nil, `e.pkt:1:1: bad time "99999999999": too large`},
	{"+0.1~0.2 close(3) = 0", nil, "e.pkt:1:6: both ends of a time window must be relative (+a~+b) or both absolute (a~b)"},
	{"+0.2~+0.1 close(3) = 0", nil, "e.pkt:1:6: time window ends (0.1) before it starts (0.2)"},
	{"+0~+1...2 close(3) = 0", nil, "e.pkt:1:6: a blocking call cannot start in a time window"},
	{"+0...+0.1 read(3, ..., 1) = 1", nil, `e.pkt:1:6: the end of a blocking call is written without "+": it uses the start's time base`},
	{"+0.5...0.1 read(3, ..., 1) = 1", nil, "e.pkt:1:8: blocking call ends at 0.1, before it starts at +0.5"},
	{"+0...0.1 > S 0:0(0)", nil, `e.pkt:1:6: only a system call can block ("...")`},
	{"+0...0.1 > bad packet", nil, `e.pkt:1:6: only a system call can block ("...")`},
	{"+0.5...0.1 read(", nil, "e.pkt:1:8: blocking call ends at 0.1, before it starts at +0.5"},
	{"* ... 0.1 read(3, ..., 1) = 1", nil, `e.pkt:1:3: the any-time "*" cannot take "..."`},
	{"*~1 close(3) = 0", nil, `e.pkt:1:2: the any-time "*" cannot take "~"`},

	// System calls.
	{"0 socket(", nil, "e.pkt:1:10: expected an argument, found end of file"},
	{"+0 close(3)\n+0 close(4) = 0", nil, `e.pkt:2:1: expected "=" before the result of close(), found "+"`},
	{"+0 close 3", nil, `e.pkt:1:10: expected "(" after the system call name close, found "3"`},
	{"+0 fcntl(3, F_SETFL {", nil, `e.pkt:1:21: expected "," or ")" in system call arguments, found "{"`},
	{"+0 close(3) = ", nil, "e.pkt:1:15: expected a result value, found end of file"},
	{"+0 close(3) = -x", nil, `e.pkt:1:16: expected a number after "-", found "x"`},
	{"+0 close(3) = 12ab", nil, `e.pkt:1:15: bad number "12ab"`},
	{"+0 close(3) = 99999999999999999999", nil, `e.pkt:1:15: bad number "99999999999999999999"`},
	{"+0 close(9223372036854775808) = 0", nil, `e.pkt:1:10: number 9223372036854775808 out of range`},
	{"+0 write(3, ..., 10) = -1 EAGAIN (never closed", nil, `e.pkt:1:34: unterminated "(" (missing ")")`},
	{"+0 f({a=1 b=2}) = 0", nil, `e.pkt:1:11: expected "," or "}" in struct, found "b"`},
	{"+0 f({msg_iov(1, 2)=[]}) = 0", nil, "e.pkt:1:7: struct member msg_iov(...) takes exactly one value in parentheses, found 2"},
	{"+0 f([1 2]) = 0", nil, `e.pkt:1:9: expected "," or "]" in list, found "2"`},
	{"+0 f(sizeof(3)) = 0", nil, `e.pkt:1:13: expected a type name in sizeof(), found "3"`},
	{"+0 f(sizeof(int, 4)) = 0", nil, `e.pkt:1:16: expected ")" after the type name in sizeof(), found ","`},
	{"+0 f(=) = 0", nil, `e.pkt:1:6: expected an argument, found "="`},

	// Packets.
	{"+0 > Z 0:0(0)", nil, `e.pkt:1:6: unknown TCP flag 'Z' in "Z" (flags are S F R P U E W and . for ACK)`},
	{"+0 > SX. 0:0(0)", nil, `e.pkt:1:7: unknown TCP flag 'X' in "SX" (flags are S F R P U E W and . for ACK)`},
	{"+0 > SS 0:0(0)", nil, `e.pkt:1:7: duplicate TCP flag 'S' in "SS"`},
	{"+0 > 0:0(0)", nil, `e.pkt:1:6: expected TCP flags (such as S, S., ., P., F., R or -), udp or icmp, found "0"`},
	{"+0 > S 0:10(5)", nil, "e.pkt:1:10: inconsistent sequence range: 0 + 5 is not 10"},
	{"+0 > S 0 ack 1", nil, `e.pkt:1:10: expected ":" in sequence range start:end(len), found "ack"`},
	{"+0 > S ack 1", nil, `e.pkt:1:8: expected a sequence range start:end(len), found "ack"`},
	{"+0 > S 4294967296:0(0)", nil, "e.pkt:1:8: sequence number 4294967296 out of range (max 4294967295)"},
	{"+0 < S 0:0(0) win 70000", nil, "e.pkt:1:19: win 70000 out of range (max 65535)"},
	{"+0 < S 0:0(0) win x", nil, `e.pkt:1:19: expected a number for win, found "x"`},
	{"+0 < S 0:0(0) ack 1 win 1 ack 2", nil, "e.pkt:1:27: duplicate ack"},
	{"+0 < S 0:0(0) win 1 win 2", nil, "e.pkt:1:21: duplicate win"},
	{"+0 < S 0:0(0) urg 1 urg 2", nil, "e.pkt:1:21: duplicate urg"},
	{"+0 < S 0:0(0) <mss>", nil, `e.pkt:1:19: expected a number for mss, found ">"`},
	{"+0 < S 0:0(0) <mss 1460 nop>", nil, `e.pkt:1:25: expected "," or ">" in TCP option list, found "nop"`},
	{"+0 < S 0:0(0) <foo 1>", nil, `e.pkt:1:16: unknown TCP option "foo"`},
	{"+0 < S 0:0(0) <,>", nil, `e.pkt:1:16: expected a TCP option, found ","`},
	{"+0 < S 0:0(0) <256>", nil, `e.pkt:1:16: bad TCP option kind "256" (want 0 to 255)`},
	{"+0 < S 0:0(0) <wscale 256>", nil, "e.pkt:1:23: wscale 256 out of range (max 255)"},
	{"+0 < S 0:0(0) <TS val 1 ecr>", nil, `e.pkt:1:28: expected a number for TS ecr, found ">"`},
	{"+0 < S 0:0(0) <TS 1 2>", nil, `e.pkt:1:19: expected "val" after TS, found "1"`},
	{"+0 < S 0:0(0) <TS val 1 2>", nil, `e.pkt:1:25: expected "ecr" after TS val, found "2"`},
	{"+0 < S 0:0(0) <sack 1-2>", nil, `e.pkt:1:22: expected ":" in sack block left:right, found "-"`},
	{"+0 < S 0:0(0) <FO TFO_COOKIE>", nil, `e.pkt:1:19: FO value must be an even number of hex digits, found "TFO_COOKIE" (is a define missing?)`},
	{"+0 < S 0:0(0) <FOEXP abc>", nil, `e.pkt:1:22: FOEXP value must be an even number of hex digits, found "abc"`},
	{"+0 < S 0:0(0) <253 xyz1>", nil, `e.pkt:1:20: option data must be an even number of hex digits, found "xyz1"`},
	{"+0 < S 0:0(0) <... nop>", nil, `e.pkt:1:20: expected ">" after "<...", found "nop"`},
	{"+0 < [foo] S 0:0(0)", nil, `e.pkt:1:7: unknown IP annotation "foo" (want ect0, ect1, ect01, ce, noecn, tos N, ttl N or flowlabel N)`},
	{"+0 < [ect0 ce] S 0:0(0)", nil, "e.pkt:1:12: more than one ECN codepoint in IP annotation"},
	{"+0 < [] S 0:0(0)", nil, "e.pkt:1:7: empty IP annotation"},
	{"+0 < [ect0] S 0:0(0)]", nil, `e.pkt:1:21: expected a time (such as 0.1, +0.1 or *) at the start of an event, found "]"`},
	{"+0 < [ect0) S 0:0(0)", nil, `e.pkt:1:11: expected an IP annotation (ect0, ect1, ect01, ce, noecn, tos N, ttl N, flowlabel N), found ")"`},
	{"+0 < (tos 1, tos 2) S 0:0(0)", nil, "e.pkt:1:14: duplicate tos"},
	{"+0 < (ttl 1 ttl 2) S 0:0(0)", nil, "e.pkt:1:13: duplicate ttl"},
	{"+0 < (flowlabel 1 flowlabel 2) S 0:0(0)", nil, "e.pkt:1:19: duplicate flowlabel"},
	{"+0 < (flowlabel 0x100000) S 0:0(0)", nil, "e.pkt:1:17: flowlabel 0x100000 out of range (max 1048575)"},
	{"+0 < (tos 0xZZ) S 0:0(0)", nil, `e.pkt:1:11: bad number "0xZZ" for tos`},
	{"+0 < udp 10", nil, `e.pkt:1:10: expected "(" after udp, found "10"`},
	{"+0 < udp (10", nil, `e.pkt:1:13: expected ")" after the udp length, found end of file`},
	{"+0 < icmp 3", nil, `e.pkt:1:11: expected an ICMP type (such as unreachable), found "3"`},
	{"+0 < icmp unreachable mtu x", nil, `e.pkt:1:27: expected a number for mtu, found "x"`},
	{"+0 < icmp unreachable [0:1(1)", nil, `e.pkt:1:30: expected "]" after the quoted packet, found end of file`},
	{"+0 < icmp unreachable [0:2(1)]", nil, "e.pkt:1:26: inconsistent sequence range: 0 + 1 is not 2"},

	// Defines.
	{"+0 < icmp unreachable CODE", map[string]string{"CODE": "A", "A": "CODE"}, `e.pkt:1:23: in define CODE="A": in define A="CODE": define CODE refers to itself`},
	{"+0 < S 0:0(0) <FO C>", map[string]string{"C": "\"x"}, `e.pkt:1:19: in define C="\"x": unterminated string`},
	{"+0 f(X) = 0", map[string]string{"X": "`ls`"}, "e.pkt:1:6: define X expands to a shell command, which is not allowed"},
	{"+0 f(X) = 0", map[string]string{"bad name": "1"}, `e.pkt:1:1: define name "bad name" is not an identifier`},
	{"+0 f(1) = 0 X", map[string]string{"X": "(oops)"}, "e.pkt:1:13: the note after a system call result cannot come from define X"},
	{"+0 f(X) = 0", map[string]string{"X": "A A", "A": "B B", "B": "C C", "C": "D D", "D": "E E", "E": "F F",
		"F": "G G", "G": "H H", "H": "I I", "I": "J J", "J": "K K", "K": "L L", "L": "M M", "M": "N N", "N": "1"},
		"e.pkt:1:6: define X expands to more than 10000 tokens"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.src, func(t *testing.T) {
			s, err := Parse("e.pkt", []byte(tc.src), tc.defines)
			if err == nil {
				t.Fatalf("parsed without error:\n%s", s)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if s != nil {
				t.Error("non-nil script with an error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pkt")
	if err := os.WriteFile(good, []byte("0 close(3) = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(good, nil)
	if err != nil || s.Path != good || s.Lines[0].Position().File != good {
		t.Fatalf("ParseFile = %v, %v", s, err)
	}
	bad := filepath.Join(dir, "bad.pkt")
	if err := os.WriteFile(bad, []byte("0 close(3) = 0\n+0 close(\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ParseFile(bad, nil)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != bad || pe.Line != 3 || pe.Col != 1 {
		t.Errorf("ParseFile(bad) = %v", err)
	}
	if _, err := ParseFile(filepath.Join(dir, "missing.pkt"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile(missing) = %v", err)
	}
}
