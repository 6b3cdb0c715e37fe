package packetdrill

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// String prints the script in canonical syntax: one option per line,
// then one line per script line. Comments are not kept. Parsing the
// result gives the same AST (apart from positions).
func (s *Script) String() string {
	var b strings.Builder
	_ = s.Format(&b)
	return b.String()
}

// Format writes the script in canonical syntax to w (see String).
func (s *Script) Format(w io.Writer) error {
	for _, o := range s.Options {
		if _, err := io.WriteString(w, o.String()+"\n"); err != nil {
			return err
		}
	}
	for _, l := range s.Lines {
		if _, err := io.WriteString(w, l.String()+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// String prints the option as "--name" or "--name=value".
func (o *Option) String() string {
	if o.HasValue {
		return "--" + o.Name + "=" + o.Value
	}
	return "--" + o.Name
}

// fmtSeconds prints a duration as decimal seconds without trailing
// zeros ("0.1", "2", "0.000001").
func fmtSeconds(d time.Duration) string {
	sec, ns := int64(d/time.Second), int64(d%time.Second)
	if ns == 0 {
		return strconv.FormatInt(sec, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%09d", sec, ns), "0")
}

// String prints the time spec: "0.1", "+0.1", "+0.1~+0.2", "*", or ""
// for TimeNone.
func (t TimeSpec) String() string {
	switch t.Kind {
	case TimeAny:
		return "*"
	case TimeAbsolute:
		if t.Window {
			return fmtSeconds(t.Start) + "~" + fmtSeconds(t.End)
		}
		return fmtSeconds(t.Start)
	case TimeRelative:
		if t.Window {
			return "+" + fmtSeconds(t.Start) + "~+" + fmtSeconds(t.End)
		}
		return "+" + fmtSeconds(t.Start)
	}
	return ""
}

// String prints the packet line in canonical syntax.
func (l *PacketLine) String() string {
	var b strings.Builder
	b.WriteString(l.Time.String())
	b.WriteString(" ")
	b.WriteString(l.Dir.String())
	if l.IP != nil {
		b.WriteString(" ")
		b.WriteString(l.IP.String())
	}
	if l.Packet != nil {
		b.WriteString(" ")
		b.WriteString(l.Packet.String())
	}
	return b.String()
}

// String prints the annotation, e.g. "[ect0]" or "(tos 0x2, ttl 64)".
func (ip *IPInfo) String() string {
	var items []string
	if ip.ECN != ECNUnset {
		items = append(items, ip.ECN.String())
	}
	if ip.HasTOS {
		items = append(items, fmt.Sprintf("tos 0x%x", ip.TOS))
	}
	if ip.HasTTL {
		items = append(items, fmt.Sprintf("ttl %d", ip.TTL))
	}
	if ip.HasFlowLabel {
		items = append(items, fmt.Sprintf("flowlabel 0x%x", ip.FlowLabel))
	}
	if ip.Paren {
		return "(" + strings.Join(items, ", ") + ")"
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// String prints the flags as in a script: letters in the order
// S F R P U E W, then "." for ACK; "-" for no flags.
func (f TCPFlags) String() string {
	if f == 0 {
		return "-"
	}
	var b []byte
	for _, fl := range flagLetters {
		if f&fl.f != 0 {
			b = append(b, fl.c)
		}
	}
	if f&FlagACK != 0 {
		b = append(b, '.')
	}
	return string(b)
}

// String prints "start:end(len)".
func (r SeqRange) String() string { return fmt.Sprintf("%d:%d(%d)", r.Start, r.End, r.Len) }

// String prints the segment, e.g. "P. 1:1001(1000) ack 1 win 257 <nop>".
func (s *TCPSegment) String() string {
	var b strings.Builder
	b.WriteString(s.Flags.String())
	b.WriteString(" ")
	b.WriteString(s.Seq.String())
	if s.HasAck {
		fmt.Fprintf(&b, " ack %d", s.Ack)
	}
	if s.HasWin {
		fmt.Fprintf(&b, " win %d", s.Win)
	}
	if s.HasUrg {
		fmt.Fprintf(&b, " urg %d", s.Urg)
	}
	if s.Options != nil {
		b.WriteString(" ")
		b.WriteString(s.Options.String())
	}
	return b.String()
}

// String prints "<opt,opt>", "<>" or "<...>".
func (l *TCPOptionList) String() string {
	if l.Any {
		return "<...>"
	}
	parts := make([]string, len(l.Options))
	for i, o := range l.Options {
		parts[i] = o.String()
	}
	return "<" + strings.Join(parts, ",") + ">"
}

// String prints the option as in a script ("mss 1460", "TS val 1 ecr 0").
func (o *TCPOption) String() string {
	withData := func(name string) string {
		if len(o.Data) == 0 {
			return name
		}
		return name + " " + hex.EncodeToString(o.Data)
	}
	switch o.Kind {
	case OptEOL:
		return "eol"
	case OptNOP:
		return "nop"
	case OptMSS:
		return fmt.Sprintf("mss %d", o.Value)
	case OptWScale:
		return fmt.Sprintf("wscale %d", o.Value)
	case OptSACKPermitted:
		return "sackOK"
	case OptSACK:
		s := "sack"
		for _, blk := range o.SACK {
			s += fmt.Sprintf(" %d:%d", blk.Left, blk.Right)
		}
		return s
	case OptTimestamp:
		return fmt.Sprintf("TS val %d ecr %d", o.TSVal, o.TSEcr)
	case OptMD5:
		return withData("md5")
	case OptFastOpen:
		return withData("FO")
	case OptFastOpenExp:
		return withData("FOEXP")
	case OptGeneric:
		return withData(strconv.Itoa(int(o.Code)))
	}
	return fmt.Sprintf("?option(%d)", o.Kind)
}

// String prints "udp (len)".
func (u *UDPDatagram) String() string { return fmt.Sprintf("udp (%d)", u.Len) }

// String prints "icmp type [code] [mtu N] [[quoted]]".
func (m *ICMPMessage) String() string {
	s := "icmp " + m.Type
	if m.Code != "" {
		s += " " + m.Code
	}
	if m.HasMTU {
		s += fmt.Sprintf(" mtu %d", m.MTU)
	}
	if m.Quoted != nil {
		s += " " + m.Quoted.String()
	}
	return s
}

// String prints "[start:end(len)]" or "[udp (len)]".
func (q *QuotedPacket) String() string {
	if q.Proto == "udp" {
		return fmt.Sprintf("[udp (%d)]", q.Len)
	}
	return "[" + q.Seq.String() + "]"
}

// String prints the call line, e.g.
// "+0...0.1 read(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)".
func (l *SyscallLine) String() string {
	var b strings.Builder
	b.WriteString(l.Time.String())
	if l.Block != nil {
		b.WriteString("...")
		b.WriteString(fmtSeconds(l.Block.End))
	}
	b.WriteString(" ")
	b.WriteString(l.Name)
	b.WriteString("(")
	b.WriteString(joinExprs(l.Args))
	b.WriteString(") = ")
	if l.Result != nil {
		b.WriteString(l.Result.String())
	}
	if l.Errno != "" {
		b.WriteString(" ")
		b.WriteString(l.Errno)
	}
	if l.Note != "" {
		b.WriteString(" (")
		b.WriteString(l.Note)
		b.WriteString(")")
	}
	return b.String()
}

// String prints the command line ("`cmd`", with its time if it has one).
func (l *CommandLine) String() string {
	if l.Time.Kind == TimeNone {
		return "`" + l.Command + "`"
	}
	return l.Time.String() + " `" + l.Command + "`"
}

// String prints the python line with its raw code.
func (l *PythonLine) String() string {
	return l.Time.String() + " %{" + l.Code + "}%"
}

func joinExprs(list []Expr) string {
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// String prints the integer in decimal, or in hex if it was written so.
func (e *IntLit) String() string {
	if !e.Hex {
		return strconv.FormatInt(e.Value, 10)
	}
	if e.Value < 0 {
		return "-0x" + strconv.FormatUint(-uint64(e.Value), 16)
	}
	return "0x" + strconv.FormatUint(uint64(e.Value), 16)
}

// String prints the string as a C literal.
func (e *StringLit) String() string { return quoteC(e.Value) }

// quoteC quotes s as a C string literal: printable ASCII as is, other
// bytes as \xHH.
func quoteC(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// String returns the name.
func (e *Ident) String() string { return e.Name }

// String returns "NULL".
func (e *Null) String() string { return "NULL" }

// String returns "...".
func (e *Ellipsis) String() string { return "..." }

// String prints "X|Y".
func (e *BinaryExpr) String() string { return e.X.String() + e.Op + e.Y.String() }

// String prints "&X".
func (e *AddrOf) String() string { return "&" + e.X.String() }

// String prints "[a, b]".
func (e *ListExpr) String() string { return "[" + joinExprs(e.Elems) + "]" }

// String prints "{name=value, ...}".
func (e *StructExpr) String() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// String prints the member: "name=value", "name(index)=value" or "value".
func (f *Field) String() string {
	if f.Name == "" {
		return f.Value.String()
	}
	if f.Index != nil {
		return f.Name + "(" + f.Index.String() + ")=" + f.Value.String()
	}
	return f.Name + "=" + f.Value.String()
}

// String prints "fun(args)".
func (e *CallExpr) String() string { return e.Fun + "(" + joinExprs(e.Args) + ")" }
