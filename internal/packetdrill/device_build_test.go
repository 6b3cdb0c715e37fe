package packetdrill

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gosock/gosock/wire"
)

// parseInbound decodes a built packet with the wire package.
func parseInbound(t *testing.T, p []byte) (wire.IPv4, wire.TCP) {
	t.Helper()
	ip, err := wire.ParseIPv4(p)
	if err != nil {
		t.Fatal(err)
	}
	if !ip.ValidChecksum() {
		t.Error("IP checksum invalid")
	}
	if ip.Src() != tRemote || ip.Dst() != tLocal {
		t.Errorf("addresses %s > %s", ip.Src(), ip.Dst())
	}
	tcp, err := wire.ParseTCP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if !tcp.ValidChecksum(ip.Src(), ip.Dst()) {
		t.Error("TCP checksum invalid")
	}
	return ip, tcp
}

func TestBuildInboundSYN(t *testing.T) {
	flow := Flow{Local: tLocal, Remote: tRemote, LocalPort: 8080, RemotePort: 48000}
	l := parseLine(t, "< S 1428932:1428932(0) win 10000 <mss 1012,sackOK,TS val 1 ecr 0,nop,wscale 7>")
	p, nf, err := BuildInbound(l, flow, &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if nf.RemoteISN != 1428932 {
		t.Errorf("RemoteISN %d", nf.RemoteISN)
	}
	ip, h := parseInbound(t, p)
	if ip.TTL() != 64 || ip.TOS() != 0 {
		t.Errorf("ttl %d tos %d", ip.TTL(), ip.TOS())
	}
	if h.SrcPort() != 48000 || h.DstPort() != 8080 || h.Seq() != 1428932 || h.Ack() != 0 ||
		h.Flags() != wire.TCPFlagSYN || h.Window() != 10000 {
		t.Errorf("header %s", h)
	}
	want := []byte{2, 4, 0x03, 0xf4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}
	if !bytes.Equal(h.Options(), want) {
		t.Errorf("options % x, want % x", h.Options(), want)
	}
	var o wire.TCPOptions
	if err := wire.ParseTCPOptions(h.Options(), &o); err != nil || o.MSS != 1012 || !o.SACKPermitted || o.WScale != 7 || o.TSVal != 1 {
		t.Errorf("options parse: %v %+v", err, o)
	}
}

func TestBuildInboundMapping(t *testing.T) {
	flow := testFlow()
	ts := &TSState{}
	ts.Record(100, 777777)
	l := parseLine(t, "< P. 1001:2001(1000) ack 501 win 257 urg 3 <nop,nop,TS val 5 ecr 100,nop,nop,sack 1:101>")
	p, _, err := BuildInbound(l, flow, ts, false)
	if err != nil {
		t.Fatal(err)
	}
	_, h := parseInbound(t, p)
	if h.Seq() != tRISN+1001 || h.Ack() != tLISN+501 || h.Urgent() != 3 || len(h.Payload()) != 1000 {
		t.Errorf("seq %d ack %d urg %d len %d", h.Seq(), h.Ack(), h.Urgent(), len(h.Payload()))
	}
	var o wire.TCPOptions
	if err := wire.ParseTCPOptions(h.Options(), &o); err != nil {
		t.Fatal(err)
	}
	if o.TSVal != 5 || o.TSEcr != 777777 {
		t.Errorf("TS %d %d", o.TSVal, o.TSEcr)
	}
	if o.NumSACK != 1 || o.SACKBlocks[0].Start != tLISN+1 || o.SACKBlocks[0].End != tLISN+101 {
		t.Errorf("SACK %+v", o.SACKBlocks[:o.NumSACK])
	}
	if !bytes.Equal(h.Payload(), make([]byte, 1000)) {
		t.Error("payload is not zeros")
	}
}

func TestBuildInboundSYNACK(t *testing.T) {
	// Active open: the stack's SYN was written "S 0:0(0)" with ISN 4242;
	// the peer's SYN-ACK acks 1 (the SYN) or 1001 (SYN data).
	flow := Flow{Local: tLocal, Remote: tRemote, LocalPort: 40000, RemotePort: 8080,
		LocalISN: 4242, HaveLocalISN: true, LocalSynSeq: 0}
	p, nf, err := BuildInbound(parseLine(t, "< S. 123:123(0) ack 1001 win 5840"), flow, &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, h := parseInbound(t, p)
	if h.Seq() != 123 || h.Ack() != 4242+1001 || nf.RemoteISN != 123 {
		t.Errorf("seq %d ack %d rISN %d", h.Seq(), h.Ack(), nf.RemoteISN)
	}
	// With the SYN written at 1234 the SYN-ACK's ack is taken relative
	// to that, later acks relative to the ISN.
	flow.LocalSynSeq = 1234
	p, nf, _ = BuildInbound(parseLine(t, "< S. 0:0(0) ack 1235 win 5840"), flow, &TSState{}, false)
	if _, h := parseInbound(t, p); h.Ack() != 4243 {
		t.Errorf("SYN-ACK ack %d", h.Ack())
	}
	p, _, _ = BuildInbound(parseLine(t, "< . 1:1(0) ack 1 win 5840"), nf, &TSState{}, false)
	if _, h := parseInbound(t, p); h.Ack() != 4243 || h.Seq() != 1 {
		t.Errorf("ACK seq %d ack %d", h.Seq(), h.Ack())
	}
}

func TestBuildInboundNoFlags(t *testing.T) {
	p, _, err := BuildInbound(parseLine(t, "< - 1:1(0) win 5"), testFlow(), &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, h := parseInbound(t, p); h.Flags() != 0 || h.Ack() != 0 || h.Seq() != tRISN+1 || h.Window() != 5 {
		t.Errorf("header %s", h)
	}
}

func TestBuildInboundIPInfo(t *testing.T) {
	cases := []struct {
		ann      string
		tos, ttl uint8
	}{
		{"[ect0]", 2, 64}, {"[ect1]", 1, 64}, {"[ce]", 3, 64}, {"[noecn]", 0, 64},
		{"(tos 0x10, ttl 9)", 0x10, 9}, {"(tos 0x10, ce)", 0x13, 64},
	}
	for _, c := range cases {
		p, _, err := BuildInbound(parseLine(t, "< "+c.ann+" . 1:1(0) ack 1 win 1"), testFlow(), &TSState{}, false)
		if err != nil {
			t.Fatal(err)
		}
		ip, _ := parseInbound(t, p)
		if ip.TOS() != c.tos || ip.TTL() != c.ttl {
			t.Errorf("%s: tos 0x%x ttl %d", c.ann, ip.TOS(), ip.TTL())
		}
	}
}

func TestBuildInboundIPv6(t *testing.T) {
	flow := Flow{IPv6: true, Local: tLocal6, Remote: tRemote6, LocalPort: 8080, RemotePort: 48000}
	p, _, err := BuildInbound(parseLine(t, "< (flowlabel 0x12345) udp (20)"), flow, &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := wire.ParseIPv6(p)
	if err != nil {
		t.Fatal(err)
	}
	if ip.FlowLabel() != 0x12345 || ip.NextHeader() != wire.ProtoUDP || ip.Src() != tRemote6 || ip.HopLimit() != 64 {
		t.Errorf("header %s", ip)
	}
	u, err := wire.ParseUDP(ip.Payload())
	if err != nil || len(u.Payload()) != 20 || !u.ValidChecksum(tRemote6, tLocal6) || u.DstPort() != 8080 {
		t.Errorf("udp %v %s", err, u)
	}
}

func TestBuildInboundICMP(t *testing.T) {
	flow := testFlow()
	p, _, err := BuildInbound(parseLine(t, "< icmp unreachable frag_needed mtu 1400 [1:1001(1000)]"), flow, &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	ip, _ := wire.ParseIPv4(p)
	m, err := wire.ParseICMPv4(ip.Payload())
	if err != nil || !m.ValidChecksum() || m.Type() != wire.ICMPv4DestUnreach || m.Code() != wire.ICMPv4CodeFragNeeded || m.MTU() != 1400 {
		t.Fatalf("icmp %v %s", err, m)
	}
	q := wire.IPv4(m.Payload()) // truncated: the view, not ParseIPv4
	if !q.ValidChecksum() {
		t.Error("quoted IP checksum invalid")
	}
	if q.Src() != tLocal || q.Dst() != tRemote || q.TotalLen() != 20+20+1000 || q.Protocol() != wire.ProtoTCP {
		t.Errorf("quoted %s", q)
	}
	qt := m.Payload()[20:]
	if binary.BigEndian.Uint16(qt) != 8080 || binary.BigEndian.Uint32(qt[4:]) != tLISN+1 {
		t.Errorf("quoted TCP % x", qt[:8])
	}
	// ICMPv6 packet too big.
	flow6 := Flow{IPv6: true, Local: tLocal6, Remote: tRemote6, LocalPort: 8080, RemotePort: 48000, LocalISN: 10, HaveLocalISN: true}
	p, _, err = BuildInbound(parseLine(t, "< icmp packet_too_big mtu 1280 [0:1440(1440)]"), flow6, &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	ip6, _ := wire.ParseIPv6(p)
	m6, err := wire.ParseICMPv6(ip6.Payload())
	if err != nil || m6.Type() != wire.ICMPv6PacketTooBig || m6.MTU() != 1280 || !m6.ValidChecksum(tRemote6, tLocal6) {
		t.Errorf("icmpv6 %v %s", err, m6)
	}
}

func TestBuildInboundErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"< . 1:1(0) ack 1", "needs a window"},
		{"< . 1:1(0) ack 1 win 1 <...>", "cannot leave its options"},
		{"< icmp bogus_type", "unknown ICMP type"},
		{"< icmp unreachable bogus_code", "unknown ICMP code"},
	} {
		_, _, err := BuildInbound(parseLine(t, c.line), testFlow(), &TSState{}, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.line, err, c.want)
		}
	}
}

// An injected packet and the matcher agree: what BuildInbound writes in
// the peer's space reads back relative to the flow.
func TestBuildMatchesFormat(t *testing.T) {
	l := parseLine(t, "< P. 1:1001(1000) ack 1 win 257")
	p, _, err := BuildInbound(l, testFlow(), &TSState{}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, h := parseInbound(t, p)
	if got := h.Seq() - tRISN; got != 1 {
		t.Errorf("relative seq %d", got)
	}
}
