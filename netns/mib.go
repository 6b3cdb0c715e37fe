package netns

import (
	"io"
	"strconv"
	"sync/atomic"
)

// Counter names one MIB counter of a namespace: a field of Linux's
// /proc/net/snmp, /proc/net/netstat or /proc/net/snmp6. The constants are
// named after the section and the field as Linux prints them
// (IPInReceives is "Ip: InReceives", TCPExtTCPSackRecovery is "TcpExt:
// TCPSackRecovery", IP6InReceives is "Ip6InReceives"); see mib_names.go.
type Counter uint16

// String returns the counter's nstat name ("IpInReceives",
// "TcpExtTCPSackRecovery", "Ip6InReceives").
func (c Counter) String() string {
	if c >= numCounters {
		return "Counter(" + strconv.Itoa(int(c)) + ")"
	}
	return sections[c.section()].label + counterNames[c]
}

func (c Counter) section() section {
	for s := range numSections {
		if c < sections[s].end {
			return s
		}
	}
	return numSections - 1
}

// DropReason is why a packet was dropped: Linux's enum skb_drop_reason
// (include/net/dropreason-core.h), with the same numbers, so a drop
// counted here matches what `perf trace -e skb:kfree_skb` shows on Linux.
type DropReason uint16

// String returns the kernel's name without the SKB_DROP_REASON_ prefix
// ("NO_SOCKET", "TCP_CSUM"), as the kfree_skb tracepoint prints it.
func (r DropReason) String() string {
	if r < DropReasonMax && dropNames[r] != "" {
		return dropNames[r]
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

// MIB holds a namespace's SNMP and netstat counters and its per-reason
// drop counters: what Linux keeps in net->mib and prints in
// /proc/net/snmp (net/ipv4/proc.c snmp_seq_show), /proc/net/netstat
// (netstat_seq_show) and /proc/net/snmp6 (net/ipv6/proc.c). Increments are
// single atomic adds with no allocation, safe from any goroutine.
//
// Linux keeps these per CPU and sums them when read; gosock keeps one
// atomic word per counter. Counters that neighbour in memory and are
// bumped on every packet by different goroutines (IPInReceives and
// IPInDelivers, say) share cache lines, so heavy multi-core receive pays
// some false sharing. Padding or per-P sharding can come later without
// changing this API.
type MIB struct {
	c        [numCounters]atomic.Uint64
	icmpMsg  [512]atomic.Uint64 // ICMPMSG_MIB_MAX: in types 0-255, out types 256-511
	icmp6Msg [512]atomic.Uint64 // ICMP6MSG_MIB_MAX, the same layout
	drops    [DropReasonMax]atomic.Uint64
	gauges   [numCounters]atomic.Pointer[func() int64]
}

// NewMIB returns zeroed counters with the constants Linux's MIB starts
// with: Ip Forwarding 2 (not forwarding) and DefaultTTL 64 until
// BindSysctls ties them to the sysctls, Tcp RtoAlgorithm 1 (RFC 6298),
// RtoMin 200, RtoMax 120000 (ms) and MaxConn -1 (tcp_mib_init).
func NewMIB() *MIB {
	m := &MIB{}
	m.c[IPForwardingGauge].Store(2)
	m.c[IPDefaultTTLGauge].Store(64)
	m.c[TCPRtoAlgorithm].Store(1)
	m.c[TCPRtoMin].Store(200)
	m.c[TCPRtoMax].Store(120000)
	m.c[TCPMaxConn].Store(^uint64(0)) // -1, printed signed
	return m
}

// Inc adds one to a counter.
func (m *MIB) Inc(c Counter) { m.c[c].Add(1) }

// Add adds n to a counter.
func (m *MIB) Add(c Counter, n uint64) { m.c[c].Add(n) }

// Dec subtracts one, for the counters Linux also decrements (Tcp
// CurrEstab, MPTcpExt MPCurrEstab).
func (m *MIB) Dec(c Counter) { m.c[c].Add(^uint64(0)) }

// Set stores a value, for gauges kept as counters.
func (m *MIB) Set(c Counter, v uint64) { m.c[c].Store(v) }

// Get returns a counter's value, or its gauge function's if it has one.
// Tcp MaxConn reads as 1<<64-1; it prints as -1.
func (m *MIB) Get(c Counter) uint64 {
	if f := m.gauges[c].Load(); f != nil {
		return uint64((*f)())
	}
	return m.c[c].Load()
}

// SetGaugeFunc makes a counter computed when read, as Linux computes Ip
// Forwarding and DefaultTTL from the sysctls at print time. A nil f
// reverts to the stored value.
func (m *MIB) SetGaugeFunc(c Counter, f func() int64) {
	if f == nil {
		m.gauges[c].Store(nil)
		return
	}
	m.gauges[c].Store(&f)
}

// BindSysctls computes Ip Forwarding (1 when net.ipv4.conf.all.forwarding
// is on, else 2) and Ip DefaultTTL (net.ipv4.ip_default_ttl) from s, as
// snmp_seq_show_ipstats does.
func (m *MIB) BindSysctls(s *Sysctls) {
	m.SetGaugeFunc(IPForwardingGauge, func() int64 {
		if s.Int(IPForward) != 0 {
			return 1
		}
		return 2
	})
	m.SetGaugeFunc(IPDefaultTTLGauge, func() int64 { return s.Int(IPDefaultTTL) })
}

// ICMPMsg counts one ICMP message of type typ, received (out false) or
// sent (out true): Linux's ICMPMSGIN/OUT_INC_STATS, which feed both the
// IcmpMsg InTypeN/OutTypeN columns and the named Icmp columns
// (InEchos is type 8 received). Icmp InMsgs/OutMsgs are counted apart.
func (m *MIB) ICMPMsg(out bool, typ uint8) { m.icmpMsg[msgIndex(out, typ)].Add(1) }

// ICMPMsgCount returns the count of ICMP type typ in one direction.
func (m *MIB) ICMPMsgCount(out bool, typ uint8) uint64 {
	return m.icmpMsg[msgIndex(out, typ)].Load()
}

// ICMP6Msg counts one ICMPv6 message by type (ICMP6MSGIN/OUT_INC_STATS),
// which /proc/net/snmp6 prints by name (Icmp6InEchos) and as
// Icmp6InTypeN.
func (m *MIB) ICMP6Msg(out bool, typ uint8) { m.icmp6Msg[msgIndex(out, typ)].Add(1) }

// ICMP6MsgCount returns the count of ICMPv6 type typ in one direction.
func (m *MIB) ICMP6MsgCount(out bool, typ uint8) uint64 {
	return m.icmp6Msg[msgIndex(out, typ)].Load()
}

func msgIndex(out bool, typ uint8) int {
	if out {
		return 0x100 | int(typ)
	}
	return int(typ)
}

// Drop counts one packet dropped for reason r (kfree_skb_reason).
// Out-of-range reasons count as DropNotSpecified.
func (m *MIB) Drop(r DropReason) {
	if r >= DropReasonMax {
		r = DropNotSpecified
	}
	m.drops[r].Add(1)
}

// DropCount returns how many packets were dropped for reason r.
func (m *MIB) DropCount(r DropReason) uint64 {
	if r >= DropReasonMax {
		return 0
	}
	return m.drops[r].Load()
}

// Drops calls fn for every reason with a non-zero count, in reason order.
func (m *MIB) Drops(fn func(reason DropReason, count uint64)) {
	for r := range DropReasonMax {
		if n := m.drops[r].Load(); n != 0 {
			fn(r, n)
		}
	}
}

// ---- writers ----

// WriteSNMP writes the namespace's /proc/net/snmp byte for byte as Linux
// formats it (snmp_seq_show): a header line and a value line for Ip,
// Icmp, IcmpMsg (only when some type was counted, at most 16 types a
// line), Tcp, Udp and UdpLite. Ip Forwarding, DefaultTTL and Tcp MaxConn
// print signed.
func (m *MIB) WriteSNMP(w io.Writer) error {
	b := make([]byte, 0, 2048)
	b = m.appendSection(b, secIP, "Ip:")
	b = append(b, '\n')
	b = m.appendICMP(b)
	b = m.appendICMPMsg(b)
	b = append(b, '\n')
	b = m.appendSection(b, secTCP, "Tcp:")
	b = append(b, '\n')
	b = m.appendSection(b, secUDP, "Udp:")
	b = append(b, '\n')
	b = m.appendSection(b, secUDPLite, "UdpLite:")
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// WriteNetstat writes /proc/net/netstat as Linux formats it
// (netstat_seq_show, then mptcp_seq_show): TcpExt, IpExt and MPTcpExt,
// each a header line and a value line.
func (m *MIB) WriteNetstat(w io.Writer) error {
	b := make([]byte, 0, 8192)
	for _, s := range []section{secTCPExt, secIPExt, secMPTCPExt} {
		b = m.appendSection(b, s, sections[s].label+":")
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

// WriteSNMP6 writes /proc/net/snmp6 as Linux formats it (snmp6_seq_show):
// one "%-32s\t%lu" line per counter, Ip6, then Icmp6 with the named
// per-type counters and the non-zero Icmp6InTypeN/OutTypeN, then Udp6 and
// UdpLite6.
func (m *MIB) WriteSNMP6(w io.Writer) error {
	b := make([]byte, 0, 8192)
	line := func(name string, v uint64) {
		b = append(b, name...)
		for i := len(name); i < 32; i++ {
			b = append(b, ' ')
		}
		b = append(b, '\t')
		b = strconv.AppendUint(b, v, 10)
		b = append(b, '\n')
	}
	m.each6(false, line)
	_, err := w.Write(b)
	return err
}

// each6 visits snmp6's lines in order; nonzero limits it to values nstat
// would show (the per-type lines are non-zero only in any case).
func (m *MIB) each6(nonzero bool, fn func(name string, v uint64)) {
	visit := func(name string, v uint64) {
		if !nonzero || v != 0 {
			fn(name, v)
		}
	}
	for c := sections[secIP6].first; c < sections[secICMP6].end; c++ {
		visit(sections[c.section()].label+counterNames[c], m.Get(c))
	}
	for _, dir := range []string{"In", "Out"} {
		for t := range 256 {
			if icmp6Named[t] != "" {
				visit("Icmp6"+dir+icmp6Named[t], m.ICMP6MsgCount(dir == "Out", uint8(t)))
			}
		}
	}
	for i := range m.icmp6Msg {
		if v := m.icmp6Msg[i].Load(); v != 0 {
			dir := "In"
			if i&0x100 != 0 {
				dir = "Out"
			}
			fn("Icmp6"+dir+"Type"+strconv.Itoa(i&0xff), v)
		}
	}
	for c := sections[secUDP6].first; c < sections[secUDPLite6].end; c++ {
		visit(sections[c.section()].label+counterNames[c], m.Get(c))
	}
}

// appendSection appends "Label: names\nLabel: values" (no final newline).
func (m *MIB) appendSection(b []byte, s section, label string) []byte {
	b = append(b, label...)
	for c := sections[s].first; c < sections[s].end; c++ {
		b = append(b, ' ')
		b = append(b, counterNames[c]...)
	}
	b = append(b, '\n')
	b = append(b, label...)
	for c := sections[s].first; c < sections[s].end; c++ {
		b = append(b, ' ')
		b = appendValue(b, c, m.Get(c))
	}
	return b
}

// appendValue prints a counter as Linux does: %lu, except the signed
// ones (Ip Forwarding and DefaultTTL are ints, Tcp MaxConn is %ld).
func appendValue(b []byte, c Counter, v uint64) []byte {
	switch c {
	case IPForwardingGauge, IPDefaultTTLGauge, TCPMaxConn:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendUint(b, v, 10)
}

// appendICMP appends the Icmp lines (icmp_put): InMsgs InErrors
// InCsumErrors, the named in-types, OutMsgs OutErrors OutRateLimitGlobal
// OutRateLimitHost, the named out-types.
func (m *MIB) appendICMP(b []byte) []byte {
	b = append(b, "Icmp: InMsgs InErrors InCsumErrors"...)
	for _, n := range icmpNamed {
		b = append(b, " In"...)
		b = append(b, n.name...)
	}
	b = append(b, " OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost"...)
	for _, n := range icmpNamed {
		b = append(b, " Out"...)
		b = append(b, n.name...)
	}
	b = append(b, "\nIcmp:"...)
	for _, c := range []Counter{ICMPInMsgs, ICMPInErrors, ICMPInCsumErrors} {
		b = append(b, ' ')
		b = strconv.AppendUint(b, m.Get(c), 10)
	}
	for _, n := range icmpNamed {
		b = append(b, ' ')
		b = strconv.AppendUint(b, m.ICMPMsgCount(false, n.typ), 10)
	}
	for _, c := range []Counter{ICMPOutMsgs, ICMPOutErrors, ICMPOutRateLimitGlobal, ICMPOutRateLimitHost} {
		b = append(b, ' ')
		b = strconv.AppendUint(b, m.Get(c), 10)
	}
	for _, n := range icmpNamed {
		b = append(b, ' ')
		b = strconv.AppendUint(b, m.ICMPMsgCount(true, n.typ), 10)
	}
	return b
}

// appendICMPMsg appends the IcmpMsg lines (icmpmsg_put): the non-zero
// types, in-types before out-types, 16 to a pair of lines.
func (m *MIB) appendICMPMsg(b []byte) []byte {
	const perLine = 16
	var idx [perLine]int
	var val [perLine]uint64
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		b = append(b, "\nIcmpMsg:"...)
		for j := range n {
			if idx[j]&0x100 != 0 {
				b = append(b, " OutType"...)
			} else {
				b = append(b, " InType"...)
			}
			b = strconv.AppendInt(b, int64(idx[j]&0xff), 10)
		}
		b = append(b, "\nIcmpMsg:"...)
		for j := range n {
			b = append(b, ' ')
			b = strconv.AppendUint(b, val[j], 10)
		}
		n = 0
	}
	for i := range m.icmpMsg {
		if v := m.icmpMsg[i].Load(); v != 0 {
			idx[n], val[n] = i, v
			n++
		}
		if n == perLine {
			flush()
		}
	}
	flush()
	return b
}

// nstatUseless are the values nstat never shows (useless_numbers in
// iproute2's nstat.c): constants and gauges, not counters.
func nstatUseless(c Counter) bool {
	switch c {
	case IPForwardingGauge, IPDefaultTTLGauge, TCPRtoAlgorithm, TCPRtoMin, TCPRtoMax, TCPMaxConn, TCPCurrEstab:
		return true
	}
	return false
}

// Each calls fn for every non-zero counter with its nstat name, in the
// order `nstat -a` lists them: /proc/net/snmp (Ip, Icmp with its named
// types, IcmpMsgInTypeN, Tcp, Udp, UdpLite), /proc/net/snmp6, then
// /proc/net/netstat (TcpExt, IpExt, MPTcpExt). Like nstat it leaves out
// the gauges and constants (IpForwarding, IpDefaultTTL, TcpRtoAlgorithm,
// TcpRtoMin, TcpRtoMax, TcpMaxConn, TcpCurrEstab).
func (m *MIB) Each(fn func(name string, value uint64)) {
	visit := func(c Counter) {
		if v := m.Get(c); v != 0 && !nstatUseless(c) {
			fn(c.String(), v)
		}
	}
	for c := sections[secIP].first; c < sections[secIP].end; c++ {
		visit(c)
	}
	for _, c := range []Counter{ICMPInMsgs, ICMPInErrors, ICMPInCsumErrors} {
		visit(c)
	}
	named := func(out bool, dir string) {
		for _, n := range icmpNamed {
			if v := m.ICMPMsgCount(out, n.typ); v != 0 {
				fn("Icmp"+dir+n.name, v)
			}
		}
	}
	named(false, "In")
	for _, c := range []Counter{ICMPOutMsgs, ICMPOutErrors, ICMPOutRateLimitGlobal, ICMPOutRateLimitHost} {
		visit(c)
	}
	named(true, "Out")
	for i := range m.icmpMsg {
		if v := m.icmpMsg[i].Load(); v != 0 {
			dir := "In"
			if i&0x100 != 0 {
				dir = "Out"
			}
			fn("IcmpMsg"+dir+"Type"+strconv.Itoa(i&0xff), v)
		}
	}
	for c := sections[secTCP].first; c < sections[secUDPLite].end; c++ {
		visit(c)
	}
	m.each6(true, fn)
	for c := sections[secTCPExt].first; c < sections[secMPTCPExt].end; c++ {
		visit(c)
	}
}
