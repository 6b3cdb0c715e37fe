package unix

import (
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

// Listen is unix_listen: EOPNOTSUPP for datagram sockets, EINVAL when
// unbound or connected. Listening again changes the backlog; a larger
// one wakes blocked connectors. The listener's own SO_PEERCRED becomes
// its creator's, which connecting sockets copy.
func (u *unixSock) Listen(backlog int) errno.Errno {
	if u.typ != abi.SOCK_STREAM && u.typ != abi.SOCK_SEQPACKET {
		return errno.EOPNOTSUPP
	}
	if u.addr.Load() == nil {
		return errno.EINVAL
	}
	u.mu.Lock()
	if s := u.state.Load(); s != stClose && s != stListen {
		u.mu.Unlock()
		return errno.EINVAL
	}
	wake := int64(backlog) > int64(u.backlog.Load())
	u.backlog.Store(int32(backlog))
	u.state.Store(stListen)
	u.mu.Unlock()
	u.sk.SetPeerCred(credsOf(u.sk.Creds))
	if wake {
		u.wakePeerWaiters()
	}
	return 0
}

// Accept is unix_accept: EOPNOTSUPP for datagram sockets, EINVAL when
// not listening, the pending error if any, then the first pending
// connection, or EAGAIN.
//
// On an empty listener shut down for reading Linux gives EINVAL to a
// blocking accept and EAGAIN to a non-blocking one; the generic layer
// does not tell the protocol which it is, so both get EINVAL.
func (u *unixSock) Accept(flags int) (socket.ProtoOps, *socket.Sock, errno.Errno) {
	if u.typ != abi.SOCK_STREAM && u.typ != abi.SOCK_SEQPACKET {
		return nil, nil, errno.EOPNOTSUPP
	}
	if u.state.Load() != stListen {
		return nil, nil, errno.EINVAL
	}
	u.mu.Lock()
	if e := u.sk.TakeError(); e != 0 {
		u.mu.Unlock()
		return nil, nil, e
	}
	if len(u.acceptQ) == 0 {
		shut := u.sk.Shutdown()&socket.RcvShutdown != 0 || u.state.Load() != stListen
		u.mu.Unlock()
		if shut {
			return nil, nil, errno.EINVAL
		}
		return nil, nil, errno.EAGAIN
	}
	e := u.acceptQ[0]
	u.acceptQ[0] = nil
	u.acceptQ = u.acceptQ[1:]
	u.qlen.Add(-1)
	u.mu.Unlock()
	e.mu.Lock()
	e.attached = true
	e.mu.Unlock()
	u.wakePeerWaiters()
	return e, e.sk, 0
}

// streamConnect is unix_stream_connect: the address is checked
// (EINVAL), SO_PASSCRED autobinds, the name is looked up (ENOENT,
// ECONNREFUSED, EPROTOTYPE), then a socket that does not listen or is
// shut down for reading refuses (ECONNREFUSED), a full backlog gives
// EAGAIN (before EISCONN is even considered), and only then does a
// connected or listening caller get EISCONN or EINVAL.
//
// A full backlog makes a blocking connect wait in Linux. Here Connect
// returns EAGAIN after asking the listener to wake this socket (with
// EventOut) when a connection is accepted, the backlog grows or the
// listener goes away: the generic layer returns that EAGAIN to a
// non-blocking caller, as Linux does; a blocking caller needs the
// generic layer to wait for EventOut and retry.
func (u *unixSock) streamConnect(addr []byte) errno.Errno {
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
		other, e := u.st.find(n, u.typ)
		if e != 0 {
			return e
		}
		lockTwo(u, other)
		if other.dead.Load() {
			unlockTwo(u, other)
			continue // closed since the lookup: look again
		}
		if other.state.Load() != stListen || other.sk.Shutdown()&socket.RcvShutdown != 0 {
			unlockTwo(u, other)
			return errno.ECONNREFUSED
		}
		if other.recvqFull() {
			other.addPeerWaiter(u)
			unlockTwo(u, other)
			return errno.EAGAIN
		}
		switch u.state.Load() {
		case stClose:
		case stEstablished:
			unlockTwo(u, other)
			return errno.EISCONN
		default:
			unlockTwo(u, other)
			return errno.EINVAL
		}
		emb := u.embryo(other)
		u.state.Store(stEstablished)
		u.peer.Store(emb)
		other.acceptQ = append(other.acceptQ, emb)
		other.qlen.Add(1)
		unlockTwo(u, other)
		if c, ok := other.sk.PeerCred(); ok {
			u.sk.SetPeerCred(c)
		}
		other.sk.Wait.Notify(evIn)
		return 0
	}
}

// embryo makes the server side of a new connection to listener l: it
// shares l's address, takes l's SO_PASSCRED (sk_scm_recv_flags), and
// has the connecting socket's creator as its peer.
func (u *unixSock) embryo(l *unixSock) *unixSock {
	sk := &socket.Sock{NS: u.sk.NS, Family: abi.AF_UNIX, Type: u.typ, Creds: l.sk.Creds}
	sk.InitDefaults()
	for _, opt := range []int{abi.SO_PASSCRED, abi.SO_PASSPIDFD, abi.SO_PASSSEC} {
		sk.SetFlag(opt, l.sk.Flag(opt))
	}
	e := newSock(u.st, sk, u.typ)
	e.attached = false
	e.state.Store(stEstablished)
	e.peer.Store(u)
	e.addr.Store(l.addr.Load())
	sk.SetPeerCred(credsOf(u.sk.Creds))
	return e
}

// credsFor are the credentials a message carries
// (unix_scm_to_skb, unix_maybe_add_creds): those asserted with
// SCM_CREDENTIALS, else the sender's when either end has SO_PASSCRED or
// the receiver is not yet accepted, else none. Called with other's lock.
func (u *unixSock) credsFor(m *socket.Msg, other *unixSock) *socket.Creds {
	if m.CredsAsserted && m.Creds != nil {
		c := credsOf(*m.Creds)
		return &c
	}
	if !u.passcred() && !other.passcred() && other.attached {
		return nil
	}
	c := credsOf(u.sk.Creds)
	if m.Creds != nil {
		c = credsOf(*m.Creds)
	}
	return &c
}

// streamSendmsg is unix_stream_sendmsg: the control error first, then
// MSG_OOB with nothing to send (EOPNOTSUPP), a name (EISCONN when
// connected, else EOPNOTSUPP), no peer (ENOTCONN), our end shut (EPIPE).
// Then chunks are queued at the peer while the send buffer holds less
// than SO_SNDBUF; files go with the first. With MSG_OOB the last byte
// goes alone, as the peer's out-of-band byte (queue_oob). What was
// queued is returned; with nothing queued, the pending error, EPIPE
// (peer closed or shut for reading) or EAGAIN.
func (u *unixSock) streamSendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	if m.ControlErr != 0 {
		return 0, m.ControlErr
	}
	total := m.Len()
	oob := flags&abi.MSG_OOB != 0
	if oob {
		if total == 0 {
			return 0, errno.EOPNOTSUPP
		}
		total--
	}
	if len(m.Name) > 0 {
		if u.state.Load() == stEstablished {
			return 0, errno.EISCONN
		}
		return 0, errno.EOPNOTSUPP
	}
	other := u.peer.Load()
	if other == nil {
		return 0, errno.ENOTCONN
	}
	if u.sk.Shutdown()&socket.SendShutdown != 0 {
		return 0, errno.EPIPE
	}
	sent := 0
	fail := func(e errno.Errno) (int, errno.Errno) {
		if sent > 0 {
			return sent, 0
		}
		return 0, e
	}
	defer func() {
		if sent > 0 {
			other.sk.Wait.Notify(evIn)
		}
	}()
	// alloc is sock_alloc_send_pskb's checks.
	alloc := func() errno.Errno {
		if e := u.sk.TakeError(); e != 0 {
			return e
		}
		if u.sk.Shutdown()&socket.SendShutdown != 0 {
			return errno.EPIPE
		}
		if u.wmem.Load() >= int64(u.sk.SndBuf()) {
			return errno.EAGAIN
		}
		return 0
	}
	for sent < total {
		if e := alloc(); e != 0 {
			return fail(e)
		}
		size, ts := streamChunk(total-sent, u.sk.SndBuf())
		if e := u.queueStream(m, other, sent, size, ts, false); e != 0 {
			return fail(e)
		}
		sent += size
	}
	if oob {
		if e := alloc(); e != 0 {
			return fail(e)
		}
		if e := u.queueStream(m, other, sent, 1, headTruesize(1), true); e != 0 {
			return fail(e)
		}
		sent++
	}
	return sent, 0
}

// queueStream queues size bytes of m from offset off at other, taking
// m's files if it still has them; oob makes it the out-of-band byte.
func (u *unixSock) queueStream(m *socket.Msg, other *unixSock, off, size, truesize int, oob bool) errno.Errno {
	b := &skb{data: gather(m.Iov, off, size), from: u, truesize: truesize}
	other.mu.Lock()
	defer other.mu.Unlock()
	if other.dead.Load() || other.sk.Shutdown()&socket.RcvShutdown != 0 {
		return errno.EPIPE
	}
	b.rights, m.Rights = m.Rights, nil
	b.creds = u.credsFor(m, other)
	u.wmem.Add(int64(truesize))
	other.rq = append(other.rq, b)
	other.qlen.Add(1)
	other.inq += size
	if oob {
		// The previous out-of-band byte, if unread, stays as plain data.
		other.oob.Store(b)
		other.sk.Urgent() // SIGURG to the owner, as sk_send_sigurg
	}
	return 0
}

// removeAt unlinks the i-th queued message; called with mu.
func (u *unixSock) removeAt(i int) {
	copy(u.rq[i:], u.rq[i+1:])
	u.rq[len(u.rq)-1] = nil
	u.rq = u.rq[:len(u.rq)-1]
	u.qlen.Add(-1)
}

// streamRecvmsg is unix_stream_read_generic: EINVAL unless connected;
// MSG_OOB reads the out-of-band byte. Data is read across queued chunks
// until the buffer is full, but never past a chunk that carried files,
// nor, under SO_PASSCRED, across a change of credentials, nor across the
// out-of-band mark. With nothing queued: the pending error, then 0 at
// end of input, else EAGAIN. SO_PEEK_OFF and SO_RCVLOWAT apply.
func (u *unixSock) streamRecvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	if u.state.Load() != stEstablished {
		return 0, errno.EINVAL
	}
	if flags&abi.MSG_OOB != 0 {
		return u.recvUrg(m, flags)
	}
	if m.Rights != nil {
		// A MSG_WAITALL continuation after a chunk with files: Linux's
		// read stops there.
		return 0, 0
	}
	peek := flags&abi.MSG_PEEK != 0
	size := m.Len()
	target := max(min(u.sk.RcvLowat(), size), 1)
	passcred := u.passcred()
	var scm *socket.Creds
	checkCreds := false
	if passcred && m.Creds != nil {
		scm, checkCreds = m.Creds, true
	}

	var a after
	defer a.run()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.dead.Load() {
		return 0, errno.ECONNRESET
	}
	skip := 0
	if peek {
		skip = max(int(u.peekOff.Load()), 0)
	}
	if target > 1 && !peek && flags&abi.MSG_DONTWAIT == 0 && u.sk.PendingError() == 0 &&
		u.sk.Shutdown()&socket.RcvShutdown == 0 && u.short(target, passcred, scm, checkCreds) {
		return 0, errno.EAGAIN // SO_RCVLOWAT: wait for more
	}

	copied := 0
	var err errno.Errno
	var rights []socket.PassedFile
	named := false
	i := 0
	for {
		var b *skb
		if i < len(u.rq) {
			if i = u.manageOOB(i, copied, peek, &a); i >= 0 {
				b = u.rq[i]
			} else if copied > 0 {
				break
			}
		}
		if b == nil {
			if copied >= target {
				break
			}
			if e := u.sk.TakeError(); e != 0 {
				err = e
				break
			}
			if u.sk.Shutdown()&socket.RcvShutdown != 0 {
				break
			}
			err = errno.EAGAIN
			break
		}
		// Messages before the peek offset are skipped without the
		// out-of-band handling, as Linux's loop does.
		for skip >= b.unread() {
			skip -= b.unread()
			i++
			if i >= len(u.rq) {
				b = nil
				break
			}
			b = u.rq[i]
		}
		if b == nil {
			continue // nothing at the offset: as an empty queue
		}
		if checkCreds {
			if !sameCreds(b.creds, scm) {
				break // never glue messages from different writers
			}
		} else if passcred {
			scm, checkCreds = b.creds, true
		}
		if !named {
			setMsgName(m, b.from)
			named = true
		}
		chunk := min(b.unread()-skip, size-copied)
		start := b.consumed + skip
		scatter(m.Iov, copied, b.data[start:start+chunk])
		copied += chunk
		if !peek {
			b.consumed += chunk
			u.inq -= chunk
			u.peekOffBwd(chunk)
			if b.rights != nil {
				rights, b.rights = b.rights, nil
			}
			if b.unread() > 0 {
				break
			}
			u.removeAt(i)
			a.free(b)
			if rights != nil || copied >= size {
				break
			}
			i = 0 // the next round starts at the head
			continue
		}
		if b.rights != nil {
			rights = dupRights(b.rights)
		}
		u.peekOffFwd(chunk)
		if rights != nil {
			break
		}
		// Peeking goes on to the next message, even with the buffer
		// full, as Linux's "goto again" does.
		skip = 0
		i++
		if i >= len(u.rq) {
			break
		}
	}
	if copied == 0 && err != 0 {
		return 0, err
	}
	// Linux hands over credentials under SO_PASSCRED even for a read
	// that found the end of input: then its zeroed scm_cookie's, pid 0
	// and uid and gid 0.
	if passcred || rights != nil {
		creds := &socket.Creds{}
		if checkCreds {
			creds = scm
		}
		u.handOver(m, rights, creds, &a)
		if !passcred {
			m.Creds = nil
		}
	}
	return copied, 0
}

// manageOOB is Linux's manage_oob for the message at index i: a fully
// read message (what an out-of-band byte leaves) is dropped, or skipped
// when peeking, unless data was read already; at the out-of-band byte a
// read stops if it has data, else the byte is taken off the mark and,
// unless SO_OOBINLINE, dropped. It returns the index of the message to
// read from, or -1 for none. Called with mu.
func (u *unixSock) manageOOB(i, copied int, peek bool, a *after) int {
	b := u.rq[i]
	oob := u.oob.Load()
	if b.unread() > 0 && b != oob {
		return i
	}
	if b.unread() == 0 {
		switch {
		case copied > 0 && (oob == nil || b == oob):
			return -1
		case peek:
			i++
		default:
			u.removeAt(i)
			a.free(b)
		}
		if i >= len(u.rq) {
			return -1
		}
		b = u.rq[i]
	}
	if b != oob {
		return i
	}
	inline := u.sk.Flag(abi.SO_OOBINLINE)
	switch {
	case copied > 0:
		return -1
	case !peek:
		u.oob.Store(nil)
		if !inline {
			// Linux leaves the dropped byte in inq_len (SIOCINQ
			// counts it from now on); so does gosock.
			u.removeAt(i)
			a.free(b)
			if len(u.rq) == 0 {
				return -1
			}
			return 0
		}
	case !inline:
		i++
		if i >= len(u.rq) {
			return -1
		}
	}
	return i
}

// recvUrg is unix_stream_recv_urg: the out-of-band byte, flagged
// MSG_OOB; EINVAL with none or under SO_OOBINLINE. Reading it (not
// peeking) leaves an empty message at the mark and drops an empty one
// before it.
func (u *unixSock) recvUrg(m *socket.Msg, flags int) (int, errno.Errno) {
	var a after
	defer a.run()
	u.mu.Lock()
	defer u.mu.Unlock()
	b := u.oob.Load()
	if b == nil || u.sk.Flag(abi.SO_OOBINLINE) {
		return 0, errno.EINVAL
	}
	if flags&abi.MSG_PEEK == 0 {
		u.oob.Store(nil)
		u.inq--
		for i, c := range u.rq {
			if c == b {
				if i > 0 && u.rq[i-1].unread() == 0 {
					prev := u.rq[i-1]
					u.removeAt(i - 1)
					a.free(prev)
				}
				break
			}
		}
	}
	scatter(m.Iov, 0, b.data[b.consumed:b.consumed+1])
	if flags&abi.MSG_PEEK == 0 {
		b.consumed++
	}
	m.Flags |= abi.MSG_OOB
	return 1, 0
}

// short reports whether fewer than target bytes can be read now, before
// the first chunk with files or change of credentials.
func (u *unixSock) short(target int, passcred bool, scm *socket.Creds, checkCreds bool) bool {
	n := 0
	for _, b := range u.rq {
		if checkCreds {
			if !sameCreds(b.creds, scm) {
				return false
			}
		} else if passcred {
			scm, checkCreds = b.creds, true
		}
		n += b.unread()
		if n >= target || b.rights != nil || b == u.oob.Load() {
			return false
		}
	}
	return true
}
