package packetdrill

import (
	"fmt"
	"time"
)

// Pos is a source position: file name, 1-based line and 1-based byte
// column (a tab counts as one column).
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as "file:line:col".
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// IsValid reports whether the position points into a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Script is a parsed packetdrill script.
type Script struct {
	// Path is the file name given to Parse or ParseFile.
	Path string
	// Options are the command-line style "--name[=value]" lines of the
	// script header, in source order.
	Options []*Option
	// Lines are the script's commands and events in source order: an
	// untimed init command (if any), the timed events, and an untimed
	// cleanup command (if any).
	Lines []Line
}

// Option is one "--name" or "--name=value" header line.
type Option struct {
	Pos      Pos
	Name     string // without the leading "--"
	Value    string // text after "=", empty when HasValue is false
	HasValue bool   // an "=" was written
}

// Option returns the value of the last header option called name and
// whether it was present. A flag written without "=" has value "".
func (s *Script) Option(name string) (string, bool) {
	for i := len(s.Options) - 1; i >= 0; i-- {
		if s.Options[i].Name == name {
			return s.Options[i].Value, true
		}
	}
	return "", false
}

// InitCommand returns the untimed shell command that precedes the first
// event, or nil.
func (s *Script) InitCommand() *CommandLine {
	if len(s.Lines) == 0 {
		return nil
	}
	if c, ok := s.Lines[0].(*CommandLine); ok && c.Time.Kind == TimeNone {
		return c
	}
	return nil
}

// CleanupCommand returns the untimed shell command that follows the last
// event, or nil. A script whose only line is an untimed command has an
// init command and no cleanup command.
func (s *Script) CleanupCommand() *CommandLine {
	if len(s.Lines) < 2 {
		return nil
	}
	if c, ok := s.Lines[len(s.Lines)-1].(*CommandLine); ok && c.Time.Kind == TimeNone {
		return c
	}
	return nil
}

// Line is one script line: *PacketLine, *SyscallLine, *CommandLine or
// *PythonLine. A line may span several source lines.
type Line interface {
	// Position is where the line starts (its time spec, or the backtick
	// of an untimed command).
	Position() Pos
	// Timing is the line's time spec (Kind TimeNone for the untimed init
	// and cleanup commands).
	Timing() TimeSpec
	// String prints the line in canonical packetdrill syntax.
	String() string
	line()
}

// TimeKind says how a line's time is written.
type TimeKind uint8

const (
	// TimeNone: no time; only the init and cleanup shell commands.
	TimeNone TimeKind = iota
	// TimeAbsolute: "0.1" or the window "0.1~0.2", from the script start.
	TimeAbsolute
	// TimeRelative: "+0.1" or the window "+0.1~+0.2", from the previous
	// event. "+0" is "at the same time as the previous event".
	TimeRelative
	// TimeAny: "*", no time check and no timeout.
	TimeAny
)

// String names the kind.
func (k TimeKind) String() string {
	switch k {
	case TimeNone:
		return "none"
	case TimeAbsolute:
		return "absolute"
	case TimeRelative:
		return "relative"
	case TimeAny:
		return "any"
	}
	return fmt.Sprintf("TimeKind(%d)", uint8(k))
}

// TimeSpec is the time at the start of a line.
type TimeSpec struct {
	// Pos is where the time is written (for TimeNone: where the line
	// starts).
	Pos  Pos
	Kind TimeKind
	// Start is the scheduled time: from the script start (absolute) or
	// from the previous event (relative). Zero for TimeNone and TimeAny.
	Start time.Duration
	// End is the upper end of a window ("a~b"); it equals Start when the
	// time is not a window.
	End time.Duration
	// Window is set when the time was written as a window "a~b".
	Window bool
}

// Direction is the direction of a packet line.
type Direction uint8

const (
	// Inbound ("<"): the runner builds the packet and injects it.
	Inbound Direction = iota + 1
	// Outbound (">"): the stack must send the packet.
	Outbound
)

// String returns "<" or ">".
func (d Direction) String() string {
	switch d {
	case Inbound:
		return "<"
	case Outbound:
		return ">"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// PacketLine is a packet event: "<time> <dir> [ip-info] <packet>".
type PacketLine struct {
	Pos  Pos
	Time TimeSpec
	Dir  Direction
	// IP holds the optional outer-header annotation ("[ect0]",
	// "(tos 0x2, ttl 64)"); nil when none was written.
	IP *IPInfo
	// Packet is *TCPSegment, *UDPDatagram or *ICMPMessage.
	Packet Packet
}

// Packet is the transport part of a packet line.
type Packet interface {
	Position() Pos
	String() string
	packet()
}

// ECN is an IP ECN codepoint annotation.
type ECN uint8

const (
	// ECNUnset: no ECN annotation.
	ECNUnset ECN = iota
	// ECNNone: "noecn", codepoint 00 (Not-ECT).
	ECNNone
	// ECNECT0: "ect0", codepoint 10.
	ECNECT0
	// ECNECT1: "ect1", codepoint 01.
	ECNECT1
	// ECNECT01: "ect01" (also accepted as "ecn"): either ECT codepoint.
	ECNECT01
	// ECNCE: "ce", codepoint 11.
	ECNCE
)

// String returns the annotation word ("" for ECNUnset).
func (e ECN) String() string {
	switch e {
	case ECNUnset:
		return ""
	case ECNNone:
		return "noecn"
	case ECNECT0:
		return "ect0"
	case ECNECT1:
		return "ect1"
	case ECNECT01:
		return "ect01"
	case ECNCE:
		return "ce"
	}
	return fmt.Sprintf("ECN(%d)", uint8(e))
}

// IPInfo is an outer IP header annotation written after the direction,
// in brackets or parentheses: ECN codepoint, TOS / traffic class, TTL /
// hop limit and IPv6 flow label, comma- or space-separated.
type IPInfo struct {
	Pos          Pos
	Paren        bool // written "( ... )" rather than "[ ... ]"
	ECN          ECN
	TOS          uint8 // "tos N"
	HasTOS       bool
	TTL          uint8 // "ttl N"
	HasTTL       bool
	FlowLabel    uint32 // "flowlabel N" (20 bits)
	HasFlowLabel bool
}

// TCPFlags is a set of TCP header flags, with the wire bit values.
type TCPFlags uint8

// TCP flag bits, and the letter each takes in a script.
const (
	FlagFIN TCPFlags = 0x01 // F
	FlagSYN TCPFlags = 0x02 // S
	FlagRST TCPFlags = 0x04 // R
	FlagPSH TCPFlags = 0x08 // P
	FlagACK TCPFlags = 0x10 // .
	FlagURG TCPFlags = 0x20 // U
	FlagECE TCPFlags = 0x40 // E
	FlagCWR TCPFlags = 0x80 // W
)

// Has reports whether all of bits are set.
func (f TCPFlags) Has(bits TCPFlags) bool { return f&bits == bits }

// SeqRange is "start:end(len)", a range of sequence space covered by the
// payload; End == Start+Len (mod 2^32).
type SeqRange struct {
	Start uint32
	End   uint32
	Len   uint32
}

// TCPSegment is a TCP packet: flags, sequence range and optional ack,
// window, urgent pointer and option list.
type TCPSegment struct {
	Pos    Pos
	Flags  TCPFlags
	Seq    SeqRange
	Ack    uint32
	HasAck bool // "ack N" written
	Win    uint16
	HasWin bool // "win N" written
	Urg    uint16
	HasUrg bool // "urg N" written
	// Options is the "<...>" list; nil when no list was written (which
	// on an outbound line means "no options allowed").
	Options *TCPOptionList
}

// TCPOptionList is a written TCP option list.
type TCPOptionList struct {
	Pos Pos
	// Any is set for "<...>": options are not checked.
	Any bool
	// Options are the options in wire order (empty for "<>" and "<...>").
	Options []*TCPOption
}

// TCPOptionKind identifies the form of a TCP option.
type TCPOptionKind uint8

const (
	// OptEOL: "eol" (kind 0).
	OptEOL TCPOptionKind = iota + 1
	// OptNOP: "nop" (kind 1).
	OptNOP
	// OptMSS: "mss N" (kind 2).
	OptMSS
	// OptWScale: "wscale N" (kind 3).
	OptWScale
	// OptSACKPermitted: "sackOK" (kind 4).
	OptSACKPermitted
	// OptSACK: "sack a:b c:d ..." (kind 5).
	OptSACK
	// OptTimestamp: "TS val N ecr N" (kind 8).
	OptTimestamp
	// OptMD5: "md5 [hex]" (kind 19).
	OptMD5
	// OptFastOpen: "FO [hex cookie]" (RFC 7413, kind 34).
	OptFastOpen
	// OptFastOpenExp: "FOEXP [hex cookie]" (experimental kind 254, magic
	// 0xF989).
	OptFastOpenExp
	// OptGeneric: "N [hex data]": any option by its kind number.
	OptGeneric
)

// TCPOption is one entry of a TCP option list.
type TCPOption struct {
	Pos  Pos
	Kind TCPOptionKind
	// Value is the MSS (OptMSS) or the shift count (OptWScale).
	Value uint16
	// SACK holds the blocks of OptSACK.
	SACK []SACKBlock
	// TSVal and TSEcr are the OptTimestamp fields.
	TSVal uint32
	TSEcr uint32
	// Data is the FO/FOEXP cookie (empty for a cookie request), the MD5
	// digest, or the payload of an OptGeneric option.
	Data []byte
	// Code is the option kind number of OptGeneric.
	Code uint8
}

// SACKBlock is one "left:right" SACK block.
type SACKBlock struct {
	Left  uint32
	Right uint32
}

// UDPDatagram is "udp (len)": a UDP packet with len payload bytes.
type UDPDatagram struct {
	Pos Pos
	Len uint32
}

// ICMPMessage is "icmp <type> [<code>] [mtu N] [[quoted packet]]".
type ICMPMessage struct {
	Pos    Pos
	Type   string // e.g. "unreachable", "packet_too_big"
	Code   string // e.g. "frag_needed", "host_unreachable"; "" if absent
	MTU    uint32
	HasMTU bool
	// Quoted is the packet echoed in the ICMP payload, or nil.
	Quoted *QuotedPacket
}

// QuotedPacket is the "[start:end(len)]" (TCP, also written "[tcp ...]")
// or "[udp (len)]" packet quoted inside an ICMP error.
type QuotedPacket struct {
	Pos   Pos
	Proto string   // "tcp" or "udp"
	Seq   SeqRange // tcp
	Len   uint32   // udp
}

// SyscallLine is "name(args) = result [ERRNO] [(note)]", optionally
// blocking ("start...end name(...)").
type SyscallLine struct {
	Pos  Pos
	Time TimeSpec
	// Block is the "...end" part of a blocking call; nil for a call that
	// must return immediately.
	Block  *BlockSpec
	Name   string
	Args   []Expr
	Result Expr
	// Errno is the expected errno name ("EINPROGRESS"), "" if none.
	Errno string
	// Note is the parenthesised free text after the result, trimmed.
	Note string
}

// BlockSpec is the end time of a blocking call. End is on the same time
// base as the line's start: absolute after an absolute start, from the
// previous event after a relative one.
type BlockSpec struct {
	Pos Pos
	End time.Duration
}

// CommandLine is a backtick shell command, timed or untimed (init and
// cleanup commands).
type CommandLine struct {
	Pos  Pos
	Time TimeSpec
	// Command is the raw text between the backticks.
	Command string
}

// PythonLine is an inline "%{ ... }%" block.
type PythonLine struct {
	Pos  Pos
	Time TimeSpec
	// Code is the raw text between "%{" and "}%".
	Code string
	// Stmts is a best-effort parse of Code (see ParsePython).
	Stmts []PyStmt
}

// Position implements Line.
func (l *PacketLine) Position() Pos { return l.Pos }

// Position implements Line.
func (l *SyscallLine) Position() Pos { return l.Pos }

// Position implements Line.
func (l *CommandLine) Position() Pos { return l.Pos }

// Position implements Line.
func (l *PythonLine) Position() Pos { return l.Pos }

// Timing implements Line.
func (l *PacketLine) Timing() TimeSpec { return l.Time }

// Timing implements Line.
func (l *SyscallLine) Timing() TimeSpec { return l.Time }

// Timing implements Line.
func (l *CommandLine) Timing() TimeSpec { return l.Time }

// Timing implements Line.
func (l *PythonLine) Timing() TimeSpec { return l.Time }

func (*PacketLine) line()  {}
func (*SyscallLine) line() {}
func (*CommandLine) line() {}
func (*PythonLine) line()  {}

// Position implements Packet.
func (p *TCPSegment) Position() Pos { return p.Pos }

// Position implements Packet.
func (p *UDPDatagram) Position() Pos { return p.Pos }

// Position implements Packet.
func (p *ICMPMessage) Position() Pos { return p.Pos }

func (*TCPSegment) packet()  {}
func (*UDPDatagram) packet() {}
func (*ICMPMessage) packet() {}
