package packetdrill

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// scriptGen writes random but valid scripts, with random spacing and
// comments between tokens, for the round-trip property test.
type scriptGen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *scriptGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *scriptGen) chance(p float64) bool { return g.r.Float64() < p }

// sep writes the white space or comment that separates two tokens.
func (g *scriptGen) sep() {
	switch g.r.IntN(12) {
	case 0:
		g.b.WriteString("\n\t")
	case 1:
		g.b.WriteString(" /* c */ ")
	case 2:
		g.b.WriteString(" // c\n ")
	default:
		g.b.WriteString(" ")
	}
}

// w writes tokens, each preceded by a separator.
func (g *scriptGen) w(toks ...string) {
	for _, t := range toks {
		g.sep()
		g.b.WriteString(t)
	}
}

func (g *scriptGen) seconds() string {
	switch g.r.IntN(5) {
	case 0:
		return "0"
	case 1:
		return fmt.Sprintf(".%03d", g.r.IntN(1000))
	case 2:
		return fmt.Sprintf("%d", g.r.IntN(5))
	default:
		return fmt.Sprintf("%d.%0*d", g.r.IntN(3), 1+g.r.IntN(6), g.r.IntN(1000))
	}
}

// time writes a time spec; blockable says whether "...end" may follow.
func (g *scriptGen) time(blockable bool) {
	switch g.r.IntN(6) {
	case 0:
		g.w("*")
		return
	case 1:
		g.w(g.seconds())
	case 2:
		g.w("+" + g.seconds())
	case 3:
		a := g.r.IntN(500)
		g.w(fmt.Sprintf("+.%03d~+%d.%03d", a, 1, a))
		return
	case 4:
		g.w(fmt.Sprintf("%d.1~%d.2", g.r.IntN(3), 3+g.r.IntN(3)))
		return
	default:
		g.w("+0")
	}
	if blockable && g.chance(0.2) {
		g.w("...", fmt.Sprintf("%d.%d", 9+g.r.IntN(9), g.r.IntN(10)))
	}
}

func (g *scriptGen) num(max int) string {
	if g.chance(0.2) {
		return fmt.Sprintf("0x%x", g.r.IntN(max+1))
	}
	return fmt.Sprint(g.r.IntN(max + 1))
}

func (g *scriptGen) hex(n int) string {
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, "%02x", g.r.IntN(256))
	}
	return b.String()
}

func (g *scriptGen) seqRange() string {
	start := g.r.Uint32()
	if g.chance(0.7) {
		start = uint32(g.r.IntN(100000))
	}
	n := uint32(g.r.IntN(3000))
	return fmt.Sprintf("%d:%d(%d)", start, start+n, n)
}

func (g *scriptGen) tcpOption() string {
	switch g.r.IntN(12) {
	case 0:
		return "nop"
	case 1:
		return "eol"
	case 2:
		return "mss " + g.num(65535)
	case 3:
		return "wscale " + g.num(14)
	case 4:
		return "sackOK"
	case 5:
		s := "sack"
		for range g.r.IntN(4) {
			s += fmt.Sprintf(" %d:%d", g.r.Uint32(), g.r.Uint32())
		}
		return s
	case 6:
		return fmt.Sprintf("TS val %d ecr %d", g.r.Uint32(), g.r.Uint32())
	case 7:
		return g.pick("FO", "FO "+g.hex(4+g.r.IntN(13)))
	case 8:
		return g.pick("FOEXP", "FOEXP "+g.hex(8))
	case 9:
		return g.pick("md5", "md5 "+g.hex(16))
	default:
		return g.pick(fmt.Sprint(g.r.IntN(256)), fmt.Sprintf("%d %s", g.r.IntN(256), g.hex(1+g.r.IntN(6))))
	}
}

func (g *scriptGen) packet() {
	g.w(g.pick("<", ">"))
	if g.chance(0.3) {
		items := []string{g.pick("ect0", "ect1", "ect01", "ecn", "ce", "noecn")}
		if g.chance(0.5) {
			items = append(items, "tos "+g.num(255))
		}
		if g.chance(0.3) {
			items = append(items, "ttl "+g.num(255), "flowlabel "+g.num(0xfffff))
		}
		g.r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		if g.chance(0.5) {
			g.w("[" + strings.Join(items, ", ") + "]")
		} else {
			g.w("(" + strings.Join(items, " ") + ")")
		}
	}
	switch g.r.IntN(8) {
	case 0:
		g.w("udp", "(", g.num(65535), ")")
		return
	case 1:
		g.w("icmp", g.pick("unreachable", "packet_too_big", "time_exceeded"))
		if g.chance(0.5) {
			g.w(g.pick("frag_needed", "host_unreachable", "port_unreachable"))
		}
		if g.chance(0.5) {
			g.w("mtu", g.num(9000))
		}
		if g.chance(0.5) {
			g.w("[", g.pick("", "tcp"), g.seqRange(), "]")
		} else if g.chance(0.3) {
			g.w("[", "udp", "(", g.num(100), ")", "]")
		}
		return
	}
	letters := []byte("SFRPUEW")
	g.r.Shuffle(len(letters), func(i, j int) { letters[i], letters[j] = letters[j], letters[i] })
	flags := string(letters[:g.r.IntN(4)])
	if flags == "" || g.chance(0.6) {
		flags += "."
	}
	if g.chance(0.05) {
		flags = "-"
	}
	g.w(flags, g.seqRange())
	fields := []string{"ack " + g.num(1<<31), "win " + g.num(65535), "urg " + g.num(65535)}
	g.r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	for _, f := range fields[:g.r.IntN(4)] {
		g.w(f)
	}
	switch g.r.IntN(4) {
	case 0:
		g.w("<...>")
	case 1:
		var opts []string
		for range g.r.IntN(6) {
			opts = append(opts, g.tcpOption())
		}
		g.w("<" + strings.Join(opts, ", ") + ">")
	}
}

func (g *scriptGen) expr(depth int) string {
	n := 9
	if depth > 2 {
		n = 5
	}
	switch g.r.IntN(n) {
	case 0:
		return g.num(1 << 40)
	case 1:
		return "-" + g.num(1000)
	case 2:
		return g.pick("SOCK_STREAM", "O_RDWR|O_NONBLOCK", "POLLIN|POLLOUT|POLLERR", "NULL", "AF_INET")
	case 3:
		return "..."
	case 4:
		return fmt.Sprintf("%q", g.pick("", "abc", "\x01\xff\"\\", "tab\there"))
	case 5:
		var el []string
		for range g.r.IntN(3) {
			el = append(el, g.expr(depth+1))
		}
		return "[" + strings.Join(el, ", ") + "]"
	case 6:
		var fs []string
		for range g.r.IntN(4) {
			switch g.r.IntN(3) {
			case 0:
				fs = append(fs, g.pick("fd", "events", "msg_flags")+"="+g.expr(depth+1))
			case 1:
				fs = append(fs, g.pick("msg_name", "msg_iov")+"("+g.expr(depth+1)+")="+g.expr(depth+1))
			default:
				fs = append(fs, g.expr(depth+1))
			}
		}
		return "{" + strings.Join(fs, ", ") + "}"
	case 7:
		return g.pick("&addr", "sizeof(int)", "sizeof(struct sockaddr_in6)", "htons(8080)", "f()")
	default:
		return g.pick("a", "b") + "|" + g.num(7)
	}
}

func (g *scriptGen) syscall() {
	g.w(g.pick("socket", "read", "write", "poll", "sendmsg", "setsockopt"), "(")
	var args []string
	for range g.r.IntN(5) {
		args = append(args, g.expr(0))
	}
	g.b.WriteString(strings.Join(args, ", "))
	g.w(")", "=", g.pick("0", "-1", "3", "0x2", "POLLIN|POLLOUT", "-9223372036854775808"))
	if g.chance(0.3) {
		g.w(g.pick("EAGAIN", "EINPROGRESS"))
	}
	if g.chance(0.3) {
		g.w(g.pick("(Operation now in progress)", "(flags O_RDWR)", "((nested) parens)", "()"))
	}
}

// script writes a whole random script.
func (g *scriptGen) script() string {
	g.b.Reset()
	for range g.r.IntN(3) {
		g.b.WriteString(g.pick("--tolerance_usecs=10000", "--strict_segments", "--local_ip=fd::1", "--x=") + "\n")
	}
	if g.chance(0.5) {
		g.w("`../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1`")
	}
	for range 1 + g.r.IntN(12) {
		switch k := g.r.IntN(10); {
		case k < 4:
			g.time(false)
			g.packet()
		case k < 8:
			g.time(true)
			g.syscall()
		case k == 8:
			g.time(false)
			g.w("`" + g.pick("nstat", "tc qdisc replace dev tun0 root fq", "") + "`")
		default:
			g.time(false)
			g.w("%{" + g.pick(" assert x == 1, x ", "\ncwnd += 1\nprint(cwnd)\n", "if x:\n  y()", "}") + "}%")
		}
	}
	if g.chance(0.3) {
		g.w("`/tmp/restore.sh`")
	}
	return g.b.String()
}

// TestRoundTripRandom is the round-trip property on random scripts:
// parse -> format -> parse gives the same AST (ignoring positions), and
// every node has a valid position.
func TestRoundTripRandom(t *testing.T) {
	g := &scriptGen{r: rand.New(rand.NewPCG(1, 2))}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		src := g.script()
		name := fmt.Sprintf("gen%d.pkt", i)
		s, err := Parse(name, []byte(src), nil)
		if err != nil {
			t.Fatalf("generated script does not parse: %v\n%s", err, src)
		}
		checkPositions(t, name, s)
		checkRoundTrip(t, name, s, nil)
		if t.Failed() {
			t.Fatalf("script:\n%s", src)
		}
	}
}
