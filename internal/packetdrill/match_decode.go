package packetdrill

import (
	"fmt"
	"net/netip"

	"github.com/gosock/gosock/wire"
)

// decoded is a captured IP packet taken apart.
type decoded struct {
	raw          []byte // the whole packet
	version      int
	src, dst     netip.Addr
	tos, ttl     uint8 // IPv4 TOS / IPv6 traffic class; TTL / hop limit
	flowLabel    uint32
	ipHdrLen     int
	ipChecksumOK bool
	proto        uint8
	transport    []byte
	tcp          wire.TCP
	udp          wire.UDP
	icmp         []byte // ICMPv4 or ICMPv6 message
}

// decodePacket parses an IP packet and its transport header. A quoted
// packet inside an ICMP error may be cut short: then the result is
// returned along with the error, with transport holding what is there.
func decodePacket(p []byte) (*decoded, error) {
	if len(p) == 0 {
		return nil, wire.ErrTruncated
	}
	d := &decoded{raw: p, version: int(p[0] >> 4)}
	switch d.version {
	case 4:
		if len(p) < wire.IPv4MinHeaderLen {
			return nil, wire.ErrTruncated
		}
		h := wire.IPv4(p)
		d.ipHdrLen = h.HeaderLen()
		if d.ipHdrLen < wire.IPv4MinHeaderLen || d.ipHdrLen > len(p) {
			return nil, wire.ErrBadLength
		}
		d.src, d.dst, d.tos, d.ttl, d.proto = h.Src(), h.Dst(), h.TOS(), h.TTL(), h.Protocol()
		d.ipChecksumOK = h.ValidChecksum()
		end := int(h.TotalLen())
		if end > len(p) || end < d.ipHdrLen {
			d.transport = p[d.ipHdrLen:]
			return d, wire.ErrTruncated
		}
		d.transport = p[d.ipHdrLen:end]
	case 6:
		if len(p) < 40 {
			return nil, wire.ErrTruncated
		}
		h := wire.IPv6(p)
		d.src, d.dst, d.tos, d.ttl, d.flowLabel = h.Src(), h.Dst(), h.TrafficClass(), h.HopLimit(), h.FlowLabel()
		d.ipHdrLen, d.ipChecksumOK = 40, true
		end := 40 + int(h.PayloadLen())
		truncated := end > len(p)
		if truncated {
			end = len(p)
		}
		payload := p[40:end]
		it := wire.NewIPv6ExtIter(payload, h.NextHeader())
		for it.Next() {
		}
		if it.Err() != nil {
			return nil, it.Err()
		}
		proto, off := it.Upper()
		d.proto, d.transport = proto, payload[off:]
		if truncated {
			return d, wire.ErrTruncated
		}
	default:
		return nil, wire.ErrBadVersion
	}
	switch d.proto {
	case wire.ProtoTCP:
		h, err := wire.ParseTCP(d.transport)
		if err != nil {
			return d, err
		}
		d.tcp = h
	case wire.ProtoUDP:
		h, err := wire.ParseUDP(d.transport)
		if err != nil {
			return d, err
		}
		d.udp = h
	case wire.ProtoICMP, wire.ProtoICMPv6:
		if len(d.transport) < 8 {
			return d, wire.ErrTruncated
		}
		d.icmp = d.transport
	}
	return d, nil
}

// protoName names the transport protocol.
func (d *decoded) protoName() string {
	switch d.proto {
	case wire.ProtoTCP:
		return "tcp"
	case wire.ProtoUDP:
		return "udp"
	case wire.ProtoICMP, wire.ProtoICMPv6:
		return "icmp"
	}
	return fmt.Sprintf("protocol %d", d.proto)
}

// icmpMTU returns the MTU an ICMP message carries (frag-needed or
// packet-too-big), 0 for others.
func (d *decoded) icmpMTU() uint32 {
	if d.version == 4 {
		return uint32(be16(d.icmp[6:]))
	}
	return be32(d.icmp[4:])
}

// summary prints a packet that no script line describes, for messages.
func (d *decoded) summary() string {
	switch {
	case d.tcp != nil:
		return fmt.Sprintf("tcp %s", d.tcp.Format(d.src, d.dst))
	case d.udp != nil:
		return fmt.Sprintf("udp (%d) %s > %s", len(d.udp.Payload()), d.src, d.dst)
	case d.icmp != nil:
		return icmpString(d.icmp[0], d.icmp[1], d)
	}
	return fmt.Sprintf("%s %s > %s", d.protoName(), d.src, d.dst)
}

// icmpString prints an ICMP message in script notation.
func icmpString(typ, code uint8, d *decoded) string {
	v6 := d.version == 6
	s := "icmp " + icmpTypeName(typ, v6)
	if name := icmpCodeName(typ, code, v6); name != "" {
		s += " " + name
	}
	if mtu := d.icmpMTU(); mtu != 0 && (!v6 && typ == 3 && code == 4 || v6 && typ == 2) {
		s += fmt.Sprintf(" mtu %d", mtu)
	}
	return s
}

// ICMP type and code names, as scripts write them.
var (
	icmp4Types = map[string]uint8{
		"echo_reply": 0, "unreachable": 3, "source_quench": 4, "redirect": 5,
		"echo_request": 8, "time_exceeded": 11, "parameter_problem": 12,
	}
	icmp6Types = map[string]uint8{
		"unreachable": 1, "packet_too_big": 2, "time_exceeded": 3,
		"parameter_problem": 4, "echo_request": 128, "echo_reply": 129,
	}
	icmp4UnreachCodes = map[string]uint8{
		"net_unreachable": 0, "host_unreachable": 1, "protocol_unreachable": 2,
		"port_unreachable": 3, "frag_needed": 4, "source_route_failed": 5,
		"net_unknown": 6, "host_unknown": 7, "source_host_isolated": 8,
		"net_prohibited": 9, "host_prohibited": 10, "net_unreachable_for_tos": 11,
		"host_unreachable_for_tos": 12, "packet_filtered": 13,
		"precedence_violation": 14, "precedence_cutoff": 15,
	}
	icmp6UnreachCodes = map[string]uint8{
		"no_route": 0, "net_unreachable": 0, "admin_prohibited": 1,
		"beyond_scope": 2, "address_unreachable": 3, "host_unreachable": 3,
		"port_unreachable": 4,
	}
	icmpTimeCodes = map[string]uint8{"ttl_exceeded": 0, "reassembly_time_exceeded": 1}
)

// icmpTypeCode resolves a script's ICMP type and code names for the
// packet's IP version.
func icmpTypeCode(m *ICMPMessage, v6 bool) (typ, code uint8, err error) {
	types, unreach := icmp4Types, icmp4UnreachCodes
	if v6 {
		types, unreach = icmp6Types, icmp6UnreachCodes
	}
	typ, ok := types[m.Type]
	if !ok {
		return 0, 0, fmt.Errorf("unknown ICMP type %q", m.Type)
	}
	if m.Code == "" {
		return typ, 0, nil
	}
	codes := map[string]uint8{}
	switch m.Type {
	case "unreachable":
		codes = unreach
	case "time_exceeded":
		codes = icmpTimeCodes
	}
	code, ok = codes[m.Code]
	if !ok {
		return 0, 0, fmt.Errorf("unknown ICMP code %q for %s", m.Code, m.Type)
	}
	return typ, code, nil
}

func icmpTypeName(t uint8, v6 bool) string {
	types := icmp4Types
	if v6 {
		types = icmp6Types
	}
	for name, v := range types {
		if v == t {
			return name
		}
	}
	return fmt.Sprintf("type%d", t)
}

// Canonical code names by value, for printing.
var (
	icmp4UnreachNames = []string{
		"net_unreachable", "host_unreachable", "protocol_unreachable", "port_unreachable",
		"frag_needed", "source_route_failed", "net_unknown", "host_unknown",
		"source_host_isolated", "net_prohibited", "host_prohibited", "net_unreachable_for_tos",
		"host_unreachable_for_tos", "packet_filtered", "precedence_violation", "precedence_cutoff",
	}
	icmp6UnreachNames = []string{"no_route", "admin_prohibited", "beyond_scope", "address_unreachable", "port_unreachable"}
	icmpTimeNames     = []string{"ttl_exceeded", "reassembly_time_exceeded"}
)

func icmpCodeName(t, c uint8, v6 bool) string {
	var names []string
	switch {
	case !v6 && t == 3:
		names = icmp4UnreachNames
	case v6 && t == 1:
		names = icmp6UnreachNames
	case !v6 && t == 11 || v6 && t == 3:
		names = icmpTimeNames
	}
	if int(c) < len(names) {
		return names[c]
	}
	if c == 0 {
		return ""
	}
	return fmt.Sprint(c)
}
