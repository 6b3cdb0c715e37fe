package packetdrill

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gosock/gosock/wire"
)

// Flow is the runner's view of the connection under test: the wire
// addresses and ports of both ends and the bindings that translate the
// script's small sequence numbers into wire values (GRAMMAR.md section 5).
type Flow struct {
	// IPv6 says packets travel as IPv6 (false for IPv4 and for
	// IPv4-mapped IPv6 sockets).
	IPv6 bool
	// Local is the stack's address, Remote the peer's (wire form).
	Local, Remote netip.Addr
	// LocalPort and RemotePort are the ports; 0 means not known yet (the
	// first outbound packet teaches the stack's port on an active open).
	LocalPort, RemotePort uint16
	// LocalISN is the stack's initial sequence number once an outbound
	// packet has bound it (HaveLocalISN); LocalSynSeq is the value the
	// script wrote on the stack's SYN or SYN-ACK line.
	LocalISN     uint32
	HaveLocalISN bool
	LocalSynSeq  uint32
	// RemoteISN is the peer's initial sequence number: the seq written on
	// the injected SYN or SYN-ACK (0 until one is injected).
	RemoteISN uint32
}

// TSState records the stack's timestamp values: each outbound TS val the
// script wrote, mapped to the value on the wire, and the first pair
// (the reference for --tcp_ts_tick_usecs and --tcp_ts_ecr_scaled).
type TSState struct {
	Vals                     map[uint32]uint32
	FirstScript, FirstActual uint32
	Have                     bool
}

// Record notes that the script's TS val x was actual on the wire.
func (ts *TSState) Record(x, actual uint32) {
	if ts.Vals == nil {
		ts.Vals = make(map[uint32]uint32)
	}
	ts.Vals[x] = actual
	if !ts.Have {
		ts.FirstScript, ts.FirstActual, ts.Have = x, actual, true
	}
}

// Ecr translates an inbound TS ecr written in the script: the recorded
// wire value of that outbound TS val, else (scaled) the value
// interpolated from the first recorded pair, else the value as written.
func (ts *TSState) Ecr(x uint32, scaled bool) uint32 {
	if v, ok := ts.Vals[x]; ok {
		return v
	}
	if scaled && ts.Have {
		return x - ts.FirstScript + ts.FirstActual
	}
	return x
}

// MatchConfig holds the script settings outbound packet checks depend on.
type MatchConfig struct {
	// TSTickUsecs, when positive, checks outbound TS val values at this
	// many microseconds per tick (--tcp_ts_tick_usecs).
	TSTickUsecs int
	// Tolerance is the timing tolerance; Since the packet's time since
	// the script started. Both only matter for TS val checks.
	Tolerance time.Duration
	Since     time.Duration
}

// Diff is one field that differs between the expected and the actual
// packet or call.
type Diff struct {
	Field    string
	Expected string
	Actual   string
}

// Mismatch describes how an outcome differs from the script: the fields
// that differ, and the expected and actual items in script notation.
type Mismatch struct {
	// What names the item: "outbound packet", "return value", "timing", ...
	What     string
	Diffs    []Diff
	Expected string
	Actual   string
}

// Summary returns a short one-line description suited to grouping: the
// first difference with its values and the names of the others, e.g.
// "outbound packet: flags expected P., actual . (also seq)".
func (m *Mismatch) Summary() string {
	if len(m.Diffs) == 0 {
		return m.What
	}
	d := m.Diffs[0]
	s := fmt.Sprintf("%s: %s expected %s, actual %s", m.What, d.Field, d.Expected, d.Actual)
	if len(m.Diffs) > 1 {
		others := make([]string, len(m.Diffs)-1)
		for i, o := range m.Diffs[1:] {
			others[i] = o.Field
		}
		s += " (also " + strings.Join(others, ", ") + ")"
	}
	return s
}

// Error describes every difference and both sides.
func (m *Mismatch) Error() string {
	var b strings.Builder
	b.WriteString(m.What)
	for i, d := range m.Diffs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: expected %s, actual %s", d.Field, d.Expected, d.Actual)
	}
	if m.Expected != "" {
		fmt.Fprintf(&b, "\n  expected: %s", m.Expected)
	}
	if m.Actual != "" {
		fmt.Fprintf(&b, "\n  actual:   %s", m.Actual)
	}
	return b.String()
}

func (m *Mismatch) add(field, want, got string) {
	m.Diffs = append(m.Diffs, Diff{field, want, got})
}

// MatchResult is the outcome of comparing an outbound packet line with
// a captured packet.
type MatchResult struct {
	// Mismatch is nil when the packet matches.
	Mismatch *Mismatch
	// Flow is the flow with what this packet taught (the stack's port
	// and ISN); commit it only when the packet matched.
	Flow Flow
	// TS lists the (script TS val, wire TS val) pairs to record.
	TS [][2]uint32
	// Actual is the packet in script notation, relative to the flow.
	Actual string
}

// MatchOutbound compares the outbound packet line exp with the IP packet
// the stack sent, field by field, as GRAMMAR.md sections 4 and 9
// describe. It is pure: flow and ts are only read; the result carries
// what the caller should commit.
func MatchOutbound(exp *PacketLine, pkt []byte, flow Flow, ts *TSState, cfg MatchConfig) MatchResult {
	res := MatchResult{Flow: flow}
	m := &Mismatch{What: "outbound packet", Expected: "> " + lineBody(exp)}
	d, err := decodePacket(pkt)
	if err != nil {
		m.add("packet", "a valid IP packet", err.Error())
		m.Actual = fmt.Sprintf("% x", pkt[:min(len(pkt), 64)])
		res.Mismatch = m
		return res
	}
	matchIP(exp, d, flow, m)
	switch p := exp.Packet.(type) {
	case *TCPSegment:
		matchTCP(p, d, &res, ts, cfg, m)
	case *UDPDatagram:
		matchUDP(p, d, &res, m)
	case *ICMPMessage:
		matchICMP(p, d, &res, m)
	default:
		m.add("packet", "a TCP, UDP or ICMP packet", fmt.Sprintf("%T", exp.Packet))
	}
	if res.Actual == "" {
		res.Actual = d.summary()
	}
	m.Actual = "> " + res.Actual
	if len(m.Diffs) > 0 {
		res.Mismatch = m
	}
	return res
}

// lineBody prints a packet line without its time and direction.
func lineBody(l *PacketLine) string {
	s := ""
	if l.IP != nil {
		s = l.IP.String() + " "
	}
	if l.Packet != nil {
		s += l.Packet.String()
	}
	return s
}

// matchIP checks the IP header: version, addresses, header length,
// checksum and the annotated ECN, TOS, TTL and flow label.
func matchIP(exp *PacketLine, d *decoded, flow Flow, m *Mismatch) {
	want := 4
	if flow.IPv6 {
		want = 6
	}
	if d.version != want {
		m.add("IP version", fmt.Sprint(want), fmt.Sprint(d.version))
		return
	}
	if flow.Local.IsValid() && d.src != flow.Local {
		m.add("source address", flow.Local.String(), d.src.String())
	}
	if flow.Remote.IsValid() && d.dst != flow.Remote {
		m.add("destination address", flow.Remote.String(), d.dst.String())
	}
	if d.version == 4 {
		if d.ipHdrLen != wire.IPv4MinHeaderLen {
			m.add("IP header length", "20", fmt.Sprint(d.ipHdrLen))
		}
		if !d.ipChecksumOK {
			m.add("IP checksum", "valid", "invalid")
		}
	}
	info := exp.IP
	if info == nil {
		return
	}
	ecn := d.tos & 3
	switch info.ECN {
	case ECNNone:
		checkECN(m, "noecn", ecn, ecn == 0)
	case ECNECT0:
		checkECN(m, "ect0", ecn, ecn == 2)
	case ECNECT1:
		checkECN(m, "ect1", ecn, ecn == 1)
	case ECNECT01:
		checkECN(m, "ect01", ecn, ecn == 1 || ecn == 2)
	case ECNCE:
		checkECN(m, "ce", ecn, ecn == 3)
	}
	if info.HasTOS && d.tos != info.TOS {
		m.add("tos", fmt.Sprintf("0x%x", info.TOS), fmt.Sprintf("0x%x", d.tos))
	}
	if info.HasTTL && d.ttl != info.TTL {
		m.add("ttl", fmt.Sprint(info.TTL), fmt.Sprint(d.ttl))
	}
	if info.HasFlowLabel && d.flowLabel != info.FlowLabel {
		m.add("flowlabel", fmt.Sprintf("0x%x", info.FlowLabel), fmt.Sprintf("0x%x", d.flowLabel))
	}
}

func checkECN(m *Mismatch, want string, got uint8, ok bool) {
	if !ok {
		m.add("ecn", want, ecnName(got))
	}
}

func ecnName(c uint8) string {
	return [...]string{"noecn", "ect1", "ect0", "ce"}[c&3]
}

// matchTCP compares a TCP segment: ports, flags, sequence range, ack,
// window, urgent pointer, options, payload and checksum.
func matchTCP(exp *TCPSegment, d *decoded, res *MatchResult, ts *TSState, cfg MatchConfig, m *Mismatch) {
	if d.proto != wire.ProtoTCP || d.tcp == nil {
		m.add("protocol", "tcp", d.protoName())
		return
	}
	h := d.tcp
	flow := &res.Flow
	if flow.LocalPort != 0 && h.SrcPort() != flow.LocalPort {
		m.add("source port", fmt.Sprint(flow.LocalPort), fmt.Sprint(h.SrcPort()))
	}
	if flow.RemotePort != 0 && h.DstPort() != flow.RemotePort {
		m.add("destination port", fmt.Sprint(flow.RemotePort), fmt.Sprint(h.DstPort()))
	}
	if flow.LocalPort == 0 {
		flow.LocalPort = h.SrcPort()
	}
	if flow.RemotePort == 0 {
		flow.RemotePort = h.DstPort()
	}
	flags := TCPFlags(h.Flags())
	syn := flags&FlagSYN != 0
	if !flow.HaveLocalISN {
		flow.HaveLocalISN = true
		if syn && exp.Flags&FlagSYN != 0 {
			flow.LocalISN, flow.LocalSynSeq = h.Seq(), exp.Seq.Start
		} else {
			flow.LocalISN, flow.LocalSynSeq = h.Seq()-exp.Seq.Start, 0
		}
	}
	act := actualTCP(h, *flow)
	res.Actual = act.String()
	if flags != exp.Flags {
		m.add("flags", exp.Flags.String(), flags.String())
	}
	if r := h.Reserved(); r != 0 {
		m.add("reserved bits", "0", fmt.Sprintf("0x%x", r))
	}
	if act.Seq.Start != exp.Seq.Start {
		m.add("seq", fmt.Sprint(exp.Seq.Start), fmt.Sprint(act.Seq.Start))
	}
	if act.Seq.Len != exp.Seq.Len {
		m.add("payload length", fmt.Sprint(exp.Seq.Len), fmt.Sprint(act.Seq.Len))
	}
	switch {
	case exp.Flags&FlagACK != 0 && flags&FlagACK != 0:
		if exp.HasAck && act.Ack != exp.Ack {
			m.add("ack", fmt.Sprint(exp.Ack), fmt.Sprint(act.Ack))
		}
	case flags&FlagACK == 0 && h.Ack() != 0:
		m.add("ack field", "0 (no ACK flag)", fmt.Sprint(h.Ack()))
	}
	if exp.HasWin && h.Window() != exp.Win {
		m.add("win", fmt.Sprint(exp.Win), fmt.Sprint(h.Window()))
	}
	if h.Urgent() != exp.Urg {
		m.add("urg", fmt.Sprint(exp.Urg), fmt.Sprint(h.Urgent()))
	}
	matchTCPOptions(exp.Options, act.Options, res, ts, cfg, m)
	for _, b := range h.Payload() {
		if b != 0 {
			m.add("payload", "zero bytes", "non-zero bytes")
			break
		}
	}
	if !h.ValidChecksum(d.src, d.dst) {
		m.add("tcp checksum", "valid", "invalid")
	}
}

// actualTCP converts a segment into script notation relative to flow.
func actualTCP(h wire.TCP, flow Flow) *TCPSegment {
	flags := TCPFlags(h.Flags())
	s := &TCPSegment{Flags: flags, HasWin: true, Win: h.Window(), Urg: h.Urgent(), HasUrg: h.Urgent() != 0}
	n := uint32(len(h.Payload()))
	seq := h.Seq() - flow.LocalISN
	if flags&FlagSYN != 0 {
		seq += flow.LocalSynSeq
	}
	s.Seq = SeqRange{Start: seq, End: seq + n, Len: n}
	if flags&FlagACK != 0 {
		s.HasAck = true
		s.Ack = h.Ack()
		if flags&FlagSYN == 0 {
			s.Ack -= flow.RemoteISN
		}
	}
	if len(h.Options()) > 0 {
		s.Options = &TCPOptionList{Options: wireTCPOptions(h.Options(), flow.RemoteISN)}
	}
	return s
}

// wireTCPOptions converts an options area into script options; SACK
// blocks are made relative to base (the peer's ISN).
func wireTCPOptions(b []byte, base uint32) []*TCPOption {
	var out []*TCPOption
	it := wire.NewTCPOptionIter(b)
	for it.Next() {
		k, data := it.Kind(), it.Data()
		o := &TCPOption{Kind: OptGeneric, Code: k, Data: append([]byte(nil), data...)}
		switch {
		case k == wire.TCPOptEOL:
			o = &TCPOption{Kind: OptEOL}
		case k == wire.TCPOptNOP:
			o = &TCPOption{Kind: OptNOP}
		case k == wire.TCPOptMSS && len(data) == 2:
			o = &TCPOption{Kind: OptMSS, Value: be16(data)}
		case k == wire.TCPOptWScale && len(data) == 1:
			o = &TCPOption{Kind: OptWScale, Value: uint16(data[0])}
		case k == wire.TCPOptSACKPermitted && len(data) == 0:
			o = &TCPOption{Kind: OptSACKPermitted}
		case k == wire.TCPOptSACK && len(data)%8 == 0 && len(data) > 0:
			o = &TCPOption{Kind: OptSACK}
			for i := 0; i < len(data); i += 8 {
				o.SACK = append(o.SACK, SACKBlock{Left: be32(data[i:]) - base, Right: be32(data[i+4:]) - base})
			}
		case k == wire.TCPOptTimestamps && len(data) == 8:
			o = &TCPOption{Kind: OptTimestamp, TSVal: be32(data), TSEcr: be32(data[4:])}
		case k == wire.TCPOptFastOpen:
			o = &TCPOption{Kind: OptFastOpen, Data: append([]byte(nil), data...)}
		case k == wire.TCPOptExp && len(data) >= 2 && be16(data) == fastOpenExpMagic:
			o = &TCPOption{Kind: OptFastOpenExp, Data: append([]byte(nil), data[2:]...)}
		case k == wire.TCPOptMD5 && len(data) == 16:
			o = &TCPOption{Kind: OptMD5, Data: append([]byte(nil), data...)}
		}
		out = append(out, o)
	}
	if it.Err() != nil {
		out = append(out, &TCPOption{Kind: OptGeneric, Code: 255, Data: []byte("malformed")})
	}
	return out
}

// fastOpenExpMagic is the magic of the experimental Fast Open option.
const fastOpenExpMagic = 0xF989

// matchTCPOptions compares option lists kind by kind, in order, with
// exact values, except the timestamp option: TS val is checked only
// with a tick rate, TS ecr never.
func matchTCPOptions(exp *TCPOptionList, act *TCPOptionList, res *MatchResult, ts *TSState, cfg MatchConfig, m *Mismatch) {
	var got []*TCPOption
	if act != nil {
		got = act.Options
	}
	if exp != nil && exp.Any {
		return
	}
	var want []*TCPOption
	if exp != nil {
		want = exp.Options
	}
	// EOL padding after the last option carries nothing: it is only
	// compared when the script writes it.
	if len(want) == 0 || want[len(want)-1].Kind != OptEOL {
		for len(got) > 0 && got[len(got)-1].Kind == OptEOL {
			got = got[:len(got)-1]
		}
	}
	wantStr := (&TCPOptionList{Options: want}).String()
	gotStr := (&TCPOptionList{Options: got}).String()
	if len(want) == 0 && len(got) > 0 {
		m.add("options", "none", gotStr)
		return
	}
	if len(want) != len(got) {
		m.add("options", wantStr, gotStr)
		return
	}
	for i, w := range want {
		g := got[i]
		if w.Kind != g.Kind || w.Kind == OptGeneric && w.Code != g.Code {
			m.add("options", wantStr, gotStr)
			return
		}
		switch w.Kind {
		case OptMSS, OptWScale:
			if w.Value != g.Value {
				m.add("option "+w.String(), w.String(), g.String())
			}
		case OptSACK:
			if fmt.Sprint(w.SACK) != fmt.Sprint(g.SACK) {
				m.add("option sack", w.String(), g.String())
			}
		case OptTimestamp:
			res.TS = append(res.TS, [2]uint32{w.TSVal, g.TSVal})
			if cfg.TSTickUsecs > 0 && ts != nil && ts.Have {
				mapped := ts.FirstScript + (g.TSVal - ts.FirstActual)
				diff := int64(int32(mapped - w.TSVal))
				if diff < 0 {
					diff = -diff
				}
				tol := tolerance(cfg.Tolerance, cfg.Since)
				if time.Duration(diff)*time.Duration(cfg.TSTickUsecs)*time.Microsecond > tol {
					m.add("TS val", fmt.Sprint(w.TSVal), fmt.Sprintf("%d (wire %d)", mapped, g.TSVal))
				}
			}
		case OptFastOpen, OptFastOpenExp, OptMD5, OptGeneric:
			if string(w.Data) != string(g.Data) {
				m.add("option "+optName(w), w.String(), g.String())
			}
		}
	}
}

func optName(o *TCPOption) string {
	switch o.Kind {
	case OptFastOpen:
		return "FO"
	case OptFastOpenExp:
		return "FOEXP"
	case OptMD5:
		return "md5"
	}
	return fmt.Sprint(o.Code)
}

// matchUDP compares a UDP datagram: ports, length and checksum.
func matchUDP(exp *UDPDatagram, d *decoded, res *MatchResult, m *Mismatch) {
	if d.proto != wire.ProtoUDP || d.udp == nil {
		m.add("protocol", "udp", d.protoName())
		return
	}
	h := d.udp
	n := len(h.Payload())
	res.Actual = fmt.Sprintf("udp (%d)", n)
	// A datagram socket's port is whatever it was bound to: the stack's
	// port is learned from each datagram, and injected ones go there.
	flow := &res.Flow
	if flow.RemotePort != 0 && h.DstPort() != flow.RemotePort {
		m.add("destination port", fmt.Sprint(flow.RemotePort), fmt.Sprint(h.DstPort()))
	}
	flow.LocalPort = h.SrcPort()
	if n != int(exp.Len) {
		m.add("payload length", fmt.Sprint(exp.Len), fmt.Sprint(n))
	}
	if int(h.Length()) != len(h) {
		m.add("udp length field", fmt.Sprint(len(h)), fmt.Sprint(h.Length()))
	}
	if !h.ValidChecksum(d.src, d.dst) {
		m.add("udp checksum", "valid", "invalid")
	}
}

// matchICMP compares an ICMP message: type, code, MTU and the quoted
// packet, whose headers must be those of a packet the peer sent.
func matchICMP(exp *ICMPMessage, d *decoded, res *MatchResult, m *Mismatch) {
	typ, code, err := icmpTypeCode(exp, d.version == 6)
	if err != nil {
		m.add("icmp", "a known type and code", err.Error())
		return
	}
	if d.icmp == nil {
		m.add("protocol", "icmp", d.protoName())
		return
	}
	gotType, gotCode := d.icmp[0], d.icmp[1]
	res.Actual = icmpString(gotType, gotCode, d)
	if gotType != typ {
		m.add("icmp type", exp.Type, icmpTypeName(gotType, d.version == 6))
		return
	}
	if exp.Code != "" && gotCode != code {
		m.add("icmp code", exp.Code, fmt.Sprint(gotCode))
	}
	if exp.HasMTU && d.icmpMTU() != exp.MTU {
		m.add("mtu", fmt.Sprint(exp.MTU), fmt.Sprint(d.icmpMTU()))
	}
	if d.version == 4 && !wire.ICMPv4(d.icmp).ValidChecksum() ||
		d.version == 6 && !wire.ICMPv6(d.icmp).ValidChecksum(d.src, d.dst) {
		m.add("icmp checksum", "valid", "invalid")
	}
	if exp.Quoted == nil {
		return
	}
	q, qerr := decodePacket(d.icmp[8:])
	if qerr != nil && (q == nil || q.transport == nil) {
		m.add("quoted packet", exp.Quoted.String(), "unreadable: "+qerr.Error())
		return
	}
	if q.src != res.Flow.Remote || q.dst != res.Flow.Local {
		m.add("quoted addresses", res.Flow.Remote.String()+" > "+res.Flow.Local.String(), q.src.String()+" > "+q.dst.String())
	}
	switch exp.Quoted.Proto {
	case "udp":
		if q.proto != wire.ProtoUDP || len(q.transport) < 8 {
			m.add("quoted packet", exp.Quoted.String(), q.protoName())
			return
		}
		if n := int(be16(q.transport[4:])) - 8; n != int(exp.Quoted.Len) {
			m.add("quoted udp length", fmt.Sprint(exp.Quoted.Len), fmt.Sprint(n))
		}
	default:
		if q.proto != wire.ProtoTCP || len(q.transport) < 8 {
			m.add("quoted packet", exp.Quoted.String(), q.protoName())
			return
		}
		if s := be32(q.transport[4:]) - res.Flow.RemoteISN; s != exp.Quoted.Seq.Start {
			m.add("quoted seq", fmt.Sprint(exp.Quoted.Seq.Start), fmt.Sprint(s))
		}
	}
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
