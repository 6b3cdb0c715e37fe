package unix

import (
	"encoding/binary"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

// dgramConnect is unix_dgram_connect: shorter than the family field is
// EINVAL; AF_UNSPEC disconnects; another address is checked, looked up
// and refused with EPERM when its socket is connected elsewhere.
// Connecting anew, or disconnecting, drops the queue of messages from
// the old peer and gives that peer ECONNRESET if it was connected back.
func (u *unixSock) dgramConnect(addr []byte) errno.Errno {
	if len(addr) < sunPathOffset {
		return errno.EINVAL
	}
	var other *unixSock
	if binary.LittleEndian.Uint16(addr) != abi.AF_UNSPEC {
		n, e := parseName(addr)
		if e != 0 {
			return e
		}
		if u.passcred() && u.addr.Load() == nil {
			if e := u.autobind(); e != 0 {
				return e
			}
		}
		for {
			other, e = u.st.find(n, u.typ)
			if e != 0 {
				return e
			}
			lockTwo(u, other)
			if !other.dead.Load() {
				break
			}
			unlockTwo(u, other)
		}
		if p := other.peer.Load(); p != nil && p != u {
			unlockTwo(u, other)
			return errno.EPERM
		}
		u.state.Store(stEstablished)
		other.state.Store(stEstablished)
	} else {
		u.mu.Lock()
	}
	unlock := func() {
		if other != nil {
			unlockTwo(u, other)
		} else {
			u.mu.Unlock()
		}
	}
	old := u.peer.Load()
	u.peer.Store(other)
	if old == nil {
		unlock()
		return 0
	}
	if other == nil {
		u.state.Store(stClose)
	}
	unlock()
	var a after
	old.removePeerWaiter(u)
	u.sk.Wait.Notify(evOut)
	if other != old {
		u.dgramDisconnected(old, &a)
		old.mu.Lock()
		if old.peer.Load() == nil {
			old.state.Store(stClose)
		}
		old.mu.Unlock()
	}
	a.run()
	return 0
}

// dgramDisconnected is unix_dgram_disconnected: the messages queued from
// the old peer are dropped and, if that peer is alive and connected to
// us, it gets ECONNRESET.
func (u *unixSock) dgramDisconnected(other *unixSock, a *after) {
	u.mu.Lock()
	q := u.rq
	u.rq = nil
	u.qlen.Store(0)
	u.mu.Unlock()
	if len(q) == 0 {
		return
	}
	for _, b := range q {
		a.free(b)
	}
	a.peerWake = append(a.peerWake, u)
	if !other.dead.Load() && other.peer.Load() == u {
		a.errs = append(a.errs, sockErr{other, errno.ECONNRESET})
	}
}

// dgramSendmsg is unix_dgram_sendmsg, in Linux's order: the control
// error, MSG_OOB (EOPNOTSUPP), the name (EINVAL), SO_PASSCRED autobind,
// a message over SO_SNDBUF-32 (EMSGSIZE), the pending error, our end
// shut (EPIPE), a full send buffer (EAGAIN); then the receiver: looked
// up (ENOENT, ECONNREFUSED, EPROTOTYPE) or our peer (ENOTCONN),
// connected elsewhere (EPERM), gone (seqpacket: EPIPE; our peer:
// ECONNREFUSED and we are disconnected; else ECONNRESET without a name),
// shut for reading (EPIPE), its queue over net.unix.max_dgram_qlen
// unless it is connected to us (EAGAIN, and a wakeup when it drains).
func (u *unixSock) dgramSendmsg(m *socket.Msg, flags int, name []byte) (int, errno.Errno) {
	if m.ControlErr != 0 {
		return 0, m.ControlErr
	}
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	var n *sockName
	if len(name) > 0 {
		var e errno.Errno
		if n, e = parseName(name); e != 0 {
			return 0, e
		}
	}
	if u.passcred() && u.addr.Load() == nil {
		if e := u.autobind(); e != 0 {
			return 0, e
		}
	}
	size := m.Len()
	sndbuf := u.sk.SndBuf()
	if size > sndbuf-32 {
		return 0, errno.EMSGSIZE
	}
	if e := u.sk.TakeError(); e != 0 {
		return 0, e
	}
	if u.sk.Shutdown()&socket.SendShutdown != 0 {
		return 0, errno.EPIPE
	}
	if u.wmem.Load() >= int64(sndbuf) {
		return 0, errno.EAGAIN
	}
	b := &skb{data: gather(m.Iov, 0, size), from: u, truesize: dgramTruesize(size)}
	var a after
	defer a.run()
	for {
		var other *unixSock
		if n != nil {
			var e errno.Errno
			if other, e = u.st.find(n, u.typ); e != 0 {
				return 0, e
			}
		} else if other = u.peer.Load(); other == nil {
			return 0, errno.ENOTCONN
		}
		lockTwo(u, other)
		op := other.peer.Load()
		if op != nil && op != u {
			unlockTwo(u, other)
			return 0, errno.EPERM
		}
		if other.dead.Load() {
			if u.typ == abi.SOCK_SEQPACKET {
				unlockTwo(u, other)
				return 0, errno.EPIPE
			}
			if u.peer.Load() == other {
				u.peer.Store(nil)
				u.state.Store(stClose)
				unlockTwo(u, other)
				other.removePeerWaiter(u)
				u.sk.Wait.Notify(evOut)
				u.dgramDisconnected(other, &a)
				return 0, errno.ECONNREFUSED
			}
			unlockTwo(u, other)
			if n == nil {
				return 0, errno.ECONNRESET
			}
			continue // closed since the lookup: look again
		}
		if other.sk.Shutdown()&socket.RcvShutdown != 0 {
			unlockTwo(u, other)
			return 0, errno.EPIPE
		}
		if other != u && op != u && other.recvqFull() {
			other.addPeerWaiter(u)
			unlockTwo(u, other)
			return 0, errno.EAGAIN
		}
		b.creds = u.credsFor(m, other)
		b.rights, m.Rights = m.Rights, nil
		u.wmem.Add(int64(b.truesize))
		other.rq = append(other.rq, b)
		other.qlen.Add(1)
		unlockTwo(u, other)
		a.dataIn = append(a.dataIn, other)
		return size, 0
	}
}

// dgramRecvmsg is __unix_dgram_recvmsg: MSG_OOB is EOPNOTSUPP; the
// pending error comes before queued messages; with none queued, a
// socket shut for reading reads 0 (a non-blocking datagram socket gets
// EAGAIN, as Linux's datagram code only sees the shutdown when it
// waits), else EAGAIN. A message longer than the buffer is cut and
// flagged MSG_TRUNC, and MSG_TRUNC in flags returns its full length.
// MSG_PEEK leaves it queued (SO_PEEK_OFF steps through the queue).
func (u *unixSock) dgramRecvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	var a after
	defer a.run()
	u.mu.Lock()
	defer u.mu.Unlock()
	if e := u.sk.TakeError(); e != 0 {
		return 0, e
	}
	peek := flags&abi.MSG_PEEK != 0
	off, atOff := 0, false
	if peek {
		if po := u.peekOff.Load(); po >= 0 {
			off, atOff = int(po), true
		}
	}
	var b *skb
	for i, c := range u.rq {
		if peek {
			if atOff && off >= len(c.data) && (off > 0 || c.peeked) {
				off -= len(c.data)
				continue
			}
			if len(c.data) == 0 {
				c.peeked = true
			}
		} else {
			copy(u.rq[i:], u.rq[i+1:])
			u.rq[len(u.rq)-1] = nil
			u.rq = u.rq[:len(u.rq)-1]
			u.qlen.Add(-1)
		}
		b = c
		break
	}
	if b == nil {
		if u.sk.Shutdown()&socket.RcvShutdown != 0 &&
			(u.typ == abi.SOCK_SEQPACKET || flags&abi.MSG_DONTWAIT == 0) {
			return 0, 0
		}
		return 0, errno.EAGAIN
	}
	a.peerWake = append(a.peerWake, u)
	setMsgName(m, b.from)
	size := m.Len()
	avail := len(b.data) - off
	if size > avail {
		size = avail
	} else if size < avail {
		m.Flags |= abi.MSG_TRUNC
	}
	scatter(m.Iov, 0, b.data[off:off+size])
	var rights []socket.PassedFile
	if !peek {
		rights, b.rights = b.rights, nil
		u.peekOffBwd(len(b.data))
		a.free(b)
	} else {
		u.peekOffFwd(size)
		rights = dupRights(b.rights)
	}
	u.handOver(m, rights, b.creds, &a)
	if flags&abi.MSG_TRUNC != 0 {
		return avail, 0
	}
	return size, 0
}
