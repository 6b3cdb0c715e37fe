package sys

import (
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

// Mmsghdr is struct mmsghdr: a message and msg_len, the bytes it sent or
// received.
type Mmsghdr struct {
	Msg socket.Msg
	Len int
}

// Linux limits and internal flags for the message calls.
const (
	// UIO_MAXIOV bounds iovec arrays (EMSGSIZE in a msghdr) and the
	// batch of sendmmsg.
	UIO_MAXIOV = 1024
	// msgCmsgCompat is MSG_CMSG_COMPAT: 32-bit layouts, refused from
	// native calls.
	msgCmsgCompat = 0x80000000
	// msgInternalSendmsgFlags are MSG_SPLICE_PAGES,
	// MSG_SENDPAGE_NOPOLICY and MSG_SENDPAGE_DECRYPTED, which user space
	// cannot pass to a send.
	msgInternalSendmsgFlags = 0x08000000 | 0x00010000 | 0x00100000
)

// Sendmmsg is sendmmsg(2): it sends msgs in order (MSG_BATCH on all but
// the last), setting each Len, and stops at the first error or at a
// message sent only in part. It returns the number of messages sent, or
// the error if none was. At most UIO_MAXIOV messages go in one call.
func (p *Process) Sendmmsg(fd int, msgs []Mmsghdr, flags int) (int, error) {
	return p.sendmmsg(fd, len(msgs), flags, func(i, flags int) (int, bool, error) {
		m := &msgs[i].Msg
		total := m.Len()
		n, err := p.SendmsgRaw(fd, m, flags)
		if err != nil {
			return 0, false, err
		}
		msgs[i].Len = n
		return n, n < total, nil
	})
}

// sendmmsg is __sys_sendmmsg over a function that sends message i (and
// stores its msg_len), reporting the bytes sent and whether some of the
// message was left over.
func (p *Process) sendmmsg(fd, vlen, flags int, send func(i, flags int) (int, bool, error)) (int, error) {
	if uint32(flags)&msgCmsgCompat != 0 {
		return 0, errno.EINVAL
	}
	vlen = min(vlen, UIO_MAXIOV)
	if _, _, err := p.socketOf(fd); err != nil {
		return 0, err
	}
	oflags := flags
	flags |= abi.MSG_BATCH
	datagrams := 0
	var err error
	for datagrams < vlen {
		if datagrams == vlen-1 {
			flags = oflags
		}
		var left bool
		_, left, err = send(datagrams, flags)
		if err != nil {
			break
		}
		datagrams++
		if left {
			break
		}
	}
	if datagrams > 0 {
		return datagrams, nil
	}
	return 0, err
}

// Recvmmsg is recvmmsg(2): it receives into msgs in order, setting each
// Len. With MSG_WAITFORONE only the first receive may wait. A non-nil
// timeout (negative: EINVAL) is checked after each message, not while
// waiting for one, as in Linux, and updated to the time left. A pending
// socket error is returned first. When a receive fails after some
// messages, their count is returned and the error (unless EAGAIN) is
// left as the socket's pending error for the next call. vlen is not
// capped, as Linux does not cap it.
func (p *Process) Recvmmsg(fd int, msgs []Mmsghdr, flags int, timeout *time.Duration) (int, error) {
	return p.recvmmsg(fd, len(msgs), flags, timeout, func(i, flags int) (bool, error) {
		n, err := p.RecvmsgRaw(fd, &msgs[i].Msg, flags)
		if err != nil {
			return false, err
		}
		msgs[i].Len = n
		return msgs[i].Msg.Flags&abi.MSG_OOB != 0, nil
	})
}

// recvmmsg is do_recvmmsg over a function that receives message i (and
// stores its msg_len), reporting whether it was out-of-band data.
func (p *Process) recvmmsg(fd, vlen, flags int, timeout *time.Duration, recv func(i, flags int) (bool, error)) (int, error) {
	if uint32(flags)&msgCmsgCompat != 0 {
		return 0, errno.EINVAL
	}
	var end time.Time
	if timeout != nil {
		if *timeout < 0 {
			return 0, errno.EINVAL
		}
		end = p.clock().Now().Add(*timeout)
	}
	f, ref, err := p.sockget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	sk := f.s.Sock()
	if flags&abi.MSG_ERRQUEUE == 0 {
		if e := sk.TakeError(); e != 0 {
			return 0, e
		}
	}
	datagrams := 0
	for datagrams < vlen {
		var oob bool
		oob, err = recv(datagrams, flags&^abi.MSG_WAITFORONE)
		if err != nil {
			break
		}
		datagrams++
		if flags&abi.MSG_WAITFORONE != 0 {
			flags |= abi.MSG_DONTWAIT
		}
		if timeout != nil {
			left := end.Sub(p.clock().Now())
			if left <= 0 {
				*timeout = 0
				break
			}
			*timeout = left
		}
		if oob {
			break
		}
	}
	if err == nil {
		return datagrams, nil
	}
	if datagrams == 0 {
		return 0, err
	}
	if e, ok := errno.Of(err); ok && e != errno.EAGAIN {
		if rcv, _ := sk.Timeouts(); e == errno.EINTR && rcv == 0 {
			// An untimed wait ends in ERESTARTSYS inside Linux, and
			// that is what do_recvmmsg stores: the next call returns
			// errno 512 (measured on 6.18).
			e = erestartsys
		}
		sk.SetError(e)
	}
	return datagrams, nil
}

// erestartsys is the kernel's ERESTARTSYS, which user space sees only
// through recvmmsg's stored error.
const erestartsys = errno.Errno(512)
