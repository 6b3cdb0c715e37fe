package packetdrill

import (
	"encoding/hex"
	"strings"
)

// parsePacket parses "<dir> [ip-info] <packet>".
func (p *parser) parsePacket(pos Pos, tm TimeSpec) *PacketLine {
	d := p.next()
	pl := &PacketLine{Pos: pos, Time: tm, Dir: Inbound}
	if d.is(">") {
		pl.Dir = Outbound
	}
	if t := p.peek(); t.is("[") || t.is("(") {
		pl.IP = p.parseIPInfo()
	}
	t := p.peek()
	switch {
	case t.isWord("udp"):
		p.next()
		pl.Packet = &UDPDatagram{Pos: t.pos, Len: p.parseUDPLen()}
	case t.isWord("icmp"):
		pl.Packet = p.parseICMP()
	default:
		pl.Packet = p.parseTCP()
	}
	return pl
}

// parseIPInfo parses "[ect0]", "(tos 0x10, ttl 64)" and the like.
func (p *parser) parseIPInfo() *IPInfo {
	open := p.next()
	closing := "]"
	info := &IPInfo{Pos: open.pos}
	if open.is("(") {
		closing, info.Paren = ")", true
	}
	n := 0
	for {
		t := p.next()
		if t.is(closing) {
			if n == 0 {
				p.errorf(t.pos, "empty IP annotation")
			}
			return info
		}
		if n > 0 && t.is(",") {
			t = p.next()
		}
		n++
		if t.kind != tokIdent {
			p.errorf(t.pos, "expected an IP annotation (ect0, ect1, ect01, ce, noecn, tos N, ttl N, flowlabel N), found %s", t.describe())
		}
		ecn := ECNUnset
		switch t.text {
		case "noecn":
			ecn = ECNNone
		case "ect0":
			ecn = ECNECT0
		case "ect1":
			ecn = ECNECT1
		case "ect01", "ecn":
			ecn = ECNECT01
		case "ce":
			ecn = ECNCE
		case "tos":
			if info.HasTOS {
				p.errorf(t.pos, "duplicate tos")
			}
			info.TOS, info.HasTOS = uint8(p.parseNum("tos", 0xff)), true
		case "ttl":
			if info.HasTTL {
				p.errorf(t.pos, "duplicate ttl")
			}
			info.TTL, info.HasTTL = uint8(p.parseNum("ttl", 0xff)), true
		case "flowlabel":
			if info.HasFlowLabel {
				p.errorf(t.pos, "duplicate flowlabel")
			}
			info.FlowLabel, info.HasFlowLabel = uint32(p.parseNum("flowlabel", 0xfffff)), true
		default:
			p.errorf(t.pos, "unknown IP annotation %q (want ect0, ect1, ect01, ce, noecn, tos N, ttl N or flowlabel N)", t.text)
		}
		if ecn != ECNUnset {
			if info.ECN != ECNUnset {
				p.errorf(t.pos, "more than one ECN codepoint in IP annotation")
			}
			info.ECN = ecn
		}
	}
}

// parseNum parses an unsigned decimal or hex number no larger than max.
func (p *parser) parseNum(what string, max uint64) uint64 {
	t := p.next()
	if t.kind != tokNumber {
		p.errorf(t.pos, "expected a number for %s, found %s", what, t.describe())
	}
	v, _, ok := parseUint(t.text)
	if !ok {
		p.errorf(t.pos, "bad number %q for %s", t.text, what)
	}
	if v > max {
		p.errorf(t.pos, "%s %s out of range (max %d)", what, t.text, max)
	}
	return v
}

func (p *parser) parseUDPLen() uint32 {
	p.expect("(", "after udp")
	n := p.parseNum("udp length", 0xffff)
	p.expect(")", "after the udp length")
	return uint32(n)
}

// parseSeqRange parses "start:end(len)" and checks end == start+len.
func (p *parser) parseSeqRange() SeqRange {
	t := p.peek()
	if t.kind != tokNumber {
		p.errorf(t.pos, "expected a sequence range start:end(len), found %s", t.describe())
	}
	var r SeqRange
	r.Start = uint32(p.parseNum("sequence number", 0xffffffff))
	p.expect(":", "in sequence range start:end(len)")
	et := p.peek()
	r.End = uint32(p.parseNum("sequence number", 0xffffffff))
	p.expect("(", "in sequence range start:end(len)")
	r.Len = uint32(p.parseNum("payload length", 0xffffffff))
	p.expect(")", "in sequence range start:end(len)")
	if r.End != r.Start+r.Len {
		p.errorf(et.pos, "inconsistent sequence range: %d + %d is not %d", r.Start, r.Len, r.End)
	}
	return r
}

// flagLetters lists the TCP flag letters in canonical order.
var flagLetters = [...]struct {
	c byte
	f TCPFlags
}{
	{'S', FlagSYN}, {'F', FlagFIN}, {'R', FlagRST}, {'P', FlagPSH},
	{'U', FlagURG}, {'E', FlagECE}, {'W', FlagCWR},
}

// parseFlags parses "S", "S.", ".", "FP.", "-" and the like.
func (p *parser) parseFlags() TCPFlags {
	t := p.next()
	if t.is("-") {
		return 0
	}
	if t.is(".") {
		return FlagACK
	}
	if t.kind != tokIdent {
		p.errorf(t.pos, "expected TCP flags (such as S, S., ., P., F., R or -), udp or icmp, found %s", t.describe())
	}
	var f TCPFlags
	for i := 0; i < len(t.text); i++ {
		c := t.text[i]
		pos := t.pos
		if t.define == "" {
			pos.Col += i
		}
		var bit TCPFlags
		for _, fl := range flagLetters {
			if fl.c == c {
				bit = fl.f
			}
		}
		if bit == 0 {
			p.errorf(pos, "unknown TCP flag %q in %q (flags are S F R P U E W and . for ACK)", c, t.text)
		}
		if f&bit != 0 {
			p.errorf(pos, "duplicate TCP flag %q in %q", c, t.text)
		}
		f |= bit
	}
	if p.accept(".") {
		f |= FlagACK
	}
	return f
}

// parseTCP parses "flags start:end(len) [ack N] [win N] [urg N] [<opts>]".
func (p *parser) parseTCP() *TCPSegment {
	seg := &TCPSegment{Pos: p.peek().pos}
	seg.Flags = p.parseFlags()
	seg.Seq = p.parseSeqRange()
	for {
		t := p.peek()
		switch {
		case t.isWord("ack"):
			p.next()
			if seg.HasAck {
				p.errorf(t.pos, "duplicate ack")
			}
			seg.Ack, seg.HasAck = uint32(p.parseNum("ack", 0xffffffff)), true
		case t.isWord("win"):
			p.next()
			if seg.HasWin {
				p.errorf(t.pos, "duplicate win")
			}
			seg.Win, seg.HasWin = uint16(p.parseNum("win", 0xffff)), true
		case t.isWord("urg"):
			p.next()
			if seg.HasUrg {
				p.errorf(t.pos, "duplicate urg")
			}
			seg.Urg, seg.HasUrg = uint16(p.parseNum("urg", 0xffff)), true
		case t.is("<"):
			seg.Options = p.parseTCPOptions()
			return seg
		default:
			return seg
		}
	}
}

// parseTCPOptions parses "<opt, opt, ...>", "<>" or "<...>".
func (p *parser) parseTCPOptions() *TCPOptionList {
	open := p.next()
	l := &TCPOptionList{Pos: open.pos}
	if t := p.peek(); t.kind == tokEllipsis {
		p.next()
		l.Any = true
		p.expect(">", `after "<..."`)
		return l
	}
	if p.accept(">") {
		return l
	}
	for {
		l.Options = append(l.Options, p.parseTCPOption())
		t := p.next()
		if t.is(">") {
			return l
		}
		if !t.is(",") {
			p.errorf(t.pos, `expected "," or ">" in TCP option list, found %s`, t.describe())
		}
	}
}

// atOptionEnd reports whether the next token ends the current option.
func (p *parser) atOptionEnd() bool {
	t := p.peek()
	return t.is(",") || t.is(">")
}

func (p *parser) parseTCPOption() *TCPOption {
	t := p.next()
	o := &TCPOption{Pos: t.pos}
	if t.kind == tokNumber {
		v, _, ok := parseUint(t.text)
		if !ok || v > 0xff {
			p.errorf(t.pos, "bad TCP option kind %q (want 0 to 255)", t.text)
		}
		o.Kind, o.Code = OptGeneric, uint8(v)
		if !p.atOptionEnd() {
			o.Data = p.parseHex("option data")
		}
		return o
	}
	if t.kind != tokIdent {
		p.errorf(t.pos, "expected a TCP option, found %s", t.describe())
	}
	switch t.text {
	case "nop":
		o.Kind = OptNOP
	case "eol":
		o.Kind = OptEOL
	case "sackOK":
		o.Kind = OptSACKPermitted
	case "mss":
		o.Kind = OptMSS
		o.Value = uint16(p.parseNum("mss", 0xffff))
	case "wscale":
		o.Kind = OptWScale
		o.Value = uint16(p.parseNum("wscale", 0xff))
	case "sack":
		o.Kind = OptSACK
		for !p.atOptionEnd() {
			var b SACKBlock
			b.Left = uint32(p.parseNum("sack block", 0xffffffff))
			p.expect(":", "in sack block left:right")
			b.Right = uint32(p.parseNum("sack block", 0xffffffff))
			o.SACK = append(o.SACK, b)
		}
	case "TS":
		o.Kind = OptTimestamp
		p.expectWord("val", "after TS")
		o.TSVal = uint32(p.parseNum("TS val", 0xffffffff))
		p.expectWord("ecr", "after TS val")
		o.TSEcr = uint32(p.parseNum("TS ecr", 0xffffffff))
	case "FO", "FOEXP", "md5":
		o.Kind = map[string]TCPOptionKind{"FO": OptFastOpen, "FOEXP": OptFastOpenExp, "md5": OptMD5}[t.text]
		if !p.atOptionEnd() {
			o.Data = p.parseHex(t.text + " value")
		}
	default:
		p.errorf(t.pos, "unknown TCP option %q", t.text)
	}
	return o
}

func (p *parser) expectWord(w, context string) {
	t := p.next()
	if !t.isWord(w) {
		p.errorf(t.pos, "expected %q %s, found %s", w, context, t.describe())
	}
}

// parseHex parses a hex byte string such as a Fast Open cookie.
func (p *parser) parseHex(what string) []byte {
	t := p.next()
	if t.kind == tokIdent || t.kind == tokNumber {
		if b, err := hex.DecodeString(t.text); err == nil {
			return b
		}
	}
	hint := ""
	if t.kind == tokIdent && strings.ToUpper(t.text) == t.text {
		hint = " (is a define missing?)"
	}
	p.errorf(t.pos, "%s must be an even number of hex digits, found %s%s", what, t.describe(), hint)
	return nil
}

// parseICMP parses "icmp type [code] [mtu N] [[quoted]]".
func (p *parser) parseICMP() *ICMPMessage {
	start := p.next()
	m := &ICMPMessage{Pos: start.pos}
	t := p.next()
	if t.kind != tokIdent {
		p.errorf(t.pos, "expected an ICMP type (such as unreachable), found %s", t.describe())
	}
	m.Type = t.text
	if c := p.peek(); c.kind == tokIdent && c.text != "mtu" {
		p.next()
		m.Code = c.text
	}
	if p.peek().isWord("mtu") {
		p.next()
		m.MTU, m.HasMTU = uint32(p.parseNum("mtu", 0xffffffff)), true
	}
	if q := p.peek(); q.is("[") {
		p.next()
		qp := &QuotedPacket{Pos: q.pos, Proto: "tcp"}
		switch t := p.peek(); {
		case t.isWord("udp"):
			p.next()
			qp.Proto = "udp"
			qp.Len = p.parseUDPLen()
		case t.isWord("tcp"):
			p.next()
			qp.Seq = p.parseSeqRange()
		default:
			qp.Seq = p.parseSeqRange()
		}
		p.expect("]", "after the quoted packet")
		m.Quoted = qp
	}
	return m
}
