package wire

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// TCP option kinds (IANA "TCP Option Kind Numbers"), the ones Linux sends
// or accepts.
const (
	TCPOptEOL           uint8 = 0
	TCPOptNOP           uint8 = 1
	TCPOptMSS           uint8 = 2
	TCPOptWScale        uint8 = 3
	TCPOptSACKPermitted uint8 = 4
	TCPOptSACK          uint8 = 5
	TCPOptTimestamps    uint8 = 8
	TCPOptMD5           uint8 = 19  // RFC 2385
	TCPOptAO            uint8 = 29  // RFC 5925
	TCPOptMPTCP         uint8 = 30  // RFC 8684
	TCPOptFastOpen      uint8 = 34  // RFC 7413
	TCPOptAccECN0       uint8 = 172 // RFC 9768
	TCPOptAccECN1       uint8 = 174 // RFC 9768
	TCPOptExp           uint8 = 254 // RFC 6994 shared experimental
)

// TCPFastOpenMagic is the RFC 6994 experiment ID that marks the
// pre-RFC 7413 Fast Open option (kind 254), which Linux still accepts and
// sends when a cookie was learned in that form.
const TCPFastOpenMagic = 0xF989

// Option lengths, type and length bytes included (Linux's TCPOLEN_*).
const (
	tcpOptLenMSS         = 4
	tcpOptLenWScale      = 3
	tcpOptLenSACKPerm    = 2
	tcpOptLenTimestamps  = 10
	tcpOptLenMD5         = 18
	tcpOptLenSACKBase    = 2
	tcpOptLenSACKBlock   = 8
	tcpOptLenFastOpen    = 2
	tcpOptLenExpFastOpen = 4
	tcpFastOpenCookieMin = 4
	tcpFastOpenCookieMax = 16
)

// TCPMaxSACKBlocks is the most SACK blocks 40 bytes of options can hold.
const TCPMaxSACKBlocks = 4

// SACKBlock is one block of a SACK option: the sequence numbers of the first
// byte received and of the byte after the last (RFC 2018).
type SACKBlock struct {
	Start, End uint32
}

// TCPOptions holds the options TCP understands, decoded. It has a fixed
// size and no slices so it can live on the stack, be copied into a segment
// struct and be compared with ==, with no allocation.
type TCPOptions struct {
	HasMSS bool
	MSS    uint16

	HasWScale bool
	WScale    uint8 // as sent; clamping to 14 is the TCP layer's job

	SACKPermitted bool

	HasTimestamps bool
	TSVal, TSEcr  uint32

	// NumSACK SACK blocks are in SACKBlocks.
	NumSACK    int
	SACKBlocks [TCPMaxSACKBlocks]SACKBlock

	// HasFastOpen is set by a Fast Open option; FastOpenCookieLen 0 is a
	// cookie request. FastOpenExp selects the experimental form (kind 254,
	// magic 0xF989) instead of kind 34.
	HasFastOpen       bool
	FastOpenExp       bool
	FastOpenCookieLen int
	FastOpenCookie    [tcpFastOpenCookieMax]byte

	// HasMD5 is set by a TCP MD5 signature option (RFC 2385); MD5 is the
	// digest. Linux writes this option first.
	HasMD5 bool
	MD5    [16]byte
}

// ParseTCPOptions decodes the options area b into o, which it resets first.
// Later occurrences of an option replace earlier ones, as in Linux.
// Options TCPOptions does not model are skipped by their length.
//
// Malformed options give ErrBadOption, with Linux's tolerance: o always
// holds exactly what Linux's tcp_parse_options would take from b, so a
// caller that mirrors Linux ignores the error (perhaps counting it) and
// uses o, and a strict caller drops the segment. Precisely:
//   - a length byte that is missing, below 2 or beyond the end ("silly"
//     and partial options) stops the walk; options before it are kept;
//   - a known option with the wrong length for its kind (MSS not 4, window
//     scale not 3, SACK-permitted not 2, timestamps not 10, MD5 not 18,
//     SACK not 2+8n with n >= 1) is skipped by its length, and the walk
//     goes on;
//   - a Fast Open cookie of odd length, of 2, or above 16 bytes is skipped.
//
// A SACK option with more than four blocks (possible only in a buffer
// longer than a real TCP header) keeps the first four, as Linux does.
// Gates that depend on the connection (MSS, window scale and SACK-permitted
// count only on SYNs; timestamps only when negotiated) are the TCP
// layer's.
func ParseTCPOptions(b []byte, o *TCPOptions) error {
	*o = TCPOptions{}
	var err error
	for i := 0; i < len(b); {
		kind := b[i]
		switch kind {
		case TCPOptEOL:
			return err
		case TCPOptNOP:
			i++
			continue
		}
		if len(b)-i < 2 {
			return ErrBadOption
		}
		n := int(b[i+1])
		if n < 2 || n > len(b)-i {
			return ErrBadOption
		}
		d := b[i+2 : i+n]
		switch kind {
		case TCPOptMSS:
			if n != tcpOptLenMSS {
				err = ErrBadOption
				break
			}
			o.HasMSS, o.MSS = true, binary.BigEndian.Uint16(d)
		case TCPOptWScale:
			if n != tcpOptLenWScale {
				err = ErrBadOption
				break
			}
			o.HasWScale, o.WScale = true, d[0]
		case TCPOptSACKPermitted:
			if n != tcpOptLenSACKPerm {
				err = ErrBadOption
				break
			}
			o.SACKPermitted = true
		case TCPOptTimestamps:
			if n != tcpOptLenTimestamps {
				err = ErrBadOption
				break
			}
			o.HasTimestamps = true
			o.TSVal = binary.BigEndian.Uint32(d[0:4])
			o.TSEcr = binary.BigEndian.Uint32(d[4:8])
		case TCPOptSACK:
			if n < tcpOptLenSACKBase+tcpOptLenSACKBlock || (n-tcpOptLenSACKBase)%tcpOptLenSACKBlock != 0 {
				err = ErrBadOption
				break
			}
			// A later SACK option replaces an earlier one, as in
			// Linux, which keeps only the last one's offset; clear
			// the blocks so none of the earlier option's outlive it.
			o.SACKBlocks = [TCPMaxSACKBlocks]SACKBlock{}
			o.NumSACK = min(len(d)/tcpOptLenSACKBlock, TCPMaxSACKBlocks)
			for j := range o.NumSACK {
				o.SACKBlocks[j] = SACKBlock{
					Start: binary.BigEndian.Uint32(d[j*8:]),
					End:   binary.BigEndian.Uint32(d[j*8+4:]),
				}
			}
		case TCPOptMD5:
			if n != tcpOptLenMD5 {
				err = ErrBadOption
				break
			}
			o.HasMD5 = true
			copy(o.MD5[:], d)
		case TCPOptFastOpen:
			if !o.setFastOpen(d, false) {
				err = ErrBadOption
			}
		case TCPOptExp:
			// Other experiments (SMC's 0xE2D4C3D9, ...) are not ours to judge.
			if len(d) >= 2 && binary.BigEndian.Uint16(d) == TCPFastOpenMagic {
				if !o.setFastOpen(d[2:], true) {
					err = ErrBadOption
				}
			}
		}
		i += n
	}
	return err
}

// setFastOpen records a Fast Open cookie (or a cookie request when c is
// empty) and reports whether its length is one Linux's
// tcp_parse_fastopen_option accepts.
func (o *TCPOptions) setFastOpen(c []byte, exp bool) bool {
	if len(c) != 0 && (len(c)%2 != 0 || len(c) < tcpFastOpenCookieMin || len(c) > tcpFastOpenCookieMax) {
		return false
	}
	o.HasFastOpen, o.FastOpenExp = true, exp
	o.FastOpenCookieLen = copy(o.FastOpenCookie[:], c)
	clear(o.FastOpenCookie[len(c):])
	return true
}

// fastOpenLen returns the Fast Open option's length without padding.
func (o *TCPOptions) fastOpenLen() int {
	cl := min(max(o.FastOpenCookieLen, 0), tcpFastOpenCookieMax)
	if o.FastOpenExp {
		return tcpOptLenExpFastOpen + cl
	}
	return tcpOptLenFastOpen + cl
}

// TCPOptionsLen returns the number of bytes EncodeTCPOptions writes for o,
// always a multiple of 4. It can exceed TCPMaxOptionsLen if o asks for
// more than fits; the TCP layer trims SACK blocks first, as Linux does.
func TCPOptionsLen(o *TCPOptions) int {
	n := 0
	if o.HasMD5 {
		n += 4 + 16
	}
	if o.HasMSS {
		n += 4
	}
	if o.HasTimestamps {
		n += 12
	} else if o.SACKPermitted {
		n += 4
	}
	if o.HasWScale {
		n += 4
	}
	if k := min(max(o.NumSACK, 0), TCPMaxSACKBlocks); k > 0 {
		n += 4 + k*tcpOptLenSACKBlock
	}
	if o.HasFastOpen {
		n += (o.fastOpenLen() + 3) &^ 3
	}
	return n
}

// EncodeTCPOptions writes o into b in exactly the order and padding of
// Linux's tcp_options_write, so that segments look like Linux's on the
// wire, and returns the number of bytes written (TCPOptionsLen(o)):
//
//	nop,nop,md5                          (20 bytes, when HasMD5)
//	mss                                  (4)
//	sackOK,TS  or  nop,nop,TS            (12, when HasTimestamps)
//	nop,nop,sackOK                       (4, SACK-permitted without TS)
//	nop,wscale                           (4)
//	nop,nop,sack N                       (4 + 8N)
//	tfo [cookie],nop,nop                 (Fast Open, padded to 4 with NOPs)
//
// b must be at least TCPOptionsLen(o) bytes.
func EncodeTCPOptions(b []byte, o *TCPOptions) int {
	_ = b[:TCPOptionsLen(o)]
	n := 0
	put4 := func(a, b2, c, d byte) {
		b[n], b[n+1], b[n+2], b[n+3] = a, b2, c, d
		n += 4
	}
	if o.HasMD5 {
		put4(TCPOptNOP, TCPOptNOP, TCPOptMD5, tcpOptLenMD5)
		n += copy(b[n:], o.MD5[:])
	}
	if o.HasMSS {
		put4(TCPOptMSS, tcpOptLenMSS, byte(o.MSS>>8), byte(o.MSS))
	}
	if o.HasTimestamps {
		if o.SACKPermitted {
			put4(TCPOptSACKPermitted, tcpOptLenSACKPerm, TCPOptTimestamps, tcpOptLenTimestamps)
		} else {
			put4(TCPOptNOP, TCPOptNOP, TCPOptTimestamps, tcpOptLenTimestamps)
		}
		binary.BigEndian.PutUint32(b[n:], o.TSVal)
		binary.BigEndian.PutUint32(b[n+4:], o.TSEcr)
		n += 8
	} else if o.SACKPermitted {
		put4(TCPOptNOP, TCPOptNOP, TCPOptSACKPermitted, tcpOptLenSACKPerm)
	}
	if o.HasWScale {
		put4(TCPOptNOP, TCPOptWScale, tcpOptLenWScale, o.WScale)
	}
	if k := min(max(o.NumSACK, 0), TCPMaxSACKBlocks); k > 0 {
		put4(TCPOptNOP, TCPOptNOP, TCPOptSACK, byte(tcpOptLenSACKBase+k*tcpOptLenSACKBlock))
		for _, s := range o.SACKBlocks[:k] {
			binary.BigEndian.PutUint32(b[n:], s.Start)
			binary.BigEndian.PutUint32(b[n+4:], s.End)
			n += 8
		}
	}
	if o.HasFastOpen {
		l := o.fastOpenLen()
		cl := l - tcpOptLenFastOpen
		if o.FastOpenExp {
			put4(TCPOptExp, byte(l), TCPFastOpenMagic>>8, TCPFastOpenMagic&0xff)
			cl = l - tcpOptLenExpFastOpen
		} else {
			b[n], b[n+1] = TCPOptFastOpen, byte(l)
			n += 2
		}
		n += copy(b[n:], o.FastOpenCookie[:cl])
		// Linux pads a length of 2 mod 4 with two trailing NOPs; an odd
		// cookie, which Linux never sends, is padded the same way.
		for n%4 != 0 {
			b[n] = TCPOptNOP
			n++
		}
	}
	return n
}

// TCPOptionIter walks raw TCP options without allocating, for options that
// TCPOptions does not model and for printing. NOP and EOL are yielded; EOL
// is the last. Only the generic length rule is checked (a length byte of
// at least 2 that stays within the area); a violation stops the walk with
// ErrBadOption.
type TCPOptionIter struct {
	b        []byte
	off, end int
	done     bool
	err      error
}

// NewTCPOptionIter returns an iterator over the options area b.
func NewTCPOptionIter(b []byte) TCPOptionIter { return TCPOptionIter{b: b} }

// Next advances to the next option and reports whether there is one.
func (it *TCPOptionIter) Next() bool {
	if it.done || it.err != nil {
		return false
	}
	it.off = it.end
	if it.off >= len(it.b) {
		it.done = true
		return false
	}
	switch it.b[it.off] {
	case TCPOptEOL:
		it.done = true
		it.end = it.off + 1
		return true
	case TCPOptNOP:
		it.end = it.off + 1
		return true
	}
	rest := len(it.b) - it.off
	if rest < 2 || it.b[it.off+1] < 2 || int(it.b[it.off+1]) > rest {
		it.err = ErrBadOption
		return false
	}
	it.end = it.off + int(it.b[it.off+1])
	return true
}

// Kind returns the current option's kind.
func (it *TCPOptionIter) Kind() uint8 { return it.b[it.off] }

// Data returns the current option's bytes after kind and length.
func (it *TCPOptionIter) Data() []byte {
	if it.end-it.off < 2 {
		return nil
	}
	return it.b[it.off+2 : it.end]
}

// Offset returns where the current (or malformed) option starts.
func (it *TCPOptionIter) Offset() int { return it.off }

// Err returns ErrBadOption if the walk stopped at a malformed option.
func (it *TCPOptionIter) Err() error { return it.err }

// writeTCPOptions prints an options area the way tcpdump's tcp_print does:
// comma-separated, with "[bad opt]" where the lengths stop making sense.
func writeTCPOptions(sb *strings.Builder, b []byte) {
	it := NewTCPOptionIter(b)
	first := true
	for it.Next() {
		if !first {
			sb.WriteByte(',')
		}
		first = false
		d := it.Data()
		switch k := it.Kind(); k {
		case TCPOptEOL:
			sb.WriteString("eol")
		case TCPOptNOP:
			sb.WriteString("nop")
		case TCPOptMSS:
			if len(d) != 2 {
				goto bad
			}
			fmt.Fprintf(sb, "mss %d", binary.BigEndian.Uint16(d))
		case TCPOptWScale:
			if len(d) != 1 {
				goto bad
			}
			fmt.Fprintf(sb, "wscale %d", d[0])
		case TCPOptSACKPermitted:
			if len(d) != 0 {
				goto bad
			}
			sb.WriteString("sackOK")
		case TCPOptSACK:
			if len(d)%8 != 0 {
				sb.WriteString("sack invalid sack")
				break
			}
			fmt.Fprintf(sb, "sack %d ", len(d)/8)
			for j := 0; j+8 <= len(d); j += 8 {
				fmt.Fprintf(sb, "{%d:%d}", binary.BigEndian.Uint32(d[j:]), binary.BigEndian.Uint32(d[j+4:]))
			}
		case TCPOptTimestamps:
			if len(d) != 8 {
				goto bad
			}
			fmt.Fprintf(sb, "TS val %d ecr %d", binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:]))
		case TCPOptFastOpen:
			sb.WriteString("tfo")
			writeFastOpen(sb, d, false)
		case TCPOptExp:
			if len(d) >= 2 && binary.BigEndian.Uint16(d) == TCPFastOpenMagic {
				sb.WriteString("exp-tfo")
				writeFastOpen(sb, d[2:], true)
				break
			}
			if len(d) >= 2 {
				fmt.Fprintf(sb, "exp-%04x", binary.BigEndian.Uint16(d))
			} else {
				sb.WriteString("exp [bad opt]")
				return
			}
		default:
			fmt.Fprintf(sb, "%s", tcpOptName(k))
			if len(d) > 0 {
				fmt.Fprintf(sb, " 0x%x", d)
			}
		}
		continue
	bad:
		fmt.Fprintf(sb, "%s [bad opt]", tcpOptName(it.Kind()))
		return
	}
	if it.Err() != nil {
		if !first {
			sb.WriteByte(',')
		}
		sb.WriteString("[bad opt]")
	}
}

// writeFastOpen prints a Fast Open cookie as tcpdump does, down to the
// double space tcpdump puts after "tfo" (so sniffer output diffs cleanly
// against tcpdump's).
func writeFastOpen(sb *strings.Builder, c []byte, exp bool) {
	if !exp {
		sb.WriteByte(' ')
	}
	switch {
	case len(c) == 0:
		sb.WriteString(" cookiereq")
	case len(c)%2 != 0 || len(c) < tcpFastOpenCookieMin || len(c) > tcpFastOpenCookieMax:
		sb.WriteString(" invalid")
	default:
		fmt.Fprintf(sb, " cookie %x", c)
	}
}

// tcpOptName names an option kind for printing.
func tcpOptName(k uint8) string {
	switch k {
	case TCPOptMSS:
		return "mss"
	case TCPOptWScale:
		return "wscale"
	case TCPOptSACKPermitted:
		return "sackOK"
	case TCPOptTimestamps:
		return "TS"
	case TCPOptMD5:
		return "md5"
	case TCPOptAO:
		return "tcp-ao"
	case TCPOptMPTCP:
		return "mptcp"
	case TCPOptAccECN0:
		return "accecn0"
	case TCPOptAccECN1:
		return "accecn1"
	}
	return fmt.Sprintf("unknown-%d", k)
}
