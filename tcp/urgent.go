package tcp

import (
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// Urgent data (RFC 9293 3.8.5, RFC 6093) as Linux implements it: one
// out-of-band byte at a time. A send with MSG_OOB makes the last byte
// written urgent; segments sent while it is unacknowledged carry URG and
// a pointer one past it (BSD's reading, which Linux keeps unless
// net.ipv4.tcp_stdurg). The receiver takes the byte out of the stream
// (unless SO_OOBINLINE), reads stop at the mark, and recv(MSG_OOB) returns
// the byte once.

// Linux's tp->urg_data: the state of the out-of-band byte in its high
// bits, the byte itself in the low eight.
const (
	urgValid  = 0x100 // the byte arrived and is held in the low bits
	urgNotYet = 0x200 // a pointer arrived, the byte has not
	urgRead   = 0x400 // the byte was read with MSG_OOB
)

// urgState is a connection's urgent-data state.
type urgState struct {
	// Send side: sndUp is one past the last urgent byte written
	// (tp->snd_up); sending says it is in use.
	sndUp   uint32
	sending bool
	// Receive side: data is tp->urg_data, seq the urgent byte's
	// sequence number (tp->urg_seq).
	data uint16
	seq  uint32
}

// urgMode reports whether the sender is in urgent mode (tcp_urg_mode):
// urgent data written and not all acknowledged.
func (c *conn) urgMode() bool {
	if !c.urg.sending {
		return false
	}
	if seqnum.Value(c.sndUna).LessThan(seqnum.Value(c.urg.sndUp)) {
		return true
	}
	c.urg.sending = false // everything up to the pointer is acknowledged
	return false
}

// markUrgent records the end of what a MSG_OOB send queued as the urgent
// pointer (tcp_mark_urg).
func (c *conn) markUrgent() {
	c.urg.sndUp = c.sndUna + uint32(c.sndBuf.Len())
	c.urg.sending = true
}

// urgentFields sets URG and the urgent pointer of a segment starting at
// seq while in urgent mode, as tcp_transmit_skb: the pointer is relative
// to the segment; one more than 0xffff bytes ahead is written as 0xffff
// as long as the segment does not reach past what was sent.
func (c *conn) urgentFields(f *wire.TCPFields) {
	if !c.urgMode() || !seqnum.Value(f.Seq).LessThan(seqnum.Value(c.urg.sndUp)) {
		return
	}
	if d := c.urg.sndUp - f.Seq; d < 0x10000 {
		f.Urgent = uint16(d)
		f.Flags |= wire.TCPFlagURG
	} else if seqnum.Value(c.sndNxt).LessThan(seqnum.Value(f.Seq + 0xffff)) {
		f.Urgent = 0xffff
		f.Flags |= wire.TCPFlagURG
	}
}

// copiedSeq is the sequence number of the next byte the user will read
// (tp->copied_seq): the receive queue ends at rcvNxt, before a FIN.
func (c *conn) copiedSeq() uint32 {
	s := c.rcvNxt - uint32(c.rcvQ.Len())
	if c.finRcvd {
		s--
	}
	return s
}

// urgInput looks for urgent data in an acceptable segment, before its
// data is queued (tcp_urg).
func (c *conn) urgInput(s *segment) {
	if s.has(wire.TCPFlagURG) {
		c.checkUrg(s)
	}
	if c.urg.data != urgNotYet {
		return
	}
	// Does this segment carry the byte the pointer named?
	off := c.urg.seq - s.seq
	if s.has(wire.TCPFlagSYN) {
		off--
	}
	if off < uint32(len(s.payload)) {
		c.urg.data = urgValid | uint16(s.payload[off])
		c.notify(waitq.EventIn | waitq.EventPri | waitq.EventRdNorm | waitq.EventRdBand)
	}
}

// checkUrg takes a new urgent pointer (tcp_check_urg).
func (c *conn) checkUrg(s *segment) {
	ptr := uint32(s.urg)
	if ptr != 0 && c.sysInt(netns.TCPStdurg) == 0 {
		ptr-- // BSD semantics: the pointer is one past the urgent byte
	}
	ptr += s.seq
	copied := c.copiedSeq()
	// Urgent data already read, or before what we have, is not replayed.
	if seqnum.Value(copied).GreaterThan(seqnum.Value(ptr)) ||
		seqnum.Value(ptr).LessThan(seqnum.Value(c.rcvNxt)) {
		return
	}
	// The same pointer again, or an older one.
	if c.urg.data != 0 && !seqnum.Value(ptr).GreaterThan(seqnum.Value(c.urg.seq)) {
		return
	}
	if c.sk != nil {
		c.sk.S.Urgent() // SIGURG to the owner (sk_send_sigurg)
	}
	// A new mark while the previous out-of-band byte is next to read:
	// that byte is dropped, since the next read could not tell it apart
	// from data (Linux skips it the same way).
	if c.urg.seq == copied && c.urg.data != 0 && !c.oobInline() && copied != c.rcvNxt && c.rcvQ.Len() > 0 {
		c.rcvQ.Consume(1)
	}
	c.urg.data = urgNotYet
	c.urg.seq = ptr
}

func (c *conn) oobInline() bool {
	return c.sk != nil && c.sk.S.Flag(abi.SO_OOBINLINE)
}

// readable returns the part of the receive queue one read may return
// (tcp_recvmsg_locked's urgent checks), as n bytes from offset skip: a
// read stops at the mark, and an out-of-band byte at the head is skipped
// unless SO_OOBINLINE. Skipping consumes it unless peek, which skips it
// with skip 1.
func (c *conn) readable(peek bool) (skip, n int) {
	n = c.rcvQ.Len()
	if c.urg.data == 0 {
		return 0, n
	}
	off := c.urg.seq - c.copiedSeq()
	if off == 0 && n > 0 && !c.oobInline() {
		if !peek {
			c.rcvQ.Consume(1)
			c.urg.data = 0 // read past the mark (the byte, if unread, is lost)
			return 0, n - 1
		}
		return 1, n - 1
	}
	if off > 0 && off < uint32(n) {
		n = int(off)
	}
	return 0, n
}

// urgConsumed forgets the urgent byte once reading went past it.
func (c *conn) urgConsumed() {
	if c.urg.data != 0 && seqnum.Value(c.copiedSeq()).GreaterThan(seqnum.Value(c.urg.seq)) {
		c.urg.data = 0
	}
}

// recvUrgent is recv(MSG_OOB) (tcp_recv_urg): the out-of-band byte, once;
// EINVAL when there is none or SO_OOBINLINE; EAGAIN (never blocking)
// while its pointer arrived but the byte has not.
func (c *conn) recvUrgent(m *socket.Msg, flags int) (int, errno.Errno) {
	if c.state == Listen {
		return 0, errno.ENOTCONN
	}
	if c.oobInline() || c.urg.data == 0 || c.urg.data == urgRead {
		return 0, errno.EINVAL
	}
	if c.state == Close && !c.finRcvd {
		return 0, errno.ENOTCONN
	}
	if c.urg.data&urgValid != 0 {
		b := byte(c.urg.data)
		if flags&abi.MSG_PEEK == 0 {
			c.urg.data = urgRead
		}
		m.Flags |= abi.MSG_OOB
		if m.Len() == 0 {
			m.Flags |= abi.MSG_TRUNC
			return 0, 0
		}
		if flags&abi.MSG_TRUNC == 0 {
			for _, v := range m.Iov {
				if len(v) > 0 {
					v[0] = b
					break
				}
			}
		}
		return 1, 0
	}
	if c.state == Close || c.sk.S.Shutdown()&socket.RcvShutdown != 0 {
		return 0, 0
	}
	return 0, errno.EAGAIN
}

// atMark is SIOCATMARK: the next byte to read is the urgent one.
func (c *conn) atMark() bool {
	return c.urg.data != 0 && c.urg.seq == c.copiedSeq()
}

// urgPoll returns the readiness urgent data adds (tcp_poll): EPOLLPRI
// while the byte waits to be read; and how many queued bytes do not make
// the socket readable (an out-of-band byte at the head).
func (c *conn) urgPoll() (waitq.Events, int) {
	var ev waitq.Events
	if c.urg.data&urgValid != 0 {
		ev |= waitq.EventPri
	}
	hidden := 0
	if c.urg.data != 0 && c.urg.seq == c.copiedSeq() && !c.oobInline() {
		hidden = 1
	}
	return ev, hidden
}

// inq is SIOCINQ (tcp_inq): the bytes queued for reading, but only
// those before the mark while an out-of-band byte waits in the queue.
func (c *conn) inq() int {
	if c.urg.data != 0 && !c.oobInline() {
		copied := c.copiedSeq()
		if !seqnum.Value(c.urg.seq).LessThan(seqnum.Value(copied)) &&
			seqnum.Value(c.urg.seq).LessThan(seqnum.Value(c.rcvNxt)) {
			return int(c.urg.seq - copied)
		}
	}
	return c.rcvQ.Len()
}
