package packetdrill

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock/wire"
)

// Synthetic packets for the matcher, built with the wire package's own
// builders (not the runner's), so a builder bug cannot hide a matcher bug.

var (
	tLocal   = netip.MustParseAddr("192.168.0.1")
	tRemote  = netip.MustParseAddr("192.0.2.1")
	tLocal6  = netip.MustParseAddr("fd3d:a0b:17d6::1")
	tRemote6 = netip.MustParseAddr("fd3d:fa7b:d17d::1")
)

const (
	tLISN = 1_000_000
	tRISN = 5_000
)

// testFlow is an established flow: the stack's ISN and the peer's known.
func testFlow() Flow {
	return Flow{Local: tLocal, Remote: tRemote, LocalPort: 8080, RemotePort: 48000,
		LocalISN: tLISN, HaveLocalISN: true, RemoteISN: tRISN}
}

// tcpPkt describes an outbound TCP packet.
type tcpPkt struct {
	src, dst     netip.Addr
	sport, dport uint16
	seq, ack     uint32
	flags        wire.TCPFlags
	win, urg     uint16
	reserved     uint8
	opts         []byte
	payload      []byte
	tos, ttl     uint8
	ipOpts       []byte
}

// basePkt is "> . 1:1(0) ack 1" of testFlow with a window of 502.
func basePkt() tcpPkt {
	return tcpPkt{src: tLocal, dst: tRemote, sport: 8080, dport: 48000, seq: tLISN + 1, ack: tRISN + 1,
		flags: wire.TCPFlagACK, win: 502, ttl: 64}
}

func (p tcpPkt) bytes() []byte {
	f := wire.TCPFields{SrcPort: p.sport, DstPort: p.dport, Seq: p.seq, Ack: p.ack, Reserved: p.reserved,
		Flags: p.flags, Window: p.win, Urgent: p.urg, Options: p.opts}
	l4 := make([]byte, f.Len()+len(p.payload))
	f.Encode(l4)
	copy(l4[f.Len():], p.payload)
	h := wire.TCP(l4)
	h.SetChecksum(h.ComputeChecksum(p.src, p.dst))
	return ipPacket(p.src, p.dst, wire.ProtoTCP, p.tos, p.ttl, p.ipOpts, l4)
}

// ipPacket wraps a transport payload with the wire package's builders.
func ipPacket(src, dst netip.Addr, proto, tos, ttl uint8, ipOpts, l4 []byte) []byte {
	if src.Is6() {
		f := wire.IPv6Fields{TrafficClass: tos, PayloadLen: uint16(len(l4)), NextHeader: proto, HopLimit: ttl, Src: src, Dst: dst}
		b := make([]byte, f.Len()+len(l4))
		f.Encode(b)
		copy(b[f.Len():], l4)
		return b
	}
	f := wire.IPv4Fields{TOS: tos, TTL: ttl, Protocol: proto, Src: src, Dst: dst, Options: ipOpts}
	f.TotalLen = uint16(f.Len() + len(l4))
	b := make([]byte, f.Len()+len(l4))
	f.Encode(b)
	copy(b[f.Len():], l4)
	return b
}

// parseLine parses one packet line (without its time).
func parseLine(t *testing.T, text string) *PacketLine {
	t.Helper()
	s, err := Parse("line.pkt", []byte("0 "+text+"\n"), nil)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	return s.Lines[0].(*PacketLine)
}

// opt encodes raw TCP options.
func opt(b ...byte) []byte { return b }

func tsOpt(val, ecr uint32) []byte {
	b := []byte{1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], val)
	binary.BigEndian.PutUint32(b[8:], ecr)
	return b
}

func diffFields(m *Mismatch) []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, d := range m.Diffs {
		out = append(out, d.Field)
	}
	return out
}

func TestMatchOutboundTCPFields(t *testing.T) {
	sack := make([]byte, 12)
	copy(sack, []byte{1, 1, 5, 10})
	binary.BigEndian.PutUint32(sack[4:], tRISN+1001)
	binary.BigEndian.PutUint32(sack[8:], tRISN+2001)
	fo := []byte{34, 10, 1, 2, 3, 4, 5, 6, 7, 8}
	foexp := []byte{254, 8, 0xf9, 0x89, 0xaa, 0xbb, 0xcc, 0xdd}
	cases := []struct {
		name   string
		line   string
		mod    func(p *tcpPkt)
		flow   func(f *Flow)
		raw    func(b []byte) []byte
		fields []string // expected differing fields; nil: a match
	}{
		{name: "match", line: "> . 1:1(0) ack 1"},
		{name: "flags", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.flags |= wire.TCPFlagPSH }, fields: []string{"flags"}},
		{name: "ece flag", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.flags |= wire.TCPFlagECE }, fields: []string{"flags"}},
		{name: "missing fin", line: "> F. 1:1(0) ack 1", fields: []string{"flags"}},
		{name: "seq", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.seq++ }, fields: []string{"seq"}},
		{name: "ack", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.ack += 1000 }, fields: []string{"ack"}},
		{name: "ack field without ACK flag", line: "> R 1:1(0)", mod: func(p *tcpPkt) { p.flags = wire.TCPFlagRST }, fields: []string{"ack field"}},
		{name: "rst without ack", line: "> R 1:1(0)", mod: func(p *tcpPkt) { p.flags, p.ack = wire.TCPFlagRST, 0 }},
		{name: "win", line: "> . 1:1(0) ack 1 win 257", fields: []string{"win"}},
		{name: "win match", line: "> . 1:1(0) ack 1 win 502"},
		{name: "urg", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.urg = 7 }, fields: []string{"urg"}},
		{name: "urg match", line: "> U. 1:1(0) ack 1 urg 7", mod: func(p *tcpPkt) { p.urg, p.flags = 7, wire.TCPFlagURG|wire.TCPFlagACK }},
		{name: "reserved bits", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.reserved = 1 }, fields: []string{"reserved bits"}},
		{name: "options not allowed", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.opts = tsOpt(1, 2) }, fields: []string{"options"}},
		{name: "options unchecked", line: "> . 1:1(0) ack 1 <...>", mod: func(p *tcpPkt) { p.opts = tsOpt(1, 2) }},
		{name: "options missing", line: "> . 1:1(0) ack 1 <nop,nop,TS val 1 ecr 2>", fields: []string{"options"}},
		{name: "ts not checked", line: "> . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 7>", mod: func(p *tcpPkt) { p.opts = tsOpt(123456, 999) }},
		{name: "mss value", line: "> . 1:1(0) ack 1 <mss 1460>", mod: func(p *tcpPkt) { p.opts = opt(2, 4, 0x05, 0xb4) }},
		{name: "mss wrong", line: "> . 1:1(0) ack 1 <mss 1460>", mod: func(p *tcpPkt) { p.opts = opt(2, 4, 0x05, 0xa0) }, fields: []string{"option mss 1460"}},
		{name: "wscale wrong", line: "> . 1:1(0) ack 1 <nop,wscale 8>", mod: func(p *tcpPkt) { p.opts = opt(1, 3, 3, 7) }, fields: []string{"option wscale 8"}},
		{name: "option order", line: "> . 1:1(0) ack 1 <mss 1460,nop,wscale 8>", mod: func(p *tcpPkt) { p.opts = opt(1, 3, 3, 8, 2, 4, 0x05, 0xb4) }, fields: []string{"options"}},
		{name: "sackOK", line: "> . 1:1(0) ack 1 <nop,nop,sackOK>", mod: func(p *tcpPkt) { p.opts = opt(1, 1, 4, 2) }},
		{name: "sackOK missing", line: "> . 1:1(0) ack 1 <nop,nop,sackOK>", mod: func(p *tcpPkt) { p.opts = opt(1, 1, 1, 1) }, fields: []string{"options"}},
		{name: "sack blocks", line: "> . 1:1(0) ack 1 <nop,nop,sack 1001:2001>", mod: func(p *tcpPkt) { p.opts = sack }},
		{name: "sack blocks wrong", line: "> . 1:1(0) ack 1 <nop,nop,sack 1001:3001>", mod: func(p *tcpPkt) { p.opts = sack }, fields: []string{"option sack"}},
		{name: "fastopen cookie", line: "> . 1:1(0) ack 1 <FO 0102030405060708,nop,nop>", mod: func(p *tcpPkt) { p.opts = append(append([]byte{}, fo...), 1, 1) }},
		{name: "fastopen cookie wrong", line: "> . 1:1(0) ack 1 <FO 0102030405060709,nop,nop>", mod: func(p *tcpPkt) { p.opts = append(append([]byte{}, fo...), 1, 1) }, fields: []string{"option FO"}},
		{name: "fastopen request vs cookie", line: "> . 1:1(0) ack 1 <FO,nop,nop>", mod: func(p *tcpPkt) { p.opts = append(append([]byte{}, fo...), 1, 1) }, fields: []string{"option FO"}},
		{name: "experimental fastopen", line: "> . 1:1(0) ack 1 <FOEXP aabbccdd>", mod: func(p *tcpPkt) { p.opts = foexp }},
		{name: "experimental fastopen wrong", line: "> . 1:1(0) ack 1 <FOEXP aabbccde>", mod: func(p *tcpPkt) { p.opts = foexp }, fields: []string{"option FOEXP"}},
		{name: "generic option", line: "> . 1:1(0) ack 1 <nop,nop,253 0102>", mod: func(p *tcpPkt) { p.opts = opt(1, 1, 253, 4, 1, 2) }},
		{name: "payload length", line: "> P. 1:1001(1000) ack 1", mod: func(p *tcpPkt) { p.flags |= wire.TCPFlagPSH; p.payload = make([]byte, 500) }, fields: []string{"payload length"}},
		{name: "payload", line: "> P. 1:11(10) ack 1", mod: func(p *tcpPkt) { p.flags |= wire.TCPFlagPSH; p.payload = []byte("0123456789") }, fields: []string{"payload"}},
		{name: "payload match", line: "> P. 1:11(10) ack 1", mod: func(p *tcpPkt) { p.flags |= wire.TCPFlagPSH; p.payload = make([]byte, 10) }},
		{name: "tcp checksum", line: "> . 1:1(0) ack 1", raw: func(b []byte) []byte { b[20+16] ^= 0xff; return b }, fields: []string{"tcp checksum"}},
		{name: "ip checksum", line: "> . 1:1(0) ack 1", raw: func(b []byte) []byte { b[10] ^= 0xff; return b }, fields: []string{"IP checksum"}},
		{name: "ip options", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.ipOpts = []byte{1, 1, 1, 1} }, fields: []string{"IP header length"}},
		{name: "source address", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.src = netip.MustParseAddr("192.168.0.9") }, fields: []string{"source address"}},
		{name: "destination address", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.dst = netip.MustParseAddr("192.0.2.9") }, fields: []string{"destination address"}},
		{name: "source port", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.sport = 8081 }, fields: []string{"source port"}},
		{name: "destination port", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.dport = 1 }, fields: []string{"destination port"}},
		{name: "ect0", line: "> [ect0] . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.tos = 2 }},
		{name: "ect0 missing", line: "> [ect0] . 1:1(0) ack 1", fields: []string{"ecn"}},
		{name: "noecn", line: "> [noecn] . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.tos = 3 }, fields: []string{"ecn"}},
		{name: "ect01", line: "> [ect01] . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.tos = 1 }},
		{name: "ce", line: "> [ce] . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.tos = 2 }, fields: []string{"ecn"}},
		{name: "ecn unchecked", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.tos = 3 }},
		{name: "tos", line: "> (tos 0x10) . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.tos = 0x08 }, fields: []string{"tos"}},
		{name: "ttl", line: "> (ttl 32) . 1:1(0) ack 1", fields: []string{"ttl"}},
		{name: "ip version", line: "> . 1:1(0) ack 1", mod: func(p *tcpPkt) { p.src, p.dst = tLocal6, tRemote6 }, fields: []string{"IP version"}},
		{name: "protocol", line: "> udp (0)", fields: []string{"protocol"}},
		{name: "truncated", line: "> . 1:1(0) ack 1", raw: func(b []byte) []byte { return b[:30] }, fields: []string{"packet"}},
		{name: "several fields", line: "> P. 1:1(0) ack 2 win 1", fields: []string{"flags", "ack", "win"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := basePkt()
			if c.mod != nil {
				c.mod(&p)
			}
			b := p.bytes()
			if c.raw != nil {
				b = c.raw(b)
			}
			flow := testFlow()
			if c.flow != nil {
				c.flow(&flow)
			}
			res := MatchOutbound(parseLine(t, c.line), b, flow, &TSState{}, MatchConfig{Tolerance: DefaultTolerance})
			got := diffFields(res.Mismatch)
			if strings.Join(got, "|") != strings.Join(c.fields, "|") {
				msg := "<nil>"
				if res.Mismatch != nil {
					msg = res.Mismatch.Error()
				}
				t.Errorf("differing fields %q, want %q\n%s", got, c.fields, msg)
			}
		})
	}
}

func TestMatchBindsLocalISN(t *testing.T) {
	flow := Flow{Local: tLocal, Remote: tRemote, LocalPort: 8080, RemotePort: 48000, RemoteISN: tRISN}
	synack := tcpPkt{src: tLocal, dst: tRemote, sport: 8080, dport: 48000, seq: 777, ack: tRISN + 1,
		flags: wire.TCPFlagSYN | wire.TCPFlagACK, win: 65535, ttl: 64, opts: opt(2, 4, 0x05, 0xb4)}
	res := MatchOutbound(parseLine(t, "> S. 1234:1234(0) ack 5001 <mss 1460>"), synack.bytes(), flow, &TSState{}, MatchConfig{})
	if res.Mismatch != nil {
		t.Fatal(res.Mismatch)
	}
	if !res.Flow.HaveLocalISN || res.Flow.LocalISN != 777 || res.Flow.LocalSynSeq != 1234 {
		t.Fatalf("flow after SYN-ACK: %+v", res.Flow)
	}
	if res.Actual != "S. 1234:1234(0) ack 5001 win 65535 <mss 1460>" {
		t.Errorf("actual printed as %q", res.Actual)
	}
	// The SYN-ACK's ack is absolute: the relative value does not match.
	if res := MatchOutbound(parseLine(t, "> S. 0:0(0) ack 1 <mss 1460>"), synack.bytes(), flow, &TSState{}, MatchConfig{}); res.Mismatch == nil {
		t.Error("SYN-ACK with a relative ack matched")
	}
	// Later segments are relative to the bound ISN.
	data := tcpPkt{src: tLocal, dst: tRemote, sport: 8080, dport: 48000, seq: 778, ack: tRISN + 1,
		flags: wire.TCPFlagACK | wire.TCPFlagPSH, win: 502, ttl: 64, payload: make([]byte, 100)}
	if res := MatchOutbound(parseLine(t, "> P. 1:101(100) ack 1"), data.bytes(), res.Flow, &TSState{}, MatchConfig{}); res.Mismatch != nil {
		t.Error(res.Mismatch)
	}
	// A first packet that is no SYN binds the ISN from its own seq.
	rst := tcpPkt{src: tLocal, dst: tRemote, sport: 8080, dport: 48000, seq: 0, ack: tRISN + 1,
		flags: wire.TCPFlagRST | wire.TCPFlagACK, ttl: 64}
	if res := MatchOutbound(parseLine(t, "> R. 0:0(0) ack 1"), rst.bytes(), flow, &TSState{}, MatchConfig{}); res.Mismatch != nil || res.Flow.LocalISN != 0 {
		t.Errorf("RST: %v, flow %+v", res.Mismatch, res.Flow)
	}
}

func TestMatchLearnsActiveOpenPort(t *testing.T) {
	flow := Flow{Local: tLocal, Remote: tRemote, RemotePort: 8080}
	syn := tcpPkt{src: tLocal, dst: tRemote, sport: 40123, dport: 8080, seq: 99, flags: wire.TCPFlagSYN, win: 65535, ttl: 64}
	res := MatchOutbound(parseLine(t, "> S 0:0(0)"), syn.bytes(), flow, &TSState{}, MatchConfig{})
	if res.Mismatch != nil || res.Flow.LocalPort != 40123 || res.Flow.LocalISN != 99 {
		t.Fatalf("%v %+v", res.Mismatch, res.Flow)
	}
}

func TestMatchTimestampTicks(t *testing.T) {
	ts := &TSState{}
	ts.Record(100, 5000)
	cfg := MatchConfig{TSTickUsecs: 1000, Tolerance: 4 * time.Millisecond, Since: 100 * time.Millisecond}
	line := parseLine(t, "> . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>")
	p := basePkt()
	p.opts = tsOpt(5010, 1)
	if res := MatchOutbound(line, p.bytes(), testFlow(), ts, cfg); res.Mismatch != nil {
		t.Errorf("TS val 10 ticks later: %v", res.Mismatch)
	} else if len(res.TS) != 1 || res.TS[0] != [2]uint32{110, 5010} {
		t.Errorf("recorded %v", res.TS)
	}
	p.opts = tsOpt(5100, 1)
	res := MatchOutbound(line, p.bytes(), testFlow(), ts, cfg)
	if got := diffFields(res.Mismatch); len(got) != 1 || got[0] != "TS val" {
		t.Errorf("TS val 100 ticks later: %v", res.Mismatch)
	}
	// 12.5% of 1 s is 125 ms: 20 ticks off is then within tolerance.
	cfg.Since = time.Second
	p.opts = tsOpt(5030, 1)
	if res := MatchOutbound(line, p.bytes(), testFlow(), ts, cfg); res.Mismatch != nil {
		t.Errorf("TS val within 12.5%%: %v", res.Mismatch)
	}
}

func TestTSStateEcr(t *testing.T) {
	var ts TSState
	if got := ts.Ecr(100, true); got != 100 {
		t.Errorf("unmapped ecr %d", got)
	}
	ts.Record(100, 7000)
	ts.Record(200, 7100)
	if got := ts.Ecr(200, false); got != 7100 {
		t.Errorf("recorded ecr %d", got)
	}
	if got := ts.Ecr(150, false); got != 150 {
		t.Errorf("unrecorded ecr without scaling %d", got)
	}
	if got := ts.Ecr(150, true); got != 7050 {
		t.Errorf("scaled ecr %d", got)
	}
}

func udpPkt(src, dst netip.Addr, sport, dport uint16, n int) []byte {
	l4 := make([]byte, 8+n)
	f := wire.UDPFields{SrcPort: sport, DstPort: dport, Length: uint16(len(l4))}
	f.Encode(l4)
	h := wire.UDP(l4)
	h.SetChecksum(h.ComputeChecksum(src, dst))
	return ipPacket(src, dst, wire.ProtoUDP, 0, 64, nil, l4)
}

func TestMatchOutboundUDP(t *testing.T) {
	flow := testFlow()
	flow.RemotePort = 8080
	ok := udpPkt(tLocal, tRemote, 5555, 8080, 100)
	res := MatchOutbound(parseLine(t, "> udp (100)"), ok, flow, nil, MatchConfig{})
	if res.Mismatch != nil || res.Flow.LocalPort != 5555 {
		t.Fatalf("%v %+v", res.Mismatch, res.Flow)
	}
	if got := diffFields(MatchOutbound(parseLine(t, "> udp (99)"), ok, flow, nil, MatchConfig{}).Mismatch); strings.Join(got, ",") != "payload length" {
		t.Errorf("length: %v", got)
	}
	wrongPort := udpPkt(tLocal, tRemote, 5555, 9, 100)
	if got := diffFields(MatchOutbound(parseLine(t, "> udp (100)"), wrongPort, flow, nil, MatchConfig{}).Mismatch); strings.Join(got, ",") != "destination port" {
		t.Errorf("port: %v", got)
	}
	bad := append([]byte(nil), ok...)
	bad[len(bad)-1] = 1 // payload changed, checksum now wrong
	if got := diffFields(MatchOutbound(parseLine(t, "> udp (100)"), bad, flow, nil, MatchConfig{}).Mismatch); strings.Join(got, ",") != "udp checksum" {
		t.Errorf("checksum: %v", got)
	}
	if got := diffFields(MatchOutbound(parseLine(t, "> . 1:1(0) ack 1"), ok, flow, nil, MatchConfig{}).Mismatch); strings.Join(got, ",") != "protocol" {
		t.Errorf("protocol: %v", got)
	}
}

// icmpPkt builds an ICMPv4 error from the stack quoting quoted.
func icmpPkt(typ, code uint8, mtu uint16, quoted []byte) []byte {
	m := make([]byte, 8+len(quoted))
	f := wire.ICMPv4Fields{Type: wire.ICMPv4Type(typ), Code: code, MTU: mtu}
	f.Encode(m)
	copy(m[8:], quoted)
	h := wire.ICMPv4(m)
	h.SetChecksum(h.ComputeChecksum())
	return ipPacket(tLocal, tRemote, wire.ProtoICMP, 0, 64, nil, m)
}

func TestMatchOutboundICMP(t *testing.T) {
	flow := testFlow()
	quotedUDP := udpPkt(tRemote, tLocal, 48000, 8080, 10)[:28]
	unreach := icmpPkt(3, 3, 0, quotedUDP)
	cases := []struct {
		line   string
		pkt    []byte
		fields string
	}{
		{"> icmp unreachable port_unreachable [udp (10)]", unreach, ""},
		{"> icmp unreachable port_unreachable", unreach, ""},
		{"> icmp unreachable", unreach, ""},
		{"> icmp unreachable host_unreachable", unreach, "icmp code"},
		{"> icmp unreachable port_unreachable [udp (11)]", unreach, "quoted udp length"},
		{"> icmp echo_reply", unreach, "icmp type"},
		{"> icmp unreachable port_unreachable [1:1(0)]", unreach, "quoted packet"},
		{"> icmp echo_reply", icmpPkt(0, 0, 0, nil), ""},
		{"> udp (1)", unreach, "protocol"},
	}
	quotedTCP := basePkt()
	quotedTCP.src, quotedTCP.dst, quotedTCP.sport, quotedTCP.dport, quotedTCP.seq = tRemote, tLocal, 48000, 8080, tRISN+1
	qt := quotedTCP.bytes()[:28]
	cases = append(cases,
		struct {
			line   string
			pkt    []byte
			fields string
		}{"> icmp unreachable frag_needed mtu 1400 [1:1(0)]", icmpPkt(3, 4, 1400, qt), ""},
		struct {
			line   string
			pkt    []byte
			fields string
		}{"> icmp unreachable frag_needed mtu 1400 [2:2(0)]", icmpPkt(3, 4, 1300, qt), "mtu,quoted seq"},
	)
	for _, c := range cases {
		res := MatchOutbound(parseLine(t, c.line), c.pkt, flow, nil, MatchConfig{})
		if got := strings.Join(diffFields(res.Mismatch), ","); got != c.fields {
			t.Errorf("%s: differing %q, want %q (%v)", c.line, got, c.fields, res.Mismatch)
		}
	}
}

func TestMismatchMessage(t *testing.T) {
	p := basePkt()
	p.win = 100
	res := MatchOutbound(parseLine(t, "> . 1:1(0) ack 1 win 257"), p.bytes(), testFlow(), &TSState{}, MatchConfig{})
	if res.Mismatch == nil {
		t.Fatal("wrong window matched")
	}
	msg := res.Mismatch.Error()
	for _, want := range []string{
		"outbound packet: win: expected 257, actual 100",
		"expected: > . 1:1(0) ack 1 win 257",
		"actual:   > . 1:1(0) ack 1 win 100",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if got := res.Mismatch.Summary(); got != "outbound packet: win expected 257, actual 100" {
		t.Errorf("summary %q", got)
	}
}
