package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/tcp"
	"github.com/gosock/gosock/udp"
)

// ssSnapshot is the socket table an instance sends to `gosock ss`.
type ssSnapshot struct {
	TCP []tcp.SockInfo `json:"tcp"`
	UDP []udp.SockInfo `json:"udp"`
}

func takeSS(ns *netns.Namespace) ssSnapshot {
	var s ssSnapshot
	if p := tcp.Of(ns); p != nil {
		s.TCP = p.Sockets()
	}
	if p := udp.Of(ns); p != nil {
		s.UDP = p.Sockets()
	}
	return s
}

func (inst *instance) ssSnapshot() ssSnapshot { return takeSS(inst.ns) }

// ssOptions choose what `ss` shows, as its flags of the same letters.
type ssOptions struct {
	tcp, udp  bool // -t, -u; neither means both
	listening bool // -l: only listening (and unconnected UDP) sockets
	all       bool // -a: listening and connected
	info      bool // -i: TCP_INFO details
}

func runSS(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ss", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf controlFlags
	cf.register(fs)
	var o ssOptions
	fs.BoolVar(&o.tcp, "t", false, "TCP sockets")
	fs.BoolVar(&o.udp, "u", false, "UDP sockets")
	fs.BoolVar(&o.listening, "l", false, "only listening sockets")
	fs.BoolVar(&o.all, "a", false, "listening and non-listening sockets")
	fs.BoolVar(&o.info, "i", false, "TCP internals (congestion control, rtt, cwnd, bytes, segments)")
	fs.Bool("n", true, "numeric addresses (always)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gosock ss [--name IF] [-tulain]")
		fmt.Fprintln(stderr, "\nLists the sockets of a running `gosock tun` instance as Linux's ss does:")
		fmt.Fprintln(stderr, "state, queues, addresses and, with -i, TCP_INFO. Short flags combine (-tuna).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(splitShortFlags(args, "tulain")); err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	var snap ssSnapshot
	if err := c.call(controlRequest{Op: "ss"}, &snap); err != nil {
		return err
	}
	return writeSS(stdout, snap, o)
}

// splitShortFlags turns "-tuna" into "-t -u -n -a" when every letter is
// one of letters, so ss's combined flags work with package flag.
func splitShortFlags(args []string, letters string) []string {
	var out []string
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.Trim(a[1:], letters) == "" {
			for _, ch := range a[1:] {
				out = append(out, "-"+string(ch))
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// writeSS prints the table as `ss -n` does: Netid, State, Recv-Q, Send-Q,
// Local and Peer Address:Port; with o.info, a TCP_INFO line under each
// TCP connection.
func writeSS(w io.Writer, s ssSnapshot, o ssOptions) error {
	both := !o.tcp && !o.udp
	type row struct {
		listening bool
		quiet     bool // shown only with -a: TIME-WAIT and SYN-RECV, as ss's default filter
		cells     [6]string
		info      string
	}
	rows := []row{{listening: o.listening, cells: [6]string{"Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"}}}
	if o.udp || both {
		for _, u := range s.UDP {
			state, peer := "UNCONN", wildcardPeer(u.Local.Addr(), u.V6, u.V6Only)
			if u.Connected {
				state, peer = "ESTAB", ssAddr(u.Remote, u.V6, u.V6Only)
			}
			rows = append(rows, row{listening: !u.Connected, cells: [6]string{"udp", state, strconv.Itoa(u.RecvQ), "0",
				ssAddr(u.Local, u.V6, u.V6Only), peer}})
		}
	}
	if o.tcp || both {
		for _, t := range s.TCP {
			r := row{listening: t.State == tcp.Listen, quiet: t.State == tcp.TimeWait || t.State == tcp.SynRecv}
			peer := ssAddr(t.Remote, t.V6, t.V6Only)
			switch {
			case r.listening:
				peer = wildcardPeer(t.Local.Addr(), t.V6, t.V6Only)
			case o.info && t.TimeWaitSock:
				// A timewait sock has no TCP_INFO; ss -o shows its timer.
				r.info = "timer:(timewait," + ssTimer(t.TimeWaitLeft) + ",0)"
			case o.info:
				r.info = tcpInfoLine(t)
			}
			r.cells = [6]string{"tcp", t.State.SSName(), strconv.Itoa(t.RecvQ), strconv.Itoa(t.SendQ),
				ssAddr(t.Local, t.V6, t.V6Only), peer}
			rows = append(rows, r)
		}
	}
	shown := rows[:1]
	for _, r := range rows[1:] {
		if o.all || r.listening == o.listening && !r.quiet {
			shown = append(shown, r)
		}
	}
	var width [6]int
	for _, r := range shown {
		for i, c := range r.cells {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range shown {
		for i, c := range r.cells {
			switch i {
			case 4: // ss right-aligns the local address, the peer's follows it
				fmt.Fprintf(&b, "%*s ", width[i], c)
			case 5:
				b.WriteString(c)
			default:
				fmt.Fprintf(&b, "%-*s ", width[i], c)
			}
		}
		b.WriteString("\n")
		if r.info != "" {
			b.WriteString("\t " + r.info + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ssTimer formats a timer's time left as ss does (print_ms_timer):
// minutes, then seconds, then milliseconds, dropping the finer units once
// the coarser one is large ("1min", "59sec", "5.250ms", "800ms").
func ssTimer(d time.Duration) string {
	ms := int(d / time.Millisecond)
	secs, mins, msecs := ms/1000%60, ms/60000, ms%1000
	var b strings.Builder
	if mins > 0 {
		msecs = 0
		fmt.Fprintf(&b, "%dmin", mins)
		if mins > 9 {
			secs = 0
		}
	}
	if secs > 0 {
		if secs > 9 {
			msecs = 0
		}
		sep := "sec"
		if msecs > 0 {
			sep = "."
		}
		fmt.Fprintf(&b, "%d%s", secs, sep)
	}
	if msecs > 0 {
		fmt.Fprintf(&b, "%03dms", msecs)
	}
	return b.String()
}

// ssAddr formats an address as ss does: "*" for the wildcard of a
// dual-stack AF_INET6 socket, v4-mapped IPv6 for IPv4 traffic on one,
// brackets around IPv6.
func ssAddr(ap netip.AddrPort, v6, v6only bool) string {
	a := ap.Addr()
	port := strconv.Itoa(int(ap.Port()))
	switch {
	case !a.IsValid():
		return "*:" + port
	case v6 && a.IsUnspecified() && !v6only:
		return "*:" + port
	case v6 && a.Is4():
		return "[::ffff:" + a.String() + "]:" + port
	case a.Is6():
		return "[" + a.String() + "]:" + port
	}
	return a.String() + ":" + port
}

// wildcardPeer is the peer column of a listening or unconnected socket.
func wildcardPeer(local netip.Addr, v6, v6only bool) string {
	switch {
	case v6 && v6only:
		return "[::]:*"
	case v6:
		return "*:*"
	case local.Is6():
		return "[::]:*"
	}
	return "0.0.0.0:*"
}

// tcpInfoLine is the line `ss -i` prints under a connection.
func tcpInfoLine(t tcp.SockInfo) string {
	in := &t.Info
	var b strings.Builder
	b.WriteString(t.Congestion)
	if in.Options&0x4 != 0 { // TCPI_OPT_WSCALE
		fmt.Fprintf(&b, " wscale:%d,%d", in.SndWscale, in.RcvWscale)
	}
	fmt.Fprintf(&b, " rto:%g rtt:%g/%g ato:%g mss:%d pmtu:%d rcvmss:%d advmss:%d cwnd:%d",
		float64(in.RTO)/1000, float64(in.RTT)/1000, float64(in.RTTVar)/1000, float64(in.ATO)/1000,
		in.SndMSS, in.PMTU, in.RcvMSS, in.AdvMSS, in.SndCwnd)
	if in.SndSsthresh < 0xffff {
		fmt.Fprintf(&b, " ssthresh:%d", in.SndSsthresh)
	}
	fmt.Fprintf(&b, " bytes_acked:%d bytes_received:%d segs_out:%d segs_in:%d", in.BytesAcked, in.BytesReceived,
		in.SegsOut, in.SegsIn)
	if in.Retransmits != 0 || in.TotalRetrans != 0 {
		fmt.Fprintf(&b, " retrans:%d/%d", in.Retransmits, in.TotalRetrans)
	}
	if in.Unacked != 0 {
		fmt.Fprintf(&b, " unacked:%d", in.Unacked)
	}
	fmt.Fprintf(&b, " rcv_ssthresh:%d", in.RcvSsthresh)
	if in.NotsentBytes != 0 {
		fmt.Fprintf(&b, " notsent:%d", in.NotsentBytes)
	}
	if t.Orphan {
		b.WriteString(" orphan")
	}
	return b.String()
}

// indented prefixes every line of s with two spaces, for the demo's
// transcript.
func indented(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("  " + l)
		}
	}
	return b.String()
}
